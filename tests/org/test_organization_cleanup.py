"""Cleanup in an organization's member: a later process (the `cleanup` command after a scan) reaches the members
that have targets through their role, with its write rights even when scans pass a read-only session policy; a
member whose role is gone meanwhile is skipped, saying why."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.cleanup import Options, Report, run_operation
from tke_orphans.cloud.actions import MARK_TAG
from tke_orphans.config import Config, config_from_data
from tke_orphans.context import Run
from tke_orphans.job import run_job
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, world_from_data
from tke_orphans_testkit.emulator.generate_org import generate_organization

from .conftest import forget

DAY = timedelta(hours=25)


@pytest.fixture
def data() -> dict[str, Any]:
    return generate_organization(members=2, regions=1, instances=40, clusters=1, seed=21)


def config(world_data: dict[str, Any], url: str) -> Config:
    cred = world_data["credentials"][0]
    tc = {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"], "regions": "all", "endpoint_url": url,
          "retry": {"max_attempts": 3, "base_delay": 0.005}, "request_timeout": 5, "workers": 1,
          "organization": {"enabled": True, "read_only": True}}  # fmt: skip
    return config_from_data({"tencentcloud": tc}, "org-cleanup-test")


def scan_then_mark(
    data: dict[str, Any], tmp_path: Path, change: Any = None, new_process: bool = True
) -> tuple[Emulator, Report, str, str]:
    """A scan (read-only sessions), then (as a new process, or in the same one as `serve`) cleanup's mark of the
    first member's first orphan."""
    world = world_from_data(data)
    member = data["organization"]["members"][0]
    orphan = member["answer_key"]["orphans"][0]
    emu = Emulator(world).start()
    with StateDB(tmp_path / "state.db") as db:
        cfg = config(data, emu.url)
        run_job(Run(cfg), state=db, now=lambda: world.now)
        if new_process:
            forget()
        emu.accounts.reset()
        if change:
            change(emu)
        opts = Options(action="mark", dry_run=False, only=frozenset({orphan["instance_id"]}))
        report = run_operation(Run(cfg), db, opts, who="test", now=lambda: world.now + DAY).report
    return emu, report, member["uin"], orphan["instance_id"]


@pytest.mark.parametrize("new_process", [True, False], ids=["new-process", "same-process"])
def test_cleanup_marks_in_a_member_through_its_role_with_write_rights(
    data: dict[str, Any], tmp_path: Path, new_process: bool
) -> None:
    emu, report, uin, iid = scan_then_mark(data, tmp_path, new_process=new_process)
    try:
        [decision] = report.decisions
        assert (decision.account, decision.instance_id, decision.outcome) == ("team-001", iid, "done"), decision
        region = data["organization"]["members"][0]["answer_key"]["orphans"][0]["region"]
        tags = {t["Key"] for t in emu.accounts.by_uin[uin].store.regions[region].by_id[iid]["Tags"]}
        assert MARK_TAG in tags
        # Only the member with a target was reached, once, and without the scans' read-only policy.
        assert [(a["member"], a["policy"]) for a in emu.accounts.assumed_roles()] == [(uin, None)]
    finally:
        emu.stop()


def test_cleanup_skips_a_member_it_cannot_reach_and_says_why(data: dict[str, Any], tmp_path: Path) -> None:
    def drop_role(emu: Emulator) -> None:
        account = emu.accounts.by_uin[data["organization"]["members"][0]["uin"]]
        assert account.member is not None
        account.member = account.member.model_copy(update={"role": None})

    emu, report, _, iid = scan_then_mark(data, tmp_path, drop_role)
    try:
        [decision] = report.decisions
        assert (decision.instance_id, decision.outcome) == (iid, "skipped")
        assert "could not be reached" in decision.detail and "ResourceNotFound.RoleNotFound" in decision.detail
    finally:
        emu.stop()
