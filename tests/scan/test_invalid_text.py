"""Text no program can write: a lone surrogate (`"\\ud800"`, a valid JSON escape the cloud lets a name hold) in an
instance name, a tag value, a disk name and an API error message; and a zero-width space (a format character) in a
name. The real `scan` command (a subprocess) and a `serve` pass against the emulator: the scan ends as usual, the
state is written, and every output shows each one as its escape."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from tke_orphans.config import config_from_data
from tke_orphans.serve import Service
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, World, world_from_data
from tke_orphans_testkit.emulator.server import encode, error_body
from tke_orphans_testkit.sinks import ChatSinks, SinkBot

from ..cli.conftest import write_config
from ..cli.test_hostile_cloud_text import run
from ..hostile import DEMO
from ..serve.conftest import config_data, get

NAME = "tke_cls-gone0001_worker \ud800 zero\u200bwidth"  # the orphan's name: the TKE rule still matches it
TAG = "ops\udfff"
DISK = "pvc-\udbff-left"
MESSAGE = "boom \ud800 at the gateway"
FAULT: dict[str, Any] = {"action": "DescribeClusterInstances", "params": {"ClusterId": "cls-opsgz002"},
                         "code": "InternalError", "message": MESSAGE}  # fmt: skip
BOT = SinkBot("wecom", "wc-invalid")


def invalid_world() -> World:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    region = data["regions"]["ap-guangzhou"]
    for inst in region["instances"]:
        if inst["InstanceId"] == "ins-gzorp002":
            inst["InstanceName"] = NAME
            inst["Tags"] = [*inst.get("Tags", []), {"Key": "team", "Value": TAG}]
    for disk in region["disks"]:
        if disk["DiskId"] == "disk-gzleft01":
            disk["DiskName"] = DISK
    return world_from_data(data, source="invalid-text")


def strict(text: str) -> Any:
    def refuse(token: str) -> None:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_the_emulator_sends_a_lone_surrogate_as_the_cloud_does() -> None:
    assert b'"boom \\ud800 at the gateway"' in error_body("InternalError", MESSAGE, "r-1")
    body = encode({"InstanceName": NAME}, "r-1")
    assert body.startswith(b'{"Response":{"InstanceName":"tke_cls-gone0001_worker \\ud800 zero\xe2\x80\x8bwidth"')


def test_a_scan_with_invalid_text_ends_as_usual_and_shows_the_escapes(tmp_path: Path) -> None:
    world = invalid_world()
    state = tmp_path / "s.db"
    with Emulator(world, faults=FaultPlan.from_data({"faults": [FAULT]})) as emu, ChatSinks([BOT]) as sinks:
        webhook = {"enabled": True, "platforms": {"wecom": {"enabled": True, "url": sinks.bot_url(BOT)}}}
        cfg = str(write_config(tmp_path / "c.yaml", world, emu.url, webhook=webhook, logging={"level": "debug"},
                               tencentcloud={"retry": {"max_attempts": 1}}))  # fmt: skip
        table = run(tmp_path, "scan", "-c", cfg, "--state", str(state))
        message = "\n".join(m.text for m in sinks.accepted())
        as_json = run(tmp_path, "scan", "-c", cfg, "--state", str(state), "--no-notify", "-o", "json")
        as_csv = run(tmp_path, "scan", "-c", cfg, "--state", str(state), "--no-notify", "-o", "csv")
    for done in (table, as_json, as_csv):
        assert done.returncode == 3, done.stderr  # partial (the fault), not a crash
        assert "Traceback" not in done.stderr and "UnicodeEncodeError" not in done.stderr
    # The state was written: the second and third scans read it (first seen), and it holds the escape.
    with StateDB(state) as db:
        assert db.conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 3
    # JSON: valid UTF-8, strict JSON, the escapes as text; the zero-width space is data there, as written.
    doc = strict(as_json.stdout.encode("utf-8").decode("utf-8"))  # encode() refuses a lone surrogate
    orphan = next(o for o in doc["orphans"] if o["instance_id"] == "ins-gzorp002")
    assert orphan["instance_name"] == "tke_cls-gone0001_worker \\ud800 zero\u200bwidth"
    assert orphan["tags"]["team"] == "ops\\udfff"
    disk = next(x for x in doc["leftovers"] if x["resource_id"] == "disk-gzleft01")
    assert disk["name"] == "pvc-\\udbff-left"
    assert doc["regions"][0]["errors"][0]["message"] == "boom \\ud800 at the gateway"
    # The table, the log, the chat message and the CSV show both escapes.
    assert "tke_cls-gone0001_worker \\ud800 zero\\u200bwidth" in table.stdout
    assert "boom \\ud800 at the gateway" in table.stdout and "boom \\ud800" in table.stderr
    assert "\u200b" not in table.stdout
    assert "\\ud800 zero\\u200bwidth" in message and "boom \\ud800" in message
    rows = {r["instance_id"]: r for r in csv.DictReader(io.StringIO(as_csv.stdout))}
    assert rows["ins-gzorp002"]["instance_name"] == "tke_cls-gone0001_worker \\ud800 zero\\u200bwidth"


def test_a_serve_pass_with_invalid_text_is_told_and_shown(tmp_path: Path) -> None:
    with (
        Emulator(invalid_world(), faults=FaultPlan.from_data({"faults": [FAULT]})) as emu,
        ChatSinks([BOT]) as sinks,
        StateDB(tmp_path / "s.db") as db,
    ):
        data = config_data(emu.url)
        data["webhook"] = {"enabled": True, "platforms": {"wecom": {"enabled": True, "url": sinks.bot_url(BOT)}}}
        svc = Service(config_from_data(data, "invalid-text"), db, timedelta(minutes=10), ("127.0.0.1", 0))
        svc.server.start()
        try:
            svc.run_pass()
            status, page = get(svc.server.url + "/?lang=en")
        finally:
            svc.server.stop()
        message = "\n".join(m.text for m in sinks.accepted())
    assert status == 200
    assert "\\ud800 zero\\u200bwidth" in page and "\u200b" not in page
    assert "\\ud800 zero\\u200bwidth" in message
