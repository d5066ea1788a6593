"""From a Notice to message parts that fit: pure text work, no I/O.

A message is a header, one block per instance, then the leftovers of deleted clusters (disks, CLBs, EIPs; the
users' reused CLBs apart), unverified instances and scan errors, the ids of the part's instances (to copy), a link,
and the cleanup commands for what the part holds. When the platform's byte limit is reached the message is split
into parts numbered "(1/3)", each complete in itself: no block is cut in half, nothing is dropped silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from ..costs import totals, wasted
from ..model import ActionLine, Orphan, Unverified
from .i18n import CHARGE, EVIDENCE, REASONS, Lang, duration, t, when, words, zone
from .leftover_text import cleanup_commands, cost_text, leftover_blocks, leftover_header, leftovers_of, total_line
from .markup import Block, Style
from .markup import clean as _clean
from .model import Notice, Resolved

__all__ = ["Block", "Part", "Style", "blocks_of", "compose"]


@dataclass
class Part:
    title: str
    text: str
    instance_ids: list[str] = field(default_factory=list)


def _title(notice: Notice, lang: Lang) -> str:
    """What the message is about, counted: orphans, TKE's leftovers, the users' reused CLBs (each only if any)."""
    if notice.kind == "test":
        return t("title.test", lang)
    if notice.kind == "cleanup":  # one kind a run: instances, or disks / load balancers / addresses
        leftovers_run = any(a.kind != "cvm" for a in notice.actions)
        return t("title.cleanup_leftovers" if leftovers_run else "title.cleanup", lang, n=len(notice.actions))
    leftovers = leftovers_of(notice)
    reused = sum(x.reused for x in leftovers)
    counts = (
        ("n.orphans", len(notice.resolved if notice.kind == "resolved" else notice.orphans)),
        ("n.leftovers", len(leftovers) - reused),
        ("n.reused", reused),
    )
    what = t("and", lang).join(t(key, lang, n=n) for key, n in counts if n)
    if not what:
        return t("title.incomplete", lang)
    return t(f"title.{notice.kind}", lang, what=what)


def _header(notice: Notice, style: Style, lang: Lang, tz: ZoneInfo) -> list[str]:
    if notice.kind == "cleanup":
        lines = [f"{t('cleanup_at', lang)}: {when(notice.scanned_at, tz)}"]
        actors = sorted({a.actor for a in notice.actions if a.actor})
        if actors:
            lines.append(f"{t('cleanup_by', lang)}: {_clean(', '.join(actors))}")
        return lines
    lines = [f"{t('scanned_at', lang)}: {when(notice.scanned_at, tz)}"]
    items = notice.resolved if notice.kind == "resolved" else notice.orphans
    if items:
        regions = Counter(i.region for i in items)
        lines.append(f"{t('by_region', lang)}: " + ", ".join(f"{r} {n}" for r, n in sorted(regions.items())))
    if notice.orphans and notice.kind != "resolved":
        reasons = Counter(o.reason.value for o in notice.orphans)
        lines.append(
            f"{t('by_reason', lang)}: " + ", ".join(f"{REASONS[r][lang]} {n}" for r, n in sorted(reasons.items()))
        )
        lines += _cost_header(notice, lang)
    return lines + leftover_header(notice, lang)


def _cost_header(notice: Notice, lang: Lang) -> list[str]:
    """`费用: 每月约 ¥12,345`, what is already wasted when known, and how many have no price."""
    total = totals(notice.orphans, notice.first_seen, notice.scanned_at)
    return [] if total is None else [total_line("cost", total, "cost.unpriced", lang)]


def _cost_line(o: Orphan, notice: Notice, lang: Lang) -> list[str]:
    cost = o.cost
    if cost is None:
        return []
    text = cost_text(cost, wasted(o, notice.first_seen, notice.scanned_at), lang, hourly=cost.source != "renew")
    if cost.monthly is not None and cost.source == "type_only":
        text += f" · {t('cost.type_only', lang)}"
    return [f"{t('cost', lang)}: {text}"]


def _orphan_block(o: Orphan, n: int, notice: Notice, style: Style, lang: Lang) -> Block:
    i = o.instance
    lines = [f"{style.bold(f'{n}. {i.instance_id}')} {style.code(_clean(i.name) or '-')}"]
    lines.append(
        f"{t('region', lang)}: {o.region} / {_clean(i.zone)}"
        + (f" ({t('account', lang)} {_clean(o.account)})" if o.account != "default" else "")
    )
    ips = [f"{t('private', lang)} {', '.join(i.private_ips)}" if i.private_ips else ""]
    ips.append(f"{t('public', lang)} {', '.join(i.public_ips)}" if i.public_ips else "")
    if any(ips):
        lines.append(f"{t('ip', lang)}: " + " · ".join(x for x in ips if x))
    owner = [f"{t('cluster', lang)} {_clean(o.cluster_id)}" if o.cluster_id else ""]
    owner.append(f"{t('node_pool', lang)} {_clean(o.node_pool_id)}" if o.node_pool_id else "")
    lines.append(f"{t('owner', lang)}: " + (" · ".join(x for x in owner if x) or t("unknown", lang)))
    lines.append(f"{t('reason', lang)}: {REASONS[o.reason.value][lang]}")
    evidence = "; ".join(
        f"{EVIDENCE.get(e.kind.value, {}).get(lang, e.kind.value)} {_clean(words(e.subject or e.detail, e.fact, lang))}"
        for e in o.evidence
    )
    lines.append(f"{t('evidence', lang)}: {evidence}")
    first = notice.first_seen.get(i.instance_id)
    created = duration(notice.scanned_at - i.created, lang)
    # Two ages, each labelled: how long it has been an orphan (since first seen), and how old the instance is.
    age = (
        t("age.both", lang, orphaned=duration(notice.scanned_at - first, lang), created=created)
        if first and first < notice.scanned_at
        else t("age.created", lang, created=created)
    )
    lines.append(f"{t('age', lang)}: {age}")
    charge = CHARGE.get(i.charge_type, {}).get(lang, i.charge_type)
    if i.expired and i.charge_type == "PREPAID":
        charge += f" ({t('expires', lang, date=i.expired.strftime('%Y-%m-%d'))})"
    spec = f"{_clean(i.instance_type)} · {t('cores', lang, cpu=i.cpu, mem=i.memory_gb)} · {charge}"
    lines.append(f"{t('spec', lang)}: {spec}")
    lines += _cost_line(o, notice, lang)
    return Block(lines, i.instance_id)


def _action_block(a: ActionLine, n: int, style: Style, lang: Lang) -> Block:
    # What failed is the API's own words, or a sentence around them; what was done the action and outcome say.
    failed = f" ({_clean(words(a.detail, a.fact, lang))})" if a.outcome == "failed" else ""
    return Block(
        [f"{style.bold(f'{n}. {a.instance_id}')} {style.code(_clean(a.name) or '-')} {a.region}: "
         f"{t('action.' + a.action, lang)} {t('outcome.' + a.outcome, lang)}{failed}"],
        a.instance_id,
    )  # fmt: skip


def _resolved_block(r: Resolved, n: int, style: Style, lang: Lang) -> Block:
    i = r.instance
    how = t(f"resolved.{r.how}", lang, detail=_clean(words(r.detail, r.fact, lang)))
    return Block(
        [f"{style.bold(f'{n}. {i.instance_id}')} {style.code(_clean(i.name) or '-')} {r.region}: {how}"], i.instance_id
    )


# A listing that fails in a big region leaves thousands unverified: say how many, why and a few ids, not each one.
UNVERIFIED_IDS = 5


def _unverified_blocks(items: tuple[Unverified, ...], style: Style, lang: Lang) -> list[Block]:
    if not items:
        return []
    groups: dict[tuple[str, str, str], list[str]] = {}
    for u in items:
        groups.setdefault((u.account, u.region, words(u.why, u.facts, lang)), []).append(u.instance.instance_id)
    blocks = [Block([style.bold(f"{t('unverified', lang)} ({len(items)})")])]
    for (account, region, why), ids in groups.items():
        where = region if account == "default" else f"{_clean(account)}/{region}"
        more = t("unverified.more", lang, n=len(ids) - UNVERIFIED_IDS) if len(ids) > UNVERIFIED_IDS else ""
        shown = ", ".join(ids[:UNVERIFIED_IDS])
        blocks.append(
            Block([t("unverified.group", lang, where=where, n=len(ids), ids=shown, more=more, why=_clean(why))])
        )
    return blocks


def _error_blocks(notice: Notice, style: Style, lang: Lang) -> list[Block]:
    if not notice.errors:
        return []
    blocks = [Block([style.bold(t("errors", lang))])]
    for where, failure in notice.errors:
        what = _clean(words(failure.describe(), failure.fact, lang))
        blocks.append(Block([t("could_not_check", lang, where=_clean(where) or "-", what=what)]))
    return blocks


def blocks_of(notice: Notice, style: Style, lang: Lang) -> list[Block]:
    if notice.kind == "test":
        return []
    if notice.kind == "cleanup":
        return [_action_block(a, n, style, lang) for n, a in enumerate(notice.actions, 1)]
    if notice.kind == "resolved":
        out = [_resolved_block(r, n, style, lang) for n, r in enumerate(notice.resolved, 1)]
    else:
        out = [_orphan_block(o, n, notice, style, lang) for n, o in enumerate(notice.orphans, 1)]
        if notice.orphans:
            out.append(Block([style.quiet(t("what_to_do", lang))]))
    out += leftover_blocks(notice, style, lang)
    return out + _unverified_blocks(notice.unverified, style, lang) + _error_blocks(notice, style, lang)


def _render(
    title: str, header: list[str], blocks: list[Block], notice: Notice, style: Style, lang: Lang, extra: str
) -> str:
    sections = [style.heading(title), style.line.join(header)]
    sections += [style.line.join(b.lines) for b in blocks]
    ids = [b.instance_id for b in blocks if b.instance_id]
    if ids:
        sections.append(f"{t('ids', lang)}:{style.line}{style.code(' '.join(ids))}")
    if notice.status_url:
        sections.append(style.link(t("status_page", lang), notice.status_url))
    commands = cleanup_commands(ids, blocks) if notice.kind in ("new", "reminder") else []
    if commands:
        act = t("act" if len(commands) == 1 else "act.many", lang)
        sections.append(f"{act}:{style.line}" + style.line.join(style.code(c) for c in commands))
    if extra:
        sections.append(extra)
    return style.block.join(s for s in sections if s)


def _shrink(block: Block, fits: Callable[[Block], bool], lang: Lang) -> Block:
    """A single block too big for a whole message: cut its longest lines, and say so."""
    lines = list(block.lines)
    marker = t("truncated", lang)
    while not fits(replace(block, lines=lines)):
        longest = max(range(len(lines)), key=lambda k: len(lines[k].encode()))
        keep = len(lines[longest]) // 2
        if keep < 20:
            lines = [*lines[:1], marker]
            break
        lines[longest] = lines[longest][:keep] + marker
    return replace(block, lines=lines)


def compose(
    notice: Notice,
    style: Style,
    lang: Lang,
    fits: Callable[[str, str], bool],
    *,
    first_extra: str = "",
    test_name: str = "",
    timezone: str | None = None,
) -> list[Part]:
    """Split the notice into parts whose final body `fits(title, text)`; `first_extra` (mentions) goes in part 1.
    Times are in `timezone` (webhook.timezone), else in the language's usual one (i18n.zone)."""
    base_title = _title(notice, lang)
    header = _header(notice, style, lang, zone(timezone, lang))
    if notice.kind == "test":
        header = [t("test.body", lang, name=test_name)]
    blocks = blocks_of(notice, style, lang)
    worst = base_title + t("part", lang, i=9999, n=9999)  # numbers are filled in once the count is known

    def ok(candidate: list[Block], extra: str) -> bool:
        return fits(worst, _render(worst, header, candidate, notice, style, lang, extra))

    groups: list[list[Block]] = [[]]
    for candidate in blocks:
        extra = first_extra if len(groups) == 1 else ""
        if ok([*groups[-1], candidate], extra):
            groups[-1].append(candidate)
            continue
        block = candidate
        if not ok([block], first_extra if not groups[-1] and len(groups) == 1 else ""):
            block = _shrink(block, lambda b: ok([b], ""), lang)
        if groups[-1]:
            groups.append([block])
        else:
            groups[-1].append(block)
    n = len(groups)
    parts = []
    for i, group in enumerate(groups, 1):
        title = base_title + (t("part", lang, i=i, n=n) if n > 1 else "")
        text = _render(title, header, group, notice, style, lang, first_extra if i == 1 else "")
        parts.append(Part(title, text, [b.instance_id for b in group if b.instance_id]))
    return parts
