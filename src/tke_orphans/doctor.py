"""`tke-orphans doctor`: one call per API and region, to show that credentials and CAM permissions work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .cloud import PERMISSION_CODES, CloudError, Session, list_regions
from .cloud.inventory import TKE_2022


@dataclass(frozen=True)
class Check:
    account: str
    region: str
    api: str
    ok: bool
    detail: str


def _hint(exc: CloudError, cam_action: str) -> str:
    if exc.code.startswith(PERMISSION_CODES):
        return f"{exc.code}: the CAM policy lacks {cam_action}"
    if exc.code.startswith("AuthFailure"):
        return f"{exc.code}: check the SecretId/SecretKey ({exc.message})"
    return f"{exc.code}: {exc.message}"


def _try(session: Session, region: str, service: str, action: str, params: dict[str, Any], **kw: Any) -> Check:
    api = f"{service}.{action}" + (" (2022-05-01)" if kw.get("version") == TKE_2022 else "")
    try:
        resp = session.call(service, action, region, params, **kw)
    except CloudError as exc:
        return Check(session.account, region, api, False, _hint(exc, f"{service}:{action}"))
    return Check(session.account, region, api, True, f"ok ({resp.get('TotalCount', 0)} found)")


def diagnose(session: Session, regions: Sequence[str] | str) -> list[Check]:
    checks: list[Check] = []
    try:
        available = list_regions(session)
        checks.append(Check(session.account, "-", "region.DescribeRegions", True, f"ok ({len(available)} regions)"))
    except CloudError as exc:
        available = []
        checks.append(
            Check(session.account, "-", "region.DescribeRegions", False, _hint(exc, "region:DescribeRegions"))
        )
    for region in available if regions == "all" else regions:
        checks.append(_try(session, region, "cvm", "DescribeInstances", {"Limit": 1}))
        try:
            clusters = session.call("tke", "DescribeClusters", region, {"Limit": 1})
            cluster_ids = [c["ClusterId"] for c in clusters.get("Clusters") or []]
            checks.append(Check(session.account, region, "tke.DescribeClusters", True, "ok"))
        except CloudError as exc:
            cluster_ids = []
            checks.append(
                Check(session.account, region, "tke.DescribeClusters", False, _hint(exc, "tke:DescribeClusters"))
            )
        checks.append(_try(session, region, "tke", "DescribeExistedInstances", {"Limit": 1}))
        if not cluster_ids:
            checks.append(Check(session.account, region, "tke cluster APIs", True, "not tried: no cluster in region"))
            continue
        cid = {"ClusterId": cluster_ids[0]}
        checks.append(
            _try(session, region, "tke", "DescribeClusterInstances", {**cid, "Limit": 1, "InstanceRole": "ALL"})
        )
        checks.append(_try(session, region, "tke", "DescribeClusterInstances", {**cid, "Limit": 1}, version=TKE_2022))
        checks.append(_try(session, region, "tke", "DescribeNodePools", {**cid, "Limit": 1}, version=TKE_2022))
    return checks
