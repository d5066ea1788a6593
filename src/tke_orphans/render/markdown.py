"""A plain markdown report (the chat notifiers build their own, size-limited messages)."""

from __future__ import annotations

from ..model import ScanResult
from .text import REASONS, age, summary_line


def render_markdown(result: ScanResult) -> str:
    now = result.scanned_at
    lines = [f"# Orphaned CVM instances ({len(result.orphans)})", ""]
    for o in result.orphans:
        i = o.instance
        lines.append(f"- **{i.instance_id}** `{i.name}` {o.region}/{i.zone}, {', '.join(i.private_ips) or 'no IP'}")
        owner = " / ".join(x for x in (o.cluster_id, o.node_pool_id) if x) or "unknown"
        lines.append(f"  - {REASONS[o.reason.value]} ({owner}); created {age(now, i.created)} ago; {i.charge_type}")
        lines.extend(f"  - evidence: {e.kind.value}: {e.detail}" for e in o.evidence)
    if result.unverified:
        lines += ["", f"## Unverified ({len(result.unverified)})", ""]
        lines.extend(f"- {u.instance.instance_id} ({u.region}): {u.why}" for u in result.unverified)
    errors = [(f"{r.account}/{r.region}", e) for r in result.regions for e in r.errors]
    errors += [("", e) for e in result.errors]
    if errors:
        lines += ["", "## Errors", ""]
        lines.extend(f"- {where}: {e.describe()}" if where else f"- {e.describe()}" for where, e in errors)
    if result.orphans:
        lines += ["", "Instance ids:", "", "`" + " ".join(o.instance.instance_id for o in result.orphans) + "`"]
    failed = sum(1 for r in result.regions if r.status != "ok")
    lines += ["", summary_line(result.status, len(result.orphans), len(result.unverified), len(result.regions), failed)]
    return "\n".join(lines) + "\n"
