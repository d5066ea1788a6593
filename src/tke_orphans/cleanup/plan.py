"""Which orphans cleanup may act on, and whether each still qualifies right before acting. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..cloud.actions import MARK_TAG
from ..detect import Policy, excluded_reason
from ..model import Instance, ScanResult

Action = Literal["mark", "terminate", "readd"]
Outcome = Literal["dry-run", "done", "failed", "skipped", "refused"]


@dataclass(frozen=True)
class Options:
    action: Action = "mark"
    min_orphan_age: timedelta = timedelta(hours=24)
    max: int = 10
    only: frozenset[str] = frozenset()
    min_mark_age: timedelta | None = None
    cluster_id: str | None = None
    node_pool_id: str | None = None
    dry_run: bool = True


@dataclass(frozen=True)
class Target:
    account: str
    region: str
    instance: Instance
    first_seen: datetime


@dataclass(frozen=True)
class Decision:
    account: str
    region: str
    instance_id: str
    name: str
    action: Action
    outcome: Outcome
    detail: str
    request_id: str = ""


def decision(t: Target, opts: Options, outcome: Outcome, detail: str, request_id: str = "") -> Decision:
    i = t.instance
    return Decision(t.account, t.region, i.instance_id, i.name, opts.action, outcome, detail, request_id)


def select(
    last: ScanResult, first_seen: dict[tuple[str, str, str], datetime], opts: Options, now: datetime
) -> tuple[list[Target], list[Decision]]:
    """Orphans of the last scan, in regions it scanned completely, orphaned long enough; and why others are not."""
    complete = {(r.account, r.region) for r in last.regions if r.status == "ok"}
    targets: list[Target] = []
    skipped: list[Decision] = []
    for o in last.orphans:
        if opts.only and o.instance.instance_id not in opts.only:
            continue
        since = first_seen.get((o.account, o.region, o.instance.instance_id))
        t = Target(o.account, o.region, o.instance, since or now)
        if (o.account, o.region) not in complete:
            skipped.append(decision(t, opts, "skipped", f"the last scan of {o.region} was incomplete"))
        elif since is None or now - since < opts.min_orphan_age:
            age = "not yet recorded" if since is None else f"{(now - since).total_seconds() / 3600:.1f}h"
            skipped.append(decision(t, opts, "skipped", f"orphan for {age}, less than --min-orphan-age"))
        else:
            targets.append(t)
    missing = opts.only - {o.instance.instance_id for o in last.orphans}
    for iid in sorted(missing):
        skipped.append(Decision("", "", iid, "", opts.action, "skipped", "not an orphan in the last scan"))
    return targets, skipped


def still_qualifies(
    t: Target,
    fresh: Instance | None,
    member_of: str | None,
    existed_in: str | None,
    policy: Policy,
    opts: Options,
    now: datetime,
) -> str | None:
    """Why `t` must be left alone now (from a fresh look just before acting), or None to go ahead."""
    if fresh is None:
        return "no longer exists"
    if member_of:
        return f"now a node of {member_of}"
    if existed_in is None:
        return "TKE did not confirm that it is in no cluster (DescribeExistedInstances gave no answer for it)"
    if existed_in:
        return f"TKE says it is in cluster {existed_in}"
    excluded = excluded_reason(fresh, policy, now)
    if excluded is not None:
        return f"{excluded[0].value}: {excluded[1]}"
    if opts.action == "terminate":
        if fresh.disable_api_termination:
            return "termination protection (DisableApiTermination) is on"
        if opts.min_mark_age is not None:
            marked = fresh.tag(MARK_TAG)
            if not marked:
                return f"not marked ({MARK_TAG}): run cleanup --action mark first"
            try:
                at = datetime.fromisoformat(marked.replace("Z", "+00:00"))
            except ValueError:
                return f"{MARK_TAG}={marked} is not a time"
            if now - at < opts.min_mark_age:
                return f"marked {(now - at).total_seconds() / 3600:.1f}h ago, less than --min-mark-age"
    if opts.action == "readd" and fresh.state != "RUNNING":
        return f"state {fresh.state}: only RUNNING instances can be added to a cluster"
    return None
