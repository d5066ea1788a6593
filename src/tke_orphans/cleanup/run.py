"""Cleanup, as one path for the dry run and the real run: select, re-check against the cloud right now, cap,
then act, where only the real run makes the mutating call. Every decision is recorded, real ones are notified."""

from __future__ import annotations

import getpass
import logging
import socket
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..cloud import CloudError, RegionLister, Session
from ..cloud import actions as cloud_actions
from ..cloud.inventory import to_instance
from ..config import Config
from ..model import Instance
from ..scan import make_session, plan_accounts
from ..state import StateDB
from .plan import Decision, Options, Target, decision, select, still_qualifies

log = logging.getLogger(__name__)


class CleanupError(Exception):
    """Cleanup cannot start (no scan in the state, a bad option): the message says what to do."""


@dataclass
class Report:
    decisions: list[Decision] = field(default_factory=list)
    refused: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.refused) or any(d.outcome == "failed" for d in self.decisions)


def actor() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        return "tke-orphans"


def _fresh(session: Session, lister: RegionLister, region: str, ids: list[str]) -> dict[str, Instance]:
    out: dict[str, Instance] = {}
    for i in range(0, len(ids), 100):
        resp = session.call("cvm", "DescribeInstances", region, {"InstanceIds": ids[i : i + 100], "Limit": 100})
        for d in resp.get("InstanceSet") or []:
            inst = to_instance(d)
            out[inst.instance_id] = inst
    return out


def _members(lister: RegionLister) -> tuple[set[str], dict[str, str]]:
    """Every cluster of the region and every node of each, fresh; raises CloudError if any listing fails."""
    with ThreadPoolExecutor(lister.concurrency, thread_name_prefix="recheck") as pool:
        clusters = lister.clusters(pool)
        members: dict[str, str] = {}
        for found in pool.map(lister.members, [c.cluster_id for c in clusters]):
            members |= found
    return {c.cluster_id for c in clusters}, members


def _act(session: Session, region: str, targets: list[Target], opts: Options, uin: str | None,
         now: datetime) -> list[Decision]:  # fmt: skip
    ids = [t.instance.instance_id for t in targets]
    if opts.action == "mark":
        try:
            owner = cloud_actions.owner_uin(session, uin)
        except CloudError as exc:
            return [
                decision(t, opts, "failed", f"cannot name the resources: {exc.failure().describe()}") for t in targets
            ]
        outcomes = cloud_actions.mark(session, region, owner, ids, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    elif opts.action == "terminate":
        outcomes = cloud_actions.terminate(session, region, ids)
    else:
        assert opts.cluster_id is not None
        outcomes = cloud_actions.add_existed(session, region, opts.cluster_id, opts.node_pool_id, ids)
    by_id = {o.instance_id: o for o in outcomes}
    out = []
    for t in targets:
        o = by_id[t.instance.instance_id]
        detail = o.detail
        if o.ok and opts.action == "terminate" and t.instance.charge_type == "PREPAID":
            detail = "prepaid: returned and isolated now; the platform releases it later"
        out.append(decision(t, opts, "done" if o.ok else "failed", detail, o.request_id))
    return out


def _would(t: Target, opts: Options) -> str:
    if opts.action == "mark":
        return f"would tag {cloud_actions.MARK_TAG}"
    if opts.action == "readd":
        return f"would add to {opts.cluster_id}" + (f"/{opts.node_pool_id}" if opts.node_pool_id else "")
    prepaid = " (prepaid: it would be returned and isolated, not deleted at once)"
    return "would terminate" + (prepaid if t.instance.charge_type == "PREPAID" else "")


def run_cleanup(
    cfg: Config,
    state: StateDB,
    opts: Options,
    *,
    endpoint_url: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Report:
    if opts.action == "readd" and not opts.cluster_id:
        raise CleanupError("--action readd needs --cluster (and optionally --node-pool)")
    last = state.last_result()
    if last is None:
        raise CleanupError("no scan in the state yet: run `tke-orphans scan` first")
    at = now()
    first_seen = {
        (r["account"], r["region"], r["instance_id"]): _parse(r["first_seen"]) for r in state.open_orphan_rows()
    }
    targets, report = select(last, first_seen, opts, at)
    result = Report(report)
    if len(targets) > opts.max:
        result.refused = (
            f"{len(targets)} instances qualify, more than --max {opts.max}: nothing was done; "
            "raise --max to act on them all, or narrow with --only"
        )
        result.decisions += [decision(t, opts, "refused", result.refused) for t in targets]
        return result
    policy = cfg.detection.policy()
    plans = {p.name: p for p in plan_accounts(cfg)}
    groups: dict[tuple[str, str], list[Target]] = defaultdict(list)
    for t in targets:
        groups[(t.account, t.region)].append(t)
    for (account, region), group in sorted(groups.items()):
        session = make_session(cfg, plans[account], endpoint_url, None)
        lister = RegionLister(session, region, cfg.tencentcloud.concurrency)
        ids = [t.instance.instance_id for t in group]
        try:
            fresh = _fresh(session, lister, region, ids)
            clusters, members = _members(lister)
            existed = lister.existed_owners(ids)
        except CloudError as exc:
            why = f"fresh check of {region} failed, nothing done there: {exc.failure().describe()}"
            result.decisions += [decision(t, opts, "skipped", why) for t in group]
            continue
        if opts.action == "readd" and opts.cluster_id not in clusters:
            result.decisions += [decision(t, opts, "skipped", f"cluster {opts.cluster_id} is not in {region}")
                                 for t in group]  # fmt: skip
            continue
        go: list[Target] = []
        for t in group:
            iid = t.instance.instance_id
            reason = still_qualifies(t, fresh.get(iid), members.get(iid), existed.get(iid), policy, opts, at)
            if reason is not None:
                result.decisions.append(decision(t, opts, "skipped", reason))
            else:
                go.append(t)
        if not go:
            continue
        if opts.dry_run:  # the one place the dry run differs: it stops at the mutating call
            result.decisions += [decision(t, opts, "dry-run", _would(t, opts)) for t in go]
            continue
        uin = getattr(plans[account].credentials, "uin", None)
        result.decisions += _act(session, region, go, opts, uin, at)
    return result


def _parse(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))
