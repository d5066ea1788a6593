"""Which leftovers (disks, load balancers, addresses... of deleted clusters) cleanup may act on, and whether each
still is one right before acting. Pure: no I/O. The same stages and rules as for VMs (plan.py), each kind's own rule
(kinds/) deciding whether the resource still is TKE's, unused, and one the cloud will take back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..ages import human_duration
from ..cloud.actions import MARK_TAG
from ..config import format_duration
from ..detect_leftovers import IgnoreTags, ignored
from ..kinds import KINDS, Fresh
from ..model import Leftover, ScanResult
from .plan import Decision, Options, decision, mark_too_young, not_found


@dataclass(frozen=True)
class LeftoverTarget:
    leftover: Leftover
    first_seen: datetime

    @property
    def account(self) -> str:
        return self.leftover.account

    @property
    def region(self) -> str:
        return self.leftover.region

    @property
    def resource_id(self) -> str:
        return self.leftover.resource_id


def select_leftovers(
    last: ScanResult, first_seen: dict[tuple[str, str, str], datetime], opts: Options, now: datetime
) -> tuple[list[LeftoverTarget], list[Decision]]:
    """Leftovers of `opts.kind` in the last scan, left over long enough; and why others are not.

    A leftover is in a scan only if its region's clusters and resources listed completely (detect_leftovers), so
    no region check is needed here; the fresh look before acting lists the clusters again anyway."""
    of_kind = [x for x in last.leftovers if x.kind == opts.kind]
    targets: list[LeftoverTarget] = []
    skipped: list[Decision] = []
    for x in of_kind:
        if opts.only and x.resource_id not in opts.only:
            continue
        if x.reused:  # never a target, said only when asked for by name
            if opts.only:
                why = f"a user's own load balancer that deleted cluster {x.cluster_id} only used: never cleaned up"
                skipped.append(decision(x, opts, "refused", why))
            continue
        since = first_seen.get((x.account, x.region, x.resource_id))
        if since is None or now - since < opts.min_orphan_age:
            age = "not yet recorded as a leftover" if since is None else f"left over for {human_duration(now - since)}"
            limit = format_duration(opts.min_orphan_age)
            skipped.append(decision(x, opts, "skipped", f"{age}, less than --min-orphan-age {limit}"))
        else:
            targets.append(LeftoverTarget(x, since))
    return targets, skipped + not_found(opts, {x.resource_id for x in of_kind}, f"a {opts.kind} leftover")


def still_leftover(t: LeftoverTarget, fresh: Fresh | None, live: set[str], opts: Options, now: datetime,
                   ignore_tags: IgnoreTags = ()) -> str | None:  # fmt: skip
    """Why `t` must be left alone now (from a fresh look by id and a fresh cluster listing), or None to go ahead."""
    if fresh is None:
        return "no longer exists"
    r, x, spec = fresh.resource, t.leftover, KINDS[t.leftover.kind]
    tag = ignored(r, ignore_tags)
    if tag:
        return f"ignored: tag {tag[0]}={tag[1]}"
    named = spec.cluster_of(r)
    if named is None or named[0] != x.cluster_id:
        return f"{spec.cluster_said} is now {named[0] if named else 'gone'}, not {x.cluster_id}"
    if named[0] in live:
        return f"cluster {named[0]} is in {x.region} again"
    if spec.made_by_tke(r, x.cluster_id) is None:
        return f"no longer {spec.made_said}: not proven TKE's"
    in_use = spec.in_use(r)
    if in_use:
        return in_use
    if opts.action == "mark":
        marked = r.tag(MARK_TAG)
        return f"already marked {marked}" if marked else None  # a new mark would restart the clock of terminate
    if fresh.refusal:
        return fresh.refusal
    return mark_too_young(r.tag(MARK_TAG), opts, now)
