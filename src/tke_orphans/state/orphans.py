"""The alert lifecycle as stored: open orphans, their evidence over time, resolutions; and which problems (could not
check X) were already told."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..model import Orphan, ScanResult
from ..records import candidate_to_dict, instance_from_dict
from . import events, nodes
from .lifecycle import Plan, Tracked
from .store import Store, iso, read_tracked


class Orphans(Store):
    def open(self) -> list[Tracked]:
        rows = self.db.query("SELECT * FROM orphans WHERE resolved_at IS NULL")
        return [read_tracked(self.db, "orphans", r, "instance_id", instance_from_dict) for r in rows]

    def open_rows(self) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT account, region, instance_id, first_seen, last_seen, record_json FROM orphans"
            " WHERE resolved_at IS NULL ORDER BY account, region, instance_id"
        )
        return [dict(r) for r in rows]

    def apply(self, result: ScanResult, plan: Plan, *, lifecycle: bool = True) -> None:
        """Remember a scan: node history and the orphans seen, always (cleanup reads how long each has been one);
        resolutions only when `lifecycle` is on (`scan --no-notify` leaves them, and what is told, to the next scan)."""
        at = iso(result.scanned_at)
        with self.db.transaction() as conn:
            nodes.record(conn, result.snapshots, at)
            # Every open orphan's record in one read, not one SELECT per orphan seen.
            old = {
                (r["account"], r["region"], r["instance_id"]): r["record_json"]
                for r in conn.execute(
                    "SELECT account, region, instance_id, record_json FROM orphans WHERE resolved_at IS NULL"
                )
            }
            seen: list[tuple[str, str, str, str]] = []
            changed: list[tuple[str, str, str, str]] = []
            for o in [*plan.orphans.new, *plan.orphans.still]:
                record = candidate_to_dict(o)
                text = json.dumps(record, ensure_ascii=False)
                before = old.get((o.account, o.region, o.instance.instance_id))
                if before is None:  # newly orphaned (again, if it was resolved before)
                    conn.execute(
                        "INSERT OR REPLACE INTO orphans (account, region, instance_id, first_seen, last_seen,"
                        " record_json) VALUES (?, ?, ?, ?, ?, ?)",
                        (o.account, o.region, o.instance.instance_id, at, at, text),
                    )
                    _evidence(conn, o, record, at)
                    events.write(conn, at, o.account, o.region, o.instance.instance_id, "orphaned", o.reason.value)
                    continue
                seen.append((at, o.account, o.region, o.instance.instance_id))
                if before == text:
                    continue  # the same record: not written again (1,500 of them are 2 MB a pass)
                changed.append((text, o.account, o.region, o.instance.instance_id))
                if json.loads(before).get("evidence") != record["evidence"]:
                    _evidence(conn, o, record, at)
            where = " WHERE account = ? AND region = ? AND instance_id = ?"
            conn.executemany("UPDATE orphans SET last_seen = ?" + where, seen)
            conn.executemany("UPDATE orphans SET record_json = ?" + where, changed)
            for r in plan.orphans.resolved if lifecycle else ():
                conn.execute(
                    "UPDATE orphans SET resolved_at = ?, resolved_how = ?, resolved_detail = ? WHERE account = ?"
                    " AND region = ? AND instance_id = ?",
                    (at, r.how, r.detail, r.account, r.region, r.instance.instance_id),
                )
                events.write(conn, at, r.account, r.region, r.instance.instance_id, f"resolved:{r.how}", r.detail)

    def mark_notified(self, orphans: Iterable[Orphan], at: datetime) -> None:
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE orphans SET last_notified = ? WHERE account = ? AND region = ? AND instance_id = ?",
                [(iso(at), o.account, o.region, o.instance.instance_id) for o in orphans],
            )

    def told_issues(self) -> set[str]:
        return {r["key"] for r in self.db.query("SELECT key FROM told_issues")}

    def set_told_issues(self, keys: Iterable[str]) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM told_issues")
            conn.executemany("INSERT INTO told_issues (key) VALUES (?)", [(k,) for k in keys])


def _evidence(conn: sqlite3.Connection, o: Orphan, record: dict[str, Any], at: str) -> None:
    conn.execute(
        "INSERT INTO evidence_history (account, region, instance_id, seen_at, evidence_json) VALUES (?, ?, ?, ?, ?)",
        (o.account, o.region, o.instance.instance_id, at, json.dumps(record["evidence"], ensure_ascii=False)),
    )
