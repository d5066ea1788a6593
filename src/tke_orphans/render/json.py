"""The `--output json` contract (schema_version 1): other tools parse this, so it changes only by adding keys.

Made from the records' one encoding (records.py), less the fields the contract has never shown.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .. import __version__
from ..costs import totals
from ..model import Orphan, ScanResult, Unverified
from ..records import candidate_to_dict, iso, scan_from_dict, scan_to_dict

SCHEMA_VERSION = 1
# Stored with each instance, not part of schema_version 1's output (adding them is allowed, but not done unasked).
NOT_SHOWN = frozenset(
    {"vpc_id", "disable_api_termination", "image_id", "system_disk", "data_disks", "internet_accessible", "renew_flag"}
)


def _shown(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in NOT_SHOWN}


def candidate_json(c: Orphan | Unverified) -> dict[str, Any]:
    return _shown(candidate_to_dict(c))


def _aged(c: dict[str, Any], scanned_at: datetime, first_seen: Mapping[str, datetime] | None) -> dict[str, Any]:
    first = (first_seen or {}).get(c["instance_id"])
    c["first_seen"] = iso(first)
    c["orphaned_for_seconds"] = None if first is None else int((scanned_at - first).total_seconds())
    cost = c.get("cost")
    if cost is not None:
        hours = None if first is None else max(0.0, (scanned_at - first).total_seconds() / 3600)
        wasted = None if cost["hourly"] is None or hours is None else round(cost["hourly"] * hours, 2)
        c["cost"] = {"currency": cost["currency"], "hourly": cost["hourly"], "monthly": cost["monthly"],
                     "wasted": wasted, "source": cost["source"], "detail": cost["detail"]}  # fmt: skip
    return c


def summary_cost(result: ScanResult, first_seen: Mapping[str, datetime] | None) -> dict[str, Any] | None:
    """`summary.cost`: null when pricing is off."""
    t = totals(result.orphans, first_seen, result.scanned_at)
    if t is None:
        return None
    return {
        "currency": t.currency,
        "monthly": t.monthly,
        "wasted": t.wasted,
        "by_region": t.by_region,
        "by_reason": t.by_reason,
        "by_account": t.by_account,
        "unpriced": [
            {"account": o.account, "region": o.region, "instance_id": o.instance.instance_id, "detail": why}
            for o, why in t.unpriced
        ],
    }


def summary_leftovers(result: ScanResult) -> dict[str, Any]:
    """`summary.leftovers`: TKE's leftovers by kind and by region; reused CLBs counted apart."""
    made = [x for x in result.leftovers if not x.reused]
    return {
        "total": len(made),
        "by_kind": dict(sorted(Counter(x.kind.value for x in made).items())),
        "by_region": dict(sorted(Counter(x.region for x in made).items())),
        "reused": len(result.leftovers) - len(made),
    }


def to_json(result: ScanResult, first_seen: Mapping[str, datetime] | None = None) -> dict[str, Any]:
    """`first_seen` (from the state) adds when each orphan was first seen and how long it has been one."""
    doc = scan_to_dict(result)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "scanned_at": doc["scanned_at"],
        "status": doc["status"],
        "errors": doc["errors"],
        "regions": doc["regions"],
        "orphans": [_aged(_shown(o), result.scanned_at, first_seen) for o in doc["orphans"]],
        "unverified": [_shown(u) for u in doc["unverified"]],
        "excluded": doc["excluded"],
        "leftovers": [{k: v for k, v in x.items() if k != "attached"} for x in doc["leftovers"]],
        "summary": {
            "orphans": len(result.orphans),
            "unverified": len(result.unverified),
            "by_region": result.by_region,
            "by_reason": result.by_reason,
            "cost": summary_cost(result, first_seen),
            "leftovers": summary_leftovers(result),
        },
    }


def render_json(result: ScanResult) -> str:
    return json.dumps(to_json(result), ensure_ascii=False, indent=2)


def from_json(doc: dict[str, Any]) -> ScanResult:
    """A saved `--output json` result, for schema_version 1 (`preview --input`). Raises ValueError on anything else."""
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"not a tke-orphans scan result with schema_version {SCHEMA_VERSION}")
    return scan_from_dict(doc)
