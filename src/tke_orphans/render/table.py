"""The terminal view: a failure first (what failed and why, once), then orphans, unverified and a summary line.

The orphan table is kubectl-like: a few columns by default, fitted to the console's width, the rest with `--wide`
(as `kubectl get -o wide`). The region is a heading above its rows, not a column: it is the same for many rows
and as wide as the id, so a heading costs a line per region instead of 14 cells of every row; with `--wide` the
zone column (which names the region) takes its place and every row stands alone, for grep.

To add a column (the monthly cost), add one `Field` to `FIELDS`, or to `WIDE` only. The second section, the
disks, load balancers and addresses deleted clusters left, has its own column list, `LEFTOVER_FIELDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from ..cloud.errors import PERMISSION_CODES, check_keys, is_auth_failure
from ..costs import Totals, money, monthly_label, totals
from ..kinds import leftover_apis, unchecked
from ..model import ApiFailure, Leftover, Orphan, ScanResult
from ..sanitize import plain, visible
from .columns import Column, Row, layout
from .text import age, origin_label, summary_line

T = TypeVar("T", Orphan, Leftover)

# Short reasons for the table (the cluster or pool they name is the next column); messages keep the long wording.
REASONS = {
    "cluster_deleted": "cluster deleted",
    "removed_from_cluster": "removed",
    "node_pool_deleted": "pool deleted",
    "unknown_owner": "legacy rule",
}


@dataclass(frozen=True)
class Field(Generic[T]):
    """A column of a table of findings (orphans or leftovers): its heading and how a row's cell is read."""

    column: Column
    value: Callable[[T, datetime], str]


def _owner(o: Orphan, now: datetime) -> str:
    """What the reason is about: the deleted pool, else the cluster (both are in --wide)."""
    if o.reason.value == "node_pool_deleted":
        return o.node_pool_id or o.cluster_id or "-"
    return o.cluster_id or o.node_pool_id or "-"


def _charge(o: Orphan, now: datetime) -> str:
    i = o.instance
    return i.charge_type + (f" until {i.expired:%Y-%m-%d}" if i.expired else "")


INSTANCE = Field(Column("INSTANCE"), lambda o, now: o.instance.instance_id)
NAME = Field(Column("NAME", flex=True), lambda o, now: o.instance.name or "-")
REASON = Field(Column("REASON"), lambda o, now: REASONS[o.reason.value])
AGE = Field(Column("AGE"), lambda o, now: age(now, o.instance.created))
MONTHLY = Field(Column("MONTHLY"), lambda o, now: monthly_label(o))
FIELDS: tuple[Field[Orphan], ...] = (INSTANCE, NAME, REASON, Field(Column("CLUSTER/POOL"), _owner), AGE, MONTHLY)
WIDE: tuple[Field[Orphan], ...] = (
    Field(Column("ZONE"), lambda o, now: o.instance.zone),
    INSTANCE,
    NAME,
    REASON,
    Field(Column("CLUSTER"), lambda o, now: o.cluster_id or "-"),
    Field(Column("POOL"), lambda o, now: o.node_pool_id or "-"),
    Field(Column("PRIVATE IP"), lambda o, now: ",".join(o.instance.private_ips) or "-"),
    Field(Column("PUBLIC IP"), lambda o, now: ",".join(o.instance.public_ips) or "-"),
    Field(Column("TYPE"), lambda o, now: o.instance.instance_type),
    Field(Column("CHARGE"), _charge),
    AGE,
    MONTHLY,
    Field(Column("ORIGIN", wrap=True, min_width=20), lambda o, now: origin_label(o.origin)),
)
REGION = Field(Column("REGION"), lambda o, now: o.region)


LEFTOVER_STATE: Field[Leftover] = Field(Column("STATE"), lambda x, now: x.state or "-")
LEFTOVER_FIELDS: tuple[Field[Leftover], ...] = (
    Field(Column("REGION"), lambda x, now: x.region),
    Field(Column("KIND"), lambda x, now: x.kind),
    Field(Column("RESOURCE"), lambda x, now: x.resource_id),
    Field(Column("NAME", flex=True), lambda x, now: x.name or "-"),
    Field(Column("CLUSTER"), lambda x, now: x.cluster_id),
    LEFTOVER_STATE,
    Field(Column("AGE"), lambda x, now: age(now, x.created) if x.created else "-"),
    Field(Column("MONTHLY"), lambda x, now: monthly_label(x)),
)
ACCOUNT = Field(Column("ACCOUNT"), lambda o, now: o.account)

# What to do about a failure, by the start of its code (a refused key: `_hint`, which names where it came from).
HINTS = (
    (PERMISSION_CODES, "the key lacks a CAM permission: `tke-orphans doctor` shows which API"),
    (("ClientNetworkError",), "the endpoint did not answer: check the network, the proxy or --endpoint-url"),
)

# A leftover listing that fails (most often a CAM policy from before leftovers were looked for) holds nothing of the
# VMs back, and can be turned off.
LEFTOVER_HINT = "only {what} went unchecked; `detection.leftovers: []` stops looking"


def _print(console: Console, lines: Sequence[str], style: str = "") -> None:
    for line in lines:
        # soft_wrap: the lines are already fitted, rich must neither wrap nor pad them.
        console.print(Text(line, style=style), soft_wrap=True)


def say(console: Console, text: Text) -> None:
    """A paragraph wrapped to the console's width by words, with no trailing spaces at the breaks."""
    for line in text.wrap(console, console.width):
        line.rstrip()
        console.print(line, soft_wrap=True)


def orphan_lines(result: ScanResult, width: int | None, wide: bool = False, grouped: bool = True) -> list[str]:
    """The orphan table as lines (header first), at most `width` cells each when the ids allow it. `grouped`: the
    orphans come region by region, each region a heading; otherwise (sorted by cost) the region is a column."""
    multi_account = len({r.account for r in result.regions} | {o.account for o in result.orphans}) > 1
    fields = list(WIDE if wide else FIELDS)
    if not wide and not grouped:
        fields.insert(0, REGION)
    if (wide or not grouped) and multi_account:
        fields.insert(0, ACCOUNT)
    rows: list[Row] = []
    group: tuple[str, str] | None = None
    for o in result.orphans:
        if not wide and grouped and (o.account, o.region) != group:
            group = (o.account, o.region)
            rows.append(visible(f"{o.account} / {o.region}" if multi_account else o.region))
        rows.append([visible(f.value(o, result.scanned_at)) for f in fields])
    return layout([f.column for f in fields], rows, width)


def leftover_lines(items: Sequence[Leftover], now: datetime, width: int | None) -> list[str]:
    """The second section's table: disks, load balancers and addresses, one a row. When the lines would not fit,
    STATE goes first: a leftover's state is what made it one (unattached, unbound), and ids are never cut."""
    fields = list(LEFTOVER_FIELDS)
    while True:
        rows: list[Row] = [[visible(f.value(x, now)) for f in fields] for x in items]
        lines = layout([f.column for f in fields], rows, width)
        if width is None or all(cell_len(line) <= width for line in lines) or LEFTOVER_STATE not in fields:
            return lines
        fields.remove(LEFTOVER_STATE)


def _render_leftovers(result: ScanResult, console: Console) -> None:
    made = [x for x in result.leftovers if not x.reused]
    reused = [x for x in result.leftovers if x.reused]
    if made:
        console.print(Text(f"\nLeft behind by deleted clusters ({len(made)})", style="bold"))
        _print(console, leftover_lines(made, result.scanned_at, console.width))
    if reused:
        title = f"\nReused by a deleted cluster, the user's own: not TKE's, never to clean up ({len(reused)})"
        console.print(Text(title, style="bold"))
        _print(console, leftover_lines(reused, result.scanned_at, console.width))


def failures(result: ScanResult) -> list[tuple[ApiFailure, list[str], list[str]]]:
    """Each distinct failure once (by code and message), with the regions and the APIs it came from."""
    multi_account = len({r.account for r in result.regions}) > 1
    seen: dict[tuple[str, str], tuple[ApiFailure, list[str], list[str]]] = {}
    located = [(e, f"{r.account}/{r.region}" if multi_account else r.region) for r in result.regions for e in r.errors]
    located += [(e, "") for e in result.errors]
    for e, where in located:
        _, regions, apis = seen.setdefault((e.code, e.message), (e, [], []))
        regions += [where] if where and where not in regions else []
        apis += [e.api] if e.api not in apis else []
    return list(seen.values())


def _hint(e: ApiFailure, result: ScanResult) -> str | None:
    if is_auth_failure(e.code):
        # The keys of the accounts it came from (one not tied to a region, listing the regions: every account's).
        failed = {
            r.account for r in result.regions if any((x.code, x.message) == (e.code, e.message) for x in r.errors)
        }
        sources = dict(result.credentials_from)
        named = len(sources) > 1
        keys = [f"{a}'s {s}" if named else s for a, s in sources.items() if a in failed or not failed]
        return f"{check_keys(keys)}; `tke-orphans doctor` tests each API"
    return next((h for prefixes, h in HINTS if e.code.startswith(prefixes)), None)


def failure_lines(result: ScanResult) -> list[Text]:
    """The scan's failure, said first: that it failed, then each distinct error once, where, and what to do."""
    if result.status == "ok":
        return []
    failed = sum(1 for r in result.regions if r.status != "ok")
    if result.status == "error":
        head = "Scan failed: nothing could be listed, so nothing is known about orphans."
    else:
        # A member whose role was refused, or a region list that failed, is no region's: counted apart.
        what = [f"{failed} of {len(result.regions)} region(s) not fully listed"] if failed else []
        what += [f"{len(result.errors)} account or region list(s) not reached"] if result.errors else []
        head = f"Scan incomplete: {'; '.join(what)}; orphans there are unknown."
    out = [Text(head, style="bold red")]
    for e, regions, apis in failures(result):
        out.append(Text.assemble(("error", "yellow"), " ", visible(f"{e.code}: {e.message}")))
        where = f"in {', '.join(regions)}: " if regions else ""
        out.append(Text(visible(f"  {where}{', '.join(apis)}")))
        hint = _hint(e, result)
        if hint:
            out.append(Text(f"  {hint}"))
        if all(api in leftover_apis() for api in apis):
            out.append(Text(f"  {LEFTOVER_HINT.format(what=unchecked(apis))}"))
    return out


def _total(label: str, t: Totals) -> str:
    """`Cost: about ¥1,654 a month; 1 without a price`; with nothing priced `Cost: unknown (4 without a price)`."""
    without = f"{len(t.unpriced)} without a price" if t.unpriced else ""
    if t.currency is None:
        return f"{label}: unknown ({without})"
    return f"{label}: about {money(t.monthly, t.currency)} a month" + (f"; {without}" if without else "")


def render_table(result: ScanResult, console: Console, *, wide: bool = False, grouped: bool = True) -> None:
    for line in failure_lines(result):
        say(console, line)
    if result.status == "error":
        return
    if result.orphans:
        console.print(Text(f"Orphaned CVM instances ({len(result.orphans)})", style="bold"))
        _print(console, orphan_lines(result, console.width, wide, grouped))
    else:
        console.print("No orphaned CVM instances found" + ("." if result.status == "ok" else " in what was listed."))
    if result.unverified:
        console.print(Text(f"\nUnverified: could not be checked ({len(result.unverified)})", style="bold"))
        columns = [Column("REGION"), Column("INSTANCE"), Column("NAME", flex=True), Column("WHY", wrap=True)]
        rows: list[Row] = [
            [visible(x) for x in (u.region, u.instance.instance_id, u.instance.name or "-", u.why)]
            for u in result.unverified
        ]
        _print(console, layout(columns, rows, console.width))
    _render_leftovers(result, console)
    cost = totals(result.orphans, None, result.scanned_at)
    if cost is not None:
        console.print(plain(_total("Cost", cost)))
    left = totals(result.leftovers, None, result.scanned_at)
    if left is not None and any(not x.reused for x in result.leftovers):
        console.print(plain(_total("Leftovers cost", left)))
    failed = sum(1 for r in result.regions if r.status != "ok")
    console.print(
        summary_line(result.status, len(result.orphans), len(result.unverified), len(result.regions), failed),
        highlight=False,
    )
