"""Scan tests: the real scan, through the official SDK, against the emulator over a real socket."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tke_orphans.config import Config, config_from_data
from tke_orphans.context import Run
from tke_orphans.model import ScanResult
from tke_orphans.scan import run_scan
from tke_orphans_testkit.emulator import Emulator, FaultPlan, World, world_from_data

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-world.yaml"
FAST_RETRY = {"max_attempts": 10, "base_delay": 0.005, "max_delay": 0.05}


@pytest.fixture(scope="session")
def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def demo(demo_data: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the demo world's data, for tests that change it."""
    return copy.deepcopy(demo_data)


def config_for(world: World, url: str, **sections: Any) -> Config:
    cred = world.spec.credentials[0]
    tc = {
        "secret_id": cred.secret_id,
        "secret_key": cred.secret_key,
        "regions": "all",
        "endpoint_url": url,
        "retry": FAST_RETRY,
        "request_timeout": 2,
    }
    tc |= sections.pop("tencentcloud", {})
    return config_from_data({"tencentcloud": tc, **sections}, source="test-config")


def scan_world(
    data: dict[str, Any], *, faults: list[dict[str, Any]] | None = None, seed: int = 1, **sections: Any
) -> ScanResult:
    world = world_from_data(data)
    plan = FaultPlan.from_data({"seed": seed, "faults": faults or []})
    with Emulator(world, faults=plan) as emu:
        return run_scan(Run(config_for(world, emu.url, **sections)))


@pytest.fixture
def demo_emulator(demo_data: dict[str, Any]) -> Iterator[tuple[World, Emulator]]:
    world = world_from_data(demo_data)
    with Emulator(world) as emu:
        yield world, emu


def orphan_ids(result: ScanResult) -> set[str]:
    return {o.instance.instance_id for o in result.orphans}


def unverified_ids(result: ScanResult) -> set[str]:
    return {u.instance.instance_id for u in result.unverified}
