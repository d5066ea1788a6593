"""One retry loop and one backoff, for the cloud calls and the chat bots alike; each caller gives only its rule.

A tiny helper rather than tenacity or stamina: the rules differ in ways those libraries express awkwardly (two
budgets in one cloud call, throttling bounded by a scan-wide deadline and everything else by a count; a mutating call
retried only when throttled; chat bots waiting longer on throttling codes), and each caller waits its own way (a
stop event, an injected test clock).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def full_jitter(step: float) -> float:
    """Anywhere from 0 to the step: clients throttled together do not come back together."""
    return random.uniform(0, step)


def up_to_double(step: float) -> float:
    """At least the step, at most twice it."""
    return random.uniform(step, 2 * step)


def no_jitter(step: float) -> float:
    return step


@dataclass(frozen=True)
class Backoff:
    """The wait before try n+1: `base * 2**(n-1)`, at most `cap`, then jittered."""

    base: float
    cap: float = float("inf")
    jitter: Callable[[float], float] = full_jitter

    def delay(self, n: int) -> float:
        return float(self.jitter(min(self.cap, self.base * 2 ** (n - 1))))


def retrying(once: Callable[[int], T], again: Callable[[T, int], float | None], wait: Callable[[float], None]) -> T:
    """`once(n)` for n = 1, 2, ...; after each, `again(outcome, n)` says how long to wait before the next try, or
    None: this outcome is the last (a success, an error not worth another try, or the budget spent)."""
    n = 1
    while True:
        outcome = once(n)
        delay = again(outcome, n)
        if delay is None:
            return outcome
        wait(delay)
        n += 1
