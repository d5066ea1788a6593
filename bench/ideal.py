"""The benchmark's "ideal client": the fewest calls a complete scan needs, and nothing else.

It makes exactly `worlds.minimum_calls` (and `worlds.leftover_calls`) through the official SDK's public API
(`CommonClient.call`, which returns the body after the SDK's own error check), parses each body once, at full
parallelism within the documented rate limits (a token bucket per region and action, a little below the limit, as
the emulator's own), and keeps nothing but counts. It decides nothing: which instances a scan would confirm with
`DescribeExistedInstances` is read from the answer key (given as a small file), since only the number of those
calls matters here. The SDK's own parse in its error check is the SDK's cost, which this client, like the product,
pays through the public API.

With `--leftovers` it also lists what deleted clusters leave behind as the scan must: in each region, beside its
VMs, its disks, load balancers and addresses through each product's own listing filtered by the tag key
tke-clusterId (every kind side by side, its pages as the VMs'), then the serverless and edge clusters asked about
the cluster ids the tags name and the region's DescribeClusters lacks.

    python bench/ideal.py URL SECRET_ID SECRET_KEY ORPHANS_JSON [--leftovers]  # prints {"calls": ..., ...}
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orjson import loads  # the fastest parser at hand: the ideal client is the SDK's cost, not ours
from worlds import PAGE, limit, would_be_named

VERSIONS = {"cvm": "2017-03-12", "region": "2022-06-27", "tke": "2018-05-25", "cbs": "2017-03-12",
            "clb": "2018-03-17", "vpc": "2017-03-12"}  # fmt: skip
# Each default kind's listing: (service, action, the answer's list, the key of its tags).
LISTINGS = (("cbs", "DescribeDisks", "DiskSet", "Tags"), ("clb", "DescribeLoadBalancers", "LoadBalancerSet", "Tags"),
            ("vpc", "DescribeAddresses", "AddressSet", "TagSet"))  # fmt: skip
BY_TAG = {"Filters": [{"Name": "tag-key", "Values": ["tke-clusterId"]}]}
TKE_2022 = "2022-05-01"
OTHER_PER_CALL = 20  # cluster ids a DescribeEKSClusters / DescribeTKEEdgeClusters call, as the scan asks
THREADS = 4  # per region and service: 20 calls/s at 50 ms need one call in flight; 40/s two


class Bucket:
    """`rate` calls a second with `burst` saved up; a little below the emulator's, so that jitter never trips it."""

    def __init__(self, rate: float) -> None:
        self.rate, self.capacity = rate * 0.95, max(1.0, rate * 0.9)
        self.tokens, self.last = self.capacity, time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
                self.last = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            time.sleep(wait)


class Client:
    def __init__(self, url: str, secret_id: str, secret_key: str) -> None:
        parts = urlsplit(url)
        http = HttpProfile(endpoint=parts.netloc, protocol=parts.scheme, keepAlive=True)
        self.profile = ClientProfile(httpProfile=http, disable_region_breaker=True)
        self.cred = credential.Credential(secret_id, secret_key)
        self.local = threading.local()
        self.buckets: dict[tuple[str, str, str], Bucket] = {}
        self.lock = threading.Lock()
        self.calls = self.retries = 0

    def call(self, service: str, action: str, region: str, params: dict[str, Any], version: str = "") -> Any:
        clients: dict[tuple[str, str, str], CommonClient] = self.local.__dict__.setdefault("clients", {})
        key = (service, version or VERSIONS[service], region)
        client = clients.get(key) or clients.setdefault(key, CommonClient(*key[:2], self.cred, region, self.profile))
        with self.lock:
            bucket = self.buckets.get((service, action, region)) or self.buckets.setdefault(
                (service, action, region), Bucket(limit(service, action))
            )
            self.calls += 1
        while True:
            bucket.acquire()
            try:
                return loads(client.call(action, params))["Response"]
            except TencentCloudSDKException as exc:
                if not str(exc.get_code()).startswith("RequestLimitExceeded"):
                    raise
                with self.lock:
                    self.retries += 1
                time.sleep(0.2)


def paged(c: Client, region: str, service: str, action: str, params: dict[str, Any],
          version: str = "") -> Callable[[int], Any]:  # fmt: skip
    """A listing's page at an offset."""
    return lambda offset: c.call(service, action, region, {**params, "Offset": offset, "Limit": PAGE}, version)


def pages(call: Callable[[int], Any], key: str, pool: ThreadPoolExecutor | None = None) -> list[Any]:
    """Every page: the first tells the total; the rest in parallel on `pool`, else one after another."""
    first = call(0)
    total, items = first["TotalCount"], list(first[key])
    if pool is None:
        for offset in range(PAGE, total, PAGE):
            items += call(offset)[key]
    else:
        items += [i for f in [pool.submit(call, o) for o in range(PAGE, total, PAGE)] for i in f.result()[key]]
    return items


def count_pages(call: Callable[[int], Any], key: str, pool: ThreadPoolExecutor) -> int:
    """Every page, in parallel after the first, counted: no page is kept longer than it takes to parse it."""
    first = call(0)
    later = [pool.submit(lambda o: len(call(o)[key]), o) for o in range(PAGE, first["TotalCount"], PAGE)]
    return len(first[key]) + sum(f.result() for f in later)


def region_scan(c: Client, region: str, orphans: list[str]) -> tuple[int, set[str]]:
    """Lists the region as a complete scan must; returns how many instances it saw, and its cluster ids."""

    def listing(service: str, action: str, params: dict[str, Any], version: str = "") -> Callable[[int], Any]:
        return paged(c, region, service, action, params, version)

    def nodes(cluster_id: str) -> None:
        params = {"ClusterId": cluster_id, "InstanceRole": "ALL"}
        listed = pages(listing("tke", "DescribeClusterInstances", params), "InstanceSet")
        if any(not n["InstanceId"].startswith("ins-") for n in listed):
            native = {"ClusterId": cluster_id, "Filters": [{"Name": "InstanceType", "Values": ["Native"]}]}
            pages(listing("tke", "DescribeClusterInstances", native, TKE_2022), "InstanceSet")

    with ThreadPoolExecutor(THREADS) as cvm, ThreadPoolExecutor(THREADS) as tke, ThreadPoolExecutor(1) as track:
        seen = track.submit(count_pages, listing("cvm", "DescribeInstances", {}), "InstanceSet", cvm)
        clusters = pages(listing("tke", "DescribeClusters", {}), "Clusters", tke)
        jobs: list[Future[Any]] = []
        for cl in clusters:
            cid = cl["ClusterId"]
            jobs.append(tke.submit(nodes, cid))
            jobs.append(
                tke.submit(pages, listing("tke", "DescribeNodePools", {"ClusterId": cid}, TKE_2022), "NodePools")
            )
        for job in jobs:
            job.result()
        listed = seen.result()
        for chunk in [orphans[i : i + PAGE] for i in range(0, len(orphans), PAGE)]:
            jobs.append(
                tke.submit(c.call, "tke", "DescribeExistedInstances", region, {"InstanceIds": chunk, "Limit": PAGE})
            )
        for job in jobs:
            job.result()
    return int(listed), {cl["ClusterId"] for cl in clusters}


def leftovers(c: Client, region: str) -> tuple[int, set[str]]:
    """The region's disks, load balancers and addresses that carry a cluster id, each product's listing filtered by
    the tag key (every kind side by side); how many, and the cluster ids they name."""

    def kind(service: str, action: str, key: str, tags: str) -> tuple[str, list[Any]]:
        return tags, pages(paged(c, region, service, action, BY_TAG), key, rest)

    with ThreadPoolExecutor(len(LISTINGS)) as kinds, ThreadPoolExecutor(THREADS) as rest:
        listed = list(kinds.map(kind, *zip(*LISTINGS, strict=True)))
    named = {cid for (_, action, _, tags), (_, items) in zip(LISTINGS, listed, strict=True)
             for cid in would_be_named(action, items, tags)}  # fmt: skip
    return sum(len(items) for _, items in listed), named


def other_clusters(c: Client, region: str, unknown: set[str]) -> None:
    """Cluster ids the tags name that DescribeClusters lacks: asked of the serverless and edge clusters."""
    ids = sorted(unknown)
    for action in ("DescribeEKSClusters", "DescribeTKEEdgeClusters"):
        for i in range(0, len(ids), OTHER_PER_CALL):
            c.call("tke", action, region, {"ClusterIds": ids[i : i + OTHER_PER_CALL], "Limit": OTHER_PER_CALL})


def region_all(c: Client, region: str, orphans: list[str], with_leftovers: bool) -> tuple[int, int]:
    """The region's VMs and, beside them, its leftovers; then the clusters its tags name that it lacks. How many
    instances it saw, and how many cluster-tagged resources."""
    with ThreadPoolExecutor(1) as side:
        tagged = side.submit(leftovers, c, region) if with_leftovers else None
        seen, clusters = region_scan(c, region, orphans)
        found, named = tagged.result() if tagged else (0, set())
    other_clusters(c, region, named - clusters)
    return seen, found


def main() -> int:
    url, secret_id, secret_key, orphans_file = sys.argv[1:5]
    orphans: dict[str, list[str]] = json.loads(Path(orphans_file).read_text(encoding="utf-8"))
    c = Client(url, secret_id, secret_key)
    with_leftovers = "--leftovers" in sys.argv[5:]
    regions = [r["Region"] for r in c.call("region", "DescribeRegions", "", {"Product": "cvm"})["RegionSet"]]
    with ThreadPoolExecutor(len(regions)) as pool:
        done = list(pool.map(lambda r: region_all(c, r, orphans.get(r, []), with_leftovers), regions))
    seen, found = sum(n for n, _ in done), sum(f for _, f in done)
    print(json.dumps({"calls": c.calls, "retries": c.retries, "instances": seen, "leftover_candidates": found}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
