"""cbs TerminateDisks, clb DeleteLoadBalancer and vpc ReleaseAddresses: what they refuse (all or nothing), their
batch limits, and the world they leave behind (gone from the listings and from tag GetResources); tag TagResources
on every kind cleanup marks, shown back in each product's own listing and in GetResources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.cfs.v20190719 import models as cfs_models
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vpc.v20170312 import models as vpc_models

Api = Any  # the `Api` helper of this folder's conftest
GZ = "ap-guangzhou"
Z3 = {"Zone": "ap-guangzhou-3"}
CBS = ("cbs", "2017-03-12")
CLB = ("clb", "2018-03-17")
VPC = ("vpc", "2017-03-12")
CFS = ("cfs", "2019-07-19")
TAG = ("tag", "2018-08-13")
MARK = {"TagKey": "tke-orphans:marked-at", "TagValue": "2026-01-01T00:00:00Z"}
TEAM = [{"Key": "team", "Value": "data"}]
TKE_DISK = [{"Key": "tke-cbs-provisioner-createBy-flag", "Value": "yes"}, {"Key": "tke-clusterId", "Value": "cls-x1"}]

WORLD: dict[str, Any] = {
    "regions": {
        GZ: {
            "instances": [{"InstanceId": "ins-m0000001", "CreatedTime": "-3d", "Placement": Z3}],
            "disks": [
                {"DiskId": "disk-free0001", "DiskSize": 50, "CreateTime": "-9d", "Tags": TKE_DISK,
                 "Placement": Z3},
                {"DiskId": "disk-free0002", "DiskSize": 50, "CreateTime": "-8d", "Placement": Z3},
                {"DiskId": "disk-prep0001", "DiskSize": 50, "CreateTime": "-7d", "DiskChargeType": "PREPAID",
                 "DeadlineTime": "+20d", "Placement": Z3},
                {"DiskId": "disk-attd0001", "DiskSize": 50, "CreateTime": "-6d", "DiskState": "ATTACHED",
                 "InstanceId": "ins-m0000001", "Placement": Z3},
                {"DiskId": "disk-fixd0001", "DiskSize": 50, "CreateTime": "-6d", "Portable": False, "Placement": Z3},
            ],
            "load_balancers": [
                {"LoadBalancerId": "lb-tke00001", "CreateTime": "-5d",
                 "Tags": [{"Key": "tke-createdBy-flag", "Value": "yes"}, {"Key": "tke-clusterId", "Value": "cls-x1"}]},
                {"LoadBalancerId": "lb-prot0001", "CreateTime": "-5d", "AttributeFlags": ["DeleteProtect"]},
            ],
            "addresses": [
                {"AddressId": "eip-free0001", "AddressIp": "1.2.3.4", "CreatedTime": "-4d",
                 "TagSet": [{"Key": "tke-clusterId", "Value": "cls-x1"}, {"Key": "tke-created-eip", "Value": "true"}]},
                {"AddressId": "eip-bind0001", "AddressIp": "1.2.3.5", "CreatedTime": "-4d", "AddressStatus": "BIND",
                 "InstanceId": "ins-m0000001", "InstanceType": "CVM"},
            ],
            "file_systems": [
                {"FileSystemId": "cfs-tke00001", "FsName": "cls-x1_pvc-0b6f3c2e-6a1d-4f7e-9c43-2f8d1e5a7b90",
                 "CreationTime": "-5d", "Zone": "ap-guangzhou-3", "Tags": TEAM},
            ],
            "security_groups": [
                {"SecurityGroupId": "sg-tke00001", "SecurityGroupName": "tke-worker-security-for-cls-x1",
                 "CreatedTime": "-5d", "TagSet": TEAM},
            ],
        }
    }
}  # fmt: skip


@pytest.fixture
def api(serve: Callable[..., Api]) -> Api:
    return serve(WORLD)


def code_of(api: Api, svc: tuple[str, str], action: str, params: dict[str, Any]) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        api.call(*svc, action, params, GZ)
    return str(info.value.get_code())


def disk_states(api: Api) -> dict[str, str]:
    answer = api.call(*CBS, "DescribeDisks", {"Limit": 100}, GZ)
    return {d["DiskId"]: d["DiskState"] for d in answer["DiskSet"]}


def tagged(api: Api) -> set[str]:
    answer = api.call("tag", "2018-08-13", "GetResources", {"TagFilters": [{"TagKey": "tke-clusterId"}]})
    return {m["Resource"].rsplit("/", 1)[1] for m in answer["ResourceTagMappingList"]}


def test_terminate_disks_refuses_attached_unknown_and_too_many(api: Api) -> None:
    before = disk_states(api)
    # All or nothing: one attached disk fails the batch, and the unattached one stays.
    batch = {"DiskIds": ["disk-free0001", "disk-attd0001"]}
    assert code_of(api, CBS, "TerminateDisks", batch) == "ResourceUnavailable.Attached"
    assert code_of(api, CBS, "TerminateDisks", {"DiskIds": ["disk-free0001", "disk-nothere1"]}) == (
        "InvalidDiskId.NotFound"
    )
    too_many = {"DiskIds": [f"disk-{i:08d}" for i in range(101)]}
    assert code_of(api, CBS, "TerminateDisks", too_many) == "InvalidParameterValue.LimitExceeded"
    assert code_of(api, CBS, "TerminateDisks", {}) == "MissingParameter"
    # A non-elastic disk goes only with its instance.
    assert code_of(api, CBS, "TerminateDisks", {"DiskIds": ["disk-fixd0001"]}) == "ResourceUnavailable.NotPortable"
    assert disk_states(api) == before


def test_terminate_disks_destroys_postpaid_and_recycles_prepaid_first(api: Api) -> None:
    assert "disk-free0001" in tagged(api)
    api.call(*CBS, "TerminateDisks", {"DiskIds": ["disk-free0001", "disk-free0002", "disk-prep0001"]}, GZ)
    assert disk_states(api) == {
        "disk-prep0001": "TORECYCLE",
        "disk-attd0001": "ATTACHED",
        "disk-fixd0001": "UNATTACHED",
    }
    assert "disk-free0001" not in tagged(api)
    api.call(*CBS, "TerminateDisks", {"DiskIds": ["disk-prep0001"]}, GZ)
    assert disk_states(api) == {"disk-attd0001": "ATTACHED", "disk-fixd0001": "UNATTACHED"}


def test_delete_load_balancer_refuses_protected_unknown_and_too_many(api: Api) -> None:
    def listed() -> set[str]:
        answer = api.call(*CLB, "DescribeLoadBalancers", {}, GZ)
        return {lb["LoadBalancerId"] for lb in answer["LoadBalancerSet"]}

    batch = {"LoadBalancerIds": ["lb-tke00001", "lb-prot0001"]}
    assert code_of(api, CLB, "DeleteLoadBalancer", batch) == "OperationDenied"
    assert code_of(api, CLB, "DeleteLoadBalancer", {"LoadBalancerIds": ["lb-nothere1"]}) == (
        "InvalidParameter.LBIdNotFound"
    )
    too_many = {"LoadBalancerIds": [f"lb-{i:08d}" for i in range(21)]}
    assert code_of(api, CLB, "DeleteLoadBalancer", too_many) == "InvalidParameterValue.Length"
    assert listed() == {"lb-tke00001", "lb-prot0001"}
    api.call(*CLB, "DeleteLoadBalancer", {"LoadBalancerIds": ["lb-tke00001"]}, GZ)
    assert listed() == {"lb-prot0001"}
    assert "lb-tke00001" not in tagged(api)


def test_release_addresses_releases_only_unbound_ones(api: Api) -> None:
    def listed() -> set[str]:
        return {a["AddressId"] for a in api.call(*VPC, "DescribeAddresses", {}, GZ)["AddressSet"]}

    batch = {"AddressIds": ["eip-free0001", "eip-bind0001"]}
    assert code_of(api, VPC, "ReleaseAddresses", batch) == "InvalidAddressState"
    assert code_of(api, VPC, "ReleaseAddresses", {"AddressIds": ["eip-nothere1"]}) == "InvalidAddressId.NotFound"
    assert code_of(api, VPC, "ReleaseAddresses", {"AddressIds": ["bad"]}) == "InvalidParameterValue.AddressIdMalformed"
    too_many = {"AddressIds": [f"eip-{i:08d}" for i in range(101)]}
    assert code_of(api, VPC, "ReleaseAddresses", too_many) == "InvalidParameterValue.LimitExceeded"
    assert listed() == {"eip-free0001", "eip-bind0001"}
    answer = api.call(*VPC, "ReleaseAddresses", {"AddressIds": ["eip-free0001"]}, GZ)
    assert answer["TaskId"]  # asynchronous in the cloud: the answer names its task
    assert listed() == {"eip-bind0001"}
    assert "eip-free0001" not in tagged(api)


@pytest.mark.parametrize(
    ("name", "listing", "field"),
    [
        ("qcs::cvm:ap-guangzhou:uin/{uin}:volume/disk-free0001", (CBS, "DescribeDisks", "DiskSet"), "Tags"),
        ("qcs::cvm:ap-guangzhou:uin/{uin}:eip/eip-free0001", (VPC, "DescribeAddresses", "AddressSet"), "TagSet"),
        ("qcs::clb:ap-guangzhou:uin/{uin}:clb/lb-tke00001", (CLB, "DescribeLoadBalancers", "LoadBalancerSet"), "Tags"),
        ("qcs::cfs:ap-guangzhou:uin/{uin}:filesystem/cfs-tke00001", (CFS, "DescribeCfsFileSystems", "FileSystems"),
         "Tags"),
        ("qcs::cvm:ap-guangzhou:uin/{uin}:sg/sg-tke00001", (VPC, "DescribeSecurityGroups", "SecurityGroupSet"),
         "TagSet"),
    ],
)  # fmt: skip
def test_tag_resources_tags_every_kind_cleanup_marks(
    api: Api, name: str, listing: tuple[tuple[str, str], str, str], field: str
) -> None:
    uin = api.call("sts", "2018-08-13", "GetCallerIdentity", {}, GZ)["AccountId"]
    rid = name.rsplit("/", 1)[1]
    wrong = name.format(uin=uin).replace(":clb/", ":volume/") if ":clb/" in name else name.format(uin=uin)[:-1] + "9"
    (svc, action, key) = listing

    def pairs() -> set[tuple[str, str]]:
        item = next(x for x in api.call(*svc, action, {}, GZ)[key] if rid in x.values())
        return {(t.get("Key") or t.get("TagKey"), t.get("Value") or t.get("TagValue")) for t in item[field]}

    before = pairs()
    answer = api.call(*TAG, "TagResources", {"ResourceList": [name.format(uin=uin), wrong], "Tags": [MARK]})
    assert [f["Resource"] for f in answer["FailedResources"]] == [wrong]
    assert pairs() == before | {(MARK["TagKey"], MARK["TagValue"])}  # added to, not replacing, its tags
    assert before  # each has a tag of its own to keep


def test_file_systems_and_security_groups_are_tagged_by_their_cam_names_only(api: Api) -> None:
    """`qcs::cfs:<region>:uin/<uin>:filesystem/<id>` and `qcs::cvm:<region>:uin/<uin>:sg/<id>` (CAM's resource
    descriptions); the tags come back in the SDK's own models (cfs TagInfo TagKey/TagValue, vpc Tag Key/Value) and in
    GetResources under the same names."""
    uin = api.call("sts", "2018-08-13", "GetCallerIdentity", {}, GZ)["AccountId"]
    fs, sg = f"qcs::cfs:{GZ}:uin/{uin}:filesystem/cfs-tke00001", f"qcs::cvm:{GZ}:uin/{uin}:sg/sg-tke00001"
    wrong = [fs.replace("qcs::cfs:", "qcs::cvm:"), sg.replace("qcs::cvm:", "qcs::vpc:"),
             fs.replace(":filesystem/", ":sg/"), sg.replace(":sg/", ":filesystem/"),
             fs.replace(f"uin/{uin}", "uin/123"), sg.replace(":ap-guangzhou:", ":ap-shanghai:")]  # fmt: skip
    answer = api.call(*TAG, "TagResources", {"ResourceList": wrong, "Tags": [MARK]})
    assert [(f["Resource"], f["Code"]) for f in answer["FailedResources"]] == [(w, "ResourceNotFound") for w in wrong]
    reserved = {"ResourceList": [fs, sg], "Tags": [{"TagKey": "qcloud:x", "TagValue": "v"}]}
    assert code_of(api, TAG, "TagResources", reserved) == "InvalidParameterValue.ReservedTagKey"
    fs_tags = api.sdk(api.cfs(), cfs_models, "DescribeCfsFileSystems", {})["FileSystems"][0]["Tags"]
    sg_tags = api.sdk(api.vpc(), vpc_models, "DescribeSecurityGroups", {})["SecurityGroupSet"][0]["TagSet"]
    assert fs_tags == [{"TagKey": "team", "TagValue": "data"}] and sg_tags == TEAM  # untouched
    assert api.call(*TAG, "TagResources", {"ResourceList": [fs, sg], "Tags": [MARK]})["FailedResources"] == []
    fs_tags = api.sdk(api.cfs(), cfs_models, "DescribeCfsFileSystems", {})["FileSystems"][0]["Tags"]
    sg_tags = api.sdk(api.vpc(), vpc_models, "DescribeSecurityGroups", {})["SecurityGroupSet"][0]["TagSet"]
    assert fs_tags == [{"TagKey": "team", "TagValue": "data"}, MARK]
    assert sg_tags == [*TEAM, {"Key": MARK["TagKey"], "Value": MARK["TagValue"]}]
    marked = api.call(*TAG, "GetResources", {"TagFilters": [{"TagKey": MARK["TagKey"]}]})["ResourceTagMappingList"]
    assert {m["Resource"]: m["Tags"] for m in marked} == {
        fs: [{"TagKey": "team", "TagValue": "data"}, MARK],
        sg: [{"TagKey": "team", "TagValue": "data"}, MARK],
    }
    listed = api.call(*TAG, "GetResources", {"ResourceList": [fs, sg.replace("sg-", "sg-x")]})
    assert [m["Resource"] for m in listed["ResourceTagMappingList"]] == [fs]
