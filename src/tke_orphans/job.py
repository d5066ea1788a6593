"""The main job, as `scan` and `serve` run it: scan, remember, decide what changed, tell it (exactly once).

Only changes are told: new orphans, a digest of those still there every `remind_every`, and resolved ones; notices
go through an outbox, so that what a run could not deliver is sent by the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .config import Config
from .context import Run
from .delivery import deliver_outbox
from .gone import keep_open, still_there
from .model import ApiFailure, Leftover, Orphan, ScanResult
from .notify import Delivery, Notice, bot_specs
from .origins import attribute, known
from .records import notice_to_dict
from .routing import account_facts, split
from .scan import run_scan
from .state import StateDB
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


def notices_for(result: ScanResult, cfg: Config, route: str | None = None) -> list[Notice]:
    """Everything a scan found, as one notice (`preview`, `scan --output markdown`); a run tells only changes.
    `route`: what that route of webhook.routes would be told of it."""
    notice = Notice(
        kind="new",
        scanned_at=result.scanned_at,
        findings=(*result.orphans, *result.leftovers),
        unverified=result.unverified,
        errors=errors_of(result),
        status_url=cfg.serve.public_url,
        result=result,
    )
    if route is not None:
        return [n for n in split(notice, cfg.webhook.routes, account_facts(cfg, result)) if n.route == route]
    return [] if notice.empty else [notice]


def lifecycle_notices(p: Plan, result: ScanResult, cfg: Config, told: set[str]) -> list[Notice]:
    """`told`: the problems (could not check X) already told; only new ones are worth a message."""
    url, at = cfg.serve.public_url, result.scanned_at
    out: list[Notice] = []
    new_issues = issue_keys(result) - told
    new: tuple[Orphan | Leftover, ...] = (*p.orphans.new, *p.leftovers.new)
    remind: tuple[Orphan | Leftover, ...] = (*p.orphans.remind, *p.leftovers.remind)
    resolved = (*p.orphans.resolved, *p.leftovers.resolved)
    if new or new_issues:
        # first_seen: an orphan recorded by a `scan --no-notify` has been one for a while already.
        first = {f.resource_id: p.first_seen[f.resource_id] for f in new}
        out.append(Notice("new", at, new, (), result.unverified, errors_of(result), first, url, result))
    if remind:
        out.append(Notice("reminder", at, remind, first_seen=dict(p.first_seen), status_url=url, result=result))
    if resolved:
        out.append(Notice("resolved", at, resolved=resolved, status_url=url, result=result))
    return out


def run_job(
    run: Run,
    *,
    state: StateDB,
    notify: bool = True,
    regions: Sequence[str] = (),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    deliver: bool = True,
    on_recorded: Callable[[], None] | None = None,
) -> JobResult:
    """One pass. `notify=False` looks without telling: the lifecycle is not advanced, so nothing is lost.
    `deliver=False` queues what to tell and leaves the sending to the caller (`serve` delivers in the background).

    A pass cancelled half-way (SIGTERM in `serve`, Ctrl-C in `scan`) is dropped whole: nothing is recorded, nothing
    is told. Once it is recorded (`on_recorded`), a cancel stops only the delivery: what was not sent stays owed.
    """
    cfg = run.cfg
    result = run_scan(run, regions_override=regions, now=now, history=state.nodes.history, prices=state.prices)
    # What is open, read once: the pass holds the state's lock, so it is what the transaction below sees too.
    tracked, tracked_leftovers = state.orphans.open(), state.leftovers.open()
    # Who left each new finding behind (CloudAudit): a courtesy, asked outside the transaction (calls).
    result = attribute(run, result, known([*tracked, *tracked_leftovers]))
    # A leftover its listing no longer names is looked up by id first (outside the transaction: calls).
    early = plan(result, [], cfg.webhook.remind_every, result.scanned_at, tracked_leftovers)
    there = still_there(run, early.leftovers) if notify else set()
    if run.cancelled:
        raise Cancelled("the pass was stopped before it finished; nothing was recorded")
    channels = cfg.webhook.enabled and bool(bot_specs(cfg))
    # What the scan changed and what it owes the channels are committed together, or not at all.
    with state.transaction():
        p = plan(result, tracked, cfg.webhook.remind_every, result.scanned_at, tracked_leftovers)
        keep_open(p.leftovers, there)
        state.nodes.remember(result.snapshots, result.scanned_at)
        state.orphans.apply(result.scanned_at, p.orphans, lifecycle=notify)
        state.leftovers.apply(result.scanned_at, p.leftovers, lifecycle=notify)
        scan_id = state.scans.record(result)
        job = JobResult(result, first_seen=dict(p.first_seen))
        if notify and channels:
            notices = lifecycle_notices(p, result, cfg, state.issues.told())
            job.notices = [r for n in notices for r in split(n, cfg.webhook.routes, account_facts(cfg, result))]
            for notice in job.notices:
                state.outbox.enqueue(notice.kind, notice_to_dict(notice, scan_id))
            state.orphans.mark_notified(p.orphans.told(), result.scanned_at)
            state.leftovers.mark_notified(p.leftovers.told(), result.scanned_at)
            keys = issue_keys(result)
            if regions or run.accounts is not None:  # a pass of a few regions: the others' problems stay told
                looked = tuple(f"{r.account}/{r.region}/" for r in result.regions)
                keys |= {k for k in state.issues.told() if not k.partition(":")[2].startswith(looked)}
            state.issues.set(keys)
        if run.cancelled:  # stopped while it was being written: rolled back
            raise Cancelled("the pass was stopped before it finished; nothing was recorded")
    if on_recorded is not None:
        on_recorded()
    if notify and channels and deliver:
        job.deliveries = deliver_outbox(state, cfg, result, scan_id, run.cancel)
    return job
