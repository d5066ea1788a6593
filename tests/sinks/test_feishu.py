"""Feishu custom bot: signing in the body (and not DingTalk's algorithm), body limit, formats, 5 a second and 100 a
minute, and the text taken from cards and posts."""

from __future__ import annotations

from typing import Any

import pytest

from tke_orphans_testkit.sinks import SinkBot

from .conftest import T0, Clock, dingtalk_sign, feishu_sign, post, sized

SIGNED = SinkBot("feishu", "fstoken1", secret="testsecret")
PLAIN = SinkBot("feishu", "fsplain")
VECTOR = "AOc8oJ7//5OlQlfWC3nRL0R+IkuzcD1FKcAyibRK9Q8="  # secret testsecret, timestamp 1700000000
OK = {"code": 0, "msg": "success", "data": {}}


def text(content: str = "孤儿", **extra: Any) -> dict[str, Any]:
    return {**extra, "msg_type": "text", "content": {"text": content}}


def card(*elements: dict[str, Any], title: str = "TKE 孤儿实例") -> dict[str, Any]:
    header = {"title": {"tag": "plain_text", "content": title}, "template": "red"}
    return {
        "msg_type": "interactive",
        "card": {"config": {"wide_screen_mode": True}, "header": header, "elements": list(elements)},
    }


def test_our_helper_reproduces_the_vector() -> None:
    assert feishu_sign("testsecret", "1700000000") == VECTOR


def test_vector_is_accepted(start) -> None:
    sinks = start([SIGNED])
    answer = post(sinks.bot_url(SIGNED), text(timestamp="1700000000", sign=VECTOR))
    assert (answer.status, answer.json) == (200, OK)
    assert answer.raw == b'{"code":0,"msg":"success","data":{}}'
    [got] = sinks.accepted()
    assert (got.platform, got.token, got.text) == ("feishu", "fstoken1", "孤儿")


@pytest.mark.parametrize(
    "signing",
    [
        {"timestamp": "1700000000", "sign": dingtalk_sign("testsecret", "1700000000")},  # the classic mistake
        {"timestamp": "1700000000000", "sign": feishu_sign("testsecret", "1700000000000")},  # milliseconds
        {"timestamp": 1700000000, "sign": VECTOR},  # a number, not the documented string
        {"timestamp": "1700000000"},
        {"sign": VECTOR},
        {"timestamp": "1700000000", "sign": feishu_sign("othersecret", "1700000000")},
    ],
)
def test_wrong_signatures_are_19021(start, signing: dict[str, Any]) -> None:
    sinks = start([SIGNED])
    answer = post(sinks.bot_url(SIGNED), text(**signing))
    assert answer.json == {
        "code": 19021,
        "msg": "sign match fail or timestamp is not within one hour from current time",
        "data": {},
    }
    assert sinks.accepted() == []


@pytest.mark.parametrize(("offset", "code"), [(3599, 0), (3601, 19021), (-3601, 19021)])
def test_timestamp_must_be_within_an_hour(start, clock: Clock, offset: float, code: int) -> None:
    sinks = start([SIGNED])
    clock.t = T0 + offset
    assert post(sinks.bot_url(SIGNED), text(timestamp="1700000000", sign=VECTOR)).code == code


def test_bot_without_secret_needs_no_signature(start) -> None:
    sinks = start([PLAIN])
    assert post(sinks.bot_url(PLAIN), text()).json == OK


def test_unknown_token_is_19001(start) -> None:
    sinks = start([PLAIN])
    answer = post(sinks.bot_url(SinkBot("feishu", "nope")), text())
    assert answer.json == {"code": 19001, "msg": "param invalid: incoming webhook access token invalid", "data": {}}


@pytest.mark.parametrize(("total", "code"), [(20 * 1024, 0), (20 * 1024 + 1, 9499)])
def test_body_limit_counts_utf8_bytes(start, total: int, code: int) -> None:
    sinks = start([PLAIN])
    raw = sized(lambda pad: card({"tag": "markdown", "content": "孤儿" * 3000 + pad}), total)
    answer = post(sinks.bot_url(PLAIN), raw)
    assert answer.code == code
    if code:
        assert answer.json == {"code": 9499, "msg": "Bad Request", "data": {}}


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        {"msg_type": "image", "content": {"image_key": "img_x"}},
        {"msg_type": "interactive", "card": '{"header": {}, "elements": []}'},  # a string: the im/v1 form
        {"msg_type": "interactive", "card": {"elements": []}},
        {"msg_type": "interactive", "card": {"header": {}}},
        {"msg_type": "interactive", "card": {"schema": "2.0", "header": {}, "body": {"elements": []}}},
        {"msg_type": "post", "content": {"post": "x"}},
        {"msg_type": "post", "content": {"post": {"zh_cn": {"title": "t"}}}},
        {"msg_type": "text", "content": {}},
        {"content": {"text": "no msg_type"}},
    ],
)
def test_malformed_bodies_are_9499(start, body: Any) -> None:
    sinks = start([PLAIN])
    assert post(sinks.bot_url(PLAIN), body).json == {"code": 9499, "msg": "Bad Request", "data": {}}
    assert sinks.accepted() == []


def test_five_a_second(start, clock: Clock) -> None:
    sinks = start([PLAIN])
    url = sinks.bot_url(PLAIN)
    assert [post(url, text(f"m{i}")).code for i in range(5)] == [0] * 5
    clock.t = T0 + 0.999
    assert post(url, text("6th")).json == {"code": 11232, "msg": "frequency limited", "data": {}}
    clock.t = T0 + 1.0
    assert post(url, text("next second")).code == 0


def test_a_hundred_a_minute(start, clock: Clock) -> None:
    sinks = start([PLAIN])
    url = sinks.bot_url(PLAIN)
    for i in range(100):  # four a second: never over five a second
        clock.t = T0 + 0.25 * i
        assert post(url, text(f"m{i}")).code == 0
    clock.t = T0 + 25
    assert post(url, text("101st")).code == 11232
    clock.t = T0 + 60.001  # the first one left the minute
    assert post(url, text("again")).code == 0
    assert len(sinks.accepted()) == 101


def test_keyword_bot_is_19024_without_a_keyword(start) -> None:
    bot = SinkBot("feishu", "fskw", keywords=("孤儿",))
    sinks = start([bot])
    assert post(sinks.bot_url(bot), text("nothing")).json == {"code": 19024, "msg": "Key Words Not Found", "data": {}}
    assert post(sinks.bot_url(bot), card({"tag": "markdown", "content": "3 个孤儿"}, title="x")).code == 0


def test_text_of_a_card_is_every_text_in_order(start) -> None:
    sinks = start([PLAIN])
    body = card(
        {"tag": "markdown", "content": "**ins-1** <font color='red'>orphan</font>"},
        {"tag": "hr"},
        {"tag": "div", "text": {"tag": "lark_md", "content": "region ap-guangzhou"}},
        {"tag": "note", "elements": [{"tag": "plain_text", "content": "scan 2024-01-01"}]},
    )
    assert post(sinks.bot_url(PLAIN), body).code == 0
    [got] = sinks.accepted()
    assert got.msgtype == "interactive"
    assert got.text == "TKE 孤儿实例\n**ins-1** <font color='red'>orphan</font>\nregion ap-guangzhou\nscan 2024-01-01"


def test_text_of_a_post_is_title_and_texts(start) -> None:
    sinks = start([PLAIN])
    line = [{"tag": "text", "text": "two orphans "}, {"tag": "a", "text": "status", "href": "http://x"}]
    body = {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": "孤儿", "content": [line, [{"tag": "at", "user_id": "all"}]]}}},
    }
    assert post(sinks.bot_url(PLAIN), body).code == 0
    assert [a.text for a in sinks.accepted()] == ["孤儿\ntwo orphans \nstatus"]
