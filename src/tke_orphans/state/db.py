"""The embedded SQLite state: WAL mode, migrations, one transaction helper, and a lock so that only one process scans
into it at once. Each job of the state is a small store over this one connection (scans.py, orphans.py, ...)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .actions import Actions
from .errors import StateError, StateLocked
from .events import Events
from .ledger import Sends
from .leftovers import Leftovers
from .migrations import MIGRATIONS
from .nodes import Nodes
from .orphans import Orphans
from .outbox import Outbox
from .prices import Prices
from .scans import Scans
from .store import utcnow

__all__ = ["StateDB", "StateError", "StateLocked", "utcnow"]

SQLITE_MAGIC = b"SQLite format 3\x00"
# Marks the file as ours (`PRAGMA application_id`, "TKEO"), so that a database of another program is never changed.
APPLICATION_ID = 0x544B454F


def check_path(path: Path) -> str:
    """What is wrong with `path` as a state file, before anything is created: '' when nothing is."""
    if path.is_dir():
        return "is a directory, not a database file"
    for parent in path.parents:
        if parent.exists():
            return "" if parent.is_dir() else f"{parent} is a file, not a directory"
    return ""


def unusable(path: Path, exc: Exception) -> StateError:
    if isinstance(exc, PermissionError) or "readonly" in str(exc) or "unable to open" in str(exc):
        return StateError(
            f"{path}: cannot write to it or beside it (a read-only file or directory); it was left untouched: "
            "make both writable, or pass --state with another path"
        )
    return StateError(
        f"{path}: not a usable tke-orphans state database ({exc}); it was left untouched: "
        "move it away, or pass --state with another path"
    )


def foreign_tables(path: Path) -> list[str]:
    """The tables of an SQLite file that is not a tke-orphans state ([] when it is ours, or empty).

    Ours: our application_id in the header, or (states from before it was set) our schema_migrations table.
    Anything else is opened read-only, so that nothing is written to it or beside it.
    """
    with path.open("rb") as fh:
        header = fh.read(100)
    app_id = int.from_bytes(header[68:72], "big") if len(header) == 100 else 0
    if app_id == APPLICATION_ID:
        return []
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise unusable(path, exc) from None
    if app_id == 0 and ("schema_migrations" in tables or not tables):
        return []
    return tables or [f"none, application_id {app_id}"]


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit on its own, outside our transaction)."""
    code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


class StateDB:
    """The connection, its lock and transactions; `scans`, `nodes`, `orphans`, `leftovers`, `events`, `actions`,
    `outbox`, `sends` and `prices` are the stores that use them."""

    def __init__(self, path: str | Path, *, lock: bool = True) -> None:
        self.path = Path(path)
        self._lock_file: IO[str] | None = None
        self._mutex = threading.RLock()
        self._depth = 0
        self.scans, self.nodes, self.orphans = Scans(self), Nodes(self), Orphans(self)
        self.events, self.actions, self.outbox, self.sends = Events(self), Actions(self), Outbox(self), Sends(self)
        self.prices, self.leftovers = Prices(self), Leftovers(self)
        self._check_file()
        try:
            if lock:
                self._acquire_lock()
            self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except StateError:
            self.close()
            raise
        except (sqlite3.DatabaseError, OSError) as exc:
            self.close()
            raise unusable(self.path, exc) from None

    def _check_file(self) -> None:
        """Refuse, before anything is written, a path we cannot use and a database that is not ours."""
        problem = check_path(self.path)
        if problem:
            raise StateError(f"{self.path}: {problem}; pass --state with a file path in a writable directory")
        if not self.path.exists():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateError(f"{self.path}: cannot create its directory ({exc.strerror})") from None
            return
        try:
            with self.path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise StateError(f"{self.path}: cannot read it ({exc.strerror})") from None
        if head and head != SQLITE_MAGIC:
            raise StateError(
                f"{self.path}: not an SQLite database (corrupt or another file); it was left untouched: "
                "move it away, or pass --state with another path"
            )
        if head:
            foreign = foreign_tables(self.path)
            if foreign:
                raise StateError(
                    f"{self.path}: an SQLite database of another program (tables {', '.join(foreign[:5])}); "
                    "it was left untouched: pass --state with another path"
                )

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the lock for a while (a `serve` pass), so that other commands may use the state in between."""
        if self._lock_file is not None:
            yield
            return
        self._acquire_lock()
        try:
            yield
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _acquire_lock(self) -> None:
        # The real path: through a symlink or another spelling it is still the same database.
        lock_path = Path(f"{os.path.realpath(self.path)}.lock")
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
        if self.conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # a new file, or one from before
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
        """One transaction; nested uses join the outer one, so a caller can make several steps atomic."""
        with self._mutex:
            outer = self._depth == 0
            if outer:
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self.conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._mutex:
            return list(self.conn.execute(sql, params))

    def migrations(self) -> list[str]:
        return [row["name"] for row in self.query("SELECT name FROM schema_migrations ORDER BY name")]

    def export(self) -> dict[str, Any]:
        """Every table, as JSON-ready rows (`tke-orphans state export`)."""
        tables = [r["name"] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        # Table names come from sqlite_master, not from a user.
        return {t: [dict(r) for r in self.query(f"SELECT * FROM {t}")] for t in tables}

    def close(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.close()
        self._release_lock()

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
