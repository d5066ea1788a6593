"""Client-side pacing: stay under each API's per-region limit so that throttling is rare, not routine.

The documented limit is the whole account's: Terraform, the console and every other tool share it. So the pacer
adapts, as the AWS SDKs' adaptive retry mode does: a throttled answer halves that API's rate in that region, and
each answered call wins back a little, so a scan settles on what the account can spare instead of hammering it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..context import Cancel

# Documented limits, calls per second per API per region per sub-account.
DOCUMENTED: dict[str, float] = {
    "cvm.DescribeInstances": 40,
    "cloudaudit.DescribeEvents": 20,
    "cvm.DescribeRegions": 20,
    "cvm.TerminateInstances": 10,
    "cvm.InquiryPriceRunInstances": 10,
    "cvm.InquiryPriceRenewInstances": 10,
    "cvm.InquiryPriceTerminateInstances": 10,
    "region.DescribeRegions": 50,
}
DEFAULT_TKE = 20.0
# Run a little below the documented rate: clocks and network jitter bunch requests up on the way.
HEADROOM = 0.95
# Adaptation: never below this share of the rate; each answered call wins back this share of it; the many calls in
# flight when throttling starts count as one signal, so the rate halves at most once per this many seconds.
FLOOR = 1 / 16
RECOVERY = 1 / 32
SETTLE = 0.5


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
        self._share: dict[tuple[str, str], float] = {}  # the adapted share of the rate, 1.0 when never throttled
        self._lowest: dict[tuple[str, str], float] = {}
        self._last_cut: dict[tuple[str, str], float] = {}

    def rate(self, api: str, region: str | None = None) -> float:
        nominal = self._overrides.get(api, default_rate(api))
        return nominal if region is None else nominal * self._share.get((api, region), 1.0)

    def throttled(self, api: str, region: str) -> None:
        """The cloud said "too many requests": halve this API's rate in this region (once per burst of refusals)."""
        key = (api, region)
        with self._lock:
            now = self._clock()
            if now - self._last_cut.get(key, -SETTLE) < SETTLE:
                return
            self._last_cut[key] = now
            share = max(FLOOR, self._share.get(key, 1.0) / 2)
            self._share[key] = share
            self._lowest[key] = min(share, self._lowest.get(key, 1.0))
            tokens = self._state.get(key, (0.0, now))[0]
            self._state[key] = (min(tokens, 0.0), now)  # spend no saved-up burst right after a refusal

    def answered(self, api: str, region: str) -> None:
        key = (api, region)
        if key in self._share:
            with self._lock:
                share = self._share.get(key, 1.0) + RECOVERY
                if share >= 1.0:
                    self._share.pop(key, None)
                else:
                    self._share[key] = share

    def lowest(self) -> dict[tuple[str, str], float]:
        """(api, region) -> the lowest share of its rate this pacer went down to; only those ever throttled."""
        with self._lock:
            return dict(self._lowest)

    def acquire(self, api: str, region: str, stop: Cancel | None = None) -> bool:
        """Take a token, waiting for one; False, with none taken, once `stop` is set: the wait ends at once."""
        key = (api, region)
        while True:
            if stop is not None and stop.is_set():
                return False
            with self._lock:
                rate = self.rate(api, region)
                capacity = max(1.0, rate * self._burst)
                now = self._clock()
                tokens, last = self._state.get(key, (capacity, now))
                tokens = min(capacity, tokens + (now - last) * rate)
                if tokens >= 1:
                    self._state[key] = (tokens - 1, now)
                    return True
                self._state[key] = (tokens, now)
                wait = (1 - tokens) / rate
            if stop is None:
                self._sleep(wait)
            else:
                stop.wait(wait)
