"""Fail safe: a failed listing never becomes an orphan; what failed is said; the other regions go on."""

from __future__ import annotations

from typing import Any

from tke_orphans.model import ExcludedWhy

from .conftest import orphan_ids, scan_world, unverified_ids

EXPECTED = {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"}


def test_one_region_failing_does_not_stop_the_others(demo: dict[str, Any]) -> None:
    result = scan_world(
        demo, faults=[{"action": "DescribeInstances", "region": "ap-shanghai", "code": "InternalError"}]
    )
    regions = {r.region: r for r in result.regions}
    assert regions["ap-shanghai"].status == "error"
    assert regions["ap-shanghai"].errors[0].api == "cvm.DescribeInstances"
    assert regions["ap-guangzhou"].status == "ok"
    assert result.status == "partial"
    assert orphan_ids(result) == {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003"}


def test_clusters_listing_failure_makes_every_candidate_unverified(demo: dict[str, Any]) -> None:
    result = scan_world(
        demo, faults=[{"action": "DescribeClusters", "region": "ap-guangzhou", "code": "InternalError.Db"}]
    )
    assert not orphan_ids(result) & {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003"}
    assert {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003"} <= unverified_ids(result)
    # A node of a cluster is not an orphan, so it must not even look like one.
    assert "ins-gzweb001" not in orphan_ids(result)
    u = next(u for u in result.unverified if u.instance.instance_id == "ins-gzorp002")
    assert "tke.DescribeClusters" in u.why and "InternalError.Db" in u.why
    assert orphan_ids(result) == {"ins-shorp001"}
    assert result.status == "partial"


def test_failing_cluster_with_failing_confirmation_gives_unverified(demo: dict[str, Any]) -> None:
    faults: list[dict[str, Any]] = [
        {"action": "DescribeClusterInstances", "params": {"ClusterId": "cls-prodgz01"}, "code": "InternalError"},
        {"action": "DescribeExistedInstances", "region": "ap-guangzhou", "code": "InternalError"},
    ]
    result = scan_world(demo, faults=faults)
    gz_orphans = {o.instance.instance_id for o in result.orphans if o.region == "ap-guangzhou"}
    assert gz_orphans == set()
    # The nodes of the failed cluster, its retained instance and the others: all unverified, none an orphan.
    assert {"ins-gzweb001", "ins-gzweb002", "ins-gzwrk001", "ins-gzorp001", "ins-gzorp002"} <= unverified_ids(result)
    u = next(u for u in result.unverified if u.instance.instance_id == "ins-gzweb001")
    assert "cls-prodgz01" in u.why and "DescribeExistedInstances" in u.why
    assert result.status == "partial"


def test_failing_cluster_is_covered_by_existed_instances(demo: dict[str, Any]) -> None:
    """TKE's own membership check decides where our listing of one cluster failed."""
    faults = [{"action": "DescribeClusterInstances", "params": {"ClusterId": "cls-prodgz01"}, "effect": "http_500"}]
    result = scan_world(demo, faults=faults)
    assert orphan_ids(result) == EXPECTED
    assert not result.unverified
    gz = next(r for r in result.regions if r.region == "ap-guangzhou")
    assert gz.status == "partial"
    assert gz.errors[0].cluster_id == "cls-prodgz01"
    assert gz.errors[0].code == "ServerNetworkError"


def test_native_resolution_failure_does_not_orphan_native_nodes(demo: dict[str, Any]) -> None:
    faults: list[dict[str, Any]] = [
        {"service": "tke", "action": "DescribeClusterInstances", "params": {"ClusterId": "cls-prodgz01",
         "Filters": [{"Name": "InstanceType", "Values": ["Native"]}]}, "effect": "reset"},
        {"action": "DescribeExistedInstances", "code": "InternalError"},
    ]  # fmt: skip
    result = scan_world(demo, faults=faults)
    assert "ins-gznat001" not in orphan_ids(result)
    assert "ins-gznat001" in unverified_ids(result)


def test_truncated_and_hanging_answers_are_retried(demo: dict[str, Any]) -> None:
    faults = [
        {"action": "DescribeInstances", "region": "ap-guangzhou", "effect": "truncate", "times": 2},
        {"action": "DescribeNodePools", "effect": "hang", "hang_seconds": 5, "times": 1},
        {"action": "DescribeClusters", "effect": "reset", "times": 2},
    ]
    result = scan_world(demo, faults=faults)
    assert result.status == "ok"
    assert orphan_ids(result) == EXPECTED


def test_throttling_on_a_third_of_all_calls_gives_the_same_answer(demo: dict[str, Any]) -> None:
    faults = [{"probability": 0.33, "code": "RequestLimitExceeded", "message": "too fast"}]
    for seed in (1, 2, 3):
        result = scan_world(demo, faults=faults, seed=seed)
        assert result.status == "ok"
        assert orphan_ids(result) == EXPECTED
        assert {e.instance_id for e in result.excluded if e.why is ExcludedWhy.IGNORED} == {"ins-shkeep01"}


def test_auth_errors_are_not_retried(demo: dict[str, Any]) -> None:
    faults = [{"action": "DescribeInstances", "code": "AuthFailure.UnauthorizedOperation", "times": 1}]
    result = scan_world(demo, faults=faults, tencentcloud={"regions": ["ap-guangzhou"]})
    region = result.regions[0]
    assert region.status == "error"
    assert region.errors[0].code == "AuthFailure.UnauthorizedOperation"
    assert not result.orphans


def test_region_listing_failure_is_a_global_error(demo: dict[str, Any]) -> None:
    result = scan_world(demo, faults=[{"service": "region", "code": "InternalError"}])
    assert result.status == "error"
    assert result.errors[0].api == "region.DescribeRegions"
    assert not result.orphans


def test_a_short_page_is_an_incomplete_listing_not_a_smaller_world(demo: dict[str, Any]) -> None:
    """A page missing an item while TotalCount says otherwise (the list moved under the paging)."""
    result = scan_world(demo, faults=[{"action": "DescribeInstances", "region": "ap-shanghai", "effect": "short"}])
    sh = next(r for r in result.regions if r.region == "ap-shanghai")
    assert sh.status == "error" and sh.errors[0].code == "IncompleteListing"
    faults = [{"action": "DescribeClusterInstances", "params": {"ClusterId": "cls-prodgz01", "InstanceRole": "ALL",
               "Offset": 0, "Limit": 100}, "effect": "short"}]  # fmt: skip
    result = scan_world(demo, faults=faults)
    gz = next(r for r in result.regions if r.region == "ap-guangzhou")
    assert gz.status == "partial" and gz.errors[0].cluster_id == "cls-prodgz01"
    assert orphan_ids(result) == EXPECTED  # DescribeExistedInstances still tells the missing node apart


def test_an_unanswered_membership_check_leaves_the_candidate_unverified(demo: dict[str, Any]) -> None:
    result = scan_world(
        demo, faults=[{"action": "DescribeExistedInstances", "region": "ap-shanghai", "effect": "short"}]
    )
    sh = next(r for r in result.regions if r.region == "ap-shanghai")
    assert sh.status == "partial" and sh.errors[0].code == "IncompleteAnswer"
    assert "ins-shorp001" in unverified_ids(result) and "ins-shorp001" not in orphan_ids(result)
