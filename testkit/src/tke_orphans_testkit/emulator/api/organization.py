"""organization 2021-03-31: DescribeOrganizationMembers, the members of the caller's organization.

Only the management account lists them (a member is refused `UnauthorizedOperation`, an account in no organization
`ResourceNotFound.OrganizationNotExist`: the emulator's reading of the error list). The management account itself
is not among the items (unconfirmed for the real API: a client must not depend on either).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..store import tags
from ..world import Member
from . import params as P
from .context import Answer, Ctx

MAX_LIMIT = 50
_PARAMS = {"Offset", "Limit", "Lang", "SearchKey", "AuthName", "Product", "Tags", "NodeId", "NodeName"}


def _paging(params: dict[str, Any]) -> tuple[int, int]:
    """Offset and Limit: both required, Limit 1-50, Offset a multiple of Limit (the API's own rules)."""
    for name in ("Offset", "Limit"):
        if params.get(name) is None:
            raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    offset, limit = params["Offset"], params["Limit"]
    for name, value in (("Offset", offset), ("Limit", limit)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: an integer.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError("InvalidParameter", f"`Limit` must be 1 to {MAX_LIMIT}, got {limit}.")
    if offset < 0 or offset % limit:
        raise ApiError("InvalidParameter", f"`Offset` must be a multiple of `Limit` ({limit}), got {offset}.")
    return offset, limit


def _matches(member: Member, params: dict[str, Any]) -> bool:
    key = P.opt_str(params, "SearchKey")
    if key and key not in member.name and key not in member.uin:
        return False
    node_id = params.get("NodeId")
    if node_id is not None and node_id != member.node_id:
        return False
    node_name = P.opt_str(params, "NodeName")
    if node_name and node_name != member.node_name:
        return False
    wanted = params.get("Tags") or []
    if not isinstance(wanted, list) or not all(isinstance(t, dict) for t in wanted):
        raise ApiError("InvalidParameter", "`Tags` must be a list of {TagKey, TagValue}.")
    have = {(t.Key, t.Value) for t in member.tags}
    return all((t.get("TagKey"), t.get("TagValue", "")) in have for t in wanted)


def org_member(member: Member, created: str) -> dict[str, Any]:
    """The OrgMember item, shaped like the SDK's organization.v20210331.models.OrgMember."""
    return {
        "MemberUin": int(member.uin),
        "Name": member.name,
        "MemberType": member.member_type,
        "OrgPolicyType": "Financial",
        "OrgPolicyName": "财务管理",
        "OrgPermission": [{"Id": 1, "Name": "查看账单"}, {"Id": 2, "Name": "查看余额"}],
        "NodeId": member.node_id,
        "NodeName": member.node_name,
        "Remark": "",
        "CreateTime": created,
        "UpdateTime": created,
        "IsAllowQuit": "Denied" if member.member_type == "Create" else "Allow",
        "PayUin": "",
        "PayName": "",
        "OrgIdentity": [{"IdentityId": 1, "IdentityAliasName": "OrganizationAccessControlRole"}],
        "BindStatus": "Success",
        "PermissionStatus": "Confirmed",
        "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tags(member.tags)],
        "NickName": member.name,
    }


def describe_organization_members(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, _PARAMS)
    assert ctx.accounts is not None
    world = ctx.accounts.world
    org = world.spec.organization
    if org is None:
        raise ApiError("ResourceNotFound.OrganizationNotExist", "The account is in no organization.")
    if ctx.caller_uin != world.uin:
        raise ApiError("UnauthorizedOperation", "Only the organization's management account may list its members.")
    offset, limit = _paging(params)
    selected = [m for m in org.members if _matches(m, params)]
    items = [
        org_member(m, (m.create_time or world.now).strftime("%Y-%m-%d %H:%M:%S"))
        for m in P.page(selected, offset, limit)
    ]
    return {"Items": items, "Total": len(selected)}
