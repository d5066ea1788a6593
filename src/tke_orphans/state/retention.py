"""What the state forgets, and when (`state.retention`, 30 days by default; docs/state.md).

Kept whatever their age: what is still open (orphans, leftovers, their evidence, notices not yet delivered, the node
history of instances that still exist), the newest scan and the newest complete one, and cleanup's real calls (who
tagged, terminated or added back what: the audit). Forgotten after `retention`: scans' summaries, events, delivered
or given-up notices, resolved orphans and leftovers, cleanup decisions that did nothing (dry runs, skipped,
refused), prices not asked again. A scan's full result is kept only while something reads it: it is the newest, or
a notice still owed refers to it (the outbox tells a notice with its scan); a notice's body only until it is done."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime, timedelta

from ..model import RegionSnapshot
from .store import iso

# Cleanup decisions that called nothing: forgotten with the rest. Every other outcome of a real run is a call made.
NO_CALL = ("skipped", "refused")


def owed_scans(conn: sqlite3.Connection) -> set[int] | None:
    """The scans that notices still owed refer to; None when one cannot be read (then no result is dropped)."""
    ids: set[int] = set()
    for (doc,) in conn.execute("SELECT notice_json FROM outbox WHERE done_at IS NULL"):
        try:
            scan_id = json.loads(doc).get("scan_id")
        except (ValueError, TypeError, AttributeError):
            return None
        if isinstance(scan_id, int):
            ids.add(scan_id)
    return ids


def compact(conn: sqlite3.Connection, newest: int) -> int:
    """Drop what nothing reads any more: the full result of every scan before `newest` that no notice still owed
    refers to (their summaries stay: status, counts, errors), and the body of every notice that is done (its row
    stays: when, what kind, how it ended). Returns how many were dropped."""
    dropped = conn.execute("UPDATE outbox SET notice_json = '{}' WHERE done_at IS NOT NULL AND notice_json != '{}'")
    owed = owed_scans(conn)
    if owed is None:
        return dropped.rowcount
    marks = ",".join("?" * len(owed))
    cur = conn.execute(f"DELETE FROM scan_results WHERE scan_id < ? AND scan_id NOT IN ({marks})", (newest, *owed))
    return dropped.rowcount + cur.rowcount


def prune(conn: sqlite3.Connection, now: datetime, keep: timedelta, snapshots: Iterable[RegionSnapshot]) -> int:
    """Forget what is older than `keep` before `now` and nothing reads any more. Returns the rows deleted."""
    cutoff = iso(now - keep)
    statements: list[tuple[str, tuple[object, ...]]] = [
        # A result still there is read (compact); the newest complete scan tells when the last good one was.
        (
            "DELETE FROM scans WHERE started_at < ? AND id NOT IN (SELECT scan_id FROM scan_results)"
            " AND id IS NOT (SELECT max(id) FROM scans WHERE status = 'ok')",
            (cutoff,),
        ),
        # Events of cleanup's real calls stay: `history` shows who destroyed what, however long ago.
        (
            "DELETE FROM events WHERE at < ? AND NOT (kind LIKE 'action:%'"
            f" AND {' AND '.join('detail NOT LIKE ?' for _ in NO_CALL)})",
            (cutoff, *(f"{outcome}:%" for outcome in NO_CALL)),
        ),
        (
            f"DELETE FROM actions WHERE at < ? AND (dry_run = 1 OR outcome IN ({','.join('?' * len(NO_CALL))}))",
            (cutoff, *NO_CALL),
        ),
        (
            "DELETE FROM outbox_parts WHERE outbox_id IN (SELECT id FROM outbox WHERE done_at < ?)",
            (cutoff,),
        ),
        ("DELETE FROM outbox WHERE done_at < ?", (cutoff,)),
        ("DELETE FROM orphans WHERE resolved_at < ?", (cutoff,)),
        ("DELETE FROM leftovers WHERE resolved_at < ?", (cutoff,)),
        (
            "DELETE FROM evidence_history WHERE seen_at < ? AND NOT EXISTS (SELECT 1 FROM orphans o WHERE"
            " o.resolved_at IS NULL AND o.account = evidence_history.account AND o.region = evidence_history.region"
            " AND o.instance_id = evidence_history.instance_id)",
            (cutoff,),
        ),
        ("DELETE FROM price_cache WHERE fetched_at < ?", (cutoff,)),
    ]
    deleted = sum(conn.execute(sql, params).rowcount for sql, params in statements)
    return deleted + _forget_nodes(conn, cutoff, snapshots)


def _forget_nodes(conn: sqlite3.Connection, cutoff: str, snapshots: Iterable[RegionSnapshot]) -> int:
    """A node row is history evidence for as long as its instance exists: only the rows of instances that a
    complete listing of their region no longer has (terminated: ids are never reused) are forgotten."""
    deleted = 0
    for snap in snapshots:
        if not snap.complete:
            continue
        old = conn.execute(
            "SELECT instance_id FROM nodes WHERE account = ? AND region = ? AND last_seen < ?",
            (snap.account, snap.region, cutoff),
        ).fetchall()
        gone = [(snap.account, snap.region, iid) for (iid,) in old if iid not in snap.listed]
        if gone:
            sql = "DELETE FROM nodes WHERE account = ? AND region = ? AND instance_id = ?"
            deleted += conn.executemany(sql, gone).rowcount
    return deleted
