"""The decision for what else a deleted cluster leaves behind: disks, load balancers, addresses. Pure: no I/O.

Only what TKE made counts (its own tags), only for a cluster proven deleted (the region's cluster listing succeeded
and it is not there, nor among its serverless and edge clusters), and only when not in use (a disk unattached, an
address unbound). A user's CLB that a deleted cluster reused (cluster tag, no createdBy flag) is reported apart,
never as TKE's. If the cluster listing or the resource listing failed, nothing of the region is a leftover.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from .facts import Fact, english, fact
from .model import CLUSTER_TAG, CloudResource, Leftover, LeftoverKind

# The tags by which TKE marks what it made, per kind: (key, the value it must have, or None for any).
MADE_BY_TKE: dict[LeftoverKind, tuple[str, str | None]] = {
    LeftoverKind.CBS_DISK: ("tke-cbs-provisioner-createBy-flag", "yes"),
    LeftoverKind.CLB: ("tke-createdBy-flag", "yes"),
    LeftoverKind.EIP: ("tke-created-eip", None),
}
ALL_KINDS = tuple(LeftoverKind)


def _leftover(where: tuple[str, str], r: CloudResource, cluster_id: str, evidence: list[Fact],
              reused: bool) -> Leftover:  # fmt: skip
    return Leftover(*where, r.kind, r.resource_id, r.name, cluster_id, tuple(english(e) for e in evidence), r.state,
                    r.created, r.attached, reused, billing=r.billing, facts=tuple(evidence))  # fmt: skip


def _ignored(r: CloudResource, ignore_tags: Collection[tuple[str, str | None]]) -> bool:
    return any((have := r.tag(key)) is not None and (value is None or have == value) for key, value in ignore_tags)


def decide_leftovers(
    where: tuple[str, str],
    live: Collection[str] | None,
    resources: Sequence[CloudResource] | None,
    kinds: Collection[LeftoverKind] = ALL_KINDS,
    ignore_tags: Collection[tuple[str, str | None]] = (),
) -> list[Leftover]:
    """Leftovers (and reused CLBs, `reused=True`) of one region (`where`: account, region), sorted by kind and id.
    `live`: the ids of the region's clusters, serverless and edge ones included; None when a listing of them failed,
    as `resources` when theirs did. `ignore_tags` (detection.ignore.tags) keep a resource out, as they do instances."""
    if live is None or resources is None:
        return []  # unverified: a cluster that failed to list is not a deleted one
    out: list[Leftover] = []
    for r in resources:
        cluster_id = r.tag(CLUSTER_TAG)
        if r.kind not in kinds or not cluster_id or cluster_id in live or _ignored(r, ignore_tags):
            continue
        evidence = [fact("leftover.cluster_gone", CLUSTER_TAG, cluster_id)]
        key, want = MADE_BY_TKE[r.kind]
        flag = r.tag(key)
        made = flag is not None and (want is None or flag == want)
        if made:
            evidence.insert(0, fact("leftover.tag", key, flag))
        if r.kind is LeftoverKind.CLB and not made:
            out.append(_leftover(where, r, cluster_id, evidence, reused=True))
        elif made and not r.attached:
            out.append(_leftover(where, r, cluster_id, evidence, reused=False))
    return sorted(out, key=lambda x: (x.kind.value, x.resource_id))
