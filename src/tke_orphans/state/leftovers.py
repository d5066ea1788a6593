"""The leftovers' lifecycle as stored: the disks, load balancers and addresses of deleted clusters that are open,
since when, and how each was resolved."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from ..model import Leftover
from ..records import leftover_from_dict, leftover_to_dict
from . import events
from .lifecycle import Plan, Tracked
from .store import Store, iso, read_tracked


class Leftovers(Store):
    def open(self) -> list[Tracked]:
        rows = self.db.query("SELECT * FROM leftovers WHERE resolved_at IS NULL")
        return [read_tracked(self.db, "leftovers", r, "resource_id", leftover_from_dict) for r in rows]

    def first_seen(self) -> dict[tuple[str, str, str], datetime]:
        """When each open leftover was first seen, by (account, region, resource id): what cleanup's age rule needs."""
        return {(t.account, t.region, t.instance_id): t.first_seen for t in self.open()}

    def apply(self, at_time: datetime, plan: Plan, *, lifecycle: bool = True) -> None:
        """Remember the leftovers a scan saw, always; resolutions only when `lifecycle` is on (as for orphans)."""
        at = iso(at_time)
        with self.db.transaction() as conn:
            for x in plan.leftovers.new:
                record = json.dumps(leftover_to_dict(x), ensure_ascii=False)
                conn.execute(
                    "INSERT INTO leftovers (account, region, resource_id, kind, first_seen, last_seen, record_json)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, resource_id) DO UPDATE SET"
                    " last_seen = excluded.last_seen, record_json = excluded.record_json,"
                    " first_seen = CASE WHEN leftovers.resolved_at IS NULL THEN leftovers.first_seen"
                    " ELSE excluded.first_seen END, resolved_at = NULL, resolved_how = NULL, resolved_detail = NULL,"
                    " last_notified = CASE WHEN leftovers.resolved_at IS NULL THEN leftovers.last_notified END",
                    (x.account, x.region, x.resource_id, x.kind, at, at, record),
                )
                if plan.first_seen.get(x.resource_id) == at_time:  # not one recorded before but never told
                    if x.reused:  # a user's CLB that a deleted cluster reused is no leftover of TKE's, here either
                        kind, detail = "reused", f"a user's own CLB that {x.cluster_id} reused (not TKE's)"
                    else:
                        kind, detail = "left_over", f"{x.kind} of {x.cluster_id}"
                    events.write(conn, at, x.account, x.region, x.resource_id, kind, detail)
            conn.executemany(
                "UPDATE leftovers SET last_seen = ?, record_json = ? WHERE account = ? AND region = ?"
                " AND resource_id = ?",
                [
                    (at, json.dumps(leftover_to_dict(x), ensure_ascii=False), x.account, x.region, x.resource_id)
                    for x in plan.leftovers.still
                ],
            )
            for r in plan.leftovers.resolved if lifecycle else ():
                x = r.leftover
                conn.execute(
                    "UPDATE leftovers SET resolved_at = ?, resolved_how = ?, resolved_detail = ? WHERE account = ?"
                    " AND region = ? AND resource_id = ?",
                    (at, r.how, r.detail, x.account, x.region, x.resource_id),
                )
                events.write(conn, at, x.account, x.region, x.resource_id, f"resolved:{r.how}", r.detail)

    def mark_notified(self, items: Iterable[Leftover], at: datetime) -> None:
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE leftovers SET last_notified = ? WHERE account = ? AND region = ? AND resource_id = ?",
                [(iso(at), x.account, x.region, x.resource_id) for x in items],
            )
