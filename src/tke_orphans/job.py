"""The main job, as `scan` and `serve` run it: scan, remember, decide what changed, tell it (exactly once).

Only changes are told: new orphans, a digest of those still there every `remind_every`, and resolved ones; notices
go through an outbox, so that what a run could not deliver is sent by the next one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .cloud.errors import as_text
from .cloud.session import CallListener
from .config import Config
from .model import ApiFailure, ScanResult
from .notify import Delivery, Notice, Notifier, bot_specs
from .notify.i18n import duration
from .records import notice_from_dict, notice_to_dict
from .scan import run_scan
from .state import StateDB
from .state.db import utcnow
from .state.lifecycle import Plan, plan

log = logging.getLogger(__name__)


class Cancelled(Exception):
    pass


@dataclass
class JobResult:
    result: ScanResult
    notices: list[Notice] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    first_seen: dict[str, datetime] = field(default_factory=dict)

    @property
    def failed_deliveries(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.ok]


def errors_of(result: ScanResult) -> tuple[tuple[str, ApiFailure], ...]:
    errors = tuple((f"{r.account}/{r.region}", e) for r in result.regions for e in r.errors)
    return errors + tuple(("", e) for e in result.errors)


def issue_keys(result: ScanResult) -> set[str]:
    """What could not be checked, as keys: told once when it appears, not on every run while it lasts."""
    keys = {f"unverified:{u.account}/{u.region}/{u.why}" for u in result.unverified}
    return keys | {f"error:{where}/{e.api}/{e.cluster_id}/{e.code}" for where, e in errors_of(result)}


def notices_for(result: ScanResult, cfg: Config) -> list[Notice]:
    """Everything a scan found, as one notice (`preview`, `scan --output markdown`); a run tells only changes."""
    notice = Notice(
        kind="new",
        scanned_at=result.scanned_at,
        orphans=result.orphans,
        unverified=result.unverified,
        errors=errors_of(result),
        status_url=cfg.serve.public_url,
        result=result,
        leftovers=result.leftovers,
    )
    return [] if notice.empty else [notice]


def lifecycle_notices(p: Plan, result: ScanResult, cfg: Config, told: set[str]) -> list[Notice]:
    """`told`: the problems (could not check X) already told; only new ones are worth a message."""
    url, at = cfg.serve.public_url, result.scanned_at
    out: list[Notice] = []
    new_issues = issue_keys(result) - told
    if p.orphans.new or p.leftovers.new or new_issues:
        errors = errors_of(result)
        # first_seen: an orphan recorded by a `scan --no-notify` has been one for a while already.
        ids = [o.instance.instance_id for o in p.orphans.new] + [x.resource_id for x in p.leftovers.new]
        first = {i: p.first_seen[i] for i in ids}
        out.append(Notice("new", at, tuple(p.orphans.new), (), result.unverified, errors, first, url, result,
                          leftovers=tuple(p.leftovers.new)))  # fmt: skip
    if p.orphans.remind or p.leftovers.remind:
        out.append(Notice("reminder", at, tuple(p.orphans.remind), first_seen=dict(p.first_seen), status_url=url,
                          result=result, leftovers=tuple(p.leftovers.remind)))  # fmt: skip
    if p.orphans.resolved or p.leftovers.resolved:
        out.append(Notice("resolved", at, resolved=tuple(p.orphans.resolved), status_url=url, result=result,
                          resolved_leftovers=tuple(p.leftovers.resolved)))  # fmt: skip
    return out


def deliver_outbox(
    state: StateDB,
    cfg: Config,
    current: ScanResult | None,
    scan_id: int | None,
    stop: threading.Event | None = None,
) -> list[Delivery]:
    """Send every notice still owed, to the channels and parts that still owe it, recording each part as it is
    accepted. A notice refused too long (`webhook.outbox`) is given up, told once here and kept in the history.
    One deliverer at a time: while another process delivers, this one leaves what is owed to it (and says so)."""
    with state.outbox.lease() as mine:
        if not mine:
            log.warning("another tke-orphans process is delivering the outbox: what is owed waits for it")
            why = "another process is delivering the outbox; what is owed waits for the next delivery"
            return [Delivery("outbox", "outbox", "-", False, 0, "busy", why)]
        return _deliver_owed(state, cfg, {} if scan_id is None or current is None else {scan_id: current}, stop)


def _deliver_owed(
    state: StateDB, cfg: Config, results: dict[int, ScanResult | None], stop: threading.Event | None
) -> list[Delivery]:
    """`results`: the scans notices were made from, by id, read from the state once each."""
    out: list[Delivery] = []
    limits = cfg.webhook.outbox
    with Notifier(cfg, state.sends, stop=stop) as notifier:
        for entry in state.outbox.pending():
            if stop is not None and stop.is_set():
                break  # what was not sent stays owed
            age = utcnow() - entry.created_at
            if entry.attempts >= limits.max_attempts or age > limits.max_age:
                last = entry.last_error or "-"
                why = f"given up after {entry.attempts} attempt(s) over {duration(age, 'en')}: {last}"
                state.outbox.give_up(entry.outbox_id, why)
                log.warning("%s notice #%d %s", entry.notice["kind"], entry.outbox_id, why)
                out.append(Delivery("outbox", "outbox", f"#{entry.outbox_id}", False, entry.attempts, "gave_up", why))
                continue
            doc = entry.notice
            scan_id = doc.get("scan_id")
            if scan_id is not None and scan_id not in results:
                results[scan_id] = state.scans.result(scan_id)
            result = None if scan_id is None else results[scan_id]

            def accepted(d: Delivery, outbox_id: int = entry.outbox_id) -> None:
                if d.ok:
                    state.outbox.record_part(outbox_id, d.channel, int(d.part.split("/")[0]))

            deliveries = notifier.deliver(notice_from_dict(doc, result), entry.owes, accepted)
            if stop is not None and stop.is_set():
                break  # a stop is not the bot's fault: no attempt is counted
            state.outbox.settle(entry.outbox_id, as_text("; ".join(d.describe() for d in deliveries if not d.ok)))
            for d in deliveries:
                kind = "notified" if d.ok else "delivery_failed"
                state.events.add(kind, f"{doc['kind']} {d.describe()}")
            out += deliveries
    return out


def run_job(
    cfg: Config,
    *,
    state: StateDB,
    notify: bool = True,
    regions: Sequence[str] = (),
    endpoint_url: str | None = None,
    listener: CallListener | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    cancel: threading.Event | None = None,
    deliver: bool = True,
    on_recorded: Callable[[], None] | None = None,
) -> JobResult:
    """One pass. `notify=False` looks without telling: the lifecycle is not advanced, so nothing is lost.
    `deliver=False` queues what to tell and leaves the sending to the caller (`serve` delivers in the background).

    A pass cancelled half-way (SIGTERM in `serve`, Ctrl-C in `scan`) is dropped whole: nothing is recorded, nothing
    is told. Once it is recorded (`on_recorded`), a cancel stops only the delivery: what was not sent stays owed.
    """
    result = run_scan(
        cfg,
        regions_override=regions,
        endpoint_url=endpoint_url,
        listener=listener,
        now=now,
        history=state.nodes.history,
        cancel=cancel,
        prices=state.prices,
    )
    if cancel is not None and cancel.is_set():
        raise Cancelled("the pass was stopped before it finished; nothing was recorded")
    channels = cfg.webhook.enabled and bool(bot_specs(cfg))
    # What the scan changed and what it owes the channels are committed together, or not at all.
    with state.transaction():
        p = plan(result, state.orphans.open(), cfg.webhook.remind_every, result.scanned_at, state.leftovers.open())
        state.nodes.remember(result.snapshots, result.scanned_at)
        state.orphans.apply(result.scanned_at, p.orphans, lifecycle=notify)
        state.leftovers.apply(result.scanned_at, p.leftovers, lifecycle=notify)
        scan_id = state.scans.record(result)
        job = JobResult(result, first_seen=dict(p.first_seen))
        if notify and channels:
            job.notices = lifecycle_notices(p, result, cfg, state.issues.told())
            for notice in job.notices:
                state.outbox.enqueue(notice.kind, notice_to_dict(notice, scan_id))
            state.orphans.mark_notified(p.orphans.told(), result.scanned_at)
            state.leftovers.mark_notified(p.leftovers.told(), result.scanned_at)
            state.issues.set(issue_keys(result))
        if cancel is not None and cancel.is_set():  # stopped while it was being written: rolled back
            raise Cancelled("the pass was stopped before it finished; nothing was recorded")
    if on_recorded is not None:
        on_recorded()
    if notify and channels and deliver:
        job.deliveries = deliver_outbox(state, cfg, result, scan_id, cancel)
    return job
