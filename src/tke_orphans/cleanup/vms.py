"""Cleanup's steps for VMs (runner.py runs them): the orphans of the last scan, a fresh look at each region's
instances, clusters and nodes, the refund of each prepaid instance (part of the decision), and the calls: mark,
terminate (and destroy what the recycle bin holds), or add back to a cluster."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from ..cloud import CloudError, RegionLister, Session
from ..cloud import actions as cloud_actions
from ..cloud.inventory import failure_of
from ..config.schema import Config, Credentials
from ..costs import money
from ..facts import Fact, fact
from ..model import Instance, ScanResult
from ..state import StateDB
from .journal import RegionCalls
from .plan import Decision, Options, Outcome, Target, decision, no_names, select, still_qualifies


@dataclass(frozen=True)
class Look:
    """A region right now: the targets as the cloud lists them, its clusters and nodes, TKE's own view of them; and
    (terminate) the refund of each prepaid one."""

    fresh: dict[str, Instance]
    clusters: set[str]
    members: dict[str, str]
    existed: dict[str, str]
    refunds: dict[str, float] = field(default_factory=dict)


class VmSteps:
    noun = "instances"

    def __init__(self, cfg: Config) -> None:
        self.policy = cfg.detection.policy()
        self.currency = cfg.pricing.currency
        self.concurrency = cfg.tencentcloud.concurrency

    def select(self, last: ScanResult, state: StateDB, opts: Options, at: datetime
               ) -> tuple[list[Target], list[Decision]]:  # fmt: skip
        first_seen = {(t.account, t.region, t.instance_id): t.first_seen for t in state.orphans.open()}
        return select(last, first_seen, opts, at)

    def say(self, t: Target, opts: Options, outcome: Outcome, detail: str | Fact) -> Decision:
        return decision(t, opts, outcome, detail)

    def look(self, session: Session, region: str, group: list[Target], opts: Options) -> Look:
        lister = RegionLister(session, region, self.concurrency)
        ids = [t.instance.instance_id for t in group]
        fresh = cloud_actions.instances_by_id(session, region, ids)
        clusters, members = _members(lister)
        return Look(fresh, clusters, members, lister.existed_owners(ids))

    def still(self, t: Target, look: Look, opts: Options, at: datetime) -> str | None:
        if opts.action == "readd" and opts.cluster_id not in look.clusters:
            return f"cluster {opts.cluster_id} is not in {t.region}"
        iid = t.instance.instance_id
        return still_qualifies(t, look.fresh.get(iid), look.members.get(iid), look.existed.get(iid), self.policy, opts,
                               at)  # fmt: skip

    def ready(self, session: Session, region: str, go: list[Target], look: Look, opts: Options
              ) -> tuple[list[Target], list[Decision]]:  # fmt: skip
        refunds, unpriced = _refunds(session, region, go, opts)
        look.refunds.update(refunds)
        unknown = {d.instance_id for d in unpriced}
        return [t for t in go if t.instance.instance_id not in unknown], unpriced

    def would(self, t: Target, look: Look, opts: Options) -> Decision:
        return _would(t, opts, look.refunds, self.currency)

    def act(self, session: Session, region: str, go: list[Target], look: Look, opts: Options, creds: Credentials,
            at: datetime, calls: RegionCalls) -> list[Decision]:  # fmt: skip
        def recycled(o: cloud_actions.Outcome) -> str:  # the record of a prepaid instance's first call has its refund
            if o.detail != cloud_actions.RECYCLED:
                return o.detail
            return o.detail + _refund_text(look.refunds.get(o.instance_id), self.currency)

        calls.detail = recycled
        return _act(session, region, go, opts, creds.uin, at, look.refunds, self.currency, calls)


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
