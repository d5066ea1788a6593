"""DingTalk custom robot: the signature encoded exactly once, timestamps, keywords, body limit, 20 a minute and the
10-minute block."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tke_orphans_testkit.sinks import SinkBot

from .conftest import T0, Clock, dingtalk_sign, post, sized

SIGNED = SinkBot("dingtalk", "dttoken1", secret="SECtestsecret")
PLAIN = SinkBot("dingtalk", "dtplain")
# The facts sheet's vector: secret SECtestsecret, timestamp 1700000000000.
VECTOR = "7LVwF0dAF3/+MRRulbpE4y72Ogzykc6bS2nG4I99T4s="
VECTOR_WIRE = "7LVwF0dAF3%2F%2BMRRulbpE4y72Ogzykc6bS2nG4I99T4s%3D"


def markdown(text: str = "孤儿实例", title: str = "TKE orphans") -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def signed_url(sinks: Any, timestamp_ms: int | str, sign_on_wire: str) -> str:
    return f"{sinks.bot_url(SIGNED)}&timestamp={timestamp_ms}&sign={sign_on_wire}"


def fresh(sinks: Any, clock: Clock, secret: str = "SECtestsecret") -> str:
    ts = str(int(clock.t * 1000))
    return signed_url(sinks, ts, quote(dingtalk_sign(secret, ts), safe=""))


def test_our_helper_reproduces_the_vector() -> None:
    assert dingtalk_sign("SECtestsecret", "1700000000000") == VECTOR
    assert quote(VECTOR, safe="") == VECTOR_WIRE


def test_vector_encoded_once_is_accepted(start) -> None:
    sinks = start([SIGNED])
    answer = post(signed_url(sinks, 1700000000000, VECTOR_WIRE), markdown())
    assert (answer.status, answer.json) == (200, {"errcode": 0, "errmsg": "ok"})
    assert [a.token for a in sinks.accepted()] == ["dttoken1"]


@pytest.mark.parametrize(
    "on_wire",
    [
        quote(VECTOR_WIRE, safe=""),  # encoded twice: arrives as 7LVw...%2F%2B...
        VECTOR,  # not encoded: the '+' arrives as a space
        "7LVwF0dAF3/%2BMRRulbpE4y72Ogzykc6bS2nG4I99T4s%3D".replace("%2B", "+"),  # half-encoded, '+' left raw
    ],
)
def test_vector_encoded_twice_or_not_at_all_is_refused(start, on_wire: str) -> None:
    sinks = start([SIGNED])
    answer = post(signed_url(sinks, 1700000000000, on_wire), markdown())
    assert answer.code == 310000
    assert "sign not match" in answer.json["errmsg"]
    assert sinks.accepted() == []


def test_a_fresh_signature_at_another_time_is_accepted(start, clock: Clock) -> None:
    clock.t = T0 + 12345.678
    sinks = start([SIGNED])
    assert post(fresh(sinks, clock), markdown()).code == 0


@pytest.mark.parametrize(("offset", "code"), [(3599, 0), (3601, 310000), (-3601, 310000)])
def test_timestamp_must_be_within_an_hour(start, clock: Clock, offset: float, code: int) -> None:
    sinks = start([SIGNED])
    clock.t = T0 + offset  # the vector's timestamp stays at T0
    answer = post(signed_url(sinks, 1700000000000, VECTOR_WIRE), markdown())
    assert answer.code == code
    if code:
        assert "timestamp" in answer.json["errmsg"]


def test_timestamp_in_seconds_is_refused_even_when_signed_consistently(start) -> None:
    sinks = start([SIGNED])
    ts = "1700000000"
    assert post(signed_url(sinks, ts, quote(dingtalk_sign("SECtestsecret", ts), safe="")), markdown()).code == 310000


@pytest.mark.parametrize(
    "query",
    ["", "&timestamp=1700000000000", f"&sign={VECTOR_WIRE}", "&timestamp=abc&sign=" + VECTOR_WIRE],
)
def test_missing_or_bad_signing_parameters_are_refused(start, query: str) -> None:
    sinks = start([SIGNED])
    assert post(sinks.bot_url(SIGNED) + query, markdown()).code == 310000


def test_wrong_secret_is_refused(start, clock: Clock) -> None:
    sinks = start([SIGNED])
    assert post(fresh(sinks, clock, secret="SECother"), markdown()).code == 310000
    assert post(fresh(sinks, clock), markdown()).code == 0


def test_robot_without_secret_needs_no_signature(start) -> None:
    sinks = start([PLAIN])
    assert post(sinks.bot_url(PLAIN), markdown()).code == 0


@pytest.mark.parametrize("url_of", [lambda s: s.bot_url(SinkBot("dingtalk", "nope")), lambda s: s.url + "/robot/send"])
def test_unknown_or_missing_token_is_300001(start, url_of: Any) -> None:
    sinks = start([PLAIN])
    answer = post(url_of(sinks), markdown())
    assert answer.json == {"errcode": 300001, "errmsg": "token is not exist"}


def test_keyword_robot_needs_a_keyword_in_the_text(start) -> None:
    bot = SinkBot("dingtalk", "dtkw", keywords=("孤儿", "orphan"))
    sinks = start([bot])
    url = sinks.bot_url(bot)
    refused = post(url, markdown("no such word here"))
    assert refused.json == {"errcode": 310000, "errmsg": "keywords not in content"}
    assert post(url, markdown("nothing", title="孤儿 in the title only")).code == 310000  # text, not title
    assert post(url, markdown("两个孤儿实例")).code == 0
    assert post(url, {"msgtype": "text", "text": {"content": "an orphan"}}).code == 0
    assert [a.text for a in sinks.accepted()] == ["两个孤儿实例", "an orphan"]


@pytest.mark.parametrize(("total", "code"), [(20000, 0), (20001, 460101)])
def test_body_limit_counts_utf8_bytes(start, total: int, code: int) -> None:
    sinks = start([PLAIN])
    raw = sized(lambda pad: markdown("孤儿" * 3000 + pad), total)  # 18000 bytes of Chinese, 6000 characters
    answer = post(sinks.bot_url(PLAIN), raw)
    assert answer.code == code
    if code:
        assert answer.json["errmsg"] == "message too long"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        {"markdown": {"title": "t", "text": "x"}},
        {"msgtype": "markdown", "markdown": {"text": "no title"}},
        {"msgtype": "markdown", "markdown": {"title": "no text"}},
        {"msgtype": "text", "text": {"content": ""}},
        {"msgtype": "feedCard", "feedCard": {"links": []}},
    ],
)
def test_malformed_bodies_are_40035(start, body: Any) -> None:
    sinks = start([PLAIN])
    answer = post(sinks.bot_url(PLAIN), body)
    assert answer.code == 40035
    assert answer.json["errmsg"].startswith("缺少参数")


def test_text_is_markdown_text_or_text_content(start) -> None:
    sinks = start([PLAIN])
    post(sinks.bot_url(PLAIN), markdown("### 孤儿\n\n- ins-1", title="preview"))
    post(sinks.bot_url(PLAIN), {"msgtype": "text", "text": {"content": "plain"}})
    assert [(a.msgtype, a.text) for a in sinks.accepted()] == [("markdown", "### 孤儿\n\n- ins-1"), ("text", "plain")]


def test_twenty_a_minute_then_blocked_for_ten_minutes(start, clock: Clock) -> None:
    sinks = start([PLAIN])
    url = sinks.bot_url(PLAIN)
    assert [post(url, markdown(f"m{i}")).code for i in range(20)] == [0] * 20
    clock.t = T0 + 30
    tripped = post(url, markdown("21st"))
    assert tripped.json == {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
    clock.t = T0 + 120  # the minute window is empty again, but the robot is still blocked
    assert post(url, markdown("still")).code == 130101
    clock.t = T0 + 30 + 599.9  # requests during the block do not extend it
    assert post(url, markdown("almost")).code == 130101
    clock.t = T0 + 30 + 600
    assert post(url, markdown("lifted")).code == 0
    assert len(sinks.accepted()) == 21


def test_block_is_per_robot(start) -> None:
    other = SinkBot("dingtalk", "dtother")
    sinks = start([PLAIN, other])
    for i in range(21):
        post(sinks.bot_url(PLAIN), markdown(f"m{i}"))
    assert post(sinks.bot_url(PLAIN), markdown("blocked")).code == 130101
    assert post(sinks.bot_url(other), markdown("free")).code == 0
