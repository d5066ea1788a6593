"""The embedded SQLite state: WAL mode, migrations, and a lock so that only one process scans into it at once."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..model import ScanResult
from ..render.json import from_json, to_json
from .migrations import MIGRATIONS

SQLITE_MAGIC = b"SQLite format 3\x00"


class StateError(Exception):
    """The state cannot be used; the message says which file and what to do. Nothing was written."""


class StateLocked(StateError):
    pass


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit on its own, outside our transaction)."""
    code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


def utcnow() -> datetime:
    return datetime.now(UTC)


class StateDB:
    def __init__(self, path: str | Path, *, lock: bool = True) -> None:
        self.path = Path(path)
        self._lock_file: IO[str] | None = None
        self._mutex = threading.RLock()
        self._check_file()
        if lock:
            self._acquire_lock()
        try:
            self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StateError(
                f"{self.path}: not a usable tke-orphans state database ({exc}); it was left untouched: "
                "move it away, or pass --state with another path"
            ) from None

    def _check_file(self) -> None:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return
        with self.path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise StateError(
                f"{self.path}: not an SQLite database (corrupt or another file); it was left untouched: "
                "move it away, or pass --state with another path"
            )

    def _acquire_lock(self) -> None:
        lock_path = Path(f"{self.path}.lock")
        fh = lock_path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise StateLocked(
                f"{self.path} is in use by {holder}: only one scan may use a state database at a time"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        self._lock_file = fh

    def _migrate(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        applied = {row["name"] for row in self.conn.execute("SELECT name FROM schema_migrations")}
        known = [name for name, _ in MIGRATIONS]
        newer = sorted(applied - set(known))
        if newer:
            raise StateError(
                f"{self.path} was written by a newer tke-orphans (migration {newer[-1]}); it was left untouched: "
                "upgrade tke-orphans, or pass --state with another path"
            )
        for name, sql in MIGRATIONS:
            if name in applied:
                continue
            with self.transaction():
                for statement in _statements(sql):
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, utcnow().isoformat())
                )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._mutex:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._mutex:
            return list(self.conn.execute(sql, params))

    def migrations(self) -> list[str]:
        return [row["name"] for row in self.query("SELECT name FROM schema_migrations ORDER BY name")]

    # ---- scans ----------------------------------------------------------------------------------------------

    def record_scan(self, result: ScanResult) -> int:
        doc = to_json(result)
        errors = [e for r in doc["regions"] for e in r["errors"]] + doc["errors"]
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO scans (started_at, finished_at, status, orphans, unverified, errors_json, result_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    doc["scanned_at"],
                    utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
                    result.status,
                    len(result.orphans),
                    len(result.unverified),
                    json.dumps(errors, ensure_ascii=False),
                    json.dumps(doc, ensure_ascii=False),
                ),
            )
            return int(cur.lastrowid or 0)

    def last_result(self) -> ScanResult | None:
        rows = self.query("SELECT result_json FROM scans WHERE result_json IS NOT NULL ORDER BY id DESC LIMIT 1")
        return from_json(json.loads(rows[0]["result_json"])) if rows else None

    # ---- the send ledger: pacing of chat bots across runs ----------------------------------------------------

    def recent_sends(self, bot: str, since: float) -> list[float]:
        return [
            row["at"] for row in self.query("SELECT at FROM sends WHERE bot = ? AND at >= ? ORDER BY at", (bot, since))
        ]

    def record_send(self, bot: str, at: float) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO sends (bot, at) VALUES (?, ?)", (bot, at))
            conn.execute("DELETE FROM sends WHERE at < ?", (at - 86400,))

    def close(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
