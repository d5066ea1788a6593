"""Listing a region's resources of one kind (disks, load balancers, addresses, file systems, security groups) through
its own product's API, whole: Offset/Limit pages checked against TotalCount, narrowed on the server where the API
can (a tag key). A short, moved or odd answer fails the listing: the caller records it, and nothing of that region
can be a leftover, nor resolved as gone. Each kind's shapes are in kinds/; this module knows none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from .inventory import _check_total, _page_of, chunks, convert, whole_answer
from .session import Session

T = TypeVar("T")
MAX_PAGES = 10_000  # a listing that never ends must not loop forever
# Serverless (EKS) and edge clusters are not in DescribeClusters, yet TKE marks their disks and load balancers the
# same way: a cluster id DescribeClusters does not list is asked of these before anything of it is a leftover.
OTHER_CLUSTERS = ("DescribeEKSClusters", "DescribeTKEEdgeClusters")
OTHER_PER_CALL = 20  # their default Limit; ClusterIds per call kept within it


@dataclass(frozen=True)
class Listing:
    """How a region's resources of a kind are listed whole, and looked up by id. `filters`: what narrows the listing
    on the server (a tag key); `text_paging`: an API that takes Offset and Limit as strings (vpc's groups)."""

    service: str
    action: str
    items: str  # the answer's list
    ids: str  # the by-id parameter
    per_call: int  # ids one by-id call takes
    page: int = 100
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    version: str | None = None
    text_paging: bool = False
    scalar_id: bool = False  # the by-id parameter takes one id, not a list (cfs's FileSystemId)

    @property
    def api(self) -> str:
        return f"{self.service}.{self.action}"

    def paging(self, offset: int, limit: int) -> dict[str, Any]:
        return {"Offset": str(offset), "Limit": str(limit)} if self.text_paging else {"Offset": offset, "Limit": limit}


def list_all(session: Session, region: str, listing: Listing, record: Callable[[dict[str, Any]], T],
             key: Callable[[T], str]) -> list[T]:  # fmt: skip
    """Every resource the listing names in the region, as records. Raises CloudError, also when the pages do not add
    up to their TotalCount, or repeat an id (a list that moved while paged may have skipped one)."""
    base: dict[str, Any] = {}
    if listing.filters:
        base["Filters"] = [{"Name": name, "Values": list(values)} for name, values in listing.filters]
    items: list[dict[str, Any]] = []
    total = page_total = -1
    for n in range(MAX_PAGES):
        params = {**base, **listing.paging(n * listing.page, listing.page)}
        resp = session.call(listing.service, listing.action, region, params, version=listing.version)
        page, page_total = _page_of(resp, listing.items, listing.api)
        total = page_total if n == 0 else total
        if page_total != total or not page:
            break
        items.extend(page)
        if len(items) >= total:
            break
    records = convert(listing.api, items, record)
    # One check for a total that moved, a short page and a repeated one: as many distinct ids as TotalCount says.
    _check_total(listing.api, total, page_total, len({key(r) for r in records}), None)
    return records


def by_id(session: Session, region: str, listing: Listing, ids: Collection[str], record: Callable[[dict[str, Any]], T],
          key: Callable[[T], str]) -> list[T]:  # fmt: skip
    """These resources as their product's own listing shows them now (a missing id is gone); raises CloudError, also
    for an answer short of its TotalCount."""
    found: list[T] = []
    for chunk in chunks(sorted(set(ids)), 1 if listing.scalar_id else listing.per_call):
        asked = chunk[0] if listing.scalar_id else chunk
        params = {listing.ids: asked, **listing.paging(0, listing.page)}
        resp = session.call(listing.service, listing.action, region, params, version=listing.version)
        items = whole_answer(listing.api, resp, listing.items, len(chunk))
        found += [r for r in convert(listing.api, items, record) if key(r) in chunk]
    return found


def other_live_clusters(session: Session, region: str, cluster_ids: Collection[str]) -> frozenset[str]:
    """Which of these cluster ids (named by resources, not listed by DescribeClusters) are serverless or edge
    clusters that exist. Raises CloudError: then none of them can be proven deleted."""
    live: set[str] = set()
    for action in OTHER_CLUSTERS if cluster_ids else ():
        api = f"tke.{action}"
        for chunk in chunks(sorted(set(cluster_ids)), OTHER_PER_CALL):
            resp = session.call("tke", action, region, {"ClusterIds": chunk, "Limit": OTHER_PER_CALL})
            items = whole_answer(api, resp, "Clusters", len(chunk))
            live |= {str(c.get("ClusterId")) for c in items if isinstance(c, dict)} & set(chunk)
    return frozenset(live)
