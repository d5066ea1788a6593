"""Injected faults: HTTP 500, throttling answers and held requests, for the first N matching requests."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
from typing import Any

import pytest

from tke_orphans_testkit.sinks import SinkBot, SinkFault

from .conftest import post

WECOM = SinkBot("wecom", "wckey1")
DING = SinkBot("dingtalk", "dttoken1")
FS_A = SinkBot("feishu", "fstokenA")
FS_B = SinkBot("feishu", "fstokenB")
BODIES: dict[str, dict[str, Any]] = {
    "wecom": {"msgtype": "markdown", "markdown": {"content": "孤儿"}},
    "dingtalk": {"msgtype": "markdown", "markdown": {"title": "t", "text": "孤儿"}},
    "feishu": {"msg_type": "text", "content": {"text": "孤儿"}},
}


def handler_threads() -> list[threading.Thread]:
    """Live request-handler threads of the sinks (named so by the sinks' server; other servers' are not counted)."""
    return [t for t in threading.enumerate() if t.name == "chat-sinks-handler"]


def send(sinks: Any, bot: SinkBot, timeout: float = 5) -> Any:
    return post(sinks.bot_url(bot), BODIES[bot.platform], timeout=timeout)


def test_http_500_for_the_first_n_then_normal(start) -> None:
    sinks = start([WECOM], faults=[SinkFault(platform="wecom", token="wckey1", effect="http_500", times=2)])
    answers = [send(sinks, WECOM) for _ in range(3)]
    assert [a.status for a in answers] == [500, 500, 200]
    assert answers[0].content_type.startswith("text/html") and answers[0].raw.startswith(b"<html>")
    assert answers[2].code == 0
    assert len(sinks.accepted()) == 1
    assert [(r.status, r.fault, r.answer) for r in sinks.requests()] == [
        (500, "http_500", {}),
        (500, "http_500", {}),
        (200, None, {"errcode": 0, "errmsg": "ok"}),
    ]


def test_fault_without_token_hits_every_bot_of_its_platform_only(start) -> None:
    sinks = start([WECOM, FS_A, FS_B], faults=[SinkFault(platform="feishu", token=None, effect="throttle", times=2)])
    assert send(sinks, WECOM).code == 0
    assert send(sinks, FS_A).code == 11232
    assert send(sinks, FS_B).code == 11232
    assert send(sinks, FS_A).code == 0
    assert send(sinks, FS_B).code == 0
    assert [a.token for a in sinks.accepted()] == ["wckey1", "fstokenA", "fstokenB"]


def test_fault_for_one_token_spares_the_others(start) -> None:
    sinks = start([FS_A, FS_B], faults=[SinkFault(platform="feishu", token="fstokenA", effect="http_500")])
    assert send(sinks, FS_B).status == 200
    assert send(sinks, FS_A).status == 500
    assert send(sinks, FS_A).status == 200


@pytest.mark.parametrize(
    ("bot", "answer"),
    [
        (WECOM, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        (DING, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
        (FS_A, {"code": 11232, "msg": "frequency limited", "data": {}}),
    ],
)
def test_throttle_answers_the_platforms_code_then_delivers(start, bot: SinkBot, answer: dict[str, Any]) -> None:
    sinks = start([bot], faults=[SinkFault(platform=bot.platform, effect="throttle", times=1)])
    first = send(sinks, bot)
    assert (first.status, first.json) == (200, answer)
    assert send(sinks, bot).code == 0  # no DingTalk 10-minute block after an injected throttle
    assert len(sinks.accepted()) == 1


def test_short_timeout_answers_late_and_drops_the_message(start) -> None:
    sinks = start([DING], faults=[SinkFault(platform="dingtalk", effect="timeout", seconds=0.2)])
    began = time.monotonic()
    late = send(sinks, DING)
    assert time.monotonic() - began >= 0.2
    assert late.code == 0
    assert sinks.accepted() == []
    assert [r.fault for r in sinks.requests()] == ["timeout"]
    assert send(sinks, DING).code == 0
    assert len(sinks.accepted()) == 1


def test_timeout_makes_the_client_time_out_and_stop_interrupts_it(start) -> None:
    sinks = start([WECOM], faults=[SinkFault(platform="wecom", effect="timeout", times=2)])  # 30 s each
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        send(sinks, WECOM, timeout=0.3)
    outcome: list[object] = []

    def patient() -> None:
        try:
            outcome.append(send(sinks, WECOM, timeout=20))
        except Exception as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=patient)
    waiter.start()
    deadline = time.monotonic() + 5
    while len(sinks.requests()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sinks.requests()) == 2  # both faults fired
    assert send(sinks, WECOM).code == 0  # the third request is served normally, while two are held
    began = time.monotonic()
    deadline = began + 3
    sinks.stop()
    waiter.join(timeout=5)
    assert time.monotonic() - began < 2
    assert not waiter.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Exception)  # dropped unanswered, not after 30 s
    assert len(sinks.accepted()) == 1
    while handler_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert handler_threads() == []  # the held handlers woke up and ended, not left sleeping 30 s
