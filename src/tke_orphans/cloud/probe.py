"""One small call per API, for `doctor`: does each permission work? The API names and parameters stay here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .inventory import TKE_2022
from .resources import Listing
from .session import Session


@dataclass(frozen=True)
class Probe:
    """One API to try in a region: `api` as shown, `cam_action` as a CAM policy names it."""

    api: str
    cam_action: str
    run: Callable[[Session, str], object]  # the answer's TotalCount; raises CloudError


def _count(service: str, action: str, params: dict[str, Any], version: str | None) -> Callable[[Session, str], object]:
    def run(session: Session, region: str) -> object:
        return session.call(service, action, region, {**params, "Limit": 1}, version=version).get("TotalCount", 0)

    return run


def _probe(service: str, action: str, params: dict[str, Any], version: str | None = None) -> Probe:
    shown = f"{service}.{action}" + (f" ({version})" if version else "")
    return Probe(shown, f"{service}:{action}", _count(service, action, params, version))


INSTANCES = _probe("cvm", "DescribeInstances", {})
EXISTED = _probe("tke", "DescribeExistedInstances", {})
CLUSTERS_API, CLUSTERS_CAM = "tke.DescribeClusters", "tke:DescribeClusters"


def first_cluster(session: Session, region: str) -> tuple[str | None, object]:
    """The id of one cluster of the region (None: it has none) and how many it has; raises CloudError."""
    resp = session.call("tke", "DescribeClusters", region, {"Limit": 1})
    ids = [c["ClusterId"] for c in resp.get("Clusters") or []]
    return (ids[0] if ids else None), resp.get("TotalCount", len(ids))


def cluster_probes(cluster_id: str) -> list[Probe]:
    """The per-cluster APIs the scan uses, tried on one cluster."""
    cid = {"ClusterId": cluster_id}
    return [
        _probe("tke", "DescribeClusterInstances", {**cid, "InstanceRole": "ALL"}),
        _probe("tke", "DescribeClusterInstances", cid, TKE_2022),
        _probe("tke", "DescribeNodePools", cid, TKE_2022),
    ]


def leftover_probes(listings: Sequence[Listing], plain: Sequence[tuple[str, str]] = ()) -> list[Probe]:
    """The listings finding the enabled kinds of leftovers need, in a region (serverless and edge clusters too), and
    their reads that take no parameter (`plain`: service, action)."""
    if not listings:
        return []
    shown = [Probe(x.api + (f" ({x.version})" if x.version else ""), f"{x.service}:{x.action}", _listing(x))
             for x in listings]  # fmt: skip
    asked = [Probe(f"{service}.{action}", f"{service}:{action}", _asked(service, action)) for service, action in plain]
    return [*shown, *asked, _probe("tke", "DescribeEKSClusters", {}), _probe("tke", "DescribeTKEEdgeClusters", {})]


def _asked(service: str, action: str) -> Callable[[Session, str], object]:
    def run(session: Session, region: str) -> object:
        session.call(service, action, region, {})
        return "answered"

    return run


def _listing(x: Listing) -> Callable[[Session, str], object]:
    def run(session: Session, region: str) -> object:
        params: dict[str, Any] = x.paging(0, 1)
        if x.filters:
            params["Filters"] = [{"Name": name, "Values": list(values)} for name, values in x.filters]
        return session.call(x.service, x.action, region, params, version=x.version).get("TotalCount", 0)

    return run
