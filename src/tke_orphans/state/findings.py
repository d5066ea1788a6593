"""The lifecycle as stored, for every kind of finding: what is open, since when, when it was last told, and how each
was resolved. One store (`Findings`) over two tables that stay as they were (orphans: the VMs; leftovers: every
other kind), each declared by a `Shape`: its table, its id column, its record, what a first sighting writes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from ..model import Leftover, Named, Orphan, finding_key
from ..records import Doc, candidate_to_dict, instance_from_dict, leftover_from_dict, leftover_to_dict
from . import events
from .lifecycle import Changes, Tracked
from .store import Store, iso, read_tracked

F = TypeVar("F", bound=Named)
Key = tuple[str, str, str]  # account, region, id
Noted = Callable[[sqlite3.Connection, F, Doc, str, Doc | None], None]


@dataclass(frozen=True)
class Shape(Generic[F]):
    """How one table keeps its findings. `columns`: what the row holds besides the record (a leftover's kind);
    `noted(conn, finding, record, at, before)`: what a finding's first sighting (before None) or a change of its
    record writes besides (events, the evidence history)."""

    table: str
    id_column: str
    key: Callable[[F], Key]
    encode: Callable[[F], Doc]
    parse: Callable[[Doc], object]  # checks a stored record as far as the lifecycle reads it
    noted: Noted[F]
    columns: Callable[[F], dict[str, Any]] | None = None


class Findings(Store, Generic[F]):
    def __init__(self, db: Any, shape: Shape[F]) -> None:
        super().__init__(db)
        self.shape = shape

    def open(self) -> list[Tracked]:
        s = self.shape
        rows = self.db.query(f"SELECT * FROM {s.table} WHERE resolved_at IS NULL")
        return [read_tracked(self.db, s.table, r, s.id_column, s.parse) for r in rows]

    def open_rows(self) -> list[dict[str, Any]]:
        s = self.shape
        rows = self.db.query(
            f"SELECT account, region, {s.id_column}, first_seen, last_seen, record_json FROM {s.table}"
            f" WHERE resolved_at IS NULL ORDER BY account, region, {s.id_column}"
        )
        return [dict(r) for r in rows]

    def accounts(self) -> set[str]:
        """The accounts that have an open finding (what the status page can be narrowed to)."""
        s = self.shape
        return {
            r["account"] for r in self.db.query(f"SELECT DISTINCT account FROM {s.table} WHERE resolved_at IS NULL")
        }

    def first_seen(self) -> dict[Key, datetime]:
        """When each open finding was first seen: what cleanup's age rule needs."""
        return {(t.account, t.region, t.instance_id): t.first_seen for t in self.open()}

    def apply(self, at_time: datetime, changes: Changes[F], *, lifecycle: bool = True) -> None:
        """Remember what a scan saw, always (cleanup reads how long each has been open); resolutions only when
        `lifecycle` is on (`scan --no-notify` leaves them, and what is told, to the next scan). A record that did
        not change is not written again (1,500 of them are 2 MB a pass)."""
        s, at = self.shape, iso(at_time)
        where = f" WHERE account = ? AND region = ? AND {s.id_column} = ?"
        with self.db.transaction() as conn:
            old = {
                (r["account"], r["region"], r[s.id_column]): r["record_json"]
                for r in conn.execute(
                    f"SELECT account, region, {s.id_column}, record_json FROM {s.table} WHERE resolved_at IS NULL"
                )
            }
            seen: list[tuple[str, ...]] = []
            changed: list[tuple[str, ...]] = []
            for f in [*changes.new, *changes.still]:
                key, record = s.key(f), s.encode(f)
                text = json.dumps(record, ensure_ascii=False)
                before = old.get(key)
                if before is None:  # newly found (again, if it was resolved before)
                    extra = s.columns(f) if s.columns else {}
                    names = ", ".join(["account", "region", s.id_column, *extra, "first_seen", "last_seen",
                                       "record_json"])  # fmt: skip
                    conn.execute(
                        f"INSERT OR REPLACE INTO {s.table} ({names}) VALUES ({', '.join('?' * (len(extra) + 6))})",
                        (*key, *extra.values(), at, at, text),
                    )
                    s.noted(conn, f, record, at, None)
                    continue
                seen.append((at, *key))
                if before != text:
                    changed.append((text, *key))
                    s.noted(conn, f, record, at, json.loads(before))
            conn.executemany(f"UPDATE {s.table} SET last_seen = ?" + where, seen)
            conn.executemany(f"UPDATE {s.table} SET record_json = ?" + where, changed)
            for r in changes.resolved if lifecycle else ():
                account, region, rid = finding_key(r.what)
                conn.execute(
                    f"UPDATE {s.table} SET resolved_at = ?, resolved_how = ?, resolved_detail = ?" + where,
                    (at, r.how, r.detail, account, region, rid),
                )
                events.write(conn, at, account, region, rid, f"resolved:{r.how}", r.detail)

    def mark_notified(self, items: Iterable[F], at: datetime) -> None:
        s = self.shape
        with self.db.transaction() as conn:
            conn.executemany(
                f"UPDATE {s.table} SET last_notified = ? WHERE account = ? AND region = ? AND {s.id_column} = ?",
                [(iso(at), *s.key(f)) for f in items],
            )


def _orphan_noted(conn: sqlite3.Connection, o: Orphan, record: Doc, at: str, before: Doc | None) -> None:
    """An orphan's evidence over time (evidence_history), and its first sighting (events)."""
    if before is None:
        events.write(conn, at, o.account, o.region, o.instance.instance_id, "orphaned", o.reason.value)
    if before is None or before.get("evidence") != record["evidence"]:
        conn.execute(
            "INSERT INTO evidence_history (account, region, instance_id, seen_at, evidence_json)"
            " VALUES (?, ?, ?, ?, ?)",
            (o.account, o.region, o.instance.instance_id, at, json.dumps(record["evidence"], ensure_ascii=False)),
        )


def _leftover_noted(conn: sqlite3.Connection, x: Leftover, record: Doc, at: str, before: Doc | None) -> None:
    if before is not None:
        return
    if x.reused:  # a user's CLB that a deleted cluster reused is no leftover of TKE's, here either
        kind, detail = "reused", f"a user's own CLB that {x.cluster_id} reused (not TKE's)"
    else:
        kind, detail = "left_over", f"{x.kind} of {x.cluster_id}"
    events.write(conn, at, x.account, x.region, x.resource_id, kind, detail)


ORPHANS: Shape[Orphan] = Shape("orphans", "instance_id", finding_key, candidate_to_dict, instance_from_dict,
                                _orphan_noted)  # fmt: skip
LEFTOVERS: Shape[Leftover] = Shape("leftovers", "resource_id", finding_key, leftover_to_dict, leftover_from_dict,
                                   _leftover_noted, lambda x: {"kind": x.kind})  # fmt: skip
