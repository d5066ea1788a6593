"""State tests: the real job (scan, state, notices, outbox) against the emulator and the chat sinks."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tke_orphans.config import Config, config_from_data
from tke_orphans.context import Run
from tke_orphans.job import JobResult, run_job
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, world_from_data
from tke_orphans_testkit.sinks import ChatSinks, SinkBot, SinkFault

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-world.yaml"
WECOM = SinkBot("wecom", "wc-state")
FEISHU = SinkBot("feishu", "fs-state", secret="fs-secret")
FAST = {"max_attempts": 10, "base_delay": 0.005, "max_delay": 0.05}


@dataclass
class Rig:
    """An emulator, chat sinks and a state database, and a clock the job runs on."""

    emulator: Emulator
    sinks: ChatSinks
    state: StateDB
    config: Config
    now: datetime

    def run(self, *, advance: timedelta = timedelta(0), notify: bool = True) -> JobResult:
        self.now += advance
        at = self.now
        return run_job(Run(self.config), state=self.state, notify=notify, now=lambda: at)

    def texts(self, platform: str = "wecom") -> list[str]:
        return [a.text for a in self.sinks.accepted(platform=platform)]  # type: ignore[arg-type]


def make_config(
    world_data: dict[str, Any], emu_url: str, sinks: ChatSinks, detection: dict[str, Any] | None = None, **webhook: Any
) -> Config:
    cred = world_data["credentials"][0]
    platforms = {
        "wecom": {"enabled": True, "url": sinks.bot_url(WECOM)},
        "feishu": {"enabled": True, "url": sinks.bot_url(FEISHU), "secret": FEISHU.secret},
    }
    cfg = {
        "tencentcloud": {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all",
                         "endpoint_url": emu_url, "retry": FAST, "request_timeout": 2},
        "webhook": {"enabled": True, "max_attempts": 2, "platforms": platforms, **webhook},
        # These tests are about the orphans' lifecycle: leftovers (on by default) only where a test turns them on.
        "detection": {"leftovers": []} if detection is None else detection,
    }  # fmt: skip
    return config_from_data(cfg, "test-config")


@pytest.fixture
def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    # These tests move the job's clock by hours: the demo's instance "still launching" would become an orphan
    # (rightly), which would blur what each test is about.
    gz = data["regions"]["ap-guangzhou"]
    gz["instances"] = [i for i in gz["instances"] if i["InstanceId"] != "ins-gznew001"]
    return data


@contextmanager
def rig_for(
    data: dict[str, Any],
    tmp_path: Path,
    *,
    faults: list[dict[str, Any]] | None = None,
    sink_faults: list[SinkFault] | None = None,
    detection: dict[str, Any] | None = None,
    **webhook: Any,
) -> Iterator[Rig]:
    world = world_from_data(data)
    plan = FaultPlan.from_data({"faults": faults or []})
    with (
        Emulator(world, faults=plan) as emu,
        ChatSinks([WECOM, FEISHU], faults=sink_faults) as sinks,
        StateDB(tmp_path / "state.db") as db,
    ):
        yield Rig(emu, sinks, db, make_config(data, emu.url, sinks, detection, **webhook), world.now)


@pytest.fixture
def rig(demo_data: dict[str, Any], tmp_path: Path) -> Iterator[Rig]:
    with rig_for(demo_data, tmp_path) as r:
        yield r
