"""A region name the account does not have is a usage error with the closest real names (issue 20, item 5), not an
outage: before, `--region ap-nowhere` exited 3 with the cloud's UnsupportedRegion and no hint. Names from the flag
and from the config (region, regions, per account) are checked against the account's own region listing, by scan,
doctor and serve (at start-up); a failed listing checks nothing and blocks nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, World

from .conftest import write_config
from .test_bad_input import assert_clear_usage_error, cli


def _config(path: Path, world: World, url: str, **tencentcloud: Any) -> str:
    return str(write_config(path, world, url, tencentcloud={"retry": {"max_attempts": 1}, **tencentcloud}))


@pytest.mark.parametrize("name", ["ap-nowhere", "ap-guangzhuo"])
def test_a_region_flag_the_account_lacks_names_the_closest(
    tmp_path: Path, world: World, emulator: Emulator, name: str
) -> None:
    cfg = _config(tmp_path / "c.yaml", world, emulator.url)
    proc = cli(["scan", "-c", cfg, "--region", name, "--state", str(tmp_path / "s.db")], tmp_path)
    line = assert_clear_usage_error(proc, "--region", repr(name), "the closest: ap-guangzhou")
    assert "UnsupportedRegion" not in line
    # Nothing scanned, so nothing recorded: the state is opened (and checked) before any API call, but holds no scan.
    with StateDB(tmp_path / "s.db") as db:
        assert db.conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 0


@pytest.mark.parametrize("command", [["scan", "--no-notify"], ["doctor"], ["serve", "--listen", "127.0.0.1:0"]])
def test_a_region_in_the_config_the_account_lacks_names_file_and_key(
    tmp_path: Path, world: World, emulator: Emulator, command: list[str]
) -> None:
    cfg = _config(tmp_path / "mine.yaml", world, emulator.url, regions=["ap-guangzhou", "ap-shangai"])
    proc = cli([*command, "-c", cfg, "--state", str(tmp_path / "s.db")] if command[0] != "doctor"
               else [*command, "-c", cfg], tmp_path)  # fmt: skip
    assert_clear_usage_error(proc, "mine.yaml: tencentcloud.regions", "'ap-shangai'", "the closest: ap-shanghai")


def test_each_account_s_regions_are_checked(tmp_path: Path, world: World, emulator: Emulator) -> None:
    cred = world.spec.credentials[0]
    keys = {"secret_id": cred.secret_id, "secret_key": cred.secret_key}
    accounts = [
        {"name": "prod", **keys, "region": "ap-guangzhou"},
        {"name": "staging", **keys, "region": "ap-shanghia"},
    ]
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"tencentcloud": {"endpoint_url": emulator.url}, "accounts": accounts}))
    proc = cli(["scan", "-c", str(config), "--no-notify", "--state", str(tmp_path / "s.db")], tmp_path)
    assert_clear_usage_error(proc, "c.yaml: accounts[1].region", "'ap-shanghia'", "account staging",
                             "the closest: ap-shanghai")  # fmt: skip


@pytest.mark.parametrize("fault", [{"code": "UnauthorizedOperation"}, {"effect": "http_500"}])
def test_a_failed_region_listing_is_no_usage_error(tmp_path: Path, world: World, fault: dict[str, Any]) -> None:
    """Without the listing nothing is known about names: the scan goes on, and says what the cloud said."""
    plan = FaultPlan.from_data({"faults": [{"service": "region", "action": "DescribeRegions", **fault}]})
    with Emulator(world, faults=plan) as emu:
        cfg = _config(tmp_path / "c.yaml", world, emu.url)
        typo = cli(["scan", "-c", cfg, "--no-notify", "--region", "ap-nowhere", "--state", str(tmp_path / "a.db")],
                   tmp_path)  # fmt: skip
        good = cli(["scan", "-c", cfg, "--no-notify", "--region", "ap-guangzhou", "--state", str(tmp_path / "b.db")],
                   tmp_path)  # fmt: skip
    assert typo.returncode == 3 and "UnsupportedRegion" in typo.stdout, typo.stdout + typo.stderr
    assert good.returncode == 0, good.stdout + good.stderr
