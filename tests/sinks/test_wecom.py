"""WeCom group robot: key, content limits in UTF-8 bytes, message formats, 20 a minute."""

from __future__ import annotations

from typing import Any

import pytest

from tke_orphans_testkit.sinks import SinkBot

from .conftest import T0, Clock, post

BOT = SinkBot("wecom", "wckey1")


def markdown(content: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def test_markdown_is_accepted_with_its_text(start, clock: Clock) -> None:
    sinks = start([BOT])
    answer = post(sinks.bot_url(BOT), markdown("## 孤儿实例\n**ins-1**"))
    assert (answer.status, answer.json) == (200, {"errcode": 0, "errmsg": "ok"})
    assert answer.raw == b'{"errcode":0,"errmsg":"ok"}'
    [got] = sinks.accepted()
    assert (got.platform, got.token, got.msgtype, got.at) == ("wecom", "wckey1", "markdown", T0)
    assert got.text == "## 孤儿实例\n**ins-1**"
    assert got.body == markdown("## 孤儿实例\n**ins-1**")


def test_text_message_text_is_its_content(start) -> None:
    sinks = start([BOT])
    body = {"msgtype": "text", "text": {"content": "hello", "mentioned_list": ["@all"]}}
    assert post(sinks.bot_url(BOT), body).code == 0
    assert [a.text for a in sinks.accepted()] == ["hello"]


@pytest.mark.parametrize("key", ["wrongkey", None])
def test_unknown_or_missing_key_is_93000(start, key: str | None) -> None:
    sinks = start([BOT])
    url = sinks.bot_url(SinkBot("wecom", key)) if key else f"{sinks.url}/cgi-bin/webhook/send"
    answer = post(url, markdown("hi"))
    assert (answer.status, answer.json) == (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    assert sinks.accepted() == []
    assert [r.code for r in sinks.requests()] == [93000]


@pytest.mark.parametrize(
    ("msgtype", "content", "code"),
    [
        ("markdown", "孤" * 1365, 0),  # 4095 bytes
        ("markdown", "孤" * 1365 + "a", 0),  # 4096 bytes
        ("markdown", "孤" * 1365 + "ab", 40058),  # 4097 bytes, although only 1367 characters
        ("markdown", "孤" * 1366, 40058),  # 4098 bytes
        ("markdown_v2", "孤" * 1365 + "a", 0),
        ("markdown_v2", "孤" * 1366, 40058),
        ("text", "孤" * 682 + "ab", 0),  # 2048 bytes
        ("text", "孤" * 682 + "abc", 40058),  # 2049 bytes
    ],
)
def test_content_limits_count_utf8_bytes(start, msgtype: str, content: str, code: int) -> None:
    sinks = start([BOT])
    answer = post(sinks.bot_url(BOT), {"msgtype": msgtype, msgtype: {"content": content}})
    assert answer.code == code
    if code:
        assert answer.json["errmsg"] == "content exceeds max length"
    assert len(sinks.accepted()) == (0 if code else 1)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", 40008),
        (b"[1, 2]", 40008),
        ({"markdown": {"content": "no msgtype"}}, 40008),
        ({"msgtype": "image", "image": {"base64": "", "md5": ""}}, 40008),
        ({"msgtype": "markdown", "markdown": "a string"}, 40008),
        ({"msgtype": "markdown", "markdown": {"content": 5}}, 40008),
        ({"msgtype": "markdown", "markdown": {"content": ""}}, 44004),
        ({"msgtype": "text", "text": {}}, 44004),
    ],
)
def test_malformed_bodies_are_refused(start, body: Any, code: int) -> None:
    sinks = start([BOT])
    assert post(sinks.bot_url(BOT), body).code == code
    assert sinks.accepted() == []


def test_twenty_a_minute_then_45009_until_the_window_slides(start, clock: Clock) -> None:
    sinks = start([BOT])
    url = sinks.bot_url(BOT)
    for i in range(20):  # three seconds apart: t0 .. t0+57
        clock.t = T0 + 3 * i
        assert post(url, markdown(f"m{i}")).code == 0
    clock.t = T0 + 59.9
    answer = post(url, markdown("too many"))
    assert answer.json == {"errcode": 45009, "errmsg": "api freq out of limit"}
    clock.t = T0 + 60  # the first message (t0) has left the window
    assert post(url, markdown("again")).code == 0
    assert post(url, markdown("but only one")).code == 45009  # t0+3 is still inside
    assert len(sinks.accepted()) == 21


def test_refused_messages_do_not_count_towards_the_rate(start) -> None:
    sinks = start([BOT])
    url = sinks.bot_url(BOT)
    for _ in range(5):
        assert post(url, markdown("孤" * 2000)).code == 40058
    assert [post(url, markdown(f"m{i}")).code for i in range(21)] == [0] * 20 + [45009]


def test_each_key_has_its_own_rate(start) -> None:
    other = SinkBot("wecom", "wckey2")
    sinks = start([BOT, other])
    for i in range(20):
        assert post(sinks.bot_url(BOT), markdown(f"m{i}")).code == 0
    assert post(sinks.bot_url(BOT), markdown("over")).code == 45009
    assert post(sinks.bot_url(other), markdown("fresh")).code == 0
