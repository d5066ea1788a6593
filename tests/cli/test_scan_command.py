"""The scan command end to end: outputs, the JSON contract, exit codes, and no secret in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans_testkit.emulator import Emulator, World, world_from_data

from .conftest import write_config

ORPHANS = ["ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"]
INSTANCE_KEYS = {
    "account", "region", "zone", "instance_id", "instance_name", "state", "instance_type", "cpu", "memory_gb",
    "charge_type", "created_time", "expired_time", "private_ips", "public_ips", "tags", "cluster_id", "node_pool_id",
    "reason", "evidence", "first_seen", "orphaned_for_seconds", "cost", "origin", "origin_note",
}  # fmt: skip
COST_KEYS = {"currency", "hourly", "monthly", "wasted", "source", "detail"}


LEFTOVER_KEYS = {
    "account", "region", "kind", "resource_id", "name", "cluster_id", "evidence", "state", "created_time", "reused",
    "cost", "tags", "origin", "origin_note",
}  # fmt: skip


def test_json_contract(runner: CliRunner, tmp_path: Path, world: World, emulator: Emulator) -> None:
    cfg = write_config(tmp_path / "c.yaml", world, emulator.url, detection={"leftovers": ["cbs_disk", "clb", "eip"]})
    result = runner.invoke(app, ["scan", "--config", str(cfg), "--output", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "schema_version", "tool_version", "scanned_at", "status", "errors", "regions", "orphans", "unverified",
        "excluded", "leftovers", "accounts", "summary", "notifications",
    }  # fmt: skip
    assert doc["notifications"] == []  # no channel configured
    assert doc["schema_version"] == 1 and doc["status"] == "ok"
    assert doc["scanned_at"].endswith("Z")
    assert set(doc["regions"][0]) == {
        "account", "region", "status", "instances", "clusters", "nodes", "errors", "rate_adapted",
    }  # fmt: skip
    assert doc["regions"][0]["rate_adapted"] == {}  # not throttled
    assert [o["instance_id"] for o in doc["orphans"]] == ORPHANS
    for o in doc["orphans"]:
        assert set(o) == INSTANCE_KEYS and set(o["cost"]) == COST_KEYS
        assert {e["kind"] for e in o["evidence"]} <= {"name", "autoscaling_tag", "owner_tag", "legacy_heuristic"}
    assert {o["orphaned_for_seconds"] for o in doc["orphans"]} == {0}  # first seen by this scan
    assert {o["first_seen"] for o in doc["orphans"]} == {doc["scanned_at"]}
    prepaid = doc["orphans"][1]
    assert prepaid["charge_type"] == "PREPAID" and prepaid["expired_time"].endswith("Z")
    assert prepaid["public_ips"] == ["159.75.1.2"] and prepaid["cpu"] == 8 and prepaid["memory_gb"] == 16
    assert {e["why"] for e in doc["excluded"]} == {"grace_period", "skip_state", "ignored"}
    assert doc["summary"] == {
        "orphans": 4,
        "unverified": 0,
        "by_region": {"ap-guangzhou": 3, "ap-shanghai": 1},
        "by_reason": {"cluster_deleted": 1, "node_pool_deleted": 1, "removed_from_cluster": 2},
        # The demo world's price table: two postpaid quotes and two prepaid renewals (see its `prices`).
        "cost": {
            "currency": "CNY",
            "monthly": 1654.3,
            "wasted": 0.0,  # first seen by this scan
            "by_region": {"ap-guangzhou": 1481.3, "ap-shanghai": 173.0},
            "by_reason": {"cluster_deleted": 817.0, "node_pool_deleted": 248.2, "removed_from_cluster": 589.1},
            "by_account": {"default": 1654.3},
            "unpriced": [],
            # Added: the leftovers' (disk 100 GB premium, CLB instance, EIP 5 Mbps); the reused CLB apart.
            "leftovers": {"currency": "CNY", "monthly": 341.64, "wasted": 0.0,  # first seen by this scan
                          "by_kind": {"cbs_disk": 35.04, "clb": 14.6, "eip": 292.0},
                          "by_region": {"ap-guangzhou": 341.64}, "by_account": {"default": 341.64},
                          "unpriced": [], "reused_monthly": 14.6},
        },
        "leftovers": {"total": 3, "by_kind": {"cbs_disk": 1, "clb": 1, "eip": 1}, "by_region": {"ap-guangzhou": 3},
                      "reused": 1},
    }  # fmt: skip
    assert [(x["resource_id"], x["kind"], x["reused"]) for x in doc["leftovers"]] == [
        ("disk-gzleft01", "cbs_disk", False), ("lb-gzleft01", "clb", False), ("lb-gzreuse1", "clb", True),
        ("eip-gzleft01", "eip", False),
    ]  # fmt: skip
    for x in doc["leftovers"]:
        assert set(x) == LEFTOVER_KEYS and x["cluster_id"] == "cls-gone0001" and x["created_time"].endswith("Z")
        assert set(x["cost"]) == COST_KEYS and x["cost"]["source"] == "inquiry"
    assert [(o["cost"]["source"], o["cost"]["monthly"]) for o in doc["orphans"]] == [
        ("inquiry", 416.1), ("renew", 817.0), ("inquiry", 248.2), ("renew", 173.0),
    ]  # fmt: skip
    assert {o["cost"]["wasted"] for o in doc["orphans"]} == {0.0}
    assert world.spec.credentials[0].secret_key not in result.output


def test_table_csv_markdown(runner: CliRunner, tmp_path: Path, world: World, emulator: Emulator) -> None:
    cfg = str(write_config(tmp_path / "c.yaml", world, emulator.url))
    table = runner.invoke(app, ["scan", "-c", cfg])
    assert table.exit_code == 0
    assert all(i in table.stdout for i in ORPHANS)
    assert "Scan ok: 4 orphan(s), 0 unverified, 2 region(s) scanned" in table.stdout
    csv_out = runner.invoke(app, ["scan", "-c", cfg, "-o", "csv"]).stdout.splitlines()
    assert csv_out[0].startswith("status,account,region,zone,instance_id")
    assert [line.split(",")[4] for line in csv_out[1:] if line.startswith("orphan,")] == ORPHANS
    md = runner.invoke(app, ["scan", "-c", cfg, "-o", "markdown"]).stdout
    assert md.startswith("## 🚨 发现 4 个孤儿 CVM 实例") and "`" + " ".join(ORPHANS) + "`" in md
    assert "**1. ins-gzorp001**" in md and "原因: 已移出集群" in md


def test_exit_codes(runner: CliRunner, tmp_path: Path, world: World, emulator: Emulator) -> None:
    cfg = str(write_config(tmp_path / "c.yaml", world, emulator.url))
    assert runner.invoke(app, ["scan", "-c", cfg, "-o", "json", "--fail-on-orphans"]).exit_code == 1
    only_sh = runner.invoke(app, ["scan", "-c", cfg, "-o", "json", "--region", "ap-shanghai"])
    assert [o["instance_id"] for o in json.loads(only_sh.stdout)["orphans"]] == ["ins-shorp001"]


def test_incomplete_scan_exits_3(runner: CliRunner, tmp_path: Path, world: World, failing_emulator: Emulator) -> None:
    cfg = str(write_config(tmp_path / "c.yaml", world, failing_emulator.url, tencentcloud={"retry": {"max_attempts": 2,
              "base_delay": 0.01}}))  # fmt: skip
    result = runner.invoke(app, ["scan", "-c", cfg, "-o", "json", "--fail-on-orphans"])
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["status"] == "partial"
    sh = next(r for r in doc["regions"] if r["region"] == "ap-shanghai")
    assert sh["status"] == "error" and sh["errors"][0]["api"] == "cvm.DescribeInstances"
    assert sh["errors"][0]["code"] == "InternalError"


def test_endpoint_from_environment(runner: CliRunner, tmp_path: Path, world: World, emulator: Emulator) -> None:
    cfg = write_config(tmp_path / "c.yaml", world, "http://127.0.0.1:9")  # nothing listens there
    result = runner.invoke(app, ["scan", "-c", str(cfg), "-o", "json"], env={"TKE_ORPHANS_ENDPOINT_URL": emulator.url})
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["orphans"]) == 4
    bad = runner.invoke(app, ["scan", "-c", str(cfg), "--endpoint-url", "ftp://x"])
    assert bad.exit_code == 2 and "expected a base URL" in bad.output


def test_doctor(runner: CliRunner, tmp_path: Path, world: World) -> None:
    from tke_orphans_testkit.emulator import FaultPlan

    plan = FaultPlan.from_data({"faults": [{"action": "DescribeNodePools", "code": "UnauthorizedOperation"}]})
    with Emulator(world) as ok_emu:
        cfg = write_config(tmp_path / "ok.yaml", world, ok_emu.url)
        good = runner.invoke(app, ["doctor", "-c", str(cfg)])
    assert good.exit_code == 0, good.output
    assert "cvm.DescribeInstances" in good.output and "FAIL" not in good.output
    with Emulator(world, faults=plan) as bad_emu:
        cfg = write_config(tmp_path / "bad.yaml", world, bad_emu.url, tencentcloud={"retry": {"max_attempts": 1}})
        bad = runner.invoke(app, ["doctor", "-c", str(cfg)])
    assert bad.exit_code == 3
    assert "the CAM policy lacks tke:DescribeNodePools" in bad.output


def test_demo_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert all(i in result.stdout for i in ORPHANS)
    assert "ins-gzmst001" not in result.stdout


@pytest.mark.parametrize(
    ("action", "cam"),
    [("DescribeDisks", "cbs:DescribeDisks"),
     ("DescribeLoadBalancers", "clb:DescribeLoadBalancers"), ("DescribeAddresses", "vpc:DescribeAddresses"),
     ("DescribeEKSClusters", "tke:DescribeEKSClusters"), ("DescribeTKEEdgeClusters", "tke:DescribeTKEEdgeClusters")],
)  # fmt: skip
def test_doctor_tries_the_leftover_listings_and_a_scan_says_they_can_be_turned_off(
    runner: CliRunner, tmp_path: Path, world: World, action: str, cam: str
) -> None:
    """Leftovers are looked for by default: a CAM policy from before them fails those listings only. doctor names
    the missing action; the scan says that only leftovers went unchecked and how to stop looking."""
    from tke_orphans_testkit.emulator import FaultPlan

    plan = FaultPlan.from_data({"faults": [{"action": action, "code": "UnauthorizedOperation"}]})
    with Emulator(world, faults=plan) as emu:
        cfg = write_config(tmp_path / "c.yaml", world, emu.url, tencentcloud={"retry": {"max_attempts": 1}})
        doctor = runner.invoke(app, ["doctor", "-c", str(cfg)])
        scan = runner.invoke(app, ["scan", "-c", str(cfg)])
        off = write_config(tmp_path / "off.yaml", world, emu.url, detection={"leftovers": []})
        quiet = runner.invoke(app, ["doctor", "-c", str(off)])
    assert doctor.exit_code == 3 and f"the CAM policy lacks {cam}" in doctor.output
    assert quiet.exit_code == 0 and action not in quiet.output  # not looked for: not tried
    assert scan.exit_code == 3
    assert "`detection.leftovers: []` stops looking" in scan.output
    # What went unchecked: that kind only, or every kind where the call is theirs to share (the cluster checks).
    what = {"DescribeDisks": "disks", "DescribeLoadBalancers": "load balancers", "DescribeAddresses": "addresses"}
    assert f"only {what.get(action, 'leftovers')} went unchecked" in " ".join(scan.output.split()), scan.output
    assert all(i in scan.output for i in ORPHANS)  # the VMs' orphans stand


@pytest.mark.parametrize(
    ("action", "cam"),
    [("DescribeCfsFileSystems", "cfs:DescribeCfsFileSystems"), ("DescribeSecurityGroups", "vpc:DescribeSecurityGroups"),
     ("DescribeSecurityGroupLimits", "vpc:DescribeSecurityGroupLimits")],
)  # fmt: skip
def test_doctor_tries_what_the_opt_in_kinds_read(
    runner: CliRunner, tmp_path: Path, world: World, action: str, cam: str
) -> None:
    """cfs and security_group, named in detection.leftovers: doctor tries their listings and the reads that take no
    parameter (the security groups' quota), and names the CAM action a policy lacks; not named, not tried."""
    from tke_orphans_testkit.emulator import FaultPlan

    plan = FaultPlan.from_data({"faults": [{"action": action, "code": "UnauthorizedOperation"}]})
    kinds = {"leftovers": ["cbs_disk", "clb", "eip", "cfs", "security_group"]}
    with Emulator(world, faults=plan) as emu:
        cfg = write_config(tmp_path / "c.yaml", world, emu.url, detection=kinds,
                           tencentcloud={"retry": {"max_attempts": 1}})  # fmt: skip
        doctor = runner.invoke(app, ["doctor", "-c", str(cfg)])
        default = write_config(tmp_path / "d.yaml", world, emu.url)
        quiet = runner.invoke(app, ["doctor", "-c", str(default)])
    assert doctor.exit_code == 3 and f"the CAM policy lacks {cam}" in doctor.output, doctor.output
    assert quiet.exit_code == 0 and action not in quiet.output


@pytest.mark.parametrize("audit", ["failing", "empty"])
def test_the_audit_log_changes_no_exit_code(runner: CliRunner, tmp_path: Path, world: World, audit: str) -> None:
    """Who left an orphan is a courtesy: an audit log that fails or knows nothing leaves the scan's status, its
    orphans and its exit code as they are, each orphan's origin null with the reason."""
    from tke_orphans_testkit.emulator import FaultPlan

    rules = [{"action": "DescribeEvents", "code": "InternalError", "times": 1000}] if audit == "failing" else []
    world = world_from_data({k: v for k, v in world.spec.model_dump(exclude_none=True).items() if k != "audit"})
    with Emulator(world, faults=FaultPlan.from_data({"faults": rules})) as emu:
        cfg = write_config(tmp_path / "c.yaml", world, emu.url)
        result = runner.invoke(app, ["scan", "-c", str(cfg), "--no-notify", "-o", "json", "--fail-on-orphans"])
    doc = json.loads(result.stdout)
    assert result.exit_code == 1 and doc["status"] == "ok"  # 1: --fail-on-orphans, as without any audit log
    assert [o["instance_id"] for o in doc["orphans"]] == ORPHANS
    said = "the audit log could not be read" if audit == "failing" else "no audited TKE call names it"
    assert all(o["origin"] is None and o["origin_note"].startswith(said) for o in doc["orphans"])
