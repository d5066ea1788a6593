"""The calls cleanup makes, through the official SDK: real semantics and error codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from tke_orphans_testkit.emulator import World

Api = Any  # the `Api` helper of this folder's conftest: a running emulator and SDK clients for it


@pytest.fixture
def api(serve: Callable[..., Api], demo_world: World) -> Api:
    return serve(demo_world)


def code_of(api: Api, service: str, version: str, action: str, params: dict[str, Any], region: str) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        api.call(service, version, action, params, region)
    return str(info.value.get_code())


def listed(api: Api, region: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    answer = api.call("cvm", "2017-03-12", "DescribeInstances", {"InstanceIds": ids}, region)
    return {i["InstanceId"]: i for i in answer["InstanceSet"]}


CVM = ("cvm", "2017-03-12")


def test_terminate_instances_refuses_what_the_cloud_refuses(api: Api) -> None:
    cvm = (*CVM, "TerminateInstances")
    assert code_of(api, *cvm, {"InstanceIds": ["ins-nothere1"]}, "ap-guangzhou") == "InvalidInstanceId.NotFound"
    assert code_of(api, *cvm, {"InstanceIds": ["bad"]}, "ap-guangzhou") == "InvalidInstanceId.Malformed"
    assert code_of(api, *cvm, {"InstanceIds": ["ins-gzdown01"]}, "ap-guangzhou") == (
        "OperationDenied.InstanceOperationInProgress"
    )
    too_many = {"InstanceIds": [f"ins-x{i:07d}" for i in range(101)]}
    assert code_of(api, *cvm, too_many, "ap-guangzhou") == "InvalidParameterValue.LimitExceeded"
    api.em.store.set_instance("ap-guangzhou", "ins-gzorp003", DisableApiTermination=True)
    batch = {"InstanceIds": ["ins-gzorp001", "ins-gzorp003"]}
    assert code_of(api, *cvm, batch, "ap-guangzhou") == "UnsupportedOperation.InstancesProtected"
    # One prepaid instance among postpaid ones fails the whole batch.
    mixed = {"InstanceIds": ["ins-gzorp001", "ins-gzorp002"]}
    assert code_of(api, *cvm, mixed, "ap-guangzhou") == "UnsupportedOperation.InstanceMixedPricingModel"
    # All or nothing: the refused batches changed nothing.
    states = {i: d["InstanceState"] for i, d in listed(api, "ap-guangzhou", ["ins-gzorp001", "ins-gzorp002"]).items()}
    assert states == {"ins-gzorp001": "RUNNING", "ins-gzorp002": "RUNNING"}


def test_terminate_destroys_postpaid_and_recycles_prepaid_first(api: Api) -> None:
    cvm = (*CVM, "TerminateInstances")
    api.call(*cvm, {"InstanceIds": ["ins-gzorp001", "ins-gzweb001"]}, "ap-guangzhou")
    assert listed(api, "ap-guangzhou", ["ins-gzorp001", "ins-gzweb001"]) == {}  # postpaid: destroyed at once
    # A terminated node leaves its cluster.
    nodes = api.call("tke", "2018-05-25", "DescribeClusterInstances", {"ClusterId": "cls-prodgz01"},
                     "ap-guangzhou")  # fmt: skip
    assert "ins-gzweb001" not in {n["InstanceId"] for n in nodes["InstanceSet"]}
    api.call(*cvm, {"InstanceIds": ["ins-gzorp002"]}, "ap-guangzhou")
    binned = listed(api, "ap-guangzhou", ["ins-gzorp002"])["ins-gzorp002"]
    assert (binned["InstanceState"], binned["IsolatedSource"]) == ("SHUTDOWN", "MANMADE")  # in the recycle bin
    api.call(*cvm, {"InstanceIds": ["ins-gzorp002"]}, "ap-guangzhou")  # the second call destroys it
    assert listed(api, "ap-guangzhou", ["ins-gzorp002"]) == {}


def test_inquiry_price_terminate_instances(api: Api) -> None:
    ask = (*CVM, "InquiryPriceTerminateInstances")
    answer = api.call(*ask, {"InstanceIds": ["ins-shorp001"]}, "ap-shanghai")
    [refund] = answer["InstanceRefundsSet"]
    # 10 days left of 2 vCPU / 4 GB at the emulator's 1 per vCPU and 0.5 per GB a day.
    assert refund["InstanceId"] == "ins-shorp001" and refund["Refunds"] == 40.0
    assert api.call(*ask, {"InstanceIds": ["ins-shnode01"]}, "ap-shanghai")["InstanceRefundsSet"][0]["Refunds"] == 0
    mixed = {"InstanceIds": ["ins-shorp001", "ins-shnode01"]}
    assert code_of(api, *ask, mixed, "ap-shanghai") == "UnsupportedOperation.InstanceMixedPricingModel"
    assert listed(api, "ap-shanghai", ["ins-shorp001"])["ins-shorp001"]["InstanceState"] == "RUNNING"


def test_modify_instances_attribute_one_attribute_a_request(api: Api) -> None:
    modify = (*CVM, "ModifyInstancesAttribute")
    api.call(*modify, {"InstanceIds": ["ins-gzorp001"], "DisableApiTermination": True}, "ap-guangzhou")
    assert listed(api, "ap-guangzhou", ["ins-gzorp001"])["ins-gzorp001"]["DisableApiTermination"] is True
    terminate = (*CVM, "TerminateInstances")
    protected = code_of(api, *terminate, {"InstanceIds": ["ins-gzorp001"]}, "ap-guangzhou")
    assert protected == "UnsupportedOperation.InstancesProtected"
    two = {"InstanceIds": ["ins-gzorp001"], "DisableApiTermination": False, "InstanceName": "x"}
    assert code_of(api, *modify, two, "ap-guangzhou") == "InvalidParameter"
    assert code_of(api, *modify, {"InstanceIds": ["ins-gzorp001"]}, "ap-guangzhou") == "InvalidParameter"
    assert listed(api, "ap-guangzhou", ["ins-gzorp001"])["ins-gzorp001"]["DisableApiTermination"] is True


def test_tag_resources_and_caller_identity(api: Api) -> None:
    sts = ("sts", "2018-08-13", "GetCallerIdentity")
    assert code_of(api, *sts, {}, "") == "MissingParameter"  # STS needs a region like most APIs
    uin = api.call(*sts, {}, "ap-shanghai")["AccountId"]
    assert uin == "100000000001"
    good = f"qcs::cvm:ap-shanghai:uin/{uin}:instance/ins-shorp001"
    bad = f"qcs::cvm:ap-shanghai:uin/{uin}:instance/ins-nothere1"
    mark = [{"TagKey": "tke-orphans:marked-at", "TagValue": "x"}]
    tag = ("tag", "2018-08-13", "TagResources")
    answer = api.call(*tag, {"ResourceList": [good, bad], "Tags": mark})
    assert [f["Resource"] for f in answer["FailedResources"]] == [bad]
    tags = api.em.store.regions["ap-shanghai"].by_id["ins-shorp001"]["Tags"]
    assert {"Key": "tke-orphans:marked-at", "Value": "x"} in tags
    too_many = {"ResourceList": [good] * 11, "Tags": [{"TagKey": "k", "TagValue": "v"}]}
    assert code_of(api, *tag, too_many, "") == "LimitExceeded.ResourceNumPerRequest"
    eleven = {"ResourceList": [good], "Tags": [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(11)]}
    assert code_of(api, *tag, eleven, "") == "LimitExceeded.TagNumPerRequest"
    for key in ("qcloud:x", "tencent-owned", "Project"):
        reserved = {"ResourceList": [good], "Tags": [{"TagKey": key, "TagValue": "v"}]}
        assert code_of(api, *tag, reserved, "") == "InvalidParameterValue.ReservedTagKey"
    # A key of at most 127 characters and a value of at most 255, as the tag API documents.
    for key, value, code in (("k" * 128, "v", "TagKeyLengthExceeded"), ("k", "v" * 256, "TagValueLengthExceeded")):
        long = {"ResourceList": [good], "Tags": [{"TagKey": key, "TagValue": value}]}
        assert code_of(api, *tag, long, "") == f"InvalidParameterValue.{code}"
    edge = {"ResourceList": [good], "Tags": [{"TagKey": "k" * 127, "TagValue": "v" * 255}]}
    assert api.call(*tag, edge)["FailedResources"] == []


def test_add_existed_instances(api: Api) -> None:
    params = {"ClusterId": "cls-prodsh01", "InstanceIds": ["ins-shorp001", "ins-shapi001", "ins-nothere1"],
              "NodePool": {"AddToNodePool": True, "NodePoolId": "np-api00001"}}  # fmt: skip
    answer = api.call("tke", "2018-05-25", "AddExistedInstances", params, "ap-shanghai")
    assert answer["SuccInstanceIds"] == ["ins-shorp001"]
    assert answer["FailedInstanceIds"] == ["ins-shapi001", "ins-nothere1"]
    assert answer["FailedReasons"] == ["instance already in cluster cls-prodsh01", "instance not found"]
    nodes = api.call("tke", "2018-05-25", "DescribeClusterInstances", {"ClusterId": "cls-prodsh01"},
                     "ap-shanghai")["InstanceSet"]  # fmt: skip
    assert {"InstanceId": "ins-shorp001", "NodePoolId": "np-api00001"}.items() <= next(
        n for n in nodes if n["InstanceId"] == "ins-shorp001").items()  # fmt: skip
    # Only instances in the cluster's VPC can join it (an instance whose world states no VPC is taken to be in it).
    vpc = {**api.em.store.regions["ap-shanghai"].by_id["ins-shnode01"]["VirtualPrivateCloud"], "VpcId": "vpc-x"}
    api.em.store.set_instance("ap-shanghai", "ins-shnode01", VirtualPrivateCloud=vpc)
    other = api.call("tke", "2018-05-25", "AddExistedInstances", {"ClusterId": "cls-prodsh01",
                     "InstanceIds": ["ins-shnode01"]}, "ap-shanghai")  # fmt: skip
    assert other["FailedReasons"] == ["instance is in vpc-x, not in the cluster's VPC"]
    bad_pool = {**params, "NodePool": {"NodePoolId": "np-nothere1"}}
    assert code_of(api, "tke", "2018-05-25", "AddExistedInstances", bad_pool, "ap-shanghai") == "ResourceNotFound"


def test_add_existed_instances_checks_its_options_as_the_sdk_documents_them(api: Api) -> None:
    base = {"ClusterId": "cls-prodsh01", "InstanceIds": ["ins-shorp001"]}
    add = ("tke", "2018-05-25", "AddExistedInstances")
    for pool in ("np-api00001", {"AddToNodePool": "yes", "NodePoolId": "np-api00001"}, {"NodePoolId": 7},
                 {"NodePoolId": "np-api00001", "Colour": "red"}):  # fmt: skip
        assert code_of(api, *add, {**base, "NodePool": pool}, "ap-shanghai") == "InvalidParameter", pool
    two_groups = {**base, "SecurityGroupIds": ["sg-00000001", "sg-00000002"]}  # "only a single sgId, for now"
    assert code_of(api, *add, two_groups, "ap-shanghai") == "InvalidParameter.Param"
    one_group = {**base, "SecurityGroupIds": ["sg-00000001"], "NodePool": {"AddToNodePool": False}}
    assert api.call(*add, one_group, "ap-shanghai")["SuccInstanceIds"] == ["ins-shorp001"]


def test_add_existed_instances_refuses_spot_instances(api: Api) -> None:
    # The SDK's docstring of InstanceIds: 不支持竞价实例 (spot instances are not supported).
    api.em.store.set_instance("ap-shanghai", "ins-shorp001", InstanceChargeType="SPOTPAID")
    params = {"ClusterId": "cls-prodsh01", "InstanceIds": ["ins-shorp001"]}
    answer = api.call("tke", "2018-05-25", "AddExistedInstances", params, "ap-shanghai")
    assert answer["FailedInstanceIds"] == ["ins-shorp001"] and "spot" in answer["FailedReasons"][0]


def test_terminate_instances_flags_are_booleans(api: Api) -> None:
    params = {"InstanceIds": ["ins-gzorp001"], "ReleaseAddress": "yes"}
    assert code_of(api, *CVM, "TerminateInstances", params, "ap-guangzhou") == "InvalidParameter"
