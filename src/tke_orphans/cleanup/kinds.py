"""Cleanup's steps for a kind of the registry (a deleted cluster's disks, load balancers, addresses, file systems,
security groups; runner.py runs them): the leftovers of the last scan, a fresh look by id through the product's own
API and at the region's clusters, the kind's own rules (kind_rules.py, its KindSpec), and its calls: mark (a tag) or
give back."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from ..cloud import CloudError, RegionLister, Session
from ..cloud import actions as cloud_actions
from ..cloud.resources import other_live_clusters
from ..config.schema import Config, Credentials
from ..costs import money
from ..facts import Fact, english
from ..kinds import KINDS, Fresh, KindSpec
from ..model import ScanResult
from ..state import StateDB
from .journal import RegionCalls
from .kind_rules import LeftoverTarget, select_leftovers, still_leftover
from .plan import CleanupError, Decision, Options, Outcome, decision, no_names


def check_kind(cfg: Config, opts: Options) -> None:
    """Bad input before anything is done: a kind the scan does not look for, or an option for VMs only."""
    if opts.kind == "cvm":
        return
    if opts.action == "readd" or opts.destroy_recycled:
        flag = "--action readd" if opts.action == "readd" else "--destroy-recycled"
        raise CleanupError(f"{flag} is for --kind cvm only, not {opts.kind}")
    if opts.kind not in cfg.detection.policy().leftovers:
        raise CleanupError(
            f"--kind {opts.kind}: the scan does not look for these leftovers; add {opts.kind} to detection.leftovers"
            f" in {cfg.source} and run `tke-orphans scan`"
        )


@dataclass(frozen=True)
class Look:
    """A region right now: the targets as their product lists them, and every live cluster (serverless and edge
    ones the targets name included)."""

    fresh: dict[str, Fresh]
    live: set[str]


class KindSteps:
    def __init__(self, cfg: Config, kind: str) -> None:
        self.kind: KindSpec = KINDS[kind]
        self.noun = self.kind.noun.many
        self.ignore_tags = cfg.detection.policy().ignore_tags
        self.concurrency = cfg.tencentcloud.concurrency

    def select(self, last: ScanResult, state: StateDB, opts: Options, at: datetime
               ) -> tuple[list[LeftoverTarget], list[Decision]]:  # fmt: skip
        return select_leftovers(last, state.leftovers.first_seen(), opts, at)

    def say(self, t: LeftoverTarget, opts: Options, outcome: Outcome, detail: str | Fact) -> Decision:
        return decision(t.leftover, opts, outcome, detail)

    def look(self, session: Session, region: str, group: list[LeftoverTarget], opts: Options) -> Look:
        fresh = self.kind.look(session, region, [t.resource_id for t in group])
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="recheck") as pool:
            live = {c.cluster_id for c in RegionLister(session, region, self.concurrency).clusters(pool)}
        # A serverless or edge cluster is not in DescribeClusters: the ones named are asked of their own listings.
        named = {n[0] for f in fresh.values() if (n := self.kind.cluster_of(f.resource))} - live
        live |= other_live_clusters(session, region, named)
        return Look(fresh, live)

    def still(self, t: LeftoverTarget, look: Look, opts: Options, at: datetime) -> str | None:
        return still_leftover(t, look.fresh.get(t.resource_id), look.live, opts, at, self.ignore_tags)

    def ready(self, session: Session, region: str, go: list[LeftoverTarget], look: Look, opts: Options
              ) -> tuple[list[LeftoverTarget], list[Decision]]:  # fmt: skip
        return go, []

    def would(self, t: LeftoverTarget, look: Look, opts: Options) -> Decision:
        if opts.action == "mark":
            return self.say(t, opts, "dry-run", f"would tag {cloud_actions.MARK_TAG}")
        what = self.kind.would(look.fresh[t.resource_id])
        cost = t.leftover.cost
        if cost is not None and cost.monthly is not None:
            what += f"; saves about {money(cost.monthly, cost.currency)} a month"
        return self.say(t, opts, "dry-run", what)

    def act(self, session: Session, region: str, go: list[LeftoverTarget], look: Look, opts: Options,
            creds: Credentials, at: datetime, calls: RegionCalls) -> list[Decision]:  # fmt: skip
        by_id = {o.instance_id: o for o in self._call(session, region, go, look, opts, creds, at, calls)}
        out = []
        for t in go:
            o = by_id[t.resource_id]
            out.append(decision(t.leftover, opts, "done" if o.ok else "failed", o.fact or o.detail,
                                         o.request_id))  # fmt: skip
        return out

    def _call(self, session: Session, region: str, go: list[LeftoverTarget], look: Look, opts: Options,
              creds: Credentials, at: datetime, calls: RegionCalls) -> list[cloud_actions.Outcome]:  # fmt: skip
        if opts.action == "terminate":
            return self.kind.give_back(session, region, [look.fresh[t.resource_id] for t in go], calls)
        ids = [t.resource_id for t in go]
        try:
            owner = cloud_actions.owner_uin(session, creds.uin, region)
        except CloudError as exc:
            said = no_names(exc)
            return [cloud_actions.Outcome(i, False, english(said), fact=said) for i in ids]
        value = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return cloud_actions.mark(session, region, owner, ids, value, self.kind.mark_name, calls)
