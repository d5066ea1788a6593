"""A CI-sized run of the benchmark harness, so that it does not rot: a small world, real limits, real processes."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from run import bench_org, bench_world, leftover_table, org_table, ratios, table  # noqa: E402
from worlds import WorldSpec, leftover_calls, lower_bound, minimum_calls  # noqa: E402

from tke_orphans_testkit.emulator.generate import generate_world  # noqa: E402


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
    assert [len(p["cpu_workers_s"]) for p in two["passes"]] == [2, 2]  # the CPU of each of the two workers
    assert org_table(org).splitlines()[-1].startswith("| 2 | repeat |")
