"""`scan --output csv` carries what the JSON carries: the orphans, the leftovers (a `kind` column; a reused CLB
marked) and their costs, the VM-only file's columns in their places, every text cell formula-escaped."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans_testkit.emulator import Emulator, FaultPlan, world_from_data

from ..hostile import FORMULA
from .conftest import DEMO, write_config

# The columns of the VM-only file, in their places: a reader of that file keeps working.
VM_COLUMNS = [
    "status", "account", "region", "zone", "instance_id", "instance_name", "state", "instance_type", "cpu",
    "memory_gb", "charge_type", "created_time", "expired_time", "private_ips", "public_ips", "cluster_id",
    "node_pool_id", "reason", "evidence", "why",
]  # fmt: skip
# The JSON's cost keys and their CSV columns.
COST = {"currency": "currency", "hourly": "hourly", "monthly": "monthly", "wasted": "wasted", "source": "price_source",
        "detail": "price_detail"}  # fmt: skip
COMMAND = "+cmd|' /C calc'!A0"


def cell(value: Any) -> str:
    """A JSON value as the CSV writes it: empty for null, never 0."""
    return "" if value is None else str(value)


@pytest.fixture
def outputs(runner: CliRunner, tmp_path: Path) -> tuple[list[str], list[dict[str, str]], dict[str, Any]]:
    """The demo world with hostile leftover names and a disk whose price cannot be had: one scan's CSV (header and
    rows) and another's JSON, each with a new state (first seen now: both have wasted 0 so far)."""
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    gz = data["regions"]["ap-guangzhou"]
    gz["disks"][0]["DiskName"] = FORMULA
    next(lb for lb in gz["load_balancers"] if lb["LoadBalancerId"] == "lb-gzreuse1")["LoadBalancerName"] = COMMAND
    world = world_from_data(data, source="demo")
    faults = FaultPlan.from_data({"faults": [{"action": "InquiryPriceCreateDisks", "code": "InternalError"}]})
    with Emulator(world, faults=faults) as emu:
        cfg = str(write_config(tmp_path / "c.yaml", world, emu.url, tencentcloud={"retry": {"max_attempts": 1}}))
        as_csv = runner.invoke(app, ["scan", "-c", cfg, "--state", str(tmp_path / "a.db"), "-o", "csv"])
        as_json = runner.invoke(app, ["scan", "-c", cfg, "--state", str(tmp_path / "b.db"), "-o", "json"])
    assert as_csv.exit_code == 0 and as_json.exit_code == 0, as_csv.output + as_json.output
    [header, *_] = csv.reader(io.StringIO(as_csv.stdout))
    return header, list(csv.DictReader(io.StringIO(as_csv.stdout))), json.loads(as_json.stdout)


def test_csv_has_a_row_per_orphan_and_leftover_with_its_kind(outputs: Any) -> None:
    header, rows, _ = outputs
    assert header[: len(VM_COLUMNS)] == VM_COLUMNS
    assert header[len(VM_COLUMNS) :] == ["kind", "resource_id", "name", "first_seen", *COST.values()]
    assert Counter((r["kind"], r["status"]) for r in rows) == {
        ("cvm", "orphan"): 4, ("cbs_disk", "leftover"): 1, ("clb", "leftover"): 1, ("clb", "reused"): 1,
        ("eip", "leftover"): 1,
    }  # fmt: skip
    for r in rows:
        assert r["first_seen"], r  # from the state, as the JSON's first_seen
        if r["kind"] == "cvm":
            assert (r["resource_id"], r["name"]) == (r["instance_id"], r["instance_name"]), r
        else:  # not an instance: its id and name are in their own columns
            assert r["instance_id"] == r["instance_name"] == "" and r["resource_id"], r


def test_csv_carries_the_json_s_fields_and_costs(outputs: Any) -> None:
    _, rows, doc = outputs
    by_id = {r["resource_id"]: r for r in rows}
    for o in doc["orphans"]:
        r = by_id[o["instance_id"]]
        assert (r["reason"], r["cluster_id"], r["first_seen"] != "") == (o["reason"], o["cluster_id"] or "", True)
        assert {col: r[col] for col in COST.values()} == {col: cell(o["cost"][k]) for k, col in COST.items()}, r
    for x in doc["leftovers"]:
        r = by_id[x["resource_id"]]
        assert (r["kind"], r["cluster_id"], r["state"], r["created_time"]) == (
            x["kind"], x["cluster_id"], x["state"], x["created_time"]
        )  # fmt: skip
        assert r["evidence"] == "; ".join(x["evidence"])
        assert {col: r[col] for col in COST.values()} == {col: cell(x["cost"][k]) for k, col in COST.items()}, r
    # Priced ones carry their numbers; the disk whose inquiry failed has empty cells (never 0), and the reason.
    assert by_id["ins-gzorp001"]["monthly"] == "416.1" and by_id["ins-gzorp001"]["currency"] == "CNY"
    assert by_id["lb-gzleft01"]["monthly"] == "14.6" and by_id["lb-gzleft01"]["wasted"] == "0.0"
    disk = by_id["disk-gzleft01"]
    assert disk["hourly"] == disk["monthly"] == disk["wasted"] == disk["price_source"] == "", disk
    assert disk["price_detail"], disk


def test_csv_cells_of_leftovers_are_never_formulas(outputs: Any) -> None:
    _, rows, _ = outputs
    by_id = {r["resource_id"]: r for r in rows}
    assert by_id["disk-gzleft01"]["name"] == "'" + FORMULA
    assert by_id["lb-gzreuse1"]["name"] == "'" + COMMAND
