"""What every store of the state shares: the database it works in, and the times it writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..records import parse_iso

if TYPE_CHECKING:
    from .db import StateDB


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(s: str) -> datetime:
    parsed = parse_iso(s)
    assert parsed is not None
    return parsed


class Store:
    """One job of the state (scans, the lifecycle, the outbox, ...), over the one connection and its transactions."""

    def __init__(self, db: StateDB) -> None:
        self.db = db
