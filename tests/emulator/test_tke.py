"""tke 2018-05-25 through TkeClient and tke 2022-05-01 through CommonClient: the traps a checker must survive."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tke.v20180525 import models as m18
from tencentcloud.tke.v20220501 import models as m22

GZ = "ap-guangzhou"
BIG_REGION = "ap-beijing"
BIG_CLUSTER = "cls-big00001"
N_CLUSTERS = 130
N_NODES = 250  # in BIG_CLUSTER: every 10th a native node, the rest regular in two pools or none


def _big_world() -> dict[str, Any]:
    instances: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for i in range(N_NODES):
        iid = f"ins-bj{i:06d}"
        instances.append({"InstanceId": iid, "CreatedTime": "-2d", "Placement": {"Zone": "ap-beijing-5"}})
        if i % 10 == 0:
            node = {
                "InstanceId": iid,
                "NodeType": "Native",
                "NodePoolId": "np-nat00bj",
                "MachineName": f"np-nat00bj-m{i:05d}",
            }
        elif i % 3 == 0:
            node = {"InstanceId": iid}
        else:
            node = {"InstanceId": iid, "NodePoolId": "np-pool0a" if i % 2 else "np-pool0b"}
        nodes.append(node)
    clusters = [
        {
            "ClusterId": BIG_CLUSTER,
            "CreatedTime": "-100d",
            "node_pools": [
                {"NodePoolId": "np-pool0a", "AutoscalingGroupId": "asg-pool0a"},
                {"NodePoolId": "np-pool0b", "AutoscalingGroupId": "asg-pool0b"},
                {"NodePoolId": "np-nat00bj", "Type": "Native"},
            ],
            "nodes": nodes,
        }
    ]
    clusters += [{"ClusterId": f"cls-s{i:07d}", "CreatedTime": f"-{i + 1}d"} for i in range(N_CLUSTERS - 1)]
    return {"regions": {BIG_REGION: {"instances": instances, "clusters": clusters}}}


BIG = _big_world()
BIG_NODES: list[dict[str, Any]] = BIG["regions"][BIG_REGION]["clusters"][0]["nodes"]
POOL_ASG = {"np-pool0a": "asg-pool0a", "np-pool0b": "asg-pool0b"}


@pytest.fixture(scope="module")
def big(serve_module):
    return serve_module(BIG)


def req(cls: type, params: dict[str, Any]) -> Any:
    r = cls()
    r.from_json_string(json.dumps(params))
    return r


def sdk_error(call: Callable[[], Any]) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        call()
    return str(info.value.get_code())


def page_2018(client: Any, params: dict[str, Any], limit: int) -> tuple[list[Any], set[int]]:
    items: list[Any] = []
    totals: set[int] = set()
    offset = 0
    while True:
        resp = client.DescribeClusterInstances(
            req(m18.DescribeClusterInstancesRequest, {**params, "Offset": offset, "Limit": limit})
        )
        totals.add(resp.TotalCount)
        assert len(resp.InstanceSet) <= limit
        items += resp.InstanceSet
        offset += limit
        if offset >= resp.TotalCount:
            return items, totals


def nodes_of(world: Any, region: str, cluster_id: str) -> Any:
    return next(c for c in world.spec.regions[region].clusters if c.ClusterId == cluster_id).nodes


# ---- 2018: DescribeClusters ---------------------------------------------------------------------------------


def test_describe_clusters_pages_over_more_than_100_clusters(big):
    client = big.tke(BIG_REGION)
    first = client.DescribeClusters(m18.DescribeClustersRequest())
    assert first.TotalCount == N_CLUSTERS
    assert len(first.Clusters) == 20  # the default Limit
    ids: list[str] = []
    offset = 0
    while offset < N_CLUSTERS:
        resp = client.DescribeClusters(req(m18.DescribeClustersRequest, {"Offset": offset, "Limit": 100}))
        assert resp.TotalCount == N_CLUSTERS
        ids += [c.ClusterId for c in resp.Clusters]
        offset += 100
    expected = [c["ClusterId"] for c in BIG["regions"][BIG_REGION]["clusters"]]
    assert len(ids) == N_CLUSTERS
    assert sorted(ids) == sorted(expected)
    assert sdk_error(lambda: client.DescribeClusters(req(m18.DescribeClustersRequest, {"Limit": 101}))).startswith(
        "InvalidParameter"
    )


def test_describe_clusters_shows_the_world(demo, demo_world):
    resp = demo.tke(GZ).DescribeClusters(req(m18.DescribeClustersRequest, {"Limit": 100}))
    want = {c.ClusterId: c for c in demo_world.spec.regions[GZ].clusters}
    got = {c.ClusterId: c for c in resp.Clusters}
    assert set(got) == set(want)
    for cid, c in got.items():
        assert c.ClusterType == want[cid].ClusterType
        assert c.ClusterName == want[cid].ClusterName
        assert c.ClusterNetworkSettings.VpcId == want[cid].VpcId


# ---- 2018: DescribeClusterInstances -------------------------------------------------------------------------


def test_unknown_cluster_is_cluster_not_found(demo):
    client = demo.tke(GZ)
    code = sdk_error(
        lambda: client.DescribeClusterInstances(req(m18.DescribeClusterInstancesRequest, {"ClusterId": "cls-nothere"}))
    )
    assert code == "InvalidParameter.ClusterNotFound"


def test_cluster_of_another_region_is_not_found(demo):
    client = demo.tke("ap-shanghai")
    code = sdk_error(
        lambda: client.DescribeClusterInstances(req(m18.DescribeClusterInstancesRequest, {"ClusterId": "cls-prodgz01"}))
    )
    assert code == "InvalidParameter.ClusterNotFound"


def test_cluster_instances_default_to_workers_and_all_lists_masters(demo, demo_world):
    cid = "cls-opsgz002"
    nodes = nodes_of(demo_world, GZ, cid)
    workers = {n.InstanceId for n in nodes if n.InstanceRole == "WORKER"}
    everyone = {n.InstanceId for n in nodes}
    assert workers != everyone, "the demo's independent cluster has masters"
    client = demo.tke(GZ)

    default = client.DescribeClusterInstances(req(m18.DescribeClusterInstancesRequest, {"ClusterId": cid}))
    assert {i.InstanceId for i in default.InstanceSet} == workers
    assert default.TotalCount == len(workers)
    assert {i.InstanceRole for i in default.InstanceSet} == {"WORKER"}

    every = client.DescribeClusterInstances(
        req(m18.DescribeClusterInstancesRequest, {"ClusterId": cid, "InstanceRole": "ALL"})
    )
    assert {i.InstanceId for i in every.InstanceSet} == everyone
    assert every.TotalCount == len(everyone)
    roles = {i.InstanceId: i.InstanceRole for i in every.InstanceSet}
    assert roles == {n.InstanceId: n.InstanceRole for n in nodes}


def test_native_nodes_are_listed_by_machine_id_not_cvm_id(demo, demo_world):
    cid = "cls-prodgz01"
    nodes = nodes_of(demo_world, GZ, cid)
    native = [n for n in nodes if n.NodeType == "Native"]
    assert native, "the demo has a native node"
    resp = demo.tke(GZ).DescribeClusterInstances(
        req(m18.DescribeClusterInstancesRequest, {"ClusterId": cid, "InstanceRole": "ALL", "Limit": 100})
    )
    listed = {i.InstanceId for i in resp.InstanceSet}
    for n in native:
        assert n.MachineName in listed
        assert n.InstanceId not in listed
        assert n.MachineName.startswith(n.NodePoolId + "-")
    regular = {n.InstanceId for n in nodes if n.NodeType == "Regular"}
    assert listed == regular | {n.MachineName for n in native}


def test_cluster_instances_page_over_more_than_100_nodes(big):
    items, totals = page_2018(big.tke(BIG_REGION), {"ClusterId": BIG_CLUSTER}, 100)
    expected = [n.get("MachineName") or n["InstanceId"] for n in BIG_NODES]
    assert totals == {N_NODES}
    ids = [i.InstanceId for i in items]
    assert len(ids) == N_NODES
    assert sorted(ids) == sorted(expected)
    again, _ = page_2018(big.tke(BIG_REGION), {"ClusterId": BIG_CLUSTER}, 33)
    assert [i.InstanceId for i in again] == ids
    by_id = {i.InstanceId: i for i in items}
    for n in BIG_NODES:
        item = by_id[n.get("MachineName") or n["InstanceId"]]
        assert item.NodePoolId == n.get("NodePoolId", "")
        assert item.AutoscalingGroupId == POOL_ASG.get(n.get("NodePoolId", ""), "")


# ---- 2018: DescribeClusterNodePools -------------------------------------------------------------------------


def test_node_pools_2018_list_regular_pools_with_their_asg(demo, demo_world):
    cid = "cls-prodgz01"
    spec = next(c for c in demo_world.spec.regions[GZ].clusters if c.ClusterId == cid)
    regular = {p.NodePoolId: p for p in spec.node_pools if p.Type == "Regular"}
    assert regular
    resp = demo.tke(GZ).DescribeClusterNodePools(req(m18.DescribeClusterNodePoolsRequest, {"ClusterId": cid}))
    got = {p.NodePoolId: p for p in resp.NodePoolSet}
    assert set(got) == set(regular)
    assert resp.TotalCount == len(regular)
    for pid, pool in got.items():
        assert pool.AutoscalingGroupId == regular[pid].AutoscalingGroupId
        assert pool.Name == regular[pid].Name
        assert pool.ClusterInstanceId == cid
        members = sum(1 for n in spec.nodes if n.NodePoolId == pid)
        assert pool.NodeCountSummary.AutoscalingAdded.Total == members


# ---- 2018: DescribeExistedInstances -------------------------------------------------------------------------


def test_existed_instances_already_in_cluster_across_the_region(demo, demo_world):
    region = demo_world.spec.regions[GZ]
    owner = {n.InstanceId: c.ClusterId for c in region.clusters for n in c.nodes}
    ids = [i.InstanceId for i in region.instances]
    assert len(ids) <= 100
    native_cvms = {n.InstanceId for c in region.clusters for n in c.nodes if n.NodeType == "Native"}
    assert native_cvms
    resp = demo.tke(GZ).DescribeExistedInstances(
        req(m18.DescribeExistedInstancesRequest, {"InstanceIds": ids, "Limit": 100})
    )
    got = {i.InstanceId: i for i in resp.ExistedInstanceSet}
    assert set(got) == set(ids)
    assert {iid: i.AlreadyInCluster for iid, i in got.items()} == {iid: owner.get(iid, "") for iid in ids}
    assert {owner[i] for i in native_cvms} <= {got[i].AlreadyInCluster for i in native_cvms}
    assert len(set(owner.values())) >= 2, "nodes of more than one cluster are recognised"
    for iid, item in got.items():
        if iid in owner:
            assert not item.Usable


def test_existed_instances_rejects_instance_ids_with_cluster_id(demo):
    client = demo.tke(GZ)
    code = sdk_error(
        lambda: client.DescribeExistedInstances(
            req(m18.DescribeExistedInstancesRequest, {"ClusterId": "cls-prodgz01", "InstanceIds": ["ins-gzweb001"]})
        )
    )
    assert code == "InvalidParameter.Param"


# ---- 2022 ---------------------------------------------------------------------------------------------------


def call22(api: Any, region: str, action: str, params: dict[str, Any]) -> Any:
    return api.call("tke", "2022-05-01", action, params, region)


def model22(cls: type, response: dict[str, Any]) -> Any:
    """Fill the SDK model; the SDK warns about fields it does not know, which would mean a wrong shape."""
    model = cls()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model._deserialize(response)
    return model


def test_2022_cluster_instances_native_and_regular(demo, demo_world):
    cid = "cls-prodgz01"
    spec = next(c for c in demo_world.spec.regions[GZ].clusters if c.ClusterId == cid)
    asg = {p.NodePoolId: p.AutoscalingGroupId or "" for p in spec.node_pools}
    resp = model22(
        m22.DescribeClusterInstancesResponse,
        call22(demo, GZ, "DescribeClusterInstances", {"ClusterId": cid, "Limit": 100}),
    )
    assert resp.TotalCount == len(spec.nodes)
    assert len(resp.InstanceSet) == len(spec.nodes)
    assert resp.RequestId
    native = [i for i in resp.InstanceSet if i.NodeType == "Native"]
    regular = [i for i in resp.InstanceSet if i.NodeType == "Regular"]
    want_native = {n.InstanceId: n for n in spec.nodes if n.NodeType == "Native"}
    assert {i.Native.InstanceId for i in native} == set(want_native)
    for item in native:
        node = want_native[item.Native.InstanceId]
        assert item.Native.InstanceId.startswith("ins-")
        assert item.Native.MachineType == "NativeCVM"
        assert item.Native.MachineName == node.MachineName
        assert item.NodePoolId == node.NodePoolId
        assert item.Regular is None
    want_regular = {n.InstanceId: n for n in spec.nodes if n.NodeType == "Regular"}
    assert {i.InstanceId for i in regular} == set(want_regular)
    for item in regular:
        pool = want_regular[item.InstanceId].NodePoolId
        assert item.Regular.AutoscalingGroupId == (asg[pool] if pool else "")
        assert item.Native is None
    assert any(i.Regular.AutoscalingGroupId for i in regular)


def test_2022_unknown_cluster(demo):
    with pytest.raises(TencentCloudSDKException) as info:
        call22(demo, GZ, "DescribeClusterInstances", {"ClusterId": "cls-nothere"})
    assert "ClusterNotFound" in info.value.get_code()


def test_2022_cluster_instances_page_over_more_than_100_nodes(big):
    cvm_ids: list[str] = []
    offset = 0
    totals: set[int] = set()
    while True:
        raw = call22(
            big, BIG_REGION, "DescribeClusterInstances", {"ClusterId": BIG_CLUSTER, "Offset": offset, "Limit": 100}
        )
        resp = model22(m22.DescribeClusterInstancesResponse, raw)
        totals.add(resp.TotalCount)
        for item in resp.InstanceSet:
            cvm_ids.append(item.Native.InstanceId if item.NodeType == "Native" else item.InstanceId)
        offset += 100
        if offset >= resp.TotalCount:
            break
    assert totals == {N_NODES}
    assert len(cvm_ids) == N_NODES
    assert sorted(cvm_ids) == sorted(n["InstanceId"] for n in BIG_NODES)


def test_2022_node_pools_include_the_native_pool(demo, demo_world):
    cid = "cls-prodgz01"
    spec = next(c for c in demo_world.spec.regions[GZ].clusters if c.ClusterId == cid)
    resp = model22(m22.DescribeNodePoolsResponse, call22(demo, GZ, "DescribeNodePools", {"ClusterId": cid}))
    types = {p.NodePoolId: p.Type for p in resp.NodePools}
    assert types == {p.NodePoolId: p.Type for p in spec.node_pools}
    assert "Native" in types.values()
    assert resp.TotalCount == len(spec.node_pools)
    for pool in resp.NodePools:
        assert pool.ClusterId == cid
        if pool.Type == "Native":
            assert pool.Native.MachineType == "NativeCVM"
        else:
            want = next(p for p in spec.node_pools if p.NodePoolId == pool.NodePoolId)
            assert pool.Regular.AutoscalingGroupId == want.AutoscalingGroupId
