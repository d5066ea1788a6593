"""Listing an account's disks, load balancers and addresses that carry a cluster id: tag-first, then confirmed.

The tag API's GetResources finds the candidates of every product in few calls. It is account-wide (each resource's
six-segment name carries its region), so an account is listed once per pass and its regions share the answer; each
product's own API then gives the state of a region's candidates by id. A failed call fails that listing: the caller
records it, and nothing of the regions it covers can be a leftover.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from ..model import CLUSTER_TAG, Billing, CloudResource, LeftoverKind
from .errors import CloudError
from .inventory import _convert, chunks, parse_time
from .session import Session

TAG_PAGE = 200  # GetResources' MaxResults at most
MAX_TAG_PAGES = 10_000  # a token that never ends must not loop forever
# (service, action, id parameter, answer list, ids a call): each product's own listing by id.
_BY_ID: dict[LeftoverKind, tuple[str, str, str, str, int]] = {
    LeftoverKind.CBS_DISK: ("cbs", "DescribeDisks", "DiskIds", "DiskSet", 100),
    LeftoverKind.CLB: ("clb", "DescribeLoadBalancers", "LoadBalancerIds", "LoadBalancerSet", 20),
    LeftoverKind.EIP: ("vpc", "DescribeAddresses", "AddressIds", "AddressSet", 100),
}
# Serverless (EKS) and edge clusters are not in DescribeClusters, yet TKE tags their disks and load balancers the
# same way: a cluster id it does not list is asked of these before anything tagged with it is called a leftover.
OTHER_CLUSTERS = ("DescribeEKSClusters", "DescribeTKEEdgeClusters")
OTHER_PER_CALL = 20  # their default Limit; ClusterIds per call kept within it
# These listings' APIs: a failure of one of them says nothing about the region's VMs.
LEFTOVER_APIS = frozenset(
    {"tag.GetResources", *(f"{service}.{action}" for service, action, *_ in _BY_ID.values())}
    | {f"tke.{action}" for action in OTHER_CLUSTERS}
)
# Six-segment resource names: qcs::<service>:<region>:uin/<uin>:<prefix>/<id>.
_PREFIX = {("cvm", "volume"): LeftoverKind.CBS_DISK, ("clb", "clb"): LeftoverKind.CLB, ("cvm", "eip"): LeftoverKind.EIP}


def _tags(items: Any, key: str = "Key", value: str = "Value") -> tuple[tuple[str, str], ...]:
    return tuple((t[key], t.get(value) or "") for t in items or ())


def _text(d: Any, key: str) -> str:
    value = d.get(key) if isinstance(d, dict) else None
    return value if isinstance(value, str) else ""


def _count(d: Any, key: str) -> int:
    value = d.get(key) if isinstance(d, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _disk(d: dict[str, Any]) -> CloudResource:
    attached = bool(d.get("Attached")) or d.get("DiskState") != "UNATTACHED"
    billing = Billing(charge_type=_text(d, "DiskChargeType"), disk_type=_text(d, "DiskType"),
                      size_gb=_count(d, "DiskSize"), zone=_text(d.get("Placement"), "Zone"))  # fmt: skip
    return CloudResource(LeftoverKind.CBS_DISK, d["DiskId"], d.get("DiskName") or "", d.get("DiskState") or "",
                         parse_time(d.get("CreateTime")), attached, _tags(d.get("Tags")), billing)  # fmt: skip


def _clb(d: dict[str, Any]) -> CloudResource:
    code = d.get("Status")
    status = {0: "CREATING", 1: "RUNNING"}.get(code, "") if isinstance(code, int) else str(code or "")
    tags = _tags(d.get("Tags"), "TagKey", "TagValue")
    net = d.get("NetworkAttributes")
    billing = Billing(charge_type=_text(d, "ChargeType"), lb_type=_text(d, "LoadBalancerType"),
                      sla_type=_text(d, "SlaType"), internet_charge_type=_text(net, "InternetChargeType"),
                      bandwidth_mbps=_count(net, "InternetMaxBandwidthOut"),
                      zone=_text(d.get("MasterZone"), "Zone"))  # fmt: skip
    return CloudResource(LeftoverKind.CLB, d["LoadBalancerId"], d.get("LoadBalancerName") or "", status,
                         parse_time(d.get("CreateTime")), False, tags, billing)  # fmt: skip


def _address(d: dict[str, Any]) -> CloudResource:
    # Anything but UNBIND (BIND, BIND_ENI, UNBINDING, CREATING...) counts as in use.
    bound = d.get("AddressStatus") != "UNBIND"
    billing = Billing(internet_charge_type=_text(d, "InternetChargeType"), bandwidth_mbps=_count(d, "Bandwidth"),
                      address_type=_text(d, "AddressType"))  # fmt: skip
    return CloudResource(LeftoverKind.EIP, d["AddressId"], d.get("AddressName") or "", d.get("AddressStatus") or "",
                         parse_time(d.get("CreatedTime")), bound, _tags(d.get("TagSet")), billing)  # fmt: skip


_TO_RECORD: dict[LeftoverKind, Callable[[dict[str, Any]], CloudResource]] = {
    LeftoverKind.CBS_DISK: _disk,
    LeftoverKind.CLB: _clb,
    LeftoverKind.EIP: _address,
}


def _answer(api: str, resp: dict[str, Any], key: str, asked: int) -> list[Any]:
    """The answer's list, whole: a by-id answer that lists fewer than its TotalCount (a short or cut page) would
    make a live cluster look deleted or a leftover look gone, so it fails the listing."""
    items, total = resp.get(key), resp.get("TotalCount")
    if not isinstance(items, list) or not isinstance(total, int) or isinstance(total, bool):
        raise CloudError(api, "InvalidResponse", f"the answer has no {key} list or no TotalCount")
    if len(items) != total or total > asked:
        raise CloudError(api, "IncompleteListing", f"{len(items)} items listed, TotalCount says {total}")
    return items


Tagged = dict[str, dict[LeftoverKind, list[str]]]  # region -> kind -> ids


def tagged_ids(session: Session, kinds: Collection[LeftoverKind]) -> Tagged:
    """The ids of the account's resources of these kinds that carry a cluster id tag, per region and kind: one
    paginated listing for every region (GetResources takes no region)."""
    api = "tag.GetResources"
    out: Tagged = {}
    token = ""
    for _ in range(MAX_TAG_PAGES):
        params: dict[str, Any] = {"TagFilters": [{"TagKey": CLUSTER_TAG}], "MaxResults": TAG_PAGE}
        if token:
            params["PaginationToken"] = token
        resp = session.call("tag", "GetResources", "", params)
        items, next_token = resp.get("ResourceTagMappingList"), resp.get("PaginationToken")
        if not isinstance(items, list) or not isinstance(next_token, str):
            raise CloudError(api, "InvalidResponse", "the answer has no ResourceTagMappingList or PaginationToken")
        for item in items:
            parts = str(item.get("Resource") or "").split(":")
            if len(parts) != 6 or "/" not in parts[5]:
                continue
            prefix, rid = parts[5].split("/", 1)
            kind = _PREFIX.get((parts[2], prefix))
            if kind is not None and kind in kinds:
                out.setdefault(parts[3], {}).setdefault(kind, []).append(rid)
        token = next_token
        if not token:
            return out
    raise CloudError(api, "IncompleteListing", f"more than {MAX_TAG_PAGES} pages: the listing did not end")


def confirm(session: Session, region: str, ids: dict[LeftoverKind, list[str]]) -> list[CloudResource]:
    """The current state of these resources of the region, by id, from each product's own API.

    A resource the tag API names but its product no longer lists is gone: not reported. Raises CloudError."""
    found: list[CloudResource] = []
    for kind, kind_ids in ids.items():
        found += by_id(session, region, kind, kind_ids)
    return found


def by_id(session: Session, region: str, kind: LeftoverKind, ids: Collection[str]) -> list[CloudResource]:
    """These resources of one kind as their product's own listing shows them now (a missing id is gone)."""
    service, action, id_param, key, per_call = _BY_ID[kind]
    api = f"{service}.{action}"
    found: list[CloudResource] = []
    for chunk in chunks(sorted(set(ids)), per_call):
        resp = session.call(service, action, region, {id_param: chunk, "Limit": 100})
        items = _answer(api, resp, key, len(chunk))
        found += [r for r in _convert(api, items, _TO_RECORD[kind]) if r.resource_id in chunk]
    return found


def other_live_clusters(session: Session, region: str, cluster_ids: Collection[str]) -> frozenset[str]:
    """Which of these cluster ids (tagged on resources, not listed by DescribeClusters) are serverless or edge
    clusters that exist. Raises CloudError: then none of them can be proven deleted."""
    live: set[str] = set()
    for action in OTHER_CLUSTERS if cluster_ids else ():
        api = f"tke.{action}"
        for chunk in chunks(sorted(set(cluster_ids)), OTHER_PER_CALL):
            resp = session.call("tke", action, region, {"ClusterIds": chunk, "Limit": OTHER_PER_CALL})
            items = _answer(api, resp, "Clusters", len(chunk))
            live |= {str(c.get("ClusterId")) for c in items if isinstance(c, dict)} & set(chunk)
    return frozenset(live)
