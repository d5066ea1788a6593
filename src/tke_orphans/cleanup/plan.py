"""Which orphans cleanup may act on, and whether each still qualifies right before acting. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..ages import human_duration
from ..cloud import CloudError
from ..cloud.actions import MARK_TAG
from ..config.schema import format_duration
from ..detect import Policy, excluded_reason
from ..facts import Fact, english, fact
from ..kinds import kind_of_id
from ..model import Cost, Instance, Named, OnInstance, ScanResult
from ..records import parse_iso

Action = Literal["mark", "terminate", "readd"]
# What cleanup acts on, one kind a run: VMs (instances), or a kind of a deleted cluster's leftovers.
Kind = str  # "cvm", or a kind of leftover of the registry (kinds/)
Outcome = Literal["dry-run", "done", "failed", "skipped", "refused"]


class CleanupError(Exception):
    """Cleanup cannot start (no scan in the state, a bad option): the message says what to do."""


@dataclass(frozen=True)
class Options:
    action: Action = "mark"
    kind: Kind = "cvm"
    min_orphan_age: timedelta = timedelta(hours=24)
    max: int = 10
    only: frozenset[str] = frozenset()
    # terminate: only instances marked at least this long ago; never-marked ones only with `unmarked`.
    min_mark_age: timedelta = timedelta(hours=72)
    unmarked: bool = False
    # terminate: make the second call that destroys prepaid instances the first call moved to the recycle bin.
    destroy_recycled: bool = False
    cluster_id: str | None = None
    node_pool_id: str | None = None
    dry_run: bool = True


@dataclass(frozen=True)
class Target(OnInstance):
    account: str
    region: str
    instance: Instance
    first_seen: datetime
    # What the evidence names: the cluster and node pool the instance was taken for.
    cluster_id: str | None = None
    node_pool_id: str | None = None
    cost: Cost | None = None  # its list price, from the scan (pricing)


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
    # terminate, prepaid: what InquiryPriceTerminateInstances said returning it refunds.
    refund: float | None = None
    kind: Kind = "cvm"  # instance_id holds the id of a resource of this kind (disk-, lb-, eip-)
    fact: Fact | None = None  # `detail` as data, where the summary message tells it (facts.py)


def decision(t: Named, opts: Options, outcome: Outcome, detail: str | Fact, request_id: str = "",
             refund: float | None = None) -> Decision:  # fmt: skip
    """One decision about a target of any kind, as recorded and told."""
    text, said = worded(detail)
    return Decision(t.account, t.region, t.resource_id, t.name, opts.action, outcome, text, request_id, refund,
                    kind=t.kind, fact=said)  # fmt: skip


def no_names(exc: CloudError) -> Fact:
    """Resource names need the account's uin: what failed asking for it."""
    failure = exc.failure()
    return fact("cleanup.no_names", failure.api, failure.code, failure.message)


def unexpected(exc: Exception) -> Fact:
    """An answer we could not read: the call may have happened."""
    return fact("cleanup.unexpected", f"{type(exc).__name__}: {exc}")


def worded(detail: str | Fact) -> tuple[str, Fact | None]:
    """A decision's detail in English, and as a Fact where the summary message may tell it in another language."""
    return (english(detail), detail) if isinstance(detail, Fact) else (detail, None)


def over_max(n: int, noun: str, opts: Options) -> str:
    """The cap's refusal, said once for the whole run (each row only points at it)."""
    return (
        f"{n} {noun} qualify, more than --max {opts.max}: nothing was done; "
        "raise --max to act on them all, or narrow with --only"
    )


def _names_cluster(t: Target, opts: Options) -> bool:
    """readd without --only: the evidence must name the cluster (or the node pool) the instance goes back to."""
    return t.cluster_id == opts.cluster_id or (opts.node_pool_id is not None and t.node_pool_id == opts.node_pool_id)


def _evidence_names(t: Target) -> str:
    named = [x for x in (t.cluster_id, t.node_pool_id) if x]
    return f"its evidence names {' / '.join(named)}" if named else "its evidence names no cluster"


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
        t = Target(o.account, o.region, o.instance, since or now, o.cluster_id, o.node_pool_id, o.cost)
        if (o.account, o.region) not in complete:
            skipped.append(decision(t, opts, "skipped", f"the last scan of {o.region} was incomplete"))
        elif since is None or now - since < opts.min_orphan_age:
            age = "not yet recorded as an orphan" if since is None else f"orphan for {human_duration(now - since)}"
            limit = format_duration(opts.min_orphan_age)
            skipped.append(decision(t, opts, "skipped", f"{age}, less than --min-orphan-age {limit}"))
        elif opts.action == "readd" and not opts.only and not _names_cluster(t, opts):
            why = f"{_evidence_names(t)}, not {opts.cluster_id}: name it with --only to add it there"
            skipped.append(decision(t, opts, "skipped", why))
        else:
            targets.append(t)
    return targets, skipped + not_found(opts, {o.instance.instance_id for o in last.orphans}, "an orphan")


def not_found(opts: Options, found: set[str], what: str) -> list[Decision]:
    """The ids --only names that the last scan did not find as `what`; an id of another kind says which."""
    out = []
    for rid in sorted(opts.only - found):
        other = kind_of_id(rid)
        hint = f" (an id of kind {other}: --kind {other})" if other not in (None, opts.kind) else ""
        out.append(Decision("", "", rid, "", opts.action, "skipped", f"not {what} in the last scan{hint}",
                            kind=opts.kind))  # fmt: skip
    return out


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
        return f"{excluded[0].value}: {english(excluded[1])}"
    if opts.action == "mark" and fresh.tag(MARK_TAG):
        return f"already marked {fresh.tag(MARK_TAG)}"  # a new mark would restart the clock of terminate
    if opts.action == "terminate":
        if fresh.disable_api_termination:
            return "termination protection (DisableApiTermination) is on"
        return mark_too_young(fresh.tag(MARK_TAG), opts, now)
    if opts.action == "readd" and fresh.state != "RUNNING":
        return f"state {fresh.state}: only RUNNING instances can be added to a cluster"
    return None


def mark_too_young(marked: str | None, opts: Options, now: datetime) -> str | None:
    """terminate's stage: marked long enough ago, or never marked and --unmarked given."""
    if not marked:
        if opts.unmarked:
            return None
        kind = "" if opts.kind == "cvm" else f" --kind {opts.kind}"
        return f"not marked ({MARK_TAG}): run cleanup{kind} --action mark first, or pass --unmarked"
    try:
        at = parse_iso(marked)
    except ValueError:
        return f"{MARK_TAG}={marked} is not a time"
    if at.tzinfo is None:
        return f"{MARK_TAG}={marked} has no time zone"
    if now - at < opts.min_mark_age:
        return f"marked {human_duration(now - at)} ago, less than --min-mark-age {format_duration(opts.min_mark_age)}"
    return None
