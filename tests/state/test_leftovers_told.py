"""Leftovers told everywhere a chat group reads: a message of leftovers only, the reminder digest with how long each
has been left over, the resolved message with how, one cleanup command per kind, cloud text inert; and `history`.
Through the real job (scan, state, outbox) against the emulator and the fake bots."""

from __future__ import annotations

import copy
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans_testkit.demo import resolve_demo_leftovers

from ..hostile import NAME, assert_inert
from .conftest import rig_for

ALL = {"leftovers": ["cbs_disk", "clb", "eip"]}
COMMANDS = [
    "tke-orphans cleanup --kind cbs_disk --only disk-gzleft01",
    "tke-orphans cleanup --kind clb --only lb-gzleft01",
    "tke-orphans cleanup --kind eip --only eip-gzleft01",
]


def block(text: str, rid: str) -> str:
    """The block of one resource: from its bold head to the next blank line."""
    start = text.index(f". {rid}**")
    return text[start : text.find("\n\n", start) % (len(text) + 1)]


def commands(text: str) -> list[str]:
    return re.findall(r"`(tke-orphans cleanup [^`]*)`", text)


def test_a_message_of_leftovers_only_reads_as_one(demo_data: dict[str, Any], tmp_path: Path) -> None:
    """The orphans were told before leftovers were looked for: the next message holds leftovers only, and says so
    in its title and counts (not "check incomplete"), in a red card, with one cleanup command per kind."""
    with rig_for(demo_data, tmp_path) as rig:
        rig.run()
    with rig_for(demo_data, tmp_path, detection=ALL) as rig:
        [new] = rig.run(advance=timedelta(minutes=10)).notices
        assert new.kind == "new" and all(f.kind != "cvm" for f in new.findings)
        [text] = rig.texts("wecom")
        title = "## 🚨 发现 3 个已删除集群遗留的孤儿资源、1 个被已删除集群复用的用户 CLB（非孤儿资源）\n"
        assert text.startswith(title)
        assert "\n遗留资源: 云硬盘 1, 负载均衡 CLB 1, 弹性公网 IP 1 (ap-guangzhou 3)\n" in text
        assert "\n被复用的用户 CLB: 1 (ap-guangzhou 1)" in text
        assert "处理建议：确认无用后删除" in text
        assert commands(text) == COMMANDS  # the reused CLB is the user's: in no command
        [card] = rig.sinks.accepted(platform="feishu")
        assert card.body["card"]["header"]["template"] == "red"
        assert card.body["card"]["header"]["title"]["content"] == title[3:-1]


def test_the_reminder_tells_how_long_each_has_been_left_over(demo_data: dict[str, Any], tmp_path: Path) -> None:
    with rig_for(demo_data, tmp_path, detection=ALL) as rig:
        rig.run()
        told = len(rig.texts("wecom"))
        rig.run(advance=timedelta(hours=25))
        parts = rig.texts("wecom")[told:]  # the digest, split to fit WeCom's 4,096 bytes
    assert len(parts) > 1
    assert all(p.startswith("## ⏰ 仍有 4 个孤儿 CVM 实例、3 个已删除集群遗留的孤儿资源、1 个") for p in parts)
    reminder = "\n\n".join(parts)
    assert "时长: 已遗留 1天1小时（首次发现起）· 创建于 61天前" in block(reminder, "disk-gzleft01")
    assert "时长: 已遗留 1天1小时（首次发现起）· 创建于 91天前" in block(reminder, "lb-gzleft01")
    assert "时长: 已遗留 1天1小时（首次发现起）· 创建于 71天前" in block(reminder, "eip-gzleft01")
    assert "负载均衡 CLB · ap-guangzhou · 集群 cls-gone0001（已删除）" in block(reminder, "lb-gzreuse1")
    assert [c for c in commands(reminder) if "--kind" in c] == COMMANDS


RESOLVED = {
    "zh-CN": [
        "✅ 3 个已删除集群遗留的孤儿资源已解决",
        "**1. disk-gzleft01** `pvc-7f3a9c1e` ap-guangzhou 云硬盘: 已删除，遗留了 10分钟",
        "**2. lb-gzleft01** `cls-gone0001_default_web` ap-guangzhou 负载均衡 CLB: 不再属于已删除集群，遗留了 10分钟",
        "**3. eip-gzleft01** `-` ap-guangzhou 弹性公网 IP: 已重新使用（BIND），遗留了 10分钟",
    ],
    "en": [
        "✅ 3 orphaned resource(s) of deleted clusters resolved",
        "**1. disk-gzleft01** `pvc-7f3a9c1e` ap-guangzhou CBS disk: deleted, left over for 10m",
        "**2. lb-gzleft01** `cls-gone0001_default_web` ap-guangzhou CLB: no longer a deleted cluster's, left over "
        "for 10m",
        "**3. eip-gzleft01** `-` ap-guangzhou EIP: in use again (BIND), left over for 10m",
    ],
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_resolved_message_says_how_in_its_language(
    demo_data: dict[str, Any], tmp_path: Path, language: str
) -> None:
    with rig_for(demo_data, tmp_path, detection=ALL, language=language) as rig:
        rig.run()
    with rig_for(resolve_demo_leftovers(demo_data), tmp_path, detection=ALL, language=language) as rig:
        [resolved] = rig.run(advance=timedelta(minutes=10)).notices
        assert resolved.kind == "resolved"
        [text] = rig.texts("wecom")
    title, *lines = RESOLVED[language]
    assert text.startswith(f"## {title}\n")
    for line in lines:
        assert f"\n{line}\n" in f"{text}\n"
    assert not commands(text)  # nothing left to clean up


def test_cloud_text_of_leftovers_is_inert_in_every_message(demo_data: dict[str, Any], tmp_path: Path) -> None:
    """A disk's name and an address's tag value are anybody's: no mention, link, markup or control code in the new
    message nor in the resolved one, on either bot."""
    evil = "<at id=all></at><@boss>[pay](http://evil.example)@all `x`"
    data = copy.deepcopy(demo_data)
    gz = data["regions"]["ap-guangzhou"]
    next(d for d in gz["disks"] if d["DiskId"] == "disk-gzleft01")["DiskName"] = NAME + evil
    eip = next(a for a in gz["addresses"] if a["AddressId"] == "eip-gzleft01")
    eip["TagSet"] = [t if t["Key"] != "tke-created-eip" else {**t, "Value": evil} for t in eip["TagSet"]]
    with rig_for(data, tmp_path, detection=ALL) as rig:
        rig.run()
        del rig.emulator.store.regions["ap-guangzhou"].disks["disk-gzleft01"]
        rig.run(advance=timedelta(minutes=10))
        texts = rig.texts("wecom") + rig.texts("feishu")
    resolved = [t for t in texts if "✅" in t.splitlines()[0]]
    assert len(resolved) == 2 and all("disk-gzleft01" in t for t in resolved)
    assert sum("tke-created-eip=" in t for t in texts) == 2  # the evidence line, with the hostile value in it
    for text in texts:
        assert_inert(text)
        assert "<at" not in text and "<@" not in text and "](http" not in text and "@all" not in text
        assert "<script>" not in text


def test_history_shows_leftovers_and_tells_a_reused_clb_apart(demo_data: dict[str, Any], tmp_path: Path) -> None:
    with rig_for(demo_data, tmp_path, detection=ALL) as rig:
        rig.run()
        del rig.emulator.store.regions["ap-guangzhou"].disks["disk-gzleft01"]
        rig.run(advance=timedelta(minutes=10))
    config = tmp_path / "c.yaml"
    config.write_text("{}\n", encoding="utf-8")
    state = ["-c", str(config), "--state", str(tmp_path / "state.db"), "--since", "3650d"]
    runner = CliRunner()
    one = runner.invoke(app, ["history", *state, "--instance", "disk-gzleft01", "-o", "json"])
    assert one.exit_code == 0, one.output
    events = json.loads(one.output)
    assert [(e["kind"], e["detail"]) for e in events] == [
        ("left_over", "cbs_disk of cls-gone0001"),
        ("resolved:gone", "no longer listed"),
    ]
    table = runner.invoke(app, ["history", *state], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    rows = {line.split()[2]: line for line in table.output.splitlines()[2:] if len(line.split()) > 3}
    assert table.output.splitlines()[1].split()[:3] == ["TIME", "WHERE", "ID"]
    assert "left_over" in rows["lb-gzleft01"] and "clb of cls-gone0001" in rows["lb-gzleft01"]
    # A user's own CLB that the deleted cluster reused is never called a leftover, in the history either.
    assert " reused " in rows["lb-gzreuse1"] and "not TKE's" in rows["lb-gzreuse1"]
    assert "left_over" not in rows["lb-gzreuse1"]
