"""Node history: which cluster each instance was last seen in as a node, so that a removed node is recognised."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from ..model import RegionSnapshot
from .store import Store, damaged, iso, stored_time


class Nodes(Store):
    def history(self, account: str, region: str) -> dict[str, tuple[str, datetime]]:
        rows = self.db.query(
            "SELECT instance_id, cluster_id, last_seen FROM nodes WHERE account = ? AND region = ?", (account, region)
        )
        return {r["instance_id"]: (r["cluster_id"], self._time(r)) for r in rows}

    def remember(self, snapshots: Iterable[RegionSnapshot], at: datetime) -> None:
        """Every node a scan saw, in the cluster it saw it in."""
        with self.db.transaction() as conn:
            record(conn, snapshots, iso(at))

    def check(self) -> None:
        """Every row readable, before a scan reads them region by region."""
        for r in self.db.query("SELECT account, region, instance_id, last_seen FROM nodes"):
            self._time(r)

    def _time(self, r: sqlite3.Row) -> datetime:
        try:
            return stored_time(r["last_seen"])
        except ValueError as exc:
            where = f"{r['instance_id']} ({r['account']}/{r['region']})"
            raise damaged(self.db, "nodes", where, f"last_seen {exc}") from None


def record(conn: sqlite3.Connection, snapshots: Iterable[RegionSnapshot], at: str) -> None:
    for snap in snapshots:
        conn.executemany(
            "INSERT INTO nodes (account, region, instance_id, cluster_id, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, instance_id) DO UPDATE SET"
            " first_seen = CASE WHEN nodes.cluster_id = excluded.cluster_id THEN nodes.first_seen"
            " ELSE excluded.first_seen END, cluster_id = excluded.cluster_id, last_seen = excluded.last_seen",
            [(snap.account, snap.region, iid, cid, at, at) for iid, cid in snap.members.items()],
        )
