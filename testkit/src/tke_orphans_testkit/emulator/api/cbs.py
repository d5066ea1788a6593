"""cbs 2017-03-12: DescribeDisks and TerminateDisks (the disks a cluster's CSI driver made, and the user's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ApiError
from . import params as P
from .context import Answer, Ctx

FILTERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "disk-usage": lambda d: [d["DiskUsage"]],
    "disk-charge-type": lambda d: [d["DiskChargeType"]],
    "portable": lambda d: ["TRUE" if d["Portable"] else "FALSE"],
    "project-id": lambda d: [str(d["Placement"]["ProjectId"])],
    "disk-id": lambda d: [d["DiskId"]],
    "disk-name": lambda d: [d["DiskName"]],
    "disk-type": lambda d: [d["DiskType"]],
    "disk-state": lambda d: [d["DiskState"]],
    "instance-id": lambda d: d["InstanceIdList"],
    "zone": lambda d: [d["Placement"]["Zone"]],
}


# A prepaid disk the cloud will not take back (IsReturnable false): the error its ReturnFailCode stands for.
_NOT_RETURNABLE = {1: "ResourceUnavailable.RepeatRefund", 2: "ResourceUnavailable.Expire"}


def _known(name: str) -> bool:
    return name in FILTERS or name in ("tag-key", "tag-value") or name.startswith("tag:")


def _match(d: dict[str, Any], f: P.Filter) -> bool:
    tagged = P.tag_match(d["Tags"], f)
    return tagged if tagged is not None else any(v in f.values for v in FILTERS[f.name](d))


def _disk_ids(params: dict[str, Any]) -> list[str] | None:
    ids = P.str_list(params, "DiskIds", max_items=100, over_code="InvalidParameterValue.LimitExceeded")
    for did in ids or []:
        if not did.startswith("disk-"):
            raise ApiError("InvalidParameterValue", f"The disk id `{did}` is malformed.")
    return ids


def describe_disks(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"DiskIds", "Filters", "Offset", "Limit", "Order", "OrderField", "ReturnBindAutoSnapshotPolicy"})
    rs = ctx.region
    offset = P.opt_int(params, "Offset", 0, lo=0, over_code="InvalidParameterValue")
    limit = P.opt_int(params, "Limit", 20, lo=1, hi=100, over_code="InvalidParameterValue.LimitExceeded")
    ids = _disk_ids(params)
    flts = P.filters(
        params,
        known=_known,
        max_filters=10,
        max_values=100,
        unknown_code="InvalidFilter",
        too_many_code="InvalidParameterValue.LimitExceeded",
        too_many_values_code="InvalidParameterValue.LimitExceeded",
    )
    if ids is not None and flts:
        raise ApiError("InvalidParameter", "`DiskIds` and `Filters` cannot be specified at the same time.")
    order = P.opt_str(params, "Order") or "ASC"
    field = P.opt_str(params, "OrderField") or "CREATE_TIME"
    if order not in ("ASC", "DESC") or field not in ("CREATE_TIME", "DEADLINE"):
        raise ApiError("InvalidParameterValue", "`Order` is ASC or DESC, `OrderField` CREATE_TIME or DEADLINE.")
    with ctx.store.lock:
        disks = list(rs.disks.values())
        if ids is not None:
            wanted = set(ids)
            disks = [d for d in disks if d["DiskId"] in wanted]
        disks = [d for d in disks if all(_match(d, f) for f in flts)]
        key = "CreateTime" if field == "CREATE_TIME" else "DeadlineTime"
        # Stable: equal keys keep the world file's order, so offset paging sees every disk once.
        disks.sort(key=lambda d: d[key] or "", reverse=order == "DESC")
        return {"TotalCount": len(disks), "DiskSet": list(P.page(disks, offset, limit))}


def terminate_disks(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """All or nothing, at most 100 disks: an unknown disk fails the batch (InvalidDiskId.NotFound), and so does an
    attached one (ResourceUnavailable.Attached) or a non-elastic one (ResourceUnavailable.NotPortable). A postpaid
    disk is destroyed at once; a prepaid one goes to the recycle bin (TORECYCLE, still listed) on the first call and
    is destroyed by a second."""
    P.only(params, {"DiskIds", "DeleteSnapshot"})
    rs = ctx.region
    ids = _disk_ids(params)
    if not ids:
        raise ApiError("MissingParameter", "The request is missing a required parameter `DiskIds`.")
    snap = params.get("DeleteSnapshot", 0)
    if snap not in (0, 1) or isinstance(snap, bool):
        raise ApiError("InvalidParameterValue", "`DeleteSnapshot` is 0 or 1.")
    with ctx.store.lock:
        for did in ids:
            d = rs.disks.get(did)
            if d is None:
                raise ApiError("InvalidDiskId.NotFound", f"The disk `{did}` does not exist.")
            if not d["Portable"]:  # a non-elastic disk goes with its instance only
                raise ApiError("ResourceUnavailable.NotPortable", f"The disk `{did}` is not elastic (Portable false).")
            if d["Attached"]:
                raise ApiError("ResourceUnavailable.Attached", f"The disk `{did}` is attached to {d['InstanceId']}.")
            if d["DiskChargeType"] == "PREPAID" and d["DiskState"] != "TORECYCLE" and not d["IsReturnable"]:
                code = _NOT_RETURNABLE.get(d["ReturnFailCode"], "ResourceUnavailable.NotSupportRefund")
                raise ApiError(
                    code, f"The prepaid disk `{did}` cannot be returned (ReturnFailCode {d['ReturnFailCode']})."
                )
            if d["DiskState"] not in ("UNATTACHED", "TORECYCLE"):
                raise ApiError("ResourceBusy", f"The disk `{did}` is {d['DiskState']}: it cannot be returned now.")
        for did in dict.fromkeys(ids):
            d = rs.disks[did]
            if d["DiskChargeType"] == "PREPAID" and d["DiskState"] != "TORECYCLE":
                d["DiskState"] = "TORECYCLE"
            else:
                del rs.disks[did]
    return {}
