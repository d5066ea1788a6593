"""Cleanup's record, written as the calls are made: each mutating call before it is sent (the intent: which
resources, which action, the run, who) and its outcome as soon as it answers, each in its own transaction. A run
killed between the two leaves intents without an outcome; the next run looks those resources up by id, records what
happened (done, not done, or still unknown) and tells it before it does anything else."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from ..cloud import Session
from ..cloud import actions as cloud_actions
from ..cloud.inventory import RegionLister, failure_of
from ..context import Run
from ..kinds import KINDS
from ..state import StateDB
from ..state.actions import PENDING, Intent
from .accounts import by_region
from .plan import Action, Decision, Options, Outcome

Where = tuple[str, str, str]  # account, region, resource id


@dataclass
class Journal:
    """One run's record. What its calls wrote is not recorded again when the run's decisions are."""

    state: StateDB
    actor: str
    opts: Options
    now: Callable[[], datetime]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    written: set[Where] = field(default_factory=set)

    def calls(self, account: str, region: str, detail: Callable[[cloud_actions.Outcome], str] | None = None
              ) -> RegionCalls:  # fmt: skip
        """The journal of one region's calls; `detail` words an answer for the record (default: as the cloud said)."""
        return RegionCalls(self, account, region, detail or (lambda o: o.detail))

    def record(self, decisions: list[Decision]) -> None:
        """The decisions no call has written: skipped, refused, dry runs, a failure before any call was sent."""
        rest = [d for d in decisions if (d.account, d.region, d.instance_id) not in self.written]
        if rest:
            self.state.actions.record(rest, self.actor, self.opts.dry_run, self.now(), self.run_id)


@dataclass
class RegionCalls:
    """cloud.actions.Journal for one region of one run."""

    run: Journal
    account: str
    region: str
    detail: Callable[[cloud_actions.Outcome], str]

    def sent(self, call: str, ids: list[str]) -> None:
        r = self.run
        where = (self.account, self.region, r.opts.kind, r.opts.action)
        r.state.actions.intend(r.run_id, r.actor, r.now(), where, call, ids)
        r.written |= {(self.account, self.region, i) for i in ids}

    def answered(self, outcomes: list[cloud_actions.Outcome]) -> None:
        def outcome(o: cloud_actions.Outcome) -> str:
            return "done" if o.ok else PENDING if o.unsure else "failed"  # unsure: the next run looks it up

        answers = [(o.instance_id, outcome(o), self.detail(o), o.request_id) for o in outcomes]
        self.run.state.actions.settle(self.run.run_id, self.run.now(), answers)


# What a look-up by id found: the outcome to record, and what is there now.
Found = tuple[str, str]


def _instances(session: Session, region: str, intents: list[Intent]) -> dict[str, Found]:
    action = intents[0].action
    ids = [i.instance_id for i in intents]
    if action == "readd":
        owners = RegionLister(session, region, 1).existed_owners(ids)
        return {i: ("done", f"in cluster {owners[i]}") if owners.get(i) else ("failed", "not done: in no cluster")
                for i in ids if i in owners}  # fmt: skip
    fresh = cloud_actions.instances_by_id(session, region, ids)
    out: dict[str, Found] = {}
    for it in intents:
        inst = fresh.get(it.instance_id)
        if inst is None:
            out[it.instance_id] = _gone(action, "destroyed: it is gone")
        elif action == "mark":
            out[it.instance_id] = _marked(inst.tag(cloud_actions.MARK_TAG), inst.state)
        elif inst.state == "TERMINATING":
            out[it.instance_id] = ("done", "being destroyed (TERMINATING)")
        elif inst.state == "SHUTDOWN" and it.call != cloud_actions.DESTROY_CALL:
            out[it.instance_id] = ("done", cloud_actions.RECYCLED)
        else:
            out[it.instance_id] = _not_done(inst.state)
    return out


def _leftovers(session: Session, region: str, intents: list[Intent]) -> dict[str, Found]:
    kind, action = KINDS[intents[0].kind], intents[0].action
    fresh = kind.look(session, region, [i.instance_id for i in intents])
    out: dict[str, Found] = {}
    for it in intents:
        f = fresh.get(it.instance_id)
        settled = kind.settle(it.call, f) if kind.settle and f is not None else None
        if settled is not None:
            out[it.instance_id] = settled
        elif f is None:
            out[it.instance_id] = _gone(action, "returned: it is gone")
        elif action == "mark":
            out[it.instance_id] = _marked(f.resource.tag(cloud_actions.MARK_TAG), "")
        else:
            out[it.instance_id] = _not_done(f.resource.state)
    return out


def _gone(action: str, returned: str) -> Found:
    """A resource the look-up no longer finds: returned, for a terminate; for anything else, the call had nothing left
    to act on."""
    return ("done", returned) if action == "terminate" else ("failed", "gone")


def _marked(mark: str | None, state: str) -> Found:
    return ("done", f"tagged {cloud_actions.MARK_TAG}={mark}") if mark else _not_done(state)


def _not_done(state: str) -> Found:
    return "failed", "not done: it is still there" + (f" ({state})" if state else "")


def recover(run: Run, state: StateDB, at: datetime) -> list[Decision]:
    """Every call on record without an outcome, looked up by id and settled with what is there now. A look-up that
    fails settles nothing: the call stays pending and the next run looks again (never a guess)."""
    intents = state.actions.pending()
    out: list[Decision] = []
    for g in by_region(run, intents) if intents else ():
        groups: dict[tuple[str, str, str], list[Intent]] = defaultdict(list)
        for it in g.targets:
            groups[(it.kind, it.action, it.call)].append(it)
        for (kind, _, _), group in sorted(groups.items()):
            try:
                if g.session is None:
                    raise LookupError(g.why or f"account {g.account} is not in the config any more")
                look = _instances if kind == "cvm" else _leftovers
                found = look(g.session, g.region, group)
                why = "no answer for it"
            except Exception as exc:
                found = {}
                why = str(exc) if isinstance(exc, LookupError) else failure_of(exc, "lookup").describe()
            for it in group:
                sent = f"{it.call} sent by {it.actor} at {it.at}"
                if it.instance_id not in found:
                    detail = (
                        f"outcome still unknown ({sent}): the look-up failed, {why}; it is looked up again next run"
                    )
                    out.append(_decision(it, "failed", detail))
                    continue
                outcome, what = found[it.instance_id]
                detail = f"{what}, as looked up after an interrupted run ({sent})"
                state.actions.recover(it.id, outcome, detail, at)
                out.append(_decision(it, outcome, detail))
    return out


def _decision(it: Intent, outcome: str, detail: str) -> Decision:
    return Decision(it.account, it.region, it.instance_id, "", cast(Action, it.action), cast(Outcome, outcome), detail,
                    kind=it.kind)  # fmt: skip
