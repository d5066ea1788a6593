"""cfs 2019-07-19: DescribeCfsFileSystems, DescribeMountTargets, DeleteMountTarget and DeleteCfsFileSystem (the
file systems the CFS CSI driver makes for dynamic PVs, named `<clusterId>_<pvName>`, and the user's).

Parameters and error codes follow the SDK's models and errorcodes.py. DeleteMountTarget is in the API (the
DeleteCfsFileSystem docstring sends callers to it) but left the Python SDK's CfsClient at 3.0.14xx: call it with a
CommonClient. No price inquiry exists for CFS in the SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ApiError
from ..store import RegionStore
from . import params as P
from .context import Answer, Ctx

# DescribeCfsFileSystems' `Filters` (the docstring's list), each a file system's values for that name.
FILTERS: dict[str, Callable[[dict[str, Any], list[dict[str, Any]]], list[str]]] = {
    "Protocol": lambda fs, _: [fs["Protocol"]],
    "StorageType": lambda fs, _: [fs["StorageType"]],
    "LifeCycleState": lambda fs, _: [fs["LifeCycleState"]],
    "Zone": lambda fs, _: [fs["Zone"]],
    "IpAddress": lambda _, mts: [m["IpAddress"] for m in mts],
    "PGroupId": lambda fs, _: [fs["PGroup"]["PGroupId"]],
    "PGroupName": lambda fs, _: [fs["PGroup"]["Name"]],
}
# The docstring gives Limit's default (10) and no maximum: the emulator takes 100, the page size of every other
# listing here, and refuses more.
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MAX_TAGS = 6  # InvalidParameterValue.TagKeyFilterLimitExceeded: "标签键个数超过上限（6个）"


def _tags(params: dict[str, Any]) -> list[tuple[str, str]]:
    raw = params.get("Tags")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, dict) and not set(t) - {"TagKey", "TagValue"} for t in raw):
        raise ApiError("InvalidParameter", "`Tags` must be a list of {TagKey, TagValue}.")
    if len(raw) > MAX_TAGS:
        raise ApiError("InvalidParameterValue.TagKeyFilterLimitExceeded", f"At most {MAX_TAGS} tags, got {len(raw)}.")
    out = []
    for t in raw:
        key, value = t.get("TagKey"), t.get("TagValue", "")
        if not isinstance(key, str) or not key:
            raise ApiError("InvalidParameterValue.InvalidTagKey", "A tag needs its `TagKey`.")
        if not isinstance(value, str):
            raise ApiError("InvalidParameterValue.InvalidTagValue", f"The value of tag `{key}` must be a string.")
        out.append((key, value))
    return out


def _file_system(rs: RegionStore, fs_id: str) -> dict[str, Any]:
    fs = rs.file_systems.get(fs_id)
    if fs is None:
        raise ApiError("ResourceNotFound.FileSystemNotFound", f"The file system `{fs_id}` does not exist.")
    return fs


def describe_cfs_file_systems(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Every filter narrows (AND); VpcId and SubnetId match a file system with a mount target there. An unknown
    FileSystemId answers an empty list, as the cloud does (the CSI driver reads that as "already deleted")."""
    P.only(params, {"FileSystemId", "VpcId", "SubnetId", "Offset", "Limit", "CreationToken", "Filters", "Tags"})
    rs = ctx.region
    offset = P.opt_int(params, "Offset", 0, lo=0, over_code="InvalidParameterValue")
    limit = P.opt_int(params, "Limit", DEFAULT_LIMIT, lo=1, hi=MAX_LIMIT, over_code="InvalidParameterValue")
    fields = {k: P.opt_str(params, k) for k in ("FileSystemId", "VpcId", "SubnetId", "CreationToken")}
    flts = P.filters(
        params,
        known=FILTERS.__contains__,
        max_filters=10,
        max_values=100,
        unknown_code="InvalidParameterValue",
        too_many_code="InvalidParameterValue",
        too_many_values_code="InvalidParameterValue",
    )
    tags = _tags(params)

    def keep(fs: dict[str, Any]) -> bool:
        mts = rs.mount_targets[fs["FileSystemId"]]
        wanted = (
            fields["FileSystemId"] in (None, fs["FileSystemId"])
            and fields["CreationToken"] in (None, fs["CreationToken"])
            and (fields["VpcId"] is None or any(m["VpcId"] == fields["VpcId"] for m in mts))
            and (fields["SubnetId"] is None or any(m["SubnetId"] == fields["SubnetId"] for m in mts))
        )
        pairs = {(t["TagKey"], t["TagValue"]) for t in fs["Tags"]}
        return (
            wanted
            and all(any(v in f.values for v in FILTERS[f.name](fs, mts)) for f in flts)
            and all(t in pairs for t in tags)
        )

    with ctx.store.lock:
        found = [fs for fs in rs.file_systems.values() if keep(fs)]
        return {"FileSystems": list(P.page(found, offset, limit)), "TotalCount": len(found)}


def describe_mount_targets(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"FileSystemId"})
    rs = ctx.region
    fs_id = P.required_str(params, "FileSystemId")
    with ctx.store.lock:
        _file_system(rs, fs_id)
        mts = list(rs.mount_targets[fs_id])
        return {"MountTargets": mts, "NumberOfMountTargets": len(mts)}


def delete_mount_target(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Asynchronous in the cloud (the mount target is `deleting` for a while); here it is gone when the answer
    comes."""
    P.only(params, {"FileSystemId", "MountTargetId"})
    rs = ctx.region
    fs_id = P.required_str(params, "FileSystemId")
    mt_id = P.required_str(params, "MountTargetId")
    with ctx.store.lock:
        _file_system(rs, fs_id)
        mts = rs.mount_targets[fs_id]
        if not any(m["MountTargetId"] == mt_id for m in mts):
            raise ApiError("ResourceNotFound.MountTargetNotFound", f"`{fs_id}` has no mount target `{mt_id}`.")
        rs.mount_targets[fs_id] = [m for m in mts if m["MountTargetId"] != mt_id]
    return {}


def delete_cfs_file_system(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Refused while the file system has a mount target (FailedOperation.MountTargetExists: the docstring says to
    delete them first with DeleteMountTarget). Gone from the listing when the answer comes."""
    P.only(params, {"FileSystemId"})
    rs = ctx.region
    fs_id = P.required_str(params, "FileSystemId")
    with ctx.store.lock:
        _file_system(rs, fs_id)
        if rs.mount_targets[fs_id]:
            ids = ", ".join(m["MountTargetId"] for m in rs.mount_targets[fs_id])
            raise ApiError("FailedOperation.MountTargetExists", f"The file system `{fs_id}` has mount targets: {ids}.")
        del rs.file_systems[fs_id]
        del rs.mount_targets[fs_id]
    return {}
