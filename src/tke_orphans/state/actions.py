"""Cleanup's decisions, dry runs too: who did what to which instance (or disk, load balancer, address), and what
the cloud answered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from . import events
from .store import Store, iso


class Actions(Store):
    def record(self, decisions: Iterable[Any], actor: str, dry_run: bool, at: datetime) -> None:
        """Cleanup decisions (plan.Decision); real ones also go to the events, which `history` shows."""
        when = iso(at)
        with self.db.transaction() as conn:
            for d in decisions:
                conn.execute(
                    "INSERT INTO actions (at, actor, action, dry_run, account, region, instance_id, outcome, detail,"
                    " request_id, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (when, actor, d.action, int(dry_run), d.account, d.region, d.instance_id, d.outcome, d.detail,
                     d.request_id, d.kind),
                )  # fmt: skip
                if not dry_run:
                    detail = f"{d.outcome}: {d.detail} (by {actor})"
                    events.write(conn, when, d.account, d.region, d.instance_id, f"action:{d.action}", detail)
