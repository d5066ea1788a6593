"""The embedded SQLite state: WAL mode, migrations, and a lock so that only one process scans into it at once."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..model import Orphan, RegionSnapshot, ScanResult
from ..records import candidate_to_dict, parse_iso, scan_from_dict, scan_to_dict
from .lifecycle import Plan, Tracked
from .migrations import MIGRATIONS

SQLITE_MAGIC = b"SQLite format 3\x00"
# Marks the file as ours (`PRAGMA application_id`, "TKEO"), so that a database of another program is never changed.
APPLICATION_ID = 0x544B454F


@dataclass(frozen=True)
class Pending:
    """A notice still owed: what each channel has already accepted, and (entries from before 0005) what it owed."""

    outbox_id: int
    created_at: datetime
    attempts: int
    notice: dict[str, Any]
    sent: dict[str, set[int]]
    last_error: str = ""
    legacy_owed: frozenset[str] | None = None  # "channel#part" / "channel#*"

    def owes(self, channel: str, part: int) -> bool:
        if part in self.sent.get(channel, ()):
            return False
        return self.legacy_owed is None or bool({f"{channel}#{part}", f"{channel}#*"} & self.legacy_owed)


class StateError(Exception):
    """The state cannot be used; the message says which file and what to do. Nothing was written."""


class StateLocked(StateError):
    pass


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


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(s: str) -> datetime:
    parsed = parse_iso(s)
    assert parsed is not None
    return parsed


def utcnow() -> datetime:
    return datetime.now(UTC)


class StateDB:
    def __init__(self, path: str | Path, *, lock: bool = True) -> None:
        self.path = Path(path)
        self._lock_file: IO[str] | None = None
        self._mutex = threading.RLock()
        self._depth = 0
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

    # ---- scans ----------------------------------------------------------------------------------------------

    def record_scan(self, result: ScanResult) -> int:
        doc = scan_to_dict(result)
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

    def last_scan_times(self) -> tuple[float | None, float | None]:
        """Unix times when the last complete scan, and the last scan at all, finished."""
        ok = self.query("SELECT max(finished_at) AS t FROM scans WHERE status = 'ok'")[0]["t"]
        last = self.query("SELECT max(finished_at) AS t FROM scans")[0]["t"]
        return (_parse(ok).timestamp() if ok else None, _parse(last).timestamp() if last else None)

    def scan_result(self, scan_id: int | None) -> ScanResult | None:
        rows = self.query("SELECT id, result_json FROM scans WHERE id = ?", (scan_id,))
        return self._result(rows[0]) if rows and rows[0]["result_json"] else None

    def last_result(self) -> ScanResult | None:
        rows = self.query("SELECT id, result_json FROM scans WHERE result_json IS NOT NULL ORDER BY id DESC LIMIT 1")
        return self._result(rows[0]) if rows else None

    def _result(self, row: sqlite3.Row) -> ScanResult:
        try:
            return scan_from_dict(json.loads(row["result_json"]))
        except ValueError as exc:  # JSONDecodeError is one
            raise StateError(
                f"{self.path}: scan {row['id']} is stored damaged ({exc}): run `tke-orphans scan` for a new one"
            ) from None

    # ---- node history ---------------------------------------------------------------------------------------

    def node_history(self, account: str, region: str) -> dict[str, tuple[str, datetime]]:
        rows = self.query(
            "SELECT instance_id, cluster_id, last_seen FROM nodes WHERE account = ? AND region = ?", (account, region)
        )
        return {r["instance_id"]: (r["cluster_id"], _parse(r["last_seen"])) for r in rows}

    def _record_nodes(self, conn: sqlite3.Connection, snapshots: Iterable[RegionSnapshot], at: str) -> None:
        for snap in snapshots:
            conn.executemany(
                "INSERT INTO nodes (account, region, instance_id, cluster_id, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, instance_id) DO UPDATE SET"
                " first_seen = CASE WHEN nodes.cluster_id = excluded.cluster_id THEN nodes.first_seen"
                " ELSE excluded.first_seen END, cluster_id = excluded.cluster_id, last_seen = excluded.last_seen",
                [(snap.account, snap.region, iid, cid, at, at) for iid, cid in snap.members.items()],
            )

    # ---- the alert lifecycle --------------------------------------------------------------------------------

    def open_orphans(self) -> list[Tracked]:
        rows = self.query("SELECT * FROM orphans WHERE resolved_at IS NULL")
        return [
            Tracked(
                r["account"],
                r["region"],
                r["instance_id"],
                _parse(r["first_seen"]),
                _parse(r["last_notified"]) if r["last_notified"] else None,
                json.loads(r["record_json"]),
            )
            for r in rows
        ]

    def apply(self, result: ScanResult, plan: Plan, *, lifecycle: bool = True) -> None:
        """Remember a scan: node history always; orphans, resolutions and events when `lifecycle` is on."""
        at = _iso(result.scanned_at)
        with self.transaction() as conn:
            self._record_nodes(conn, result.snapshots, at)
            if not lifecycle:
                return
            for o in plan.new:
                record = candidate_to_dict(o)
                conn.execute(
                    "INSERT OR REPLACE INTO orphans (account, region, instance_id, first_seen, last_seen, record_json)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (o.account, o.region, o.instance.instance_id, at, at, json.dumps(record, ensure_ascii=False)),
                )
                self._evidence(conn, o, record, at)
                self._event(conn, at, o.account, o.region, o.instance.instance_id, "orphaned", o.reason.value)
            for o in plan.still:
                record = candidate_to_dict(o)
                old = conn.execute(
                    "SELECT record_json FROM orphans WHERE account = ? AND region = ? AND instance_id = ?",
                    (o.account, o.region, o.instance.instance_id),
                ).fetchone()
                conn.execute(
                    "UPDATE orphans SET last_seen = ?, record_json = ? WHERE account = ? AND region = ?"
                    " AND instance_id = ?",
                    (at, json.dumps(record, ensure_ascii=False), o.account, o.region, o.instance.instance_id),
                )
                if old is None or json.loads(old["record_json"]).get("evidence") != record["evidence"]:
                    self._evidence(conn, o, record, at)
            for r in plan.resolved:
                conn.execute(
                    "UPDATE orphans SET resolved_at = ?, resolved_how = ?, resolved_detail = ? WHERE account = ?"
                    " AND region = ? AND instance_id = ?",
                    (at, r.how, r.detail, r.account, r.region, r.instance.instance_id),
                )
                self._event(conn, at, r.account, r.region, r.instance.instance_id, f"resolved:{r.how}", r.detail)

    def _evidence(self, conn: sqlite3.Connection, o: Orphan, record: dict[str, Any], at: str) -> None:
        conn.execute(
            "INSERT INTO evidence_history (account, region, instance_id, seen_at, evidence_json)"
            " VALUES (?, ?, ?, ?, ?)",
            (o.account, o.region, o.instance.instance_id, at, json.dumps(record["evidence"], ensure_ascii=False)),
        )

    @staticmethod
    def _event(conn: sqlite3.Connection, at: str, account: str, region: str, iid: str, kind: str, detail: str) -> None:
        conn.execute(
            "INSERT INTO events (at, account, region, instance_id, kind, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (at, account, region, iid, kind, detail),
        )

    def add_event(
        self, kind: str, detail: str = "", *, account: str = "", region: str = "", instance_id: str = ""
    ) -> None:
        with self.transaction() as conn:
            self._event(conn, _iso(utcnow()), account, region, instance_id, kind, detail)

    def mark_notified(self, orphans: Iterable[Orphan], at: datetime) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE orphans SET last_notified = ? WHERE account = ? AND region = ? AND instance_id = ?",
                [(_iso(at), o.account, o.region, o.instance.instance_id) for o in orphans],
            )

    def open_orphan_rows(self) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT account, region, instance_id, first_seen, last_seen, record_json FROM orphans"
            " WHERE resolved_at IS NULL ORDER BY account, region, instance_id"
        )
        return [dict(r) for r in rows]

    def told_issues(self) -> set[str]:
        return {r["key"] for r in self.query("SELECT key FROM told_issues")}

    def set_told_issues(self, keys: Iterable[str]) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM told_issues")
            conn.executemany("INSERT INTO told_issues (key) VALUES (?)", [(k,) for k in keys])

    # ---- cleanup ----------------------------------------------------------------------------------------------

    def record_actions(self, decisions: Iterable[Any], actor: str, dry_run: bool, at: datetime) -> None:
        """Cleanup decisions (plan.Decision); real ones also go to the events, which `history` shows."""
        when = _iso(at)
        with self.transaction() as conn:
            for d in decisions:
                conn.execute(
                    "INSERT INTO actions (at, actor, action, dry_run, account, region, instance_id, outcome, detail,"
                    " request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (when, actor, d.action, int(dry_run), d.account, d.region, d.instance_id, d.outcome, d.detail,
                     d.request_id),
                )  # fmt: skip
                if not dry_run:
                    detail = f"{d.outcome}: {d.detail} (by {actor})"
                    self._event(conn, when, d.account, d.region, d.instance_id, f"action:{d.action}", detail)

    # ---- the outbox: notices owed to channels ----------------------------------------------------------------

    def enqueue(self, kind: str, notice: dict[str, Any]) -> int:
        """Queue a notice. A newer digest replaces the ones not yet delivered: a group gets today's, not a week's."""
        at = _iso(utcnow())
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO outbox (created_at, kind, notice_json) VALUES (?, ?, ?)",
                (at, kind, json.dumps(notice, ensure_ascii=False)),
            )
            new_id = int(cur.lastrowid or 0)
            if kind == "reminder":
                for row in conn.execute(
                    "SELECT id FROM outbox WHERE kind = 'reminder' AND done_at IS NULL AND id < ?", (new_id,)
                ).fetchall():
                    self._close_entry(conn, row["id"], "superseded", f"replaced by the newer digest #{new_id}", at)
            return new_id

    def pending(self) -> list[Pending]:
        rows = self.query(
            "SELECT id, created_at, notice_json, pending_json, attempts, last_error FROM outbox WHERE done_at IS NULL"
            " ORDER BY id"
        )
        out = []
        for r in rows:
            sent: dict[str, set[int]] = {}
            for part in self.query("SELECT channel, part FROM outbox_parts WHERE outbox_id = ?", (r["id"],)):
                sent.setdefault(part["channel"], set()).add(part["part"])
            legacy = None if r["pending_json"] is None else frozenset(json.loads(r["pending_json"]))
            notice = json.loads(r["notice_json"])
            out.append(Pending(r["id"], _parse(r["created_at"]), r["attempts"], notice, sent, r["last_error"], legacy))
        return out

    def record_part(self, outbox_id: int, channel: str, part: int) -> None:
        """One part accepted by one channel: committed at once, so that it is never sent again."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO outbox_parts (outbox_id, channel, part, at) VALUES (?, ?, ?, ?)",
                (outbox_id, channel, part, _iso(utcnow())),
            )

    def settle(self, outbox_id: int, failure: str = "") -> None:
        """One delivery attempt is over: without a failure the entry is done, else it counts one more attempt."""
        with self.transaction() as conn:
            conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?", (failure, outbox_id))
            if not failure:
                self._close_entry(conn, outbox_id, "delivered", "", _iso(utcnow()))

    def give_up(self, outbox_id: int, why: str) -> None:
        with self.transaction() as conn:
            self._close_entry(conn, outbox_id, "dead", why, _iso(utcnow()))

    def _close_entry(self, conn: sqlite3.Connection, outbox_id: int, outcome: str, why: str, at: str) -> None:
        conn.execute("UPDATE outbox SET done_at = ?, outcome = ? WHERE id = ?", (at, outcome, outbox_id))
        if outcome != "delivered":
            kind = conn.execute("SELECT kind FROM outbox WHERE id = ?", (outbox_id,)).fetchone()["kind"]
            self._event(conn, at, "", "", "", f"notice_{outcome}", f"{kind} notice #{outbox_id}: {why}")

    def dead_letters(self) -> int:
        return int(self.query("SELECT count(*) AS n FROM outbox WHERE outcome = 'dead'")[0]["n"])

    # ---- reading it back -------------------------------------------------------------------------------------

    def events(self, *, since: datetime | None = None, instance_id: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT at, account, region, instance_id, kind, detail FROM events WHERE 1 = 1", []
        if since is not None:
            sql += " AND at >= ?"
            params.append(_iso(since))
        if instance_id:
            sql += " AND instance_id = ?"
            params.append(instance_id)
        return [dict(r) for r in self.query(sql + " ORDER BY id", tuple(params))]

    def recent_scans(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT id, started_at, finished_at, status, orphans, unverified, errors_json FROM scans"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [dict(r) | {"errors": json.loads(r["errors_json"])} for r in rows]

    def export(self) -> dict[str, Any]:
        """Every table, as JSON-ready rows (`tke-orphans state export`)."""
        tables = [r["name"] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        # Table names come from sqlite_master, not from a user.
        return {t: [dict(r) for r in self.query(f"SELECT * FROM {t}")] for t in tables}

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
        self._release_lock()

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
