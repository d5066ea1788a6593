"""Ctrl-C during a scan: said at once on stderr with what is kept, over soon even with a call hanging, exit 130, no
traceback, nothing of the scan recorded; a second Ctrl-C ends it at once.

The real command as a subprocess in a session of its own, as a shell runs it, and the signal sent to its whole
process group, as a terminal does: the worker processes and their fork server get it too. One listing hangs for far
longer than the process may take to stop, so an in-flight call is cut short rather than waited for. The bounds are
generous (the machine is shared); what they tell apart is "stops at once" from "waits for the hanging call".
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tke_orphans.cli import app, stop
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, World
from tke_orphans_testkit.sinks import ChatSinks, SinkBot, SinkFault

from .conftest import write_config

HANG = 30.0  # each DescribeInstances answer takes this long (request_timeout is 20 s: the call is in flight)
BOUND = 10.0  # the process must be gone this long after Ctrl-C: a third of the hang, far above the 2 s aimed at


class Run:
    """A command started in its own session, its stderr read line by line as it comes."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tke_orphans", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True, env={**os.environ, "HOME": str(cwd)},
        )  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def ctrl_c(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)  # as a terminal: the whole foreground group

    def wait_for_line(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            time.sleep(0.02)
        return False

    def gone_within(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        self._reader.join(timeout=5)
        return True

    def group_gone_within(self, timeout: float) -> bool:
        """No process of the command's group is left running: its worker processes and their fork server too."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not running_in_group(self.proc.pid):
                return True
            time.sleep(0.05)
        return False

    def said_only_stopping(self) -> bool:
        """One line on stderr, the stopping line: no traceback, no warning, no second line."""
        return len([line for line in self.lines if line]) == 1 and "stopping (Ctrl-C)" in self.lines[0]

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def started(args: list[str], cwd: Path, ready: Callable[[], bool]) -> Iterator[Run]:
    """The command, once `ready()` (a call is in flight); killed with its group if a test left it running."""
    run = Run(args, cwd)
    try:
        deadline = time.monotonic() + 120  # the start of a cold interpreter on a busy machine
        while not ready():
            assert run.proc.poll() is None, run.stderr
            assert time.monotonic() < deadline, "the command never got that far"
            time.sleep(0.05)
        yield run
    finally:  # whatever of the group a failing test left (worker processes too) goes with it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.proc.pid, signal.SIGKILL)
        run.proc.wait()


@contextmanager
def hanging(world: World, tmp_path: Path, workers: int, command: str = "scan") -> Iterator[Run]:
    """`command` running against the emulator, once every region's DescribeInstances call hangs in flight."""
    plan = FaultPlan.from_data({"faults": [{"action": "DescribeInstances", "effect": "hang", "hang_seconds": HANG}]})
    with Emulator(world, faults=plan) as emu:
        cfg = write_config(tmp_path / "config.yaml", world, emu.url, tencentcloud={"workers": workers})
        args = [command, "-c", str(cfg)] + (["--state", str(tmp_path / "state.db")] if command == "scan" else [])
        listings = 2 if command == "scan" else 1  # every region's at once (doctor: one after another)
        with started(args, tmp_path, lambda: in_flight(emu) >= listings) as run:
            yield run


def running_in_group(pgid: int) -> list[int]:
    """The processes of a group that are not zombies (a zombie waits for its reaper, which may be slow to come)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def in_flight(emu: Emulator) -> int:
    rows = emu.stats.snapshot()["actions"]
    return sum(r["calls"] for r in rows if r["action"] == "DescribeInstances")


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_says_what_is_kept_and_stops_at_once(world: World, tmp_path: Path, workers: int) -> None:
    with hanging(world, tmp_path, workers) as run:
        run.ctrl_c()
        stopped = time.monotonic()
        assert run.wait_for_line("stopping", BOUND), run.stderr
        said = time.monotonic() - stopped
        assert run.gone_within(BOUND - said), f"still running {BOUND:.0f}s after Ctrl-C: {run.stderr}"
        assert run.group_gone_within(BOUND), "a worker process outlived the scan"
    assert run.proc.returncode == 130
    line = next(line for line in run.lines if "stopping" in line)
    assert "nothing of this scan is recorded" in line and "notices not yet sent stay owed" in line, line
    assert "Ctrl-C again" in line, line
    assert run.said_only_stopping(), run.stderr
    assert run.proc.stdout is not None and run.proc.stdout.read() == ""  # no half result on stdout
    with StateDB(tmp_path / "state.db") as db:  # usable, unlocked, and holding no scan
        assert db.scans.recent() == []
        assert db.orphans.open() == []


@pytest.mark.parametrize("workers", [1, 2])
def test_a_second_ctrl_c_ends_it_at_once(world: World, tmp_path: Path, workers: int) -> None:
    with hanging(world, tmp_path, workers) as run:
        run.ctrl_c()
        assert run.wait_for_line("stopping", BOUND), run.stderr
        run.ctrl_c()
        assert run.gone_within(BOUND), f"still running {BOUND:.0f}s after two Ctrl-C: {run.stderr}"
    assert run.proc.returncode == 130
    assert run.said_only_stopping(), run.stderr
    with StateDB(tmp_path / "state.db") as db:
        assert db.scans.recent() == []


def test_ctrl_c_reaching_an_idle_worker_prints_no_traceback(world: World, tmp_path: Path) -> None:
    """Two worker processes: one has done its region and waits for work, the other's call hangs. A terminal's Ctrl-C
    reaches both; the idle one must not die of it with a traceback (the parent stops the workers)."""
    plan = FaultPlan.from_data({"faults": [{"action": "DescribeInstances", "region": "ap-shanghai", "effect": "hang",
                                            "hang_seconds": HANG}]})  # fmt: skip

    def called(emu: Emulator, action: str, region: str) -> bool:
        return any(r["action"] == action and r["region"] == region for r in emu.stats.snapshot()["actions"])

    with Emulator(world, faults=plan) as emu:
        cfg = write_config(tmp_path / "config.yaml", world, emu.url, tencentcloud={"workers": 2})
        args = ["scan", "-c", str(cfg), "--state", str(tmp_path / "state.db")]

        def ready() -> bool:  # Guangzhou's last call is TKE's look at its would-be orphans; then its worker waits
            return called(emu, "DescribeInstances", "ap-shanghai") and called(
                emu, "DescribeExistedInstances", "ap-guangzhou"
            )

        with started(args, tmp_path, ready) as run:
            time.sleep(1)
            run.ctrl_c()
            assert run.gone_within(BOUND), f"still running {BOUND:.0f}s after Ctrl-C: {run.stderr}"
    assert run.proc.returncode == 130
    assert run.said_only_stopping(), run.stderr


def test_ctrl_c_while_telling_keeps_the_scan_and_owes_its_notice(world: World, tmp_path: Path) -> None:
    """Once the scan is recorded, only the delivery is stopped: the line says so, and the notice stays owed."""
    bot = SinkBot("wecom", "wc-ctrl-c")
    slow = SinkFault("wecom", effect="timeout", seconds=HANG, times=100)
    with Emulator(world) as emu, ChatSinks([bot], faults=[slow]) as sinks:
        webhook = {"enabled": True, "platforms": {"wecom": {"enabled": True, "url": sinks.bot_url(bot)}}}
        cfg = write_config(tmp_path / "config.yaml", world, emu.url, webhook=webhook)
        args = ["scan", "-c", str(cfg), "--state", str(tmp_path / "state.db")]
        with started(args, tmp_path, lambda: bool(sinks.requests())) as run:
            run.ctrl_c()
            assert run.wait_for_line("stopping", BOUND), run.stderr
            assert run.gone_within(BOUND), f"still running {BOUND:.0f}s after Ctrl-C: {run.stderr}"
    assert run.proc.returncode == 130
    assert run.said_only_stopping(), run.stderr
    line = run.lines[0]
    assert line.startswith("stopping (Ctrl-C): this scan is recorded") and "not yet sent stay owed" in line, line
    with StateDB(tmp_path / "state.db") as db:
        assert len(db.scans.recent()) == 1 and len(db.orphans.open()) == 4
        [owed] = db.outbox.pending()  # the next run sends it
        assert owed.notice["kind"] == "new"


def test_ctrl_c_in_doctor_ends_it_without_a_traceback(world: World, tmp_path: Path) -> None:
    with hanging(world, tmp_path, 1, command="doctor") as run:
        run.ctrl_c()
        assert run.wait_for_line("stopping", BOUND), run.stderr
        assert run.gone_within(BOUND), f"still running {BOUND:.0f}s after Ctrl-C: {run.stderr}"
    assert run.proc.returncode == 130
    assert run.said_only_stopping(), run.stderr


def test_ctrl_c_cancels_the_scan_and_not_only_the_process(
    runner: CliRunner, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, with the forced exit made harmless: the hanging calls answer after the Ctrl-C, so the scan could
    still finish and be recorded within the grace. The cancel is what drops it: nothing recorded, exit 130."""
    left: list[bool] = []
    monkeypatch.setattr(stop, "leave", lambda: left.append(True))
    plan = FaultPlan.from_data({"faults": [{"action": "DescribeInstances", "effect": "hang", "hang_seconds": 2,
                                            "times": 2}]})  # fmt: skip
    with Emulator(world, faults=plan) as emu:
        cfg = write_config(tmp_path / "config.yaml", world, emu.url, tencentcloud={"workers": 1})

        def ctrl_c_once_in_flight() -> None:
            deadline = time.monotonic() + 60
            while in_flight(emu) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            os.kill(os.getpid(), signal.SIGINT)  # the command's handler is in place: it is mid-scan

        threading.Thread(target=ctrl_c_once_in_flight, daemon=True).start()
        result = runner.invoke(app, ["scan", "-c", str(cfg), "--state", str(tmp_path / "state.db")])
    deadline = time.monotonic() + 30
    while not left and time.monotonic() < deadline:  # the grace's timer has run before the patch is undone
        time.sleep(0.05)
    assert left, "no forced exit was armed"
    assert result.exit_code == 130, result.output
    assert "stopping (Ctrl-C): nothing of this scan is recorded" in result.stderr
    with StateDB(tmp_path / "state.db") as db:
        assert db.scans.recent() == []
