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
