"""`serve`: scan on an interval, one pass at a time, surviving a bad pass; stop cleanly on SIGTERM."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from ..config.schema import Config, format_duration
from ..context import Run
from ..job import Cancelled, run_job
from ..state import StateDB, StateLocked
from .deliver import Deliverer
from .metrics import Metrics
from .web import Health, StatusServer

log = logging.getLogger(__name__)


@dataclass
class Service:
    cfg: Config
    state: StateDB
    interval: timedelta
    listen: tuple[str, int]
    endpoint_url: str | None = None
    # Run after each good pass (serve --cleanup mark); its failure is logged, the service goes on.
    after_pass: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.stop = threading.Event()
        self.metrics = Metrics(self.cfg.detection.policy().leftovers)
        self.deliverer = Deliverer(self.cfg, self.state, self.metrics, self.stop)
        # Ready while a pass finished within two intervals (and a minute for the pass itself).
        self.health = Health(2 * self.interval.total_seconds() + 60, lambda: self.deliverer.busy)
        web = self.cfg.serve
        self.server = StatusServer(
            self.listen,
            self.state,
            self.metrics,
            self.health,
            self.cfg.webhook.language,
            max_connections=web.max_connections,
            read_timeout=web.read_timeout,
            auth=web.auth,
            timezone=self.cfg.webhook.timezone,
        )
        self.passes = 0
        self.stopped_by = ""  # the signal's name, for the last log line
        self.every = format_duration(self.interval)  # "30s", "10m": as the config and --interval write it
        # After a restart, carry on from what the state remembers rather than from zero.
        last_ok, last_any = self.state.scans.last_times()
        if last_ok is not None:
            self.metrics.last_success.set(last_ok)
        if last_any is not None:
            self.metrics.last_scan.set(last_any)
            self.health.last_finished = last_any

    def run_pass(self) -> None:
        """One pass, then the deliverer is woken: for what the pass queued, or what is owed from before."""
        try:
            self._pass()
        finally:
            self.deliverer.wake()

    def _pass(self) -> None:
        started = time.monotonic()
        try:
            # The state is locked for a pass only: `cleanup` or `history` can use it between passes. What the pass
            # owes the channels is queued; the deliverer sends it in the background (deliver.py).
            with self.state.locked():
                run = Run(self.cfg, self.endpoint_url, listener=self.metrics.on_call, cancel=self.stop)
                job = run_job(run, state=self.state, deliver=False)
        except StateLocked as exc:
            log.warning("pass skipped: %s; the next one runs in %s", exc, self.every)
            return
        except Cancelled:
            log.info("stopped during a pass: nothing of it was recorded")
            return
        except Exception:
            log.exception("scan pass failed; the next one runs in %s", self.every)
            self.metrics.failed(time.monotonic() - started, time.time())
            return
        finally:
            self.passes += 1
        for r in job.result.regions:  # the pass's errors, once each (the scan itself only logs them at debug)
            for e in r.errors:
                log.warning("%s/%s: %s", r.account, r.region, e.describe())
        for e in job.result.errors:
            log.warning("%s", e.describe())
        self.metrics.observe(job, time.monotonic() - started, time.time())
        self.health.last_finished = time.time()
        log.info(
            "pass %d: %s, %d orphan(s), %d unverified, %d notice(s) to send",
            self.passes,
            job.result.status,
            len(job.result.orphans),
            len(job.result.unverified),
            len(job.notices),
        )
        if self.after_pass is not None and not self.stop.is_set():
            try:
                self.after_pass()
            except Exception:
                log.exception("after the pass: failed; the next one runs in %s", self.every)

    def run(self) -> None:
        """Until `stop` is set: a pass at start, then one every interval."""
        self.server.start()
        log.info("serving on %s, a scan every %s", self.server.url, self.every)
        try:
            while not self.stop.is_set():
                self.run_pass()
                self.stop.wait(self.interval.total_seconds())
        finally:
            self.close()
            log.info("stopped%s after %d pass(es)", f" on {self.stopped_by}" if self.stopped_by else "", self.passes)

    def close(self) -> None:
        """Stop: the delivery under way ends at its next part or pacing wait (what is not sent stays owed)."""
        self.stop.set()
        self.deliverer.close()
        self.server.stop()
