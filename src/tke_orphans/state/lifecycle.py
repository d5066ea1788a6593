"""The alert lifecycle, pure: from the open orphans (and leftovers) the state remembers and a new scan, what is new,
still there (and due for a reminder), and resolved. Only a region scanned completely can resolve anything: for a
leftover, only a region whose cluster and resource listings of its kind succeeded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from ..facts import Fact, english, fact
from ..model import (
    Excluded,
    ExcludedWhy,
    Leftover,
    Named,
    Orphan,
    RegionSnapshot,
    Resolved,
    ResolvedHow,
    ScanResult,
    Vm,
    finding_key,
)
from ..records import instance_from_dict, leftover_from_dict


@dataclass(frozen=True)
class Tracked:
    """An open orphan, as the state remembers it."""

    account: str
    region: str
    instance_id: str
    first_seen: datetime
    last_notified: datetime | None
    record: dict[str, object]  # the orphan's (or leftover's) record (records.py) when last seen


F = TypeVar("F", bound=Named)


@dataclass
class Changes(Generic[F]):
    """What a scan changed for findings of one shape (orphans, or leftovers of every kind): new, still there, due a
    reminder, and resolved. The one lifecycle both go through (`_seen`, then a resolution per open row)."""

    new: list[F] = field(default_factory=list)
    still: list[F] = field(default_factory=list)
    remind: list[F] = field(default_factory=list)
    resolved: list[Resolved] = field(default_factory=list)

    def told(self) -> list[F]:
        """What the notices tell as open (new, and due a reminder)."""
        return [*self.new, *self.remind]


@dataclass
class Plan:
    orphans: Changes[Orphan] = field(default_factory=Changes)
    leftovers: Changes[Leftover] = field(default_factory=Changes)
    # By instance id, and by resource id for leftovers (ids are unique across kinds).
    first_seen: dict[str, datetime] = field(default_factory=dict)


def _how(t: Tracked, snap: RegionSnapshot, excluded: dict[tuple[str, str, str], Excluded]) -> Resolved:
    inst = instance_from_dict(dict(t.record))

    def resolved(how: ResolvedHow, detail: str, said: Fact | None = None) -> Resolved:
        cluster = t.record.get("cluster_id")
        vm = Vm(t.account, t.region, inst, cluster if isinstance(cluster, str) else None)
        return Resolved(vm, how, detail, t.first_seen, said)

    if t.instance_id not in snap.listed:
        return resolved("terminated", "no longer listed")
    if t.instance_id in snap.members:
        return resolved("rejoined", snap.members[t.instance_id])
    excl = excluded.get((t.account, t.region, t.instance_id))
    if excl is not None and excl.why is ExcludedWhy.SKIP_STATE:
        return resolved("terminated", excl.detail, excl.fact)
    if excl is not None:
        return resolved("ignored", excl.detail, excl.fact)
    gone = fact("resolved.no_evidence")
    return resolved("ignored", english(gone), gone)


Key = tuple[str, str, str]  # account, region, instance or resource id


def _changes(
    found: Iterable[F],
    tracked: list[Tracked],
    snapshots: Mapping[tuple[str, str], RegionSnapshot],
    checked: Callable[[Tracked, RegionSnapshot], bool],
    how: Callable[[Tracked, RegionSnapshot], Resolved],
    first_seen: dict[str, datetime],
    now: datetime,
    remind_every: timedelta,
) -> Changes[F]:
    """The one lifecycle, for findings of any kind: what a scan found, against what is open, is new, still there,
    due a reminder; an open one it did not find is resolved (`how`) only where its region was `checked` for it."""
    open_rows = {(t.account, t.region, t.instance_id): t for t in tracked}
    out: Changes[F] = Changes()
    current: set[Key] = set()
    for item in found:
        key = finding_key(item)
        current.add(key)
        row = open_rows.get(key)
        first_seen[key[2]] = now if row is None else row.first_seen
        if row is None or row.last_notified is None:
            # Never told (recorded by a `scan --no-notify`, or while no bot was on): the team hears of it as new.
            out.new.append(item)
            continue
        out.still.append(item)
        if now - row.last_notified >= remind_every:
            out.remind.append(item)
    for key, row in open_rows.items():
        snap = snapshots.get((row.account, row.region))
        if key in current or snap is None or not checked(row, snap):
            continue  # still one, or not checked completely this time: an error is not a resolution
        out.resolved.append(how(row, snap))
    return out


def plan(
    result: ScanResult,
    tracked: list[Tracked],
    remind_every: timedelta,
    now: datetime,
    tracked_leftovers: list[Tracked] | None = None,
) -> Plan:
    out = Plan()
    snapshots = {(s.account, s.region): s for s in result.snapshots}
    excluded = {(e.account, e.region, e.instance_id): e for e in result.excluded}
    unverified = {(u.account, u.region, u.instance.instance_id) for u in result.unverified}

    def vm_checked(row: Tracked, snap: RegionSnapshot) -> bool:  # a VM that could not be checked stays open
        return snap.complete and (row.account, row.region, row.instance_id) not in unverified

    def kind_checked(row: Tracked, snap: RegionSnapshot) -> bool:  # its kind's listing succeeded there
        return str(row.record["kind"]) in snap.leftover_kinds

    out.leftovers = _changes(result.leftovers, tracked_leftovers or [], snapshots, kind_checked, _leftover_how,
                             out.first_seen, now, remind_every)  # fmt: skip
    out.orphans = _changes(result.orphans, tracked, snapshots, vm_checked,
                           lambda row, snap: _how(row, snap, excluded), out.first_seen, now, remind_every)  # fmt: skip
    return out


GONE = "no longer listed"  # its product's whole listing (of its kind, in its region, that name a cluster) lacks it


def _leftover_how(t: Tracked, snap: RegionSnapshot) -> Resolved:
    x = leftover_from_dict(dict(t.record))
    r = snap.resources.get(t.instance_id)
    if r is None:
        return Resolved(x, "gone", GONE, t.first_seen)
    if r.returned:  # given back, still listed (a prepaid disk in the recycle bin): billing stopped, destroyed later
        return Resolved(x, "gone", "in the recycle bin", t.first_seen)
    if r.attached:
        return Resolved(x, "in_use", r.state or "associated", t.first_seen)  # a group has no state of its own
    return Resolved(x, "not_leftover", "no longer a deleted cluster's", t.first_seen)
