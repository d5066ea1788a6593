"""Every fault the emulator has, always on, on each listing: the job never crashes, records the scan, tells the
team, and the failure stays in its own region (or, for the region listing, makes the whole scan an error)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.cloud.errors import MAX_TEXT
from tke_orphans.config import config_from_data
from tke_orphans.context import Run
from tke_orphans.job import run_job
from tke_orphans.render.json import to_json
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, world_from_data
from tke_orphans_testkit.sinks import ChatSinks

from .conftest import FEISHU, WECOM

EXPECTED = {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"}
NATIVE = {"Filters": [{"Name": "InstanceType", "Values": ["Native"]}]}
# Each listing the scan makes, as a fault rule's selector; all in ap-guangzhou but the region listing.
LISTINGS: dict[str, dict[str, Any]] = {
    "instances": {"service": "cvm", "action": "DescribeInstances", "region": "ap-guangzhou"},
    "clusters": {"action": "DescribeClusters", "region": "ap-guangzhou"},
    "cluster-nodes": {"action": "DescribeClusterInstances", "params": {"ClusterId": "cls-prodgz01"}},
    "native-nodes": {"action": "DescribeClusterInstances", "params": {"ClusterId": "cls-prodgz01", **NATIVE}},
    "node-pools": {"action": "DescribeNodePools", "region": "ap-guangzhou"},
    "existed": {"action": "DescribeExistedInstances", "region": "ap-guangzhou"},
    "regions": {"service": "region", "action": "DescribeRegions"},
}
EFFECTS: dict[str, dict[str, Any]] = {
    "error": {"effect": "error", "code": "InternalError", "message": "[/TraceId=abc] oops"},
    "http_500": {"effect": "http_500"},
    "hang": {"effect": "hang", "hang_seconds": 5},
    "reset": {"effect": "reset"},
    "truncate": {"effect": "truncate"},
    "short": {"effect": "short"},
}


def _all_strings(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _all_strings(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in _all_strings(v)]
    return [value]


@pytest.mark.parametrize("effect", sorted(EFFECTS))
@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_a_listing_that_always_fails_is_told_and_contained(
    demo_data: dict[str, Any], tmp_path: Path, listing: str, effect: str
) -> None:
    rule = {**LISTINGS[listing], **EFFECTS[effect]}
    world = world_from_data(demo_data)
    cred = demo_data["credentials"][0]
    with (
        Emulator(world, faults=FaultPlan.from_data({"faults": [rule]})) as emu,
        ChatSinks([WECOM, FEISHU]) as sinks,
        StateDB(tmp_path / "state.db") as db,
    ):
        tc = {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all",
              "endpoint_url": emu.url, "request_timeout": 0.5,
              "retry": {"max_attempts": 2, "base_delay": 0.005, "max_delay": 0.01}}  # fmt: skip
        platforms = {"wecom": {"enabled": True, "url": sinks.bot_url(WECOM)}}
        cfg = config_from_data({"tencentcloud": tc, "webhook": {"enabled": True, "platforms": platforms}}, "t")
        job = run_job(Run(cfg), state=db, now=lambda: world.now)
        texts = [a.text for a in sinks.accepted(platform="wecom")]

    result = job.result
    # No false orphan, whatever failed.
    assert {o.instance.instance_id for o in result.orphans} <= EXPECTED
    regions = {r.region: r for r in result.regions}
    if listing == "regions":
        assert result.status == "error" and not result.regions
        assert result.errors and result.errors[0].api == "region.DescribeRegions"
    else:
        assert regions["ap-guangzhou"].status in ("partial", "error")
        assert regions["ap-guangzhou"].errors
        # The other region is untouched by this region's trouble.
        assert regions["ap-shanghai"].status == "ok"
        assert {o.instance.instance_id for o in result.orphans if o.region == "ap-shanghai"} == {"ins-shorp001"}
        assert result.status == "partial"
    # Every error field is bounded text, so that the scan is recorded and the team is told.
    doc = to_json(result)
    for value in _all_strings(doc["errors"] + [e for r in doc["regions"] for e in r["errors"]]):
        assert value is None or (isinstance(value, str) and len(value) <= MAX_TEXT)
    with StateDB(tmp_path / "state.db", lock=False) as db:
        scans = db.scans.recent()
    assert len(scans) == 1 and scans[0]["status"] == result.status
    assert json.loads(json.dumps(scans[0]["errors"])) == scans[0]["errors"]
    assert job.deliveries and all(d.ok for d in job.deliveries)
    assert any("无法检查" in t or "扫描错误" in t or "失败" in t for t in texts)
