"""The blocks a message is made of, one per thing it tells (pure text work): an orphaned VM with what only VMs
have (IPs, node pool, spec), a leftover of any other kind, anything resolved, a cleanup action; what could not be
checked; and the cost lines. compose.py puts them in sections and parts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..costs import Totals, wasted
from ..model import ActionLine, Cost, Leftover, Notice, Orphan, Resolved, Unverified
from .i18n import CHARGE, EVIDENCE, KINDS, REASONS, Lang, amount, duration, origin_words, t, words
from .markup import Block, Style
from .markup import clean as _clean

__all__ = ["action_block", "cost_text", "error_blocks", "finding_block", "resolved_block", "total_line",
           "unverified_blocks"]  # fmt: skip


def total_line(label: str, total: Totals, unpriced: str, lang: Lang) -> str:
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


def _cost_line(f: Orphan | Leftover, notice: Notice, lang: Lang) -> list[str]:
    cost = f.cost
    if cost is None or f.reused:  # a user's own CLB costs what the user chose: not waste
        return []
    # A prepaid VM's figure is its renewal, which has no hourly rate.
    text = cost_text(cost, wasted(f, notice.first_seen, notice.scanned_at), lang, hourly=cost.source != "renew")
    if cost.monthly is not None and cost.source == "type_only":
        text += f" · {t('cost.type_only', lang)}"
    return [f"{t('cost', lang)}: {text}"]


def _where(account: str, region: str) -> str:
    return region if account == "default" else f"{_clean(account)}/{region}"


def _head(n: int, rid: str, name: str, style: Style) -> str:
    return f"{style.bold(f'{n}. {_clean(rid)}')} {style.code(_clean(name) or '-')}"


def _vm_lines(o: Orphan, notice: Notice, lang: Lang) -> list[str]:
    """What only a VM has: its zone and IPs, cluster and node pool, typed evidence, two ages, its spec."""
    i = o.instance
    lines = [
        f"{t('region', lang)}: {o.region} / {_clean(i.zone)}"
        + (f" ({t('account', lang)} {_clean(o.account)})" if o.account != "default" else "")
    ]
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
    return lines


def _leftover_lines(x: Leftover, notice: Notice, lang: Lang) -> list[str]:
    """A resource's kind, where, its deleted cluster and state, its evidence, how long left over and how old."""
    what = t("leftover.what", lang, kind=KINDS[x.kind][lang], where=_where(x.account, x.region),
             cluster=_clean(x.cluster_id), state=_clean(x.state))  # fmt: skip
    lines = [what, f"{t('evidence', lang)}: {_clean(words('; '.join(x.evidence), x.facts, lang))}"]
    first = notice.first_seen.get(x.resource_id)
    ages = [t("age.left_for", lang, left=duration(notice.scanned_at - first, lang))
            if first and first < notice.scanned_at else t("age.just_found", lang)]  # fmt: skip
    if x.created is not None:
        ages.append(t("age.created_ago", lang, created=duration(notice.scanned_at - x.created, lang)))
    lines.append(f"{t('age', lang)}: " + " · ".join(ages).replace("） · ", "）· "))
    return lines


def _origin_line(f: Orphan | Leftover, style: Style, lang: Lang, tz: ZoneInfo) -> list[str]:
    """`来源: 由 alice 于 12-01 14:03 通过 DeleteClusterInstances（保留实例）移出集群` (from CloudAudit), when known."""
    if f.origin is None:
        return []
    # The caller's name and the call are the cloud's words: shown as data, never as text to read.
    return [f"{t('origin', lang)}: {origin_words(f.origin, lang, tz, lambda s: style.code(_clean(s)))}"]


def finding_block(f: Orphan | Leftover, n: int, notice: Notice, style: Style, lang: Lang, tz: ZoneInfo) -> Block:
    """A finding of any kind: its head, its kind's own lines, who left it (when known), its cost. A user's reused
    CLB is in no cleanup command; a VM's id is in the part's ids to copy."""
    body = _leftover_lines(f, notice, lang) if isinstance(f, Leftover) else _vm_lines(f, notice, lang)
    lines = [
        _head(n, f.resource_id, f.name, style),
        *body,
        *_origin_line(f, style, lang, tz),
        *_cost_line(f, notice, lang),
    ]
    vm = isinstance(f, Orphan)
    return Block(lines, f.resource_id if vm else None, None if f.reused else (f.kind, f.resource_id))


def resolved_block(r: Resolved, n: int, notice: Notice, style: Style, lang: Lang, *, named: bool) -> Block:
    """`1. disk-… name ap-guangzhou 云硬盘: 已删除，遗留了 3 天`; `named`: the kind is said (a section of many)."""
    w = r.what
    how = t(f"resolved.{r.how}", lang, detail=_clean(words(r.detail, r.fact, lang)))
    if r.first_seen and r.first_seen < notice.scanned_at:
        how += t("resolved.after", lang, left=duration(notice.scanned_at - r.first_seen, lang))
    noun = f" {KINDS[w.kind][lang]}" if named else ""
    line = f"{_head(n, w.resource_id, w.name, style)} {_where(w.account, w.region)}{noun}: {how}"
    return Block([line], None if isinstance(w, Leftover) else w.resource_id)


def action_block(a: ActionLine, n: int, style: Style, lang: Lang) -> Block:
    # What failed is the API's own words, or a sentence around them; what was done the action and outcome say.
    failed = f" ({_clean(words(a.detail, a.fact, lang))})" if a.outcome == "failed" else ""
    return Block(
        [f"{_head(n, a.instance_id, a.name, style)} {a.region}: "
         f"{t('action.' + a.action, lang)} {t('outcome.' + a.outcome, lang)}{failed}"],
        a.instance_id,
    )  # fmt: skip


# A listing that fails in a big region leaves thousands unverified: say how many, why and a few ids, not each one.
UNVERIFIED_IDS = 5


def unverified_blocks(items: tuple[Unverified, ...], style: Style, lang: Lang) -> list[Block]:
    if not items:
        return []
    groups: dict[tuple[str, str, str], list[str]] = {}
    for u in items:
        groups.setdefault((u.account, u.region, words(u.why, u.facts, lang)), []).append(u.instance.instance_id)
    blocks = [Block([style.bold(f"{t('unverified', lang)} ({len(items)})")])]
    for (account, region, why), ids in groups.items():
        more = t("unverified.more", lang, n=len(ids) - UNVERIFIED_IDS) if len(ids) > UNVERIFIED_IDS else ""
        shown = ", ".join(ids[:UNVERIFIED_IDS])
        blocks.append(Block([t("unverified.group", lang, where=_where(account, region), n=len(ids), ids=shown,
                               more=more, why=_clean(why))]))  # fmt: skip
    return blocks


def error_blocks(notice: Notice, style: Style, lang: Lang) -> list[Block]:
    if not notice.errors:
        return []
    blocks = [Block([style.bold(t("errors", lang))])]
    for where, failure in notice.errors:
        what = _clean(words(failure.describe(), failure.fact, lang))
        blocks.append(Block([t("could_not_check", lang, where=_clean(where) or "-", what=what)]))
    return blocks
