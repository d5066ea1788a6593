"""Small wording helpers shared by the human-facing renderings."""

from __future__ import annotations

from datetime import datetime

from ..ages import human_duration
from ..model import Origin

# How a finding was left behind, in a few words: the table's and the CSV's.
HOW = {"retain": "node removed, instance kept", "keep_instance": "pool deleted, instances kept",
       "cluster_deleted": "cluster deleted, kept"}  # fmt: skip


def age(now: datetime, then: datetime) -> str:
    return human_duration(now - then)


def origin_label(o: Origin | None) -> str:
    """`alice 2026-12-01 14:03Z DeleteClusterInstances (node removed, instance kept)`, or `-` when not known."""
    if o is None:
        return "-"
    return f"{o.who or '?'} {o.time:%Y-%m-%d %H:%M}Z {o.event} ({HOW[o.how]})"


def summary_line(result_status: str, orphans: int, unverified: int, regions: int, failed: int) -> str:
    parts = [f"{orphans} orphan(s)", f"{unverified} unverified", f"{regions} region(s) scanned"]
    if failed:
        parts.append(f"{failed} with errors")
    return f"Scan {result_status}: " + ", ".join(parts)
