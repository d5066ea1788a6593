"""cvm 2017-03-12: DescribeInstances and the legacy DescribeRegions."""

from __future__ import annotations

from collections.abc import Callable
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


def terminate_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Return instances: postpaid ones go to the recycle bin, prepaid ones are isolated; both show as SHUTDOWN.

    All or nothing, as the cloud answers a batch with one error when any instance cannot be returned.
    """
    P.only(params, {"InstanceIds", "ReleaseAddress", "ReleasePrepaidDataDisks"})
    rs = ctx.region
    ids = P.str_list(params, "InstanceIds", max_items=100, over_code="InvalidParameterValue.LimitExceeded")
    if not ids:
        raise ApiError("MissingParameter", "The request is missing a required parameter `InstanceIds`.")
    with ctx.store.lock:
        for iid in ids:
            if not iid.startswith("ins-"):
                raise ApiError("InvalidInstanceId.Malformed", f"The instance id `{iid}` is malformed.")
            d = rs.by_id.get(iid)
            if d is None:
                raise ApiError("InvalidInstanceId.NotFound", f"The instance `{iid}` does not exist.")
            if d["DisableApiTermination"]:
                raise ApiError(
                    "UnsupportedOperation.InstancesProtected", f"The instance `{iid}` has termination protection on."
                )
            if d["InstanceState"] in ("PENDING", "SHUTDOWN", "TERMINATING"):
                raise ApiError(
                    "OperationDenied.InstanceOperationInProgress",
                    f"The instance `{iid}` is {d['InstanceState']}: it cannot be returned now.",
                )
        for iid in ids:
            prepaid = rs.by_id[iid]["InstanceChargeType"] == "PREPAID"
            ctx.store.set_instance(
                rs.name,
                iid,
                InstanceState="SHUTDOWN",
                LatestOperation="TerminateInstances",
                LatestOperationState="SUCCESS",
                IsolatedSource="MANMADE" if prepaid else "NOTISOLATED",
            )
            ctx.store.remove_node(rs.name, iid)
    return {}
