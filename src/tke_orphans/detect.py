"""The decision core: inventory + policy + now -> orphans, unverified, excluded. Pure: no I/O, no clock.

An instance is a candidate only when it carries evidence that TKE created it (a default name, the auto scaling
tag of a node pool we saw, an owner tag). A candidate is an orphan only when it is a node of no cluster in its
region AND that is known for sure: every cluster listing succeeded and TKE's DescribeExistedInstances agrees.
Anything less is `Unverified`, never an orphan: a failed listing must not read as "not a member".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .facts import Fact, english, fact
from .model import (
    ApiFailure,
    Evidence,
    EvidenceKind,
    Excluded,
    ExcludedWhy,
    Instance,
    NodePool,
    Orphan,
    Reason,
    RegionInventory,
    RegionVerdict,
    Unverified,
)

ASG_TAG = "tencentcloud:autoscaling:auto-scaling-group-id"
_CLUSTER_NAME = re.compile(r"^tke_(cls-[0-9a-z]+)_(worker|master)")
_POOL_NAME = re.compile(r"^(?:as-tke-(np-[0-9a-z]+)|tke-(np-[0-9a-z]+)-)")
# The original checker's substring rules, kept only for users who opt in (they match "redis-cluster").
_LEGACY_NAME = ("tke", "k8s", "-np-")
_LEGACY_TAG = ("tke", "qcloud-app", "tencentcloud", "kubernetes", "cluster", "node")
DEFAULT_SKIP_STATES = frozenset({"PENDING", "LAUNCH_FAILED", "SHUTDOWN", "TERMINATING"})
EXISTED_API = "tke.DescribeExistedInstances"


def _default_kinds() -> tuple[str, ...]:
    from .kinds import default_kinds  # late: the registry reaches the cloud adapter, which imports this module

    return default_kinds()


@dataclass(frozen=True)
class Policy:
    owner_tags: tuple[str, ...] = ("tke-clusterId",)
    legacy_heuristics: bool = False
    grace_period: timedelta = timedelta(hours=1)
    skip_states: frozenset[str] = DEFAULT_SKIP_STATES
    ignore_ids: frozenset[str] = frozenset()
    # (key, value): value None matches any value of the key.
    ignore_tags: tuple[tuple[str, str | None], ...] = (("tke-orphans:ignore", "true"),)
    ignore_names: tuple[re.Pattern[str], ...] = ()
    # The kinds of other leftovers to look for (detection.leftovers); empty: none, and no calls.
    leftovers: tuple[str, ...] = field(default_factory=_default_kinds)


@dataclass
class _Claim:
    """What an instance's evidence says about who created it."""

    evidence: list[Evidence] = field(default_factory=list)
    cluster_ids: list[str] = field(default_factory=list)
    pool_ids: list[str] = field(default_factory=list)
    pool: NodePool | None = None


def _legacy_match(inst: Instance) -> Fact | None:
    name = inst.name.lower()
    for word in _LEGACY_NAME:
        if word in name:
            return fact("legacy.name", word)
    for key, value in inst.tags:
        for word in _LEGACY_TAG:
            if word in key.lower() or word in value.lower():
                return fact("legacy.tag", key, value, word)
    return None


def claim(
    inst: Instance,
    pools: dict[str, NodePool],
    by_asg: dict[str, NodePool],
    policy: Policy,
    history: tuple[str, datetime] | None = None,
) -> _Claim | None:
    """The TKE evidence an instance carries, or None when it has none (not a candidate).

    `history` is what the state remembers: the cluster this instance was last seen a node of, and when. It is the
    strongest evidence there is, and catches renamed, untagged VMs that no naming rule can.
    """
    c = _Claim()
    m = _CLUSTER_NAME.match(inst.name)
    if m:
        c.evidence.append(
            Evidence(EvidenceKind.NAME, f"default TKE name of cluster {m.group(1)}: {inst.name}", m.group(1))
        )
        c.cluster_ids.append(m.group(1))
    m = _POOL_NAME.match(inst.name)
    if m:
        pool_id = m.group(1) or m.group(2)
        c.evidence.append(Evidence(EvidenceKind.NAME, f"default TKE name of node pool {pool_id}: {inst.name}", pool_id))
        c.pool_ids.append(pool_id)
        c.pool = pools.get(pool_id)
    asg = inst.tag(ASG_TAG)
    if asg and asg in by_asg:
        pool = by_asg[asg]
        c.evidence.append(
            Evidence(
                EvidenceKind.AUTOSCALING_TAG,
                f"auto scaling group {asg} of node pool {pool.node_pool_id} (cluster {pool.cluster_id})",
                f"{asg} → {pool.node_pool_id}",
            )
        )
        c.pool = pool
    if history is not None:
        cluster_id, until = history
        c.evidence.append(
            Evidence(
                EvidenceKind.HISTORY,
                f"node of {cluster_id} until {until:%Y-%m-%d %H:%M} UTC",
                f"{cluster_id} → {until:%Y-%m-%d %H:%M} UTC",
            )
        )
        c.cluster_ids.append(cluster_id)
    for key in policy.owner_tags:
        value = inst.tag(key)
        if value:
            c.evidence.append(Evidence(EvidenceKind.OWNER_TAG, f"tag {key}={value}", f"{key}={value}"))
            c.cluster_ids.append(value)
    if not c.evidence and policy.legacy_heuristics:
        matched = _legacy_match(inst)
        if matched:
            why = english(matched)
            c.evidence.append(Evidence(EvidenceKind.LEGACY_HEURISTIC, why, why, matched))
    return c if c.evidence else None


def excluded_reason(inst: Instance, policy: Policy, now: datetime) -> tuple[ExcludedWhy, Fact] | None:
    """Why a candidate is left out (ignore rules, its state, too young), or None."""
    if inst.instance_id in policy.ignore_ids:
        return ExcludedWhy.IGNORED, fact("excluded.id")
    for key, value in policy.ignore_tags:
        have = inst.tag(key)
        if have is not None and (value is None or have == value):
            return ExcludedWhy.IGNORED, fact("excluded.tag", key, have)
    for pattern in policy.ignore_names:
        if pattern.search(inst.name):
            return ExcludedWhy.IGNORED, fact("excluded.name", pattern.pattern)
    if inst.state in policy.skip_states:
        return ExcludedWhy.SKIP_STATE, fact("excluded.state", inst.state)
    age = now - inst.created
    if age < policy.grace_period:
        return ExcludedWhy.GRACE_PERIOD, fact("excluded.young", int(age.total_seconds() // 60))
    return None


@dataclass(frozen=True)
class _Index:
    pools: dict[str, NodePool]
    by_asg: dict[str, NodePool]
    clusters: set[str]

    @classmethod
    def of(cls, inv: RegionInventory) -> _Index:
        pools = {p.node_pool_id: p for p in inv.node_pools}
        by_asg = {p.autoscaling_group_id: p for p in inv.node_pools if p.autoscaling_group_id}
        return cls(pools, by_asg, {c.cluster_id for c in inv.clusters or ()})


def _open_candidates(
    inv: RegionInventory, policy: Policy, now: datetime, idx: _Index
) -> Iterable[tuple[Instance, _Claim, tuple[ExcludedWhy, Fact] | None]]:
    """Candidates that are not known nodes, with their claim and exclusion (if any)."""
    for inst in inv.instances or ():
        if inst.instance_id in inv.members:
            continue
        c = claim(inst, idx.pools, idx.by_asg, policy, inv.history.get(inst.instance_id))
        if c is None:
            continue
        yield inst, c, excluded_reason(inst, policy, now)


def _excluded(inv: RegionInventory, inst: Instance, excl: tuple[ExcludedWhy, Fact]) -> Excluded:
    return Excluded(inv.account, inv.region, inst.instance_id, excl[0], english(excl[1]), excl[1])


def to_confirm(inv: RegionInventory, policy: Policy, now: datetime) -> list[str]:
    """Instance ids to check with TKE's DescribeExistedInstances before calling them orphans."""
    if inv.clusters is None:
        return []
    idx = _Index.of(inv)
    return [inst.instance_id for inst, _, excl in _open_candidates(inv, policy, now, idx) if excl is None]


def _reason(c: _Claim, idx: _Index) -> tuple[Reason, str | None, str | None]:
    """(reason, cluster id, node pool id) from what the evidence claims and what exists now."""
    if c.pool is not None:
        return Reason.REMOVED_FROM_CLUSTER, c.pool.cluster_id, c.pool.node_pool_id
    pool_id = c.pool_ids[0] if c.pool_ids else None
    if c.cluster_ids:
        cluster_id = next((cid for cid in c.cluster_ids if cid in idx.clusters), c.cluster_ids[0])
        reason = Reason.REMOVED_FROM_CLUSTER if cluster_id in idx.clusters else Reason.CLUSTER_DELETED
        return reason, cluster_id, pool_id
    if pool_id:
        return Reason.NODE_POOL_DELETED, None, pool_id
    return Reason.UNKNOWN_OWNER, None, None


def _unverified_why(inv: RegionInventory) -> tuple[Fact, ...]:
    existed_errors = [e for e in inv.errors if e.api == EXISTED_API]
    parts = [f.fact for f in inv.failed_clusters.values()]
    parts.append(existed_errors[0].fact if existed_errors else fact("unverified.not_confirmed", EXISTED_API))
    return tuple(parts)


def _unverified(inv: RegionInventory, inst: Instance, c: _Claim, why: tuple[Fact, ...], idx: _Index) -> Unverified:
    _, cluster_id, pool_id = _reason(c, idx)
    return Unverified(inv.account, inv.region, inst, tuple(c.evidence), english(why, "; "), cluster_id, pool_id, why)


def decide(inv: RegionInventory, policy: Policy, now: datetime) -> RegionVerdict:
    """Classify every candidate of one region."""
    idx = _Index.of(inv)
    orphans: list[Orphan] = []
    unverified: list[Unverified] = []
    excluded: list[Excluded] = []
    clusters_failure: ApiFailure | None = next((e for e in inv.errors if e.api == "tke.DescribeClusters"), None)
    for inst, c, excl in _open_candidates(inv, policy, now, idx):
        if excl is not None:
            excluded.append(_excluded(inv, inst, excl))
            continue
        if inv.clusters is None:
            why = clusters_failure.fact if clusters_failure else fact("unverified.no_clusters")
            unverified.append(_unverified(inv, inst, c, (why,), idx))
            continue
        owner = inv.existed.get(inst.instance_id)
        if owner is None:
            unverified.append(_unverified(inv, inst, c, _unverified_why(inv), idx))
        elif owner == "":
            reason, cluster_id, pool_id = _reason(c, idx)
            orphans.append(Orphan(inv.account, inv.region, inst, reason, tuple(c.evidence), cluster_id, pool_id))
        # else: TKE says it is a node of `owner` (a listing we could not complete, or it just joined): not an orphan
    return RegionVerdict(tuple(orphans), tuple(unverified), tuple(excluded))
