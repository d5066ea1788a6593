"""vpc 2017-03-12 security groups: DescribeSecurityGroups, DescribeSecurityGroupAssociationStatistics,
DescribeSecurityGroupReferences, DescribeSecurityGroupLimits and DeleteSecurityGroup (TKE makes
`tke-worker-security-for-<clusterId>` and `tke-master-security-for-<clusterId>`).

Parameters follow the SDK's models (DescribeSecurityGroups' Offset and Limit are strings), error codes its
errorcodes.py. The docstrings give no batch size for the statistics and references calls: the emulator takes 100,
DescribeSecurityGroups' own, and refuses more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ApiError
from ..store import RegionStore
from . import params as P
from .context import Answer, Ctx
from .vpc import filters

FILTERS: dict[str, Callable[[dict[str, Any], P.Filter], bool]] = {
    "security-group-id": lambda g, f: g["SecurityGroupId"] in f.values,
    # Fuzzy, as the console's search: the docstring does not say, and a caller must check the name itself anyway.
    "security-group-name": lambda g, f: any(v in g["SecurityGroupName"] for v in f.values),
    "project-id": lambda g, f: g["ProjectId"] in f.values,
}
MAX_IDS = 100
ORDER_FIELDS = ("CreatedTime", "UpdateTime")
# DescribeSecurityGroupLimits' other quotas: the emulator's fixed figures (only SecurityGroupLimit is a world's).
LIMITS = {
    "SecurityGroupPolicyLimit": 100,
    "ReferedSecurityGroupLimit": 10,
    "SecurityGroupInstanceLimit": 2000,
    "InstanceSecurityGroupLimit": 5,
    "SecurityGroupExtendedPolicyLimit": 2000,
    "SecurityGroupReferedCvmAndEniLimit": 2000,
    "SecurityGroupReferedSvcLimit": 2000,
}


def _known(name: str) -> bool:
    return name in FILTERS or name == "tag-key" or name.startswith("tag:")  # no tag-value, as documented


def _match(g: dict[str, Any], f: P.Filter) -> bool:
    tagged = P.tag_match(g["TagSet"], f)
    return tagged if tagged is not None else FILTERS[f.name](g, f)


def _ids(params: dict[str, Any], *, required: bool) -> list[str] | None:
    ids = P.str_list(params, "SecurityGroupIds", max_items=MAX_IDS, over_code="InvalidParameterValue.LimitExceeded")
    if required and not ids:
        raise ApiError("MissingParameter", "The request is missing a required parameter `SecurityGroupIds`.")
    for sid in ids or []:
        _well_formed(sid)
    return ids


def _well_formed(sid: str) -> None:
    if not sid.startswith("sg-") or not sid[3:].isalnum():
        raise ApiError("InvalidSecurityGroupID.Malformed", f"The security group id `{sid}` is malformed.")


def _known_ids(rs: RegionStore, ids: list[str]) -> None:
    for sid in ids:
        if sid not in rs.security_groups:
            raise ApiError("InvalidSecurityGroupID.NotFound", f"The security group `{sid}` does not exist.")


def _str_int(params: dict[str, Any], name: str, default: int, *, lo: int, hi: int | None = None) -> int:
    """Offset and Limit, which this API takes as strings of digits."""
    value = params.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected a string.")
    if not value.isdigit():
        raise ApiError("InvalidParameterValue", f"The value of parameter `{name}` is not a number: {value!r}.")
    number = int(value)
    if number < lo or (hi is not None and number > hi):
        raise ApiError("InvalidParameterValue.Range", f"`{name}` is {lo} to {hi or 'any'}, got {number}.")
    return number


def describe_security_groups(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"SecurityGroupIds", "Filters", "Offset", "Limit", "OrderField", "OrderDirection"})
    rs = ctx.region
    offset = _str_int(params, "Offset", 0, lo=0)
    limit = _str_int(params, "Limit", 20, lo=1, hi=100)
    ids = _ids(params, required=False)
    flts = filters(params, _known)
    if ids is not None and flts:
        raise ApiError("InvalidParameter", "`SecurityGroupIds` and `Filters` cannot be specified at the same time.")
    order_field = P.opt_str(params, "OrderField")
    direction = P.opt_str(params, "OrderDirection") or "ASC"
    if order_field not in (None, *ORDER_FIELDS) or direction not in ("ASC", "DESC"):
        raise ApiError("InvalidParameterValue", "`OrderField` is CreatedTime or UpdateTime, `OrderDirection` ASC/DESC.")
    with ctx.store.lock:
        groups = list(rs.security_groups.values())
        if ids is not None:
            groups = [g for g in groups if g["SecurityGroupId"] in set(ids)]
        groups = [g for g in groups if all(_match(g, f) for f in flts)]
        if order_field:  # stable: equal times keep the world file's order
            groups.sort(key=lambda g: g[order_field], reverse=direction == "DESC")
        return {"SecurityGroupSet": list(P.page(groups, offset, limit)), "TotalCount": len(groups)}


def _statistics(rs: RegionStore, sid: str) -> dict[str, Any]:
    counts = rs.sg_associations[sid]
    return {
        "SecurityGroupId": sid,
        **{kind: counts.get(kind, 0) for kind in ("CVM", "CDB", "ENI", "CLB")},
        "SG": len(rs.sg_referenced_by[sid]),
        "InstanceStatistics": [{"InstanceType": k, "InstanceCount": n} for k, n in counts.items()],
        "TotalCount": sum(counts.values()),  # every instance type, not the references (as documented)
    }


def describe_security_group_association_statistics(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """All or nothing: an unknown group fails the call (InvalidSecurityGroupID.NotFound)."""
    P.only(params, {"SecurityGroupIds"})
    rs = ctx.region
    ids = _ids(params, required=True) or []
    with ctx.store.lock:
        _known_ids(rs, ids)
        return {"SecurityGroupAssociationStatisticsSet": [_statistics(rs, sid) for sid in dict.fromkeys(ids)]}


def describe_security_group_references(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"SecurityGroupIds"})
    rs = ctx.region
    ids = _ids(params, required=True) or []
    with ctx.store.lock:
        _known_ids(rs, ids)
        return {
            "ReferredSecurityGroupSet": [
                {"SecurityGroupId": sid, "ReferredSecurityGroupIds": list(rs.sg_referenced_by[sid])}
                for sid in dict.fromkeys(ids)
            ]
        }


def describe_security_group_limits(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, set())
    rs = ctx.region
    return {"SecurityGroupLimitSet": {"SecurityGroupLimit": rs.security_group_limit, **LIMITS}}


def delete_security_group(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Refuses a default group (UnsupportedOperation), one another group's rules name (ResourceInUse: change those
    rules first, as the docstring says) and one still bound to anything (ResourceInUse). Its own rules go with it:
    the groups it named are no longer referenced by it."""
    P.only(params, {"SecurityGroupId"})
    rs = ctx.region
    sid = P.required_str(params, "SecurityGroupId")
    _well_formed(sid)
    with ctx.store.lock:
        _known_ids(rs, [sid])
        if rs.security_groups[sid]["IsDefault"]:
            raise ApiError("UnsupportedOperation", f"`{sid}` is a default security group: it cannot be deleted.")
        if rs.sg_referenced_by[sid]:
            by = ", ".join(rs.sg_referenced_by[sid])
            raise ApiError("ResourceInUse", f"`{sid}` is referenced by the rules of {by}.")
        bound = {k: n for k, n in rs.sg_associations[sid].items() if n}
        if bound:
            raise ApiError("ResourceInUse", f"`{sid}` is still associated with instances: {bound}.")
        del rs.security_groups[sid], rs.sg_associations[sid], rs.sg_referenced_by[sid]
        for refs in rs.sg_referenced_by.values():
            if sid in refs:
                refs.remove(sid)
    return {}
