"""Call statistics per (service, action, region), served at /__stats for tests and the benchmark."""

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


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, str, str], _Counter] = {}

    @contextmanager
    def call(self, service: str, action: str, region: str) -> Iterator[_Counter]:
        """Count one call while it is in flight; the caller marks throttled/errors/faults on the counter."""
        key = (service, action, region)
        with self._lock:
            c = self._counters.setdefault(key, _Counter())
            c.calls += 1
            c.in_flight += 1
            c.peak_concurrency = max(c.peak_concurrency, c.in_flight)
        try:
            yield c
        finally:
            with self._lock:
                c.in_flight -= 1

    def mark(self, counter: _Counter, *, throttled: bool = False, error: bool = False, fault: bool = False) -> None:
        with self._lock:
            counter.throttled += throttled
            counter.errors += error
            counter.faults += fault

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            rows = [
                {
                    "service": s,
                    "action": a,
                    "region": r,
                    **{k: v for k, v in asdict(c).items() if k != "in_flight"},
                }
                for (s, a, r), c in sorted(self._counters.items())
            ]
        totals = {k: sum(row[k] for row in rows) for k in ("calls", "throttled", "errors", "faults")}
        return {"actions": rows, "totals": totals}

    def reset(self) -> None:
        with self._lock:
            # Calls in flight keep their own counter objects; they simply are not reported any more.
            self._counters = {}
