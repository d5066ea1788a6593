"""cfs 2019-07-19 through the official SDK (CfsClient; DeleteMountTarget, gone from CfsClient, through CommonClient):
the file system and mount target listings, their filters, paging and limits, the deletions and what they refuse,
faults on the new calls, and world files with file systems."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest.mock import ANY

import pytest
from tencentcloud.cfs.v20190719 import models

from tke_orphans_testkit.emulator import FaultPlan, world_from_data
from tke_orphans_testkit.emulator.generate import generate_world
from tke_orphans_testkit.emulator.ratelimit import real_limit

Api = Any  # the `Api` helper of this folder's conftest
GZ = "ap-guangzhou"
CFS = ("cfs", "2019-07-19")
PV = "cls-gone0001_pvc-0b6f3c2e-6a1d-4f7e-9c43-2f8d1e5a7b90"
MOUNT = {"MountTargetId": "mount-left0001", "IpAddress": "10.0.3.40", "VpcId": "vpc-gz000001",
         "SubnetId": "subnet-gz000001"}  # fmt: skip
WORLD: dict[str, Any] = {
    "regions": {
        GZ: {
            "file_systems": [
                {"FileSystemId": "cfs-left0001", "FsName": PV, "CreationTime": "-40d", "Zone": "ap-guangzhou-3",
                 "SizeByte": 5 * 2**30, "mount_targets": [MOUNT]},
                {"FileSystemId": "cfs-left0002", "FsName": "cls-gone0001_pvc-1c2d", "CreationTime": "-30d",
                 "Zone": "ap-guangzhou-3"},
                {"FileSystemId": "cfs-user0001", "FsName": "shared-data", "CreationTime": "-20d",
                 "Zone": "ap-guangzhou-4", "StorageType": "HP", "SizeLimit": 1024,
                 "Tags": [{"Key": "team", "Value": "data"}],
                 "mount_targets": [{"MountTargetId": "mount-user0001", "VpcId": "vpc-gz000002",
                                    "SubnetId": "subnet-gz000002"}]},
                *({"FileSystemId": f"cfs-fill{i:04d}", "FsName": f"fill-{i}", "CreationTime": "-10d",
                   "Zone": "ap-guangzhou-3"} for i in range(9)),
            ]
        }
    }
}  # fmt: skip


@pytest.fixture
def api(serve: Callable[..., Api]) -> Api:
    return serve(WORLD)


def file_systems(api: Api, **params: Any) -> Any:
    return api.sdk(api.cfs(), models, "DescribeCfsFileSystems", params)


def mount_targets(api: Api, fs_id: str) -> Any:
    return api.sdk(api.cfs(), models, "DescribeMountTargets", {"FileSystemId": fs_id})


def delete(api: Api, fs_id: str) -> Any:
    return api.sdk(api.cfs(), models, "DeleteCfsFileSystem", {"FileSystemId": fs_id})


def ids(answer: Any) -> list[str]:
    return [fs["FileSystemId"] for fs in answer["FileSystems"]]


def test_describe_cfs_file_systems_answers_file_system_info(api: Api) -> None:
    answer = file_systems(api, FileSystemId="cfs-left0001")
    assert answer["TotalCount"] == 1
    (fs,) = answer["FileSystems"]
    now = api.em.store.world.now
    assert fs["FsName"] == PV and fs["CreationToken"] == PV
    assert fs["CreationTime"] == (now - timedelta(days=40)).strftime("%Y-%m-%d %H:%M:%S")
    assert (fs["LifeCycleState"], fs["SizeByte"], fs["StorageType"], fs["Protocol"], fs["Zone"]) == (
        "available", 5 * 2**30, "SD", "NFS", "ap-guangzhou-3")  # fmt: skip
    assert fs["ZoneId"] == 100003 and fs["PGroup"] == {"PGroupId": "pgroupbasic", "Name": "默认权限组"}
    tagged = file_systems(api, FileSystemId="cfs-user0001")["FileSystems"][0]
    assert tagged["Tags"] == [{"TagKey": "team", "TagValue": "data"}]


def test_describe_cfs_file_systems_filters(api: Api) -> None:
    assert ids(file_systems(api, VpcId="vpc-gz000001")) == ["cfs-left0001"]  # a mount target there
    assert ids(file_systems(api, SubnetId="subnet-gz000002")) == ["cfs-user0001"]
    assert ids(file_systems(api, CreationToken="shared-data")) == ["cfs-user0001"]
    assert ids(file_systems(api, Filters=[{"Name": "StorageType", "Values": ["HP"]}])) == ["cfs-user0001"]
    assert ids(file_systems(api, Filters=[{"Name": "IpAddress", "Values": ["10.0.3.40"]}])) == ["cfs-left0001"]
    assert ids(file_systems(api, Tags=[{"TagKey": "team", "TagValue": "data"}])) == ["cfs-user0001"]
    # An unknown id is an empty answer, not an error (the CSI driver takes it for "already deleted").
    nothing = file_systems(api, FileSystemId="cfs-nothere1")
    assert (nothing["FileSystems"], nothing["TotalCount"]) == ([], 0)


def test_describe_cfs_file_systems_pages_ten_by_default_up_to_a_hundred(api: Api) -> None:
    first = file_systems(api)
    assert (len(first["FileSystems"]), first["TotalCount"]) == (10, 12)
    rest = file_systems(api, Offset=10, Limit=100)
    assert sorted(ids(first) + ids(rest)) == sorted(ids(file_systems(api, Limit=100)))
    assert len(ids(rest)) == 2
    for bad in ({"Limit": 101}, {"Limit": 0}, {"Offset": -1}):
        assert api.error_code(lambda bad=bad: file_systems(api, **bad)) == "InvalidParameterValue", bad
    assert api.error_code(lambda: api.call(*CFS, "DescribeCfsFileSystems", {"Limit": "10"}, GZ)) == "InvalidParameter"
    assert api.error_code(lambda: api.call(*CFS, "DescribeCfsFileSystems", {"FsName": PV}, GZ)) == "UnknownParameter"
    colour = [{"Name": "Colour", "Values": ["red"]}]
    assert api.error_code(lambda: file_systems(api, Filters=colour)) == "InvalidParameterValue"
    seven = [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(7)]
    assert api.error_code(lambda: file_systems(api, Tags=seven)) == "InvalidParameterValue.TagKeyFilterLimitExceeded"


def test_describe_mount_targets(api: Api) -> None:
    answer = mount_targets(api, "cfs-left0001")
    assert answer["NumberOfMountTargets"] == 1
    (mt,) = answer["MountTargets"]
    assert (mt["FileSystemId"], mt["MountTargetId"], mt["IpAddress"], mt["VpcId"], mt["LifeCycleState"]) == (
        "cfs-left0001", "mount-left0001", "10.0.3.40", "vpc-gz000001", "available")  # fmt: skip
    assert mount_targets(api, "cfs-left0002")["NumberOfMountTargets"] == 0
    assert api.error_code(lambda: mount_targets(api, "cfs-nothere1")) == "ResourceNotFound.FileSystemNotFound"
    assert api.error_code(lambda: api.call(*CFS, "DescribeMountTargets", {}, GZ)) == "MissingParameter"


def test_delete_refuses_a_file_system_with_mount_targets_until_they_are_deleted(api: Api) -> None:
    assert api.error_code(lambda: delete(api, "cfs-left0001")) == "FailedOperation.MountTargetExists"
    assert "cfs-left0001" in ids(file_systems(api, Limit=100))
    wrong = {"FileSystemId": "cfs-left0001", "MountTargetId": "mount-user0001"}  # another file system's
    assert api.error_code(lambda: api.call(*CFS, "DeleteMountTarget", wrong, GZ)) == (
        "ResourceNotFound.MountTargetNotFound"
    )
    gone = {"FileSystemId": "cfs-nothere1", "MountTargetId": "mount-left0001"}
    assert (
        api.error_code(lambda: api.call(*CFS, "DeleteMountTarget", gone, GZ)) == "ResourceNotFound.FileSystemNotFound"
    )
    assert api.error_code(lambda: api.call(*CFS, "DeleteMountTarget", {"FileSystemId": "cfs-left0001"}, GZ)) == (
        "MissingParameter"
    )
    api.call(*CFS, "DeleteMountTarget", {"FileSystemId": "cfs-left0001", "MountTargetId": "mount-left0001"}, GZ)
    assert mount_targets(api, "cfs-left0001")["NumberOfMountTargets"] == 0
    delete(api, "cfs-left0001")
    assert "cfs-left0001" not in ids(file_systems(api, Limit=100))
    assert api.error_code(lambda: delete(api, "cfs-left0001")) == "ResourceNotFound.FileSystemNotFound"
    assert api.error_code(lambda: mount_targets(api, "cfs-left0001")) == "ResourceNotFound.FileSystemNotFound"
    assert api.error_code(lambda: api.call(*CFS, "DeleteCfsFileSystem", {}, GZ)) == "MissingParameter"


def test_faults_and_rate_limits_reach_the_cfs_calls(serve: Callable[..., Api]) -> None:
    faults = FaultPlan.from_data({"faults": [
        {"action": "DescribeCfsFileSystems", "effect": "omit", "times": 1},
        {"action": "DeleteCfsFileSystem", "code": "InternalError", "times": 1},
        {"action": "DescribeMountTargets", "effect": "omit", "times": 1},
    ]})  # fmt: skip
    api = serve(WORLD, faults=faults)
    short = file_systems(api, Limit=100)
    assert (len(short["FileSystems"]), short["TotalCount"]) == (11, 11)  # adds up, and still lacks one
    assert mount_targets(api, "cfs-left0001") == {"MountTargets": [], "NumberOfMountTargets": 0, "RequestId": ANY}
    assert api.error_code(lambda: delete(api, "cfs-left0002")) == "InternalError"
    assert "cfs-left0002" in ids(file_systems(api, Limit=100))  # a faulted call changes nothing
    delete(api, "cfs-left0002")
    assert {real_limit("cfs", a) for a in ("DescribeCfsFileSystems", "DescribeMountTargets", "DeleteCfsFileSystem",
                                           "DeleteMountTarget")} == {20}  # fmt: skip


GOOD: dict[str, Any] = {
    "credentials": [{"secret_id": "AKIDworld", "secret_key": "world-key"}],
    "regions": {GZ: {"file_systems": copy.deepcopy(WORLD["regions"][GZ]["file_systems"][:3])}},
}
P = "regions.ap-guangzhou.file_systems"


def _fs(i: int, **fields: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["regions"][GZ]["file_systems"][i].update(fields)


BAD: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("zone", _fs(0, Zone="ap-shanghai-2"), f"{P}[0].Zone", "zone ap-shanghai-2 is not in region ap-guangzhou"),
    ("duplicate", _fs(1, FileSystemId="cfs-left0001"), f"{P}[1]", "cfs-left0001 duplicates file_systems[0]"),
    ("bad-id", _fs(0, FileSystemId="nfs-1"), f"{P}[0].FileSystemId", "pattern"),
    ("no-time", lambda d: d["regions"][GZ]["file_systems"][0].pop("CreationTime"), f"{P}[0].CreationTime",
     "required key is missing"),
    ("mount-twice", _fs(1, mount_targets=[MOUNT]), f"{P}[1].mount_targets[0].MountTargetId",
     "mount-left0001 is already cfs-left0001's"),
    ("bad-mount-id", _fs(0, mount_targets=[{"MountTargetId": "mt-1"}]), f"{P}[0].mount_targets[0].MountTargetId",
     "pattern"),
    ("storage-type", _fs(0, StorageType="FAST"), f"{P}[0].StorageType", "SD"),
    ("unknown-key", _fs(0, Colour="red"), f"{P}[0].Colour", "unknown key (see docs/emulator.md"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "path", "detail"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_file_systems_are_refused_with_file_path_and_problem(tmp_path, refused, mutate, path, detail):
    err = refused(GOOD, mutate)
    assert (err.source, err.path) == (str(tmp_path / "bad-world.yaml"), path)
    assert detail in err.problem, err.problem
    assert "\n" not in str(err)  # one sentence


# ---- the generator ---------------------------------------------------------------------------------------------

CSI_NAME = re.compile(r"(cls-[0-9a-z]+)_pvc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def csi_cluster(fs_name: str) -> str | None:
    """The cluster a CSI-made file system's name gives, or None for any other name."""
    m = CSI_NAME.fullmatch(fs_name)
    return m.group(1) if m else None


def expected_file_systems(data: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    """The rule, from the world alone: the CSI driver's exact name, of a cluster the region does not have."""
    out = set()
    for rname, region in data["regions"].items():
        live = {c["ClusterId"] for c in region["clusters"]}
        for fs in region["file_systems"]:
            cid = csi_cluster(fs["FsName"])
            if cid and cid not in live:
                out.add((rname, "cfs", fs["FileSystemId"], cid))
    return out


def test_generated_file_systems_follow_the_csi_rule_and_every_trap_is_there(serve: Callable[..., Api]) -> None:
    data = generate_world(regions=2, instances=600, clusters=6, seed=5)
    assert data == generate_world(regions=2, instances=600, clusters=6, seed=5)  # deterministic
    key = data["answer_key"]
    listed = {
        (x["region"], x["kind"], x["resource_id"], x["cluster_id"]) for x in key["leftovers"] if x["kind"] == "cfs"
    }
    assert listed == expected_file_systems(data)
    for rname, region in data["regions"].items():
        names = [fs["FsName"] for fs in region["file_systems"]]
        assert 5 <= len(names) <= 12  # a few a region: the benchmark's worlds barely grow
        assert any(n.startswith("backup-of-cls-") for n in names) and any(n.endswith("_data") for n in names)
        assert any(n.endswith("-copy") and CSI_NAME.match(n) for n in names)
        live = {c["ClusterId"] for c in region["clusters"]}
        assert any(csi_cluster(n) in live for n in names)
        mine = {x["resource_id"] for x in key["leftovers"] if x["region"] == rname and x["kind"] == "cfs"}
        mounted = {fs["FileSystemId"]: bool(fs.get("mount_targets")) for fs in region["file_systems"]}
        assert {mounted[f] for f in mine} == {True, False}  # leftovers with a mount target and without
    # Every leftover is listed through the emulator under its name.
    api = serve(world_from_data(data))
    for rname in data["regions"]:
        got = {fs["FileSystemId"]: fs["FsName"] for fs in file_systems_of(api, rname)}
        for _, _, fid, cid in (x for x in listed if x[0] == rname):
            assert csi_cluster(got[fid]) == cid


def file_systems_of(api: Api, region: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = api.sdk(api.cfs(region), models, "DescribeCfsFileSystems", {"Offset": len(out), "Limit": 100})
        out += page["FileSystems"]
        if len(out) >= page["TotalCount"]:
            return out
