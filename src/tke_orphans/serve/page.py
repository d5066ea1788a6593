"""The status page: server-rendered HTML that works without JavaScript, in Chinese or English."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from ..costs import top, totals
from ..facts import fact_from_dict
from ..model import Leftover, Origin, ScanResult
from ..notify.i18n import CHARGE, EVIDENCE, KINDS, REASONS, amount, duration, origin_words, t, when, words, zone
from ..records import origin_from_dict, parse_iso
from ..sanitize import visible

Lang = Literal["zh-CN", "en"]
WORDS: dict[str, dict[Lang, str]] = {
    "title": {"zh-CN": "孤儿 CVM 实例", "en": "Orphaned CVM instances"},
    "orphans": {"zh-CN": "当前孤儿实例", "en": "Current orphans"},
    "none": {"zh-CN": "没有孤儿实例。", "en": "No orphaned instances."},
    "unverified": {"zh-CN": "未能核实（不算孤儿）", "en": "Unverified (not counted as orphans)"},
    "scans": {"zh-CN": "最近的扫描", "en": "Recent scans"},
    "trend": {"zh-CN": "孤儿数量变化", "en": "Orphans over time"},
    "instance": {"zh-CN": "实例", "en": "Instance"},
    "where": {"zh-CN": "地域/可用区", "en": "Region/zone"},
    "owner": {"zh-CN": "归属", "en": "Belonged to"},
    "reason": {"zh-CN": "原因", "en": "Reason"},
    "evidence": {"zh-CN": "证据", "en": "Evidence"},
    "age": {"zh-CN": "孤儿时长", "en": "Orphaned for"},
    "charge": {"zh-CN": "计费", "en": "Charge"},
    "why": {"zh-CN": "原因", "en": "Why"},
    "time": {"zh-CN": "时间", "en": "Time"},
    "status": {"zh-CN": "状态", "en": "Status"},
    "errors": {"zh-CN": "错误", "en": "Errors"},
    "updated": {"zh-CN": "最近一次扫描", "en": "Last scan"},
    "never": {"zh-CN": "尚未扫描", "en": "no scan yet"},
    "switch": {"zh-CN": "English", "en": "中文"},
    "cost": {"zh-CN": "费用（目录价）", "en": "Cost (list price)"},
    "monthly": {"zh-CN": "每月", "en": "Monthly"},
    "wasted": {"zh-CN": "已浪费", "en": "Wasted so far"},
    "unpriced": {"zh-CN": "无法询价", "en": "Without a price"},
    "top_cost": {"zh-CN": "费用最高的 10 台", "en": "Top 10 by monthly cost"},
    "source": {"zh-CN": "来源", "en": "Source"},
    "leftovers": {"zh-CN": "已删除集群遗留的资源", "en": "Left behind by deleted clusters"},
    "reused": {
        "zh-CN": "被已删除集群复用的用户自有 CLB（非 TKE 创建，勿清理）",
        "en": "Users' own CLBs a deleted cluster reused (not made by TKE, never to clean up)",
    },
    "resource": {"zh-CN": "资源", "en": "Resource"},
    "kind": {"zh-CN": "类型", "en": "Kind"},
    "cluster": {"zh-CN": "集群（已删除）", "en": "Cluster (deleted)"},
    "left_for": {"zh-CN": "遗留时长", "en": "Left over for"},
    # A scan's status, and where a price came from (Cost.source): the English is the JSON's word.
    "ok": {"zh-CN": "完整", "en": "ok"},
    "partial": {"zh-CN": "部分失败", "en": "partial"},
    "error": {"zh-CN": "失败", "en": "error"},
    "inquiry": {"zh-CN": "整机询价", "en": "inquiry"},
    "type_only": {"zh-CN": "仅机型价格", "en": "type_only"},
    "renew": {"zh-CN": "续费价", "en": "renew"},
    "list": {"zh-CN": "目录价", "en": "list"},
    "page": {"zh-CN": "第 {n}/{of} 页", "en": "Page {n} of {of}"},
    "account": {"zh-CN": "账号", "en": "Account"},
    "all_accounts": {"zh-CN": "全部", "en": "All"},
    "previous": {"zh-CN": "上一页", "en": "Previous"},
    "next": {"zh-CN": "下一页", "en": "Next"},
    "more_errors": {"zh-CN": "另有 {n} 个错误", "en": "and {n} more errors"},
}
# Each list (orphans, leftovers, reused CLBs, unverified) shows at most this many rows a page (`?page=2`), and each
# scan at most ERRORS_SHOWN errors: the page stays a few hundred KB with any number of orphans.
PER_PAGE = 100
ERRORS_SHOWN = 5
CSS = """
body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f5f5f5}code{background:#f2f2f2;padding:0 .2rem}.ok{color:#1a7f37}.partial{color:#b35900}
.error{color:#c62828}.muted{color:#666}.count{font-size:2.4rem;font-weight:bold}nav{float:right}
"""


def _text(s: str) -> str:
    """Cloud text as HTML text: escaped, and bidi overrides or control characters shown, not obeyed."""
    return escape(visible(s))


def _w(key: str, lang: Lang) -> str:
    return WORDS[key][lang]


def _word(key: str, lang: Lang) -> str:
    """A word the page has in both languages (a scan's status, a price's source), else the value as it is."""
    return WORDS[key][lang] if key in WORDS else key


def _plot(points: list[tuple[str, int]], lang: Lang) -> str:
    """An inline SVG line of orphan counts, oldest first."""
    if not points:
        return f"<p class='muted'>{_w('never', lang)}</p>"
    width, height, pad = 720, 180, 30
    top = max([1, *(n for _, n in points)])
    step = (width - 2 * pad) / max(1, len(points) - 1)
    xy = [(pad + i * step, height - pad - n * (height - 2 * pad) / top) for i, (_, n) in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(
        f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3'><title>{_text(t)}: {n}</title></circle>"
        for (x, y), (t, n) in zip(xy, points, strict=True)
    )
    return (
        f"<svg role='img' aria-label='{_w('trend', lang)}' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg'>"
        f"<line x1='{pad}' y1='{height - pad}' x2='{width - pad}' y2='{height - pad}' stroke='#999'/>"
        f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{height - pad}' stroke='#999'/>"
        f"<text x='4' y='{pad + 4}' font-size='11'>{top}</text><text x='14' y='{height - pad}' font-size='11'>0</text>"
        f"<text x='{pad}' y='{height - 8}' font-size='11'>{_text(points[0][0])}</text>"
        f"<text x='{width - pad}' y='{height - 8}' font-size='11' text-anchor='end'>{_text(points[-1][0])}</text>"
        f"<polyline fill='none' stroke='#c62828' stroke-width='2' points='{line}'/>"
        f"<g fill='#c62828'>{dots}</g></svg>"
    )


def _costs(last: ScanResult, first_seen: dict[str, datetime], lang: Lang) -> list[str]:
    """The totals (per region, reason, account) and the 10 costliest orphans of the last scan."""
    t = totals(last.orphans, first_seen, last.scanned_at)
    if t is None:
        return []
    cur = t.currency
    cells = [f"{_w('monthly', lang)}: <b>{_text(amount(t.monthly, cur, lang))}</b>"]
    cells.append(f"{_w('wasted', lang)}: {_text(amount(t.wasted, cur, lang))}")
    if t.unpriced:
        cells.append(f"{_w('unpriced', lang)}: {len(t.unpriced)}")
    out = [f"<h2>{_w('cost', lang)}</h2><p id='cost-total'>" + " · ".join(cells) + "</p>"]
    groups = (("where", t.by["region"]), ("reason", t.by["reason"]), ("owner", t.by["account"]))
    for key, sums in groups:
        if key == "owner" and len(sums) < 2:
            continue
        label = (lambda k: REASONS[k][lang]) if key == "reason" else (lambda k: k)
        items = ", ".join(f"{_text(label(k))} {_text(amount(v, cur, lang))}" for k, v in sums.items())
        out.append(f"<p class='muted'>{_w(key, lang)}: {items}</p>")
    costly = top(last.orphans, 10)
    if costly:
        heads = "".join(f"<th>{_w(h, lang)}</th>" for h in ("instance", "where", "monthly", "source"))
        out.append(f"<h3>{_w('top_cost', lang)}</h3><table id='top-cost'><tr>{heads}</tr>")
        for o in costly:
            assert o.cost is not None
            out.append(
                f"<tr><td><code>{_text(o.instance.instance_id)}</code><br>{_text(o.instance.name)}</td>"
                f"<td>{_text(o.region)}</td><td>{_text(amount(o.cost.monthly, o.cost.currency, lang))}</td>"
                f"<td>{_text(_word(o.cost.source or '-', lang))}: {_text(words(o.cost.detail, o.cost.facts, lang))}"
                "</td></tr>"
            )
        out.append("</table>")
    return out


def _evidence(x: Leftover, lang: Lang) -> list[str]:
    """A leftover's evidence, a line each: as the record has it in English, from its facts in Chinese."""
    if lang == "en" or len(x.facts) != len(x.evidence):
        return list(x.evidence)
    return [words(e, f, lang) for e, f in zip(x.evidence, x.facts, strict=True)]


def _leftovers(
    items: Sequence[tuple[Leftover, datetime]], now: datetime, lang: Lang, rows: slice, tz: ZoneInfo
) -> list[str]:
    """The open leftovers (from the state, with when each was first seen); the users' reused CLBs in a table apart,
    without cost (not waste). `rows`: this page's share of each table."""
    out: list[str] = []
    for reused, key, table in ((False, "leftovers", "leftovers"), (True, "reused", "reused-clbs")):
        group = sorted((p for p in items if p[0].reused is reused), key=lambda p: (p[0].kind, p[0].resource_id))
        if not group:
            continue
        out.append(f"<h2>{_w(key, lang)} ({len(group)})</h2>")
        first_seen = {x.resource_id: first for x, first in group}
        total = None if reused else totals((x for x, _ in group), first_seen, now)
        if total is not None:
            cells = [f"{_w('monthly', lang)}: <b>{_text(amount(total.monthly, total.currency, lang))}</b>"]
            cells.append(f"{_w('wasted', lang)}: {_text(amount(total.wasted, total.currency, lang))}")
            if total.unpriced:
                cells.append(f"{_w('unpriced', lang)}: {len(total.unpriced)}")
            out.append("<p id='leftover-cost'>" + " · ".join(cells) + "</p>")
        heads = ["resource", "kind", "where", "cluster", "status", "evidence", "left_for"]
        heads += ["monthly"] if total is not None else []
        out.append(f"<table id='{table}'><tr>" + "".join(f"<th>{_w(h, lang)}</th>" for h in heads) + "</tr>")
        for x, first in group[rows]:
            where = x.region if x.account == "default" else f"{x.account}/{x.region}"
            cost = ""
            if total is not None:
                cost = f"<td>{_text(amount(x.cost.monthly, x.cost.currency, lang) if x.cost else '-')}</td>"
            out.append(
                f"<tr><td><code>{_text(x.resource_id)}</code><br>{_text(x.name)}</td>"
                f"<td>{_text(KINDS[x.kind][lang])}</td><td>{_text(where)}</td><td>{_text(x.cluster_id)}</td>"
                f"<td>{_text(x.state)}</td><td>{'<br>'.join(_text(e) for e in _evidence(x, lang))}"
                f"{_origin(x.origin, lang, tz)}</td>"
                f"<td>{_text(duration(now - first, lang))}</td>{cost}</tr>"
            )
        out.append("</table>")
    return out


def _origin(o: Origin | None, lang: Lang, tz: ZoneInfo) -> str:
    """Who left it behind (CloudAudit), under its evidence, when known."""
    if o is None:
        return ""
    # The caller's name and the call are the cloud's words: escaped, and shown as data.
    said = origin_words(o, lang, tz, lambda s: f"<code>{_text(s)}</code>")
    return f"<br><span class='muted'>{_text(t('origin', lang))}: {said}</span>"


def _subject(e: dict[str, Any], lang: Lang) -> str:
    """An orphan's evidence from its stored record: what it points to, in words where it takes some."""
    return words(e.get("subject") or e["detail"], fact_from_dict(e["fact"]) if e.get("fact") else None, lang)


def render_page(
    orphans: list[dict[str, Any]],
    last: ScanResult | None,
    scans: list[dict[str, Any]],
    lang: Lang,
    now: datetime | None = None,
    timezone: str | None = None,
    leftovers: Sequence[tuple[Leftover, datetime]] = (),
    page: int = 0,
    accounts: Sequence[str] = (),
    account: str = "",
) -> str:
    """`orphans`: the state's open orphan rows (record_json, first_seen); `scans`: recent scans, newest first;
    `leftovers`: the state's open leftovers, each with when it was first seen; `page` (from 0): which PER_PAGE rows
    of each list to show; `accounts`: those with open findings (more than one: links to each), `account`: the one
    shown ("": every one). Times are shown in `timezone` (webhook.timezone), else in the language's usual one, with
    their offset."""
    now = now or datetime.now(UTC)
    tz = zone(timezone, lang)
    longest = max(len(orphans), len(leftovers), len(last.unverified) if last else 0)
    pages = max(1, -(-longest // PER_PAGE))
    page = min(page, pages - 1)
    rows = slice(page * PER_PAGE, (page + 1) * PER_PAGE)

    def local(iso_time: str) -> str:
        parsed = parse_iso(iso_time)
        return when(parsed, tz) if parsed else iso_time

    other = "en" if lang == "zh-CN" else "zh-CN"
    where = f"&amp;account={_text(quote(account))}" if account else ""
    out = [
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_w('title', lang)}</title><style>{CSS}</style></head><body>",
        f"<nav><a href='?lang={other}&amp;page={page + 1}{where}'>{_w('switch', lang)}</a></nav>",
        f"<h1>{_w('title', lang)}</h1>" + _account_picker(accounts, account, lang, last),
    ]
    pager = _pager(page, pages, lang, where)
    out.append(pager)
    updated = local(scans[0]["started_at"]) if scans else _w("never", lang)
    made = sum(not x.reused for x, _ in leftovers)
    left = f" · {_w('leftovers', lang)}: <b id='leftover-count'>{made}</b>" if leftovers else ""
    out.append(
        f"<p><span class='count' id='orphan-count'>{len(orphans)}</span>{left} · {_w('updated', lang)}: "
        f"{_text(updated)}</p>"
    )
    if last is not None:
        first_seen = {json.loads(r["record_json"])["instance_id"]: parse_iso(r["first_seen"]) for r in orphans}
        out += _costs(last, first_seen, lang)
    out.append(f"<h2>{_w('orphans', lang)}</h2>")
    if not orphans:
        out.append(f"<p id='no-orphans'>{_w('none', lang)}</p>")
    else:
        heads = ("instance", "where", "owner", "reason", "evidence", "age", "charge")
        out.append("<table id='orphans'><tr>" + "".join(f"<th>{_w(h, lang)}</th>" for h in heads) + "</tr>")
        for row in orphans[rows]:
            rec = json.loads(row["record_json"])
            first = parse_iso(row["first_seen"])
            owner = " / ".join(x for x in (rec.get("cluster_id"), rec.get("node_pool_id")) if x) or "-"
            evidence = "<br>".join(
                f"{_text(EVIDENCE.get(e['kind'], {}).get(lang, e['kind']))}: {_text(_subject(e, lang))}"
                for e in rec["evidence"]
            )
            charge = CHARGE.get(rec["charge_type"], {}).get(lang, rec["charge_type"])
            if rec.get("expired_time"):
                charge += f" ({local(rec['expired_time'])[:10]})"
            out.append(
                f"<tr><td><code>{_text(rec['instance_id'])}</code><br>{_text(rec['instance_name'])}</td>"
                f"<td>{_text(rec['region'])}<br>{_text(rec['zone'])}</td><td>{_text(owner)}</td>"
                f"<td>{_text(REASONS[rec['reason']][lang])}</td>"
                f"<td>{evidence}{_origin(origin_from_dict(rec)[0], lang, tz)}</td>"
                f"<td>{_text(duration(now - first, lang))}</td><td>{_text(charge)}</td></tr>"
            )
        out.append("</table>")
    out += _leftovers(leftovers, now, lang, rows, tz)
    if last is not None and last.unverified:
        out.append(f"<h2>{_w('unverified', lang)}</h2><table id='unverified'>")
        out.append(f"<tr><th>{_w('instance', lang)}</th><th>{_w('where', lang)}</th><th>{_w('why', lang)}</th></tr>")
        for u in last.unverified[rows]:
            out.append(
                f"<tr><td><code>{_text(u.instance.instance_id)}</code></td><td>{_text(u.region)}</td>"
                f"<td>{_text(words(u.why, u.facts, lang))}</td></tr>"
            )
        out.append("</table>")
    out.append(pager)
    out.append(f"<h2>{_w('trend', lang)}</h2>")
    out.append(_plot([(local(s["started_at"])[5:16], s["orphans"]) for s in reversed(scans)], lang))
    out.append(f"<h2>{_w('scans', lang)}</h2><table id='scans'>")
    out.append(
        f"<tr><th>{_w('time', lang)}</th><th>{_w('status', lang)}</th><th>{_w('orphans', lang)}</th>"
        f"<th>{_w('unverified', lang)}</th><th>{_w('errors', lang)}</th></tr>"
    )
    for s in scans:
        out.append(
            f"<tr><td>{_text(local(s['started_at']))}</td><td class='{_text(s['status'])}'>"
            f"{_text(_word(s['status'], lang))}</td>"
            f"<td>{s['orphans']}</td><td>{s['unverified']}</td><td>{_errors(s['errors'], lang)}</td></tr>"
        )
    out.append("</table></body></html>")
    return "".join(out)


def _errors(errors: list[dict[str, Any]], lang: Lang) -> str:
    """A scan's first ERRORS_SHOWN errors, and how many more."""
    cell = "<br>".join(
        _text(f"{e['api']}{' ' + e['cluster_id'] if e.get('cluster_id') else ''}: {e['code']}: {e['message']}")
        for e in errors[:ERRORS_SHOWN]
    )
    if len(errors) > ERRORS_SHOWN:
        cell += f"<br>{_w('more_errors', lang).format(n=len(errors) - ERRORS_SHOWN)}"
    return cell


def _account_picker(accounts: Sequence[str], account: str, lang: Lang, last: ScanResult | None) -> str:
    """With findings in more than one account: the one shown, and links to each (and to all), each with its uin."""
    if len(accounts) < 2:
        return ""
    uins = {a.name: a.uin for a in (last.accounts if last else ()) if a.uin}
    links = [_w("all_accounts", lang) if not account else f"<a href='?lang={lang}'>{_w('all_accounts', lang)}</a>"]
    for a in accounts:
        name = _text(a) + (f" <span class='muted'>{_text(uins[a])}</span>" if a in uins else "")
        shown = f"<b>{name}</b>"
        links.append(shown if a == account else f"<a href='?lang={lang}&amp;account={_text(quote(a))}'>{name}</a>")
    return f"<p id='accounts'>{_w('account', lang)}: " + " · ".join(links) + "</p>"


def _pager(page: int, pages: int, lang: Lang, where: str = "") -> str:
    """Links to the neighbouring pages, when the lists do not fit one."""
    if pages == 1:
        return ""
    links = [f"<a href='?lang={lang}&amp;page={page}{where}'>{_w('previous', lang)}</a>"] if page else []
    links.append(_w("page", lang).format(n=page + 1, of=pages))
    if page + 1 < pages:
        links.append(f"<a href='?lang={lang}&amp;page={page + 2}{where}'>{_w('next', lang)}</a>")
    return "<p class='pager'>" + " · ".join(links) + "</p>"
