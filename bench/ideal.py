"""The benchmark's "ideal client": the fewest calls a complete scan needs, and nothing else.

It makes exactly `worlds.minimum_calls` through the official SDK's public API (`CommonClient.call`, which returns
the body after the SDK's own error check), parses each body once, at full parallelism within the documented rate
limits (a token bucket per region and action, a little below the limit, as the emulator's own), and keeps nothing
but counts. It decides nothing: which instances a scan would confirm with `DescribeExistedInstances` is read from
the answer key (given as a small file), since only the number of those calls matters here. The SDK's own parse in
its error check is the SDK's cost, which this client, like the product, pays through the public API.

With `--leftovers` it also lists what deleted clusters leave behind as the scan must: the account's resources
tagged with a cluster id (GetResources, one page after another: each names the next), beside the regions, then
each region's disks, load balancers and addresses by id, every kind side by side.

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
from worlds import PAGE, limit

VERSIONS = {"cvm": "2017-03-12", "region": "2022-06-27", "tke": "2018-05-25", "tag": "2018-08-13",
            "cbs": "2017-03-12", "clb": "2018-03-17", "vpc": "2017-03-12"}  # fmt: skip
# Six-segment name (service, prefix) -> the product's listing by id: (service, action, id parameter, ids a call).
BY_ID = {("cvm", "volume"): ("cbs", "DescribeDisks", "DiskIds", 100),
         ("clb", "clb"): ("clb", "DescribeLoadBalancers", "LoadBalancerIds", 20),
         ("cvm", "eip"): ("vpc", "DescribeAddresses", "AddressIds", 100)}  # fmt: skip
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
        return lambda offset: c.call(service, action, region, {**params, "Offset": offset, "Limit": PAGE}, version)

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


Tagged = dict[str, set[str]]  # region -> the cluster ids its tagged resources name


def leftovers(c: Client) -> tuple[int, Tagged]:
    """The account's cluster-tagged resources, then each region's by id (every product side by side); how many, and
    the cluster ids each region's name."""
    ids: dict[tuple[str, str, str, str, int], list[str]] = {}
    token = ""
    while True:
        params: dict[str, Any] = {"TagFilters": [{"TagKey": "tke-clusterId"}], "MaxResults": 200}
        if token:
            params["PaginationToken"] = token
        page = c.call("tag", "GetResources", "", params)
        for item in page["ResourceTagMappingList"]:
            _, _, service, region, _, tail = item["Resource"].split(":")
            prefix, rid = tail.split("/", 1)
            if (service, prefix) in BY_ID:
                ids.setdefault((region, *BY_ID[service, prefix]), []).append(rid)
        token = page["PaginationToken"]
        if not token:
            break
    calls = [(key, chunk) for key, found in ids.items() for chunk in
             [found[i : i + key[4]] for i in range(0, len(found), key[4])]]  # fmt: skip
    with ThreadPoolExecutor(THREADS * 4) as pool:
        answers = list(
            pool.map(
                lambda kc: (kc[0][0], c.call(kc[0][1], kc[0][2], kc[0][0], {kc[0][3]: kc[1], "Limit": 100})), calls
            )
        )
    named: Tagged = {}
    found = 0
    for region, a in answers:
        items = a.get("DiskSet") or a.get("LoadBalancerSet") or a.get("AddressSet") or ()
        found += len(items)
        for item in items:
            for t in item.get("Tags") or item.get("TagSet") or ():
                if (t.get("Key") or t.get("TagKey")) == "tke-clusterId":
                    named.setdefault(region, set()).add(t.get("Value") or t.get("TagValue") or "")
    return found, named


def other_clusters(c: Client, region: str, unknown: set[str]) -> None:
    """Cluster ids the tags name that DescribeClusters lacks: asked of the serverless and edge clusters."""
    ids = sorted(unknown)
    for action in ("DescribeEKSClusters", "DescribeTKEEdgeClusters"):
        for i in range(0, len(ids), OTHER_PER_CALL):
            c.call("tke", action, region, {"ClusterIds": ids[i : i + OTHER_PER_CALL], "Limit": OTHER_PER_CALL})


def main() -> int:
    url, secret_id, secret_key, orphans_file = sys.argv[1:5]
    orphans: dict[str, list[str]] = json.loads(Path(orphans_file).read_text(encoding="utf-8"))
    c = Client(url, secret_id, secret_key)
    with ThreadPoolExecutor(1) as side:
        tagged = side.submit(leftovers, c) if "--leftovers" in sys.argv[5:] else None
        regions = [r["Region"] for r in c.call("region", "DescribeRegions", "", {"Product": "cvm"})["RegionSet"]]
        with ThreadPoolExecutor(len(regions)) as pool:
            scanned = dict(zip(regions, pool.map(lambda r: region_scan(c, r, orphans.get(r, [])), regions),
                               strict=True))  # fmt: skip
        seen = sum(n for n, _ in scanned.values())
        found, named = tagged.result() if tagged else (0, {})
        with ThreadPoolExecutor(max(1, len(named))) as pool:
            list(pool.map(lambda r: other_clusters(c, r, named[r] - scanned[r][1] - {""}), named))
    print(json.dumps({"calls": c.calls, "retries": c.retries, "instances": seen, "leftover_candidates": found}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
