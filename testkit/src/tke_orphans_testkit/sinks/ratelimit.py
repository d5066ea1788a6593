"""Sliding windows over one bot's accepted messages, on the injected clock.

Sliding (not per calendar minute) on purpose: a sender that never trips a sliding window never trips a fixed one.
"""

from __future__ import annotations

from collections import deque


class Windows:
    """`limits` is ((seconds, most messages in any such span), ...); a message at `t` counts while `now - t < seconds`,
    so a sender spacing messages exactly `seconds / most` apart never trips it."""

    def __init__(self, limits: tuple[tuple[float, int], ...]) -> None:
        self.limits = limits
        self.span = max(seconds for seconds, _ in limits)
        self.times: deque[float] = deque()
        self.blocked_until = float("-inf")

    def full(self, now: float) -> bool:
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()
        return any(sum(1 for t in self.times if t > now - seconds) >= most for seconds, most in self.limits)

    def add(self, now: float) -> None:
        self.times.append(now)
