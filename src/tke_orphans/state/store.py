"""What every store of the state shares: the database it works in, and the times it writes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from ..records import Doc, parse_iso
from .errors import StateError
from .lifecycle import Tracked

if TYPE_CHECKING:
    from .db import StateDB


def utcnow() -> datetime:
    """The time every store writes: `clock`, which the tests and the month's simulation move (bench/state_size.py)."""
    return clock()


clock: Callable[[], datetime] = partial(datetime.now, UTC)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """One job of the state (scans, the lifecycle, the outbox, ...), over the one connection and its transactions."""

    def __init__(self, db: StateDB) -> None:
        self.db = db


def stored_time(value: str | None) -> datetime:
    """A time the state wrote (iso): ValueError for anything else, a time without its zone too."""
    try:
        t = parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        t = None
    if t is None or t.tzinfo is None:
        raise ValueError(f"is not a time: {value!r}")
    return t


def damaged(db: StateDB, table: str, row: str, problem: str) -> StateError:
    """A stored row we cannot read: which table, which row, what is wrong. Nothing is written or guessed (a guess
    could tell an old orphan again as new, or forget how long it has been one)."""
    return StateError(
        f"{db.path}: {table} row {row} is damaged ({problem[:120]}); it was left untouched: repair or delete that "
        "row (then it is found again as new), or pass --state with another path"
    )


def read_tracked(db: StateDB, table: str, r: sqlite3.Row, id_column: str, parse: Callable[[Doc], object]) -> Tracked:
    """An open orphan's or leftover's row, checked as far as the lifecycle reads it (`parse`: its record)."""
    row = f"{r[id_column]} ({r['account']}/{r['region']})"

    def time(column: str) -> datetime:
        try:
            return stored_time(r[column])
        except ValueError as exc:
            raise damaged(db, table, row, f"{column} {exc}") from None

    first_seen, _ = time("first_seen"), time("last_seen")
    last_notified = None if r["last_notified"] is None else time("last_notified")
    try:
        record = json.loads(r["record_json"])
    except (ValueError, TypeError):
        raise damaged(db, table, row, "record_json is not JSON") from None
    try:
        if not isinstance(record, dict):
            raise TypeError("not a JSON object")
        parse(record)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise damaged(db, table, row, f"record_json is not a whole record: {exc!r}") from None
    return Tracked(r["account"], r["region"], r[id_column], first_seen, last_notified, record)
