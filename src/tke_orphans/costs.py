"""Totals of what the orphans cost (pure): overall, per region, reason and account, and the unpriced apart; the
leftovers' (disks, load balancers, addresses) likewise, by kind.

Shared by every output (JSON, table, messages, status page, metrics), so that they all add up the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .model import Leftover, Orphan


def hours_orphaned(o: Orphan, first_seen: Mapping[str, datetime] | None, at: datetime) -> float | None:
    first = (first_seen or {}).get(o.instance.instance_id)
    return None if first is None else max(0.0, (at - first).total_seconds() / 3600)


def wasted(o: Orphan, first_seen: Mapping[str, datetime] | None, at: datetime) -> float | None:
    return None if o.cost is None else o.cost.wasted(hours_orphaned(o, first_seen, at))


@dataclass
class Totals:
    """Sums in `currency` (the first priced orphan's; one in another currency is counted as unpriced)."""

    currency: str | None = None
    monthly: float = 0.0
    wasted: float | None = None
    by_region: dict[str, float] = field(default_factory=dict)
    by_reason: dict[str, float] = field(default_factory=dict)
    by_account: dict[str, float] = field(default_factory=dict)
    unpriced: list[tuple[Orphan, str]] = field(default_factory=list)


def _rounded(c: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in sorted(c.items())}


def totals(orphans: Iterable[Orphan], first_seen: Mapping[str, datetime] | None, at: datetime) -> Totals | None:
    """None when no orphan was priced at all (pricing off); else the sums and the unpriced with their reason."""
    orphans = [o for o in orphans if o.cost is not None]
    if not orphans:
        return None
    out = Totals()
    by_region: defaultdict[str, float] = defaultdict(float)
    by_reason: defaultdict[str, float] = defaultdict(float)
    by_account: defaultdict[str, float] = defaultdict(float)
    for o in orphans:
        cost = o.cost
        assert cost is not None
        if cost.monthly is None:
            out.unpriced.append((o, cost.detail))
            continue
        out.currency = out.currency or cost.currency
        if cost.currency != out.currency:
            out.unpriced.append((o, f"priced in {cost.currency}, the totals are in {out.currency}"))
            continue
        out.monthly += cost.monthly
        by_region[o.region] += cost.monthly
        by_reason[o.reason.value] += cost.monthly
        by_account[o.account] += cost.monthly
        lost = wasted(o, first_seen, at)
        if lost is not None:
            out.wasted = (out.wasted or 0.0) + lost
    out.monthly = round(out.monthly, 2)
    out.wasted = None if out.wasted is None else round(out.wasted, 2)
    out.by_region, out.by_reason, out.by_account = _rounded(by_region), _rounded(by_reason), _rounded(by_account)
    return out


def top(orphans: Iterable[Orphan], n: int = 10) -> list[Orphan]:
    """The `n` costliest orphans by monthly figure (unpriced ones left out)."""
    priced = [o for o in orphans if o.cost is not None and o.cost.monthly is not None]
    return sorted(priced, key=lambda o: (-(o.cost.monthly if o.cost and o.cost.monthly else 0.0),
                                         o.instance.instance_id))[:n]  # fmt: skip


SYMBOLS = {"CNY": "¥", "USD": "$"}


def money(amount: float | None, currency: str | None) -> str:
    """`¥12,345` (whole units from 1,000 up, cents below), `-` for an unknown amount."""
    if amount is None:
        return "-"
    number = f"{amount:,.0f}" if abs(amount) >= 1000 else f"{amount:,.2f}"
    symbol = SYMBOLS.get(currency or "")
    return f"{symbol}{number}" if symbol else f"{number} {currency or ''}".rstrip()


def monthly_label(o: Orphan | Leftover) -> str:
    """An orphan's monthly figure for a table cell: `-` without pricing, `?` when no price could be had,
    `~` before a type-only figure (the disks and bandwidth are not in it)."""
    if o.cost is None:
        return "-"
    if o.cost.monthly is None:
        return "?"
    return ("~" if o.cost.source == "type_only" else "") + money(o.cost.monthly, o.cost.currency)


@dataclass
class LeftoverTotals:
    """The leftovers' sums, as `Totals`. Reused CLBs are the user's own, in use or not: their monthly figure is
    summed apart (`reused_monthly`) and left out of every other sum, `wasted` included."""

    currency: str | None = None
    monthly: float = 0.0
    wasted: float | None = None
    by_kind: dict[str, float] = field(default_factory=dict)
    by_region: dict[str, float] = field(default_factory=dict)
    by_account: dict[str, float] = field(default_factory=dict)
    unpriced: list[tuple[Leftover, str]] = field(default_factory=list)
    reused_monthly: float = 0.0


def leftover_totals(
    leftovers: Iterable[Leftover], first_seen: Mapping[str, datetime] | None, at: datetime
) -> LeftoverTotals | None:
    """None when no leftover was priced (pricing off, or none found). `first_seen` by resource id, for `wasted`."""
    priced = [x for x in leftovers if x.cost is not None]
    if not priced:
        return None
    out = LeftoverTotals()
    sums: dict[str, defaultdict[str, float]] = {k: defaultdict(float) for k in ("kind", "region", "account")}
    for x in priced:
        cost = x.cost
        assert cost is not None
        if cost.monthly is None:
            if not x.reused:
                out.unpriced.append((x, cost.detail))
            continue
        out.currency = out.currency or cost.currency
        if cost.currency != out.currency:
            if not x.reused:
                out.unpriced.append((x, f"priced in {cost.currency}, the totals are in {out.currency}"))
            continue
        if x.reused:
            out.reused_monthly += cost.monthly
            continue
        out.monthly += cost.monthly
        sums["kind"][x.kind.value] += cost.monthly
        sums["region"][x.region] += cost.monthly
        sums["account"][x.account] += cost.monthly
        lost = leftover_wasted(x, first_seen, at)
        if lost is not None:
            out.wasted = (out.wasted or 0.0) + lost
    out.monthly, out.reused_monthly = round(out.monthly, 2), round(out.reused_monthly, 2)
    out.wasted = None if out.wasted is None else round(out.wasted, 2)
    out.by_kind, out.by_region = _rounded(sums["kind"]), _rounded(sums["region"])
    out.by_account = _rounded(sums["account"])
    return out


def by_cost(orphans: Iterable[Orphan]) -> list[Orphan]:
    """Costliest first; unpriced last, in their order."""
    return sorted(orphans, key=lambda o: -(o.cost.monthly or 0.0) if o.cost else 0.0)


def leftover_wasted(x: Leftover, first_seen: Mapping[str, datetime] | None, at: datetime) -> float | None:
    """What a leftover cost since first seen (first_seen is keyed by resource id, as the state's plan is)."""
    first = (first_seen or {}).get(x.resource_id)
    hours = None if first is None else max(0.0, (at - first).total_seconds() / 3600)
    return None if x.cost is None else x.cost.wasted(hours)
