"""serve with a backlog of notices: the passes keep their interval and /readyz stays 200 while the outbox drains in
the background at the platform's pace; a SIGTERM mid-delivery leaves the rest owed; every part arrives once."""

from __future__ import annotations

import re
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, world_from_data
from tke_orphans_testkit.sinks import ChatSinks, Received

from ..notify.conftest import FakeClock
from .conftest import WECOM, bulk_data, config_data, free_port, get, serve_process, write_yaml


def wait_for(what: str, check: Callable[[], bool], timeout: float = 120) -> None:
    """Poll a condition; the deadline only bounds a failure."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def scans(state: Path) -> int:
    with sqlite3.connect(state) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM scans").fetchone()[0])
        except sqlite3.OperationalError:  # not created yet
            return 0


def test_a_backlog_drains_beside_the_passes_and_a_sigterm_keeps_the_rest_owed(tmp_path: Path) -> None:
    clock = FakeClock(time.time())  # the bot's rate window; our pacing runs on the real clock (its ledger)
    state = tmp_path / "state.db"
    with Emulator(world_from_data(bulk_data(200))) as emu, ChatSinks([WECOM], clock=clock) as sinks:
        data = config_data(emu.url, sinks)
        data["tencentcloud"]["workers"] = 1
        cfg = write_yaml(tmp_path / "c.yaml", data)
        port = free_port()
        proc = serve_process(cfg, state, tmp_path, port)
        try:
            # WeCom takes 20 messages a minute: the 21st part waits about a minute for its turn.
            wait_for("a minute's worth of parts", lambda: len(sinks.accepted()) == 20)
            during = scans(state)
            # Within the pacing wait (about a minute): a pass needs a second or two.
            wait_for("a pass to finish while the outbox drains", lambda: scans(state) > during, timeout=45)
            assert len(sinks.accepted()) == 20  # still in the pacing wait
            assert get(f"http://127.0.0.1:{port}/readyz") == (200, "ready, delivering\n")
            history = CliRunner().invoke(app, ["history", "-c", str(cfg), "--state", str(state)])
            assert history.exit_code == 0 and "orphaned" in history.output, history.output  # the state is free
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0  # the pacing wait ends at once
            log = proc.communicate()[1]
        finally:
            if proc.poll() is None:
                proc.kill()
        assert "stopped on SIGTERM" in log, log
        with StateDB(state) as db:
            (owed,) = db.outbox.pending()
            assert len(owed.sent["wecom"]) == 20  # each accepted part recorded; the rest owed
            with db.transaction() as conn:  # a minute later, for our pacing ledger and the bot's window
                conn.execute("UPDATE sends SET at = at - 120")
        clock.sleep(120)
        result = CliRunner().invoke(app, ["scan", "-c", str(cfg), "--state", str(state)])
        assert result.exit_code == 0, result.output
        texts = [a.text for a in sinks.accepted()]
    labels = [re.search(r"[(（](\d+)/(\d+)[)）]", t) for t in texts]
    total = int(labels[0][2]) if labels[0] else 0
    assert total > 20
    assert sorted(int(m[1]) for m in labels if m) == list(range(1, total + 1))  # every part, each once
    with StateDB(state) as db:
        assert not db.outbox.pending()


def test_one_deliverer_at_a_time(tmp_path: Path) -> None:
    """While another process delivers the outbox (serve's deliverer draining a backlog), a scan by hand queues its
    notice and leaves it to that one, says so and exits 3; it is sent once, by the next delivery."""
    state = tmp_path / "state.db"
    with Emulator(world_from_data(bulk_data(0))) as emu, ChatSinks([WECOM]) as sinks:
        data = config_data(emu.url, sinks)
        data["tencentcloud"]["workers"] = 1
        cfg = write_yaml(tmp_path / "c.yaml", data)
        with StateDB(state, lock=False) as other, other.outbox.lease() as mine:
            assert mine
            busy = CliRunner().invoke(app, ["scan", "-c", str(cfg), "--state", str(state)])
        assert busy.exit_code == 3 and "another process is delivering the outbox" in busy.output, busy.output
        assert not sinks.accepted()
        after = CliRunner().invoke(app, ["scan", "-c", str(cfg), "--state", str(state)])
        assert after.exit_code == 0, after.output
        assert len(sinks.accepted()) == 2  # the notice, whole: WeCom takes it in two parts


def test_a_kill_while_a_part_is_on_the_wire_sends_that_part_again_and_no_other(tmp_path: Path) -> None:
    """The one duplicate no chat platform lets us close (none has an idempotency key): the bot accepted part 3,
    serve was killed before reading the answer. The next run sends part 3 again, and every other part once."""
    state = tmp_path / "state.db"
    arrived, release = threading.Event(), threading.Event()

    def hold_the_third_answer(received: Received, raw: bytes, accepted: bool) -> None:
        if accepted and len(sinks.accepted()) == 3:
            arrived.set()
            release.wait(120)  # the answer is not sent until the process is gone

    with (
        Emulator(world_from_data(bulk_data(40))) as emu,
        ChatSinks([WECOM], on_request=hold_the_third_answer) as sinks,
    ):
        data = config_data(emu.url, sinks)
        data["tencentcloud"]["workers"] = 1
        cfg = write_yaml(tmp_path / "c.yaml", data)
        proc = serve_process(cfg, state, tmp_path, free_port(), interval="1h")
        try:
            assert arrived.wait(120), "the third part never arrived"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
        with StateDB(state) as db:
            (owed,) = db.outbox.pending()
            assert owed.sent["wecom"] == {1, 2}  # recorded as each was accepted; the third never answered
        result = CliRunner().invoke(app, ["scan", "-c", str(cfg), "--state", str(state)])
        assert result.exit_code == 0, result.output
        texts = [a.text for a in sinks.accepted()]
    parts = [int(m[1]) for m in (re.search(r"[(（](\d+)/(\d+)[)）]", t) for t in texts) if m]
    assert len(parts) == len(texts) and max(parts) > 3
    assert sorted(parts) == sorted([*range(1, max(parts) + 1), 3])  # the third twice, every other once
