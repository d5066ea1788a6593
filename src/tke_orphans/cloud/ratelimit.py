"""Client-side pacing: stay under each API's per-region limit so that throttling is rare, not routine."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

# Documented limits, calls per second per API per region per sub-account (docs/tencentcloud-api.md).
DOCUMENTED: dict[str, float] = {
    "cvm.DescribeInstances": 40,
    "cvm.DescribeRegions": 20,
    "cvm.TerminateInstances": 10,
    "region.DescribeRegions": 50,
}
DEFAULT_TKE = 20.0
# Run a little below the documented rate: clocks and network jitter bunch requests up on the way.
HEADROOM = 0.95


def default_rate(api: str) -> float:
    return DOCUMENTED.get(api, DEFAULT_TKE) * HEADROOM


class Pacer:
    """A blocking token bucket per (api, region); `acquire` waits for a token instead of failing."""

    def __init__(
        self,
        overrides: Mapping[str, float] | None = None,
        *,
        burst_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._overrides = dict(overrides or {})
        self._burst = burst_seconds
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._state: dict[tuple[str, str], tuple[float, float]] = {}

    def rate(self, api: str) -> float:
        return self._overrides.get(api, default_rate(api))

    def acquire(self, api: str, region: str) -> None:
        rate = self.rate(api)
        capacity = max(1.0, rate * self._burst)
        key = (api, region)
        while True:
            with self._lock:
                now = self._clock()
                tokens, last = self._state.get(key, (capacity, now))
                tokens = min(capacity, tokens + (now - last) * rate)
                if tokens >= 1:
                    self._state[key] = (tokens - 1, now)
                    return
                self._state[key] = (tokens, now)
                wait = (1 - tokens) / rate
            self._sleep(wait)
