"""Cleanup tests: a scan into the state, then cleanup against the same emulator (whose world it changes)."""

from __future__ import annotations

import copy
import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tke_orphans.cleanup import Options, Report, run_operation
from tke_orphans.config import Config, config_from_data
from tke_orphans.context import Run
from tke_orphans.job import run_job
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, world_from_data

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-world.yaml"
ORPHANS = {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"}
DAY = timedelta(hours=25)


@dataclass
class Rig:
    emulator: Emulator
    state: StateDB
    config: Config
    t0: datetime

    def scan(self, at: datetime | None = None) -> None:
        when = at or self.t0
        run_job(Run(self.config), state=self.state, now=lambda: when)

    def cleanup(self, after: timedelta = DAY, **opts: Any) -> Report:
        at = self.t0 + after
        return run_operation(Run(self.config), self.state, Options(**opts), who="test", now=lambda: at).report

    def instance(self, region: str, iid: str) -> dict[str, Any]:
        return dict(self.emulator.store.regions[region].by_id[iid])

    def listed(self, region: str, iid: str) -> bool:
        return iid in self.emulator.store.regions[region].by_id

    def tags(self, region: str, iid: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.instance(region, iid)["Tags"]}

    def calls(self, action: str, region: str | None = None) -> int:
        """How many calls of `action` the emulator received, from its /__stats."""
        with urllib.request.urlopen(self.emulator.url + "/__stats", timeout=5) as resp:
            rows = json.loads(resp.read())["actions"]
        return sum(r["calls"] for r in rows if r["action"] == action and region in (None, r["region"]))

    def faults(self, *rules: dict[str, Any]) -> None:
        self.emulator.faults = FaultPlan.from_data({"faults": list(rules)})


def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    gz = data["regions"]["ap-guangzhou"]
    gz["instances"] = [i for i in gz["instances"] if i["InstanceId"] != "ins-gznew001"]  # see tests/state
    return data


def with_orphan_clones(data: dict[str, Any], n: int) -> dict[str, Any]:
    """`n` more orphans in ap-guangzhou like ins-gzorp001 (left by node pool np-web00001): for batches."""
    gz = data["regions"]["ap-guangzhou"]
    model = next(i for i in gz["instances"] if i["InstanceId"] == "ins-gzorp001")
    clones = [{**model, "InstanceId": f"ins-gzcln{k:03d}", "PrivateIpAddresses": [f"10.0.5.{k}"]} for k in range(n)]
    gz["instances"] += clones
    data["answer_key"]["orphans"] += [
        {"region": "ap-guangzhou", "instance_id": c["InstanceId"], "reason": "removed_from_cluster",
         "cluster_id": "cls-prodgz01", "node_pool_id": "np-web00001"} for c in clones
    ]  # fmt: skip
    return data


def config_for(data: dict[str, Any], url: str, **extra: Any) -> Config:
    cred = data["credentials"][0]
    tc = {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all", "endpoint_url": url,
          "retry": {"max_attempts": 3, "base_delay": 0.005}, "request_timeout": 2}  # fmt: skip
    return config_from_data({"tencentcloud": tc, **extra}, "cleanup-test")


@contextmanager
def rig_for(data: dict[str, Any], path: Path, **extra: Any) -> Iterator[Rig]:
    world = world_from_data(data)
    with Emulator(world) as emu, StateDB(path / "state.db") as db:
        yield Rig(emu, db, config_for(data, emu.url, **extra), world.now)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with rig_for(demo_data(), tmp_path) as r:
        r.scan()
        yield r


def outcomes(report: Report) -> dict[str, tuple[str, str]]:
    return {d.instance_id: (d.outcome, d.detail) for d in report.decisions}


def fail_cluster(rig: Rig, cluster_id: str) -> None:
    rig.emulator.faults = FaultPlan.from_data(
        {
            "faults": [
                {"action": "DescribeClusterInstances", "params": {"ClusterId": cluster_id}, "code": "InternalError"}
            ]
        }
    )
