"""Property-based: over generated worlds, the scan equals the answer key, and no node is ever an orphan."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tke_orphans_testkit.emulator.generate import generate_world

from .conftest import orphan_ids, scan_world

worlds = st.builds(
    generate_world,
    regions=st.integers(1, 3),
    instances=st.integers(20, 400),
    clusters=st.integers(0, 8),
    seed=st.integers(0, 2**16),
)
FAULTS = [
    {"action": "DescribeClusterInstances", "probability": 0.3, "code": "InternalError"},
    {"action": "DescribeClusterInstances", "probability": 0.2, "effect": "http_500"},
    {"action": "DescribeNodePools", "probability": 0.3, "code": "InternalError"},
    {"action": "DescribeClusters", "probability": 0.3, "code": "InternalError"},
    {"action": "DescribeExistedInstances", "probability": 0.3, "code": "InternalError"},
    {"action": "DescribeInstances", "probability": 0.2, "code": "InternalError"},
    {"probability": 0.3, "code": "RequestLimitExceeded"},
    {"action": "DescribeClusterInstances", "probability": 0.3, "effect": "short"},
    {"action": "DescribeInstances", "probability": 0.3, "effect": "short"},
    {"action": "DescribeExistedInstances", "probability": 0.3, "effect": "short"},
]
SLOW = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def nodes_of(world: dict[str, Any]) -> set[str]:
    return {n["InstanceId"] for r in world["regions"].values() for c in r["clusters"] for n in c["nodes"]}


@SLOW
@given(world=worlds)
def test_without_faults_the_orphans_are_the_answer_key(world: dict[str, Any]) -> None:
    result = scan_world(world)
    assert result.status == "ok"
    expected = {(o["region"], o["instance_id"]): o for o in world["answer_key"]["orphans"]}
    got = {(o.region, o.instance.instance_id): o for o in result.orphans}
    assert set(got) == set(expected)
    for key, orphan in got.items():
        want = expected[key]
        assert (orphan.reason.value, orphan.cluster_id, orphan.node_pool_id) == (
            want["reason"],
            want.get("cluster_id"),
            want.get("node_pool_id"),
        )
    assert not result.unverified
    assert not orphan_ids(result) & nodes_of(world)


@SLOW
@given(world=worlds, faults=st.lists(st.sampled_from(FAULTS), min_size=1, max_size=3), seed=st.integers(0, 99))
def test_with_faults_no_node_is_ever_an_orphan(world: dict[str, Any], faults: list[dict[str, Any]], seed: int) -> None:
    result = scan_world(world, faults=faults, seed=seed, tencentcloud={"retry": {"max_attempts": 2, "base_delay": 0}})
    found = orphan_ids(result)
    assert not found & nodes_of(world)
    # Whatever failed, an orphan reported is a real one; in a region scanned without error, every real one is found.
    expected = {o["instance_id"] for o in world["answer_key"]["orphans"]}
    assert found <= expected
    clean = {r.region for r in result.regions if r.status == "ok"}
    for o in world["answer_key"]["orphans"]:
        if o["region"] in clean:
            assert o["instance_id"] in found
    assert (result.status == "ok") == (not result.errors and all(r.status == "ok" for r in result.regions))
