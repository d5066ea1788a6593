"""cvm 2017-03-12: DescribeInstances and the legacy DescribeRegions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..errors import ApiError
from . import params as P
from .context import Answer, Ctx, Raw
from .region import region_set

FILTERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "zone": lambda d: [d["Placement"]["Zone"]],
    "project-id": lambda d: [str(d["Placement"]["ProjectId"])],
    "vpc-id": lambda d: [d["VirtualPrivateCloud"]["VpcId"]],
    "subnet-id": lambda d: [d["VirtualPrivateCloud"]["SubnetId"]],
    "instance-id": lambda d: [d["InstanceId"]],
    "instance-state": lambda d: [d["InstanceState"]],
    "instance-charge-type": lambda d: [d["InstanceChargeType"]],
    "instance-type": lambda d: [d["InstanceType"]],
    "private-ip-address": lambda d: d["PrivateIpAddresses"] or [],
    "public-ip-address": lambda d: d["PublicIpAddresses"] or [],
}


def known_filter(name: str) -> bool:
    return name in FILTERS or name in ("instance-name", "tag-key", "tag-value") or name.startswith("tag:")


def matches(d: dict[str, Any], flt: P.Filter) -> bool:
    """AND between filters is the caller's loop; OR within one filter's values is here."""
    if flt.name == "instance-name":  # a fuzzy match, as the console's name search
        return any(v in d["InstanceName"] for v in flt.values)
    tagged = P.tag_match(d["Tags"], flt)
    if tagged is not None:
        return tagged
    return any(v in flt.values for v in FILTERS[flt.name](d))


def cvm_filters(params: dict[str, Any]) -> list[P.Filter]:
    return P.filters(
        params,
        known=known_filter,
        max_filters=10,
        max_values=5,
        unknown_code="InvalidFilter",
        too_many_code="InvalidParameterValue.LimitExceeded",
        too_many_values_code="InvalidFilterValue.LimitExceeded",
    )


def describe_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"InstanceIds", "Filters", "Offset", "Limit"})
    rs = ctx.region
    offset = P.opt_int(params, "Offset", 0, lo=0, over_code="InvalidParameterValue")
    limit = P.opt_int(params, "Limit", 20, lo=1, hi=100, over_code="InvalidParameterValue.LimitExceeded")
    ids = P.str_list(params, "InstanceIds", max_items=100, over_code="InvalidParameterValue.LimitExceeded")
    flts = cvm_filters(params)
    if ids is not None and flts:
        raise ApiError("InvalidParameter", "`InstanceIds` and `Filters` cannot be specified at the same time.")
    for iid in ids or []:
        if not iid.startswith("ins-"):
            raise ApiError("InvalidInstanceId.Malformed", f"The instance id `{iid}` is malformed.")
    with ctx.store.lock:
        if ids is not None:
            wanted = set(ids)
            selected = [d for d in rs.instances if d["InstanceId"] in wanted]
        elif flts:
            selected = [d for d in rs.instances if all(matches(d, f) for f in flts)]
        else:
            selected = rs.instances
        items = [rs.encode(d["InstanceId"]) for d in P.page(selected, offset, limit)]
        return {"TotalCount": len(selected), "InstanceSet": Raw(items)}


def describe_regions(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, set())
    regions = region_set(ctx.store, legacy=True)
    return {"TotalCount": len(regions), "RegionSet": regions}


def _refund(d: dict[str, Any], now: datetime) -> float:
    """The emulator's refund rule (the real one follows the refund rules and discounts): a prepaid instance gets
    back its remaining days at 1 CNY per vCPU and 0.5 per GB of memory a day; others get nothing back."""
    expired = d["ExpiredTime"]
    if d["InstanceChargeType"] != "PREPAID" or not expired:
        return 0.0
    left = datetime.fromisoformat(expired.replace("Z", "+00:00")) - now
    days = max(0.0, left.total_seconds() / 86400)
    return round(days * (float(d["CPU"]) + float(d["Memory"]) * 0.5), 2)


def _in_recycle_bin(d: dict[str, Any]) -> bool:
    return bool(d["InstanceState"] == "SHUTDOWN" and d["IsolatedSource"] != "NOTISOLATED")


def instance_of(ctx: Ctx, iid: str) -> dict[str, Any]:
    """One instance a request names, or the cloud's error for a malformed or unknown id."""
    if not iid.startswith("ins-"):
        raise ApiError("InvalidInstanceId.Malformed", f"The instance id `{iid}` is malformed.")
    d = ctx.region.by_id.get(iid)
    if d is None:
        raise ApiError("InvalidInstanceId.NotFound", f"The instance `{iid}` does not exist.")
    return d


def _returnable(ctx: Ctx, ids: list[str]) -> list[dict[str, Any]]:
    """The instances of a TerminateInstances (or its price inquiry), checked as the cloud checks a batch."""
    found: list[dict[str, Any]] = []
    for iid in ids:
        d = instance_of(ctx, iid)
        if d["DisableApiTermination"]:
            raise ApiError(
                "UnsupportedOperation.InstancesProtected", f"The instance `{iid}` has termination protection on."
            )
        if d["InstanceState"] in ("PENDING", "SHUTDOWN", "TERMINATING") and not _in_recycle_bin(d):
            raise ApiError(
                "OperationDenied.InstanceOperationInProgress",
                f"The instance `{iid}` is {d['InstanceState']}: it cannot be returned now.",
            )
        found.append(d)
    if len({d["InstanceChargeType"] for d in found}) > 1:
        raise ApiError(
            "UnsupportedOperation.InstanceMixedPricingModel",
            "All instances of one request must have the same charge type.",
        )
    return found


def _ids(params: dict[str, Any]) -> list[str]:
    ids = P.str_list(params, "InstanceIds", max_items=100, over_code="InvalidParameterValue.LimitExceeded")
    if not ids:
        raise ApiError("MissingParameter", "The request is missing a required parameter `InstanceIds`.")
    return ids


def terminate_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Postpaid instances are destroyed at once; a prepaid one goes to the recycle bin (SHUTDOWN, isolated,
    still listed) on the first call and is destroyed by a second. All or nothing: one refused instance fails the
    batch, and so do mixed charge types."""
    P.only(params, {"InstanceIds", "ReleaseAddress", "ReleasePrepaidDataDisks"})
    for flag in ("ReleaseAddress", "ReleasePrepaidDataDisks"):
        if flag in params and not isinstance(params[flag], bool):
            raise ApiError("InvalidParameter", f"`{flag}` must be a boolean.")
    rs = ctx.region
    ids = _ids(params)
    with ctx.store.lock:
        for d in _returnable(ctx, ids):
            iid = d["InstanceId"]
            if d["InstanceChargeType"] == "PREPAID" and not _in_recycle_bin(d):
                ctx.store.set_instance(
                    rs.name,
                    iid,
                    InstanceState="SHUTDOWN",
                    LatestOperation="TerminateInstances",
                    LatestOperationState="SUCCESS",
                    IsolatedSource="MANMADE",
                )
                ctx.store.remove_node(rs.name, iid)
            else:
                ctx.store.remove_instance(rs.name, iid)
    return {}


def inquiry_price_terminate_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"InstanceIds"})
    ids = _ids(params)
    with ctx.store.lock:
        found = _returnable(ctx, ids)
        now = ctx.store.world.now
        refunds = [{"InstanceId": d["InstanceId"], "Refunds": _refund(d, now), "PriceDetail": ""} for d in found]
    return {"InstanceRefundsSet": refunds}


# The attributes ModifyInstancesAttribute changes here; the request must name exactly one of them.
_ATTRIBUTES: dict[str, type] = {"InstanceName": str, "DisableApiTermination": bool}


def modify_instances_attribute(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"InstanceIds", *_ATTRIBUTES})
    rs = ctx.region
    ids = _ids(params)
    given = [k for k in _ATTRIBUTES if k in params]
    if len(given) != 1:
        raise ApiError("InvalidParameter", "Exactly one attribute must be modified in one request.")
    name = given[0]
    value = params[name]
    if not isinstance(value, _ATTRIBUTES[name]):
        raise ApiError("InvalidParameterValue", f"`{name}` has the wrong type.")
    if isinstance(value, str) and not 1 <= len(value) <= 60:
        raise ApiError("InvalidParameterValue", "`InstanceName` must be 1 to 60 characters.")
    with ctx.store.lock:
        for iid in ids:
            if iid not in rs.by_id:
                raise ApiError("InvalidInstanceId.NotFound", f"The instance `{iid}` does not exist.")
        for iid in ids:
            ctx.store.set_instance(rs.name, iid, **{name: value}, LatestOperation="ModifyInstancesAttribute",
                                   LatestOperationState="SUCCESS")  # fmt: skip
    return {}
