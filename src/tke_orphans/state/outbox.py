"""The outbox: notices owed to the channels, each part recorded as it is accepted, so that each is sent once."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..records import parse_iso
from . import events
from .store import Store, iso, utcnow


@dataclass(frozen=True)
class Pending:
    """A notice still owed: what each channel has already accepted, and (entries from before 0005) what it owed."""

    outbox_id: int
    created_at: datetime
    attempts: int
    notice: dict[str, Any]  # records.notice_to_dict
    sent: dict[str, set[int]]
    last_error: str = ""
    legacy_owed: frozenset[str] | None = None  # "channel#part" / "channel#*"

    def owes(self, channel: str, part: int) -> bool:
        if part in self.sent.get(channel, ()):
            return False
        return self.legacy_owed is None or bool({f"{channel}#{part}", f"{channel}#*"} & self.legacy_owed)


class Outbox(Store):
    @contextlib.contextmanager
    def lease(self) -> Iterator[bool]:
        """One deliverer at a time, across processes (`serve`'s background deliverer, a `scan` or `cleanup` by
        hand): True while this one holds it, False when another does. Separate from the state's lock, which scans
        hold, so that a backlog paced at 20 messages a minute never stops a scan; the system drops it on a kill."""
        with open(f"{os.path.realpath(self.db.path)}.outbox.lock", "a+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def enqueue(self, kind: str, notice: dict[str, Any]) -> int:
        """Queue a notice. A newer digest replaces the ones not yet delivered: a group gets today's, not a week's."""
        at = iso(utcnow())
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO outbox (created_at, kind, notice_json) VALUES (?, ?, ?)",
                (at, kind, json.dumps(notice, ensure_ascii=False)),
            )
            new_id = int(cur.lastrowid or 0)
            if kind == "reminder":
                for row in conn.execute(
                    "SELECT id FROM outbox WHERE kind = 'reminder' AND done_at IS NULL AND id < ?", (new_id,)
                ).fetchall():
                    _close(conn, row["id"], "superseded", f"replaced by the newer digest #{new_id}", at)
            return new_id

    def pending(self) -> list[Pending]:
        rows = self.db.query(
            "SELECT id, created_at, notice_json, pending_json, attempts, last_error FROM outbox WHERE done_at IS NULL"
            " ORDER BY id"
        )
        out = []
        for r in rows:
            sent: dict[str, set[int]] = {}
            for part in self.db.query("SELECT channel, part FROM outbox_parts WHERE outbox_id = ?", (r["id"],)):
                sent.setdefault(part["channel"], set()).add(part["part"])
            legacy = None if r["pending_json"] is None else frozenset(json.loads(r["pending_json"]))
            notice = json.loads(r["notice_json"])
            out.append(
                Pending(r["id"], parse_iso(r["created_at"]), r["attempts"], notice, sent, r["last_error"], legacy)
            )
        return out

    def record_part(self, outbox_id: int, channel: str, part: int) -> None:
        """One part accepted by one channel: committed at once, so that it is never sent again."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO outbox_parts (outbox_id, channel, part, at) VALUES (?, ?, ?, ?)",
                (outbox_id, channel, part, iso(utcnow())),
            )

    def settle(self, outbox_id: int, failure: str = "") -> None:
        """One delivery attempt is over: without a failure the entry is done, else it counts one more attempt."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?", (failure, outbox_id))
            if not failure:
                _close(conn, outbox_id, "delivered", "", iso(utcnow()))

    def give_up(self, outbox_id: int, why: str) -> None:
        with self.db.transaction() as conn:
            _close(conn, outbox_id, "dead", why, iso(utcnow()))

    def dead_letters(self) -> int:
        return int(self.db.query("SELECT count(*) AS n FROM outbox WHERE outcome = 'dead'")[0]["n"])


def _close(conn: sqlite3.Connection, outbox_id: int, outcome: str, why: str, at: str) -> None:
    conn.execute("UPDATE outbox SET done_at = ?, outcome = ? WHERE id = ?", (at, outcome, outbox_id))
    if outcome != "delivered":
        kind = conn.execute("SELECT kind FROM outbox WHERE id = ?", (outbox_id,)).fetchone()["kind"]
        events.write(conn, at, "", "", "", f"notice_{outcome}", f"{kind} notice #{outbox_id}: {why}")
