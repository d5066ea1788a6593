"""The world generator: valid worlds, every trap present, the same seed gives the same world."""

from __future__ import annotations

import collections
import json
from pathlib import Path

from tke_orphans_testkit.emulator import load_world, world_from_data
from tke_orphans_testkit.emulator.generate import generate_world, write_world


def test_generated_world_is_valid_and_has_every_kind() -> None:
    data = generate_world(regions=2, instances=2000, clusters=20, seed=7)
    world = world_from_data(data)
    assert sum(len(r.instances) for r in world.spec.regions.values()) == 2000
    assert sum(len(r.clusters) for r in world.spec.regions.values()) == 20
    reasons = collections.Counter(o["reason"] for o in data["answer_key"]["orphans"])
    assert set(reasons) == {"removed_from_cluster", "cluster_deleted", "node_pool_deleted"}
    clusters = [c for r in world.spec.regions.values() for c in r.clusters]
    assert any(c.ClusterType == "INDEPENDENT_CLUSTER" for c in clusters)
    nodes = [n for c in clusters for n in c.nodes]
    assert any(n.NodeType == "Native" for n in nodes)
    assert any(n.InstanceRole == "MASTER_ETCD" for n in nodes)
    instances = [i for r in world.spec.regions.values() for i in r.instances]
    states = {i.InstanceState for i in instances}
    assert {"SHUTDOWN", "RUNNING"} <= states
    assert any("cluster" in i.InstanceName for i in instances if i.InstanceName.startswith("redis"))
    whys = " ".join(data["answer_key"]["not_orphans"].values())
    for phrase in ("grace period", "ignored by tag", "now a node of", "native node", "master of independent"):
        assert phrase in whys


def test_same_seed_same_world_other_seed_other_world() -> None:
    a = generate_world(regions=1, instances=300, clusters=4, seed=1)
    assert a == generate_world(regions=1, instances=300, clusters=4, seed=1)
    assert a != generate_world(regions=1, instances=300, clusters=4, seed=2)


def test_orphans_are_never_nodes() -> None:
    data = generate_world(regions=3, instances=3000, clusters=30, seed=11)
    nodes = {n["InstanceId"] for r in data["regions"].values() for c in r["clusters"] for n in c["nodes"]}
    assert not nodes & {o["instance_id"] for o in data["answer_key"]["orphans"]}


def test_write_json_and_yaml(tmp_path: Path) -> None:
    data = generate_world(regions=1, instances=100, clusters=2, seed=3)
    for name in ("w.json", "w.yaml"):
        write_world(data, tmp_path / name)
        world = load_world(tmp_path / name)
        assert len(world.spec.regions["ap-guangzhou"].instances) == 100
    assert json.loads((tmp_path / "w.json").read_text())["answer_key"] == data["answer_key"]
