"""region 2022-06-27: DescribeRegions, the preferred way to list a product's regions."""

from __future__ import annotations

from typing import Any

from ..store import Store
from . import params as P
from .context import Answer, Ctx


def region_set(store: Store, *, legacy: bool = False) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for rs in store.regions.values():
        item: dict[str, Any] = {"Region": rs.name, "RegionName": rs.display_name, "RegionState": rs.state}
        if not legacy:
            item |= {"RegionTypeMC": None, "LocationMC": None, "RegionNameMC": None, "RegionIdMC": None}
        out.append(item)
    return out


def describe_regions(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"Product", "Scene"})
    P.required_str(params, "Product")
    regions = region_set(ctx.store)
    return {"TotalCount": len(regions), "RegionSet": regions}
