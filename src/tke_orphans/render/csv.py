"""One row per finding, for spreadsheets: orphans, unverified instances and leftovers (disks, load balancers, EIPs),
with their costs. Made from the JSON contract, so that both carry the same values; text cells can never be formulas.

The columns up to `why` are the VM-only file's, in their places; those after it were added (a reader by name keeps
working): the kind, the id and name of any kind of resource, when it was first seen, and its list price.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..model import ScanResult
from ..records import iso
from ..sanitize import csv_cell
from .json import to_json

COLUMNS = [
    "status", "account", "region", "zone", "instance_id", "instance_name", "state", "instance_type", "cpu",
    "memory_gb", "charge_type", "created_time", "expired_time", "private_ips", "public_ips", "cluster_id",
    "node_pool_id", "reason", "evidence", "why",
    "kind", "resource_id", "name", "first_seen", "currency", "hourly", "monthly", "wasted", "price_source",
    "price_detail",
]  # fmt: skip
Row = dict[str, Any]


def _instance(status: str, c: Row) -> Row:
    """An orphan or unverified instance, as the JSON has it."""
    return c | {
        "status": status, "private_ips": " ".join(c["private_ips"]), "public_ips": " ".join(c["public_ips"]),
        "evidence": "; ".join(e["detail"] for e in c["evidence"]), "kind": "cvm", "resource_id": c["instance_id"],
        "name": c["instance_name"],
    }  # fmt: skip


def _leftover(x: Row) -> Row:
    """A leftover, or a user's own CLB that a deleted cluster reused (status `reused`: in no total, no cleanup)."""
    return x | {"status": "reused" if x["reused"] else "leftover", "evidence": "; ".join(x["evidence"])}


def _cost(cost: Row | None) -> Row:
    """Empty cells, never 0, where the price (or what was wasted) is not known."""
    c = cost or {}
    return {"currency": c.get("currency"), "hourly": c.get("hourly"), "monthly": c.get("monthly"),
            "wasted": c.get("wasted"), "price_source": c.get("source"), "price_detail": c.get("detail")}  # fmt: skip


def render_csv(result: ScanResult, first_seen: Mapping[str, datetime] | None = None) -> str:
    """`first_seen` (from the state, by instance or resource id) adds when each was first seen and what it wasted."""
    doc = to_json(result, first_seen)
    rows = [
        *(_instance("orphan", o) for o in doc["orphans"]),
        *(_instance("unverified", u) for u in doc["unverified"]),
        *(_leftover(x) for x in doc["leftovers"]),
    ]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        cells = row | _cost(row.get("cost")) | {"first_seen": iso((first_seen or {}).get(row["resource_id"]))}
        writer.writerow([csv_cell("" if cells.get(c) is None else cells[c]) for c in COLUMNS])
    return buf.getvalue()
