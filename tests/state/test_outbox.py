"""The outbox keeps its promise: every part accepted is recorded at once and never sent again, even when the process
is killed mid-delivery; a stop during a pacing wait ends at once; a bot that keeps refusing gets no backlog."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from tke_orphans.config import config_from_data
from tke_orphans.delivery import deliver_outbox
from tke_orphans.serve.metrics import Metrics
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, world_from_data
from tke_orphans_testkit.sinks import ChatSinks, SinkBot, SinkFault

from .conftest import FAST, make_config, rig_for

WECOM = SinkBot("wecom", "wc-outbox")
DING = SinkBot("dingtalk", "dt-outbox", secret="dt-secret")
FEISHU = SinkBot("feishu", "fs-outbox", secret="fs-secret")
LONG = 120.0  # far longer than any test waits for: if we wait this long, the promise is broken


def wait_for(what: str, check: Callable[[], bool], timeout: float = LONG) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def write_config(path: Path, data: dict[str, Any], emu: Emulator, sinks: ChatSinks, **webhook: Any) -> Path:
    cred = data["credentials"][0]
    platforms = {
        "wecom": {"enabled": True, "url": sinks.bot_url(WECOM)},
        "dingtalk": {"enabled": True, "url": sinks.bot_url(DING), "secret": DING.secret},
        "feishu": {"enabled": True, "url": sinks.bot_url(FEISHU), "secret": FEISHU.secret},
    }
    cfg = {
        "tencentcloud": {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all",
                         "endpoint_url": emu.url, "retry": FAST},
        "webhook": {"enabled": True, "platforms": platforms, **webhook},
    }  # fmt: skip
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def tke_orphans(*args: str, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tke_orphans", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "HOME": str(home)},
    )  # fmt: skip


def parts_recorded(state: Path) -> set[str]:
    if not state.exists():
        return set()
    with sqlite3.connect(state) as conn:
        try:
            return {row[0] for row in conn.execute("SELECT channel FROM outbox_parts")}
        except sqlite3.OperationalError:  # not created yet
            return set()


def test_a_kill_mid_delivery_sends_each_part_once(demo_data: dict[str, Any], tmp_path: Path) -> None:
    """SIGKILL after WeCom and DingTalk accepted, while Feishu has not answered: the next run sends Feishu only."""
    world = world_from_data(demo_data)
    hold = SinkFault("feishu", effect="timeout", seconds=LONG, times=1)
    state = tmp_path / "state.db"
    with Emulator(world) as emu, ChatSinks([WECOM, DING, FEISHU], faults=[hold]) as sinks:
        cfg = write_config(tmp_path / "c.yaml", demo_data, emu, sinks, timeout=LONG)
        first = tke_orphans("scan", "-c", str(cfg), "--state", str(state), home=tmp_path)
        try:
            wait_for("WeCom and DingTalk recorded", lambda: {"wecom", "dingtalk"} <= parts_recorded(state))
            assert first.poll() is None  # still waiting for Feishu
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            if first.poll() is None:
                first.kill()
        assert not sinks.accepted(platform="feishu")
        second = tke_orphans("scan", "-c", str(cfg), "--state", str(state), home=tmp_path)
        _, err = second.communicate(timeout=LONG)
        assert second.returncode == 0, err
        counts = {p: len(sinks.accepted(platform=p)) for p in ("wecom", "dingtalk", "feishu")}
    assert counts == {"wecom": 2, "dingtalk": 1, "feishu": 1}  # WeCom's notice in two parts, each once
    with StateDB(state) as db:
        assert not db.outbox.pending()


def test_sigterm_during_a_pacing_wait_stops_at_once_and_keeps_the_notice_owed(
    demo_data: dict[str, Any], tmp_path: Path
) -> None:
    world = world_from_data(demo_data)
    state = tmp_path / "state.db"
    with Emulator(world) as emu, ChatSinks([WECOM]) as sinks:
        cfg = write_config(tmp_path / "c.yaml", demo_data, emu, sinks)
        data = yaml.safe_load(cfg.read_text(encoding="utf-8"))
        data["webhook"]["platforms"] = {"wecom": data["webhook"]["platforms"]["wecom"]}
        cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
        # The bot's minute is used up (by the previous run, as the ledger says): the next message waits ~60 s.
        bot = "wecom:" + hashlib.sha256(sinks.bot_url(WECOM).encode()).hexdigest()[:16]
        with StateDB(state) as db:
            now = time.time()
            for i in range(20):
                db.sends.record_send(bot, now - i * 0.1)
        proc = tke_orphans("serve", "-c", str(cfg), "--state", str(state), "--interval", "1h",
                           "--listen", "127.0.0.1:0", home=tmp_path)  # fmt: skip
        lines: list[str] = []
        assert proc.stderr is not None
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
        reader.start()
        try:
            wait_for("the pacing wait", lambda: any("waiting" in line and "rate limit" in line for line in lines))
            stopped_at = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=LONG) == 0
            took = time.monotonic() - stopped_at
        finally:
            if proc.poll() is None:
                proc.kill()
        assert not sinks.accepted()
    assert took < 20, f"SIGTERM took {took:.0f}s: a pacing wait did not wake"
    with StateDB(state) as db:
        (entry,) = db.outbox.pending()
        assert entry.attempts == 0 and not entry.sent  # owed whole, and a stop is no failed attempt


def test_a_refusing_bot_gets_no_backlog(demo_data: dict[str, Any], tmp_path: Path) -> None:
    """A revoked key: digests supersede each other, other notices are given up after `max_attempts`, told once;
    once the key is fixed the group gets the latest digest only."""
    revoked = SinkBot("wecom", "wc-revoked")
    with rig_for(demo_data, tmp_path, outbox={"max_attempts": 3}) as rig:
        good = rig.config
        platforms = {"wecom": {"enabled": True, "url": rig.sinks.bot_url(revoked)}}
        rig.config = make_config(demo_data, rig.emulator.url, rig.sinks, platforms=platforms, max_attempts=1,
                                 outbox={"max_attempts": 3})  # fmt: skip
        day = timedelta(hours=25)
        first = rig.run()  # the new orphans: refused
        assert [d.code for d in first.deliveries] == ["93000"]
        rig.run(advance=day)  # a digest, refused; the new-orphans notice refused again
        rig.run(advance=day)  # a newer digest supersedes the first; new-orphans: third refusal
        fourth = rig.run()
        gave_up = [d for d in fourth.deliveries if d.code == "gave_up"]
        assert len(gave_up) == 1 and "3 attempt(s)" in gave_up[0].message
        metrics = Metrics()
        metrics.observe(fourth, 1.0, time.time())
        assert (
            metrics.registry.get_sample_value(
                "tke_orphans_notifications_total", {"platform": "outbox", "outcome": "gave_up"}
            )
            == 1
        )
        kinds = [e["kind"] for e in rig.state.events.read()]
        assert kinds.count("notice_superseded") == 1 and kinds.count("notice_dead") == 1
        assert rig.state.outbox.dead_letters() == 1
        rig.config = good
        fixed = rig.run()
        # The gave-up notice was told once, and is not sent now; (Feishu, new in this config, gets the digest too.)
        assert [(d.channel, d.ok) for d in fixed.deliveries] == [("wecom", True), ("feishu", True)]
        texts = rig.texts()
        assert len(texts) == 1 and "仍有" in texts[0]  # the latest digest, and nothing else
        assert not rig.state.outbox.pending()


def test_notices_queued_before_one_notice_shape_still_deliver(tmp_path: Path) -> None:
    """An upgrade finds notices of the old shape in the outbox (orphans and leftovers apart, resolved and
    resolved_leftovers apart), up to webhook.outbox.max_age old: each delivers, telling every finding it held, in
    its sections. The fixture is what the version before wrote (tests/fixtures/outbox-notices-v1.json)."""
    old = json.loads((Path(__file__).parent.parent / "fixtures" / "outbox-notices-v1.json").read_text("utf-8"))
    with ChatSinks([WECOM]) as sinks, StateDB(tmp_path / "s.db") as state:
        for notice in old["notices"]:
            state.outbox.enqueue(notice["kind"], notice)
        platforms = {"wecom": {"enabled": True, "url": sinks.bot_url(WECOM)}}
        cfg = config_from_data({"webhook": {"enabled": True, "platforms": platforms}}, "test-config")
        deliveries = deliver_outbox(state, cfg, None, None)
        assert [d.ok for d in deliveries] == [True, True] and not state.outbox.pending()
        new, resolved = [a.text for a in sinks.accepted(platform="wecom")]
    assert "2 个孤儿 CVM 实例" in new and "1 个已删除集群遗留的孤儿资源" in new
    assert all(i in new for i in ("ins-00000001", "ins-00000002", "disk-old00001", "lb-old00001"))
    assert "tke-orphans cleanup --kind cbs_disk --only disk-old00001" in new
    assert "ins-00000003" in resolved and "已重新加入集群 cls-live0001" in resolved
    assert "disk-old00001" in resolved and "已删除，遗留了 3天" in resolved
