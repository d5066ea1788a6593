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
Doc = dict[str, Any]
# Stored with each instance, not part of schema_version 1's output (adding them is allowed, but not done unasked).
NOT_SHOWN = frozenset(
    {"vpc_id", "disable_api_termination", "image_id", "system_disk", "data_disks", "internet_accessible", "renew_flag",
     "why_facts"}
)  # fmt: skip
# The facts behind the English sentences (for the messages' other languages): the sentences are the contract.
FACTS = ("fact", "facts")


def _shown(d: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in d.items() if k not in NOT_SHOWN}
    out["evidence"] = [{k: v for k, v in e.items() if k not in FACTS} for e in d["evidence"]]
    return out


def candidate_json(c: Orphan | Unverified) -> dict[str, Any]:
    return _shown(candidate_to_dict(c))


def _cost_json(cost: dict[str, Any] | None, first: datetime | None, scanned_at: datetime) -> dict[str, Any] | None:
    """A cost as shown: what it costs, and what it has cost since first seen (`wasted`, null if not known)."""
    if cost is None:
        return None
    hours = None if first is None else max(0.0, (scanned_at - first).total_seconds() / 3600)
    wasted = None if cost["hourly"] is None or hours is None else round(cost["hourly"] * hours, 2)
    return {"currency": cost["currency"], "hourly": cost["hourly"], "monthly": cost["monthly"], "wasted": wasted,
            "source": cost["source"], "detail": cost["detail"]}  # fmt: skip


def _aged(c: dict[str, Any], scanned_at: datetime, first_seen: Mapping[str, datetime] | None) -> dict[str, Any]:
    first = (first_seen or {}).get(c["instance_id"])
    c["first_seen"] = iso(first)
    c["orphaned_for_seconds"] = None if first is None else int((scanned_at - first).total_seconds())
    if c.get("cost") is not None:
        c["cost"] = _cost_json(c["cost"], first, scanned_at)
    return c


def _leftover_json(x: dict[str, Any], scanned_at: datetime, first_seen: Mapping[str, datetime] | None) -> Doc:
    """A leftover as shown: not whether it is attached (never, for a leftover) nor what its price depends on.
    `first_seen` is by resource id (ids of disks, CLBs and addresses never look like a CVM's)."""
    out = {k: v for k, v in x.items() if k not in ("attached", "billing", *FACTS)}
    out["cost"] = _cost_json(x.get("cost"), (first_seen or {}).get(x["resource_id"]), scanned_at)
    return out


def summary_cost(result: ScanResult, first_seen: Mapping[str, datetime] | None) -> dict[str, Any] | None:
    """`summary.cost`: null when pricing is off (nothing priced). The orphans' totals, and the leftovers' under
    `leftovers` (null when no leftover was priced); reused CLBs are in `leftovers.reused_monthly` only."""
    t = totals(result.orphans, first_seen, result.scanned_at)
    lt = totals(result.leftovers, first_seen, result.scanned_at)
    if t is None and lt is None:
        return None
    return {
        "currency": t.currency if t is not None else lt.currency if lt is not None else None,
        "monthly": t.monthly if t is not None else 0.0,
        "wasted": t.wasted if t is not None else None,
        "by_region": t.by["region"] if t is not None else {},
        "by_reason": t.by["reason"] if t is not None else {},
        "by_account": t.by["account"] if t is not None else {},
        "unpriced": [
            {"account": o.account, "region": o.region, "instance_id": o.resource_id, "detail": why}
            for o, why in (t.unpriced if t is not None else [])
        ],
        "leftovers": None if lt is None else {
            "currency": lt.currency,
            "monthly": lt.monthly,
            "wasted": lt.wasted,
            "by_kind": lt.by["kind"],
            "by_region": lt.by["region"],
            "by_account": lt.by["account"],
            "unpriced": [{"account": x.account, "region": x.region, "kind": x.kind,
                          "resource_id": x.resource_id, "detail": why} for x, why in lt.unpriced],
            "reused_monthly": lt.reused_monthly,
        },
    }  # fmt: skip


def summary_leftovers(result: ScanResult) -> dict[str, Any]:
    """`summary.leftovers`: TKE's leftovers by kind and by region; reused CLBs counted apart."""
    made = [x for x in result.leftovers if not x.reused]
    return {
        "total": len(made),
        "by_kind": dict(sorted(Counter(x.kind for x in made).items())),
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
        "excluded": [{k: v for k, v in e.items() if k not in FACTS} for e in doc["excluded"]],
        "leftovers": [_leftover_json(x, result.scanned_at, first_seen) for x in doc["leftovers"]],
        "accounts": doc["accounts"],
        "summary": {
            "orphans": len(result.orphans),
            "unverified": len(result.unverified),
            "by_region": result.by_region,
            "by_reason": result.by_reason,
            "cost": summary_cost(result, first_seen),
            "leftovers": summary_leftovers(result),
        },
    }


def dumps(doc: Any, indent: int | None = 2) -> str:
    """The text of a document other programs parse (`--output json`, the generic webhook's body): strict JSON, so a
    NaN or Infinity that reached a figure (prices are checked where they are read) raises here rather than going
    out as the bare `NaN` strict parsers refuse."""
    return json.dumps(doc, ensure_ascii=False, indent=indent, allow_nan=False)


def render_json(result: ScanResult) -> str:
    return dumps(to_json(result))


def from_json(doc: dict[str, Any]) -> ScanResult:
    """A saved `--output json` result, for schema_version 1 (`preview --input`). Raises ValueError on anything else."""
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"not a tke-orphans scan result with schema_version {SCHEMA_VERSION}")
    return scan_from_dict(doc)
