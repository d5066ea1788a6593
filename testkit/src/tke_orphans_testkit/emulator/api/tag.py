"""tag 2018-08-13 TagResources (instances, disks, addresses, load balancers, CFS file systems, security groups) and
sts 2018-08-13 GetCallerIdentity (the owner uin a resource name needs)."""

from __future__ import annotations

import re
from typing import Any

from ..errors import ApiError
from ..store import Store
from . import params as P
from .context import Answer, Ctx

_RESOURCE = re.compile(
    r"^qcs::(?P<service>cvm|clb|cfs):(?P<region>[a-z0-9-]+):uin/(?P<uin>\d+):(?P<prefix>[a-z]+)/(?P<id>[a-z]+-[0-9a-z]+)$"
)
# The kinds of six-segment names taggable here: (service, prefix) -> the id's own prefix. Security groups are named
# under cvm, as CAM describes them (`qcs::cvm:$region:$account:sg/$sgId`).
_KINDS = {("cvm", "instance"): "ins-", ("cvm", "volume"): "disk-", ("cvm", "eip"): "eip-", ("clb", "clb"): "lb-",
          ("cfs", "filesystem"): "cfs-", ("cvm", "sg"): "sg-"}  # fmt: skip
# Keys the platform keeps for itself.
_RESERVED = ("qcloud", "tencent", "project")
_TAG_KEY = re.compile(r"^[\w+\-=.:/@ ]{1,127}$")


def tag_resources(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"ResourceList", "Tags"})
    resources = P.str_list(params, "ResourceList", max_items=10, over_code="LimitExceeded.ResourceNumPerRequest")
    tags = params.get("Tags")
    if not resources:
        raise ApiError("MissingParameter", "The request is missing a required parameter `ResourceList`.")
    if isinstance(tags, list) and len(tags) > 10:
        raise ApiError("LimitExceeded.TagNumPerRequest", "At most 10 tags can be set in one request.")
    if not isinstance(tags, list) or not tags:
        raise ApiError("InvalidParameter.Tag", "`Tags` must hold 1 to 10 {TagKey, TagValue}.")
    pairs: list[tuple[str, str]] = []
    for t in tags:
        if not isinstance(t, dict) or not isinstance(t.get("TagKey"), str) or not isinstance(t.get("TagValue"), str):
            raise ApiError("InvalidParameter.Tag", "Each tag needs a string `TagKey` and `TagValue`.")
        if len(t["TagKey"]) > 127:
            raise ApiError("InvalidParameterValue.TagKeyLengthExceeded", "A tag key has at most 127 characters.")
        if len(t["TagValue"]) > 255:
            raise ApiError("InvalidParameterValue.TagValueLengthExceeded", "A tag value has at most 255 characters.")
        if not _TAG_KEY.match(t["TagKey"]):
            raise ApiError("InvalidParameterValue.TagKeyCharacterIllegal", f"Tag key `{t['TagKey']}` is not valid.")
        if t["TagKey"].lower().startswith(_RESERVED):
            raise ApiError("InvalidParameterValue.ReservedTagKey", f"Tag key `{t['TagKey']}` is reserved.")
        pairs.append((t["TagKey"], t["TagValue"]))
    uins = {c.uin for c in ctx.store.world.credentials.values()}
    failed = []
    with ctx.store.lock:
        for resource in resources:
            m = _RESOURCE.match(resource)
            if m is None or m.group("uin") not in uins or not _tag(ctx.store, m, pairs):
                failed.append({"Resource": resource, "Code": "ResourceNotFound", "Message": "resource not found"})
    return {"FailedResources": failed}


def _tag(store: Store, m: re.Match[str], pairs: list[tuple[str, str]]) -> bool:
    """Add (or overwrite) tags on the named resource, in its product's own tag shape; False if there is none."""
    rs = store.regions.get(m.group("region"))
    rid = m.group("id")
    if rs is None or _KINDS.get((m.group("service"), m.group("prefix"))) != rid.split("-", 1)[0] + "-":
        return False
    if rid in rs.by_id:
        current = {t["Key"]: t["Value"] for t in rs.by_id[rid]["Tags"]} | dict(pairs)
        store.set_instance(rs.name, rid, Tags=[{"Key": k, "Value": v} for k, v in current.items()])
        return True
    # Disks keep Key/Value in Tags, addresses and security groups in TagSet, load balancers and file systems
    # TagKey/TagValue in Tags.
    shapes = [(rs.disks, "Tags", "Key", "Value"), (rs.addresses, "TagSet", "Key", "Value"),
              (rs.load_balancers, "Tags", "TagKey", "TagValue"), (rs.file_systems, "Tags", "TagKey", "TagValue"),
              (rs.security_groups, "TagSet", "Key", "Value")]  # fmt: skip
    for table, field, key, value in shapes:
        if rid in table:
            merged = {t[key]: t[value] for t in table[rid][field]} | dict(pairs)
            table[rid][field] = [{key: k, value: v} for k, v in merged.items()]
            return True
    return False


def get_caller_identity(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Regional like most APIs: the server checks the request's region before this runs."""
    P.only(params, set())
    uin = ctx.caller_uin or ""
    return {
        "Arn": f"qcs::cam::uin/{uin}:uin/{uin}",
        "AccountId": uin,
        "UserId": uin,
        "PrincipalId": uin,
        "Type": "RootAccount",
    }
