"""Small wording helpers shared by the human-facing renderings."""

from __future__ import annotations

from datetime import datetime

REASONS = {
    "cluster_deleted": "cluster deleted",
    "removed_from_cluster": "removed from cluster",
    "node_pool_deleted": "node pool deleted",
    "unknown_owner": "unknown owner (legacy rule)",
}


def age(now: datetime, then: datetime) -> str:
    secs = max(0, int((now - then).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit}"
    return f"{secs}s"


def summary_line(result_status: str, orphans: int, unverified: int, regions: int, failed: int) -> str:
    parts = [f"{orphans} orphan(s)", f"{unverified} unverified", f"{regions} region(s) scanned"]
    if failed:
        parts.append(f"{failed} with errors")
    return f"Scan {result_status}: " + ", ".join(parts)
