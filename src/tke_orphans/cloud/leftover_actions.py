"""The calls cleanup makes on a deleted cluster's disks, load balancers and addresses: a fresh look by id, the
mark (a tag), and returning them. Each returns what the cloud answered.

Batches follow the API reference: TagResources at most 10 resources, TerminateDisks 100, DeleteLoadBalancer 20.
ReleaseAddresses documents no limit: 20, the smallest of its siblings. Every batch is all or nothing in the cloud
(one disk attached, one protected load balancer, one bound address fails it whole), so a failure is every member's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import CloudResource, LeftoverKind
from .actions import NO_JOURNAL, Journal, Outcome, _mutate, mark
from .inventory import _convert, chunks
from .leftovers import _BY_ID, _TO_RECORD, _answer
from .session import Session

# The six-segment resource name's product and prefix, per kind: qcs::<service>:<region>:uin/<uin>:<prefix>/<id>.
RESOURCE_NAME: dict[LeftoverKind, tuple[str, str]] = {
    LeftoverKind.CBS_DISK: ("cvm", "volume"),
    LeftoverKind.CLB: ("clb", "clb"),
    LeftoverKind.EIP: ("cvm", "eip"),
}
# (service, action, id parameter, ids a call) of the call that returns each kind.
_RETURN: dict[LeftoverKind, tuple[str, str, str, int]] = {
    LeftoverKind.CBS_DISK: ("cbs", "TerminateDisks", "DiskIds", 100),
    LeftoverKind.CLB: ("clb", "DeleteLoadBalancer", "LoadBalancerIds", 20),
    LeftoverKind.EIP: ("vpc", "ReleaseAddresses", "AddressIds", 20),
}
RECYCLED = "returned: prepaid, moved to the recycle bin"
# cbs Disk.ReturnFailCode: why a prepaid disk cannot be returned.
_RETURN_FAIL = {1: "already returned", 2: "expired", 3: "not returnable", 8: "over the limit of returns",
                10: "not an elastic prepaid disk"}  # fmt: skip


@dataclass(frozen=True)
class Fresh:
    """A resource as its product's API shows it right now, with what only cleanup asks about."""

    resource: CloudResource
    protected: bool = False  # a load balancer with deletion protection (AttributeFlags: DeleteProtect)
    portable: bool = True  # a disk that can be returned on its own (an elastic one)
    charge_type: str = ""  # a disk's DiskChargeType: a prepaid one goes to the recycle bin first
    # A prepaid disk the cloud will not take back (IsReturnable false): why, as its ReturnFailCode says.
    not_returnable: str = ""


def _refused(d: dict[str, Any]) -> str:
    """Why the cloud will not take back a prepaid disk (IsReturnable false), in words; "" when it will."""
    if d.get("DiskChargeType") != "PREPAID" or d.get("IsReturnable") is not False:
        return ""
    code = d.get("ReturnFailCode")
    return _RETURN_FAIL.get(code, f"ReturnFailCode {code}") if isinstance(code, int) else "no ReturnFailCode given"


def _fresh(kind: LeftoverKind, d: dict[str, Any]) -> Fresh:
    # The scan's own conversion, so that the re-check reads state and tags exactly as detection does.
    r = _TO_RECORD[kind](d)
    if kind is LeftoverKind.CLB:
        return Fresh(r, protected="DeleteProtect" in (d.get("AttributeFlags") or []))
    if kind is LeftoverKind.CBS_DISK:
        charge = str(d.get("DiskChargeType") or "")
        return Fresh(r, portable=d.get("Portable") is not False, charge_type=charge, not_returnable=_refused(d))
    return Fresh(r)


def describe(session: Session, region: str, kind: LeftoverKind, ids: list[str]) -> dict[str, Fresh]:
    """These resources by id, through their own product's listing; one missing from a whole answer is gone. Raises
    CloudError, also for an answer short of its TotalCount (IncompleteListing): a resource must never look gone."""
    service, action, id_param, key, per_call = _BY_ID[kind]
    api = f"{service}.{action}"
    out: dict[str, Fresh] = {}
    for chunk in chunks(sorted(set(ids)), per_call):
        resp = session.call(service, action, region, {id_param: chunk, "Limit": 100})
        for f in _convert(api, _answer(api, resp, key, len(chunk)), lambda d: _fresh(kind, d)):
            if f.resource.resource_id in chunk:
                out[f.resource.resource_id] = f
    return out


def mark_resources(session: Session, region: str, uin: str, kind: LeftoverKind, ids: list[str], value: str,
                   journal: Journal = NO_JOURNAL) -> list[Outcome]:  # fmt: skip
    return mark(session, region, uin, ids, value, RESOURCE_NAME[kind], journal)


def _done(kind: LeftoverKind, charge_type: str, resp: dict[str, Any]) -> str:
    if kind is LeftoverKind.CBS_DISK:
        return RECYCLED if charge_type == "PREPAID" else "returned: destroyed"
    if kind is LeftoverKind.CLB:  # asynchronous: DescribeTaskStatus with the request id says when it is done
        return "deletion started (clb.DescribeTaskStatus with the request id follows it)"
    task = resp.get("TaskId")
    return f"released (task {task})" if task else "released"


def give_back(session: Session, region: str, kind: LeftoverKind, charge_types: dict[str, str],
              journal: Journal = NO_JOURNAL) -> list[Outcome]:  # fmt: skip
    """Return these resources (id -> a disk's charge type, or ""): TerminateDisks, DeleteLoadBalancer (never
    forced: the cloud's own refusals stand) or ReleaseAddresses. Mutating: never retried after a 5xx or time-out."""
    service, action, id_param, per_call = _RETURN[kind]
    out: list[Outcome] = []
    for chunk in chunks(list(charge_types), per_call):

        def read(resp: dict[str, Any], chunk: list[str] = chunk) -> list[Outcome]:
            rid = str(resp.get("RequestId", ""))
            return [Outcome(i, True, _done(kind, charge_types[i], resp), rid) for i in chunk]

        out += _mutate(session, journal, f"{service}.{action}", region, {id_param: chunk}, chunk, read)
    return out
