"""Call statistics per (service, action, region), and per account too, served at /__stats for tests and the
benchmark."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class _Counter:
    calls: int = 0
    throttled: int = 0
    errors: int = 0
    faults: int = 0
    in_flight: int = 0
    peak_concurrency: int = 0


@dataclass(frozen=True)
class _Call:
    """One call in flight: its row, and its account's row (marks go to both)."""

    rows: tuple[_Counter, _Counter]


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, str, str], _Counter] = {}
        self._by_account: dict[tuple[str, str, str, str], _Counter] = {}

    @contextmanager
    def call(self, service: str, action: str, region: str, account: str = "") -> Iterator[_Call]:
        """Count one call of `account` ("": not known, its signature failed) while it is in flight; the caller
        marks throttled/errors/faults on the counter."""
        key = (service, action, region)
        with self._lock:
            mine = self._by_account.setdefault((account, *key), _Counter())
            call = _Call((self._counters.setdefault(key, _Counter()), mine))
            for c in call.rows:
                c.calls += 1
                c.in_flight += 1
                c.peak_concurrency = max(c.peak_concurrency, c.in_flight)
        try:
            yield call
        finally:
            with self._lock:
                for c in call.rows:
                    c.in_flight -= 1

    def mark(self, call: _Call, *, throttled: bool = False, error: bool = False, fault: bool = False) -> None:
        with self._lock:
            for c in call.rows:
                c.throttled += throttled
                c.errors += error
                c.faults += fault

    def snapshot(self) -> dict[str, Any]:
        """`actions` and `totals` as always; `accounts`: per account uin, its `totals` and its `actions` rows."""
        with self._lock:
            rows = [_row(s, a, r, c) for (s, a, r), c in sorted(self._counters.items())]
            mine: dict[str, list[dict[str, Any]]] = {}
            for (account, s, a, r), c in sorted(self._by_account.items()):
                mine.setdefault(account, []).append(_row(s, a, r, c))
        accounts = {uin: {"actions": its, "totals": _totals(its)} for uin, its in mine.items()}
        return {"actions": rows, "totals": _totals(rows), "accounts": accounts}

    def reset(self) -> None:
        with self._lock:
            # Calls in flight keep their own counter objects; they simply are not reported any more.
            self._counters = {}
            self._by_account = {}


def _row(service: str, action: str, region: str, c: _Counter) -> dict[str, Any]:
    return {
        "service": service,
        "action": action,
        "region": region,
        **{k: v for k, v in asdict(c).items() if k != "in_flight"},
    }


def _totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {k: sum(row[k] for row in rows) for k in ("calls", "throttled", "errors", "faults")}
