"""The benchmark's worlds, and what a complete scan of each needs: the minimum calls and the time bound."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tke_orphans_testkit.emulator.ratelimit import real_limit

PAGE = 100


@dataclass(frozen=True)
class WorldSpec:
    name: str
    regions: int
    instances: int
    clusters: int
    latency_ms: int = 50
    throttle: float = 0.0  # share of calls answered RequestLimitExceeded on purpose
    seed: int = 1


WORLDS = {
    "S": WorldSpec("S", 1, 1_000, 10),
    "M": WorldSpec("M", 3, 10_000, 100),
    "L": WorldSpec("L", 10, 50_000, 500),
    "XL": WorldSpec("XL", 10, 100_000, 1_000),
    "XL-throttled": WorldSpec("XL-throttled", 10, 100_000, 1_000, throttle=0.10),
}

# The organization-sized estate (issue 15): every region the generator knows (16), 160,000 VMs, one emulated account
# that the benchmark configures as 4 accounts of 4 regions each (the emulator serves a single account).
ORG = WorldSpec("ORG", 16, 160_000, 1_600)
ORG_ACCOUNTS = 4


def limit(service: str, action: str) -> float:
    """What the emulator enforces with --rate-limits real: the documented limits."""
    return real_limit(service, action)


def minimum_calls(world: dict[str, Any]) -> dict[str, dict[tuple[str, str], int]]:
    """Per region, the calls a complete scan cannot do without (when no call fails)."""
    orphans_by_region: dict[str, int] = {}
    for o in world["answer_key"]["orphans"]:
        orphans_by_region[o["region"]] = orphans_by_region.get(o["region"], 0) + 1
    out: dict[str, dict[tuple[str, str], int]] = {}
    for name, region in world["regions"].items():
        calls = {
            ("cvm", "DescribeInstances"): max(1, math.ceil(len(region["instances"]) / PAGE)),
            ("tke", "DescribeClusters"): max(1, math.ceil(len(region["clusters"]) / PAGE)),
            ("tke", "DescribeClusterInstances"): 0,
            ("tke", "DescribeNodePools"): len(region["clusters"]),
            ("tke", "DescribeExistedInstances"): math.ceil(orphans_by_region.get(name, 0) / PAGE),
        }
        for cluster in region["clusters"]:
            nodes = cluster["nodes"]
            native = [n for n in nodes if n.get("NodeType") == "Native"]
            # Every role of every node (2018 API), plus the 2022 API to learn native nodes' CVM ids.
            calls[("tke", "DescribeClusterInstances")] += max(1, math.ceil(len(nodes) / PAGE))
            if native:
                calls[("tke", "DescribeClusterInstances")] += math.ceil(len(native) / PAGE)
        out[name] = calls
    return out


def lower_bound(world: dict[str, Any], latency_s: float) -> float:
    """Seconds no scan can beat: regions run in parallel with separate budgets, and so do actions; each action
    needs (calls - burst) / rate seconds beyond the one-second burst the limit allows; and four calls must
    follow one another (clusters -> nodes -> native nodes -> existed instances), plus listing the regions."""
    per_region = []
    for calls in minimum_calls(world).values():
        busiest = max(max(0, n - limit(s, a)) / limit(s, a) for (s, a), n in calls.items())
        per_region.append(busiest + 4 * latency_s)
    return max(per_region) + latency_s
