"""Orchestration: every account and region in parallel -> one ScanResult. Deciding is detect.py's job."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from . import fanout
from .cloud import CloudError, RegionLister, Session, accounts, list_regions
from .cloud.accounts import AccountPlan
from .cloud.errors import as_text
from .cloud.inventory import failure_of
from .cloud.resources import other_live_clusters
from .context import Run
from .detect import Policy, decide, to_confirm
from .detect_leftovers import decide_leftovers, judge
from .kinds import KINDS
from .model import (
    AccountInfo,
    ApiFailure,
    CloudResource,
    Leftover,
    Orphan,
    RegionInventory,
    RegionResult,
    RegionSnapshot,
    RegionVerdict,
    ScanResult,
    Status,
)
from .pricing import PriceCache, price_findings

log = logging.getLogger(__name__)


History = Callable[[str, str], dict[str, tuple[str, datetime]]]


@dataclass(frozen=True)
class RegionScan:
    """What one region's scan hands back, decided where it was listed (in its worker process, with workers): the
    verdicts, counts and the state's snapshot travel to the parent, never the region's whole inventory."""

    result: RegionResult
    verdict: RegionVerdict
    snapshot: RegionSnapshot
    live_clusters: frozenset[str] | None  # None: the cluster listing failed, so nothing can be a leftover


def scan_region(
    session: Session, region: str, policy: Policy, now: datetime, concurrency: int, history: History | None = None
) -> RegionInventory:
    try:
        lister = RegionLister(session, region, concurrency)
        inv = lister.collect()
        if history is not None:
            inv.history = history(session.account, region)
        ids = to_confirm(inv, policy, now)
        if ids:
            lister.confirm(inv, ids)
        return inv
    except Exception as exc:  # a bug or an answer nobody foresaw: this region fails, the others go on
        log.exception("scanning %s/%s failed", session.account, region)
        return RegionInventory(session.account, region, errors=[_internal(exc)])


def settle(inv: RegionInventory, policy: Policy, now: datetime) -> RegionScan:
    """A region's inventory, decided and summed up (rate_adapted is filled in once its session is done)."""
    try:
        verdict = decide(inv, policy, now)
    except Exception as exc:  # a bug: this region fails, the others go on
        log.exception("deciding %s/%s failed", inv.account, inv.region)
        return settle(RegionInventory(inv.account, inv.region, errors=[_internal(exc)]), policy, now)
    listed = frozenset(i.instance_id for i in inv.instances or ())
    return RegionScan(
        RegionResult(inv.account, inv.region, _region_status(inv), len(listed), len(inv.clusters or ()),
                     inv.node_count, tuple(inv.errors)),
        verdict,
        # Resolving an orphan needs the region's VMs and nodes listed completely; the leftovers' listing is apart.
        RegionSnapshot(inv.account, inv.region, inv.instances is not None and not inv.errors, listed, inv.members),
        None if inv.clusters is None else frozenset(c.cluster_id for c in inv.clusters),
    )  # fmt: skip


def _scan_and_settle(
    session: Session, region: str, policy: Policy, now: datetime, concurrency: int, history: History | None
) -> RegionScan:
    return settle(scan_region(session, region, policy, now, concurrency, history), policy, now)


def _internal(exc: BaseException) -> ApiFailure:
    """A bug or an answer nobody foresaw, as a failure of the region: bounded text, no credential in it."""
    return ApiFailure("scan", "InternalError", as_text(repr(exc)))


def _rate_adapted(sessions: Iterable[Session], scans: list[RegionScan]) -> list[RegionScan]:
    """The scans, each with how far its session slowed down in its region (the lowest share of each API's rate)."""
    out: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for session in sessions:
        for (api, region), share in sorted(session.pacer.lowest().items()):
            out.setdefault((session.account, region), []).append((api, round(share, 4)))
    return [
        replace(s, result=replace(s.result, rate_adapted=tuple(out.get((s.result.account, s.result.region), ()))))
        for s in scans
    ]


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Young collections every 100,000 allocations instead of 700, while a scan runs: it allocates millions of
    short-lived dicts (each page's answer) while it keeps 100,000 records, which the default collector walks over
    and over (10-20% of an L scan's CPU, docs/benchmarks.md). Garbage cycles are still collected; restored after."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def default_workers() -> int:
    """The cores this process may use, at most 8: beyond that the rate limits, not the CPU, bound a scan."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 8))


def _in_threads(
    regions: Sequence[tuple[Session, str, History | None]], policy: Policy, now: datetime, concurrency: int
) -> list[RegionScan]:
    with ThreadPoolExecutor(max(1, min(len(regions), 32)), thread_name_prefix="region") as pool:
        futures = [pool.submit(_scan_and_settle, s, r, policy, now, concurrency, h) for s, r, h in regions]
        scans = [fut.result() for fut in futures]
    return _rate_adapted({id(s): s for s, _, _ in regions}.values(), scans)


Prefetched = dict[str, tuple[str, datetime]]  # one region's node history, read by the parent


def _given(history: Prefetched) -> History:
    return lambda _account, _region: history


def _scan_in_worker(jobs: Sequence[tuple[AccountPlan, str, Prefetched | None]], policy: Policy,
                    now: datetime) -> list[RegionScan]:  # fmt: skip
    """A worker process's share of the regions, side by side in its threads as in one process, with its own session
    (and so pacer) per account: limits are per API per region per account, and a region never spans processes."""
    ctx = fanout.context()
    run = replace(ctx.payload, listener=ctx.on_call, cancel=ctx.cancel)  # the parent's run, its calls forwarded
    sessions: dict[str, Session] = {}
    for plan, _, _ in jobs:
        if plan.name not in sessions:
            sessions[plan.name] = accounts.make_session(run, plan)
    regions = [(sessions[p.name], r, None if h is None else _given(h)) for p, r, h in jobs]
    with fewer_collections():
        return _in_threads(regions, policy, now, run.cfg.tencentcloud.concurrency)


def _failed(account: str, region: str, exc: BaseException, policy: Policy, now: datetime) -> RegionScan:
    log.error("scanning %s/%s failed in its worker process: %r", account, region, exc)
    return settle(RegionInventory(account, region, errors=[_internal(exc)]), policy, now)


def _scan_all(
    run: Run,
    targets: Sequence[tuple[AccountPlan, Session, str]],
    policy: Policy,
    started: datetime,
    history: History | None,
) -> list[RegionScan]:
    """Every target region: in threads of this process, or (`tencentcloud.workers` > 1) dealt out to worker
    processes, each scanning and deciding its regions in threads."""
    tc = run.cfg.tencentcloud
    workers = min(tc.workers or default_workers(), len(targets))
    if workers <= 1:
        return _in_threads([(s, r, history) for _, s, r in targets], policy, started, tc.concurrency)
    # The state's connection stays here: each region's node history is read before it is sent out.
    jobs = [(p, r, None if history is None else history(p.name, r)) for p, _, r in targets]
    shares = [list(range(len(jobs)))[i::workers] for i in range(workers)]  # dealt like cards: sizes are unknown
    tasks = [([jobs[j] for j in share], policy, started) for share in shares]
    # The listener and the cancel stay here (the workers' are forwarded to them); the rest goes out once a worker.
    outcomes = fanout.run_in_workers(_scan_in_worker, tasks, workers=workers,
                                     payload=replace(run, listener=None, cancel=None), listener=run.listener,
                                     cancel=run.cancel)  # fmt: skip
    out: list[RegionScan | None] = [None] * len(targets)
    for share, outcome in zip(shares, outcomes, strict=True):
        for n, j in enumerate(share):
            plan, _, region = targets[j]
            if isinstance(outcome, BaseException):
                out[j] = _failed(plan.name, region, outcome, policy, started)
            else:
                out[j] = outcome[n]
    return [o for o in out if o is not None]


@dataclass(frozen=True)
class Found:
    """A region's resources that name a cluster, of the kinds whose listing succeeded (`kinds`), and why the others'
    failed: one kind's failure (a CAM action missing, a product the region lacks) leaves the others checked."""

    resources: list[CloudResource]
    kinds: frozenset[str]
    failures: tuple[ApiFailure, ...] = ()


def _listed(session: Session, region: str, kinds: Collection[str]) -> Found:
    """A region's resources of these kinds that name a cluster, each kind through its own product's whole listing
    (narrowed on the server where it can be)."""
    found: list[CloudResource] = []
    ok: set[str] = set()
    failures: list[ApiFailure] = []
    for name in kinds:
        spec = KINDS[name]
        try:
            found += spec.list(session, region)
        except Exception as exc:  # an odd answer too: this kind is unverified, the others and the orphans stand
            failures.append(failure_of(exc, spec.listing.api))
        else:
            ok.add(name)
    return Found(found, frozenset(ok), tuple(failures))


def _list_leftovers(session: Session, regions: Sequence[str], kinds: Collection[str]) -> dict[str, Found]:
    """One account's leftover candidates, its regions side by side."""
    with ThreadPoolExecutor(max(1, min(len(regions), 16)), thread_name_prefix="leftovers") as pool:
        return dict(zip(regions, pool.map(lambda region: _listed(session, region, kinds), regions), strict=True))


def _with_leftovers(
    scan: RegionScan, found: Found | None, policy: Policy, session: Session
) -> tuple[RegionScan, list[Leftover]]:
    """A region's leftovers from its live clusters and its listings; a failed listing makes the region partial
    (only where its clusters were listed: otherwise nothing was to be verified, and the region is partial anyway)
    and its kind unchecked. Cluster ids that would-be leftovers name and DescribeClusters lacks are asked of the
    serverless and edge clusters first: if that fails, no kind is checked."""
    if found is None or scan.live_clusters is None:
        return scan, []
    where = (scan.result.account, scan.result.region)
    failures, kinds = list(found.failures), found.kinds
    # Only the clusters of what would be a leftover, were its cluster gone, need proving deleted.
    unknown = {v[0] for r in found.resources if (v := judge(r, ())) is not None} - scan.live_clusters
    try:
        live = scan.live_clusters | other_live_clusters(session, where[1], unknown)
    except Exception as exc:  # an odd answer too: a cluster that could not be asked about is not a deleted one
        failures.append(failure_of(exc, "tke.DescribeEKSClusters"))
        kinds, live = frozenset(), scan.live_clusters
    if failures:
        status: Status = "error" if scan.result.status == "error" else "partial"
        scan = replace(scan, result=replace(scan.result, status=status, errors=(*scan.result.errors, *failures)))
    # What resolving a leftover needs: the kinds checked completely here, and every resource they listed now.
    resources = {r.resource_id: r for r in found.resources if r.kind in kinds}
    scan = replace(scan, snapshot=replace(scan.snapshot, leftover_kinds=kinds, resources=resources))
    return scan, decide_leftovers(where, live, list(resources.values()), kinds, policy.ignore_tags)


def _region_status(inv: RegionInventory) -> Status:
    if inv.instances is None:
        return "error"
    return "partial" if inv.errors else "ok"


def _info(plan: AccountPlan) -> AccountInfo:
    m = plan.member
    return AccountInfo(plan.name, plan.uin or "", "" if m is None else str(m.node_id), "" if m is None else m.node_name)


def _overall(results: Sequence[RegionResult], errors: Sequence[ApiFailure]) -> Status:
    if not results:
        return "error" if errors else "ok"
    statuses = {r.status for r in results}
    if statuses == {"ok"} and not errors:
        return "ok"
    if statuses == {"error"}:
        return "error"
    return "partial"


def run_scan(
    run: Run,
    *,
    regions_override: Sequence[str] = (),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    history: History | None = None,
    prices: PriceCache | None = None,
) -> ScanResult:
    """Scan every configured account and region. Raises CredentialsError before any call if credentials are missing.

    With `pricing.enabled`, each orphan and leftover gets its cost (`prices`: the state's cache, if any); that never
    changes which instances are orphans nor the scan's status."""
    cfg = run.cfg
    started = now().replace(microsecond=0)
    policy = cfg.detection.policy()
    # An organization's members are listed and reached here: a failed listing or a refused role is an error of the
    # scan (that member unverified), never a member with nothing in it.
    plans, global_errors = accounts.plan_run(run, regions_override, only=run.accounts)
    plans = [p for p in plans if run.accounts is None or p.name in run.accounts]
    sessions = [(plan, accounts.make_session(run, plan)) for plan in plans]
    targets: list[tuple[AccountPlan, Session, str]] = []
    # Each account's regions, asked side by side (an organization's 50 members one after another were a quarter of
    # its scan): each account has its own rate budget.
    everywhere = [(plan, session) for plan, session in sessions if plan.regions == "all"]
    with ThreadPoolExecutor(max(1, min(len(everywhere), 16)), thread_name_prefix="regions") as pool:
        listed = {plan.name: pool.submit(list_regions, session) for plan, session in everywhere}
    for plan, session in sessions:
        if plan.regions == "all":
            try:
                targets += [(plan, session, r) for r in listed[plan.name].result()]
            except CloudError as exc:
                global_errors.append(exc.failure())
        else:
            targets += [(plan, session, r) for r in plan.regions]
    kinds = policy.leftovers
    regions_of: dict[str, list[str]] = {}
    for plan, _, region in targets:
        regions_of.setdefault(plan.name, []).append(region)
    # The leftovers' listing is per account, not per region: the parent's own, beside the regions' scans.
    with fewer_collections(), ThreadPoolExecutor(max(1, len(sessions)), thread_name_prefix="leftovers") as side:
        pending = {plan.name: side.submit(_list_leftovers, session, regions_of[plan.name], kinds)
                   for plan, session in sessions if kinds and plan.name in regions_of}  # fmt: skip
        scanned = _scan_all(run, targets, policy, started, history)
        found = {(name, region): x for name, fut in pending.items() for region, x in fut.result().items()}
    results: list[RegionResult] = []
    verdicts: list[RegionVerdict] = []
    snapshots: list[RegionSnapshot] = []
    leftovers: list[Leftover] = []
    by_account = {plan.name: session for plan, session in sessions}

    def settled(s: RegionScan) -> tuple[RegionScan, list[Leftover]]:
        where = (s.result.account, s.result.region)
        return _with_leftovers(s, found.get(where), policy, by_account[where[0]])

    # Regions side by side: those whose tags name unknown clusters ask the serverless and edge clusters about them.
    with ThreadPoolExecutor(max(1, min(len(scanned), 16)), thread_name_prefix="leftovers") as pool:
        decided = list(pool.map(settled, scanned))
    for scan, found_here in decided:
        result = scan.result
        for api, share in result.rate_adapted:
            log.info("%s %s: %s was throttled; slowed down to %.0f%% of its rate", result.account, result.region, api,
                     share * 100)  # fmt: skip
        verdicts.append(scan.verdict)
        leftovers += found_here
        results.append(result)
        snapshots.append(scan.snapshot)
        for e in result.errors:  # debug: the result carries them, and each command says them once (table, serve's log)
            log.debug("%s %s: %s", result.account, result.region, e.describe())

    orphans = sorted(
        (o for v in verdicts for o in v.orphans), key=lambda o: (o.account, o.region, o.instance.instance_id)
    )
    unverified = sorted(
        (u for v in verdicts for u in v.unverified), key=lambda u: (u.account, u.region, u.instance.instance_id)
    )
    excluded = sorted((e for v in verdicts for e in v.excluded), key=lambda e: (e.account, e.region, e.instance_id))
    if cfg.pricing.enabled and (orphans or leftovers) and not run.cancelled:
        for session in by_account.values():
            session.restart_deadline()
        priced, _ = price_findings([*orphans, *leftovers], by_account, currency=cfg.pricing.currency, now=started,
                                   ttl=cfg.pricing.cache_ttl, cache=prices)  # fmt: skip
        orphans = [x for x in priced if isinstance(x, Orphan)]
        leftovers = [x for x in priced if isinstance(x, Leftover)]
    return ScanResult(
        scanned_at=started,
        status=_overall(results, global_errors),
        regions=tuple(results),
        orphans=tuple(orphans),
        unverified=tuple(unverified),
        excluded=tuple(excluded),
        errors=tuple(global_errors),
        snapshots=tuple(snapshots),
        leftovers=tuple(leftovers),
        credentials_from=tuple((plan.name, session.credentials_from) for plan, session in sessions),
        accounts=tuple(_info(plan) for plan in plans),
    )
