"""How long, for people: kubectl's AGE, the one way tables, cleanup's reasons and logs write a duration in English.

Pure (no rendering), so that decisions (cleanup's plans) can say how old something is without importing render/.
"""

from __future__ import annotations

from datetime import timedelta


def human_duration(td: timedelta) -> str:
    """kubectl's AGE (apimachinery's HumanDuration): two units while they matter, one after: 90s, 5m30s, 2h15m,
    3d4h, 20d, 2y30d."""
    secs = max(0, int(td.total_seconds()))
    mins, hours, days = secs // 60, secs // 3600, secs // 86400
    if secs < 120:
        return f"{secs}s"
    if mins < 10:
        return f"{mins}m" + (f"{secs % 60}s" if secs % 60 else "")
    if mins < 180:
        return f"{mins}m"
    if hours < 8:
        return f"{hours}h" + (f"{mins % 60}m" if mins % 60 else "")
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{days}d" + (f"{hours % 24}h" if hours % 24 else "")
    if days < 365 * 2:
        return f"{days}d"
    if days < 365 * 8:
        return f"{days // 365}y" + (f"{days % 365}d" if days % 365 else "")
    return f"{days // 365}y"
