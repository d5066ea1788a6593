"""clb 2018-03-17: DescribeLoadBalancers and DeleteLoadBalancer (what a cluster's Services and Ingresses made)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ApiError
from . import params as P
from .context import Answer, Ctx

FILTERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "charge-type": lambda lb: [lb["ChargeType"]],
    "internet-charge-type": lambda lb: [lb["NetworkAttributes"]["InternetChargeType"]],
    "master-zone-id": lambda lb: [str(lb["MasterZone"]["ZoneId"])] if lb["MasterZone"] else [],
    "vip-isp": lambda lb: [lb["VipIsp"] if lb["LoadBalancerType"] == "OPEN" else "INTERNAL"],
    "sla-type": lambda lb: [lb["SlaType"]],
}
# The request's own search fields the emulator answers (others of the API are refused as unknown parameters).
FIELDS = {"LoadBalancerType": "LoadBalancerType", "LoadBalancerName": "LoadBalancerName", "VpcId": "VpcId"}


def _known(name: str) -> bool:
    return name in FILTERS or name == "tag-key" or name.startswith("tag:")


def _match(lb: dict[str, Any], f: P.Filter) -> bool:
    if f.name == "tag-key":
        return any(t["TagKey"] in f.values for t in lb["Tags"])
    if f.name.startswith("tag:"):
        return any(t["TagKey"] == f.name[4:] and t["TagValue"] in f.values for t in lb["Tags"])
    return any(v in f.values for v in FILTERS[f.name](lb))


def _lb_ids(params: dict[str, Any]) -> list[str] | None:
    ids = P.str_list(params, "LoadBalancerIds", max_items=20, over_code="InvalidParameterValue.Length")
    for lid in ids or []:
        if not lid.startswith("lb-"):
            raise ApiError("InvalidParameter.FormatError", f"The load balancer id `{lid}` is malformed.")
    return ids


def describe_load_balancers(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"LoadBalancerIds", "Filters", "Offset", "Limit", "ProjectId", *FIELDS})
    rs = ctx.region
    offset = P.opt_int(params, "Offset", 0, lo=0, over_code="InvalidParameterValue.Range")
    limit = P.opt_int(params, "Limit", 20, lo=1, hi=100, over_code="InvalidParameterValue.Range")
    ids = _lb_ids(params)
    flts = P.filters(
        params,
        known=_known,
        max_filters=10,
        max_values=100,
        unknown_code="InvalidParameter.InvalidFilter",
        too_many_code="LimitExceeded",
        too_many_values_code="LimitExceeded",
    )
    wanted_fields = {k: P.opt_str(params, k) for k in FIELDS}
    project = params.get("ProjectId")
    if project is not None and (isinstance(project, bool) or not isinstance(project, int)):
        raise ApiError("InvalidParameter", "The value type of parameter `ProjectId` is not valid: expected an integer.")
    with ctx.store.lock:
        lbs = list(rs.load_balancers.values())
        if ids is not None:
            lbs = [lb for lb in lbs if lb["LoadBalancerId"] in set(ids)]
        lbs = [
            lb
            for lb in lbs
            if all(_match(lb, f) for f in flts)
            and all(v is None or lb[k] == v for k, v in wanted_fields.items())
            and (project is None or lb["ProjectId"] == project)
        ]
        return {"TotalCount": len(lbs), "LoadBalancerSet": list(P.page(lbs, offset, limit))}


def delete_load_balancer(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """All or nothing, at most 20: an unknown id fails the batch (InvalidParameter.LBIdNotFound), and so does a
    load balancer under deletion protection (OperationDenied). The real call is asynchronous (DescribeTaskStatus
    with the RequestId); here the deletion is done when the answer comes."""
    P.only(params, {"LoadBalancerIds", "ForceDelete"})
    rs = ctx.region
    ids = _lb_ids(params)
    if not ids:
        raise ApiError("MissingParameter", "The request is missing a required parameter `LoadBalancerIds`.")
    force = params.get("ForceDelete", False)
    if not isinstance(force, bool):
        raise ApiError("InvalidParameter", "The value type of parameter `ForceDelete` is not valid: expected a bool.")
    with ctx.store.lock:
        for lid in ids:
            lb = rs.load_balancers.get(lid)
            if lb is None:
                raise ApiError("InvalidParameter.LBIdNotFound", f"The load balancer `{lid}` does not exist.")
            if "DeleteProtect" in lb["AttributeFlags"]:
                raise ApiError("OperationDenied", f"The load balancer `{lid}` has deletion protection on.")
        for lid in ids:
            rs.load_balancers.pop(lid, None)
    return {}
