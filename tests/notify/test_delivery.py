"""How deliveries behave: retries, refusals with hints, isolation, pacing across runs, masking, other channels."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import math
import re
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans.config import config_from_data
from tke_orphans.model import ActionLine, Cost, Leftover
from tke_orphans.notify import Notice
from tke_orphans.notify.generic import GenericWebhook
from tke_orphans.notify.model import BotSpec
from tke_orphans.records import notice_to_dict
from tke_orphans.render.json import dumps
from tke_orphans.routing import split
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, world_from_data
from tke_orphans_testkit.sinks import ChatSinks, SinkBot, SinkFault

from ..serve.conftest import DEMO, bulk_data, config_data, write_yaml
from ..state.conftest import rig_for
from .conftest import BOTS, FEISHU, NOW, WECOM, FakeClock, deliver, notice, orphan, result_with, webhook_config


def test_throttling_and_server_errors_are_retried(clock: FakeClock) -> None:
    faults = [
        SinkFault(platform="wecom", token=None, effect="throttle", times=2),
        SinkFault(platform="dingtalk", token=None, effect="http_500", times=1),
        SinkFault(platform="feishu", token=None, effect="throttle", times=1),
    ]
    with ChatSinks(BOTS, clock=clock, faults=faults) as s:
        deliveries = {d.channel: d for d in deliver(webhook_config(s), notice(2), clock)}
        assert all(d.ok for d in deliveries.values())
        assert (deliveries["wecom"].attempts, deliveries["dingtalk"].attempts, deliveries["feishu"].attempts) == (
            3,
            2,
            2,
        )
        assert len(s.accepted()) == 3


def test_bad_key_is_reported_with_a_hint_and_not_retried(sinks: ChatSinks, clock: FakeClock) -> None:
    wrong = SinkBot("wecom", "not-the-key")
    bad_dt = SinkBot("dingtalk", "dt-token-1", secret="wrong-secret")
    cfg = webhook_config(sinks, bots=[wrong, bad_dt, FEISHU])
    deliveries = {d.channel: d for d in deliver(cfg, notice(1), clock)}
    assert deliveries["wecom"].ok is False
    assert (deliveries["wecom"].code, deliveries["wecom"].attempts) == ("93000", 1)
    assert "webhook key" in deliveries["wecom"].hint
    assert deliveries["dingtalk"].code == "310000" and "secret" in deliveries["dingtalk"].hint
    assert deliveries["feishu"].ok  # one failing bot does not stop the others
    assert len(sinks.requests(platform="wecom")) == 1


def test_one_bot_down_while_the_others_deliver(clock: FakeClock) -> None:
    faults = [SinkFault(platform="feishu", token=None, effect="http_500", times=100)]
    with ChatSinks(BOTS, clock=clock, faults=faults) as s:
        deliveries = {d.channel: d for d in deliver(webhook_config(s), notice(1), clock)}
        assert deliveries["wecom"].ok and deliveries["dingtalk"].ok
        assert not deliveries["feishu"].ok and deliveries["feishu"].code == "HTTP 500"
        assert deliveries["feishu"].attempts == 4


def test_pacing_holds_across_runs(tmp_path: Path, clock: FakeClock) -> None:
    """Two runs of 15 WeCom messages each, one minute's budget is 20: the second run waits instead of failing."""
    with ChatSinks([WECOM], clock=clock) as s, StateDB(tmp_path / "state.db") as db:
        cfg = webhook_config(s, bots=[WECOM])
        start = clock()
        for _ in range(2):
            for _ in range(15):
                assert all(d.ok for d in deliver(cfg, notice(1), clock, ledger=db.sends))
        answers = [r.answer.get("errcode") for r in s.requests(platform="wecom")]
        assert answers == [0] * 30
        assert clock() - start >= 60  # the clock had to move past the first minute
        [key] = _keys(db)
        assert len(db.sends.recent_sends(key, start - 1)) == 30


def _keys(db: StateDB) -> list[str]:
    return [row["bot"] for row in db.query("SELECT DISTINCT bot FROM sends")]


def test_secrets_are_masked_in_failures_and_logs(
    sinks: ChatSinks, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = SinkBot("wecom", "super-secret-key-123")
    caplog.set_level(logging.DEBUG)
    deliveries = deliver(webhook_config(sinks, bots=[wrong]), notice(1), clock)
    assert not deliveries[0].ok
    assert "super-secret-key-123" not in caplog.text
    assert "super-secret-key-123" not in deliveries[0].describe()
    assert "key=****" in caplog.text


class _Capture(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(self.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def capture() -> Iterator[tuple[str, type[_Capture]]]:
    handler = type("Handler", (_Capture,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_generic_webhook_posts_the_signed_scan_result(capture: tuple[str, type[_Capture]], clock: FakeClock) -> None:
    url, handler = capture
    cfg = config_from_data(
        {"webhook": {"enabled": True, "generic": [{"name": "siem", "url": f"{url}/hook", "secret": "s3cret"}]}}
    )
    n = notice(2)
    n = Notice(kind="new", scanned_at=NOW, findings=n.findings, result=result_with(n.findings))
    deliveries = deliver(cfg, n, clock)
    assert [(d.channel, d.ok) for d in deliveries] == [("generic:siem", True)]
    headers, body = handler.received[0]
    doc = json.loads(body)
    assert doc["schema_version"] == 1 and doc["event"] == "new"
    assert [o["instance_id"] for o in doc["orphans"]] == ["ins-00000000", "ins-00000001"]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["x-tke-orphans-signature"] == expected


def test_a_routed_generic_webhook_gets_its_routes_share_only(
    capture: tuple[str, type[_Capture]], clock: FakeClock
) -> None:
    """A scan result is every team's: a generic webhook in a route receives the findings of that route only."""
    url, handler = capture
    routes = [{"name": "sh", "match": {"regions": ["ap-shanghai"]}, "bots": ["generic:siem"]}]
    cfg = config_from_data({"webhook": {"enabled": True, "routes": routes,
                                        "generic": [{"name": "siem", "url": f"{url}/hook"}]}})  # fmt: skip
    found = (orphan(1), dataclasses.replace(orphan(2), region="ap-shanghai"))
    whole = Notice(kind="new", scanned_at=NOW, findings=found, result=result_with(found))
    routed = split(whole, cfg.webhook.routes, {})
    assert [n.route for n in routed] == ["default", "sh"]
    for n in routed:
        deliver(cfg, n, clock)
    [(_, body)] = handler.received
    assert [o["instance_id"] for o in json.loads(body)["orphans"]] == ["ins-00000002"]


def test_generic_webhook_carries_the_leftovers_with_the_orphans(
    capture: tuple[str, type[_Capture]], clock: FakeClock
) -> None:
    """A notice of leftovers only posts the scan result's leftovers (the reused CLB marked) and their summary."""
    url, handler = capture
    cfg = config_from_data({"webhook": {"enabled": True, "generic": [{"name": "siem", "url": f"{url}/hook"}]}})
    made = Leftover("default", "ap-guangzhou", "eip", "eip-1", "", "cls-gone", ("tag",), "UNBIND", NOW)
    reused = dataclasses.replace(made, kind="clb", resource_id="lb-9", reused=True)
    result = dataclasses.replace(result_with(()), leftovers=(made, reused))
    deliveries = deliver(cfg, Notice(kind="new", scanned_at=NOW, findings=(made,), result=result), clock)
    assert [(d.channel, d.ok) for d in deliveries] == [("generic:siem", True)]
    doc = json.loads(handler.received[0][1])
    assert [(x["resource_id"], x["kind"], x["reused"]) for x in doc["leftovers"]] == [
        ("eip-1", "eip", False),
        ("lb-9", "clb", True),
    ]
    assert doc["summary"]["leftovers"] == {"total": 1, "by_kind": {"eip": 1}, "by_region": {"ap-guangzhou": 1},
                                           "reused": 1}  # fmt: skip


def _refuse(token: str) -> None:
    raise ValueError(f"{token} is not JSON")


def test_generic_webhook_wasted_is_known_only_from_a_first_seen_time(
    capture: tuple[str, type[_Capture]], clock: FakeClock
) -> None:
    """`wasted` needs the time an orphan was first seen (the state's): the body has it where known, null where
    not (never 0), and the summary sums the known ones only."""
    url, handler = capture
    cfg = config_from_data({"webhook": {"enabled": True, "generic": [{"name": "siem", "url": f"{url}/hook"}]}})
    cost = Cost("CNY", 0.5, 365.0, "inquiry", "quoted")
    seen, unseen = (dataclasses.replace(orphan(n), cost=cost) for n in (1, 2))
    result = result_with((seen, unseen))
    first = {seen.instance.instance_id: NOW - timedelta(hours=10)}
    for first_seen in (first, {}):
        n = Notice(kind="new", scanned_at=NOW, findings=result.orphans, result=result, first_seen=first_seen)
        assert [d.ok for d in deliver(cfg, n, clock)] == [True]
    known, none = (json.loads(body, parse_constant=_refuse) for _, body in handler.received)
    assert {o["instance_id"]: o["cost"]["wasted"] for o in known["orphans"]} == {
        seen.instance.instance_id: 5.0,
        unseen.instance.instance_id: None,
    }
    assert known["summary"]["cost"]["wasted"] == 5.0
    assert [o["cost"]["wasted"] for o in none["orphans"]] == [None, None]
    assert none["summary"]["cost"]["wasted"] is None and none["summary"]["cost"]["monthly"] == 730.0


def test_generic_webhook_never_sends_nan(capture: tuple[str, type[_Capture]]) -> None:
    """A figure that is no number (prices are checked where they are read: only a bug gets one this far) stops the
    body from being made, rather than going out as the bare NaN strict parsers refuse."""
    url, handler = capture
    bad = dataclasses.replace(orphan(1), cost=Cost("CNY", math.nan, math.inf, "inquiry", "a bug"))
    hook = GenericWebhook(BotSpec("generic", "siem", f"{url}/hook"), httpx.Client())
    with pytest.raises(ValueError, match="JSON compliant"):
        hook.send(Notice(kind="new", scanned_at=NOW, findings=(bad,), result=result_with((bad,))))
    assert handler.received == []
    with pytest.raises(ValueError, match="JSON compliant"):
        dumps({"monthly": math.nan})


def test_apprise_channel(capture: tuple[str, type[_Capture]], clock: FakeClock) -> None:
    url, handler = capture
    target = url.replace("http://", "json://") + "/apprise"
    cfg = config_from_data({"webhook": {"enabled": True, "language": "en", "apprise": {"urls": [target]}}})
    deliveries = deliver(cfg, notice(2), clock)
    assert [(d.channel, d.ok) for d in deliveries] == [("apprise", True)]
    doc = json.loads(handler.received[0][1])
    assert "orphaned CVM instance(s) found" in doc["title"]
    assert "ins-00000001" in doc["message"]


def test_dingtalk_keywords_robot(clock: FakeClock) -> None:
    keyword_bot = SinkBot("dingtalk", "dt-kw", keywords=("孤儿",))
    with ChatSinks([keyword_bot], clock=clock) as s:
        deliveries = deliver(webhook_config(s, bots=[keyword_bot]), notice(1), clock)
        assert deliveries[0].ok  # the Chinese title carries the keyword


def test_a_bot_stops_after_a_part_that_cannot_succeed(sinks: ChatSinks, clock: FakeClock) -> None:
    wrong = SinkBot("wecom", "not-the-key-2")
    deliveries = deliver(webhook_config(sinks, bots=[wrong]), notice(300), clock)
    assert len(deliveries) > 2
    assert deliveries[0].code == "93000"
    assert all(d.code == "not sent" and d.attempts == 0 for d in deliveries[1:])
    assert len(sinks.requests(platform="wecom")) == 1  # one refused request, not one per part


@pytest.mark.parametrize(("status", "attempts", "code"), [(400, 1, "HTTP 400"), (503, 3, "HTTP 503")])
def test_generic_webhook_retries_server_errors_only(
    capture: tuple[str, type[_Capture]], clock: FakeClock, status: int, attempts: int, code: str
) -> None:
    url, handler = capture
    handler.status = status
    cfg = config_from_data(
        {"webhook": {"enabled": True, "max_attempts": 3, "generic": [{"name": "siem", "url": f"{url}/hook"}]}}
    )
    n = notice(1)
    (d,) = deliver(cfg, Notice(kind="new", scanned_at=NOW, findings=n.findings, result=result_with(n.findings)), clock)
    assert (d.ok, d.attempts, d.code) == (False, attempts, code)
    assert len(handler.received) == attempts


def test_generic_webhook_network_failure_is_a_failed_delivery(clock: FakeClock) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = config_from_data(
        {"webhook": {"enabled": True, "max_attempts": 2,
                     "generic": [{"name": "siem", "url": f"http://127.0.0.1:{port}/hook"}]}}
    )  # fmt: skip
    n = notice(1)
    (d,) = deliver(cfg, Notice(kind="new", scanned_at=NOW, findings=n.findings, result=result_with(n.findings)), clock)
    assert (d.ok, d.attempts, d.code) == (False, 2, "network")


def test_a_bot_refusing_for_good_is_tried_once_a_run_and_never_paced(tmp_path: Path) -> None:
    """A revoked WeCom key (93000), a new-orphans notice of many parts and a notice owed from before: each run sends
    one request (the channel stops after the first refusal), keeps both notices owed, never waits for a pacing turn
    (a refused send takes nothing from the bot's minute, so the ledger holds none), and exits 3 with the hint once."""
    revoked = SinkBot("wecom", "wc-revoked-key")
    state = tmp_path / "state.db"
    with StateDB(state) as db:  # a cleanup notice a previous run could not deliver
        line = ActionLine("default", "ap-guangzhou", "ins-old00001", "old", "mark", "done", "marked")
        db.outbox.enqueue("cleanup", notice_to_dict(Notice("cleanup", NOW, actions=(line,))))
    with Emulator(world_from_data(bulk_data(60))) as emu, ChatSinks([]) as sinks:
        data = config_data(emu.url)
        data["tencentcloud"]["workers"] = 1
        data["webhook"] = {"enabled": True, "platforms": {"wecom": {"enabled": True, "url": sinks.bot_url(revoked)}}}
        cfg = write_yaml(tmp_path / "c.yaml", data)
        for run in range(1, 4):
            result = CliRunner().invoke(app, ["scan", "-c", str(cfg), "--state", str(state)])
            assert result.exit_code == 3, result.output
            assert len(sinks.requests(platform="wecom")) == run  # one request a run, whatever is owed
            assert result.output.count("check the WeCom robot's webhook key") == 1
            with StateDB(state) as db:
                assert db.query("SELECT count(*) AS n FROM sends")[0]["n"] == 0  # nothing to wait for
                owed = db.outbox.pending()
                assert len(owed) == 2 and all(e.attempts == run for e in owed)  # still owed, counted to give-up
            assert max(int(n) for n in re.findall(r"wecom \(\d+/(\d+)\)", result.output)) > 5  # many parts
    assert {r.code for r in sinks.requests()} == {93000}


@pytest.mark.parametrize("off", [{"enabled": False}, {"enabled": True, "platforms": {}}])
def test_nothing_is_queued_or_told_while_no_bot_is_enabled(tmp_path: Path, off: dict[str, Any]) -> None:
    """Runs without a bot (webhook off, or on with none enabled) record what they see but queue nothing and mark
    nothing as told: the first run with a bot announces every orphan and the failed listing as new."""
    fault = {"action": "DescribeClusterInstances", "params": {"ClusterId": "cls-opsgz002"}, "code": "InternalError"}
    with rig_for(yaml.safe_load(DEMO.read_text(encoding="utf-8")), tmp_path, faults=[fault]) as rig:
        told = rig.config
        rig.config = told.model_copy(update={"webhook": told.webhook.model_validate(off)})
        for _ in range(2):
            assert rig.run().result.orphans
        assert rig.state.query("SELECT count(*) AS n FROM outbox")[0]["n"] == 0
        assert rig.state.query("SELECT count(*) AS n FROM orphans WHERE last_notified IS NOT NULL")[0]["n"] == 0
        assert not rig.state.issues.told()
        rig.config = told
        job = rig.run()
        assert [n.kind for n in job.notices] == ["new"] and len(job.notices[0].findings) == 4
        assert job.notices[0].errors  # the failed listing, never told before
        (text,) = rig.texts()
        assert all(i in text for i in ("ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"))
