"""The decision for what else a deleted cluster leaves behind (disks, load balancers, addresses, and every kind of
the registry). Pure: no I/O.

Only what TKE made counts (each kind's own rule: its tags, its name), only for a cluster proven deleted (the region's
cluster listing succeeded and it is not there, nor among its serverless and edge clusters), and only when not in use
(a disk unattached, an address unbound). A kind that reports reuse (a user's CLB a deleted cluster used) reports it
apart, never as TKE's. If the cluster listing or the resource listing failed, nothing of the region is a leftover.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from .facts import Fact, english
from .kinds import KINDS
from .model import CloudResource, Leftover

IgnoreTags = Collection[tuple[str, str | None]]


def ignored(r: CloudResource, ignore_tags: IgnoreTags) -> tuple[str, str] | None:
    """The tag of detection.ignore.tags (by default tke-orphans:ignore=true) that keeps a resource out, if any."""
    for key, value in ignore_tags:
        have = r.tag(key)
        if have is not None and (value is None or have == value):
            return key, have
    return None


def _leftover(where: tuple[str, str], r: CloudResource, cluster_id: str, evidence: Sequence[Fact],
              reused: bool) -> Leftover:  # fmt: skip
    return Leftover(*where, r.kind, r.resource_id, r.name, cluster_id, tuple(english(e) for e in evidence), r.state,
                    r.created, r.attached, reused, billing=r.billing, facts=tuple(evidence), tags=r.tags)  # fmt: skip


def judge(r: CloudResource, live: Collection[str]) -> tuple[str, tuple[Fact, ...], bool] | None:
    """(cluster id, evidence, reused) when `r` is a leftover of a deleted cluster (or reused by one), else None."""
    spec = KINDS[r.kind]
    named = spec.cluster_of(r)
    if named is None or named[0] in live:
        return None
    cluster_id, gone = named
    made = spec.made_by_tke(r, cluster_id)
    if made is None:
        return (cluster_id, (gone,), True) if spec.reused else None
    return None if spec.in_use(r) else (cluster_id, (*made, gone, *r.notes), False)


def decide_leftovers(
    where: tuple[str, str],
    live: Collection[str] | None,
    resources: Sequence[CloudResource] | None,
    kinds: Collection[str] = tuple(KINDS),
    ignore_tags: IgnoreTags = (),
) -> list[Leftover]:
    """Leftovers (and reused ones, `reused=True`) of one region (`where`: account, region), sorted by kind and id.
    `live`: the ids of the region's clusters, serverless and edge ones included; None when a listing of them failed,
    as `resources` when theirs did. `ignore_tags` (detection.ignore.tags) keep a resource out, as they do instances."""
    if live is None or resources is None:
        return []  # unverified: a cluster that failed to list is not a deleted one
    out: list[Leftover] = []
    for r in resources:
        if r.kind not in kinds or ignored(r, ignore_tags):
            continue
        verdict = judge(r, live)
        if verdict is not None:
            out.append(_leftover(where, r, *verdict))
    return sorted(out, key=lambda x: (x.kind, x.resource_id))
