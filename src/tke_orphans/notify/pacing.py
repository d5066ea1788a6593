"""Pace each bot under its platform's rate, across runs as well as within one (the ledger: state/ledger.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol

from ..context import Cancel

log = logging.getLogger(__name__)
# (messages, seconds): WeCom and DingTalk 20 a minute; Feishu 5 a second and 100 a minute.
WINDOWS: dict[str, tuple[tuple[int, float], ...]] = {
    "wecom": ((20, 60.0),),
    "dingtalk": ((20, 60.0),),
    "feishu": ((5, 1.0), (100, 60.0)),
}
# Clocks differ between us and the platform: leave this much room at each window's edge.
MARGIN = 1.0


class Stopped(Exception):
    """The run is stopping (SIGTERM): a wait for a bot's turn ends at once, and what was not sent stays owed."""


class SendLedger(Protocol):
    def recent_sends(self, bot: str, since: float) -> list[float]: ...

    def record_send(self, bot: str, at: float) -> None: ...

    def forget_send(self, bot: str, at: float) -> None: ...


class MemoryLedger:
    """For runs without a state database: paces within the run only."""

    def __init__(self) -> None:
        self._sends: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def recent_sends(self, bot: str, since: float) -> list[float]:
        with self._lock:
            return [at for at in self._sends[bot] if at >= since]

    def record_send(self, bot: str, at: float) -> None:
        with self._lock:
            self._sends[bot].append(at)

    def forget_send(self, bot: str, at: float) -> None:
        with self._lock:
            if at in self._sends[bot]:
                self._sends[bot].remove(at)


class BotPacer:
    def __init__(
        self,
        ledger: SendLedger,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        stop: Cancel | None = None,
    ) -> None:
        self.ledger = ledger
        self.clock = clock
        self.stop = stop
        # Waits end early when the run is stopping: a pacing wait can be a minute, a Deployment's grace 60 s.
        self.sleep: Callable[[float], object] = stop.wait if stop is not None else sleep
        self._lock = threading.Lock()

    def wait_turn(self, bot: str, platform: str) -> float:
        """Block until one more message to `bot` stays within every window; record it. Returns the time recorded."""
        windows = WINDOWS.get(platform, ())
        while True:
            if self.stop is not None and self.stop.is_set():
                raise Stopped("stopping: not sent")
            with self._lock:
                now = self.clock()
                delay = 0.0
                for limit, seconds in windows:
                    span = seconds + MARGIN
                    recent = self.ledger.recent_sends(bot, now - span)
                    if len(recent) >= limit:
                        delay = max(delay, recent[len(recent) - limit] + span - now)
                if delay <= 0:
                    self.ledger.record_send(bot, now)
                    return now
            if delay >= 1:
                log.info("%s: waiting %.0fs for its turn under the %s rate limit", bot, delay, platform)
            self.sleep(delay)

    def withdraw(self, bot: str, at: float) -> None:
        """A send the platform refused for good (a revoked key, a bad signature) took no message from the bot's
        minute: it leaves the ledger, so that a broken bot's one try a run never makes later runs wait."""
        with self._lock:
            self.ledger.forget_send(bot, at)
