"""From a Notice to message parts that fit: pure text work, no I/O.

A message is a header, then its sections: the orphaned VMs, the leftovers of deleted clusters (of every other kind),
the users' reused CLBs apart; then what could not be checked, the ids of the part's VMs (to copy), a link, and the
cleanup commands for what the part holds. Each section holds one block per finding (blocks.py), of a new or due
notice, or per resolved one. When the platform's byte limit is reached the message is split into parts numbered
"(1/3)", each complete in itself: no block is cut in half, nothing is dropped silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from ..costs import totals
from ..kinds import KINDS
from ..model import VM, Leftover, Notice, Orphan, Resolved, Vm
from .blocks import action_block, error_blocks, finding_block, resolved_block, total_line, unverified_blocks
from .i18n import ADVICE, REASONS, Lang, t, when, zone
from .i18n import KINDS as NOUNS
from .markup import Block, Style
from .markup import clean as _clean

__all__ = ["Block", "Part", "Style", "blocks_of", "compose"]


@dataclass
class Part:
    title: str
    text: str
    instance_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """`heading`: its counted heading (None: the VMs, which the title names); `advice`: its "what to do" line under
    open findings; `named`: its items are of several kinds, so each says its own."""

    heading: str | None
    advice: str | None
    named: bool


VMS = Section(None, "what_to_do", named=False)
LEFTOVERS = Section("leftovers", "leftovers.what_to_do", named=True)
REUSED = Section("leftovers.reused", None, named=True)  # a user's own CLB: told apart, never to clean up


def _what(x: Orphan | Leftover | Resolved) -> Orphan | Leftover | Vm:
    return x.what if isinstance(x, Resolved) else x


def _section(x: Orphan | Leftover | Resolved) -> Section:
    w = _what(x)
    if not isinstance(w, Leftover):
        return VMS
    return REUSED if w.reused else LEFTOVERS


def _items(notice: Notice) -> Sequence[Orphan | Leftover | Resolved]:
    return notice.resolved if notice.kind == "resolved" else notice.findings


def _in(section: Section, notice: Notice) -> list[Orphan | Leftover | Resolved]:
    return [x for x in _items(notice) if _section(x) is section]


def _title(notice: Notice, lang: Lang) -> str:
    """What the message is about, counted: orphans, TKE's leftovers, the users' reused CLBs (each only if any)."""
    if notice.kind == "test":
        return t("title.test", lang)
    if notice.kind == "cleanup":  # one kind a run: instances, or disks / load balancers / addresses
        leftovers_run = any(a.kind != VM for a in notice.actions)
        return t("title.cleanup_leftovers" if leftovers_run else "title.cleanup", lang, n=len(notice.actions))
    counts = (("n.orphans", VMS), ("n.leftovers", LEFTOVERS), ("n.reused", REUSED))
    what = t("and", lang).join(t(key, lang, n=n) for key, s in counts if (n := len(_in(s, notice))))
    if not what:
        return t("title.incomplete", lang)
    return t(f"title.{notice.kind}", lang, what=what) + _whose(notice, lang)


def _whose(notice: Notice, lang: Lang) -> str:
    """A route's message names the account its findings are in (one named account), so a team sees it is theirs."""
    accounts = {_what(x).account for x in _items(notice)} | {u.account for u in notice.unverified}
    if notice.route is None or len(accounts) != 1 or accounts == {"default"}:
        return ""
    return t("title.account", lang, account=_clean(accounts.pop()))


def _header(notice: Notice, lang: Lang, tz: ZoneInfo) -> list[str]:
    if notice.kind == "cleanup":
        lines = [f"{t('cleanup_at', lang)}: {when(notice.scanned_at, tz)}"]
        actors = sorted({a.actor for a in notice.actions if a.actor})
        if actors:
            lines.append(f"{t('cleanup_by', lang)}: {_clean(', '.join(actors))}")
        return lines
    lines = [f"{t('scanned_at', lang)}: {when(notice.scanned_at, tz)}"]
    vms = _in(VMS, notice)
    if vms:
        regions = Counter(_what(v).region for v in vms)
        lines.append(f"{t('by_region', lang)}: " + ", ".join(f"{r} {n}" for r, n in sorted(regions.items())))
    orphans = [o for o in vms if isinstance(o, Orphan)]
    if orphans:
        reasons = Counter(o.reason.value for o in orphans)
        lines.append(
            f"{t('by_reason', lang)}: " + ", ".join(f"{REASONS[r][lang]} {n}" for r, n in sorted(reasons.items()))
        )
        total = totals(orphans, notice.first_seen, notice.scanned_at)
        lines += [] if total is None else [total_line("cost", total, "cost.unpriced", lang)]
    return lines + _leftover_header(notice, lang)


def _leftover_header(notice: Notice, lang: Lang) -> list[str]:
    """`遗留资源: 云硬盘 1, 弹性公网 IP 2 (ap-guangzhou 3)`, the reused CLBs apart, and what the leftovers cost."""
    lines = []
    for section, key in ((LEFTOVERS, "leftovers.count"), (REUSED, "leftovers.count.reused")):
        group = [_what(x) for x in _in(section, notice)]
        if not group:
            continue
        kinds = Counter(x.kind for x in group)
        counted = str(len(group)) if section is REUSED else ", ".join(
            f"{NOUNS[k][lang]} {n}" for k, n in sorted(kinds.items()))  # fmt: skip
        where = ", ".join(f"{r} {n}" for r, n in sorted(Counter(x.region for x in group).items()))
        lines.append(f"{t(key, lang)}: {counted} ({where})")
    made = [x for x in _in(LEFTOVERS, notice) if isinstance(x, Leftover)]  # open ones: a resolved one costs nothing
    total = totals(made, notice.first_seen, notice.scanned_at)
    if total is not None:
        lines.append(total_line("leftovers.cost", total, "cost.unpriced.leftovers", lang))
    return lines


def _advice(section: Section, group: list[Orphan | Leftover | Resolved], lang: Lang) -> str:
    """The leftovers' advice names what to make sure of for each kind the section holds, in the registry's order."""
    assert section.advice is not None
    held = {_what(x).kind for x in group}
    said = [ADVICE[k][lang] for k in KINDS if k in held]
    return t(section.advice, lang, advice=("，" if lang == "zh-CN" else ", ").join(said))


def blocks_of(notice: Notice, style: Style, lang: Lang, tz: ZoneInfo | None = None) -> list[Block]:
    if notice.kind == "test":
        return []
    if notice.kind == "cleanup":
        return [action_block(a, n, style, lang) for n, a in enumerate(notice.actions, 1)]
    out: list[Block] = []
    for section in (VMS, LEFTOVERS, REUSED):
        group = _in(section, notice)
        if not group:
            continue
        if section.heading:
            out.append(Block([style.bold(f"{t(section.heading, lang)} ({len(group)})")]))
        for n, x in enumerate(group, 1):
            out.append(
                resolved_block(x, n, notice, style, lang, named=section.named)
                if isinstance(x, Resolved)
                else finding_block(x, n, notice, style, lang, tz or zone(None, lang))
            )
        if section.advice and notice.kind != "resolved":
            out.append(Block([style.quiet(_advice(section, group, lang))]))
    return out + unverified_blocks(notice.unverified, style, lang) + error_blocks(notice, style, lang)


def cleanup_commands(blocks: list[Block]) -> list[str]:
    """One command for the part's VMs, and one per other kind (`cleanup --kind cbs_disk --only disk-…`)."""
    kinds: dict[str, list[str]] = {}
    for b in blocks:
        if b.target is not None:
            kinds.setdefault(b.target[0], []).append(b.target[1])
    # The VMs' first, as `cleanup` takes them without --kind.
    ordered = sorted(kinds.items(), key=lambda k: k[0] != VM)
    return [f"tke-orphans cleanup {'' if kind == VM else f'--kind {kind} '}"
            + " ".join(f"--only {_clean(i)}" for i in ids) for kind, ids in ordered]  # fmt: skip


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
    commands = cleanup_commands(blocks) if notice.kind in ("new", "reminder") else []
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
    header = _header(notice, lang, zone(timezone, lang))
    if notice.kind == "test":
        header = [t("test.body", lang, name=test_name)]
    blocks = blocks_of(notice, style, lang, zone(timezone, lang))
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
