"""Cleanup's decisions, dry runs too: who did what to which instance (or disk, load balancer, address), and what
the cloud answered.

A mutating call is written twice, each time in its own transaction: before it is sent (outcome `pending`, the
intent) and as soon as it answers (`settle`). A row still pending is a call whose outcome nobody saw (the run was
killed, or the call timed out): the next run looks the resource up and settles it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import events
from .store import Store, iso

PENDING = "pending"


@dataclass(frozen=True)
class Intent:
    """A call sent (or about to be) whose outcome is not on record."""

    id: int
    at: str
    actor: str
    run_id: str
    account: str
    region: str
    kind: str
    action: str
    call: str
    instance_id: str
    detail: str


def _event(conn: sqlite3.Connection, at: str, actor: str, account: str, region: str, rid: str, action: str,
           outcome: str, detail: str) -> None:  # fmt: skip
    events.write(conn, at, account, region, rid, f"action:{action}", f"{outcome}: {detail} (by {actor})")


class Actions(Store):
    def record(self, decisions: Iterable[Any], actor: str, dry_run: bool, at: datetime, run_id: str = "") -> None:
        """Cleanup decisions (plan.Decision); real ones also go to the events, which `history` shows."""
        when = iso(at)
        with self.db.transaction() as conn:
            for d in decisions:
                conn.execute(
                    "INSERT INTO actions (at, actor, action, dry_run, account, region, instance_id, outcome, detail,"
                    " request_id, kind, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (when, actor, d.action, int(dry_run), d.account, d.region, d.instance_id, d.outcome, d.detail,
                     d.request_id, d.kind, run_id),
                )  # fmt: skip
                if not dry_run:
                    _event(conn, when, actor, d.account, d.region, d.instance_id, d.action, d.outcome, d.detail)

    def intend(self, run_id: str, actor: str, at: datetime, where: tuple[str, str, str, str], call: str,
               ids: Iterable[str]) -> None:  # fmt: skip
        """Before a mutating call is sent: one pending row per resource. `where`: (account, region, kind, action)."""
        account, region, kind, action = where
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO actions (at, actor, action, dry_run, account, region, instance_id, outcome, detail,"
                " request_id, kind, run_id, call) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, '', ?, ?, ?)",
                [(iso(at), actor, action, account, region, i, PENDING, f"{call} sent, no answer yet", kind, run_id,
                  call) for i in ids],
            )  # fmt: skip

    def settle(self, run_id: str, at: datetime, answers: Iterable[tuple[str, str, str, str]]) -> None:
        """As soon as the call answers: each (id, outcome, detail, request id). An outcome still `pending` (a time-out:
        the call may have happened) only keeps the detail, and the next run looks the resource up."""
        when = iso(at)
        with self.db.transaction() as conn:
            for rid, outcome, detail, request_id in answers:
                row = conn.execute(
                    "SELECT id, actor, account, region, action FROM actions WHERE run_id = ? AND instance_id = ?"
                    " AND outcome = ? ORDER BY id DESC LIMIT 1",
                    (run_id, rid, PENDING),
                ).fetchone()
                if row is None:
                    continue
                conn.execute(
                    "UPDATE actions SET at = ?, outcome = ?, detail = ?, request_id = ? WHERE id = ?",
                    (when, outcome, detail, request_id, row["id"]),
                )
                if outcome != PENDING:
                    _event(conn, when, row["actor"], row["account"], row["region"], rid, row["action"], outcome,
                           detail)  # fmt: skip

    def pending(self) -> list[Intent]:
        """Every real call whose outcome is not on record, oldest first."""
        rows = self.db.query(
            "SELECT id, at, actor, run_id, account, region, kind, action, call, instance_id, detail FROM actions"
            " WHERE outcome = ? AND dry_run = 0 ORDER BY id",
            (PENDING,),
        )
        return [Intent(**dict(r)) for r in rows]

    def recover(self, row_id: int, outcome: str, detail: str, at: datetime) -> None:
        """A pending call settled by a later run's look-up; its event names who sent it."""
        when = iso(at)
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT actor, account, region, instance_id, action FROM actions WHERE id = ? AND outcome = ?",
                (row_id, PENDING),
            ).fetchone()
            if row is None:
                return
            conn.execute("UPDATE actions SET outcome = ?, detail = ? WHERE id = ?", (outcome, detail, row_id))
            _event(conn, when, row["actor"], row["account"], row["region"], row["instance_id"], row["action"],
                   outcome, detail)  # fmt: skip
