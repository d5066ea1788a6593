"""The commands around notifications: a scan that notifies, notify-test, preview, and the demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans_testkit.emulator import Emulator, load_world
from tke_orphans_testkit.sinks import ChatSinks, SinkBot

from .conftest import BOTS, FakeClock

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-world.yaml"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    for var in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TKE_ORPHANS_CONFIG", "TKE_ORPHANS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def write_config(path: Path, emu_url: str, sinks: ChatSinks, bots: list[SinkBot]) -> Path:
    world = load_world(DEMO)
    cred = world.spec.credentials[0]
    platforms = {b.platform: {"enabled": True, "url": sinks.bot_url(b), "secret": b.secret or ""} for b in bots}
    cfg = {
        "tencentcloud": {"secret_id": cred.secret_id, "secret_key": cred.secret_key, "regions": "all",
                         "endpoint_url": emu_url},
        "webhook": {"enabled": True, "platforms": platforms},
    }  # fmt: skip
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def test_scan_notifies_every_platform(runner: CliRunner, tmp_path: Path, clock: FakeClock) -> None:
    with Emulator(load_world(DEMO)) as emu, ChatSinks(BOTS) as sinks:
        cfg = write_config(tmp_path / "c.yaml", emu.url, sinks, BOTS)
        result = runner.invoke(app, ["scan", "-c", str(cfg), "-o", "json"])
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert doc["notifications"] and all(n["ok"] for n in doc["notifications"])
        for platform in ("wecom", "dingtalk", "feishu"):  # WeCom's 4096 bytes take two parts, the others one
            text = "\n".join(m.text for m in sinks.accepted(platform=platform))
            assert all(i in text for i in ("ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"))
            assert "ins-gzmst001" not in text
        told = len(sinks.accepted())
        no_notify = runner.invoke(app, ["scan", "-c", str(cfg), "--no-notify", "-o", "json"])
        assert no_notify.exit_code == 0
        assert len(sinks.accepted()) == told


def test_failed_delivery_makes_the_scan_exit_3(runner: CliRunner, tmp_path: Path) -> None:
    wrong = SinkBot("wecom", "wrong-key-000")
    with Emulator(load_world(DEMO)) as emu, ChatSinks(BOTS) as sinks:
        cfg = write_config(tmp_path / "c.yaml", emu.url, sinks, [wrong, BOTS[1]])
        result = runner.invoke(app, ["scan", "-c", str(cfg)])
        assert result.exit_code == 3
        assert "93000" in result.output and "check the WeCom robot's webhook key" in result.output
        assert "wrong-key-000" not in result.output
        assert len(sinks.accepted(platform="dingtalk")) == 1


def test_notify_test_command(runner: CliRunner, tmp_path: Path) -> None:
    with ChatSinks(BOTS) as sinks:
        cfg = write_config(tmp_path / "c.yaml", "http://127.0.0.1:9", sinks, BOTS)
        result = runner.invoke(app, ["notify-test", "-c", str(cfg)])
        assert result.exit_code == 0, result.output
        assert result.output.count("OK") == 3
        assert all("测试消息" in a.text for a in sinks.accepted())
        only = runner.invoke(app, ["notify-test", "-c", str(cfg), "--channel", "feishu"])
        assert only.exit_code == 0 and only.output.count("OK") == 1
        unknown = runner.invoke(app, ["notify-test", "-c", str(cfg), "--channel", "slack"])
        assert unknown.exit_code == 2 and "the channels are: wecom, dingtalk, feishu" in unknown.output


def test_preview_prints_the_exact_bodies(runner: CliRunner, tmp_path: Path) -> None:
    with Emulator(load_world(DEMO)) as emu, ChatSinks(BOTS) as sinks:
        cfg = write_config(tmp_path / "c.yaml", emu.url, sinks, BOTS)
        saved = runner.invoke(app, ["scan", "-c", str(cfg), "-o", "json", "--no-notify"])
        (tmp_path / "result.json").write_text(saved.stdout, encoding="utf-8")
        from_state = runner.invoke(app, ["preview", "-c", str(cfg), "--platform", "dingtalk"])
        assert from_state.exit_code == 0, from_state.output
        body = json.loads(from_state.stdout)
        assert body["msgtype"] == "markdown" and "ins-gzorp001" in body["markdown"]["text"]
        from_file = runner.invoke(app, ["preview", "--platform", "feishu", "--input", str(tmp_path / "result.json")])
        assert from_file.exit_code == 0, from_file.output
        card = json.loads(from_file.stdout)["card"]
        assert card["header"]["template"] == "red" and "ins-shorp001" in card["elements"][0]["content"]
        bad = runner.invoke(app, ["preview", "--platform", "wecom", "--input", str(cfg)])
        assert bad.exit_code == 2


def test_demo_shows_what_each_platform_received(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--keep", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "The chat sinks accepted 4 message(s)" in result.output
    lines = (tmp_path / "demo" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    # WeCom gets its message in two parts (4096 bytes each at most); each team its own on DingTalk and Feishu.
    assert sorted(json.loads(line)["platform"] for line in lines) == ["dingtalk", "feishu", "wecom", "wecom"]
