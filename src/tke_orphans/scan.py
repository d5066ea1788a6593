"""Orchestration: every account and region in parallel -> one ScanResult. Deciding is detect.py's job."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from . import fanout
from .cloud import CloudError, Endpoint, Pacer, RegionLister, Session, list_regions, resolve_credentials
from .cloud.errors import as_text, redact_known
from .cloud.inventory import failure_of
from .cloud.leftovers import LEFTOVER_APIS, list_resources, other_live_clusters
from .cloud.session import CallListener, Cancel
from .config import Config, Credentials
from .detect import Policy, decide, to_confirm
from .detect_leftovers import decide_leftovers
from .model import (
    CLUSTER_TAG,
    ApiFailure,
    Leftover,
    LeftoverKind,
    RegionInventory,
    RegionResult,
    RegionSnapshot,
    RegionVerdict,
    ScanResult,
    Status,
)
from .pricing import PriceCache, price_leftovers, price_orphans

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountPlan:
    name: str
    credentials: Credentials
    where: str  # the config key, for error messages
    regions: Sequence[str] | str  # a list, or "all"


def plan_accounts(cfg: Config, regions_override: Sequence[str] = ()) -> list[AccountPlan]:
    """The accounts to scan and their regions: `accounts:` if given, else the `tencentcloud:` section."""

    def regions_of(region: str | None, regions: list[str] | str | None) -> Sequence[str] | str:
        if regions_override:
            return list(regions_override)
        if regions is not None:
            return regions
        return [region] if region else []

    if cfg.accounts:
        return [
            AccountPlan(a.name, a, f"accounts[{i}]", regions_of(a.region, a.regions))
            for i, a in enumerate(cfg.accounts)
        ]
    tc = cfg.tencentcloud
    return [AccountPlan("default", tc, "tencentcloud", regions_of(tc.region, tc.regions))]


def make_session(
    cfg: Config,
    plan: AccountPlan,
    endpoint_url: str | None,
    listener: CallListener | None,
    cancel: Cancel | None = None,
) -> Session:
    tc = cfg.tencentcloud
    return Session(
        plan.name,
        resolve_credentials(plan.credentials, plan.where),
        endpoint=Endpoint(url=endpoint_url or tc.endpoint_url, root_domain=tc.root_domain),
        timeout=tc.request_timeout,
        retry=tc.retry,
        pacer=Pacer(tc.rate_limits),
        listener=listener,
        cancel=cancel,
    )


History = Callable[[str, str], dict[str, tuple[str, datetime]]]


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
        if policy.leftovers and inv.clusters is not None:  # without the clusters nothing could be a leftover
            try:
                resources = list_resources(session, region, policy.leftovers)
                unknown = {r.tag(CLUSTER_TAG) or "" for r in resources} - {c.cluster_id for c in inv.clusters} - {""}
                inv.other_clusters = other_live_clusters(session, region, unknown)
                inv.resources = resources
            except Exception as exc:  # an odd answer too: this listing fails, the region's orphans stand
                inv.errors.append(failure_of(exc, "tag.GetResources"))
        return inv
    except Exception as exc:  # a bug or an answer nobody foresaw: this region fails, the others go on
        log.exception("scanning %s/%s failed", session.account, region)
        return RegionInventory(session.account, region, errors=[_internal(exc)])


def _vm_complete(inv: RegionInventory) -> bool:
    """Whether the region's VMs and nodes were listed completely: what resolving an orphan needs. A failed
    listing of disks, load balancers or addresses makes the region `partial`, but must not hold the VMs back."""
    if inv.instances is None:
        return False
    return all(e.api in LEFTOVER_APIS for e in inv.errors)


def _leftovers_checked(inv: RegionInventory, policy: Policy) -> frozenset[LeftoverKind]:
    """The kinds whose leftovers this region's listings settled: none if its clusters or resources failed to list."""
    return frozenset(policy.leftovers) if inv.clusters is not None and inv.resources is not None else frozenset()


def _internal(exc: BaseException) -> ApiFailure:
    """A bug or an answer nobody foresaw, as a failure of the region: bounded text, no credential in it."""
    return ApiFailure("scan", "InternalError", redact_known(as_text(repr(exc))))


def _rate_adapted(sessions: Iterable[Session]) -> dict[tuple[str, str], tuple[tuple[str, float], ...]]:
    out: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for session in sessions:
        for (api, region), share in sorted(session.pacer.lowest().items()):
            out.setdefault((session.account, region), []).append((api, round(share, 4)))
    return {k: tuple(v) for k, v in out.items()}


Scanned = tuple[RegionInventory, tuple[tuple[str, float], ...]]  # a region's inventory, how far it slowed down


def default_workers() -> int:
    """The cores this process may use, at most 8: beyond that the rate limits, not the CPU, bound a scan."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 8))


def _in_threads(
    regions: Sequence[tuple[Session, str, History | None]], policy: Policy, now: datetime, concurrency: int
) -> list[RegionInventory]:
    with ThreadPoolExecutor(max(1, min(len(regions), 32)), thread_name_prefix="region") as pool:
        futures = [pool.submit(scan_region, s, r, policy, now, concurrency, h) for s, r, h in regions]
        return [fut.result() for fut in futures]


Prefetched = dict[str, tuple[str, datetime]]  # one region's node history, read by the parent


def _given(history: Prefetched) -> History:
    return lambda _account, _region: history


def _scan_in_worker(jobs: Sequence[tuple[AccountPlan, str, Prefetched | None]], policy: Policy,
                    now: datetime) -> list[Scanned]:  # fmt: skip
    """A worker process's share of the regions, side by side in its threads as in one process, with its own session
    (and so pacer) per account: limits are per API per region per account, and a region never spans processes."""
    ctx = fanout.context()
    cfg, endpoint_url = ctx.payload
    sessions: dict[str, Session] = {}
    for plan, _, _ in jobs:
        if plan.name not in sessions:
            sessions[plan.name] = make_session(cfg, plan, endpoint_url, ctx.on_call, ctx.cancel)
    regions = [(sessions[p.name], r, None if h is None else _given(h)) for p, r, h in jobs]
    invs = _in_threads(regions, policy, now, cfg.tencentcloud.concurrency)
    adapted = _rate_adapted(sessions.values())
    return [(inv, adapted.get((inv.account, inv.region), ())) for inv in invs]


def _failed(account: str, region: str, exc: BaseException) -> Scanned:
    log.error("scanning %s/%s failed in its worker process: %r", account, region, exc)
    return RegionInventory(account, region, errors=[_internal(exc)]), ()


def _scan_all(
    cfg: Config,
    targets: Sequence[tuple[AccountPlan, Session, str]],
    policy: Policy,
    started: datetime,
    *,
    endpoint_url: str | None,
    listener: CallListener | None,
    history: History | None,
    cancel: threading.Event | None,
) -> list[Scanned]:
    """Every target region: in threads of this process, or (`tencentcloud.workers` > 1) dealt out to worker
    processes, each scanning its regions in threads."""
    workers = min(cfg.tencentcloud.workers or default_workers(), len(targets))
    if workers <= 1:
        invs = _in_threads([(s, r, history) for _, s, r in targets], policy, started, cfg.tencentcloud.concurrency)
        adapted = _rate_adapted({id(s): s for _, s, _ in targets}.values())
        return [(inv, adapted.get((inv.account, inv.region), ())) for inv in invs]
    # The state's connection stays here: each region's node history is read before it is sent out.
    jobs = [(p, r, None if history is None else history(p.name, r)) for p, _, r in targets]
    shares = [list(range(len(jobs)))[i::workers] for i in range(workers)]  # dealt like cards: sizes are unknown
    tasks = [([jobs[j] for j in share], policy, started) for share in shares]
    outcomes = fanout.run_in_workers(_scan_in_worker, tasks, workers=workers, payload=(cfg, endpoint_url),
                                     listener=listener, cancel=cancel)  # fmt: skip
    out: list[Scanned | None] = [None] * len(targets)
    for share, outcome in zip(shares, outcomes, strict=True):
        for n, j in enumerate(share):
            plan, _, region = targets[j]
            out[j] = _failed(plan.name, region, outcome) if isinstance(outcome, BaseException) else outcome[n]
    return [o for o in out if o is not None]


def _region_status(inv: RegionInventory) -> Status:
    if inv.instances is None:
        return "error"
    return "partial" if inv.errors else "ok"


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
    cfg: Config,
    *,
    regions_override: Sequence[str] = (),
    endpoint_url: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    listener: CallListener | None = None,
    history: History | None = None,
    cancel: threading.Event | None = None,
    prices: PriceCache | None = None,
) -> ScanResult:
    """Scan every configured account and region. Raises CredentialsError before any call if credentials are missing.

    With `pricing.enabled`, each orphan and leftover gets its cost (`prices`: the state's cache, if any); that never
    changes which instances are orphans nor the scan's status."""
    started = now().replace(microsecond=0)
    policy = cfg.detection.policy()
    plans = plan_accounts(cfg, regions_override)
    sessions = [(plan, make_session(cfg, plan, endpoint_url, listener, cancel)) for plan in plans]
    global_errors: list[ApiFailure] = []
    targets: list[tuple[AccountPlan, Session, str]] = []
    for plan, session in sessions:
        if plan.regions == "all":
            try:
                targets += [(plan, session, r) for r in list_regions(session)]
            except CloudError as exc:
                global_errors.append(exc.failure())
        else:
            targets += [(plan, session, r) for r in plan.regions]
    results: list[RegionResult] = []
    verdicts: list[RegionVerdict] = []
    snapshots: list[RegionSnapshot] = []
    leftovers: list[Leftover] = []
    scanned = _scan_all(cfg, targets, policy, started, endpoint_url=endpoint_url, listener=listener, history=history,
                        cancel=cancel)  # fmt: skip
    for inv, adapted in scanned:
        for api, share in adapted:
            log.info("%s %s: %s was throttled; slowed down to %.0f%% of its rate", inv.account, inv.region, api,
                     share * 100)  # fmt: skip
        verdicts.append(decide(inv, policy, started))
        leftovers += decide_leftovers(inv, policy.leftovers)
        results.append(
            RegionResult(
                inv.account,
                inv.region,
                _region_status(inv),
                len(inv.instances or ()),
                len(inv.clusters or ()),
                inv.node_count,
                tuple(inv.errors),
                adapted,
            )
        )
        snapshots.append(
            RegionSnapshot(
                inv.account,
                inv.region,
                _vm_complete(inv),
                frozenset(i.instance_id for i in inv.instances or ()),
                dict(inv.members),
                _leftovers_checked(inv, policy),
                {r.resource_id: r for r in inv.resources or ()},
            )
        )
        for e in inv.errors:  # debug: the result carries them, and each command says them once (table, serve's log)
            log.debug("%s %s: %s", inv.account, inv.region, e.describe())

    orphans = sorted(
        (o for v in verdicts for o in v.orphans), key=lambda o: (o.account, o.region, o.instance.instance_id)
    )
    unverified = sorted(
        (u for v in verdicts for u in v.unverified), key=lambda u: (u.account, u.region, u.instance.instance_id)
    )
    excluded = sorted((e for v in verdicts for e in v.excluded), key=lambda e: (e.account, e.region, e.instance_id))
    if cfg.pricing.enabled and (orphans or leftovers) and not (cancel is not None and cancel.is_set()):
        by_account = {plan.name: session for plan, session in sessions}
        for session in by_account.values():
            session.restart_deadline()
        priced, _ = price_orphans(orphans, by_account, currency=cfg.pricing.currency, now=started,
                                  ttl=cfg.pricing.cache_ttl, cache=prices)  # fmt: skip
        orphans = list(priced)
        leftovers = list(price_leftovers(leftovers, by_account, currency=cfg.pricing.currency, now=started,
                                         ttl=cfg.pricing.cache_ttl, cache=prices)[0])  # fmt: skip
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
    )
