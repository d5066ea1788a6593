"""The history: what happened, for `history` and the status page. Other stores write their events in their own
transactions, through `write`."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from .store import Store, iso, utcnow


def write(conn: sqlite3.Connection, at: str, account: str, region: str, iid: str, kind: str, detail: str) -> None:
    conn.execute(
        "INSERT INTO events (at, account, region, instance_id, kind, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (at, account, region, iid, kind, detail),
    )


class Events(Store):
    def add(self, kind: str, detail: str = "", *, account: str = "", region: str = "", instance_id: str = "") -> None:
        with self.db.transaction() as conn:
            write(conn, iso(utcnow()), account, region, instance_id, kind, detail)

    def read(self, *, since: datetime | None = None, instance_id: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT at, account, region, instance_id, kind, detail FROM events WHERE 1 = 1", []
        if since is not None:
            sql += " AND at >= ?"
            params.append(iso(since))
        if instance_id:
            sql += " AND instance_id = ?"
            params.append(instance_id)
        return [dict(r) for r in self.db.query(sql + " ORDER BY id", tuple(params))]
