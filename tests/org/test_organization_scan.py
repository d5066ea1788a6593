"""An organization scanned end to end: the CLI lists the members through the management account, reaches each one
through its role (sts AssumeRole, once per member) and scans its own world; a member it cannot reach is that
member's failure (exit 3, with the fix), and a member listing that fails or does not add up fails the scan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans.cloud.accounts import make_session, plan_accounts
from tke_orphans.config import config_from_data
from tke_orphans.context import Run
from tke_orphans.scan import run_scan
from tke_orphans_testkit.emulator import Emulator, FaultPlan, World, world_from_data
from tke_orphans_testkit.emulator.generate_org import generate_organization

from ..cli.conftest import runner, write_config
from .conftest import forget

__all__ = ["runner"]  # the CLI tests' fixture: a clean HOME and environment

MANAGER = "100000000001"
FAST_RETRY = {"max_attempts": 3, "base_delay": 0.005, "max_delay": 0.05}


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    # Three members of two regions; the last one lacks the role.
    return generate_organization(members=3, regions=2, instances=30, clusters=1, seed=11, without_role=1)


def serve(data: dict[str, Any], faults: list[dict[str, Any]] | None = None) -> tuple[World, Emulator]:
    world = world_from_data(data)
    return world, Emulator(world, faults=FaultPlan.from_data({"faults": faults or []})).start()


def org_settings(**extra: Any) -> dict[str, Any]:
    return {"organization": {"enabled": True, **extra}, "retry": FAST_RETRY, "request_timeout": 5}


def scan(runner: CliRunner, tmp_path: Path, world: World, url: str, **org: Any) -> tuple[int, dict[str, Any], str]:
    cfg = write_config(tmp_path / "config.yaml", world, url, tencentcloud=org_settings(**org))
    result = runner.invoke(app, ["scan", "-c", str(cfg), "-o", "json", "--no-notify"])
    return result.exit_code, json.loads(result.stdout), result.stderr


def expected_orphans(data: dict[str, Any], names: dict[str, str]) -> set[tuple[str, str, str]]:
    """(account, region, instance) of every answer key: the management account's and each reachable member's."""
    out = {("default", o["region"], o["instance_id"]) for o in data["answer_key"]["orphans"]}
    for m in data["organization"]["members"]:
        if m["uin"] in names:
            out |= {(names[m["uin"]], o["region"], o["instance_id"]) for o in m["answer_key"]["orphans"]}
    return out


def assumed(emu: Emulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in emu.accounts.assumed_roles():
        counts[a["member"]] = counts.get(a["member"], 0) + 1
    return counts


def test_every_member_is_scanned_through_its_role(runner: CliRunner, tmp_path: Path, data: dict[str, Any]) -> None:
    world, emu = serve(data)
    try:
        code, doc, _ = scan(runner, tmp_path, world, emu.url)
        members = data["organization"]["members"]
        reachable = {m["uin"]: m["name"] for m in members if "role" in m}
        found = {(o["account"], o["region"], o["instance_id"]) for o in doc["orphans"]}
        assert found == expected_orphans(data, reachable)
        scanned = {(r["account"], r["region"]) for r in doc["regions"]}
        assert scanned == {(a, r) for a in ("default", *reachable.values()) for r in ("ap-guangzhou", "ap-shanghai")}
        # AssumeRole once per member (the roleless one refused once), each member's calls in its own account.
        assert assumed(emu) == dict.fromkeys(reachable, 1)
        stats = emu.stats.snapshot()["accounts"]
        asked = [r for r in stats[MANAGER]["actions"] if r["action"] == "AssumeRole"]
        assert sum(r["calls"] for r in asked) == len(members)
        for uin in reachable:
            assert {r["action"] for r in stats[uin]["actions"]} >= {"DescribeInstances", "DescribeClusters"}
        # The member without the role: unverified with the fix, exit 3, the others complete.
        assert code == 3
        assert doc["status"] == "partial"
        [error] = [e for e in doc["errors"] if e["api"] == "sts.AssumeRole"]
        assert error["code"] == "ResourceNotFound.RoleNotFound"
        assert members[2]["uin"] in error["message"] and "OrganizationAccessControlRole" in error["message"]
        assert all(r["status"] == "ok" for r in doc["regions"])
    finally:
        emu.stop()


def test_include_and_exclude_choose_the_accounts(runner: CliRunner, tmp_path: Path, data: dict[str, Any]) -> None:
    world, emu = serve(data)
    try:
        # A tag, a node's name (team-002 is in Data); the management account left out by its name.
        code, doc, _ = scan(runner, tmp_path, world, emu.url, include=["team=team-001", "Data"], exclude=["default"])
        assert code == 0, doc["errors"]
        assert {r["account"] for r in doc["regions"]} == {"team-001", "team-002"}
        assert set(assumed(emu)) == {data["organization"]["members"][i]["uin"] for i in (0, 1)}
    finally:
        emu.stop()


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ({"effect": "error", "code": "InternalError"}, "InternalError"),
        ({"effect": "short"}, "IncompleteListing"),
        ({"effect": "error", "code": "UnauthorizedOperation"}, "UnauthorizedOperation"),
        ({"effect": "value", "field": "MemberUin", "value": 200000000001}, "IncompleteListing"),  # one member twice
    ],
)
def test_a_failed_member_listing_fails_the_scan(
    runner: CliRunner, tmp_path: Path, data: dict[str, Any], fault: dict[str, Any], code: str
) -> None:
    world, emu = serve(data, [{"action": "DescribeOrganizationMembers", **fault}])
    try:
        exit_code, doc, _ = scan(runner, tmp_path, world, emu.url)
        assert exit_code == 3
        assert doc["status"] == "partial"
        assert [e["code"] for e in doc["errors"]] == [code]
        assert {r["account"] for r in doc["regions"]} == {"default"}  # no member taken to have nothing
        assert assumed(emu) == {}
    finally:
        emu.stop()


def test_an_untrusting_role_is_that_members_failure(runner: CliRunner, tmp_path: Path, data: dict[str, Any]) -> None:
    changed = json.loads(json.dumps(data))
    changed["organization"]["members"][0]["role"]["trusts"] = ["300000000009"]
    world, emu = serve(changed)
    try:
        code, doc, _ = scan(runner, tmp_path, world, emu.url, exclude=["team-003"])
        assert code == 3
        [error] = doc["errors"]
        assert error["code"] == "InternalError.IllegalRole"
        assert "trust policy" in error["message"] and changed["organization"]["members"][0]["uin"] in error["message"]
        assert {r["account"] for r in doc["regions"]} == {"default", "team-002"}
        assert assumed(emu) == {changed["organization"]["members"][1]["uin"]: 1}  # the refused one: not answered
    finally:
        emu.stop()


def test_credentials_are_renewed_past_expiry_within_one_process(data: dict[str, Any]) -> None:
    """Passes of one process (as `serve` runs them), later ones near and past the credentials' expiry: renewed once
    per member, never per call or region; a pass within their life asks nothing. In-process (`workers: 1`): the
    travelled clock does not reach worker processes."""
    world = world_from_data(data)
    with time_machine.travel(world.now, tick=True) as traveller, Emulator(world) as emu:
        cfg = config_from_data(
            {"tencentcloud": {"secret_id": world.spec.credentials[0].secret_id,
                              "secret_key": world.spec.credentials[0].secret_key, "regions": "all",
                              "endpoint_url": emu.url, "workers": 1, **org_settings(exclude=["team-003"])}},
            source="test-config",
        )  # fmt: skip
        reachable = [m["uin"] for m in data["organization"]["members"][:2]]
        first = run_scan(Run(cfg))
        assert first.status == "ok" and assumed(emu) == dict.fromkeys(reachable, 1)
        run_scan(Run(cfg))
        assert assumed(emu) == dict.fromkeys(reachable, 1)  # still good: reused
        # What follows a scan in the process (the by-id look before a leftover resolves as gone) has the members
        # too, in their own accounts, with the same credentials.
        members = {p.uin: p for p in plan_accounts(cfg) if p.member is not None}
        assert set(members) == set(reachable) and all(p.credentials.uin == uin for uin, p in members.items())
        region = sorted(data["organization"]["members"][0]["regions"])[0]
        answer = make_session(Run(cfg), members[reachable[0]]).call("cvm", "DescribeInstances", region, {"Limit": 100})
        own = {i["InstanceId"] for i in data["organization"]["members"][0]["regions"][region]["instances"]}
        assert {i["InstanceId"] for i in answer["InstanceSet"]} <= own and answer["TotalCount"] == len(own)
        assert assumed(emu) == dict.fromkeys(reachable, 1)
        traveller.shift(7200 - 60)  # within five minutes of expiry: renewed before it
        third = run_scan(Run(cfg))
        assert third.status == "ok", [e.describe() for r in third.regions for e in r.errors]
        assert assumed(emu) == dict.fromkeys(reachable, 2)
        traveller.shift(7200 + 60)  # past expiry
        fourth = run_scan(Run(cfg))
        assert fourth.status == "ok" and assumed(emu) == dict.fromkeys(reachable, 3)
        assert {r.account for r in fourth.regions} == {"default", "team-001", "team-002"}


def test_doctor_checks_the_listing_and_each_role(runner: CliRunner, tmp_path: Path, data: dict[str, Any]) -> None:
    world, emu = serve(data)
    try:
        cfg = write_config(tmp_path / "config.yaml", world, emu.url, tencentcloud=org_settings())
        result = runner.invoke(app, ["doctor", "-c", str(cfg)], env={"COLUMNS": "400"})
        lines = result.stdout.splitlines()
        assert result.exit_code == 3
        assert any("organization.DescribeOrganizationMembers" in x and " OK " in x and "3 chosen" in x for x in lines)
        members = data["organization"]["members"]
        for m in members[:2]:
            assert any(x.startswith(m["name"]) and "sts.AssumeRole" in x and " OK " in x for x in lines), lines
        [refused] = [x for x in lines if "sts.AssumeRole" in x and "FAIL" in x]
        assert "ResourceNotFound.RoleNotFound" in refused and members[2]["uin"] in refused
        # Each member's own APIs are tried through its role, in its own account.
        assert any(x.startswith("team-001") and "cvm.DescribeInstances" in x and " OK " in x for x in lines), lines
        assert [a["member"] for a in emu.accounts.assumed_roles()].count(members[0]["uin"]) == 1
    finally:
        emu.stop()


@pytest.mark.parametrize(
    ("organization", "extra", "words"),
    [
        ({"enabled": True}, {"accounts": [{"name": "prod"}]}, "accounts: cannot be used with tencentcloud.organizat"),
        ({"duration_seconds": 43201}, {}, "tencentcloud.organization.duration_seconds"),
        ({"session_name": "tke orphans"}, {}, "tencentcloud.organization.session_name"),
        ({"rol": "x"}, {}, "did you mean 'role'"),
    ],
)
def test_bad_organization_settings_name_the_key(
    runner: CliRunner, tmp_path: Path, organization: dict[str, Any], extra: dict[str, Any], words: str
) -> None:
    (tmp_path / "config.yaml").write_text(
        json.dumps({"tencentcloud": {"organization": organization}, **extra}), encoding="utf-8"
    )
    result = runner.invoke(app, ["check-config", "-c", str(tmp_path / "config.yaml")])
    assert result.exit_code == 2
    assert words in result.stderr and "Traceback" not in result.stderr


def test_a_member_name_that_is_not_plain_text_is_not_an_account_name(
    runner: CliRunner, tmp_path: Path, data: dict[str, Any]
) -> None:
    changed = json.loads(json.dumps(data))
    changed["organization"]["members"][0]["name"] = "[red]ops\x1b[2J"
    changed["organization"]["members"][1]["name"] = "default"  # the management account's name is taken
    world, emu = serve(changed)
    try:
        _, doc, _ = scan(runner, tmp_path, world, emu.url, exclude=["team-003"])
        members = changed["organization"]["members"]
        assert {r["account"] for r in doc["regions"]} == {"default", members[0]["uin"], members[1]["uin"]}
    finally:
        emu.stop()


def test_a_read_only_scan_passes_a_session_policy_of_reads(
    runner: CliRunner, tmp_path: Path, data: dict[str, Any]
) -> None:
    world, emu = serve(data)
    try:
        code, _, _ = scan(runner, tmp_path, world, emu.url, read_only=True, exclude=["team-003"])
        assert code == 0
        policies = {a["policy"] for a in emu.accounts.assumed_roles()}
        [policy] = policies
        [statement] = json.loads(unquote(policy))["statement"]
        actions = set(statement["action"])
        assert {"cvm:Describe*", "tke:Describe*", "region:Describe*", "cvm:InquiryPrice*", "cbs:Describe*"} <= actions
        assert all(a.split(":")[1] in ("Describe*", "InquiryPrice*", "Get*") for a in actions), actions
        forget()
        emu.accounts.reset()
        scan(runner, tmp_path, world, emu.url, exclude=["team-003"])
        assert {a["policy"] for a in emu.accounts.assumed_roles()} == {None}  # by default, the role's own rights
    finally:
        emu.stop()


def test_an_organization_without_regions_is_refused_even_with_its_manager_excluded(
    runner: CliRunner, tmp_path: Path, data: dict[str, Any]
) -> None:
    world, emu = serve(data)
    try:
        cred = world.spec.credentials[0]
        tc = {"secret_id": cred.secret_id, "secret_key": cred.secret_key, "endpoint_url": emu.url}
        cfg = tmp_path / "config.yaml"
        cfg.write_text(json.dumps({"tencentcloud": {**tc, **org_settings(exclude=["default"])}}), encoding="utf-8")
        result = runner.invoke(app, ["scan", "-c", str(cfg), "--no-notify"])
        assert result.exit_code == 2
        assert "no region to scan" in result.stderr
        assert emu.stats.snapshot()["totals"]["calls"] == 0
    finally:
        emu.stop()


def test_the_table_says_a_member_was_not_reached(runner: CliRunner, tmp_path: Path, data: dict[str, Any]) -> None:
    """A refused role is no region's failure: the table's first line counts it apart, never "0 region(s)"."""
    world, emu = serve(data)
    try:
        cfg = write_config(tmp_path / "config.yaml", world, emu.url, tencentcloud=org_settings())
        result = runner.invoke(app, ["scan", "-c", str(cfg), "--no-notify"], env={"COLUMNS": "200"})
    finally:
        emu.stop()
    assert result.exit_code == 3
    first = result.stdout.splitlines()[0]
    assert first == "Scan incomplete: 1 account or region list(s) not reached; orphans there are unknown.", first
