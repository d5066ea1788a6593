"""What arrives: signed, split to fit, every id exactly once, mentions, both languages, the original config."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import httpx
import yaml

from tke_orphans.config import config_from_data
from tke_orphans.model import Leftover, Unverified
from tke_orphans.notify import Notice
from tke_orphans.notify.dingtalk import dingtalk_sign
from tke_orphans.notify.feishu import feishu_sign
from tke_orphans_testkit.sinks import ChatSinks, SinkBot

from .conftest import (
    BOTS,
    DINGTALK,
    NOW,
    WECOM,
    FakeClock,
    deliver,
    incomplete_notice,
    instance,
    notice,
    orphan,
    webhook_config,
)

BLOCK_ID = re.compile(r"\*\*\d+\. (ins-\d{8})\*\*")


def test_signing_test_vectors() -> None:
    assert dingtalk_sign("SECtestsecret", 1700000000000) == "7LVwF0dAF3/+MRRulbpE4y72Ogzykc6bS2nG4I99T4s="
    assert feishu_sign("testsecret", 1700000000) == "AOc8oJ7//5OlQlfWC3nRL0R+IkuzcD1FKcAyibRK9Q8="


def test_dingtalk_signature_is_encoded_exactly_once(sinks: ChatSinks, clock: FakeClock) -> None:
    from tke_orphans.notify.chat import ChatBot

    cfg = webhook_config(sinks, bots=[DINGTALK])
    deliveries = deliver(cfg, notice(2), clock)
    assert [d.ok for d in deliveries] == [True]
    sent = sinks.requests(platform="dingtalk")
    assert [r.answer["errcode"] for r in sent] == [0]
    # What our sender put on the wire is the signature quoted once...

    ts = int(clock() * 1000)
    sign = dingtalk_sign("SECdt-secret", ts)
    url, _ = _signed_url(cfg, clock)
    assert f"sign={quote(sign, safe='')}" in url and "%25" not in url
    # ...and the same request with the signature quoted twice (Apprise's bug) is refused by the sink.
    double = f"{sinks.bot_url(DINGTALK)}&timestamp={ts}&sign={quote(quote(sign, safe=''), safe='')}"
    body = ChatBot.encode({"msgtype": "markdown", "markdown": {"title": "t", "text": "x"}})
    answer = httpx.post(double, content=body, headers={"Content-Type": "application/json"}).json()
    assert answer["errcode"] == 310000


def _signed_url(cfg: object, clock: FakeClock) -> tuple[str, object]:
    from tke_orphans.notify import MemoryLedger, bot_specs, make_channel
    from tke_orphans.notify.dingtalk import DingTalkBot
    from tke_orphans.notify.pacing import BotPacer

    spec = next(s for s in bot_specs(cfg) if s.platform == "dingtalk")  # type: ignore[arg-type]
    with httpx.Client() as client:
        bot = make_channel(spec, client, BotPacer(MemoryLedger()), clock=clock)
        assert isinstance(bot, DingTalkBot)
        return bot.signed({})


def test_300_orphans_split_to_fit_and_each_id_arrives_once(sinks: ChatSinks, clock: FakeClock) -> None:
    cfg = webhook_config(sinks)
    n = notice(300)
    deliveries = deliver(cfg, n, clock)
    assert deliveries and all(d.ok for d in deliveries), [d.describe() for d in deliveries if not d.ok]
    expected = {o.resource_id for o in n.findings}
    limits: list[tuple[Literal["wecom", "dingtalk", "feishu"], int]] = [
        ("wecom", 4096),
        ("dingtalk", 20000),
        ("feishu", 20 * 1024),
    ]
    for platform, limit in limits:
        accepted = sinks.accepted(platform=platform)
        assert len(accepted) > 1
        seen = Counter(i for a in accepted for i in BLOCK_ID.findall(a.text))
        assert set(seen) == expected and set(seen.values()) == {1}, platform
        k = len(accepted)
        for i, a in enumerate(accepted, 1):
            assert f"{i}/{k}" in a.text  # numbered parts
            size = len(a.body["markdown"]["content"].encode()) if platform == "wecom" else len(a.raw)
            assert size <= limit
    wecom_sizes = [len(a.body["markdown"]["content"].encode()) for a in sinks.accepted(platform="wecom")]
    assert max(wecom_sizes) > 3000  # parts are filled, not one instance a message


def test_limits_are_bytes_not_characters(sinks: ChatSinks, clock: FakeClock) -> None:
    """Chinese names are 3 bytes a character: counting characters would overflow WeCom's 4096 bytes."""
    cfg = webhook_config(sinks, bots=[WECOM])
    n = Notice(kind="new", scanned_at=NOW, findings=tuple(orphan(i, name="生产环境节点" * 20) for i in range(40)))
    deliveries = deliver(cfg, n, clock)
    assert all(d.ok for d in deliveries)
    contents = [a.body["markdown"]["content"] for a in sinks.accepted(platform="wecom")]
    assert all(len(c.encode()) <= 4096 for c in contents)
    assert any(len(c.encode()) > 3000 and len(c) < 2048 for c in contents)


def test_a_huge_block_is_cut_visibly_not_silently(sinks: ChatSinks, clock: FakeClock) -> None:
    cfg = webhook_config(sinks, bots=[WECOM])
    huge = orphan(1, name="x" * 6000)
    deliveries = deliver(cfg, Notice(kind="new", scanned_at=NOW, findings=(huge,)), clock)
    assert all(d.ok for d in deliveries)
    text = sinks.accepted(platform="wecom")[0].text
    assert "已截断" in text and "ins-00000001" in text


def test_unverified_and_errors_have_their_own_section(sinks: ChatSinks, clock: FakeClock) -> None:
    cfg = webhook_config(sinks, bots=[WECOM])
    assert all(d.ok for d in deliver(cfg, incomplete_notice(), clock))
    text = sinks.accepted(platform="wecom")[0].text
    assert "未能核实" in text and "ins-00000900" in text
    assert "无法检查 default/ap-beijing" in text
    assert BLOCK_ID.findall(text) == ["ins-00000001"]  # the unverified one is not numbered as an orphan


def test_mentions(sinks: ChatSinks, clock: FakeClock) -> None:
    mentions = {"mentions": {"mobiles": ["13800000000"], "user_ids": ["zhangsan"], "all": False}}
    feishu_all = {"mentions": {"all": True, "user_ids": ["ou_abc"]}}
    cfg = webhook_config(sinks, platforms={"wecom": mentions, "dingtalk": mentions, "feishu": feishu_all})
    assert all(d.ok for d in deliver(cfg, notice(2), clock))
    dt = sinks.accepted(platform="dingtalk")[0]
    assert dt.body["at"]["atMobiles"] == ["13800000000"] and dt.body["at"]["atUserIds"] == ["zhangsan"]
    assert "@13800000000" in dt.text and "@zhangsan" in dt.text
    wc = sinks.accepted(platform="wecom")
    assert "<@zhangsan>" in wc[0].text
    assert wc[-1].body["msgtype"] == "text" and wc[-1].body["text"]["mentioned_mobile_list"] == ["13800000000"]
    fs = sinks.accepted(platform="feishu")[0].text
    assert "<at id=all></at>" in fs and "<at id=ou_abc></at>" in fs


def test_both_languages(sinks: ChatSinks, clock: FakeClock) -> None:
    cfg = webhook_config(sinks, language="en", platforms={"feishu": {"language": "zh-CN"}})
    assert all(d.ok for d in deliver(cfg, notice(1), clock))
    assert "orphaned CVM instance(s) found" in sinks.accepted(platform="wecom")[0].text
    assert "Reason: node pool deleted" in sinks.accepted(platform="dingtalk")[0].text
    feishu = sinks.accepted(platform="feishu")[0]
    assert feishu.body["card"]["header"]["title"]["content"].startswith("🚨 发现 1 个孤儿 CVM 实例")
    assert feishu.body["card"]["header"]["template"] == "red"


def test_message_content(sinks: ChatSinks, clock: FakeClock) -> None:
    cfg = webhook_config(sinks, bots=[WECOM], **{})
    prepaid = orphan(3, public_ips=("159.75.0.1",))
    n = Notice(kind="new", scanned_at=NOW, findings=(prepaid,), status_url="https://tke-orphans.example.com/")
    assert all(d.ok for d in deliver(cfg, n, clock))
    text = sinks.accepted(platform="wecom")[0].text
    for piece in ("ins-00000003", "ap-guangzhou-3", "10.0.0.3", "159.75.0.1", "np-pool0003", "节点池已删除",
                  "SA5.LARGE8", "4核 8GB", "包年包月", "到期 2026-12-28", "创建于 6天前",
                  "[查看状态页](https://tke-orphans.example.com/)", "`ins-00000003`"):  # fmt: skip
        assert piece in text, piece


def test_original_config_delivers_to_all_three(clock: FakeClock, tmp_path: Path) -> None:
    bots = [SinkBot("wecom", "xxx"), SinkBot("dingtalk", "xxx", secret="xxx"), SinkBot("feishu", "xxx", secret="xxx")]
    with ChatSinks(bots, clock=clock) as s:
        seed = f"""
tencentcloud: {{secret_id: "AKxxx", secret_key: "xxx", region: "ap-beijing"}}
webhook:
  enabled: true
  timeout: 10
  platforms:
    wecom: {{enabled: true, url: "{s.url}/cgi-bin/webhook/send?key=xxx"}}
    dingtalk: {{enabled: true, url: "{s.url}/robot/send?access_token=xxx", secret: "xxx"}}
    feishu: {{enabled: true, url: "{s.url}/open-apis/bot/v2/hook/xxx", secret: "xxx"}}
logging: {{level: "info"}}
"""
        cfg = config_from_data(yaml.safe_load(seed), "config.yaml")
        deliveries = deliver(cfg, notice(2), clock)
        assert sorted(d.channel for d in deliveries if d.ok) == ["dingtalk", "feishu", "wecom"]
        assert {a.platform for a in s.accepted()} == {"wecom", "dingtalk", "feishu"}


def test_several_bots_per_platform(sinks: ChatSinks, clock: FakeClock) -> None:
    second = SinkBot("wecom", "wc-key-2")
    with ChatSinks([*BOTS, second], clock=clock) as s:
        cfg = webhook_config(s, bots=[WECOM, second])
        deliveries = deliver(cfg, notice(1), clock)
        assert sorted(d.channel for d in deliveries) == ["wecom", "wecom:1"]
        assert {a.token for a in s.accepted(platform="wecom")} == {"wc-key-1", "wc-key-2"}


def test_cloud_text_cannot_mention_or_link(sinks: ChatSinks, clock: FakeClock) -> None:
    """A tag anyone can set (tke-clusterId) must not @ everyone on Feishu, @ someone on WeCom, or add a link."""
    from dataclasses import replace

    from .conftest import instance

    evil = "<at id=all></at><@boss>[pay](http://evil.example)@all"
    o = replace(orphan(7), cluster_id=evil, instance=instance(7, name="<at id=all></at>`x`"))
    assert all(d.ok for d in deliver(webhook_config(sinks), Notice(kind="new", scanned_at=NOW, findings=(o,)), clock))
    for platform in ("wecom", "dingtalk", "feishu"):
        text = sinks.accepted(platform=platform)[0].text
        assert "<at" not in text and "<@" not in text and "](http" not in text, platform
        assert "@all" not in text


def test_a_thousand_parts_still_fit(sinks: ChatSinks, clock: FakeClock) -> None:
    from tke_orphans.notify import BotSpec, MemoryLedger, make_channel
    from tke_orphans.notify.pacing import BotPacer

    n = notice(1500)
    with httpx.Client() as client:
        bot = make_channel(BotSpec("wecom", "wecom", "https://x.invalid/"), client, BotPacer(MemoryLedger()))
        bodies = bot.messages(n)
    assert len(bodies) > 100
    assert max(len(b["markdown"]["content"].encode()) for b in bodies) <= 4096
    assert f"（{len(bodies)}/{len(bodies)}）" in bodies[-1]["markdown"]["content"]


def test_thousands_unverified_are_summed_up_in_one_message(sinks: ChatSinks, clock: FakeClock) -> None:
    """One failed DescribeClusters in a big region: one line per region and cause, a few ids, one message."""
    why = "tke.DescribeClusters failed: InternalError: boom"
    many = tuple(Unverified("default", "ap-guangzhou", instance(i), (), why) for i in range(1, 1251))
    other = Unverified("default", "ap-shanghai", instance(5000), (), "tke.DescribeExistedInstances failed: x")
    cfg = webhook_config(sinks, bots=[WECOM])
    n = Notice(kind="new", scanned_at=NOW, unverified=(*many, other))
    assert all(d.ok for d in deliver(cfg, n, clock))
    (message,) = sinks.accepted(platform="wecom")
    assert "未能核实（不算孤儿） (1251)" in message.text
    assert "ap-guangzhou：1250 个实例（ins-00000001, ins-00000002, ins-00000003, ins-00000004, ins-00000005 等" in (
        message.text
    )
    assert "ins-00000006" not in message.text
    assert "ap-shanghai：1 个实例（ins-00005000）：tke.DescribeExistedInstances failed: x" in message.text


def test_mentions_count_in_the_size_of_part_one(sinks: ChatSinks, clock: FakeClock) -> None:
    """40 WeCom user mentions (about 600 bytes) go in part 1: it must still fit, with the mentions in it."""
    users = [f"user{i:03d}-ops-team" for i in range(40)]
    cfg = webhook_config(sinks, bots=[WECOM], platforms={"wecom": {"mentions": {"user_ids": users}}})
    deliveries = deliver(cfg, notice(40), clock)
    assert deliveries and all(d.ok for d in deliveries)  # the sink refuses a body over 4,096 bytes
    first = sinks.accepted(platform="wecom")[0]
    assert all(f"<@{u}>" in first.text for u in users)


def _leftover(n: int, *, reused: bool = False, name: str = "pvc-x", cluster: str = "cls-gone0001") -> Leftover:
    kind = "clb" if reused else "cbs_disk"
    rid = f"lb-{n:08d}" if reused else f"disk-{n:08d}"
    return Leftover("default", "ap-guangzhou", kind, rid, name, cluster, ("tag tke-clusterId=x",), "UNATTACHED", NOW,
                    reused=reused)  # fmt: skip


def test_leftovers_have_their_own_sections_fit_and_cannot_mention(sinks: ChatSinks, clock: FakeClock) -> None:
    """TKE's leftovers, then the reused CLBs apart; hundreds split to fit, each id once; cloud text is data."""
    evil = "<at id=all></at><@boss>[pay](http://evil.example)@all`"
    items = (*(_leftover(i, name=evil) for i in range(300)), _leftover(1, reused=True, cluster=evil))
    n = Notice(kind="new", scanned_at=NOW, findings=(orphan(1), *items))
    assert all(d.ok for d in deliver(webhook_config(sinks), n, clock))
    for platform in ("wecom", "dingtalk", "feishu"):
        texts = [a.text for a in sinks.accepted(platform=platform)]
        joined = "\n".join(texts)
        assert "<at" not in joined and "<@" not in joined and "](http" not in joined and "@all" not in joined
        # Each leftover has one block (its bold head), and the part that holds it names it in its cleanup command.
        heads = re.findall(r"\*\*\d+\. (disk-\d{8})\*\*", joined)
        assert Counter(heads) == {f"disk-{i:08d}": 1 for i in range(300)}
        for text in texts:
            command = re.findall(r"tke-orphans cleanup --kind cbs_disk((?: --only disk-\d{8})+)", text)
            in_blocks = re.findall(r"\*\*\d+\. (disk-\d{8})\*\*", text)
            assert (command[0].split(" --only ")[1:] if command else []) == in_blocks
        assert joined.count("lb-00000001") == 1  # the reused CLB: its block only, in no cleanup command
        heading, reused = ("已删除集群遗留的资源 (300)", "被已删除集群复用的用户自有 CLB")
        assert heading in joined and joined.index(heading) < joined.index(reused) < joined.index("lb-00000001")
    wecom = [a.body["markdown"]["content"] for a in sinks.accepted(platform="wecom")]
    assert len(wecom) > 1 and all(len(c.encode()) <= 4096 for c in wecom)
