"""The embedded SQLite state: WAL mode, migrations, one transaction helper, and a lock so that only one process scans
into it at once. Each job of the state is a small store over this one connection (scans.py, orphans.py, ...)."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from . import retention
from .actions import Actions
from .errors import StateError, StateLocked
from .events import Events
from .findings import LEFTOVERS, ORPHANS, Findings
from .issues import ToldIssues
from .ledger import Sends
from .migrations import MIGRATIONS
from .nodes import Nodes
from .outbox import Outbox
from .prices import Prices
from .scans import Scans
from .store import utcnow

__all__ = ["StateDB", "StateError", "StateLocked", "utcnow"]

log = logging.getLogger(__name__)
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY = 30  # seconds a statement waits for another connection's write lock
PROBE_WAIT = 5  # ... and the check at open: our own lock keeps tke-orphans out, so a holder is another program
INCREMENTAL = 2  # PRAGMA auto_vacuum
WAL_LIMIT = 4 * 2**20  # bytes the WAL is cut back to after a checkpoint
# The tables the migrations make, each of which must be there.
TABLES = sorted({m for _, sql in MIGRATIONS for m in re.findall(r"CREATE TABLE (\w+)", sql)})
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
    if "locked" in str(exc):  # our own lock keeps tke-orphans out: another program holds a write transaction
        return StateError(
            f"{path}: another program holds a write lock on it (an open transaction, such as an sqlite3 shell's); "
            "nothing was written: end that program's transaction, and run again"
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


# Errors of the file or its surroundings, not of our SQL: they become one sentence (StateError), never a traceback.
_ENVIRONMENTAL_WORDS = ("locked", "readonly", "unable to open", "disk", "malformed", "no such table", "no such column")


def _environmental(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError) and any(
        words in str(exc) for words in _ENVIRONMENTAL_WORDS
    )


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit on its own, outside our transaction)."""
    code = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in code.split(";") if s.strip()]


class StateDB:
    """The connection, its lock and transactions; `scans`, `nodes`, `orphans`, `leftovers`, `events`, `actions`,
    `outbox`, `sends` and `prices` are the stores that use them."""

    def __init__(
        self,
        path: str | Path,
        *,
        lock: bool = True,
        writes: bool = True,
        create_dir: bool = False,
        retention: timedelta = timedelta(days=30),
    ) -> None:
        """`writes`: the command will write (scan, serve, cleanup), so that is checked now, before any API call, along
        with every stored row it reads. `create_dir`: a missing folder is created (--init-state), not refused."""
        self.path = Path(path)
        self.retention = retention
        self._lock_file: IO[str] | None = None
        self._mutex = threading.RLock()
        self._depth = 0
        self._reclaim = False
        self.scans, self.nodes, self.orphans = Scans(self), Nodes(self), Findings(self, ORPHANS)
        self.events, self.actions, self.outbox, self.sends = Events(self), Actions(self), Outbox(self), Sends(self)
        self.prices, self.leftovers, self.issues = Prices(self), Findings(self, LEFTOVERS), ToldIssues(self)
        self._check_file(create_dir)
        try:
            if lock:
                self._acquire_lock()
            new = not self.path.exists() or self.path.stat().st_size == 0
            self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=BUSY)
            self.conn.row_factory = sqlite3.Row
            if new:  # before WAL, or it is not taken; a file from before is converted once (_reclaimable)
                self.conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            self.conn.execute("PRAGMA journal_mode=WAL")
            # The WAL keeps the size of the largest pass it held, unless told to shrink back after a checkpoint.
            self.conn.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            self._check_tables()
            if writes:
                self._check_writable()
                self._reclaimable()
                self._check_rows()
        except StateError:
            self.close()
            raise
        except (sqlite3.DatabaseError, OSError) as exc:
            self.close()
            raise unusable(self.path, exc) from None

    def _check_file(self, create_dir: bool) -> None:
        """Refuse, before anything is written, a path we cannot use and a database that is not ours."""
        problem = check_path(self.path)
        if problem:
            raise StateError(f"{self.path}: {problem}; pass --state with a file path in a writable directory")
        if not self.path.exists():
            folder = self.path.parent
            if not folder.exists() and not create_dir:
                # A typo in --state would start a new state, and tell every orphan again as new.
                raise StateError(
                    f"{self.path}: its folder {folder} does not exist: check the path, or create it "
                    f"(mkdir -p {folder}); `scan --init-state` (or state.create: true) starts a new state there"
                )
            try:
                folder.mkdir(parents=True, exist_ok=True)
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

    def _check_tables(self) -> None:
        """Every table the migrations made is there: one dropped by hand is reported now, not after a scan."""
        have = {r["name"] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [t for t in TABLES if t not in have]
        if missing:
            raise StateError(
                f"{self.path}: table {', '.join(missing)} is missing (changed by another program); it was left "
                "untouched: restore it from a backup, or pass --state with another path (a new state tells every "
                "orphan again as new)"
            )

    def _check_writable(self) -> None:
        """A write, rolled back, now: a read-only file (opened read-only by SQLite without a word) or another
        program's write lock is found before the scan's API calls, not when its result is written."""
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        self.conn.execute(f"PRAGMA busy_timeout = {PROBE_WAIT * 1000}")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self.conn.execute(f"PRAGMA user_version = {int(version)}")
            finally:
                self.conn.execute("ROLLBACK")
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY * 1000}")

    def _reclaimable(self) -> None:
        """Make the file give back what pruning frees (incremental vacuum): a file from before needs one VACUUM,
        which rewrites it, after what retention forgets is gone (a state that grew for months shrinks to what is
        kept, and the rewrite is of that). If it fails (a full disk), the state works as before; tried next time."""
        if self.conn.execute("PRAGMA auto_vacuum").fetchone()[0] == INCREMENTAL:
            return
        log.info("%s: converting to incremental vacuum (once; rewrites the file)", self.path)
        with self.transaction() as conn:
            newest = conn.execute("SELECT max(id) FROM scans").fetchone()[0]
            retention.compact(conn, newest or 0)
            retention.prune(conn, utcnow(), self.retention, ())
        try:
            self.conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            self.conn.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            log.warning("%s: not converted to incremental vacuum (%s); it is tried again next time", self.path, exc)

    def _check_rows(self) -> None:
        """Read now what the lifecycle will read after the scan, so that a damaged row stops us before any API
        call (StateError: which table, which row), not after."""
        self.orphans.open()
        self.leftovers.open()
        self.nodes.check()

    def reclaim(self) -> None:
        """Pruning freed pages: give them back (_vacuum) once the transaction that freed them is over."""
        self._reclaim = True

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
            try:
                if outer:
                    self.conn.execute("BEGIN IMMEDIATE")
                self._depth += 1
                try:
                    yield self.conn
                except BaseException:
                    self._depth -= 1
                    if outer and self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise
                self._depth -= 1
                if outer:
                    self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if not outer or not _environmental(exc):
                    raise  # a bug of ours keeps its traceback
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise unusable(self.path, exc) from None
            if outer and self._reclaim:
                self._reclaim = False
                self._vacuum()

    def _vacuum(self) -> None:
        """Give free pages back once they are over a quarter of the file: fewer are reused by the next pass's
        writes (each frees the result of the pass before), and giving them back each time would only churn."""
        try:
            free = self.conn.execute("PRAGMA freelist_count").fetchone()[0]
            if free * 4 > self.conn.execute("PRAGMA page_count").fetchone()[0]:
                # executescript steps the pragma to its end; execute() would free one page.
                self.conn.executescript("PRAGMA incremental_vacuum")
        except sqlite3.OperationalError as exc:  # what was written is committed; the space is given back later
            log.warning("%s: free pages not given back (%s); tried again after the next pass", self.path, exc)

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
