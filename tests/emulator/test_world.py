"""World files: relative times, loading YAML and JSON, and precise errors for worlds that cannot exist."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from tencentcloud.cvm.v20170312 import models as cvm_models
from tencentcloud.tke.v20180525 import models as tke_models

from tke_orphans_testkit.emulator import WorldError, load_world, world_from_data

GZ = "ap-guangzhou"
CREDS = [{"secret_id": "AKIDworld", "secret_key": "world-key"}]


def base_world() -> dict[str, Any]:
    return {
        "credentials": copy.deepcopy(CREDS),
        "regions": {
            GZ: {
                "instances": [
                    {"InstanceId": "ins-w0000001", "CreatedTime": "-3d", "Placement": {"Zone": "ap-guangzhou-3"}},
                    {"InstanceId": "ins-w0000002", "CreatedTime": "-2h", "Placement": {"Zone": "ap-guangzhou-4"}},
                ],
                "clusters": [
                    {
                        "ClusterId": "cls-w0000001",
                        "CreatedTime": "-5m",
                        "node_pools": [{"NodePoolId": "np-nat00001", "Type": "Native"}],
                        "nodes": [{"InstanceId": "ins-w0000001"}],
                    },
                    {"ClusterId": "cls-w0000002", "CreatedTime": "-1w", "ClusterType": "INDEPENDENT_CLUSTER"},
                ],
            }
        },
    }


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---- relative times -----------------------------------------------------------------------------------------


def test_relative_times_are_anchored_at_the_given_instant():
    now = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    data = base_world()
    data["regions"][GZ]["instances"][1]["ExpiredTime"] = "+30d"
    data["regions"][GZ]["instances"][1]["InstanceChargeType"] = "PREPAID"
    world = world_from_data(data, now=now)
    first, second = world.spec.regions[GZ].instances
    assert first.CreatedTime == now - timedelta(days=3)
    assert second.CreatedTime == now - timedelta(hours=2)
    assert second.ExpiredTime == now + timedelta(days=30)
    clusters = world.spec.regions[GZ].clusters
    assert clusters[0].CreatedTime == now - timedelta(minutes=5)
    assert clusters[1].CreatedTime == now - timedelta(weeks=1)


def test_relative_times_are_served_as_absolute_times_before_start(serve):
    before = datetime.now(UTC)
    data = base_world()
    data["regions"][GZ]["instances"][0]["ExpiredTime"] = "2030-01-02T03:04:05Z"
    world = world_from_data(data)
    after = datetime.now(UTC)
    api = serve(world)
    resp = api.cvm(GZ).DescribeInstances(cvm_models.DescribeInstancesRequest())
    created = {i.InstanceId: i.CreatedTime for i in resp.InstanceSet}
    slack = timedelta(seconds=2)  # the world's instant is truncated to whole seconds
    for iid, delta in (("ins-w0000001", timedelta(days=3)), ("ins-w0000002", timedelta(hours=2))):
        assert created[iid].endswith("Z")
        assert before - delta - slack <= _time(created[iid]) <= after - delta + slack
    expired = {i.InstanceId: i.ExpiredTime for i in resp.InstanceSet}
    assert _time(expired["ins-w0000001"]) == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert expired["ins-w0000002"] is None
    clusters = api.tke(GZ).DescribeClusters(tke_models.DescribeClustersRequest()).Clusters
    cluster_created = {c.ClusterId: _time(c.CreatedTime) for c in clusters}
    assert before - timedelta(minutes=5) - slack <= cluster_created["cls-w0000001"] <= after - timedelta(minutes=5)


# ---- loading files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_load_world_from_yaml_and_json(tmp_path, serve, suffix):
    data = base_world()
    path = tmp_path / f"world{suffix}"
    path.write_text(json.dumps(data) if suffix == ".json" else yaml.safe_dump(data), encoding="utf-8")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    world = load_world(path, now=now)
    assert world.source == str(path)
    assert world.spec == world_from_data(base_world(), now=now).spec
    api = serve(load_world(path))
    ids = [i.InstanceId for i in api.cvm(GZ).DescribeInstances(cvm_models.DescribeInstancesRequest()).InstanceSet]
    assert ids == [i["InstanceId"] for i in data["regions"][GZ]["instances"]]


def test_demo_world_as_json_is_the_same_world(tmp_path, demo_world):
    demo_path = Path(demo_world.source)
    as_json = tmp_path / "demo-world.json"
    as_json.write_text(json.dumps(yaml.safe_load(demo_path.read_text(encoding="utf-8"))), encoding="utf-8")
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    from_yaml, from_json = load_world(demo_path, now=now), load_world(as_json, now=now)
    assert from_json.spec == from_yaml.spec
    assert from_json.spec.regions[GZ].instances
    assert from_json.credentials.keys() == from_yaml.credentials.keys()


@pytest.mark.parametrize(
    ("name", "text"),
    [("nope.yaml", None), ("broken.yaml", "regions: [unclosed\n"), ("list.json", "[1, 2]"), ("bad.json", "{")],
    ids=["missing", "bad-yaml", "not-a-mapping", "bad-json"],
)
def test_unreadable_and_malformed_files_name_the_file(tmp_path, name, text):
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(WorldError) as info:
        load_world(path)
    assert str(info.value).startswith(str(path))
    assert info.value.source == str(path)


# ---- bad worlds ---------------------------------------------------------------------------------------------


def _node(d: dict[str, Any], c: int = 0, n: int = 0) -> Any:
    return d["regions"][GZ]["clusters"][c]["nodes"][n]


def _set(fn: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], None]:
    return lambda d: (fn(d), None)[1]


BAD: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "node-of-missing-instance",
        _set(lambda d: _node(d).update(InstanceId="ins-missing1")),
        "regions.ap-guangzhou.clusters[0].nodes[0].InstanceId",
        "ins-missing1",
    ),
    (
        "role-not-a-role",
        _set(lambda d: _node(d).update(InstanceRole="BOSS")),
        "regions.ap-guangzhou.clusters[0].nodes[0].InstanceRole",
        "",
    ),
    (
        "role-wrong-type",
        _set(lambda d: _node(d).update(InstanceRole=["WORKER"])),
        "regions.ap-guangzhou.clusters[0].nodes[0].InstanceRole",
        "",
    ),
    (
        "master-in-managed-cluster",
        _set(lambda d: _node(d).update(InstanceRole="MASTER_ETCD")),
        "regions.ap-guangzhou.clusters[0].nodes[0].InstanceRole",
        "managed",
    ),
    (
        "unknown-key",
        _set(lambda d: _node(d).update(Colour="red")),
        "regions.ap-guangzhou.clusters[0].nodes[0].Colour",
        "unknown key",
    ),
    (
        "zone-outside-region",
        _set(lambda d: d["regions"][GZ]["instances"][0]["Placement"].update(Zone="ap-shanghai-2")),
        "regions.ap-guangzhou.instances[0].Placement.Zone",
        "ap-shanghai-2",
    ),
    (
        "duplicate-instance-id",
        _set(lambda d: d["regions"][GZ]["instances"][1].update(InstanceId="ins-w0000001")),
        "regions.ap-guangzhou.instances[1].InstanceId",
        "ins-w0000001",
    ),
    (
        "bad-relative-time",
        _set(lambda d: d["regions"][GZ]["instances"][0].update(CreatedTime="-3x")),
        "regions.ap-guangzhou.instances[0].CreatedTime",
        "-3x",
    ),
    (
        "node-in-two-clusters",
        _set(lambda d: d["regions"][GZ]["clusters"][1].update(nodes=[{"InstanceId": "ins-w0000001"}])),
        "regions.ap-guangzhou.clusters[1].nodes[0].InstanceId",
        "cls-w0000001",
    ),
    (
        "native-node-without-machine-name",
        _set(lambda d: _node(d).update(NodeType="Native", NodePoolId="np-nat00001")),
        "regions.ap-guangzhou.clusters[0].nodes[0].MachineName",
        "",
    ),
    (
        "node-pool-of-another-cluster",
        _set(lambda d: _node(d).update(NodePoolId="np-other001")),
        "regions.ap-guangzhou.clusters[0].nodes[0].NodePoolId",
        "np-other001",
    ),
    (
        "missing-required-key",
        _set(lambda d: d["regions"][GZ]["instances"][1].pop("Placement")),
        "regions.ap-guangzhou.instances[1].Placement",
        "missing",
    ),
]


@pytest.mark.parametrize(("mutate", "path", "detail"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_world_names_file_and_path(tmp_path, mutate, path, detail):
    data = base_world()
    world_from_data(copy.deepcopy(data))  # the base world itself is valid
    mutate(data)
    file = tmp_path / "bad-world.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(WorldError) as info:
        load_world(file)
    err = info.value
    assert err.source == str(file)
    assert err.path == path
    assert "bad-world.yaml" in str(err)
    assert path in str(err)
    assert detail in err.problem
    assert err.problem
