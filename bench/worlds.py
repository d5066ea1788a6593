"""The benchmark's worlds, and what a complete scan of each needs: the minimum calls and the time bound."""

from __future__ import annotations

import math
from collections.abc import Callable
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
OTHER_PER_CALL = 20  # cluster ids a DescribeEKSClusters / DescribeTKEEdgeClusters call (cloud/resources.py)
OTHER_CLUSTERS = (("tke", "DescribeEKSClusters"), ("tke", "DescribeTKEEdgeClusters"))
# The default kinds' listings, each its product's own, narrowed by the filter tag-key: tke-clusterId (kinds/):
# the world's list -> (service, action, the key of its tags).
LISTINGS = {"disks": ("cbs", "DescribeDisks", "Tags"), "load_balancers": ("clb", "DescribeLoadBalancers", "Tags"),
            "addresses": ("vpc", "DescribeAddresses", "TagSet")}  # fmt: skip


def _cluster_tagged(items: list[dict[str, Any]], tags_key: str) -> int:
    return sum(any(t.get("Key", t.get("TagKey")) == CLUSTER_TAG for t in d.get(tags_key) or ()) for d in items)


# What makes a listed item one the scan would call a leftover were its cluster gone (kinds/, detect_leftovers.py):
# TKE's flag and, for a disk or an address, not in use; any CLB with a cluster tag (TKE's, or a user's reused one).
# Only the cluster ids these name are asked of the serverless and edge listings.
WOULD_BE: dict[str, Callable[[dict[str, Any], dict[str, str]], bool]] = {
    "DescribeDisks": lambda d, tags: (
        tags.get("tke-cbs-provisioner-createBy-flag") == "yes"
        and not d.get("Attached")
        and d.get("DiskState", "UNATTACHED") == "UNATTACHED"
    ),
    "DescribeLoadBalancers": lambda d, tags: True,
    "DescribeAddresses": lambda d, tags: "tke-created-eip" in tags and d.get("AddressStatus", "UNBIND") == "UNBIND",
}


def would_be_named(action: str, items: list[dict[str, Any]], tags_key: str) -> set[str]:
    """The cluster ids that items which would be leftovers (were their cluster gone) name."""
    out: set[str] = set()
    for d in items:
        tags = {t.get("Key", t.get("TagKey")): t.get("Value", t.get("TagValue")) or "" for t in d.get(tags_key) or ()}
        if tags.get(CLUSTER_TAG) and WOULD_BE[action](d, tags):
            out.add(tags[CLUSTER_TAG])
    return out


def leftover_calls(world: dict[str, Any]) -> dict[str, dict[tuple[str, str], int]]:
    """Per region, the leftovers' calls (the default kinds): each product's listing filtered by tag key, in pages of
    100 (one page where none is tagged: the answer that says so), then the serverless and edge clusters asked about
    the cluster ids DescribeClusters lacks that would-be leftovers name (20 a call, each action)."""
    out: dict[str, dict[tuple[str, str], int]] = {}
    for name, region in world["regions"].items():
        calls = out.setdefault(name, {})
        named: set[str] = set()
        for key, (service, action, tags_key) in LISTINGS.items():
            calls[(service, action)] = max(1, math.ceil(_cluster_tagged(region.get(key, []), tags_key) / PAGE))
            named |= would_be_named(action, region.get(key, []), tags_key)
        unknown = named - {c["ClusterId"] for c in region.get("clusters", [])}
        for api in OTHER_CLUSTERS:
            calls[api] = math.ceil(len(unknown) / OTHER_PER_CALL)
    return out


def _beyond_burst(calls: dict[tuple[str, str], int]) -> float:
    """Seconds the busiest of these actions needs beyond the one-second burst its limit allows."""
    return max((max(0, n - limit(s, a)) / limit(s, a) for (s, a), n in calls.items()), default=0.0)


def lower_bound(world: dict[str, Any], latency_s: float, leftovers: bool = False) -> float:
    """Seconds no scan can beat: regions run in parallel with separate budgets, and so do actions; each action
    needs (calls - burst) / rate seconds beyond the one-second burst the limit allows; and four calls must
    follow one another (clusters -> nodes -> native nodes -> existed instances), plus listing the regions.
    With `leftovers`, each region also lists each kind (its pages side by side, on their own budgets), and then,
    where the tags name clusters DescribeClusters lacks, asks the serverless and edge clusters: a chain of its own,
    beside the region's VM chain, after the regions are listed."""
    per_region = {name: _beyond_burst(calls) + 4 * latency_s for name, calls in minimum_calls(world).items()}
    if leftovers:
        for name, calls in leftover_calls(world).items():
            listing = _beyond_burst({api: n for api, n in calls.items() if api not in OTHER_CLUSTERS}) + latency_s
            others = {api: calls[api] for api in OTHER_CLUSTERS if calls[api]}
            check = _beyond_burst(others) + latency_s if others else 0.0
            per_region[name] = max(per_region[name], listing + check)
    return max(per_region.values()) + latency_s


@dataclass(frozen=True)
class OrgSpec:
    """An organization (issue 23): a management account and `members` member accounts, each a generated world of
    `regions` regions, `instances` instances and `clusters` clusters of its own (its seed: `seed + 1 + i`), the last
    `without_role` of them lacking the role; the emulator serves each account with its own credentials, limits and
    world."""

    name: str
    members: int
    regions: int
    instances: int  # per account
    clusters: int  # per account
    without_role: int = 0
    latency_ms: int = 50
    throttle: float = 0.0
    seed: int = 1


def _org(members: int, regions: int, without_role: int = 2) -> OrgSpec:
    return OrgSpec(f"org-{members}x{regions}", members, regions, 250 * regions, 3 * regions, without_role)


# Members of the same regions differ only in number: org-10x4's members are org-50x4's first ten (the same seeds),
# the last two of each lacking the role. 250 instances and 3 clusters a region, each account.
ORGS = {s.name: s for s in (_org(5, 2, 1), _org(10, 4), _org(25, 4), _org(50, 4))}

MEMBERS_PAGE = 50  # organization.DescribeOrganizationMembers's largest Limit


def accounts_of(org: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each scanned account's world (its regions and answer key) by the name the scan gives it: the management
    account `default`, each member with its role by its name (the generator's names are plain and unique)."""
    out = {"default": org}
    for m in org["organization"]["members"]:
        if "role" in m:
            out[m["name"]] = {"regions": m["regions"], "answer_key": m["answer_key"]}
    return out


def account_minimum(world: dict[str, Any], named: bool = False) -> int:
    """One account's calls with the default kinds of leftover: its regions listed (`regions: all`; not when they
    are `named`), then each region's VM and leftover calls."""
    per_region = [*minimum_calls(world).values(), *leftover_calls(world).values()]
    return (0 if named else 1) + sum(n for calls in per_region for n in calls.values())


def org_minimum(org: dict[str, Any], named: bool = False) -> dict[str, int]:
    """The calls no complete scan of the organization can do without, by who makes them: the members listed (pages
    of 50), one AssumeRole per member (one refused where the role is missing), and each account's own."""
    members = len(org["organization"]["members"])
    return {
        "organization.DescribeOrganizationMembers": max(1, math.ceil(members / MEMBERS_PAGE)),
        "sts.AssumeRole": members,
        # Named regions are still checked once, with the management account's keys (region.DescribeRegions).
        **{name: account_minimum(world, named and name != "default") for name, world in accounts_of(org).items()},
    }


def org_lower_bound(org: dict[str, Any], latency_s: float) -> float:
    """Seconds no scan of the organization can beat: members do not share quotas, so each account's bound is its own
    (`lower_bound`, with the leftovers), side by side; a member's starts after the members are listed (the first
    page, then the rest side by side) and its role assumed (AssumeRole's 600/s serve every member in one round).
    Named regions take as long: checked first (region.DescribeRegions) instead of listed by each account."""
    pages = math.ceil(len(org["organization"]["members"]) / MEMBERS_PAGE)
    before = (min(pages, 2) + 1) * latency_s
    bounds = {name: lower_bound(world, latency_s, leftovers=True) for name, world in accounts_of(org).items()}
    return max(bounds.pop("default"), before + max(bounds.values(), default=0.0))
