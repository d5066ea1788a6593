"""CLI tests: the command as a user runs it (in-process through typer's runner, or as a real subprocess)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tke_orphans_testkit.emulator import Emulator, FaultPlan, World, load_world

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-world.yaml"
SEED_CONFIG = """\
tencentcloud:
  secret_id: "AKxxx"
  secret_key: "xxx"
  region: "ap-beijing"

webhook:
  enabled: true
  timeout: 10
  platforms:
    wecom:
      enabled: true
      url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=xxx"
    dingtalk:
      enabled: true
      url: "https://oapi.dingtalk.com/robot/send?access_token=xxx"
      secret: "xxx"
    feishu:
      enabled: true
      url: "https://open.feishu.cn/open-apis/bot/v2/hook/xxx"
      secret: "xxx"
logging:
  level: "info"
"""


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """No credentials or config leak in from the machine: a clean HOME and environment."""
    for var in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TKE_ORPHANS_CONFIG", "TKE_ORPHANS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture
def world() -> World:
    return load_world(DEMO)


@pytest.fixture
def emulator(world: World) -> Iterator[Emulator]:
    with Emulator(world) as emu:
        yield emu


def write_config(path: Path, world: World, url: str, **extra: Any) -> Path:
    cred = world.spec.credentials[0]
    tc: dict[str, Any] = {"secret_id": cred.secret_id, "secret_key": cred.secret_key, "regions": "all"}
    tc |= {"endpoint_url": url, **extra.pop("tencentcloud", {})}
    path.write_text(yaml.safe_dump({"tencentcloud": tc, **extra}), encoding="utf-8")
    return path


@pytest.fixture
def failing_emulator(world: World) -> Iterator[Emulator]:
    plan = FaultPlan.from_data({"faults": [{"action": "DescribeInstances", "region": "ap-shanghai"}]})
    with Emulator(world, faults=plan) as emu:
        yield emu
