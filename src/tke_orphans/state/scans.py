"""Scans as they were: each result stored whole (records.py), for cleanup, `preview`, the status page and the
outbox, which tells a notice with the scan it came from."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..model import ScanResult
from ..records import parse_iso, scan_from_dict, scan_to_dict
from . import retention
from .errors import StateError
from .store import Store, utcnow


class Scans(Store):
    def record(self, result: ScanResult) -> int:
        """Store a scan whole, and forget (retention.py) what is past `state.retention` and read no more: among
        it the full results of earlier scans, so that the state does not grow with every pass."""
        doc = scan_to_dict(result)
        errors = [e for r in doc["regions"] for e in r["errors"]] + doc["errors"]
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO scans (started_at, finished_at, status, orphans, unverified, errors_json)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    doc["scanned_at"],
                    utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
                    result.status,
                    len(result.orphans),
                    len(result.unverified),
                    json.dumps(errors, ensure_ascii=False),
                ),
            )
            scan_id = int(cur.lastrowid or 0)
            conn.execute(
                "INSERT INTO scan_results (scan_id, result_json) VALUES (?, ?)",
                (scan_id, json.dumps(doc, ensure_ascii=False)),
            )
            dropped = retention.compact(conn, scan_id)
            if retention.prune(conn, result.scanned_at, self.db.retention, result.snapshots) + dropped:
                self.db.reclaim()
            return scan_id

    def last_times(self) -> tuple[float | None, float | None]:
        """Unix times when the last complete scan, and the last scan at all, finished."""
        ok = self.db.query("SELECT max(finished_at) AS t FROM scans WHERE status = 'ok'")[0]["t"]
        last = self.db.query("SELECT max(finished_at) AS t FROM scans")[0]["t"]
        return (parse_iso(ok).timestamp() if ok else None, parse_iso(last).timestamp() if last else None)

    def result(self, scan_id: int | None) -> ScanResult | None:
        rows = self.db.query("SELECT scan_id AS id, result_json FROM scan_results WHERE scan_id = ?", (scan_id,))
        return self._result(rows[0]) if rows else None

    def last(self) -> ScanResult | None:
        rows = self.db.query("SELECT scan_id AS id, result_json FROM scan_results ORDER BY scan_id DESC LIMIT 1")
        return self._result(rows[0]) if rows else None

    def _result(self, row: sqlite3.Row) -> ScanResult:
        try:
            return scan_from_dict(json.loads(row["result_json"]))
        except ValueError as exc:  # JSONDecodeError is one
            raise StateError(
                f"{self.db.path}: scan {row['id']} is stored damaged ({exc}): run `tke-orphans scan` for a new one"
            ) from None

    def recent(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT id, started_at, finished_at, status, orphans, unverified, errors_json FROM scans"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [dict(r) | {"errors": json.loads(r["errors_json"])} for r in rows]
