"""Who left each finding behind, and how: the audited TKE call that removed its node keeping the instance, deleted
its node pool or scaling group keeping the instances, or deleted its cluster (CloudAudit, cloud/audit.py).

Looked up once for each new finding, in a few queries an account (the windows since the oldest of them was made),
and kept in the state with it. A courtesy: a missing, late or failed lookup changes no verdict, leaves `origin`
None with the reason (`origin_note`), and never makes a region partial. One without an origin is asked again
while it is young (the audit log can lag a little), never after.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .cloud import audit
from .cloud.accounts import Sessions
from .cloud.audit import AuditEvent
from .context import Run
from .detect import ASG_TAG
from .model import Leftover, Origin, OriginHow, Orphan, ScanResult, finding_key
from .records import origin_from_dict
from .state.lifecycle import Tracked

log = logging.getLogger(__name__)

Key = tuple[str, str, str]
AGAIN_FOR = timedelta(hours=24)  # a finding without an origin is asked about again while younger than this
NONE_FOUND = "no audited TKE call names it in the 90 days before it was found"


def _ids(params: Mapping[str, Any], key: str) -> list[str]:
    value = params.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def _how(f: Orphan | Leftover, e: AuditEvent) -> OriginHow | None:
    """Whether this call left this finding behind, and how (pure)."""
    p = e.params
    cluster_deleted = e.name == "DeleteCluster" and f.cluster_id is not None and p.get("ClusterId") == f.cluster_id
    if isinstance(f, Leftover):  # its cluster deleted, and it kept (disks are, by default)
        return "cluster_deleted" if cluster_deleted else None
    if e.name == "DeleteClusterInstances":
        retained = p.get("InstanceDeleteMode") == "retain" and f.instance.instance_id in _ids(p, "InstanceIds")
        return "retain" if retained else None
    kept = p.get("KeepInstance") is True
    if e.name == "DeleteClusterNodePool" and kept and f.node_pool_id in _ids(p, "NodePoolIds"):
        return "keep_instance"
    if e.name == "DeleteClusterAsGroups" and kept and f.instance.tag(ASG_TAG) in _ids(p, "AutoScalingGroupIds"):
        return "keep_instance"
    # Deleted with "retain", or with "terminate", which TKE cannot do to a prepaid instance: either way it stays.
    return "cluster_deleted" if cluster_deleted else None


def match(f: Orphan | Leftover, events: Sequence[AuditEvent]) -> Origin | None:
    """The latest call, in the finding's region, that left it behind (pure)."""
    found = [(e, how) for e in events if e.region in ("", f.region) and (how := _how(f, e)) is not None]
    if not found:
        return None
    e, how = max(found, key=lambda pair: pair[0].time)
    return Origin(e.name, e.time, e.who, how, e.request_id)


def _made(f: Orphan | Leftover) -> datetime | None:
    return f.created if isinstance(f, Leftover) else f.instance.created


def known(tracked: Sequence[Tracked]) -> dict[Key, tuple[Origin | None, str, datetime]]:
    """What the state keeps of each open finding's origin, and since when it is open."""
    return {(t.account, t.region, t.instance_id): (*origin_from_dict(dict(t.record)), t.first_seen) for t in tracked}


def attribute(
    run: Run,
    result: ScanResult,
    kept: Mapping[Key, tuple[Origin | None, str, datetime]],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ScanResult:
    """The scan's findings with their origins: kept ones as they were; new (or young, still unknown) ones asked.
    The audit log's 90 days count back from the cloud's now (`now`), whatever time the scan is dated."""
    cfg = run.cfg.detection.origin
    if not cfg.enabled:
        return result
    at = result.scanned_at
    said: dict[Key, tuple[Origin | None, str]] = {}
    ask: dict[str, list[Orphan | Leftover]] = defaultdict(list)
    findings: list[Orphan | Leftover] = [*result.orphans, *result.leftovers]
    for f in findings:
        origin, note, first = kept.get(finding_key(f), (None, "", at))
        if origin is not None or (note and at - first > AGAIN_FOR):
            said[finding_key(f)] = (origin, note)
        else:
            ask[f.account].append(f)
    session_of = Sessions(run)
    for account, found in sorted(ask.items()):
        made = [m for m in map(_made, found) if m is not None]
        try:
            cloud_now = now()
            start = min(made, default=cloud_now - audit.MAX_BACK)
            events = audit.since(session_of(account), cfg.region, start, cloud_now)
        except Exception as exc:  # a courtesy: said, never a failure of the scan
            log.warning("%s: could not read who left its %d new finding(s) (CloudAudit): %s", account, len(found), exc)
            said |= {finding_key(f): (None, f"the audit log could not be read: {exc}") for f in found}
            continue
        for f in found:
            origin = match(f, events)
            said[finding_key(f)] = (origin, "" if origin else NONE_FOUND)

    def told(f: Any) -> Any:
        origin, note = said[finding_key(f)]
        return replace(f, origin=origin, origin_note=note)

    return replace(result, orphans=tuple(map(told, result.orphans)), leftovers=tuple(map(told, result.leftovers)))
