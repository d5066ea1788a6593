"""Messages as a Chinese team reads them (issue 12, "Messages"), delivered to the fake bots: local time with its
zone, both ages labelled and rounded, the command that acts on the orphans, a cleanup summary that says who and when."""

from __future__ import annotations

import dataclasses
import json
import shlex
from datetime import timedelta

from tke_orphans.model import ActionLine, Notice
from tke_orphans.records import candidate_to_dict
from tke_orphans.serve.page import render_page
from tke_orphans_testkit.sinks import ChatSinks

from .conftest import NOW, WECOM, FakeClock, deliver, notice, orphan, webhook_config


def text_of(sinks: ChatSinks) -> str:
    [message] = sinks.accepted(platform="wecom")
    return message.text


def test_times_are_beijing_time_for_chinese_and_utc_for_english(sinks: ChatSinks, clock: FakeClock) -> None:
    deliver(webhook_config(sinks, bots=[WECOM]), notice(1), clock)
    assert "扫描时间: 2026-11-28 20:00 UTC+8" in text_of(sinks)  # NOW is 12:00 UTC
    sinks.reset()
    deliver(webhook_config(sinks, bots=[WECOM], language="en"), notice(1), clock)
    assert "Scanned at: 2026-11-28 12:00 UTC" in text_of(sinks)
    sinks.reset()
    deliver(webhook_config(sinks, bots=[WECOM], timezone="Asia/Kolkata"), notice(1), clock)
    assert "2026-11-28 17:30 UTC+5:30" in text_of(sinks)


def test_both_ages_labelled_and_rounded(sinks: ChatSinks, clock: FakeClock) -> None:
    o = orphan(1, created=NOW - timedelta(days=20, minutes=1))
    reminder = Notice("reminder", NOW, (o,), first_seen={o.instance.instance_id: NOW - timedelta(hours=11, minutes=3)})
    deliver(webhook_config(sinks, bots=[WECOM]), reminder, clock)
    text = text_of(sinks)
    assert "时长: 已成孤儿 11小时（首次发现起）· 创建于 20天前" in text, text
    assert "20天1分钟" not in text


def test_new_orphans_end_with_the_command_that_acts_on_them(sinks: ChatSinks, clock: FakeClock) -> None:
    deliver(webhook_config(sinks, bots=[WECOM]), notice(2), clock)
    text = text_of(sinks)
    command = text.rsplit("`", 2)[-2]
    assert shlex.split(command) == ["tke-orphans", "cleanup", "--only", "ins-00000000", "--only", "ins-00000001"]
    assert text.rstrip().endswith(f"`{command}`")


def test_cleanup_summary_says_who_and_when_in_its_language(sinks: ChatSinks, clock: FakeClock) -> None:
    done = ActionLine(
        "default", "ap-guangzhou", "ins-1", "n", "mark", "done", "tagged tke-orphans:marked-at=x", "ops@bastion"
    )
    failed = dataclasses.replace(done, instance_id="ins-2", outcome="failed", detail="InternalError: boom")
    deliver(webhook_config(sinks, bots=[WECOM]), Notice("cleanup", NOW, actions=(done, failed)), clock)
    text = text_of(sinks)
    assert "清理时间: 2026-11-28 20:00 UTC+8" in text and "扫描时间" not in text
    assert "执行者: ops@\u200bbastion" in text
    assert "tagged" not in text and "打标记 成功" in text and "(InternalError: boom)" in text


def test_status_page_shows_charge_in_words_and_local_times() -> None:
    o = orphan(3)  # PREPAID
    row = {"record_json": json.dumps(candidate_to_dict(o)), "first_seen": "2026-11-28T10:00:00Z"}
    scan = {"started_at": "2026-11-28T12:00:00Z", "status": "ok", "orphans": 1, "unverified": 0, "errors": []}
    html = render_page([row], None, [scan], "zh-CN", now=NOW)
    assert "包年包月" in html and "PREPAID" not in html
    assert "2026-11-28 20:00 UTC+8" in html and "2026-11-28T12:00:00Z" not in html
