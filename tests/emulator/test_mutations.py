"""The calls cleanup makes, through the official SDK: real semantics and error codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from tke_orphans.emulator import World

Api = Any  # the `Api` helper of this folder's conftest: a running emulator and SDK clients for it


@pytest.fixture
def api(serve: Callable[..., Api], demo_world: World) -> Api:
    return serve(demo_world)


def code_of(api: Api, service: str, version: str, action: str, params: dict[str, Any], region: str) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        api.call(service, version, action, params, region)
    return str(info.value.get_code())


def test_terminate_instances(api: Api) -> None:
    cvm = ("cvm", "2017-03-12", "TerminateInstances")
    assert code_of(api, *cvm, {"InstanceIds": ["ins-nothere1"]}, "ap-guangzhou") == "InvalidInstanceId.NotFound"
    assert code_of(api, *cvm, {"InstanceIds": ["bad"]}, "ap-guangzhou") == "InvalidInstanceId.Malformed"
    assert code_of(api, *cvm, {"InstanceIds": ["ins-gzdown01"]}, "ap-guangzhou") == (
        "OperationDenied.InstanceOperationInProgress"
    )
    api.em.store.set_instance("ap-guangzhou", "ins-gzorp003", DisableApiTermination=True)
    batch = {"InstanceIds": ["ins-gzorp001", "ins-gzorp003"]}
    assert code_of(api, *cvm, batch, "ap-guangzhou") == "UnsupportedOperation.InstancesProtected"
    # All or nothing: the refused batch changed nothing.
    assert api.em.store.regions["ap-guangzhou"].by_id["ins-gzorp001"]["InstanceState"] == "RUNNING"
    api.call(*cvm, {"InstanceIds": ["ins-gzorp001", "ins-gzorp002", "ins-gzweb001"]}, "ap-guangzhou")
    listed = api.call("cvm", "2017-03-12", "DescribeInstances",
                      {"InstanceIds": ["ins-gzorp001", "ins-gzorp002"]}, "ap-guangzhou")  # fmt: skip
    assert {i["InstanceState"] for i in listed["InstanceSet"]} == {"SHUTDOWN"}
    assert {i["InstanceId"]: i["IsolatedSource"] for i in listed["InstanceSet"]} == {
        "ins-gzorp001": "NOTISOLATED", "ins-gzorp002": "MANMADE"}  # fmt: skip
    # A terminated node leaves its cluster.
    nodes = api.call("tke", "2018-05-25", "DescribeClusterInstances", {"ClusterId": "cls-prodgz01"},
                     "ap-guangzhou")  # fmt: skip
    assert "ins-gzweb001" not in {n["InstanceId"] for n in nodes["InstanceSet"]}


def test_tag_resources_and_caller_identity(api: Api) -> None:
    uin = api.call("sts", "2018-08-13", "GetCallerIdentity", {})["AccountId"]
    assert uin == "100000000001"
    good = f"qcs::cvm:ap-shanghai:uin/{uin}:instance/ins-shorp001"
    bad = f"qcs::cvm:ap-shanghai:uin/{uin}:instance/ins-nothere1"
    mark = [{"TagKey": "tke-orphans:marked-at", "TagValue": "x"}]
    answer = api.call("tag", "2018-08-13", "TagResources", {"ResourceList": [good, bad], "Tags": mark})
    assert [f["Resource"] for f in answer["FailedResources"]] == [bad]
    tags = api.em.store.regions["ap-shanghai"].by_id["ins-shorp001"]["Tags"]
    assert {"Key": "tke-orphans:marked-at", "Value": "x"} in tags
    too_many = {"ResourceList": [good] * 11, "Tags": [{"TagKey": "k", "TagValue": "v"}]}
    assert code_of(api, "tag", "2018-08-13", "TagResources", too_many, "") == "InvalidParameterValue.ResourceNumLimit"


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
    bad_pool = {**params, "NodePool": {"NodePoolId": "np-nothere1"}}
    assert code_of(api, "tke", "2018-05-25", "AddExistedInstances", bad_pool, "ap-shanghai") == "ResourceNotFound"
