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


CLUSTER_TAG = "tke-clusterId"
TAG_PAGE = 200  # GetResources' MaxResults at most
OTHER_PER_CALL = 20  # cluster ids a DescribeEKSClusters / DescribeTKEEdgeClusters call (cloud/leftovers.py)
# Each kind's listing by id: (service, action, ids a call), as the scan makes them (cloud/leftovers.py).
BY_ID = {"disks": ("cbs", "DescribeDisks", 100), "load_balancers": ("clb", "DescribeLoadBalancers", 20),
         "addresses": ("vpc", "DescribeAddresses", 100)}  # fmt: skip


def _cluster_tagged(items: list[dict[str, Any]], tags_key: str) -> int:
    return sum(any(t.get("Key", t.get("TagKey")) == CLUSTER_TAG for t in d.get(tags_key) or ()) for d in items)


def _cluster_ids(items: list[dict[str, Any]], tags_key: str) -> set[str]:
    return {t.get("Value", t.get("TagValue")) or "" for d in items for t in d.get(tags_key) or ()
            if t.get("Key", t.get("TagKey")) == CLUSTER_TAG} - {""}  # fmt: skip


def leftover_calls(world: dict[str, Any]) -> tuple[int, dict[str, dict[tuple[str, str], int]]]:
    """The leftovers' listing (every kind): the account's GetResources pages (every resource with a cluster id
    tag, TKE's nodes included, in pages of 200), and per region each product's calls by id, then the serverless
    and edge clusters asked about the cluster ids the tags name and DescribeClusters lacks (20 a call)."""
    tagged = 0
    per_region: dict[str, dict[tuple[str, str], int]] = {}
    for name, region in world["regions"].items():
        tagged += _cluster_tagged(region["instances"], "Tags")
        calls = per_region.setdefault(name, {})
        named: set[str] = set()
        for key, (service, action, per_call) in BY_ID.items():
            tags_key = "TagSet" if key == "addresses" else "Tags"
            n = _cluster_tagged(region.get(key, []), tags_key)
            tagged += n
            calls[(service, action)] = math.ceil(n / per_call)
            named |= _cluster_ids(region.get(key, []), tags_key)
        unknown = named - {c["ClusterId"] for c in region.get("clusters", [])}
        for action in ("DescribeEKSClusters", "DescribeTKEEdgeClusters"):
            calls[("tke", action)] = math.ceil(len(unknown) / OTHER_PER_CALL)
    return max(1, math.ceil(tagged / TAG_PAGE)), per_region


def lower_bound(world: dict[str, Any], latency_s: float, leftovers: bool = False) -> float:
    """Seconds no scan can beat: regions run in parallel with separate budgets, and so do actions; each action
    needs (calls - burst) / rate seconds beyond the one-second burst the limit allows; and four calls must
    follow one another (clusters -> nodes -> native nodes -> existed instances), plus listing the regions.
    With `leftovers`, the account's tag pages must follow one another (each names the next), at 20/s, and then
    each region's calls by id: a chain of its own, beside the regions'."""
    per_region = []
    for calls in minimum_calls(world).values():
        busiest = max(max(0, n - limit(s, a)) / limit(s, a) for (s, a), n in calls.items())
        per_region.append(busiest + 4 * latency_s)
    bound = max(per_region) + latency_s
    if leftovers:
        pages, by_id = leftover_calls(world)
        rate = limit("tag", "GetResources")
        tags = max(pages * latency_s, max(0, pages - rate) / rate)
        confirm = max((max(0, n - limit(s, a)) / limit(s, a) + latency_s for calls in by_id.values()
                       for (s, a), n in calls.items() if n), default=0.0)  # fmt: skip
        bound = max(bound, tags + confirm)
    return bound
