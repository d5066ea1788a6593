"""tag 2018-08-13 GetResources: the account's tagged resources across products, by tag, in pages of a token.

Resources carry six-segment names, `qcs::<service>:<region>:uin/<uin>:<prefix>/<id>`: CVM instances
`cvm ... instance/ins-`, CBS disks `cvm ... volume/disk-`, EIPs `cvm ... eip/eip-`, CLBs `clb ... clb/lb-`, CFS file
systems `cfs ... filesystem/cfs-`, security groups `cvm ... sg/sg-`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from ..errors import ApiError
from ..store import Store
from . import params as P
from .context import Answer, Ctx

MAX_FILTERS = 6
MAX_VALUES = 10
MAX_RESULTS = 200
MAX_RESOURCE_LIST = 10


Named = tuple[str, str, str, str]  # service, the region's part of the name, prefix, id


def _resources(store: Store, uin: str) -> Iterator[tuple[Named, list[dict[str, str]]]]:
    """(the parts of a six-segment name, tags as Key/Value) of every resource, regions in the world's order. Names
    are made only for what a filter keeps: an XL world has 100,000 instances to pass over for each page."""
    for rname, rs in store.regions.items():
        head = f":{rname}:uin/{uin}:"
        for d in rs.instances:
            yield ("cvm", head, "instance", d["InstanceId"]), d["Tags"]
        for d in rs.disks.values():
            yield ("cvm", head, "volume", d["DiskId"]), d["Tags"]
        for lb in rs.load_balancers.values():
            yield ("clb", head, "clb", lb["LoadBalancerId"]), _key_value(lb["Tags"])
        for a in rs.addresses.values():
            yield ("cvm", head, "eip", a["AddressId"]), a["TagSet"]
        for fs in rs.file_systems.values():
            yield ("cfs", head, "filesystem", fs["FileSystemId"]), _key_value(fs["Tags"])
        for g in rs.security_groups.values():
            yield ("cvm", head, "sg", g["SecurityGroupId"]), g["TagSet"]


def _key_value(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """TagKey/TagValue pairs (load balancers, file systems) as Key/Value."""
    return [{"Key": t["TagKey"], "Value": t["TagValue"]} for t in tags]


def _tag_filters(params: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    raw = params.get("TagFilters")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError("InvalidParameterValue.TagFilters", "`TagFilters` must be a list of {TagKey, TagValue}.")
    if len(raw) > MAX_FILTERS:
        raise ApiError("InvalidParameterValue.TagFilters", f"At most {MAX_FILTERS} tag filters, got {len(raw)}.")
    out = []
    for f in raw:
        if not isinstance(f, dict) or set(f) - {"TagKey", "TagValue"}:
            raise ApiError("InvalidParameterValue.TagFilters", "Each tag filter is {TagKey, TagValue}.")
        key, values = f.get("TagKey"), f.get("TagValue") or []
        if not isinstance(key, str) or not key:
            raise ApiError("InvalidParameterValue.TagKeyEmpty", "A tag filter needs its `TagKey`.")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ApiError("InvalidParameterValue.TagFilters", f"`TagValue` of `{key}` must be strings.")
        if len(values) > MAX_VALUES:
            raise ApiError(
                "InvalidParameterValue.TagFiltersLengthExceeded",
                f"Tag filter `{key}` may hold at most {MAX_VALUES} values, got {len(values)}.",
            )
        out.append((key, tuple(values)))
    return out


MAX_WALKS = 16  # listings remembered for their next pages


def _offset(token: str | None) -> tuple[int, int | None]:
    """The opaque token is the next offset and the walk it belongs to, base64-encoded; anything else is refused
    as the cloud refuses it."""
    if not token:
        return 0, None
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    parts = text[2:].split(":") if text.startswith("o:") else []
    if not 1 <= len(parts) <= 2 or not all(p.isdigit() for p in parts):
        raise ApiError("InvalidParameter.PaginationTokenInvalid", "The `PaginationToken` is not valid.")
    return int(parts[0]), int(parts[1]) if len(parts) == 2 else None


def _token(offset: int, walk: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}:{walk}".encode("ascii")).decode("ascii")


def get_resources(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Tag filters are ANDed (every group must match), values of one group ORed; a group without values matches
    any value of its key. `ResourceList` answers those resources only, and then `MaxResults` does not apply."""
    P.only(params, {"ResourceList", "TagFilters", "PaginationToken", "MaxResults"})
    names = P.str_list(
        params, "ResourceList", max_items=MAX_RESOURCE_LIST, over_code="LimitExceeded.ResourceNumPerRequest"
    )
    groups = _tag_filters(params)
    limit = P.opt_int(params, "MaxResults", 50, lo=1, hi=MAX_RESULTS, over_code="InvalidParameter")
    offset, walk = _offset(P.opt_str(params, "PaginationToken"))
    wanted = set(names) if names else None
    walks = ctx.store.tag_walks
    with ctx.store.lock:
        # A walk's later pages come from what its first page found, as a cursor does: the real service does not
        # pass over every resource again for each page (an XL world holds 100,000 instances).
        if wanted is None and walk in walks:
            found = walks[walk]
            return _page(found, offset, limit, walk)
        found = []
        first = groups[0][0] if groups else None  # a cheap look before the whole match
        for (service, head, prefix, rid), tag_list in _resources(ctx.store, ctx.caller_uin or ""):
            if not tag_list or (first is not None and all(t["Key"] != first for t in tag_list)):
                continue
            name = f"qcs::{service}{head}{prefix}/{rid}"
            if wanted is not None and name not in wanted:
                continue
            have: dict[str, str] = {t["Key"]: t["Value"] for t in tag_list}
            if all(k in have and (not vs or have[k] in vs) for k, vs in groups):
                found.append({"Resource": name, "Tags": [{"TagKey": k, "TagValue": v} for k, v in have.items()]})
        if wanted is not None:
            return {"PaginationToken": "", "ResourceTagMappingList": found}
        walk = ctx.store.next_walk = ctx.store.next_walk + 1
        walks[walk] = found
        while len(walks) > MAX_WALKS:
            del walks[next(iter(walks))]
        return _page(found, offset, limit, walk)


def _page(found: list[dict[str, Any]], offset: int, limit: int, walk: int) -> Answer:
    more = offset + limit < len(found)
    return {"PaginationToken": _token(offset + limit, walk) if more else "",
            "ResourceTagMappingList": found[offset : offset + limit]}  # fmt: skip
