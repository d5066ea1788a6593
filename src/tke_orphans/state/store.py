"""What every store of the state shares: the database it works in, and the times it writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .db import StateDB


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """One job of the state (scans, the lifecycle, the outbox, ...), over the one connection and its transactions."""

    def __init__(self, db: StateDB) -> None:
        self.db = db
