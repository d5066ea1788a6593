"""The terminal view (rich): orphans, then unverified, then errors and a one-line summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..costs import money, monthly_label, totals
from ..model import ScanResult
from ..sanitize import labelled, plain
from .text import REASONS, age, summary_line


def render_table(result: ScanResult, console: Console) -> None:
    now = result.scanned_at
    multi_account = len({r.account for r in result.regions}) > 1
    if result.orphans:
        table = Table(title=f"Orphaned CVM instances ({len(result.orphans)})", title_justify="left")
        if multi_account:
            table.add_column("Account")
        for col in ("Region", "Instance", "Name", "Private IP", "Cluster / pool", "Reason", "Age", "Charge", "Monthly"):
            table.add_column(col, no_wrap=col in ("Instance", "Private IP"))
        for o in result.orphans:
            i = o.instance
            owner = " / ".join(x for x in (o.cluster_id, o.node_pool_id) if x) or "-"
            charge = i.charge_type + (f" until {i.expired:%Y-%m-%d}" if i.expired else "")
            row = [o.region, i.instance_id, i.name, ", ".join(i.private_ips) or "-", owner, REASONS[o.reason.value]]
            row += [age(now, i.created), charge, monthly_label(o)]
            table.add_row(*(plain(x) for x in ([o.account] if multi_account else []) + row))
        console.print(table)
    else:
        console.print("No orphaned CVM instances found.")
    if result.unverified:
        table = Table(title=f"Unverified: could not be checked ({len(result.unverified)})", title_justify="left")
        for col in ("Region", "Instance", "Name", "Why"):
            table.add_column(col)
        for u in result.unverified:
            table.add_row(*(plain(x) for x in (u.region, u.instance.instance_id, u.instance.name, u.why)))
        console.print(table)
    for r in result.regions:
        for e in r.errors:
            console.print(labelled("error", "yellow", f"{r.account}/{r.region}: {e.describe()}"))
    for e in result.errors:
        console.print(labelled("error", "yellow", e.describe()))
    cost = totals(result.orphans, None, now)
    if cost is not None:
        line = f"Cost: about {money(cost.monthly, cost.currency)} a month"
        console.print(plain(line + (f"; {len(cost.unpriced)} without a price" if cost.unpriced else "")))
    failed = sum(1 for r in result.regions if r.status != "ok")
    console.print(
        summary_line(result.status, len(result.orphans), len(result.unverified), len(result.regions), failed),
        highlight=False,
    )
