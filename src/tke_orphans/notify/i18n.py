"""Message wording in Chinese (the default: all three platforms are Chinese) and English."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from .. import kinds as registry
from ..costs import money
from ..facts import Fact
from ..model import Origin

Lang = Literal["zh-CN", "en"]

TEXT: dict[str, dict[Lang, str]] = {
    # A title counts what the message is about: "{what}" joins the counts below ("3 个孤儿 CVM 实例、2 个…").
    "title.new": {"zh-CN": "🚨 发现 {what}", "en": "🚨 {what} found"},
    "title.reminder": {"zh-CN": "⏰ 仍有 {what}未处理", "en": "⏰ {what} still there"},
    "title.resolved": {"zh-CN": "✅ {what}已解决", "en": "✅ {what} resolved"},
    "n.orphans": {"zh-CN": "{n} 个孤儿 CVM 实例", "en": "{n} orphaned CVM instance(s)"},
    # Every title says "孤儿"/"orphan" (a reused CLB's: that it is none): DingTalk robots secured by a keyword
    # refuse a message without it, and "孤儿" is the keyword a team picks for these alerts.
    "n.leftovers": {"zh-CN": "{n} 个已删除集群遗留的孤儿资源", "en": "{n} orphaned resource(s) of deleted clusters"},
    "n.reused": {
        "zh-CN": "{n} 个被已删除集群复用的用户 CLB（非孤儿资源）",
        "en": "{n} user CLB(s) a deleted cluster reused (not orphaned)",
    },
    "and": {"zh-CN": "、", "en": ", "},
    "title.incomplete": {"zh-CN": "⚠️ 孤儿 CVM 检查未完成", "en": "⚠️ Orphan CVM check incomplete"},
    "title.cleanup": {"zh-CN": "🧹 孤儿 CVM 清理：{n} 个实例", "en": "🧹 Orphan cleanup: {n} instance(s)"},
    "title.cleanup_leftovers": {
        "zh-CN": "🧹 已删除集群遗留资源清理：{n} 个",
        "en": "🧹 Cleanup of deleted clusters' leftovers: {n} resource(s)",
    },
    "action.mark": {"zh-CN": "打标记", "en": "mark"},
    "action.terminate": {"zh-CN": "销毁", "en": "terminate"},
    "action.readd": {"zh-CN": "重新加入集群", "en": "add back to a cluster"},
    "outcome.done": {"zh-CN": "成功", "en": "done"},
    "outcome.failed": {"zh-CN": "失败", "en": "failed"},
    "origin": {"zh-CN": "来源", "en": "Origin"},
    "origin.retain": {
        "zh-CN": "由 {who} 于 {time} 通过 {event}（保留实例）移出集群",
        "en": "removed from its cluster by {who} at {time} ({event}, instance kept)",
    },
    "origin.keep_instance": {
        "zh-CN": "由 {who} 于 {time} 通过 {event}（保留实例）删除节点池",
        "en": "its node pool deleted by {who} at {time} ({event}, instances kept)",
    },
    "origin.cluster_deleted": {
        "zh-CN": "由 {who} 于 {time} 通过 {event} 删除集群时保留",
        "en": "kept when {who} deleted its cluster at {time} ({event})",
    },
    "title.account": {"zh-CN": "（账号 {account}）", "en": " (account {account})"},
    "title.test": {"zh-CN": "🔔 tke-orphans 测试消息", "en": "🔔 tke-orphans test message"},
    "test.body": {
        "zh-CN": "这是一条测试消息：机器人 {name} 配置正确，可以接收孤儿 CVM 告警。",
        "en": "This is a test message: bot {name} is set up and can receive orphaned CVM alerts.",
    },
    "scanned_at": {"zh-CN": "扫描时间", "en": "Scanned at"},
    "by_region": {"zh-CN": "按地域", "en": "By region"},
    "by_reason": {"zh-CN": "按原因", "en": "By reason"},
    # What the orphans cost (list price; pricing.enabled).
    "cost": {"zh-CN": "费用", "en": "Cost"},
    "cost.monthly": {"zh-CN": "每月约 {amount}", "en": "about {amount} a month"},
    "cost.hourly": {"zh-CN": "{amount}/小时", "en": "{amount}/hour"},
    "cost.wasted": {"zh-CN": "已浪费约 {amount}", "en": "about {amount} wasted so far"},
    "cost.unpriced": {"zh-CN": "{n} 台无法询价", "en": "{n} without a price"},
    # Nothing priced: the total is not known, never 0.
    "cost.unknown": {"zh-CN": "未知（{why}）", "en": "unknown ({why})"},
    "cost.type_only": {"zh-CN": "仅机型价格", "en": "machine type only"},
    "cost.none": {"zh-CN": "无法询价", "en": "no price available"},
    "region": {"zh-CN": "地域/可用区", "en": "Region/zone"},
    "ip": {"zh-CN": "IP", "en": "IP"},
    "private": {"zh-CN": "内网", "en": "private"},
    "public": {"zh-CN": "公网", "en": "public"},
    "owner": {"zh-CN": "归属", "en": "Belonged to"},
    "cluster": {"zh-CN": "集群", "en": "cluster"},
    "node_pool": {"zh-CN": "节点池", "en": "node pool"},
    "unknown": {"zh-CN": "未知", "en": "unknown"},
    "reason": {"zh-CN": "原因", "en": "Reason"},
    "evidence": {"zh-CN": "证据", "en": "Evidence"},
    "orphaned_for": {"zh-CN": "孤儿时长", "en": "Orphaned for"},
    "age": {"zh-CN": "时长", "en": "Age"},
    "age.both": {
        "zh-CN": "已成孤儿 {orphaned}（首次发现起）· 创建于 {created}前",
        "en": "orphaned for {orphaned} (since first seen) · created {created} ago",
    },
    "age.created": {"zh-CN": "刚发现 · 创建于 {created}前", "en": "just found · created {created} ago"},
    "act": {
        "zh-CN": "确认无用后，用这条命令处理（默认只演练，加 --yes 执行）",
        "en": "Once confirmed unused, act on them with (a dry run until you add --yes)",
    },
    "act.many": {
        "zh-CN": "确认无用后，用这些命令处理（默认只演练，加 --yes 执行）",
        "en": "Once confirmed unused, act on them with these commands (a dry run until you add --yes)",
    },
    "cleanup_at": {"zh-CN": "清理时间", "en": "Cleaned up at"},
    "cleanup_by": {"zh-CN": "执行者", "en": "By"},
    "spec": {"zh-CN": "配置", "en": "Spec"},
    "cores": {"zh-CN": "{cpu}核 {mem}GB", "en": "{cpu} vCPU {mem} GB"},
    "expires": {"zh-CN": "到期 {date}", "en": "expires {date}"},
    "account": {"zh-CN": "账号", "en": "Account"},
    "ids": {"zh-CN": "实例 ID（便于复制）", "en": "Instance ids (to copy)"},
    "status_page": {"zh-CN": "查看状态页", "en": "Open the status page"},
    "leftovers": {"zh-CN": "已删除集群遗留的资源", "en": "Left behind by deleted clusters"},
    "leftovers.reused": {
        "zh-CN": "被已删除集群复用的用户自有 CLB（非 TKE 创建，勿清理）",
        "en": "Users' own CLBs a deleted cluster reused (not made by TKE, never to clean up)",
    },
    "leftover.what": {
        "zh-CN": "{kind} · {where} · 集群 {cluster}（已删除）· {state}",
        "en": "{kind} · {where} · cluster {cluster} (deleted) · {state}",
    },
    "leftovers.count": {"zh-CN": "遗留资源", "en": "Left behind"},
    "leftovers.count.reused": {"zh-CN": "被复用的用户 CLB", "en": "Reused user CLBs"},
    "leftovers.cost": {"zh-CN": "遗留资源费用", "en": "Leftovers' cost"},
    "cost.unpriced.leftovers": {"zh-CN": "{n} 个无法询价", "en": "{n} without a price"},
    "age.left_for": {"zh-CN": "已遗留 {left}（首次发现起）", "en": "left over for {left} (since first seen)"},
    "age.just_found": {"zh-CN": "刚发现", "en": "just found"},
    "age.created_ago": {"zh-CN": "创建于 {created}前", "en": "created {created} ago"},
    "leftovers.what_to_do": {
        "zh-CN": "处理建议：确认无用后删除（{advice}）。",
        "en": "What to do: delete them once confirmed unused ({advice}).",
    },
    "resolved.gone": {"zh-CN": "已删除", "en": "deleted"},
    "resolved.in_use": {"zh-CN": "已重新使用（{detail}）", "en": "in use again ({detail})"},
    "resolved.not_leftover": {"zh-CN": "不再属于已删除集群", "en": "no longer a deleted cluster's"},
    "resolved.after": {"zh-CN": "，遗留了 {left}", "en": ", left over for {left}"},
    "unverified": {"zh-CN": "未能核实（不算孤儿）", "en": "Unverified (not counted as orphans)"},
    "unverified.group": {
        "zh-CN": "{where}：{n} 个实例（{ids}{more}）：{why}",
        "en": "{where}: {n} instance(s) ({ids}{more}): {why}",
    },
    "unverified.more": {
        "zh-CN": " 等，其余见状态页或 JSON 输出",
        "en": " and {n} more: see the status page or the JSON output",
    },
    "errors": {"zh-CN": "扫描错误", "en": "Scan errors"},
    "could_not_check": {"zh-CN": "无法检查 {where}：{what}", "en": "could not check {where}: {what}"},
    "resolved.terminated": {"zh-CN": "已销毁", "en": "terminated"},
    "resolved.rejoined": {"zh-CN": "已重新加入集群 {detail}", "en": "rejoined cluster {detail}"},
    "resolved.ignored": {"zh-CN": "已忽略（{detail}）", "en": "ignored ({detail})"},
    "what_to_do": {
        "zh-CN": "处理建议：确认无用后在控制台销毁（包年包月实例需退还），或加入集群，或打标签 tke-orphans:ignore=true 忽略。",
        "en": "What to do: terminate it in the console once confirmed unused (return prepaid ones), add it back to a "
        "cluster, or tag it tke-orphans:ignore=true.",
    },
    "part": {"zh-CN": "（{i}/{n}）", "en": " ({i}/{n})"},
    "truncated": {"zh-CN": "…（过长，已截断）", "en": "… (too long, cut here)"},
}

REASONS: dict[str, dict[Lang, str]] = {
    "cluster_deleted": {"zh-CN": "集群已删除", "en": "cluster deleted"},
    "removed_from_cluster": {"zh-CN": "已移出集群", "en": "removed from cluster"},
    "node_pool_deleted": {"zh-CN": "节点池已删除", "en": "node pool deleted"},
    "unknown_owner": {"zh-CN": "归属未知（旧规则）", "en": "unknown owner (legacy rule)"},
}
EVIDENCE: dict[str, dict[Lang, str]] = {
    "name": {"zh-CN": "默认名称", "en": "default name"},
    "autoscaling_tag": {"zh-CN": "伸缩组标签", "en": "auto scaling tag"},
    "owner_tag": {"zh-CN": "归属标签", "en": "owner tag"},
    "legacy_heuristic": {"zh-CN": "旧规则", "en": "legacy rule"},
    "history": {"zh-CN": "历史记录", "en": "history"},
}
# Each kind's name, as the registry declares it.
KINDS: dict[str, dict[Lang, str]] = {k.name: {"zh-CN": k.noun.zh, "en": k.noun.en} for k in registry.KINDS.values()}
# What to make sure of before deleting one of each kind: the leftovers' "what to do", for the kinds a part holds.
ADVICE: dict[str, dict[Lang, str]] = {
    k.name: {"zh-CN": k.advice[1], "en": k.advice[0]} for k in registry.KINDS.values()
}
CHARGE: dict[str, dict[Lang, str]] = {
    "PREPAID": {"zh-CN": "包年包月", "en": "prepaid"},
    "POSTPAID_BY_HOUR": {"zh-CN": "按量计费", "en": "pay-as-you-go"},
    "SPOTPAID": {"zh-CN": "竞价实例", "en": "spot"},
}


# The core's facts (tke_orphans/facts.py, where their English is) in Chinese: whole sentences, the ids, tag keys,
# types, API names and the cloud's words in them as they are.
FACTS_ZH: dict[str, str] = {
    "text": "{0}",
    "api.failed": "{0} 调用失败：{1}: {2}",
    "api.failed_for": "{0}（{1}）调用失败：{2}: {3}",
    "api.error": "{0}: {1}: {2}",
    "unverified.not_confirmed": "未经 {0} 确认不在任何集群中",
    "unverified.no_clusters": "未能列出该地域的集群",
    "legacy.name": "名称含 “{0}”",
    "legacy.tag": "标签 {0}={1} 含 “{2}”",
    "excluded.id": "在 detection.ignore.instance_ids 中",
    "excluded.tag": "标签 {0}={1}",
    "excluded.name": "名称匹配 /{0}/",
    "excluded.state": "状态 {0}",
    "excluded.young": "创建于 {0} 分钟前",
    "resolved.no_evidence": "不再带有 TKE 证据",
    "leftover.tag": "标签 {0}={1}",
    "leftover.cluster_gone": "标签 {0}={1}：该地域已无此集群",
    "price.system_disk": "系统盘 {0} GB",
    "price.data_disks": "{0} 块数据盘共 {1} GB",
    "price.bandwidth": "带宽 {0} Mbps",
    "price.bandwidth_package": "带宽按共享带宽包计费（未计入）",
    "price.traffic": "流量费 {0}/GB 未计入",
    "price.spot": "当前竞价",
    "price.renewal": "续费一个月",
    "price.type_only": "仅机型价格（{0}；完整询价失败：{1}）",
    "price.host_billed": "{0} 实例随其宿主机或集群计费",
    "price.crashed": "询价出错：{0}",
    "price.other_currency": "目录价以 {0} 计，而非 {1}（pricing.currency）",
    "price.prepaid_month": "包月一个月",
    "cleanup.no_names": "无法生成资源六段式名称：{0} 调用失败：{1}: {2}",
    "cleanup.destroy_failed": "已移入回收站，但第二次调用销毁失败：{0}",
    "cleanup.destroy_failed_refund": "已移入回收站（退款 {0}），但第二次调用销毁失败：{1}",
    "cleanup.unexpected": "无法解读的应答（{0}）：结果未知；记录保持待定，下次运行会按 ID 查明",
    "cleanup.no_reason": "未加入（云端未给出原因）",
    "cleanup.unsure": "{0}: {1}（结果未知：可能已执行）",
}


KIND_WORDS_ZH = {key: said for key, (_, said) in registry.words().items()}


def origin_words(o: Origin, lang: Lang, tz: ZoneInfo, clean: Callable[[str], str] = str) -> str:
    """Who left a finding behind and how, in a sentence: `由 alice 于 12-01 14:03 通过 DeleteClusterInstances（保留实例）
    移出集群`. `clean` makes the cloud's words (the caller's name, the event) inert where they are shown."""
    when_ = o.time.astimezone(tz).strftime("%m-%d %H:%M")
    return t(f"origin.{o.how}", lang, who=clean(o.who) or "?", time=when_, event=clean(o.event))


def t(key: str, lang: Lang, **kw: object) -> str:
    return TEXT[key][lang].format(**kw)


def words(english: str, facts: Fact | Iterable[Fact] | None, lang: Lang) -> str:
    """A record's sentence in a language: in English as the record has it (the JSON's very words), in Chinese from
    its facts, joined with "；" (as it is when a record kept before facts were has none)."""
    items = () if facts is None else (facts,) if isinstance(facts, Fact) else tuple(facts)
    if lang == "en" or not items:
        return english
    return "；".join(zh(f.key).format(*f.args) for f in items)


def zh(key: str) -> str:
    """A fact's Chinese sentence: the core's, or a kind's own (kinds/*.py)."""
    return FACTS_ZH.get(key) or KIND_WORDS_ZH[key]


def amount(value: float | None, currency: str | None, lang: Lang) -> str:
    """An amount by the one rule (costs.money), `未知`/`unknown` when it is not known."""
    return money(value, currency, TEXT["unknown"][lang])


def duration(td: timedelta, lang: Lang) -> str:
    """Rounded as people say it: the largest unit, and the next one only while the first is small (`20天`, not
    `20天1分钟`; `1天3小时`; `2小时5分钟`)."""
    secs = max(0, int(td.total_seconds()))
    units = (("天", 86400), ("小时", 3600), ("分钟", 60)) if lang == "zh-CN" else (("d", 86400), ("h", 3600), ("m", 60))
    for i, (unit, size) in enumerate(units):
        if secs >= size:
            big, rest = divmod(secs, size)
            parts = [f"{big}{unit}"]
            if big < 3 and i + 1 < len(units) and rest >= units[i + 1][1]:
                parts.append(f"{rest // units[i + 1][1]}{units[i + 1][0]}")
            return ("" if lang == "zh-CN" else " ").join(parts)
    return "不到1分钟" if lang == "zh-CN" else "<1m"


def zone(name: str | None, lang: Lang) -> ZoneInfo:
    """The configured time zone, else the one a team of that language most likely reads: Beijing time for Chinese."""
    return ZoneInfo(name or ("Asia/Shanghai" if lang == "zh-CN" else "UTC"))


def when(ts: datetime, tz: ZoneInfo | None = None) -> str:
    """`2026-12-01 01:01 UTC+8`: the local time with its offset, which no reader can mistake."""
    local = ts.astimezone(tz or ZoneInfo("UTC"))
    offset = int((local.utcoffset() or timedelta(0)).total_seconds() // 60)
    sign, offset = ("+" if offset >= 0 else "-"), abs(offset)
    label = "UTC" if offset == 0 else f"UTC{sign}{offset // 60}" + (f":{offset % 60:02d}" if offset % 60 else "")
    return f"{local:%Y-%m-%d %H:%M} {label}"
