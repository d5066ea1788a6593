"""The sinks as a whole: URLs, recording, reset, keep-alive, configuration errors and the foreground runner."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tke_orphans_testkit.sinks import DEFAULT_BOTS, ChatSinks, SinkBot, SinkFault

from .conftest import T0, Clock, post

WECOM = SinkBot("wecom", "wckey1")
DING = SinkBot("dingtalk", "dttoken1", secret="SECtestsecret")
FEISHU = SinkBot("feishu", "fstoken1", secret="testsecret")
MD = {"msgtype": "markdown", "markdown": {"content": "孤儿 ins-1"}}


def test_urls_are_the_real_paths_on_a_local_host(start) -> None:
    sinks = start([WECOM, DING, FEISHU])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sinks.url)
    assert sinks.bot_url(WECOM) == f"{sinks.url}/cgi-bin/webhook/send?key=wckey1"
    assert sinks.bot_url(DING) == f"{sinks.url}/robot/send?access_token=dttoken1"
    assert sinks.bot_url(FEISHU) == f"{sinks.url}/open-apis/bot/v2/hook/fstoken1"


def test_recording_appends_accepted_messages_with_masked_tokens(start, clock: Clock, tmp_path: Path) -> None:
    record = tmp_path / "demo" / "accepted.jsonl"
    feishu = SinkBot("feishu", "fsplain")
    sinks = start([WECOM, feishu], record_path=record)
    assert post(sinks.bot_url(WECOM), MD).code == 0
    assert post(sinks.bot_url(WECOM), {"msgtype": "markdown", "markdown": {"content": ""}}).code == 44004
    clock.t = T0 + 1.5
    card = {"msg_type": "text", "content": {"text": "hi"}}
    assert post(sinks.bot_url(feishu), card).code == 0
    text = record.read_text(encoding="utf-8")
    assert "孤儿" in text  # readable in the file, not \u-escaped
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines == [
        {"platform": "wecom", "token": "wcke****", "at": T0, "body": MD},
        {"platform": "feishu", "token": "fspl****", "at": T0 + 1.5, "body": card},
    ]
    assert "wckey1" not in text and "fsplain" not in text


def test_without_record_path_nothing_is_written(start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    sinks = start([WECOM])
    assert post(sinks.bot_url(WECOM), MD).code == 0
    assert list(tmp_path.iterdir()) == []


def test_filters_and_reset(start) -> None:
    other = SinkBot("wecom", "wckey2")
    sinks = start([WECOM, other, SinkBot("feishu", "fsplain")])
    for _ in range(20):
        post(sinks.bot_url(WECOM), MD)
    post(sinks.bot_url(other), MD)
    post(sinks.bot_url(SinkBot("feishu", "fsplain")), {"msg_type": "text", "content": {"text": "x"}})
    assert post(sinks.bot_url(WECOM), MD).code == 45009
    assert len(sinks.accepted()) == 22
    assert len(sinks.accepted(platform="wecom")) == 21
    assert len(sinks.accepted(token="wckey2")) == 1
    assert len(sinks.accepted(platform="feishu", token="wckey1")) == 0
    assert [r.code for r in sinks.requests(token="wckey1")][-2:] == [0, 45009]
    assert all(r.body_bytes == len(json.dumps(MD, ensure_ascii=False).encode()) for r in sinks.requests("wecom"))
    sinks.reset()
    assert sinks.accepted() == [] and sinks.requests() == []
    assert post(sinks.bot_url(WECOM), MD).code == 0  # the rate window was forgotten too


def test_keep_alive_serves_several_requests_on_one_connection(start) -> None:
    sinks = start([WECOM])
    host, port = sinks.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        for i in range(3):
            body = json.dumps({"msgtype": "text", "text": {"content": f"m{i}"}}).encode()
            conn.request("POST", "/cgi-bin/webhook/send?key=wckey1", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            assert response.version == 11
            assert json.loads(response.read()) == {"errcode": 0, "errmsg": "ok"}
            sock = conn.sock
            assert sock is not None
            if i == 0:
                first_sock = sock
            assert sock is first_sock  # not reconnected
    finally:
        conn.close()
    assert [a.text for a in sinks.accepted()] == ["m0", "m1", "m2"]


def test_unknown_path_and_wrong_method(start) -> None:
    sinks = start([WECOM])
    missing = post(sinks.url + "/api/v2/send", MD)
    assert missing.status == 404 and "/robot/send" in missing.json["error"]
    conn = http.client.HTTPConnection(sinks.url.removeprefix("http://"), timeout=5)
    conn.request("GET", "/cgi-bin/webhook/send?key=wckey1")
    assert conn.getresponse().status == 405
    conn.close()
    assert sinks.requests() == []


@pytest.mark.parametrize(
    "make",
    [
        lambda: SinkBot("slack", "x"),  # type: ignore[arg-type]
        lambda: SinkBot("wecom", ""),
        lambda: SinkBot("wecom", "k", secret="s"),
        lambda: SinkBot("wecom", "k", keywords=("x",)),
        lambda: SinkBot("dingtalk", "k", secret=""),
        lambda: SinkFault(platform="wecom", times=0),
        lambda: SinkFault(platform="wecom", effect="reset"),  # type: ignore[arg-type]
        lambda: ChatSinks([WECOM, SinkBot("wecom", "wckey1")]),
    ],
)
def test_bad_configuration_is_refused_at_once(make: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        make()


def test_default_bots_are_one_per_platform_with_signing_where_offered() -> None:
    assert [b.platform for b in DEFAULT_BOTS] == ["wecom", "dingtalk", "feishu"]
    assert [b.secret is not None for b in DEFAULT_BOTS] == [False, True, True]
    assert all("demo" in b.token for b in DEFAULT_BOTS)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_foreground_runner_prints_urls_serves_and_stops_on_signal(tmp_path: Path, signum: int) -> None:
    record = tmp_path / "accepted.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tke_orphans_testkit.sinks", "--port", "0", "--record", str(record)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        lines = [proc.stdout.readline().split() for _ in DEFAULT_BOTS]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        assert [line[0] for line in lines] == ["wecom", "dingtalk", "feishu"]
        assert lines[0][1] == f"{base}/cgi-bin/webhook/send?key=demo-wecom-key"
        assert all(line[1].startswith(base + "/") for line in lines)
        assert post(lines[0][1], MD).code == 0
        proc.send_signal(signum)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [json.loads(line)["token"] for line in record.read_text().splitlines()] == ["demo****"]
