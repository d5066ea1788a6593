"""The state does not grow with every pass (issue 21, item 5): what is past `state.retention` and read no more is
forgotten, earlier scans keep only their summary, and the file gives the space back. What the lifecycle and
`history` need stays: an orphan first seen long ago keeps its first_seen and is not told again as new; the history
within retention is intact; cleanup's real calls are kept whatever their age."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.cleanup.plan import Decision
from tke_orphans.state import StateDB, store

from .conftest import Rig, rig_for

DAY = timedelta(days=1)


@pytest.fixture
def rig(demo_data: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    """The demo world, one pass a day; no digest in between (each would be paced like a real one); the state's
    clock is the rig's, so that what it writes (events, the outbox) ages as the passes do."""
    with rig_for(demo_data, tmp_path, remind_every="3650d") as r:
        monkeypatch.setattr(store, "clock", lambda: r.now)
        yield r


def used_bytes(db: StateDB) -> int:
    """What the file holds: its pages less the free ones (which the next writes reuse, or the vacuum gives back)."""
    page, pages, free = (db.query(f"PRAGMA {p}")[0][0] for p in ("page_size", "page_count", "freelist_count"))
    return int(page * (pages - free))


def file_bytes(db: StateDB) -> int:
    db.query("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.path.stat().st_size


def test_forty_days_keep_the_lifecycle_and_the_recent_history(rig: Rig) -> None:
    start = rig.now
    first = rig.run()
    assert {o.instance.instance_id for o in first.result.orphans} == {
        "ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"
    }  # fmt: skip
    real = Decision("default", "ap-guangzhou", "ins-gzorp003", "n", "terminate", "done", "terminated", "req-1")
    idle = [
        Decision("default", "ap-guangzhou", "ins-gzorp001", "n", "mark", "skipped", "orphan for 1h"),
        Decision("default", "ap-guangzhou", "ins-gzorp002", "n", "mark", "refused", "over --max 1"),
    ]
    rig.state.actions.record([real, *idle], "alice", False, start)
    rig.state.actions.record([real], "bob", True, start)  # a dry run
    for day in range(1, 41):
        if day == 35:
            rig.emulator.store.remove_instance("ap-shanghai", "ins-shorp001")
        job = rig.run(advance=DAY)
        assert job.notices == [] or [n.kind for n in job.notices] == ["resolved"], day  # nothing told again as new

    db, cutoff = rig.state, rig.now - timedelta(days=30)
    gz = {t.instance_id: t for t in db.orphans.open()}
    assert gz["ins-gzorp001"].first_seen == start  # 40 days ago, and still what cleanup's age rule reads
    assert "ins-shorp001" not in gz
    events = db.events.read()
    assert all(datetime.fromisoformat(e["at"]) >= cutoff or e["kind"].startswith("action:") for e in events)
    assert [e["kind"] for e in events if e["instance_id"] == "ins-shorp001"] == ["resolved:terminated"]
    # Cleanup's real call is the audit, kept with its event; the decisions that called nothing are forgotten.
    actions = db.query("SELECT actor, outcome, dry_run FROM actions")
    assert [tuple(a) for a in actions] == [("alice", "done", 0)]
    assert [e["detail"] for e in events if e["kind"] == "action:terminate"] == ["done: terminated (by alice)"]
    # Old scans are gone; the recent ones keep their summary; only the newest keeps its whole result.
    scans = db.query("SELECT id, started_at, id IN (SELECT scan_id FROM scan_results) AS whole FROM scans ORDER BY id")
    assert len(scans) == 31 and all(datetime.fromisoformat(s["started_at"]) >= cutoff for s in scans)
    assert [s["whole"] for s in scans] == [0] * 30 + [1]
    assert db.scans.last() is not None and db.scans.recent(50)[0]["status"] == "ok"
    # Day 0's notice is gone; the resolved notice of day 35 keeps its row, not its body (delivered: read no more).
    assert [tuple(r) for r in db.query("SELECT kind, outcome, notice_json FROM outbox")] == [
        ("resolved", "delivered", "{}")
    ]


def test_size_is_bounded_after_many_passes(rig: Rig) -> None:
    sizes = []
    for day in range(70):
        rig.run(advance=DAY)
        if day in (34, 69):
            sizes.append(used_bytes(rig.state))
    assert sizes[1] <= sizes[0] * 1.1, sizes  # today's code: grows by a whole scan every pass
    # The file gives back what pruning freed: at most a quarter of it is left free.
    assert file_bytes(rig.state) <= used_bytes(rig.state) * 4 / 3 + 64 * 1024


def test_a_scan_an_owed_notice_refers_to_keeps_its_result(rig: Rig) -> None:
    rig.run()
    db = rig.state
    owed = db.outbox.enqueue("reminder", {"kind": "reminder", "scan_id": 1})
    rig.run(advance=DAY, notify=False)
    assert db.scans.result(1) is not None and db.scans.result(2) is not None
    db.outbox.settle(owed)
    rig.run(advance=DAY, notify=False)
    assert db.scans.result(1) is None and db.scans.result(2) is None and db.scans.result(3) is not None


def test_states_from_before_give_space_back(tmp_path: Path) -> None:
    """A file made before 0009 (auto_vacuum off, every scan whole) is converted once, after what retention forgets
    is gone: it shrinks to what is kept, and later pruning frees disk, not only pages."""
    path = tmp_path / "old.db"
    with StateDB(path) as db:
        pass
    before = sqlite3.connect(path)  # as tke-orphans made them before: results in scans, no auto_vacuum
    before.execute("DELETE FROM schema_migrations WHERE name = '0009_retention'")
    before.execute("DROP TABLE scan_results")
    for index in ("scans_started", "actions_at", "outbox_done"):
        before.execute(f"DROP INDEX {index}")
    for i in range(20):
        before.execute(
            "INSERT INTO scans (started_at, finished_at, status, result_json) VALUES (?, ?, 'ok', ?)",
            (f"2026-01-01T00:{i:02d}:00Z", f"2026-01-01T00:{i:02d}:30Z", '{"x": "' + "x" * 100_000 + '"}'),
        )
    before.commit()
    before.execute("PRAGMA auto_vacuum = NONE")
    before.execute("VACUUM")
    before.close()
    assert path.stat().st_size > 2_000_000
    with StateDB(path) as db:
        assert db.query("PRAGMA auto_vacuum")[0][0] == 2  # incremental
        assert [r[0] for r in db.query("SELECT scan_id FROM scan_results")] == [20]  # the newest, moved
        assert db.query("SELECT count(*) FROM scans WHERE result_json IS NOT NULL")[0][0] == 0
        assert file_bytes(db) < 500_000
    with StateDB(tmp_path / "new.db") as db:
        assert db.query("PRAGMA auto_vacuum")[0][0] == 2


def test_node_history_is_kept_while_its_instance_exists(rig: Rig) -> None:
    """The node history is evidence (`history`) for as long as the instance exists: a node removed 40 days ago is
    still an orphan by it; only the rows of terminated instances are forgotten."""
    rig.run()
    rig.emulator.store.remove_node("ap-guangzhou", "ins-gzwrk001")  # retained: the CVM stays, in no cluster
    rig.emulator.store.remove_instance("ap-guangzhou", "ins-gzweb002")  # terminated
    for _ in range(40):
        job = rig.run(advance=DAY)
    nodes = {r["instance_id"] for r in rig.state.query("SELECT instance_id FROM nodes")}
    assert "ins-gzwrk001" in nodes and "ins-gzweb001" in nodes and "ins-gzweb002" not in nodes
    [removed] = [o for o in job.result.orphans if o.instance.instance_id == "ins-gzwrk001"]
    assert "history" in {e.kind.value for e in removed.evidence}
