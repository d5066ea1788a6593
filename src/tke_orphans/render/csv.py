"""One row per orphan or unverified instance, for spreadsheets: text cells can never be formulas."""

from __future__ import annotations

import csv
import io

from ..model import Orphan, ScanResult, Unverified
from ..records import iso
from ..sanitize import csv_cell

COLUMNS = [
    "status", "account", "region", "zone", "instance_id", "instance_name", "state", "instance_type", "cpu",
    "memory_gb", "charge_type", "created_time", "expired_time", "private_ips", "public_ips", "cluster_id",
    "node_pool_id", "reason", "evidence", "why",
]  # fmt: skip


def render_csv(result: ScanResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    candidates: list[Orphan | Unverified] = [*result.orphans, *result.unverified]
    for c in candidates:
        i = c.instance
        orphan = isinstance(c, Orphan)
        row: list[object] = [
            "orphan" if orphan else "unverified", c.account, c.region, i.zone, i.instance_id, i.name, i.state,
            i.instance_type, i.cpu, i.memory_gb, i.charge_type, iso(i.created), iso(i.expired) or "",
            " ".join(i.private_ips), " ".join(i.public_ips), c.cluster_id or "", c.node_pool_id or "",
            c.reason.value if isinstance(c, Orphan) else "", "; ".join(e.detail for e in c.evidence),
            "" if isinstance(c, Orphan) else c.why,
        ]  # fmt: skip
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()
