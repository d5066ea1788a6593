"""The one cleanup runner, for VMs and for every kind of leftover alike: select, cap, then region by region a fresh
look, still qualifies, (the dry run stops here) act, each decision recorded as it is made. What differs per kind is
a `Steps`: VMs (vms.py) and the registry's kinds (kinds.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from ..cloud import Session
from ..cloud.inventory import failure_of
from ..config.schema import Credentials
from ..context import Run
from ..facts import Fact
from ..model import ScanResult
from ..state import StateDB
from .accounts import Located, by_region
from .journal import Journal, RegionCalls
from .plan import Decision, Options, Outcome, over_max, unexpected

log = logging.getLogger(__name__)
T = TypeVar("T", bound=Located)
L = TypeVar("L")


class Steps(Protocol, Generic[T, L]):
    """One kind's part of a cleanup: its targets, its fresh look at a region (`L`), its rules and its calls."""

    noun: str  # in the cap's refusal: "instances", "disks"...

    def select(self, last: ScanResult, state: StateDB, opts: Options, at: datetime
               ) -> tuple[list[T], list[Decision]]: ...  # fmt: skip

    def say(self, t: T, opts: Options, outcome: Outcome, detail: str | Fact) -> Decision: ...

    def look(self, session: Session, region: str, group: list[T], opts: Options) -> L: ...

    def still(self, t: T, look: L, opts: Options, at: datetime) -> str | None: ...

    def ready(self, session: Session, region: str, go: list[T], look: L, opts: Options
              ) -> tuple[list[T], list[Decision]]: ...  # fmt: skip

    def would(self, t: T, look: L, opts: Options) -> Decision: ...

    def act(self, session: Session, region: str, go: list[T], look: L, opts: Options, creds: Credentials,
            at: datetime, calls: RegionCalls) -> list[Decision]: ...  # fmt: skip


Decided = Callable[[list[Decision]], None]


def run_steps(steps: Steps[T, L], run: Run, state: StateDB, opts: Options, last: ScanResult, at: datetime,
              decided: Decided, journal: Journal) -> str:  # fmt: skip
    """Every decision goes to `decided` as it is made; returns the cap's refusal ("" if none)."""
    targets, skipped = steps.select(last, state, opts, at)
    decided(skipped)
    if len(targets) > opts.max:
        decided([steps.say(t, opts, "refused", f"not acted on: over --max {opts.max}") for t in targets])
        return over_max(len(targets), steps.noun, opts)
    for g in by_region(run, targets):
        if g.session is None or g.credentials is None:
            why = g.why or f"account {g.account} is not in the config any more"
            decided([steps.say(t, opts, "skipped", why) for t in g.targets])
            continue
        decided(_region(steps, g.session, g.region, g.targets, opts, g.credentials, at,
                        journal.calls(g.account, g.region)))  # fmt: skip
    return ""


def _region(steps: Steps[T, L], session: Session, region: str, group: list[T], opts: Options, creds: Credentials,
            at: datetime, calls: RegionCalls) -> list[Decision]:  # fmt: skip
    """One region: a fresh look at everything, then the action (or, in a dry run, what it would be)."""
    try:
        look = steps.look(session, region, group, opts)
    except Exception as exc:
        why = f"fresh check of {region} failed, nothing done there: {failure_of(exc, 'recheck').describe()}"
        return [steps.say(t, opts, "skipped", why) for t in group]
    out: list[Decision] = []
    go: list[T] = []
    for t in group:
        reason = steps.still(t, look, opts, at)
        if reason is not None:
            out.append(steps.say(t, opts, "skipped", reason))
        else:
            go.append(t)
    go, held = steps.ready(session, region, go, look, opts)
    out += held
    if not go:
        return out
    if opts.dry_run:  # the one place the dry run differs: it stops at the mutating call
        return out + [steps.would(t, look, opts) for t in go]
    try:
        return out + steps.act(session, region, go, look, opts, creds, at, calls)
    except Exception as exc:  # an answer we could not read: the call may have happened
        log.exception("cleanup of %s in %s", opts.kind, region)
        return out + [steps.say(t, opts, "failed", unexpected(exc)) for t in go]
