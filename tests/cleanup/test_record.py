"""A cleanup killed mid-run keeps its record: each mutating call is written before it is sent and its outcome as soon
as it answers; the next run looks up the calls whose outcome is not on record, records what it found and says so
before it acts. The real command as a subprocess, SIGKILLed while its call is at the emulator."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tke_orphans_testkit.sinks import ChatSinks, SinkBot

from .conftest import ORPHANS, Rig, demo_data, rig_for

DEADLINE = 60.0


def _until(what: str, done: Callable[[], bool]) -> None:
    """Poll (never a fixed sleep) until `done`, or fail after a generous deadline."""
    end = time.monotonic() + DEADLINE
    while not done():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


def _setup(rig: Rig, tmp_path: Path, data: dict[str, Any], bot_url: str = "") -> list[str]:
    """The command line of `cleanup --action terminate` for this rig, the state closed so that it can use it."""
    cred = data["credentials"][0]
    tc = {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all",
          "endpoint_url": rig.emulator.url, "retry": {"max_attempts": 2, "base_delay": 0.005}}  # fmt: skip
    cfg: dict[str, Any] = {"tencentcloud": tc}
    if bot_url:
        cfg["webhook"] = {"enabled": True, "platforms": {"wecom": {"enabled": True, "url": bot_url}}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    rig.state.close()
    return ["cleanup", "-c", str(path), "--state", str(tmp_path / "state.db"), "--min-orphan-age", "0s",
            "--action", "terminate", "--unmarked"]  # fmt: skip


def _start(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    for var in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TKE_ORPHANS_CONFIG", "TKE_ORPHANS_ENDPOINT_URL"):
        env.pop(var, None)
    return subprocess.Popen([sys.executable, "-m", "tke_orphans", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip


def _run(args: list[str], tmp_path: Path) -> tuple[int, str]:
    proc = _start(args, tmp_path)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def _kill_at_terminate(rig: Rig, args: list[str], tmp_path: Path, n: int) -> None:
    """SIGKILL the real run as soon as its `n`th TerminateInstances has reached the emulator."""
    proc = _start([*args, "--yes"], tmp_path)
    try:
        _until(f"TerminateInstances #{n} to reach the emulator", lambda: rig.calls("TerminateInstances") >= n)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -9


def _rows(tmp_path: Path, sql: str, *params: Any) -> list[sqlite3.Row]:
    with sqlite3.connect(tmp_path / "state.db") as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute(sql, params))


def _first_row(tmp_path: Path, iid: str) -> sqlite3.Row:
    return _rows(tmp_path, "SELECT outcome, detail FROM actions WHERE instance_id = ? ORDER BY id LIMIT 1", iid)[0]


def _pending(tmp_path: Path) -> set[str]:
    return {r["instance_id"] for r in _rows(tmp_path, "SELECT instance_id FROM actions WHERE outcome = 'pending'")}


def _gone(rig: Rig) -> set[str]:
    """The orphans the emulator really terminated (destroyed, or moved to the recycle bin)."""
    regions = {"ap-guangzhou": ORPHANS - {"ins-shorp001"}, "ap-shanghai": {"ins-shorp001"}}
    return {i for r, ids in regions.items() for i in ids
            if not rig.listed(r, i) or rig.instance(r, i)["InstanceState"] != "RUNNING"}  # fmt: skip


def test_a_call_carried_out_after_the_kill_is_recorded_and_told_by_the_next_run(tmp_path: Path) -> None:
    data = demo_data()
    bot = SinkBot("wecom", "wc-record")
    with rig_for(data, tmp_path) as rig, ChatSinks([bot]) as sinks:
        rig.scan()
        args = _setup(rig, tmp_path, data, sinks.bot_url(bot))
        # Guangzhou's postpaid batch answers at once; its prepaid one reaches the emulator and is carried out 4 s
        # later, whether or not anyone still listens: the run is killed in between.
        late = ["ins-gzorp002"]
        rig.faults({"action": "TerminateInstances", "params": {"InstanceIds": late}, "effect": "delay",
                    "delay_seconds": 4})  # fmt: skip
        _kill_at_terminate(rig, args, tmp_path, 2)
        _until("the emulator to carry the late call out", lambda: "ins-gzorp002" in _gone(rig))
        gone = _gone(rig)
        assert gone == ORPHANS - {"ins-shorp001"}
        # All on record though the run never saw the last answer.
        assert {r["instance_id"] for r in _rows(tmp_path, "SELECT instance_id FROM actions WHERE dry_run = 0")} == gone
        # The answered call's outcome was written as soon as it answered, not at the end of the region.
        answered = _rows(tmp_path, "SELECT instance_id, outcome, detail, request_id FROM actions WHERE outcome != ?",
                         "pending")  # fmt: skip
        assert {(r["instance_id"], r["outcome"], r["detail"]) for r in answered} == {
            ("ins-gzorp001", "done", "destroyed"), ("ins-gzorp003", "done", "destroyed")}  # fmt: skip
        assert all(r["request_id"] for r in answered)
        # The call without an answer: who, which run, which call; no outcome yet.
        pending = _rows(tmp_path, "SELECT instance_id, actor, run_id, call FROM actions WHERE outcome = 'pending'")
        assert [r["instance_id"] for r in pending] == late
        assert all(r["run_id"] and r["call"] == "cvm.TerminateInstances" and "@" in r["actor"] for r in pending)
        assert sinks.accepted() == []

        rig.faults()
        code, out = _run([*args, "--yes"], tmp_path)
        assert code == 0, out
        # Said first, before what this run did.
        assert out.index("looked up first: 1 call ") < out.index("ins-gzorp002") < out.index("ins-shorp001"), out
        row = _first_row(tmp_path, "ins-gzorp002")
        recovered = "moved to the recycle bin, as looked up after an interrupted run (cvm.TerminateInstances sent by "
        assert row["outcome"] == "done" and row["detail"].startswith(recovered), dict(row)
        for iid in gone:  # history says who returned each
            history = _run(["history", "--state", str(tmp_path / "state.db"), "-o", "json", "--instance", iid],
                           tmp_path)[1]  # fmt: skip
            events = [e["detail"] for e in json.loads(history) if e["kind"] == "action:terminate"]
            assert events[0].startswith(("done: destroyed", "done: moved to the recycle bin")), events
            assert "(by " in events[0] and "@" in events[0]
        assert _rows(tmp_path, "SELECT * FROM actions WHERE outcome = 'pending'") == []
        [message] = sinks.accepted()
        assert "ins-gzorp002" in message.text and "ins-shorp001" in message.text, message.text


def test_a_call_the_cloud_never_carried_out_is_recorded_as_not_done(tmp_path: Path) -> None:
    data = demo_data()
    with rig_for(data, tmp_path) as rig:
        rig.scan()
        args = _setup(rig, tmp_path, data)
        # The call never takes effect (no answer, nothing done): as if killed between the record and the call.
        rig.faults({"action": "TerminateInstances", "effect": "hang", "hang_seconds": 60})
        _kill_at_terminate(rig, args, tmp_path, 1)
        assert _gone(rig) == set()
        pending = _pending(tmp_path)
        assert pending and pending <= ORPHANS

        rig.faults({"action": "DescribeInstances", "code": "InternalError"})
        code, out = _run(args, tmp_path)  # a dry run looks them up too; a failed look-up decides nothing
        assert code == 3 and "outcome still unknown" in out, out
        assert _pending(tmp_path) == pending

        rig.faults()
        code, out = _run(args, tmp_path)
        assert code == 3 and out.index("looked up first: ") < out.index("DRY-RUN", out.index("DRY-RUN") + 1), out
        for iid in pending:
            row = _first_row(tmp_path, iid)
            assert row["outcome"] == "failed" and row["detail"].startswith("not done: it is still there (RUNNING)")
        assert _rows(tmp_path, "SELECT * FROM actions WHERE outcome = 'pending'") == []
