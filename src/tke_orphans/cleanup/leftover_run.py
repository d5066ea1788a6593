"""Cleanup of one kind of leftover (disks, load balancers, addresses of deleted clusters), as one path for the dry
run and the real run: select, cap, look again by id through the product's own API and list the region's clusters
afresh, then act, where only the real run makes the mutating call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from ..cloud import CloudError, RegionLister, Session
from ..cloud import actions as cloud_actions
from ..cloud.inventory import failure_of
from ..cloud.resources import other_live_clusters
from ..config import Config
from ..costs import money
from ..detect_leftovers import IgnoreTags
from ..facts import english
from ..kinds import KINDS, Fresh, KindSpec, noun
from ..model import ScanResult
from ..state import StateDB
from .accounts import by_region
from .journal import Journal, RegionCalls
from .leftover_plan import LeftoverTarget, leftover_decision, select_leftovers, still_leftover
from .plan import CleanupError, Decision, Options, no_names, over_max, unexpected

log = logging.getLogger(__name__)


def check_kind(cfg: Config, opts: Options) -> None:
    """Bad input before anything is done: a kind the scan does not look for, or an option for VMs only."""
    if opts.kind == "cvm":
        return
    if opts.action == "readd" or opts.destroy_recycled:
        flag = "--action readd" if opts.action == "readd" else "--destroy-recycled"
        raise CleanupError(f"{flag} is for --kind cvm only, not {opts.kind}")
    if opts.kind not in cfg.detection.policy().leftovers:
        raise CleanupError(
            f"--kind {opts.kind}: the scan does not look for these leftovers; add {opts.kind} to detection.leftovers"
            f" in {cfg.source} and run `tke-orphans scan`"
        )


def leftover_cleanup(cfg: Config, state: StateDB, opts: Options, last: ScanResult, at: datetime,
                     endpoint_url: str | None, decided: Callable[[list[Decision]], None],
                     journal: Journal) -> str:  # fmt: skip
    """Every decision goes to `decided` as it is made; returns the cap's refusal ("" if none)."""
    targets, skipped = select_leftovers(last, state.leftovers.first_seen(), opts, at)
    decided(skipped)
    if len(targets) > opts.max:
        decided([leftover_decision(t.leftover, opts, "refused", f"not acted on: over --max {opts.max}")
                 for t in targets])  # fmt: skip
        return over_max(len(targets), noun(opts.kind).many, opts)
    for g in by_region(cfg, targets, endpoint_url):
        if g.session is None or g.credentials is None:
            why = f"account {g.account} is not in the config any more"
            decided([leftover_decision(t.leftover, opts, "skipped", why) for t in g.targets])
            continue
        decided(_region(g.session, g.region, g.targets, opts, cfg.tencentcloud.concurrency, g.credentials.uin, at,
                        cfg.detection.policy().ignore_tags, journal.calls(g.account, g.region)))  # fmt: skip
    return ""


def _region(session: Session, region: str, group: list[LeftoverTarget], opts: Options, concurrency: int,
            uin: str | None, at: datetime, ignore_tags: IgnoreTags, calls: RegionCalls) -> list[Decision]:  # fmt: skip
    """One region: a fresh look at each resource and at the clusters, then the action (or what it would be)."""
    kind = KINDS[opts.kind]
    try:
        fresh = kind.look(session, region, [t.resource_id for t in group])
        with ThreadPoolExecutor(concurrency, thread_name_prefix="recheck") as pool:
            live = {c.cluster_id for c in RegionLister(session, region, concurrency).clusters(pool)}
        # A serverless or edge cluster is not in DescribeClusters: the ones named are asked of their own listings.
        named = {n[0] for f in fresh.values() if (n := kind.cluster_of(f.resource))} - live
        live |= other_live_clusters(session, region, named)
    except Exception as exc:
        why = f"fresh check of {region} failed, nothing done there: {failure_of(exc, 'recheck').describe()}"
        return [leftover_decision(t.leftover, opts, "skipped", why) for t in group]
    out: list[Decision] = []
    go: list[LeftoverTarget] = []
    for t in group:
        reason = still_leftover(t, fresh.get(t.resource_id), live, opts, at, ignore_tags)
        if reason is not None:
            out.append(leftover_decision(t.leftover, opts, "skipped", reason))
        else:
            go.append(t)
    if not go:
        return out
    if opts.dry_run:  # the one place the dry run differs: it stops at the mutating call
        return out + [leftover_decision(t.leftover, opts, "dry-run", _would(t, kind, fresh[t.resource_id], opts))
                      for t in go]  # fmt: skip
    try:
        outcomes = _act(session, region, kind, [fresh[t.resource_id] for t in go], opts, uin, at, calls)
    except Exception as exc:  # an answer we could not read: the call may have happened
        log.exception("cleanup of %s in %s", opts.kind, region)
        return out + [leftover_decision(t.leftover, opts, "failed", unexpected(exc)) for t in go]
    by_id = {o.instance_id: o for o in outcomes}
    for t in go:
        o = by_id[t.resource_id]
        out.append(leftover_decision(t.leftover, opts, "done" if o.ok else "failed", o.fact or o.detail, o.request_id))
    return out


def _act(session: Session, region: str, kind: KindSpec, go: list[Fresh], opts: Options, uin: str | None,
         at: datetime, calls: RegionCalls) -> list[cloud_actions.Outcome]:  # fmt: skip
    if opts.action == "terminate":
        return kind.give_back(session, region, go, calls)
    ids = [f.resource.resource_id for f in go]
    try:
        owner = cloud_actions.owner_uin(session, uin, region)
    except CloudError as exc:
        said = no_names(exc)
        return [cloud_actions.Outcome(i, False, english(said), fact=said) for i in ids]
    value = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return cloud_actions.mark(session, region, owner, ids, value, kind.mark_name, calls)


def _would(t: LeftoverTarget, kind: KindSpec, fresh: Fresh, opts: Options) -> str:
    if opts.action == "mark":
        return f"would tag {cloud_actions.MARK_TAG}"
    what = kind.would(fresh)
    cost = t.leftover.cost
    if cost is not None and cost.monthly is not None:
        what += f"; saves about {money(cost.monthly, cost.currency)} a month"
    return what
