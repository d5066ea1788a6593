"""A CI-sized run of the benchmark harness, so that it does not rot: a small world, real limits, real processes."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from org_scan import bench_organization, memory_trend, org_ratios  # noqa: E402
from run import bench_org, bench_world, leftover_table, org_table, ratios, table  # noqa: E402
from worlds import OrgSpec, WorldSpec, leftover_calls, lower_bound, minimum_calls, org_lower_bound, org_minimum  # noqa: E402

from tke_orphans_testkit.emulator.generate import generate_world  # noqa: E402
from tke_orphans_testkit.emulator.generate_org import generate_organization  # noqa: E402


def test_minimum_calls_and_bound_follow_the_world() -> None:
    world = generate_world(regions=2, instances=450, clusters=6, seed=3)
    calls = minimum_calls(world)
    assert set(calls) == {"ap-guangzhou", "ap-shanghai"}
    for name, region in world["regions"].items():
        assert calls[name][("cvm", "DescribeInstances")] == 3  # 225 instances: three pages
        assert calls[name][("tke", "DescribeNodePools")] == len(region["clusters"])
    assert lower_bound(world, 0.05) >= 0.05 * 5
    leftovers = leftover_calls(world)
    assert set(leftovers) == set(calls)
    for region in leftovers.values():  # each kind's listing filtered by tag: one page (11 disks, 4 CLBs, 4 EIPs)
        assert region[("cbs", "DescribeDisks")] == region[("clb", "DescribeLoadBalancers")] == 1
        assert region[("vpc", "DescribeAddresses")] == 1
        assert region[("tke", "DescribeEKSClusters")] == region[("tke", "DescribeTKEEdgeClusters")] > 0
    assert "tag" not in {s for region in leftovers.values() for s, _ in region}  # no tag-first listing
    # The listing and then the cluster checks, after the regions are listed: three calls in a row at least.
    assert lower_bound(world, 0.05, leftovers=True) >= max(lower_bound(world, 0.05), 0.05 * 3)
    # A region with nothing tagged still answers one page of each listing, and names no cluster to check.
    for key in ("disks", "load_balancers", "addresses"):
        world["regions"]["ap-shanghai"][key] = []
    empty = leftover_calls(world)["ap-shanghai"]
    assert [empty[k] for k in sorted(empty)] == [1, 1, 0, 0, 1]  # cbs, clb, tke EKS, tke edge, vpc


def test_small_world_end_to_end() -> None:
    row = bench_world(WorldSpec("smoke", 2, 600, 6, latency_ms=10, seed=5), baseline=True)
    assert row["exit"] == 0 and row["status"] == "ok"
    assert row["correct"] and row["false_orphans"] == 0 and row["missed"] == 0
    assert row["calls"] <= row["calls_minimum"] * 1.05  # no call a complete scan does not need
    assert row["throttled"] == 0
    # Pricing: one quote per distinct configuration (a fallback where a type is sold out), and no orphan changes.
    assert 0 < row["price_calls"] <= row["price_calls_minimum"]
    assert row["same_orphans_without_pricing"] and row["unpriced"] == 0
    assert row["baseline"]["false_orphans"] > 0  # the original checker's heuristics flag decoys and masters
    assert "| smoke | 2 / 600 / 6 |" in table([row])
    # The ideal client makes exactly the minimum calls, unthrottled, and the scan without pricing the same calls.
    assert row["ideal"]["calls"] == row["listing"]["calls"] == row["calls_minimum"]
    assert row["ideal"]["throttled"] == row["listing"]["throttled"] == 0
    assert row["wall_to_ideal"] > 0 and row["cpu_to_ideal"] > 0
    assert ratios([row]).splitlines()[2].startswith("| smoke |")
    # Leftovers on: the answer key's, in exactly the minimum calls (each product's listing by tag), counted apart.
    assert row["leftovers"] > 0 and 0 < row["leftover_calls"] == row["leftover_calls_minimum"]
    assert leftover_table([row]).splitlines()[2].startswith("| smoke |")


def test_organization_with_one_and_two_workers() -> None:
    org = bench_org([1, 2], WorldSpec("org-smoke", 4, 800, 8, latency_ms=10, seed=6), accounts=2)
    one, two = org["runs"]
    for run in org["runs"]:
        assert run["exit"] == 0 and run["throttled"] == 0
        assert run["calls"] == org["calls_minimum"] * len(run["passes"])  # each pass: exactly the minimum
        for p in run["passes"]:
            assert p["correct"] and p["status"] == "ok"
            assert 0 < p["state_share"] < 1 and p["state_s"]["node_history"] > 0
    assert [len(p["cpu_workers_s"]) for p in one["passes"]] == [0, 0]  # one process: no workers
    # The CPU of each worker process that ran a share: two, or one where a share this small was done before the
    # second process had started and the first took both (seen on a loaded machine, on main too).
    assert all(1 <= len(p["cpu_workers_s"]) <= 2 for p in two["passes"])
    assert org_table(org).splitlines()[-1].startswith("| 2 | repeat |")


def test_organization_scan_through_roles() -> None:
    """Issue 23's benchmark at a tiny size: every account right by its own answer key, the member without the role
    the scan's failure, AssumeRole once per member, each account's calls its own minimum (no timing asserted)."""
    spec = OrgSpec("org-smoke", members=3, regions=1, instances=120, clusters=2, without_role=1, latency_ms=10, seed=4)
    org = bench_organization(spec, workers=[1, 2], also_named=True)
    assert [(r["workers"], r["regions_named"]) for r in org["runs"]] == [(1, False), (1, True), (2, False), (2, True)]
    for run in org["runs"]:
        assert run["exit"] == 3 and run["status"] == "partial"  # the roleless member, and only it
        assert run["correct"] and run["roleless_told"] and run["all_regions_ok"]
        assert run["accounts"] == 3 and run["false_orphans"] == run["missed"] == 0 and run["expected"] > 0
        assert run["assume_role_once"] and run["assume_role_calls"] == 3
        assert run["calls"] == run["calls_minimum"] and run["accounts_over_minimum"] == []
        assert run["throttled"] == 0 and run["tree_rss_mb"] > 0 and run["peak_rss_mb"] > 0
    two = org["runs"][2]
    assert two["tree_rss_mb"] > two["peak_rss_mb"]  # the tree: the scan, its fork server and workers together
    assert "| 2, regions named |" in org_ratios([org]).splitlines()[-1]
    assert memory_trend([org]).splitlines()[2].startswith("| 1 | 3 | 1 |")


def test_organization_bound_is_per_member() -> None:
    """Members do not share quotas: the organization's bound is its slowest account's, after the members are listed
    and the roles assumed; the minimum counts one AssumeRole per member, roleless ones too."""
    data = generate_organization(members=4, regions=2, instances=300, clusters=4, seed=8, without_role=1)
    minimum = org_minimum(data)
    assert minimum["sts.AssumeRole"] == 4 and minimum["organization.DescribeOrganizationMembers"] == 1
    assert set(minimum) - {"sts.AssumeRole", "organization.DescribeOrganizationMembers"} == {
        "default", "team-001", "team-002", "team-003"}  # fmt: skip
    member = data["organization"]["members"][0]
    alone = lower_bound({"regions": member["regions"], "answer_key": member["answer_key"]}, 0.05, leftovers=True)
    bound = org_lower_bound(data, 0.05)
    assert bound >= alone + 2 * 0.05  # listed, then assumed, then its own scan
    assert bound < 2 * alone + 0.2  # side by side, not one after another
