"""The calls cleanup makes: tag, price and terminate, add back to a cluster. Each returns what the cloud answered.

Batches follow the API reference: TerminateInstances takes at most 100 instances of one charge type, TagResources
at most 10 resources.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..facts import Fact, english, fact
from .errors import CloudError
from .inventory import chunks
from .session import Session

MARK_TAG = "tke-orphans:marked-at"
NO_REASON = fact("cleanup.no_reason")


@dataclass(frozen=True)
class Outcome:
    instance_id: str
    ok: bool
    detail: str
    request_id: str = ""
    fact: Fact | None = None  # `detail` as data, where it is more than the cloud's own words


def owner_uin(session: Session, configured: str | None, region: str) -> str:
    """The account's uin, which resource names need: configured, or asked of STS (which needs a region)."""
    if configured:
        return configured
    resp = session.call("sts", "GetCallerIdentity", region, {})
    uin = str(resp.get("AccountId") or "")
    if not uin.isdigit():
        raise CloudError("sts.GetCallerIdentity", "InvalidResponse", "no AccountId in the answer")
    return uin


def all_failed(ids: list[str], exc: CloudError) -> list[Outcome]:
    return [Outcome(i, False, f"{exc.code}: {exc.message}", exc.request_id) for i in ids]


def mark(session: Session, region: str, uin: str, ids: list[str], value: str,
         resource: tuple[str, str] = ("cvm", "instance")) -> list[Outcome]:  # fmt: skip
    """Tag each resource with the mark; `resource`: the (service, prefix) of its six-segment name."""
    service, prefix = resource
    out: list[Outcome] = []
    for chunk in chunks(ids, 10):
        names = {f"qcs::{service}:{region}:uin/{uin}:{prefix}/{i}": i for i in chunk}
        params = {"ResourceList": list(names), "Tags": [{"TagKey": MARK_TAG, "TagValue": value}]}
        try:
            resp = session.call("tag", "TagResources", region, params, mutating=True)
        except CloudError as exc:
            out += all_failed(chunk, exc)
            continue
        failed = {f["Resource"]: f for f in resp.get("FailedResources") or []}
        for name, iid in names.items():
            f = failed.get(name)
            out.append(Outcome(iid, f is None, f"{f['Code']}: {f['Message']}" if f else f"tagged {MARK_TAG}={value}",
                               str(resp.get("RequestId", ""))))  # fmt: skip
    return out


def refunds(session: Session, region: str, ids: list[str]) -> dict[str, float]:
    """What returning each (prepaid) instance would refund; raises CloudError. Callers pass one charge type."""
    out: dict[str, float] = {}
    for chunk in chunks(ids, 100):
        resp = session.call("cvm", "InquiryPriceTerminateInstances", region, {"InstanceIds": chunk})
        for r in resp.get("InstanceRefundsSet") or []:
            out[str(r.get("InstanceId"))] = float(r.get("Refunds") or 0)
    return out


def _terminate_batches(session: Session, region: str, ids: list[str], done: str) -> list[Outcome]:
    out: list[Outcome] = []
    for chunk in chunks(ids, 100):
        try:
            resp = session.call("cvm", "TerminateInstances", region, {"InstanceIds": chunk}, mutating=True)
        except CloudError as exc:
            out += all_failed(chunk, exc)
            continue
        out += [Outcome(i, True, done, str(resp.get("RequestId", ""))) for i in chunk]
    return out


RECYCLED = "moved to the recycle bin"
DESTROYED = "destroyed"


def terminate(session: Session, region: str, charge_types: dict[str, str]) -> list[Outcome]:
    """Return instances (id -> charge type), in batches of one charge type, as the API requires. A postpaid
    instance is destroyed; a prepaid one moves to the recycle bin (a second call would destroy it)."""
    by_type: dict[str, list[str]] = {}
    for iid, charge in charge_types.items():
        by_type.setdefault(charge, []).append(iid)
    out: list[Outcome] = []
    for charge, ids in sorted(by_type.items()):
        out += _terminate_batches(session, region, ids, RECYCLED if charge == "PREPAID" else DESTROYED)
    return out


def destroy_recycled(session: Session, region: str, ids: list[str]) -> list[Outcome]:
    """The second TerminateInstances of prepaid instances already in the recycle bin: they are destroyed."""
    return _terminate_batches(session, region, ids, DESTROYED)


def add_existed(
    session: Session, region: str, cluster_id: str, node_pool_id: str | None, ids: list[str]
) -> list[Outcome]:
    out: list[Outcome] = []
    for chunk in chunks(ids, 100):
        params: dict[str, object] = {"ClusterId": cluster_id, "InstanceIds": chunk}
        if node_pool_id:
            params["NodePool"] = {"AddToNodePool": True, "NodePoolId": node_pool_id}
        try:
            resp = session.call("tke", "AddExistedInstances", region, params, mutating=True, cluster_id=cluster_id)
        except CloudError as exc:
            out += all_failed(chunk, exc)
            continue
        reasons = dict(zip(resp.get("FailedInstanceIds") or [], resp.get("FailedReasons") or [], strict=False))
        succ = set(resp.get("SuccInstanceIds") or [])
        rid = str(resp.get("RequestId", ""))
        added = f"added to {cluster_id}" + (f"/{node_pool_id}" if node_pool_id else "")
        for i in chunk:
            if i in succ:
                out.append(Outcome(i, True, added, rid))
            elif i in reasons:  # the cloud's own words
                out.append(Outcome(i, False, reasons[i], rid))
            else:
                out.append(Outcome(i, False, english(NO_REASON), rid, NO_REASON))
    return out
