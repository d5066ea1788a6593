"""Small wording helpers shared by the human-facing renderings."""

from __future__ import annotations

from datetime import datetime

from ..ages import human_duration


def age(now: datetime, then: datetime) -> str:
    return human_duration(now - then)


def summary_line(result_status: str, orphans: int, unverified: int, regions: int, failed: int) -> str:
    parts = [f"{orphans} orphan(s)", f"{unverified} unverified", f"{regions} region(s) scanned"]
    if failed:
        parts.append(f"{failed} with errors")
    return f"Scan {result_status}: " + ", ".join(parts)
