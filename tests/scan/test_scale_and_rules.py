"""Pagination past 100, moved instances, the grace period, states, ignore rules, several accounts."""

from __future__ import annotations

from typing import Any

from tke_orphans.model import ExcludedWhy, Reason

from .conftest import orphan_ids, scan_world

CRED = {"secret_id": "AKIDtest000000000000000000000000", "secret_key": "test-key"}
ZONE = {"Zone": "ap-guangzhou-3"}


def inst(iid: str, name: str, age: str = "-3d", **extra: Any) -> dict[str, Any]:
    return {"InstanceId": iid, "InstanceName": name, "CreatedTime": age, "Placement": ZONE, **extra}


def world(instances: list[dict[str, Any]], clusters: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {
        "credentials": [CRED, *more.pop("credentials", [])],
        "regions": {"ap-guangzhou": {"instances": instances, "clusters": clusters}},
    }


def test_more_than_100_clusters_and_100_nodes_in_a_cluster() -> None:
    instances: list[dict[str, Any]] = []
    clusters: list[dict[str, Any]] = []
    for c in range(130):
        cid = f"cls-c{c:04d}"
        instances.append(inst(f"ins-c{c:04d}", f"tke_{cid}_worker"))
        clusters.append({"ClusterId": cid, "CreatedTime": "-100d", "nodes": [{"InstanceId": f"ins-c{c:04d}"}]})
    big: dict[str, Any] = {"ClusterId": "cls-big00001", "CreatedTime": "-100d", "nodes": []}
    for n in range(250):
        instances.append(inst(f"ins-b{n:04d}", "tke_cls-big00001_worker"))
        big["nodes"].append({"InstanceId": f"ins-b{n:04d}"})
    clusters.append(big)
    # The last cluster listed (past the first page of clusters) and the last node (past two pages of nodes)
    # have twins that are orphans, and nodes that would look orphaned if a page were missed.
    instances.append(inst("ins-orphan01", "tke_cls-c0129_worker"))
    instances.append(inst("ins-orphan02", "tke_cls-big00001_worker"))
    instances.extend(inst(f"ins-x{k:04d}", f"decoy-{k}") for k in range(150))
    result = scan_world(world(instances, clusters))
    assert result.status == "ok"
    assert orphan_ids(result) == {"ins-orphan01", "ins-orphan02"}
    region = result.regions[0]
    assert (region.instances, region.clusters, region.nodes) == (532, 131, 380)


def test_instance_moved_to_another_cluster_is_not_an_orphan() -> None:
    instances = [inst("ins-moved001", "tke_cls-aaaa0001_worker"), inst("ins-left0001", "tke_cls-aaaa0001_worker")]
    clusters: list[dict[str, Any]] = [
        {"ClusterId": "cls-aaaa0001", "CreatedTime": "-10d"},
        {"ClusterId": "cls-bbbb0002", "CreatedTime": "-10d", "nodes": [{"InstanceId": "ins-moved001"}]},
    ]
    result = scan_world(world(instances, clusters))
    assert orphan_ids(result) == {"ins-left0001"}
    assert result.orphans[0].reason is Reason.REMOVED_FROM_CLUSTER


def test_grace_period_and_skip_states() -> None:
    name = "tke_cls-gone0001_worker"
    instances = [
        inst("ins-joining1", name, age="-20m"),
        inst("ins-down0001", name, InstanceState="SHUTDOWN"),
        inst("ins-term0001", name, InstanceState="TERMINATING"),
        inst("ins-stop0001", name, InstanceState="STOPPED"),
        inst("ins-old00001", name, age="-2h"),
    ]
    result = scan_world(world(instances, []))
    assert orphan_ids(result) == {"ins-stop0001", "ins-old00001"}
    why = {e.instance_id: e.why for e in result.excluded}
    assert why == {
        "ins-joining1": ExcludedWhy.GRACE_PERIOD,
        "ins-down0001": ExcludedWhy.SKIP_STATE,
        "ins-term0001": ExcludedWhy.SKIP_STATE,
    }
    longer = scan_world(world(instances, []), detection={"grace_period": "3h"})
    assert orphan_ids(longer) == {"ins-stop0001"}


def test_ignore_rules_by_id_tag_and_name() -> None:
    name = "tke_cls-gone0001_worker"
    instances = [
        inst("ins-byid0001", name),
        inst("ins-bytag001", name, Tags=[{"Key": "owner", "Value": "alice"}]),
        inst("ins-byname01", "tke_cls-gone0001_worker_keep"),
        inst("ins-default1", name, Tags=[{"Key": "tke-orphans:ignore", "Value": "true"}]),
        inst("ins-orphan01", name),
    ]
    detection = {
        "ignore": {
            "instance_ids": ["ins-byid0001"],
            "tags": {"owner": "*", "tke-orphans:ignore": "true"},
            "name_patterns": ["_keep$"],
        }
    }
    result = scan_world(world(instances, []), detection=detection)
    assert orphan_ids(result) == {"ins-orphan01"}
    ignored = {e.instance_id: e.detail for e in result.excluded if e.why is ExcludedWhy.IGNORED}
    assert set(ignored) == {"ins-byid0001", "ins-bytag001", "ins-byname01", "ins-default1"}
    assert ignored["ins-bytag001"] == "tag owner=alice"


def test_owner_tag_evidence_and_legacy_heuristics() -> None:
    instances = [
        inst("ins-owner001", "svc-1", Tags=[{"Key": "tke-clusterId", "Value": "cls-gone0001"}]),
        inst("ins-redis001", "redis-cluster-1", Tags=[{"Key": "app", "Value": "redis-cluster"}]),
        inst("ins-bastion1", "k8s-bastion"),
    ]
    plain = scan_world(world(instances, []))
    assert orphan_ids(plain) == {"ins-owner001"}
    assert plain.orphans[0].reason is Reason.CLUSTER_DELETED
    legacy = scan_world(world(instances, []), detection={"legacy_heuristics": True})
    assert orphan_ids(legacy) == {"ins-owner001", "ins-redis001", "ins-bastion1"}
    reasons = {o.instance.instance_id: o.reason for o in legacy.orphans}
    assert reasons["ins-redis001"] is Reason.UNKNOWN_OWNER


def test_several_accounts_are_scanned_and_tagged() -> None:
    second = {"secret_id": "AKIDsecond00000000000000000000000", "secret_key": "second-key"}
    data = world([inst("ins-orphan01", "tke_cls-gone0001_worker")], [], credentials=[second])
    accounts = [
        {"name": "prod", **CRED, "regions": ["ap-guangzhou"]},
        {"name": "staging", **second, "region": "ap-guangzhou"},
    ]
    result = scan_world(data, accounts=accounts)
    assert sorted((o.account, o.instance.instance_id) for o in result.orphans) == [
        ("prod", "ins-orphan01"),
        ("staging", "ins-orphan01"),
    ]
    assert {r.account for r in result.regions} == {"prod", "staging"}
