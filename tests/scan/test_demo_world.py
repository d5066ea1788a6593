"""The demo world holds every trap; the scan must get each one right."""

from __future__ import annotations

from typing import Any

from tke_orphans.model import EvidenceKind, ExcludedWhy, Reason

from .conftest import orphan_ids, scan_world


def test_orphans_equal_the_answer_key(demo: dict[str, Any]) -> None:
    result = scan_world(demo)
    assert result.status == "ok"
    expected = {o["instance_id"]: o for o in demo["answer_key"]["orphans"]}
    assert orphan_ids(result) == set(expected)
    for o in result.orphans:
        key = expected[o.instance.instance_id]
        assert o.reason.value == key["reason"]
        assert o.cluster_id == key.get("cluster_id")
        assert o.node_pool_id == key.get("node_pool_id")
    assert not result.unverified


def test_retained_node_pool_instance_has_name_and_autoscaling_evidence(demo: dict[str, Any]) -> None:
    result = scan_world(demo)
    orphan = next(o for o in result.orphans if o.instance.instance_id == "ins-gzorp001")
    assert orphan.reason is Reason.REMOVED_FROM_CLUSTER
    kinds = {e.kind for e in orphan.evidence}
    assert kinds == {EvidenceKind.NAME, EvidenceKind.AUTOSCALING_TAG}
    assert any("asg-web00001" in e.detail and "np-web00001" in e.detail for e in orphan.evidence)


def test_deleted_cluster_and_deleted_node_pool(demo: dict[str, Any]) -> None:
    by_id = {o.instance.instance_id: o for o in scan_world(demo).orphans}
    assert by_id["ins-gzorp002"].reason is Reason.CLUSTER_DELETED
    assert by_id["ins-gzorp002"].instance.charge_type == "PREPAID"
    assert by_id["ins-gzorp003"].reason is Reason.NODE_POOL_DELETED
    # Its auto scaling group belongs to no node pool: the tag alone is not evidence.
    assert {e.kind for e in by_id["ins-gzorp003"].evidence} == {EvidenceKind.NAME}


def test_masters_native_nodes_and_decoys_are_not_orphans(demo: dict[str, Any]) -> None:
    found = orphan_ids(scan_world(demo))
    for not_orphan in ("ins-gzmst001", "ins-gzmst002", "ins-gzmst003", "ins-gznat001"):
        assert not_orphan not in found
    for decoy in ("ins-gzredis1", "ins-gzbast01", "ins-gznode01", "ins-shnode01"):
        assert decoy not in found


def test_exclusions_say_why(demo: dict[str, Any]) -> None:
    result = scan_world(demo)
    why = {e.instance_id: e.why for e in result.excluded}
    assert why == {
        "ins-gznew001": ExcludedWhy.GRACE_PERIOD,
        "ins-gzdown01": ExcludedWhy.SKIP_STATE,
        "ins-shkeep01": ExcludedWhy.IGNORED,
    }


def test_counts_per_region(demo: dict[str, Any]) -> None:
    regions = {r.region: r for r in scan_world(demo).regions}
    gz = regions["ap-guangzhou"]
    assert (gz.status, gz.instances, gz.clusters, gz.nodes) == ("ok", 16, 2, 8)
    assert regions["ap-shanghai"].nodes == 2
