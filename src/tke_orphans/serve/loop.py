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
from ..events import Key
from ..job import Cancelled, run_job
from ..state import StateDB, StateLocked
from .deliver import Deliverer
from .events import Reactor
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
    # serve --events (or serve.events.enabled): scans of an account and region soon after TKE removed nodes there.
    events: bool = False

    def __post_init__(self) -> None:
        self.stop = threading.Event()
        self.wake = threading.Event()  # set when an event asks for a scan
        self._one = threading.Lock()  # one pass at a time, whoever asks for it
        self.metrics = Metrics(self.cfg.detection.policy().leftovers)
        self.deliverer = Deliverer(self.cfg, self.state, self.metrics, self.stop)
        # Ready while a pass finished within two intervals (and a minute for the pass itself).
        self.health = Health(2 * self.interval.total_seconds() + 60, lambda: self.deliverer.busy)
        web = self.cfg.serve
        on = self.events or self.cfg.serve.events.enabled
        polls = Run(self.cfg, self.endpoint_url, listener=self.metrics.on_call, cancel=self.stop)
        self.reactor = Reactor(polls, self.metrics, self.stop, self.wake) if on else None
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
            events=self.reactor.receive if self.reactor and self.cfg.serve.events.secret else None,
            max_body=self.cfg.serve.events.max_body,
        )
        self.passes = 0
        self.event_passes = 0
        self.stopped_by = ""  # the signal's name, for the last log line
        self.every = format_duration(self.interval)  # "30s", "10m": as the config and --interval write it
        # After a restart, carry on from what the state remembers rather than from zero.
        last_ok, last_any = self.state.scans.last_times()
        if last_ok is not None:
            self.metrics.last_success.set(last_ok)
        if last_any is not None:
            self.metrics.last_scan.set(last_any)
            self.health.last_finished = last_any

    def run_pass(self, only: Key | None = None) -> None:
        """One pass (`only`: of that account and region, as an event asked), then the deliverer is woken: for what
        the pass queued, or what is owed from before."""
        try:
            with self._one:
                self._pass(only)
        finally:
            self.deliverer.wake()

    def _pass(self, only: Key | None) -> None:
        started = time.monotonic()
        what = "scan pass" if only is None else "event scan of {}/{}".format(*only)
        try:
            # The state is locked for a pass only: `cleanup` or `history` can use it between passes. What the pass
            # owes the channels is queued; the deliverer sends it in the background (deliver.py).
            with self.state.locked():
                accounts, regions = (None, ()) if only is None else (frozenset(only[:1]), only[1:])
                run = Run(self.cfg, self.endpoint_url, listener=self.metrics.on_call, cancel=self.stop,
                          accounts=accounts)  # fmt: skip
                job = run_job(run, state=self.state, deliver=False, regions=regions)
        except StateLocked as exc:
            log.warning("%s skipped: %s; the next one runs in %s", what, exc, self.every)
            return
        except Cancelled:
            log.info("stopped during a pass: nothing of it was recorded")
            return
        except Exception:
            log.exception("%s failed; the next one runs in %s", what, self.every)
            if only is None:
                self.metrics.failed(time.monotonic() - started, time.time())
            else:
                self.metrics.event_scans.labels("error").inc()
            return
        finally:
            if only is None:
                self.passes += 1
            else:
                self.event_passes += 1
        for r in job.result.regions:  # the pass's errors, once each (the scan itself only logs them at debug)
            for e in r.errors:
                log.warning("%s/%s: %s", r.account, r.region, e.describe())
        for e in job.result.errors:
            log.warning("%s", e.describe())
        if only is not None:  # the metrics and readiness tell of whole passes: this one saw one region
            self.metrics.event_scans.labels(job.result.status).inc()
            log.info("%s: %s, %d orphan(s), %d notice(s) to send", what, job.result.status,
                     len(job.result.orphans), len(job.notices))  # fmt: skip
            return
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
        log.info("serving on %s, a scan every %s%s", self.server.url, self.every,
                 ", and soon after TKE's deleting calls" if self.reactor else "")  # fmt: skip
        if self.reactor is not None:
            self.reactor.start()
        try:
            due = time.monotonic()
            while not self.stop.is_set():
                if time.monotonic() >= due:
                    started = time.monotonic()
                    self.run_pass()
                    if self.reactor is not None:  # what events asked for before it, it has seen
                        self.reactor.covered(started)
                    due = time.monotonic() + self.interval.total_seconds()
                for key in self.reactor.take() if self.reactor is not None else ():
                    if not self.stop.is_set():
                        self.run_pass(key)
                self._sleep(due)
        finally:
            self.close()
            log.info("stopped%s after %d pass(es)", f" on {self.stopped_by}" if self.stopped_by else "", self.passes)

    def _sleep(self, until: float) -> None:
        """Until `until` (monotonic), a scan an event asked for is due, or the service stops."""
        while not self.stop.is_set():
            self.wake.clear()
            asked = self.reactor.next_at() if self.reactor is not None else None
            left = min(until, until if asked is None else asked) - time.monotonic()
            if left <= 0:
                return
            self.wake.wait(min(left, 0.5))  # `stop` is set by signal handlers, which do not set `wake`

    def close(self) -> None:
        """Stop: the delivery under way ends at its next part or pacing wait (what is not sent stays owed)."""
        self.stop.set()
        self.wake.set()
        self.deliverer.close()
        self.server.stop()
