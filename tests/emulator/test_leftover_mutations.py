"""cbs TerminateDisks, clb DeleteLoadBalancer and vpc ReleaseAddresses: what they refuse (all or nothing), their
batch limits, and the world they leave behind (gone from the listings and from tag GetResources)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

Api = Any  # the `Api` helper of this folder's conftest
GZ = "ap-guangzhou"
Z3 = {"Zone": "ap-guangzhou-3"}
CBS = ("cbs", "2017-03-12")
CLB = ("clb", "2018-03-17")
VPC = ("vpc", "2017-03-12")
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
    ],
)
def test_tag_resources_tags_disks_addresses_and_load_balancers(
    api: Api, name: str, listing: tuple[tuple[str, str], str, str], field: str
) -> None:
    uin = api.call("sts", "2018-08-13", "GetCallerIdentity", {}, GZ)["AccountId"]
    rid = name.rsplit("/", 1)[1]
    tag = {"TagKey": "tke-orphans:marked-at", "TagValue": "2026-01-01T00:00:00Z"}
    wrong = name.format(uin=uin).replace(":clb/", ":volume/") if ":clb/" in name else name.format(uin=uin)[:-1] + "9"
    answer = api.call("tag", "2018-08-13", "TagResources", {"ResourceList": [name.format(uin=uin), wrong],
                                                              "Tags": [tag]})  # fmt: skip
    assert [f["Resource"] for f in answer["FailedResources"]] == [wrong]
    (svc, action, key) = listing
    item = next(x for x in api.call(*svc, action, {}, GZ)[key] if rid in x.values())
    pairs = {(t.get("Key") or t.get("TagKey"), t.get("Value") or t.get("TagValue")) for t in item[field]}
    assert ("tke-orphans:marked-at", "2026-01-01T00:00:00Z") in pairs
    assert ("tke-clusterId", "cls-x1") in pairs  # added to, not replacing, its tags
