"""Leftovers as a team reads them, in Chinese and English, delivered to the fake bots: what they cost (what is
priced: a user's reused CLB never counts), how long each has been left over, how each was resolved, one cleanup
command per kind, and titles a DingTalk robot secured by a keyword accepts."""

from __future__ import annotations

import re
import shlex
from collections import Counter
from datetime import timedelta

import pytest

from tke_orphans.model import Cost, Leftover, Resolved
from tke_orphans.notify import Notice
from tke_orphans_testkit.sinks import ChatSinks, SinkBot

from .conftest import BOTS, NOW, WECOM, FakeClock, deliver, orphan, webhook_config


def _leftover(rid: str, kind: str, cost: Cost | None = None, *, reused: bool = False) -> Leftover:
    return Leftover("default", "ap-guangzhou", kind, rid, "pvc-x", "cls-gone0001", ("tag tke-clusterId=cls-gone0001",),
                    "UNATTACHED", NOW - timedelta(days=60), reused=reused, cost=cost)  # fmt: skip


DISK = _leftover("disk-1", "cbs_disk", Cost("CNY", 0.05, 36.5, "inquiry", "100 GB premium"))
DISK2 = _leftover("disk-2", "cbs_disk", Cost("CNY", 0.02, 14.6, "inquiry", "40 GB premium"))
CLB = _leftover("lb-1", "clb", Cost("CNY", None, None, None, "no quote for this type"))
EIP = _leftover("eip-1", "eip")
REUSED = _leftover("lb-9", "clb", Cost("CNY", 0.5, 365.0, "inquiry", "the user's"), reused=True)
ITEMS = (DISK, DISK2, CLB, EIP, REUSED)
FIRST = {x.resource_id: NOW - timedelta(days=3) for x in ITEMS}
REMINDER = Notice("reminder", NOW, findings=ITEMS, first_seen=FIRST)


def one_text(sinks: ChatSinks, platform: str = "wecom") -> str:
    [message] = sinks.accepted(platform=platform)  # type: ignore[arg-type]
    return message.text


def block(text: str, rid: str) -> str:
    start = text.index(f". {rid}**")
    end = text.find("\n\n", start)
    return text[start:] if end < 0 else text[start:end]


WORDS = {
    "zh-CN": {
        "title": "## ⏰ 仍有 4 个已删除集群遗留的孤儿资源、1 个被已删除集群复用的用户 CLB（非孤儿资源）未处理\n",
        "counts": "遗留资源: 云硬盘 2, 负载均衡 CLB 1, 弹性公网 IP 1 (ap-guangzhou 4)\n"
        "被复用的用户 CLB: 1 (ap-guangzhou 1)",
        # 3 days of 0.05 + 0.02 an hour: 5.04 wasted; the CLB without a price counted apart, the user's CLB not at all.
        "total": "遗留资源费用: 每月约 ¥51.10, 已浪费约 ¥5.04, 1 个无法询价",
        "disk": "费用: 每月约 ¥36.50 (¥0.05/小时), 已浪费约 ¥3.60",
        "clb": "费用: 无法询价 (no quote for this type)",
        "age": "时长: 已遗留 3天（首次发现起）· 创建于 60天前",
        "act": "确认无用后，用这些命令处理（默认只演练，加 --yes 执行）:",
    },
    "en": {
        "title": "## ⏰ 4 orphaned resource(s) of deleted clusters, 1 user CLB(s) a deleted cluster reused "
        "(not orphaned) still there\n",
        "counts": "Left behind: CBS disk 2, CLB 1, EIP 1 (ap-guangzhou 4)\nReused user CLBs: 1 (ap-guangzhou 1)",
        "total": "Leftovers' cost: about ¥51.10 a month, about ¥5.04 wasted so far, 1 without a price",
        "disk": "Cost: about ¥36.50 a month (¥0.05/hour), about ¥3.60 wasted so far",
        "clb": "Cost: no price available (no quote for this type)",
        "age": "Age: left over for 3d (since first seen) · created 60d ago",
        "act": "Once confirmed unused, act on them with these commands (a dry run until you add --yes):",
    },
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_reminder_digest_tells_costs_and_ages_of_leftovers(
    sinks: ChatSinks, clock: FakeClock, language: str
) -> None:
    deliver(webhook_config(sinks, bots=[WECOM], language=language), REMINDER, clock)
    text, words = one_text(sinks), WORDS[language]
    assert text.startswith(words["title"])
    assert words["counts"] in text and words["total"] in text
    assert words["disk"] in block(text, "disk-1") and words["clb"] in block(text, "lb-1")
    assert all(words["age"] in block(text, x.resource_id) for x in ITEMS)
    assert "365" not in text and "¥" not in block(text, "lb-9")  # the user's CLB: no cost, it is no waste
    commands = text.partition(words["act"])[2]
    assert [shlex.split(c) for c in re.findall(r"`([^`]*)`", commands)] == [
        ["tke-orphans", "cleanup", "--kind", "cbs_disk", "--only", "disk-1", "--only", "disk-2"],
        ["tke-orphans", "cleanup", "--kind", "clb", "--only", "lb-1"],
        ["tke-orphans", "cleanup", "--kind", "eip", "--only", "eip-1"],
    ]


def test_one_kind_alone_gets_the_singular_hint_and_orphans_keep_theirs(sinks: ChatSinks, clock: FakeClock) -> None:
    deliver(webhook_config(sinks, bots=[WECOM]), Notice("new", NOW, findings=(EIP,)), clock)
    text = one_text(sinks)
    assert text.rstrip().endswith(
        "确认无用后，用这条命令处理（默认只演练，加 --yes 执行）:\n`tke-orphans cleanup --kind eip --only eip-1`"
    )
    sinks.reset()
    deliver(webhook_config(sinks, bots=[WECOM]), Notice("new", NOW, findings=(orphan(1), EIP)), clock)
    assert (
        one_text(sinks)
        .rstrip()
        .endswith("`tke-orphans cleanup --only ins-00000001`\n`tke-orphans cleanup --kind eip --only eip-1`")
    )


RESOLVED = (
    Resolved(DISK, "gone", "no longer listed", NOW - timedelta(days=2, hours=3)),
    Resolved(EIP, "in_use", "BIND", NOW - timedelta(hours=5)),
    Resolved(REUSED, "not_leftover", "no longer a deleted cluster's", None),
)
HOW = {
    "zh-CN": [
        "## ✅ 2 个已删除集群遗留的孤儿资源、1 个被已删除集群复用的用户 CLB（非孤儿资源）已解决",
        "遗留资源: 云硬盘 1, 弹性公网 IP 1 (ap-guangzhou 2)",
        "**1. disk-1** `pvc-x` ap-guangzhou 云硬盘: 已删除，遗留了 2天3小时",
        "**2. eip-1** `pvc-x` ap-guangzhou 弹性公网 IP: 已重新使用（BIND），遗留了 5小时",
        "**被已删除集群复用的用户自有 CLB（非 TKE 创建，勿清理） (1)**",
        "**1. lb-9** `pvc-x` ap-guangzhou 负载均衡 CLB: 不再属于已删除集群",
    ],
    "en": [
        "## ✅ 2 orphaned resource(s) of deleted clusters, 1 user CLB(s) a deleted cluster reused (not orphaned) "
        "resolved",
        "Left behind: CBS disk 1, EIP 1 (ap-guangzhou 2)",
        "**1. disk-1** `pvc-x` ap-guangzhou CBS disk: deleted, left over for 2d 3h",
        "**2. eip-1** `pvc-x` ap-guangzhou EIP: in use again (BIND), left over for 5h",
        "**Users' own CLBs a deleted cluster reused (not made by TKE, never to clean up) (1)**",
        "**1. lb-9** `pvc-x` ap-guangzhou CLB: no longer a deleted cluster's",
    ],
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_resolved_message_says_how_each_leftover_went(sinks: ChatSinks, clock: FakeClock, language: str) -> None:
    deliver(webhook_config(sinks, bots=[WECOM], language=language), Notice("resolved", NOW,
            resolved=RESOLVED), clock)  # fmt: skip
    lines = one_text(sinks).splitlines()
    assert all(line in lines for line in HOW[language]), lines
    assert not any("cleanup" in line or "¥" in line for line in lines)


@pytest.mark.parametrize(("language", "keyword"), [("zh-CN", "孤儿"), ("en", "orphan")], ids=["zh-CN", "en"])
def test_a_keyword_robot_accepts_every_message_of_leftovers_only(clock: FakeClock, language: str, keyword: str) -> None:
    """A DingTalk robot secured by the keyword every orphans' message carries takes the leftovers' messages too."""
    robot = SinkBot("dingtalk", "dt-keyword", keywords=(keyword,))
    notices = [
        Notice("new", NOW, findings=(EIP,)),
        Notice("new", NOW, findings=(REUSED,)),  # a user's CLB alone: the title says it is no orphan
        REMINDER,
        Notice("resolved", NOW, resolved=RESOLVED[:1]),
    ]
    with ChatSinks([robot], clock=clock) as sinks:
        for n in notices:
            deliveries = deliver(webhook_config(sinks, bots=[robot], language=language), n, clock)
            assert deliveries and all(d.ok for d in deliveries), (n.kind, deliveries)


def test_hundreds_of_resolved_leftovers_split_to_fit_each_once(sinks: ChatSinks, clock: FakeClock) -> None:
    many = tuple(
        Resolved(_leftover(f"disk-{i:08d}", "cbs_disk"), "gone", "", NOW - timedelta(days=1)) for i in range(400)
    )
    assert all(d.ok for d in deliver(webhook_config(sinks, bots=BOTS), Notice("resolved", NOW,
               resolved=many), clock))  # fmt: skip
    for platform in ("wecom", "dingtalk", "feishu"):
        texts = [a.text for a in sinks.accepted(platform=platform)]
        heads = Counter(re.findall(r"\*\*\d+\. (disk-\d{8})\*\*", "\n".join(texts)))
        assert heads == {f"disk-{i:08d}": 1 for i in range(400)}
    wecom = [a.body["markdown"]["content"] for a in sinks.accepted(platform="wecom")]
    assert len(wecom) > 1 and all(len(c.encode()) <= 4096 for c in wecom)


def test_a_reused_clb_alone_is_no_red_alarm_and_a_mention_names_the_leftovers(clock: FakeClock) -> None:
    """Feishu: red for what TKE left, orange for a user's reused CLB alone; WeCom's @all note names the leftovers."""
    with ChatSinks(BOTS, clock=clock) as sinks:
        cfg = webhook_config(sinks, bots=BOTS, platforms={"wecom": {"mentions": {"all": True}}})
        deliver(cfg, Notice("new", NOW, findings=(REUSED,)), clock)
        deliver(cfg, Notice("new", NOW, findings=(EIP,)), clock)
        cards = [a.body["card"]["header"]["template"] for a in sinks.accepted(platform="feishu")]
        notes = [a.body["text"]["content"] for a in sinks.accepted(platform="wecom") if a.body["msgtype"] == "text"]
    assert cards == ["orange", "red"]
    assert notes == ["请查看上面的已删除集群遗留资源告警。"] * 2


def test_what_to_do_names_each_kind_the_message_holds(sinks: ChatSinks, clock: FakeClock) -> None:
    """The leftovers' advice says what to make sure of for the kinds the message holds (its kind's own words in
    the registry), not a fixed sentence about disks and load balancers."""
    deliver(webhook_config(sinks, bots=[WECOM]), Notice("new", NOW, findings=(EIP,)), clock)
    assert "处理建议：确认无用后删除（弹性公网 IP 先确认已无人通过它访问）。" in one_text(sinks)
    sinks.reset()
    deliver(webhook_config(sinks, bots=[WECOM], language="en"), Notice("new", NOW, findings=ITEMS), clock)
    assert ("What to do: delete them once confirmed unused (a disk once its data is no longer needed, a CLB once "
            "no traffic reaches it, an address once nothing is reached through it).") in one_text(sinks)  # fmt: skip
