"""The database itself: one process at a time, corrupt or newer files left untouched, history and export."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans.state import StateDB, StateError, StateLocked

from .conftest import Rig

MIGRATIONS = [
    "0001_initial",
    "0002_lifecycle",
    "0003_actions",
    "0004_told_issues",
    "0005_outbox_parts",
    "0006_price_cache",
    "0007_leftovers",
    "0008_action_kind",
    "0008_cleanup_calls",
    "0009_retention",
]


def test_migrations_are_named_and_recorded(tmp_path: Path) -> None:
    with StateDB(tmp_path / "s.db") as db:
        assert db.migrations() == MIGRATIONS
        assert db.query("PRAGMA journal_mode")[0][0] == "wal"
    with StateDB(tmp_path / "s.db") as again:  # reopening applies nothing twice
        assert again.migrations() == MIGRATIONS


def test_a_second_process_is_refused(tmp_path: Path) -> None:
    with StateDB(tmp_path / "s.db"), pytest.raises(StateLocked, match="in use by pid"):
        StateDB(tmp_path / "s.db")
    StateDB(tmp_path / "s.db").close()  # free again once the first is closed


def test_the_lock_holds_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "s.db.link").symlink_to(tmp_path / "s.db")
    with StateDB(tmp_path / "s.db"), pytest.raises(StateLocked):
        StateDB(tmp_path / "s.db.link")


def test_concurrent_scan_is_refused_with_exit_2(tmp_path: Path) -> None:
    cfg_path = tmp_path / "c.yaml"
    cfg_path.write_text("tencentcloud: {secret_id: a, secret_key: b, region: ap-guangzhou}\n", encoding="utf-8")
    locked = tmp_path / "busy.db"
    with StateDB(locked):
        result = CliRunner().invoke(app, ["scan", "-c", str(cfg_path), "--state", str(locked)])
    assert result.exit_code == 2
    assert "only one scan may use a state database at a time" in result.output


def test_a_corrupt_file_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    garbage = b"this is not a database, it is somebody's notes\n" * 20
    path.write_bytes(garbage)
    with pytest.raises(StateError, match="left untouched"):
        StateDB(path)
    assert path.read_bytes() == garbage
    result = CliRunner().invoke(app, ["history", "--state", str(path)])
    assert result.exit_code == 2 and "not an SQLite database" in result.output
    assert path.read_bytes() == garbage


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    StateDB(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES ('0099_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StateError, match="newer tke-orphans"):
        StateDB(path)
    assert path.read_bytes() == before


def test_history_and_export(rig: Rig, tmp_path: Path) -> None:
    rig.run()
    rig.emulator.store.remove_instance("ap-shanghai", "ins-shorp001")
    rig.run()
    rig.state.close()
    path = str(rig.state.path)
    runner = CliRunner()
    result = runner.invoke(app, ["history", "--state", path, "-o", "json", "--instance", "ins-shorp001"])
    assert result.exit_code == 0, result.output
    kinds = [e["kind"] for e in json.loads(result.stdout)]
    assert kinds == ["orphaned", "resolved:terminated"]
    table = runner.invoke(app, ["history", "--state", path])
    assert "resolved:terminated" in table.output and "notified" in table.output
    dump = json.loads(runner.invoke(app, ["state", "export", "--state", path]).stdout)
    assert {"scans", "orphans", "nodes", "events", "outbox", "sends", "schema_migrations"} <= set(dump)
    assert len(dump["scans"]) == 2 and len(dump["orphans"]) == 4
    assert all(row["done_at"] for row in dump["outbox"])
    assert "wc-state" not in json.dumps(dump)  # no webhook credential is stored


def test_reading_commands_do_not_create_a_state(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-yet.db"
    runner = CliRunner()
    for args in (["history"], ["state", "export"], ["preview", "--platform", "wecom"]):
        result = runner.invoke(app, [*args, "--state", str(missing)])
        assert result.exit_code == 2 and "no state database" in result.output, args
    assert not missing.exists()


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    with StateDB(tmp_path / "s.db") as db:

        def half_way() -> None:
            with db.transaction():
                db.outbox.enqueue("new", {"kind": "new"})
                db.events.add("notified", "inside")  # nested: joins the outer transaction
                raise RuntimeError("half-way")

        with pytest.raises(RuntimeError):
            half_way()
        assert db.outbox.pending() == [] and db.events.read() == []
        db.events.add("after")  # the connection is usable again
        assert [e["kind"] for e in db.events.read()] == ["after"]


def test_a_write_lock_taken_after_open_is_one_sentence(tmp_path: Path) -> None:
    """Checked at open, a write lock can still be taken later by another program: the write says so (exit 2 in a
    command), instead of a traceback, and the connection stays usable."""
    with StateDB(tmp_path / "s.db") as db:
        db.conn.execute("PRAGMA busy_timeout = 50")  # the real wait is 30 s
        holder = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StateError, match="another program holds a write lock"):
                db.events.add("lost")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        db.events.add("after")
        assert [e["kind"] for e in db.events.read()] == ["after"]
