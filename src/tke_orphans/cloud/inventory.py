"""Listing one region into records: instances, clusters, nodes (every role, native nodes by CVM id), node pools.

Two tracks run side by side, since CVM and TKE have separate rate budgets: the CVM instance pages, and the TKE
calls, where the clusters' listings run in parallel. A failed listing is recorded, never read as "empty".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from ..model import ApiFailure, Cluster, Disk, Instance, Internet, NodePool, RegionInventory
from .errors import CloudError, as_text
from .session import Session

log = logging.getLogger(__name__)

PAGE = 100
TKE_2022 = "2022-05-01"
T = TypeVar("T")


def parse_time(value: Any) -> datetime | None:
    """CVM times: `2026-01-02T03:04:05Z` as documented, `+00:00` as in some examples."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _disk(d: dict[str, Any]) -> Disk:
    keep = d.get("DeleteWithInstance")
    return Disk(d.get("DiskType") or "", int(d.get("DiskSize") or 0), d.get("DiskId") or "",
                None if keep is None else bool(keep))  # fmt: skip


def _internet(d: dict[str, Any] | None) -> Internet | None:
    if not d:
        return None
    return Internet(d.get("InternetChargeType") or "", int(d.get("InternetMaxBandwidthOut") or 0),
                    d.get("BandwidthPackageId") or "")  # fmt: skip


def to_instance(d: dict[str, Any]) -> Instance:
    created = parse_time(d.get("CreatedTime"))
    if created is None:
        raise ValueError(f"instance {d.get('InstanceId')} has no CreatedTime")
    return Instance(
        instance_id=d["InstanceId"],
        name=d.get("InstanceName") or "",
        state=d.get("InstanceState") or "",
        instance_type=d.get("InstanceType") or "",
        cpu=int(d.get("CPU") or 0),
        memory_gb=int(d.get("Memory") or 0),
        charge_type=d.get("InstanceChargeType") or "",
        created=created,
        expired=parse_time(d.get("ExpiredTime")),
        zone=(d.get("Placement") or {}).get("Zone") or "",
        vpc_id=(d.get("VirtualPrivateCloud") or {}).get("VpcId") or "",
        private_ips=tuple(d.get("PrivateIpAddresses") or ()),
        public_ips=tuple(d.get("PublicIpAddresses") or ()),
        tags=tuple((t["Key"], t.get("Value") or "") for t in d.get("Tags") or ()),
        disable_api_termination=bool(d.get("DisableApiTermination")),
        image_id=d.get("ImageId") or "",
        system_disk=_disk(d["SystemDisk"]) if d.get("SystemDisk") else None,
        data_disks=tuple(_disk(x) for x in d.get("DataDisks") or ()),
        internet=_internet(d.get("InternetAccessible")),
        renew_flag=d.get("RenewFlag") or "",
    )


def convert(api: str, items: list[dict[str, Any]], fn: Callable[[dict[str, Any]], T]) -> list[T]:
    try:
        return [fn(d) for d in items]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CloudError(api, "InvalidResponse", f"unexpected item in the answer: {exc!r}") from None


def whole_answer(api: str, resp: dict[str, Any], key: str, asked: int) -> list[Any]:
    """A by-id answer's list, whole: one that lists fewer than its TotalCount (a short or cut page) would make a live
    resource look gone, or a live cluster deleted, so it fails the listing."""
    items, total = resp.get(key), resp.get("TotalCount")
    if not isinstance(items, list) or not isinstance(total, int) or isinstance(total, bool):
        raise CloudError(api, "InvalidResponse", f"the answer has no {key} list or no TotalCount")
    if len(items) != total or total > asked:
        raise CloudError(api, "IncompleteListing", f"{len(items)} items listed, TotalCount says {total}")
    return items


def _page_of(resp: dict[str, Any], key: str, api: str) -> tuple[list[dict[str, Any]], int]:
    items, total = resp.get(key), resp.get("TotalCount")
    if not isinstance(items, list) or not isinstance(total, int):
        raise CloudError(api, "InvalidResponse", f"the answer has no {key} list or no TotalCount")
    return items, total


Fetch = Callable[[int], tuple[list[T], int]]


def _check_total(api: str, total: int, page_total: int, got: int, cluster_id: str | None) -> None:
    """Offset paging is only as good as its totals: a list that moved while we paged may have skipped an item."""
    if page_total != total:
        raise CloudError(api, "IncompleteListing", f"TotalCount changed from {total} to {page_total} while paging",
                         cluster_id=cluster_id)  # fmt: skip
    if got != total:
        raise CloudError(
            api, "IncompleteListing", f"{got} items listed, TotalCount says {total}", cluster_id=cluster_id
        )


def _sequential(fetch: Fetch[dict[str, Any]], api: str, cluster_id: str | None = None) -> list[dict[str, Any]]:
    items, total = fetch(0)
    offset, page_total = PAGE, total
    while offset < total:
        page, page_total = fetch(offset)
        if not page or page_total != total:
            break
        items.extend(page)
        offset += PAGE
    _check_total(api, total, page_total, len(items), cluster_id)
    return items


def _parallel(fetch: Fetch[T], pool: ThreadPoolExecutor, api: str) -> tuple[list[T], int]:
    """The first page tells the total; the rest are fetched at once. Call from outside `pool`'s workers.

    Returns the items and the total, which every page must have agreed on; the caller checks the unique count.
    """
    items, total = fetch(0)
    futures = [pool.submit(fetch, offset) for offset in range(PAGE, total, PAGE)]
    for f in futures:
        page, page_total = f.result()
        _check_total(api, total, page_total, total, None)
        items.extend(page)
    return items, total


def failure_of(exc: Exception, api: str, cluster_id: str | None = None) -> ApiFailure:
    """Any exception from a listing, as a failure of that listing: an odd answer must not stop the other listings."""
    if isinstance(exc, CloudError):
        return exc.failure(cluster_id)
    return ApiFailure(api, "InvalidResponse", as_text(f"{type(exc).__name__}: {exc}"), cluster_id)


class RegionLister:
    def __init__(self, session: Session, region: str, concurrency: int = 4) -> None:
        self.session = session
        self.region = region
        self.concurrency = concurrency

    def _fetch(self, service: str, action: str, key: str, params: dict[str, Any], **kw: Any) -> Fetch[dict[str, Any]]:
        api = f"{service}.{action}"

        def fetch(offset: int) -> tuple[list[dict[str, Any]], int]:
            resp = self.session.call(service, action, self.region, {**params, "Offset": offset, "Limit": PAGE}, **kw)
            return _page_of(resp, key, api)

        return fetch

    # ---- the CVM track ------------------------------------------------------------------------------------

    def instances(self, pool: ThreadPoolExecutor) -> list[Instance]:
        raw = self._fetch("cvm", "DescribeInstances", "InstanceSet", {})

        def page(offset: int) -> tuple[list[Instance], int]:
            # Records as soon as a page arrives: 100,000 API dicts never sit in memory at once.
            items, total = raw(offset)
            return convert("cvm.DescribeInstances", items, to_instance), total

        listed, total = _parallel(page, pool, "cvm.DescribeInstances")
        seen = {inst.instance_id: inst for inst in listed}
        # Offset paging repeats or skips items when the list changes meanwhile: then it is not a complete listing.
        _check_total("cvm.DescribeInstances", total, total, len(seen), None)
        return list(seen.values())

    # ---- the TKE track ------------------------------------------------------------------------------------

    def clusters(self, pool: ThreadPoolExecutor) -> list[Cluster]:
        raw, total = _parallel(self._fetch("tke", "DescribeClusters", "Clusters", {}), pool, "tke.DescribeClusters")
        _check_total("tke.DescribeClusters", total, total, len({d.get("ClusterId") for d in raw}), None)
        return convert(
            "tke.DescribeClusters",
            raw,
            lambda d: Cluster(
                d["ClusterId"], d.get("ClusterName") or "", d.get("ClusterType") or "", d.get("ClusterStatus") or ""
            ),
        )

    def members(self, cluster_id: str) -> dict[str, str]:
        """CVM id -> cluster id for every node of one cluster, every role, native nodes resolved."""
        nodes = _sequential(
            self._fetch(
                "tke",
                "DescribeClusterInstances",
                "InstanceSet",
                # The default role is WORKER: without ALL an independent cluster's masters look orphaned.
                {"ClusterId": cluster_id, "InstanceRole": "ALL"},
                cluster_id=cluster_id,
            ),
            "tke.DescribeClusterInstances",
            cluster_id,
        )
        members: dict[str, str] = {}
        machines: set[str] = set()
        for n in nodes:
            node_id = n.get("InstanceId") or ""
            if node_id.startswith("ins-"):
                members[node_id] = cluster_id
            elif node_id:
                machines.add(node_id)  # a native node, listed by machine name: not a CVM id
        if machines:
            members |= self._native_members(cluster_id, machines)
        return members

    def _native_members(self, cluster_id: str, machines: set[str]) -> dict[str, str]:
        """The 2018 API lists native nodes by machine name; the 2022 API gives their CVM ids."""
        api = "tke.DescribeClusterInstances"
        nodes = _sequential(
            self._fetch(
                "tke",
                "DescribeClusterInstances",
                "InstanceSet",
                {"ClusterId": cluster_id, "Filters": [{"Name": "InstanceType", "Values": ["Native"]}]},
                version=TKE_2022,
                cluster_id=cluster_id,
            ),
            api,
            cluster_id,
        )
        found: dict[str, str] = {}
        resolved: set[str] = set()
        for n in nodes:
            native = n.get("Native") or {}
            cvm_id = native.get("InstanceId") or ""
            resolved.update({n.get("InstanceId") or "", native.get("MachineName") or ""})
            if cvm_id.startswith("ins-"):
                found[cvm_id] = cluster_id
        missing = machines - resolved
        if missing:
            raise CloudError(
                api,
                "IncompleteListing",
                f"{len(missing)} native node(s) of the 2018 listing are missing from the 2022 listing "
                f"(e.g. {sorted(missing)[0]}); their CVM ids are unknown",
                cluster_id=cluster_id,
            )
        return found

    def node_pools(self, cluster_id: str) -> list[NodePool]:
        raw = _sequential(
            self._fetch(
                "tke",
                "DescribeNodePools",
                "NodePools",
                {"ClusterId": cluster_id},
                version=TKE_2022,
                cluster_id=cluster_id,
            ),
            "tke.DescribeNodePools",
            cluster_id,
        )

        def pool(d: dict[str, Any]) -> NodePool:
            regular = d.get("Regular") or {}
            return NodePool(
                node_pool_id=d["NodePoolId"],
                cluster_id=cluster_id,
                name=d.get("Name") or "",
                native=d.get("Type") == "Native",
                autoscaling_group_id=regular.get("AutoscalingGroupId") or None,
                life_state=str(d.get("LifeState") or "").lower(),
            )

        return convert("tke.DescribeNodePools", raw, pool)

    # ---- the whole region ---------------------------------------------------------------------------------

    def collect(self) -> RegionInventory:
        inv = RegionInventory(self.session.account, self.region)
        with (
            ThreadPoolExecutor(max(2, self.concurrency // 2), thread_name_prefix=f"cvm-{self.region}") as cvm_pool,
            ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"tke-{self.region}") as tke_pool,
            ThreadPoolExecutor(1, thread_name_prefix=f"track-{self.region}") as track,
        ):
            cvm_track = track.submit(self.instances, cvm_pool)
            self._tke_track(inv, tke_pool)
            try:
                inv.instances = cvm_track.result()
            except Exception as exc:
                inv.errors.append(failure_of(exc, "cvm.DescribeInstances"))
        return inv

    def _tke_track(self, inv: RegionInventory, pool: ThreadPoolExecutor) -> None:
        try:
            inv.clusters = self.clusters(pool)
        except Exception as exc:
            inv.errors.append(failure_of(exc, "tke.DescribeClusters"))
            return
        jobs: list[tuple[str, Future[dict[str, str]], Future[list[NodePool]]]] = [
            (c.cluster_id, pool.submit(self.members, c.cluster_id), pool.submit(self.node_pools, c.cluster_id))
            for c in inv.clusters
        ]
        for cluster_id, members, pools in jobs:
            try:
                inv.members.update(members.result())
            except Exception as exc:
                failure = failure_of(exc, "tke.DescribeClusterInstances", cluster_id)
                inv.failed_clusters[cluster_id] = failure
                inv.errors.append(failure)
            try:
                inv.node_pools.extend(pools.result())
            except Exception as exc:
                inv.errors.append(failure_of(exc, "tke.DescribeNodePools", cluster_id))

    def confirm(self, inv: RegionInventory, instance_ids: list[str]) -> None:
        """Ask TKE which of these CVMs are in a cluster (any cluster of the region), 100 a call."""
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"existed-{self.region}") as pool:
            futures = [pool.submit(self._existed, chunk) for chunk in chunks(instance_ids, PAGE)]
            failed = False
            for f in futures:
                try:
                    inv.existed.update(f.result())
                except Exception as exc:
                    failed = True
                    inv.errors.append(failure_of(exc, "tke.DescribeExistedInstances"))
        missing = [i for i in instance_ids if i not in inv.existed]
        if missing and not failed:
            # An instance TKE did not answer for is not confirmed: unverified, and the region is not complete.
            inv.errors.append(
                ApiFailure("tke.DescribeExistedInstances", "IncompleteAnswer",
                           f"{len(missing)} asked instance(s) missing from the answer, e.g. {missing[0]}")
            )  # fmt: skip

    def existed_owners(self, ids: list[str]) -> dict[str, str]:
        """CVM id -> the cluster TKE says it is in ("" for none); raises CloudError."""
        out: dict[str, str] = {}
        for chunk in chunks(ids, PAGE):
            out |= self._existed(chunk)
        return out

    def _existed(self, ids: list[str]) -> dict[str, str]:
        # Limit defaults to 20: without it, 80 of 100 answers would silently be missing.
        resp = self.session.call("tke", "DescribeExistedInstances", self.region, {"InstanceIds": ids, "Limit": PAGE})
        items, _ = _page_of(resp, "ExistedInstanceSet", "tke.DescribeExistedInstances")
        return {d["InstanceId"]: d.get("AlreadyInCluster") or "" for d in items if d.get("InstanceId") in ids}


def chunks(items: list[str], size: int) -> Iterator[list[str]]:
    """Batches of at most `size`: what one call may take."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def list_regions(session: Session) -> list[str]:
    """Every region where CVM is available, from the region service."""
    resp = session.call("region", "DescribeRegions", "", {"Product": "cvm"})
    items, total = _page_of(resp, "RegionSet", "region.DescribeRegions")
    # A region missing from the answer would be a region silently not scanned.
    _check_total("region.DescribeRegions", total, total, len({d.get("Region") for d in items}), None)
    return sorted(d["Region"] for d in items if d.get("RegionState", "AVAILABLE") == "AVAILABLE")
