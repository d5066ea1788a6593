"""Totals of what findings cost (pure): overall, by kind, region, reason and account, and the unpriced apart.

Shared by every output (JSON, table, messages, status page, metrics), so that they all add up the same way.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from .model import Finding, Leftover, Orphan


def wasted(f: Finding, first_seen: Mapping[str, datetime] | None, at: datetime) -> float | None:
    """What an orphan or a leftover cost since it was first seen as one (`first_seen` by id, as the state's plan
    is); None without a price or without that time."""
    first = (first_seen or {}).get(f.resource_id)
    hours = None if first is None else max(0.0, (at - first).total_seconds() / 3600)
    return None if f.cost is None else f.cost.wasted(hours)


@dataclass
class Totals:
    """Sums in `currency` (the first priced item's; one in another currency is counted as unpriced), by kind,
    region, reason and account (`by`). A user's reused CLB is the user's own, in use or not: its monthly figure is
    summed apart (`reused_monthly`) and left out of every other sum, `wasted` included."""

    currency: str | None = None
    monthly: float = 0.0
    wasted: float | None = None
    by: dict[str, dict[str, float]] = field(default_factory=dict)
    unpriced: list[tuple[Finding, str]] = field(default_factory=list)
    reused_monthly: float = 0.0


BY: dict[str, Callable[[Finding], str]] = {
    "kind": lambda f: f.kind, "region": lambda f: f.region, "reason": lambda f: f.why, "account": lambda f: f.account,
}  # fmt: skip


def totals(findings: Iterable[Finding], first_seen: Mapping[str, datetime] | None, at: datetime) -> Totals | None:
    """The one way costs add up, for findings of any kind: None when none was priced at all (pricing off); else
    the sums, what was wasted so far (`first_seen` by id), and the unpriced with their reason."""
    priced = [f for f in findings if f.cost is not None]
    if not priced:
        return None
    out = Totals()
    by: dict[str, defaultdict[str, float]] = {name: defaultdict(float) for name in BY}
    for item in (f for f in priced if not f.reused):
        cost = item.cost
        assert cost is not None
        if cost.monthly is None:
            out.unpriced.append((item, cost.detail))
            continue
        out.currency = out.currency or cost.currency
        if cost.currency != out.currency:
            out.unpriced.append((item, f"priced in {cost.currency}, the totals are in {out.currency}"))
            continue
        out.monthly += cost.monthly
        for name, key in BY.items():
            by[name][key(item)] += cost.monthly
        spent = wasted(item, first_seen, at)
        if spent is not None:
            out.wasted = (out.wasted or 0.0) + spent
    out.monthly = round(out.monthly, 2)
    out.wasted = None if out.wasted is None else round(out.wasted, 2)
    out.by = {name: {k: round(v, 2) for k, v in sorted(sums.items())} for name, sums in by.items()}
    reused = [f.cost for f in priced if f.reused and f.cost is not None and f.cost.monthly is not None]
    out.currency = out.currency or next((c.currency for c in reused), None)
    out.reused_monthly = round(sum(c.monthly or 0.0 for c in reused if c.currency == out.currency), 2)
    return out


def top(orphans: Iterable[Orphan], n: int = 10) -> list[Orphan]:
    """The `n` costliest orphans by monthly figure (unpriced ones left out)."""
    priced = [o for o in orphans if o.cost is not None and o.cost.monthly is not None]
    return sorted(priced, key=lambda o: (-(o.cost.monthly if o.cost and o.cost.monthly else 0.0),
                                         o.instance.instance_id))[:n]  # fmt: skip


SYMBOLS = {"CNY": "¥", "USD": "$"}
WHOLE_FROM = Decimal(100)  # from here up, cents are noise beside the amount: whole units


def money(amount: float | None, currency: str | None, unknown: str = "unknown") -> str:
    """The one way an amount is written, in every human output (README, "What each orphan costs"): whole units
    with thousands separators from 100 up (`¥1,654`, `¥990`), two decimals below (`¥35.04`, `¥0.50`), rounded half
    up; the currency always shown (`¥` for CNY, `$` for USD, else its code first: `EUR 12.50`). An amount that is not
    known (None, no currency, not a finite number) is `unknown`, never 0: the caller words it in its language."""
    if amount is None or not currency or not math.isfinite(amount):
        return unknown
    cents = abs(Decimal(repr(amount))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    whole = cents >= WHOLE_FROM
    number = f"{cents.quantize(Decimal(1), ROUND_HALF_UP):,}" if whole else f"{cents:,.2f}"
    sign = "-" if amount < 0 and cents else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}"


def monthly_label(o: Orphan | Leftover) -> str:
    """An orphan's monthly figure for a table cell: `-` without pricing, `?` when no price could be had,
    `~` before a type-only figure (the disks and bandwidth are not in it)."""
    if o.cost is None:
        return "-"
    if o.cost.monthly is None:
        return "?"
    return ("~" if o.cost.source == "type_only" else "") + money(o.cost.monthly, o.cost.currency)


def by_cost(orphans: Iterable[Orphan]) -> list[Orphan]:
    """Costliest first; unpriced last, in their order."""
    return sorted(orphans, key=lambda o: -(o.cost.monthly or 0.0) if o.cost else 0.0)
