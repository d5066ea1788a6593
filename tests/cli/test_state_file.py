"""A state file that cannot be used, as a user's shell runs the command: one sentence naming the file (and the
table, row or flag) and what to do, exit 2, no traceback, nothing stored changed, and no API call wasted: what the
scan will write is checked before the first call (issue 21, item 7; issue 20, item 6)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, World

from .conftest import write_config
from .test_bad_input import GOOD, _as_unprivileged, _snapshot, assert_clear_usage_error, cli

Runner = Callable[[], "subprocess.CompletedProcess[str]"]
SCAN = ["scan", "-c", "c.yaml", "--no-notify", "-o", "json"]


def calls(emulator: Emulator) -> int:
    return int(emulator.stats.snapshot()["totals"]["calls"])


@pytest.fixture
def scanned(tmp_path: Path, world: World, emulator: Emulator) -> Path:
    """A real state: one scan of the demo world (four orphans) recorded in data/s.db."""
    write_config(tmp_path / "c.yaml", world, emulator.url)
    (tmp_path / "data").mkdir()
    proc = cli([*SCAN, "--state", "data/s.db"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "data" / "s.db"


def _refused_before_any_call(tmp_path: Path, emulator: Emulator, *names: str, run: Runner | None = None) -> None:
    data = tmp_path / "data"
    before, start = _snapshot(data), calls(emulator)
    proc = (run or (lambda: cli([*SCAN, "--state", "data/s.db"], tmp_path)))()
    assert_clear_usage_error(proc, "data/s.db", *names)
    assert calls(emulator) == start, "the state is checked before the first API call"
    after = _snapshot(data)
    for files in (before, after):
        files.pop("s.db.lock", None)  # names its holder: taking the lock rewrites it
        files.pop("s.db-shm", None)  # the WAL's index: shared memory, not data
        if not files.get("s.db-wal", b"x"):
            del files["s.db-wal"]  # an empty WAL holds nothing (a read-only open leaves one)
    assert after == before


def test_a_read_only_state_file_in_a_writable_folder(tmp_path: Path, scanned: Path, emulator: Emulator) -> None:
    """SQLite opens a file it may not write read-only without a word; the write failed only after every API call.
    Root may write any file, so the command runs without the capability that lets it (setpriv)."""
    scanned.chmod(0o444)
    try:
        cmd = [sys.executable, "-m", "tke_orphans", *SCAN, "--state", "data/s.db"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")} | {"HOME": str(tmp_path)}
        unprivileged = _as_unprivileged(cmd)
        _refused_before_any_call(
            tmp_path,
            emulator,
            "read-only",
            run=lambda: subprocess.run(unprivileged, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60),
        )
    finally:
        scanned.chmod(0o644)


def test_another_program_holding_a_write_lock(tmp_path: Path, scanned: Path, emulator: Emulator) -> None:
    def run() -> subprocess.CompletedProcess[str]:
        # Opened after the snapshot's reads: closing any descriptor of the file drops this process's POSIX locks.
        holder = sqlite3.connect(scanned, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # as an sqlite3 shell in the middle of a transaction
        try:
            return cli([*SCAN, "--state", "data/s.db"], tmp_path)
        finally:
            holder.execute("ROLLBACK")
            holder.close()

    _refused_before_any_call(tmp_path, emulator, "another program", "write lock", run=run)


def _sql(path: Path, statement: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(statement)
    conn.close()


DAMAGE: dict[str, tuple[str, tuple[str, ...]]] = {
    "record-json-not-json": (
        "UPDATE orphans SET record_json = '{\"instance\": ' WHERE instance_id = 'ins-gzorp001'",
        ("orphans row ins-gzorp001", "record_json is not JSON"),
    ),
    "record-json-not-a-record": (
        "UPDATE orphans SET record_json = '[1, 2]' WHERE instance_id = 'ins-gzorp001'",
        ("orphans row ins-gzorp001", "record_json"),
    ),
    "first-seen-not-a-time": (
        "UPDATE orphans SET first_seen = 'yesterday' WHERE instance_id = 'ins-shorp001'",
        ("orphans row ins-shorp001", "first_seen"),
    ),
    "first-seen-without-a-zone": (
        "UPDATE orphans SET first_seen = '2026-01-01T00:00:00' WHERE instance_id = 'ins-shorp001'",
        ("orphans row ins-shorp001", "first_seen"),
    ),
    "node-last-seen-not-a-time": (
        "UPDATE nodes SET last_seen = 'soon' WHERE rowid = (SELECT min(rowid) FROM nodes)",
        ("nodes row", "last_seen"),
    ),
    "dropped-table": ("DROP TABLE events", ("table events is missing",)),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_state_is_refused_before_any_call(
    tmp_path: Path, scanned: Path, emulator: Emulator, damage: tuple[str, tuple[str, ...]]
) -> None:
    statement, names = damage
    _sql(scanned, statement)
    _refused_before_any_call(tmp_path, emulator, *names)


# ---- --state in a folder that does not exist (issue 20, item 6) ---------------------------------------------

WRITERS = {
    "scan": ["scan", "-c", "c.yaml", "--no-notify", "--endpoint-url", "http://127.0.0.1:9"],
    "serve": ["serve", "-c", "c.yaml", "--listen", "127.0.0.1:0", "--endpoint-url", "http://127.0.0.1:9"],
    "cleanup": ["cleanup", "-c", "c.yaml"],
}
READERS = {
    "history": ["history", "-c", "c.yaml"],
    "export": ["state", "export", "-c", "c.yaml"],
    "preview": ["preview", "--platform", "wecom", "-c", "c.yaml"],
}


@pytest.mark.parametrize("command", [*WRITERS.values(), *READERS.values()], ids=[*WRITERS, *READERS])
def test_a_state_in_a_missing_folder_is_refused(tmp_path: Path, command: list[str]) -> None:
    """A mistyped --state started a new state (and announced everything again as new): the folder is not created."""
    (tmp_path / "c.yaml").write_text(GOOD)
    line = assert_clear_usage_error(cli([*command, "--state", "typo/s.db"], tmp_path), "typo/s.db")
    if command in WRITERS.values():
        assert "mkdir -p typo" in line and "--init-state" in line, line
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("how", ["flag", "config"])
def test_a_new_folder_when_asked(tmp_path: Path, world: World, emulator: Emulator, how: str) -> None:
    write_config(tmp_path / "c.yaml", world, emulator.url, state={"create": True} if how == "config" else {})
    flag = ["--init-state"] if how == "flag" else []
    proc = cli([*SCAN, "--state", "new/dir/s.db", *flag], tmp_path)
    assert proc.returncode == 0, proc.stderr
    with StateDB(tmp_path / "new" / "dir" / "s.db") as db:
        assert len(db.orphans.open()) == 4


def test_the_default_state_path_works_on_first_use(tmp_path: Path, world: World, emulator: Emulator) -> None:
    write_config(tmp_path / "c.yaml", world, emulator.url)
    proc = cli(SCAN, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "tke-orphans.db").is_file()


# ---- a config that is no regular file -------------------------------------------------------------------------


def test_a_config_that_is_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "c.yaml")  # reading it waited forever for a writer
    for command in (["check-config", "-c", "c.yaml"], SCAN):
        assert_clear_usage_error(cli(command, tmp_path), "c.yaml", "regular file")
