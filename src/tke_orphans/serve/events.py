"""`serve --events`: hear of TKE's deleting calls soon after they happen, and ask the loop for a scan of their
account and region. Two ears: a poller of each account's CloudAudit log (DescribeEvents), and POST /events (an
EventBridge rule's audit records, forwarded and signed by deploy/events/index.py).

Events are hints and nothing else: a poll that fails is logged (once, until it works again) and changes no verdict,
no region's status and no exit code; the scan they bring forward decides as every scan does.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from ..cloud import audit
from ..cloud.accounts import AccountPlan, make_session, plan_accounts
from ..cloud.errors import CloudError, CredentialsError
from ..config.schema import REGION
from ..context import Run
from ..events import Debounce, Key, Refused, Replays, forwarded, verify
from ..sanitize import visible
from .metrics import Metrics

log = logging.getLogger(__name__)

# Each poll looks this far back before the last one: an event may be readable a while after it happened (the audit
# log's delay); the ones already heard of are not heard again.
OVERLAP = timedelta(minutes=5)


def in_scope(plan: AccountPlan, region: str) -> bool:
    """An event in a region the account is not scanned in asks for nothing: the scan would reach past the config."""
    if plan.regions == "all":
        return REGION.fullmatch(region) is not None
    return region in plan.regions


def _told(event: audit.AuditEvent, account: str, region: str, source: str) -> None:
    log.info("events: %s %s in %s/%s by %s (%s): a scan of it is due", visible(event.name),
             visible(event.request_id), account, region, visible(event.who), source)  # fmt: skip


class Reactor:
    """What events asked for, debounced (events.Debounce); the loop takes the scans due (`take`) and runs them as
    its passes, one at a time. Thread-safe: the poller, the HTTP threads and the loop share it."""

    def __init__(self, run: Run, metrics: Metrics, stop: threading.Event, wake: threading.Event) -> None:
        """`run`: the polls' context (the service's config and endpoint, its metrics' listener, its stop)."""
        self.cfg, self.settings, self.metrics = run.cfg, run.cfg.serve.events, metrics
        self.stop, self.wake = stop, wake
        self.run = run
        self._lock = threading.Lock()
        self._debounce = Debounce(self.settings.floor.total_seconds())
        self._replays = Replays(self.settings.replay_window.total_seconds())
        # Where polls start: the service's start, each account's last good poll, and the last whole pass's start
        # (what happened before it, that pass saw), each less the overlap. A log that failed for days is not read
        # back further than that.
        self.started = self._passed = datetime.now(UTC)
        self._since: dict[str, datetime] = {}  # by account
        self._heard: dict[str, dict[str, datetime]] = {}  # by account: the event ids heard, with their times
        self._failing: set[str] = set()  # accounts whose last poll failed (told once)
        self._thread = threading.Thread(target=self._poll_forever, name="events-poller", daemon=True)

    # The loop's side.
    def take(self) -> list[Key]:
        with self._lock:
            return self._debounce.take(time.monotonic())

    def next_at(self) -> float | None:
        with self._lock:
            return self._debounce.next_at()

    def covered(self, since: float) -> None:
        """A whole pass started at `since` (monotonic)."""
        with self._lock:
            self._debounce.covered(since)
        self._passed = datetime.now(UTC) - timedelta(seconds=time.monotonic() - since)

    def ask(self, account: str, region: str, source: str) -> None:
        self.metrics.events.labels(source).inc()
        with self._lock:
            self._debounce.ask((account, region), time.monotonic())
        self.wake.set()

    # The poller.
    def start(self) -> None:
        self._thread.start()

    def _poll_forever(self) -> None:
        while not self.stop.wait(self.settings.poll_interval.total_seconds()):
            self.poll()

    def poll(self) -> None:
        """One poll of every account's audit log, since its last good one."""
        for plan in plan_accounts(self.cfg):
            if self.stop.is_set():
                return
            now = datetime.now(UTC)
            try:
                heard = self._read(plan, now)
            except (CloudError, CredentialsError) as exc:
                self._failed(plan.name, str(exc))
                continue
            except Exception as exc:  # a bug must not stop the poller: the interval goes on
                log.debug("events: poll of %s", plan.name, exc_info=True)
                self._failed(plan.name, f"{type(exc).__name__}: {exc}")
                continue
            self.metrics.event_polls.labels("ok").inc()
            if plan.name in self._failing:
                self._failing.discard(plan.name)
                log.info("events: %s's audit log is read again", plan.name)
            self._since[plan.name] = now
            for event in heard:
                if in_scope(plan, event.region):
                    _told(event, plan.name, event.region, "polled")
                    self.ask(plan.name, event.region, "poll")

    def _read(self, plan: AccountPlan, now: datetime) -> list[audit.AuditEvent]:
        """The events of `plan`'s log not heard of yet."""
        since = max(self.started, self._since.get(plan.name, self.started) - OVERLAP, self._passed - OVERLAP)
        found = audit.since(make_session(self.run, plan), self.settings.region, since, now)
        heard = {k: at for k, at in self._heard.get(plan.name, {}).items() if at >= since - OVERLAP}
        new = [e for e in found if e.name in audit.NAMES and e.event_id not in heard]
        self._heard[plan.name] = heard | {e.event_id: e.time for e in new}
        return new

    def _failed(self, account: str, why: str) -> None:
        self.metrics.event_polls.labels("error").inc()
        if account not in self._failing:
            self._failing.add(account)
            log.warning("events: cannot read %s's audit log (%s); scans go on at the interval (told once, until it "
                        "is read again)", account, why)  # fmt: skip

    # POST /events.
    def receive(self, stamp: str, sig: str, body: bytes) -> tuple[int, str]:
        """A forwarded audit record: (status, short reason). Only a signed, fresh, new TKE deleting call of an account
        and region this service scans asks for a scan; anything else changes nothing."""
        secret = self.settings.secret
        if secret is None:
            return 404, "not found"
        try:
            with self._lock:
                verify(secret.get_secret_value(), stamp, sig, body, time.time(),
                       self.settings.replay_window.total_seconds(), self._replays)  # fmt: skip
            fw = forwarded(body)
            plans = plan_accounts(self.cfg)
            # By the uin the record names; accounts configured without a uin may be it.
            mine = [p for p in plans if p.uin == fw.uin] or [p for p in plans if p.uin is None]
            keys = [(p.name, fw.event.region) for p in mine if in_scope(p, fw.event.region)]
            if not keys:
                raise Refused(422, "not an account and region this service scans")
        except Refused as refused:
            log.info("events: POST /events refused: %s", refused.reason)
            return refused.status, refused.reason
        for account, region in keys:
            _told(fw.event, account, region, "forwarded")
            self.ask(account, region, "post")
        return 202, "a scan is due"
