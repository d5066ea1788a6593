"""`serve`'s deliverer: the outbox drained beside the passes, so that a backlog never holds a pass or its lock.

A new-orphans notice of 1,500 orphans is 188 WeCom parts, 9 minutes at 20 messages a minute. Sent inside the pass,
it held the state lock and the schedule that long. Here one thread drains the outbox whenever a pass has queued
something (one drain at a time; each part recorded as delivered in its own transaction, as a run does), while the
passes keep their interval. A stop (SIGTERM) ends the pacing waits at once; what was not sent stays owed.
"""

from __future__ import annotations

import logging
import threading

from ..config.schema import Config
from ..delivery import deliver_outbox
from ..notify import bot_specs
from ..state import StateDB
from .metrics import Metrics

log = logging.getLogger(__name__)


class Deliverer:
    def __init__(self, cfg: Config, state: StateDB, metrics: Metrics, stop: threading.Event) -> None:
        self.cfg, self.state, self.metrics, self.stop = cfg, state, metrics, stop
        self.enabled = cfg.webhook.enabled and bool(bot_specs(cfg))
        self._lock = threading.Lock()  # wake and idle change together
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self.busy = False  # a drain is under way (/readyz says "delivering")

    def wake(self) -> None:
        """Something may be owed: drain the outbox now, or right after the drain under way."""
        if not self.enabled or self.stop.is_set():
            return
        with self._lock:
            self._idle.clear()
            self._wake.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="deliverer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self.stop.is_set():
                break
            self._wake.clear()
            self.busy = True
            try:
                deliveries = deliver_outbox(self.state, self.cfg, None, None, self.stop)
            except Exception:
                log.exception("delivering the outbox failed; what is owed goes with the next pass's delivery")
                deliveries = []
            finally:
                self.busy = False
            self.metrics.delivered(deliveries)
            if deliveries:
                sent = sum(d.ok for d in deliveries)
                log.info("delivered: %d part(s) sent, %d not", sent, len(deliveries) - sent)
            with self._lock:
                if not self._wake.is_set():
                    self._idle.set()
        self._idle.set()

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is being delivered or waiting to be (tests; a clean stop)."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 60.0) -> None:
        """After `stop` is set: the drain under way ends at its next pacing wait or part; wait for it."""
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
