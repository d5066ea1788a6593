"""TKE's own deleting calls, through TkeClient: what each leaves behind for the scan to find, with the real rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.tke.v20180525 import models

from tke_orphans_testkit.emulator import World

Api = Any  # the `Api` helper of this folder's conftest: a running emulator and SDK clients for it
GZ = "ap-guangzhou"
PROD = "cls-prodgz01"  # nodes: ins-gzweb001/2 (pool np-web00001, postpaid), ins-gzwrk001 (prepaid), a native node


@pytest.fixture
def api(serve: Callable[..., Api], demo_world: World) -> Api:
    return serve(demo_world)


def tke(api: Api, action: str, params: dict[str, Any]) -> Any:
    return api.sdk(api.tke(GZ), models, action, params)


def refused(api: Api, action: str, params: dict[str, Any]) -> str:
    return str(api.error_code(lambda: tke(api, action, params)))


def nodes(api: Api, cluster: str = PROD) -> set[str]:
    answer = tke(api, "DescribeClusterInstances", {"ClusterId": cluster, "InstanceRole": "ALL", "Limit": 100})
    return {i["InstanceId"] for i in answer["InstanceSet"]}


def running(api: Api, ids: list[str]) -> dict[str, str]:
    answer = api.call("cvm", "2017-03-12", "DescribeInstances", {"InstanceIds": ids}, GZ)
    return {i["InstanceId"]: i["InstanceState"] for i in answer["InstanceSet"]}


def owners(api: Api, ids: list[str]) -> dict[str, str]:
    answer = tke(api, "DescribeExistedInstances", {"InstanceIds": ids})
    return {i["InstanceId"]: i["AlreadyInCluster"] for i in answer["ExistedInstanceSet"]}


def clusters(api: Api) -> set[str]:
    return {c["ClusterId"] for c in tke(api, "DescribeClusters", {"Limit": 100})["Clusters"]}


def test_retain_removes_the_node_and_leaves_the_cvm_running(api: Api) -> None:
    params = {"ClusterId": PROD, "InstanceIds": ["ins-gzweb001"], "InstanceDeleteMode": "retain"}
    answer = tke(api, "DeleteClusterInstances", params)
    assert (answer["SuccInstanceIds"], answer["FailedInstanceIds"], answer["NotFoundInstanceIds"]) == (
        ["ins-gzweb001"], [], []
    )  # fmt: skip
    assert "ins-gzweb001" not in nodes(api)
    assert running(api, ["ins-gzweb001"]) == {"ins-gzweb001": "RUNNING"}
    assert owners(api, ["ins-gzweb001", "ins-gzweb002"]) == {"ins-gzweb001": "", "ins-gzweb002": PROD}


def test_terminate_destroys_postpaid_nodes_and_refuses_prepaid_ones(api: Api) -> None:
    ids = ["ins-gzweb001", "ins-gzwrk001", "ins-gzmst001", "ins-nothere1"]
    answer = tke(
        api, "DeleteClusterInstances", {"ClusterId": PROD, "InstanceIds": ids, "InstanceDeleteMode": "terminate"}
    )
    assert answer["SuccInstanceIds"] == ["ins-gzweb001"]
    assert answer["FailedInstanceIds"] == ["ins-gzwrk001"]  # prepaid: TKE terminates pay-as-you-go CVMs only
    assert answer["NotFoundInstanceIds"] == ["ins-gzmst001", "ins-nothere1"]  # a node of another cluster
    assert running(api, ["ins-gzweb001", "ins-gzwrk001"]) == {"ins-gzwrk001": "RUNNING"}
    assert nodes(api) == {"ins-gzweb002", "ins-gzwrk001", "np-nat00001-k3x9a"}
    # The PV it had attached is detached, not deleted: a leftover for the scan.
    disk = api.call("cbs", "2017-03-12", "DescribeDisks", {"DiskIds": ["disk-gzlive01"]}, GZ)["DiskSet"][0]
    assert (disk["DiskState"], disk["Attached"], disk["InstanceId"]) == ("UNATTACHED", False, "")


def test_masters_are_not_removed_and_native_nodes_go_by_machine_name(api: Api) -> None:
    master = {"ClusterId": "cls-opsgz002", "InstanceIds": ["ins-gzmst001"], "InstanceDeleteMode": "retain"}
    assert tke(api, "DeleteClusterInstances", master)["FailedInstanceIds"] == ["ins-gzmst001"]
    native = {"ClusterId": PROD, "InstanceIds": ["np-nat00001-k3x9a"], "InstanceDeleteMode": "retain"}
    assert tke(api, "DeleteClusterInstances", native)["SuccInstanceIds"] == ["np-nat00001-k3x9a"]
    assert owners(api, ["ins-gznat001"]) == {"ins-gznat001": ""}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"ClusterId": "cls-nothere1", "InstanceIds": ["ins-gzweb001"], "InstanceDeleteMode": "retain"},
         "InvalidParameter.ClusterNotFound"),
        ({"ClusterId": PROD, "InstanceIds": ["ins-gzweb001"]}, "MissingParameter"),
        ({"ClusterId": PROD, "InstanceDeleteMode": "retain"}, "MissingParameter"),
        ({"ClusterId": PROD, "InstanceIds": ["ins-gzweb001"], "InstanceDeleteMode": "keep"}, "InvalidParameter.Param"),
        ({"ClusterId": PROD, "InstanceIds": [f"ins-{i:08d}" for i in range(101)], "InstanceDeleteMode": "retain"},
         "InvalidParameter.Param"),
    ],
)  # fmt: skip
def test_delete_cluster_instances_refuses_bad_requests_and_changes_nothing(
    api: Api, params: dict[str, Any], code: str
) -> None:
    assert refused(api, "DeleteClusterInstances", params) == code
    assert nodes(api) == {"ins-gzweb001", "ins-gzweb002", "ins-gzwrk001", "np-nat00001-k3x9a"}


def test_delete_cluster_retain_leaves_every_node_and_disk_and_deletes_its_load_balancers(api: Api) -> None:
    tke(api, "DeleteCluster", {"ClusterId": PROD, "InstanceDeleteMode": "retain"})
    assert clusters(api) == {"cls-opsgz002"}
    ids = ["ins-gzweb001", "ins-gzweb002", "ins-gzwrk001", "ins-gznat001"]
    assert running(api, ids) == dict.fromkeys(ids, "RUNNING")
    assert set(owners(api, ids).values()) == {""}
    assert refused(api, "DescribeClusterInstances", {"ClusterId": PROD}) == "InvalidParameter.ClusterNotFound"
    disks = api.call("cbs", "2017-03-12", "DescribeDisks", {"DiskIds": ["disk-gzlive01", "disk-gzlive02"]}, GZ)
    assert disks["TotalCount"] == 2  # CBS is kept by default
    lbs = api.call("clb", "2018-03-17", "DescribeLoadBalancers", {}, GZ)["LoadBalancerSet"]
    assert "lb-gzlive01" not in {lb["LoadBalancerId"] for lb in lbs}  # its own CLBs go by default


def test_delete_cluster_terminate_keeps_prepaid_nodes_and_follows_the_resource_options(api: Api) -> None:
    options = [{"ResourceType": "CBS", "DeleteMode": "terminate"}, {"ResourceType": "CLB", "DeleteMode": "retain"}]
    tke(api, "DeleteCluster", {"ClusterId": PROD, "InstanceDeleteMode": "terminate", "ResourceDeleteOptions": options})
    ids = ["ins-gzweb001", "ins-gzweb002", "ins-gzwrk001", "ins-gznat001"]
    assert running(api, ids) == {"ins-gzwrk001": "RUNNING"}  # prepaid: left behind, in no cluster
    disks = api.call("cbs", "2017-03-12", "DescribeDisks", {"DiskIds": ["disk-gzlive01", "disk-gzlive02"]}, GZ)
    assert disks["TotalCount"] == 0
    lbs = api.call("clb", "2018-03-17", "DescribeLoadBalancers", {}, GZ)["LoadBalancerSet"]
    assert "lb-gzlive01" in {lb["LoadBalancerId"] for lb in lbs}


def test_delete_cluster_refuses_bad_requests(api: Api) -> None:
    assert refused(api, "DeleteCluster", {"ClusterId": "cls-nothere1", "InstanceDeleteMode": "retain"}) == (
        "ResourceNotFound.ClusterNotFound"
    )
    assert refused(api, "DeleteCluster", {"ClusterId": PROD}) == "MissingParameter"
    bad = {"ClusterId": PROD, "InstanceDeleteMode": "retain", "ResourceDeleteOptions": [
        {"ResourceType": "EIP", "DeleteMode": "terminate"}]}  # fmt: skip
    assert refused(api, "DeleteCluster", bad) == "InvalidParameter.Param"
    assert clusters(api) == {PROD, "cls-opsgz002"}


@pytest.mark.parametrize("keep", [True, False])
def test_delete_node_pool_takes_its_nodes_out_and_keeps_their_cvms_when_asked(api: Api, keep: bool) -> None:
    tke(api, "DeleteClusterNodePool", {"ClusterId": PROD, "NodePoolIds": ["np-web00001"], "KeepInstance": keep})
    pools = tke(api, "DescribeClusterNodePools", {"ClusterId": PROD})["NodePoolSet"]
    assert [p["NodePoolId"] for p in pools] == []
    assert nodes(api) == {"ins-gzwrk001", "np-nat00001-k3x9a"}
    pool_cvms = ["ins-gzweb001", "ins-gzweb002"]
    assert running(api, pool_cvms) == (dict.fromkeys(pool_cvms, "RUNNING") if keep else {})


def test_delete_node_pool_refuses_bad_requests(api: Api) -> None:
    assert refused(api, "DeleteClusterNodePool", {"ClusterId": PROD, "NodePoolIds": ["np-web00001"]}) == (
        "MissingParameter"  # KeepInstance is required
    )
    for pool in ("np-nothere1", "np-nat00001"):  # unknown, and native (the 2022 API deletes those)
        params = {"ClusterId": PROD, "NodePoolIds": ["np-web00001", pool], "KeepInstance": True}
        assert refused(api, "DeleteClusterNodePool", params) == "ResourceNotFound"
    assert nodes(api) == {"ins-gzweb001", "ins-gzweb002", "ins-gzwrk001", "np-nat00001-k3x9a"}


def test_delete_as_groups_terminates_by_default(api: Api) -> None:
    tke(api, "DeleteClusterAsGroups", {"ClusterId": PROD, "AutoScalingGroupIds": ["asg-web00001"]})
    assert running(api, ["ins-gzweb001", "ins-gzweb002"]) == {}
    params = {"ClusterId": PROD, "AutoScalingGroupIds": ["asg-web00001"]}
    assert refused(api, "DeleteClusterAsGroups", params) == "ResourceNotFound"  # gone with its pool
