"""Cleanup, as one path for the dry run and the real run: select, re-check against the cloud right now, cap,
then act, where only the real run makes the mutating call. Every decision is recorded, real ones are notified."""

from __future__ import annotations

import getpass
import logging
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..cloud import CloudError, RegionLister, Session
from ..cloud import actions as cloud_actions
from ..cloud.inventory import failure_of
from ..config.schema import Config, Credentials
from ..context import Run
from ..costs import money
from ..detect import Policy
from ..facts import fact
from ..state import StateDB
from .accounts import by_region
from .journal import Journal, RegionCalls, recover
from .leftover_run import check_kind, leftover_cleanup
from .plan import (
    CleanupError,
    Decision,
    Options,
    Target,
    decision,
    no_names,
    over_max,
    select,
    still_qualifies,
    unexpected,
)

log = logging.getLogger(__name__)


@dataclass
class Report:
    decisions: list[Decision] = field(default_factory=list)
    refused: str = ""
    recovered: int = 0  # the first decisions: calls of an interrupted run, looked up before anything else

    @property
    def failed(self) -> bool:
        return bool(self.refused) or any(d.outcome == "failed" for d in self.decisions)


def actor() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        return "tke-orphans"


def _members(lister: RegionLister) -> tuple[set[str], dict[str, str]]:
    """Every cluster of the region and every node of each, fresh; raises CloudError if any listing fails."""
    with ThreadPoolExecutor(lister.concurrency, thread_name_prefix="recheck") as pool:
        clusters = lister.clusters(pool)
        members: dict[str, str] = {}
        for found in pool.map(lister.members, [c.cluster_id for c in clusters]):
            members |= found
    return {c.cluster_id for c in clusters}, members


def _act(session: Session, region: str, targets: list[Target], opts: Options, uin: str | None,
         now: datetime, refunds: dict[str, float], currency: str, calls: cloud_actions.Journal
         ) -> list[Decision]:  # fmt: skip
    ids = [t.instance.instance_id for t in targets]
    if opts.action == "mark":
        try:
            owner = cloud_actions.owner_uin(session, uin, region)
        except CloudError as exc:
            return [decision(t, opts, "failed", no_names(exc)) for t in targets]
        outcomes = cloud_actions.mark(session, region, owner, ids, now.strftime("%Y-%m-%dT%H:%M:%SZ"), journal=calls)
    elif opts.action == "terminate":
        return _terminate(session, region, targets, opts, refunds, currency, calls)
    else:
        assert opts.cluster_id is not None
        outcomes = cloud_actions.add_existed(session, region, opts.cluster_id, opts.node_pool_id, ids, calls)
    by_id = {o.instance_id: o for o in outcomes}
    out = []
    for t in targets:
        o = by_id[t.instance.instance_id]
        out.append(decision(t, opts, "done" if o.ok else "failed", o.fact or o.detail, o.request_id))
    return out


def _refund_text(refund: float | None, currency: str) -> str:
    """What returning a prepaid instance refunds, in the pricing currency (the API does not name one either)."""
    return "" if refund is None else f" (refund {money(refund, currency)})"


def _terminate(session: Session, region: str, targets: list[Target], opts: Options,
               refunds: dict[str, float], currency: str, calls: cloud_actions.Journal) -> list[Decision]:  # fmt: skip
    charge = {t.instance.instance_id: t.instance.charge_type for t in targets}
    first = {o.instance_id: o for o in cloud_actions.terminate(session, region, charge, calls)}
    recycled = [i for i, o in first.items() if o.ok and o.detail == cloud_actions.RECYCLED]
    second = {}
    if opts.destroy_recycled and recycled:
        second = {o.instance_id: o for o in cloud_actions.destroy_recycled(session, region, recycled, calls)}
    out = []
    for t in targets:
        iid = t.instance.instance_id
        o, refund = first[iid], refunds.get(iid)
        if not o.ok:
            out.append(decision(t, opts, "failed", o.detail, o.request_id, refund))
        elif iid in second and not second[iid].ok:  # recycled: the first call moved it to the recycle bin
            said = (fact("cleanup.destroy_failed", second[iid].detail) if refund is None else
                    fact("cleanup.destroy_failed_refund", money(refund, currency), second[iid].detail))  # fmt: skip
            out.append(decision(t, opts, "failed", said, second[iid].request_id, refund))
        elif iid in second:
            why = f"{o.detail}{_refund_text(refund, currency)}, then destroyed (--destroy-recycled)"
            out.append(decision(t, opts, "done", why, second[iid].request_id, refund))
        elif o.detail == cloud_actions.RECYCLED:
            refund_text = _refund_text(refund, currency)
            why = f"{o.detail}{refund_text}; the platform destroys it later (--destroy-recycled: at once)"
            out.append(decision(t, opts, "done", why, o.request_id, refund))
        else:
            out.append(decision(t, opts, "done", o.detail, o.request_id, refund))
    return out


def _saves(t: Target) -> str:
    """What terminating would stop paying, at list price (pricing): the dry run says it, and its record keeps it."""
    if t.cost is None or t.cost.monthly is None:
        return ""
    return f"; saves about {money(t.cost.monthly, t.cost.currency)} a month"


def _would(t: Target, opts: Options, refunds: dict[str, float], currency: str) -> Decision:
    if opts.action == "mark":
        return decision(t, opts, "dry-run", f"would tag {cloud_actions.MARK_TAG}")
    if opts.action == "readd":
        where = f"{opts.cluster_id}" + (f"/{opts.node_pool_id}" if opts.node_pool_id else "")
        return decision(t, opts, "dry-run", f"would add to {where} (its OS is reinstalled)")
    if t.instance.charge_type != "PREPAID":
        return decision(t, opts, "dry-run", "would terminate: destroyed at once" + _saves(t))
    refund = refunds.get(t.instance.instance_id)
    then = ", then destroy it (--destroy-recycled)" if opts.destroy_recycled else ""
    why = f"would terminate: prepaid, moved to the recycle bin{_refund_text(refund, currency)}{then}{_saves(t)}"
    return decision(t, opts, "dry-run", why, refund=refund)


def run_cleanup(
    run: Run,
    state: StateDB,
    opts: Options,
    journal: Journal,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Report:
    """Each call is on record before it is sent and as soon as it answers (`journal`), the other decisions as they
    are made: what was done is on record even if a later step fails or the process is killed. First of all, calls
    of an interrupted run whose outcome is not on record are looked up (and reported first)."""
    if opts.action == "readd" and not opts.cluster_id:
        raise CleanupError("--action readd needs --cluster (and optionally --node-pool)")
    cfg = run.cfg
    check_kind(cfg, opts)
    last = state.scans.last()
    if last is None:
        raise CleanupError("no scan in the state yet: run `tke-orphans scan` first")
    at = now()
    result = Report(decisions=recover(run, state, at))
    result.recovered = len(result.decisions)

    def decided(decisions: list[Decision]) -> None:
        result.decisions += decisions
        journal.record(decisions)

    if opts.kind != "cvm":
        result.refused = leftover_cleanup(cfg, state, opts, last, at, run.endpoint_url, decided, journal)
        return result

    first_seen = {(t.account, t.region, t.instance_id): t.first_seen for t in state.orphans.open()}
    targets, skipped = select(last, first_seen, opts, at)
    decided(skipped)
    if len(targets) > opts.max:
        result.refused = over_max(len(targets), "instances", opts)
        decided([decision(t, opts, "refused", f"not acted on: over --max {opts.max}") for t in targets])
        return result
    policy = cfg.detection.policy()
    for g in by_region(run, targets):
        if g.session is None or g.credentials is None:
            decided([decision(t, opts, "skipped", f"account {g.account} is not in the config any more")
                     for t in g.targets])  # fmt: skip
            continue
        calls = journal.calls(g.account, g.region)
        decided(_region(g.session, g.region, g.targets, opts, policy, cfg, g.credentials, at, calls))
    return result


def _refunds(session: Session, region: str, go: list[Target], opts: Options) -> tuple[dict[str, float], list[Decision]]:
    """terminate: the refund of each prepaid target. It is part of the decision: a prepaid instance whose refund is
    unknown is not returned."""
    prepaid = [t for t in go if opts.action == "terminate" and t.instance.charge_type == "PREPAID"]
    if not prepaid:
        return {}, []
    try:
        refunds = cloud_actions.refunds(session, region, [t.instance.instance_id for t in prepaid])
    except Exception as exc:
        why = f"refund unknown, not terminated: {failure_of(exc, 'cvm.InquiryPriceTerminateInstances').describe()}"
        return {}, [decision(t, opts, "skipped", why) for t in prepaid]
    missing = "refund unknown, not terminated: InquiryPriceTerminateInstances gave no refund for it that could be one"
    return refunds, [decision(t, opts, "skipped", missing) for t in prepaid if t.instance.instance_id not in refunds]


def _region(session: Session, region: str, group: list[Target], opts: Options, policy: Policy, cfg: Config,
            creds: Credentials, at: datetime, calls: RegionCalls) -> list[Decision]:  # fmt: skip
    """One region: a fresh look at everything, then the action (or, in a dry run, what it would be)."""
    lister = RegionLister(session, region, cfg.tencentcloud.concurrency)
    ids = [t.instance.instance_id for t in group]
    try:
        fresh = cloud_actions.instances_by_id(session, region, ids)
        clusters, members = _members(lister)
        existed = lister.existed_owners(ids)
    except Exception as exc:
        why = f"fresh check of {region} failed, nothing done there: {failure_of(exc, 'recheck').describe()}"
        return [decision(t, opts, "skipped", why) for t in group]
    if opts.action == "readd" and opts.cluster_id not in clusters:
        return [decision(t, opts, "skipped", f"cluster {opts.cluster_id} is not in {region}") for t in group]
    out: list[Decision] = []
    go: list[Target] = []
    for t in group:
        iid = t.instance.instance_id
        reason = still_qualifies(t, fresh.get(iid), members.get(iid), existed.get(iid), policy, opts, at)
        if reason is not None:
            out.append(decision(t, opts, "skipped", reason))
        else:
            go.append(t)
    refunds, unpriced = _refunds(session, region, go, opts)
    out += unpriced
    unknown = {d.instance_id for d in unpriced}
    go = [t for t in go if t.instance.instance_id not in unknown]
    if not go:
        return out
    currency = cfg.pricing.currency
    if opts.dry_run:  # the one place the dry run differs: it stops at the mutating call
        return out + [_would(t, opts, refunds, currency) for t in go]

    def recycled(o: cloud_actions.Outcome) -> str:  # the record of a prepaid instance's first call has its refund
        if o.detail != cloud_actions.RECYCLED:
            return o.detail
        return o.detail + _refund_text(refunds.get(o.instance_id), currency)

    calls.detail = recycled
    try:
        return out + _act(session, region, go, opts, creds.uin, at, refunds, currency, calls)
    except Exception as exc:  # an answer we could not read: the call may have happened
        log.exception("cleanup in %s", region)
        return out + [decision(t, opts, "failed", unexpected(exc)) for t in go]
