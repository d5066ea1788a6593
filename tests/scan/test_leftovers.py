"""Leftovers of deleted clusters (disks, load balancers, addresses): the real scan against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tke_orphans.context import Run
from tke_orphans.kinds import KINDS
from tke_orphans.model import ScanResult
from tke_orphans.scan import run_scan
from tke_orphans_testkit.emulator import Emulator, world_from_data
from tke_orphans_testkit.emulator.generate import generate_world

from .conftest import config_for, orphan_ids, scan_world

GZ = "ap-guangzhou"
ALL = {"leftovers": list(KINDS)}  # every kind, cfs and security groups too (those are off by default)


def made(result: ScanResult) -> dict[str, tuple[str, str, str]]:
    """TKE's leftovers: id -> (region, kind, cluster id)."""
    return {x.resource_id: (x.region, x.kind, x.cluster_id) for x in result.leftovers if not x.reused}


def reused(result: ScanResult) -> set[str]:
    return {x.resource_id for x in result.leftovers if x.reused}


def test_demo_world_has_one_leftover_of_each_kind_with_its_evidence(demo: dict[str, Any]) -> None:
    result = scan_world(demo, detection=ALL)
    assert result.status == "ok"
    assert made(result) == {
        "disk-gzleft01": (GZ, "cbs_disk", "cls-gone0001"),
        "lb-gzleft01": (GZ, "clb", "cls-gone0001"),
        "eip-gzleft01": (GZ, "eip", "cls-gone0001"),
        "cfs-gzleft01": (GZ, "cfs", "cls-gone0001"),
        "sg-gzleft01": (GZ, "security_group", "cls-gone0001"),
    }
    by_id = {x.resource_id: x for x in result.leftovers}
    assert by_id["disk-gzleft01"].evidence[0] == "tag tke-cbs-provisioner-createBy-flag=yes"
    assert by_id["lb-gzleft01"].evidence[0] == "tag tke-createdBy-flag=yes"
    assert by_id["eip-gzleft01"].evidence[0] == "tag tke-created-eip=true"
    tagged = [x for x in result.leftovers if x.kind in ("cbs_disk", "clb", "eip")]
    assert all("tke-clusterId=cls-gone0001" in x.evidence[-1] for x in tagged)
    # Named, not tagged: the name is the evidence, exactly as the CSI driver and TKE write it.
    assert by_id["cfs-gzleft01"].evidence == (
        "name cls-gone0001_pvc-6f1c2a3b-9d4e-4f5a-8b6c-7d8e9f0a1b2c: a CFS CSI driver's volume",
        "its cluster cls-gone0001: one the region no longer has",
    )
    sg = by_id["sg-gzleft01"].evidence
    assert sg[0] == "name tke-worker-security-for-cls-gone0001: the group TKE makes for a cluster"
    assert sg[-1].startswith("the region holds ") and sg[-1].endswith(" of its 50 security groups")
    assert by_id["disk-gzleft01"].state == "UNATTACHED" and by_id["disk-gzleft01"].name == "pvc-7f3a9c1e"
    assert by_id["disk-gzleft01"].created is not None


def test_reused_clb_is_reported_apart_and_user_resources_never(demo: dict[str, Any]) -> None:
    result = scan_world(demo, detection=ALL)
    assert reused(result) == {"lb-gzreuse1"}
    ids = {x.resource_id for x in result.leftovers}
    # The user's own, those of a live cluster, an attached disk and a bound address: none of them.
    for rid in ("disk-gzuser01", "eip-gzuser01", "disk-gzlive01", "disk-gzlive02", "lb-gzlive01", "eip-gzlive01",
                "disk-gzgone02", "eip-gzgone02", "disk-gzeks001", "cfs-gzlive01", "cfs-gzuser01", "sg-gzlive01",
                "sg-gzdflt01"):  # fmt: skip
        assert rid not in ids


def test_vm_orphans_are_unchanged(demo: dict[str, Any]) -> None:
    with_leftovers = scan_world(demo, detection=ALL)
    without = scan_world(demo, detection={"leftovers": []})
    assert (
        orphan_ids(with_leftovers) == orphan_ids(without) == {o["instance_id"] for o in demo["answer_key"]["orphans"]}
    )
    assert without.leftovers == ()


@pytest.mark.parametrize(
    "fault",
    [
        {"action": "DescribeClusters", "region": GZ, "code": "InternalError.Db"},
        {"action": "DescribeDisks", "region": GZ, "code": "UnauthorizedOperation"},
        {"action": "DescribeDisks", "region": GZ, "code": "InternalError"},
        {"action": "DescribeLoadBalancers", "region": GZ, "effect": "http_500"},
        {"action": "DescribeAddresses", "region": GZ, "effect": "truncate"},
        {"action": "DescribeAddresses", "region": GZ, "code": "AuthFailure.UnauthorizedOperation"},
        {"action": "DescribeEKSClusters", "region": GZ, "code": "InternalError"},
        {"action": "DescribeTKEEdgeClusters", "region": GZ, "effect": "http_500"},
        {"action": "DescribeCfsFileSystems", "region": GZ, "code": "InternalError"},
        {"action": "DescribeCfsFileSystems", "region": GZ, "effect": "short"},
        {"action": "DescribeSecurityGroups", "region": GZ, "effect": "truncate"},
        {"action": "DescribeSecurityGroupAssociationStatistics", "region": GZ, "code": "InternalError"},
        # An odd count is not 0, and a missing one is not either: the groups are not proven unassociated.
        {
            "action": "DescribeSecurityGroupAssociationStatistics",
            "region": GZ,
            "effect": "value",
            "field": "SG",
            "value": -1,
        },
        {
            "action": "DescribeSecurityGroupAssociationStatistics",
            "region": GZ,
            "effect": "value",
            "field": "TotalCount",
            "value": None,
        },
        {"action": "DescribeSecurityGroupLimits", "region": GZ, "code": "UnauthorizedOperation"},
        # A short answer (the last item missing, TotalCount unchanged): a live serverless cluster missing from it
        # would make its disk a leftover; a leftover missing from a by-id answer would look gone (resolved).
        *(
            {"action": a, "region": GZ, "effect": "short"}
            for a in ("DescribeDisks", "DescribeLoadBalancers", "DescribeAddresses", "DescribeEKSClusters")
        ),
    ],
)
def test_a_failed_listing_makes_nothing_a_leftover_and_the_region_partial(
    demo: dict[str, Any], fault: dict[str, Any]
) -> None:
    """Nothing of the failed listing's kind is a leftover, nor checked; the other kinds still are. A failed cluster
    listing (or serverless and edge one) leaves every kind unchecked: no cluster is proven deleted."""
    result = scan_world(demo, faults=[fault], detection=ALL)
    kind = next((k for k, spec in KINDS.items() if fault["action"] in {a.split(":")[1] for a in spec.cam_read}), None)
    found = {x.kind for x in result.leftovers if x.region == GZ and not x.reused}
    checked = {s.region: s.leftover_kinds for s in result.snapshots}[GZ]
    if kind is None:
        assert found == set() and checked == frozenset()
    else:
        assert kind not in found and kind not in checked
        assert found == checked == set(KINDS) - {kind}  # each other kind's leftover in the demo is still found
    assert {r.region: r.status for r in result.regions}[GZ] == "partial"
    assert result.status == "partial"
    # Only a failed VM-side listing holds the region's orphans back from being resolved; a leftover listing's not.
    complete = {s.region: s.complete for s in result.snapshots}[GZ]
    assert complete is (fault["action"] != "DescribeClusters")


def test_attached_disk_and_bound_address_of_a_deleted_cluster_become_leftovers_once_free(demo: dict[str, Any]) -> None:
    """The same resources, detached and unbound, are leftovers: it is their use that kept them out."""
    gz = demo["regions"][GZ]
    disk = next(d for d in gz["disks"] if d["DiskId"] == "disk-gzgone02")
    disk["DiskState"], disk["InstanceId"] = "UNATTACHED", None
    addr = next(a for a in gz["addresses"] if a["AddressId"] == "eip-gzgone02")
    addr["AddressStatus"] = "UNBIND"
    for key in ("NetworkInterfaceId", "PrivateAddressIp", "InstanceType"):
        addr.pop(key)
    assert {"disk-gzgone02", "eip-gzgone02"} <= set(made(scan_world(demo, detection=ALL)))


def _calls(stats: dict[str, Any], service: str, action: str) -> int:
    return sum(int(s["calls"]) for s in stats["actions"] if s["service"] == service and s["action"] == action)


@pytest.mark.parametrize("workers", [1, 2])
def test_call_counts_one_listing_per_kind_and_region(demo: dict[str, Any], workers: int) -> None:
    world = world_from_data(demo)
    with Emulator(world) as emu:
        run_scan(Run(config_for(world, emu.url, detection=ALL, tencentcloud={"workers": workers})))
        stats = emu.stats.snapshot()
        emu.stats.reset()
        run_scan(Run(config_for(world, emu.url, detection={"leftovers": []})))
        off = emu.stats.snapshot()
    assert len(demo["regions"]) == 2
    # Each product's own listing, narrowed to the cluster tag, one page in each region; no tag API at all.
    assert _calls(stats, "tag", "GetResources") == 0
    assert (_calls(stats, "cbs", "DescribeDisks"), _calls(stats, "clb", "DescribeLoadBalancers"),
            _calls(stats, "vpc", "DescribeAddresses")) == (2, 2, 2)  # fmt: skip
    # Turned off: no call at all.
    assert [a for a in off["actions"] if a["service"] in ("tag", "cbs", "clb", "vpc")] == []


def test_each_account_lists_its_regions_over_pages(demo: dict[str, Any]) -> None:
    """Two accounts (the same emulated one, configured twice, one region each), more than a page of tagged disks:
    each account walks its own region's pages, and each region keeps its own resources."""
    gz = demo["regions"][GZ]
    for n in range(250):  # user-tagged disks: candidates that are no leftovers (no createdBy flag)
        gz["disks"].append({"DiskId": f"disk-pad{n:05d}", "DiskSize": 10, "CreateTime": "-1d",
                            "Placement": {"Zone": "ap-guangzhou-3"},
                            "Tags": [{"Key": "tke-clusterId", "Value": "cls-gone0001"}]})  # fmt: skip
    world = world_from_data(demo)
    cred = world.spec.credentials[0]
    accounts = [{"name": f"acct-{r}", "secret_id": cred.secret_id, "secret_key": cred.secret_key, "regions": [r]}
                for r in sorted(demo["regions"])]  # fmt: skip
    with Emulator(world) as emu:
        result = run_scan(Run(config_for(world, emu.url, detection=ALL, accounts=accounts)))
        stats = emu.stats.snapshot()
    assert _calls(stats, "cbs", "DescribeDisks") == 3 + 1  # 252 tagged disks: three pages of 100; Shanghai's one
    assert made(result) == {
        "disk-gzleft01": (GZ, "cbs_disk", "cls-gone0001"),
        "lb-gzleft01": (GZ, "clb", "cls-gone0001"),
        "eip-gzleft01": (GZ, "eip", "cls-gone0001"),
        "cfs-gzleft01": (GZ, "cfs", "cls-gone0001"),
        "sg-gzleft01": (GZ, "security_group", "cls-gone0001"),
    }
    assert {x.account for x in result.leftovers} == {f"acct-{GZ}"}


def test_only_the_configured_kinds(demo: dict[str, Any]) -> None:
    result = scan_world(demo, detection={"leftovers": ["eip"]})
    assert set(made(result)) == {"eip-gzleft01"} and reused(result) == set()


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(regions=st.integers(1, 2), instances=st.integers(100, 400), clusters=st.integers(1, 6), seed=st.integers(0, 999))
def test_generated_world_matches_the_answer_key(regions: int, instances: int, clusters: int, seed: int) -> None:
    world = generate_world(regions=regions, instances=instances, clusters=clusters, seed=seed)
    result = scan_world(world, detection=ALL)
    key = world["answer_key"]
    assert made(result) == {x["resource_id"]: (x["region"], x["kind"], x["cluster_id"]) for x in key["leftovers"]}
    assert reused(result) == {x["resource_id"] for x in key["reused"]}
    # The key's not_leftovers include the reused CLBs: those are reported, but never as TKE's.
    assert not set(key["not_leftovers"]) & set(made(result))
    assert all(x.kind in KINDS for x in result.leftovers)


@pytest.mark.parametrize("kind", ["serverless", "edge"])
def test_a_serverless_or_edge_clusters_resources_are_not_leftovers(demo: dict[str, Any], kind: str) -> None:
    """DescribeClusters does not list serverless (EKS) nor edge clusters; TKE tags their disks the same way.
    Only once that cluster is gone too is its unattached disk a leftover."""
    gz = demo["regions"][GZ]
    gz["other_clusters"][0]["Kind"] = kind
    assert "disk-gzeks001" not in {x.resource_id for x in scan_world(demo, detection=ALL).leftovers}
    gz["other_clusters"] = []
    assert made(scan_world(demo, detection=ALL))["disk-gzeks001"] == (GZ, "cbs_disk", "cls-eksgz001")


def test_serverless_and_edge_clusters_are_asked_only_about_unknown_cluster_ids(demo: dict[str, Any]) -> None:
    world = world_from_data(demo)
    with Emulator(world) as emu:
        run_scan(Run(config_for(world, emu.url, detection=ALL)))
        stats = emu.stats.snapshot()
    # ap-guangzhou's tags name two clusters DescribeClusters lacks (one deleted, one serverless): one call each;
    # ap-shanghai's name none: no call.
    assert _calls(stats, "tke", "DescribeEKSClusters") == _calls(stats, "tke", "DescribeTKEEdgeClusters") == 1


def test_an_ignore_tag_keeps_a_resource_out_as_it_does_an_instance(demo: dict[str, Any]) -> None:
    gz = demo["regions"][GZ]
    disk = next(d for d in gz["disks"] if d["DiskId"] == "disk-gzleft01")
    disk["Tags"].append({"Key": "tke-orphans:ignore", "Value": "true"})
    result = scan_world(demo, detection=ALL)
    assert set(made(result)) == {"lb-gzleft01", "eip-gzleft01", "cfs-gzleft01", "sg-gzleft01"}
    # Only the configured tags: another value, or ignore rules turned off, and it is one again.
    assert "disk-gzleft01" in made(scan_world(demo, detection={**ALL, "ignore": {"tags": {"keep": "*"}}}))
