"""The leftovers' share of a message (disks, CLBs and EIPs of deleted clusters): header counts and cost, a block each
(new and reminder: evidence, how long left over, cost; resolved: how), the users' reused CLBs apart and in no
cleanup command, and the part's cleanup commands, one per kind (`tke-orphans cleanup --kind cbs_disk --only ...`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..costs import LeftoverTotals, Totals, leftover_totals, wasted
from ..model import Cost, Leftover, ResolvedLeftover
from .i18n import KINDS, Lang, amount, duration, t, words
from .markup import Block, Style
from .markup import clean as _clean
from .model import Notice


def leftovers_of(notice: Notice) -> tuple[Leftover, ...]:
    if notice.kind == "resolved":
        return tuple(r.leftover for r in notice.resolved_leftovers)
    return notice.leftovers


def leftover_header(notice: Notice, lang: Lang) -> list[str]:
    """`遗留资源: 云硬盘 1, 弹性公网 IP 2 (ap-guangzhou 3)`, the reused CLBs apart, and what the leftovers cost."""
    items = leftovers_of(notice)
    lines = []
    for reused, key in ((False, "leftovers.count"), (True, "leftovers.count.reused")):
        group = [x for x in items if x.reused is reused]
        if not group:
            continue
        kinds = Counter(x.kind for x in group)
        regions = Counter(x.region for x in group)
        counted = ", ".join(f"{KINDS[k][lang]} {n}" for k, n in sorted(kinds.items()))
        if reused:
            counted = str(len(group))
        where = ", ".join(f"{r} {n}" for r, n in sorted(regions.items()))
        lines.append(f"{t(key, lang)}: {counted} ({where})")
    if notice.kind == "resolved":
        return lines
    # A user's reused CLB is not waste: TKE's leftovers only.
    total = leftover_totals([x for x in items if not x.reused], notice.first_seen, notice.scanned_at)
    if total is not None:
        lines.append(total_line("leftovers.cost", total, "cost.unpriced.leftovers", lang))
    return lines


def total_line(label: str, total: Totals | LeftoverTotals, unpriced: str, lang: Lang) -> str:
    """`费用: 每月约 ¥1,654, 已浪费约 ¥56.65, 1 台无法询价`; with nothing priced `费用: 未知（4 台无法询价）`:
    an unknown total is never 0."""
    without = t(unpriced, lang, n=len(total.unpriced)) if total.unpriced else ""
    if total.currency is None:
        return f"{t(label, lang)}: " + t("cost.unknown", lang, why=without)
    parts = [t("cost.monthly", lang, amount=amount(total.monthly, total.currency, lang))]
    if total.wasted:
        parts.append(t("cost.wasted", lang, amount=amount(total.wasted, total.currency, lang)))
    return f"{t(label, lang)}: " + ", ".join([*parts, without] if without else parts)


def cost_text(cost: Cost, lost: float | None, lang: Lang, *, hourly: bool = True) -> str:
    """One item's cost (`每月约 ¥416 (¥0.57/小时), 已浪费约 ¥27.36`), or that it has none and why, never 0."""
    if cost.monthly is None:
        return f"{t('cost.none', lang)} ({_clean(words(cost.detail, cost.facts, lang)[:200])})"
    text = t("cost.monthly", lang, amount=amount(cost.monthly, cost.currency, lang))
    if hourly and cost.hourly is not None:
        text += f" ({t('cost.hourly', lang, amount=amount(cost.hourly, cost.currency, lang))})"
    if lost:
        text += ", " + t("cost.wasted", lang, amount=amount(lost, cost.currency, lang))
    return text


def _leftover_cost(x: Leftover, notice: Notice, lang: Lang) -> list[str]:
    cost: Cost | None = x.cost
    if cost is None or x.reused:  # a user's own CLB costs what the user chose: not waste
        return []
    lost = wasted(x, notice.first_seen, notice.scanned_at)
    return [f"{t('cost', lang)}: {cost_text(cost, lost, lang)}"]


def _where(x: Leftover) -> str:
    return x.region if x.account == "default" else f"{_clean(x.account)}/{x.region}"


def _leftover_block(x: Leftover, n: int, notice: Notice, style: Style, lang: Lang) -> Block:
    what = t("leftover.what", lang, kind=KINDS[x.kind][lang], where=_where(x), cluster=_clean(x.cluster_id),
             state=_clean(x.state))  # fmt: skip
    lines = [f"{style.bold(f'{n}. {_clean(x.resource_id)}')} {style.code(_clean(x.name) or '-')}", what]
    lines.append(f"{t('evidence', lang)}: {_clean(words('; '.join(x.evidence), x.facts, lang))}")
    # How long it has been left over (since first seen, as orphans' ages are), and how old it is.
    first = notice.first_seen.get(x.resource_id)
    ages = [t("age.left_for", lang, left=duration(notice.scanned_at - first, lang))
            if first and first < notice.scanned_at else t("age.just_found", lang)]  # fmt: skip
    if x.created is not None:
        ages.append(t("age.created_ago", lang, created=duration(notice.scanned_at - x.created, lang)))
    lines.append(f"{t('age', lang)}: " + " · ".join(ages).replace("） · ", "）· "))
    lines += _leftover_cost(x, notice, lang)
    # A reused CLB is the user's: never in a cleanup command.
    return Block(lines, leftover=None if x.reused else (x.kind, x.resource_id))


def _resolved_leftover_block(r: ResolvedLeftover, n: int, notice: Notice, style: Style, lang: Lang) -> Block:
    x = r.leftover
    how = t(f"resolved_leftover.{r.how}", lang, detail=_clean(r.detail))
    if r.first_seen and r.first_seen < notice.scanned_at:
        how += t("resolved_leftover.after", lang, left=duration(notice.scanned_at - r.first_seen, lang))
    head = f"{style.bold(f'{n}. {_clean(x.resource_id)}')} {style.code(_clean(x.name) or '-')}"
    return Block([f"{head} {_where(x)} {KINDS[x.kind][lang]}: {how}"])


def leftover_blocks(notice: Notice, style: Style, lang: Lang) -> list[Block]:
    """Their own sections: TKE's leftovers, then the users' CLBs a deleted cluster reused (never TKE's)."""
    items: Sequence[Leftover | ResolvedLeftover] = (
        notice.resolved_leftovers if notice.kind == "resolved" else notice.leftovers
    )
    blocks: list[Block] = []
    for reused, title in ((False, "leftovers"), (True, "leftovers.reused")):
        group = [x for x in items if (x.leftover if isinstance(x, ResolvedLeftover) else x).reused is reused]
        if not group:
            continue
        blocks.append(Block([style.bold(f"{t(title, lang)} ({len(group)})")]))
        for n, x in enumerate(group, 1):
            if isinstance(x, ResolvedLeftover):
                blocks.append(_resolved_leftover_block(x, n, notice, style, lang))
            else:
                blocks.append(_leftover_block(x, n, notice, style, lang))
        if not reused and notice.kind != "resolved":
            blocks.append(Block([style.quiet(t("leftovers.what_to_do", lang))]))
    return blocks


def cleanup_commands(ids: list[str], blocks: list[Block]) -> list[str]:
    """One command for the part's instances, and one per leftover kind (`cleanup --kind cbs_disk --only disk-…`)."""
    commands = ["tke-orphans cleanup " + " ".join(f"--only {i}" for i in ids)] if ids else []
    kinds: dict[str, list[str]] = {}
    for b in blocks:
        if b.leftover is not None:
            kinds.setdefault(b.leftover[0], []).append(b.leftover[1])
    for kind, rids in kinds.items():
        commands.append(f"tke-orphans cleanup --kind {kind} " + " ".join(f"--only {_clean(r)}" for r in rids))
    return commands
