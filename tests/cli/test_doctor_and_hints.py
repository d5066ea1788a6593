"""What doctor and a refused key say, as the real command prints it (issue 20, items 7 and 8): one word for each
check's status, then its detail; and an AuthFailure's hint names where the refused keys came from (the config
file's keys, the environment variables, the credentials file), per account."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tke_orphans_testkit.emulator import Emulator, World

from .conftest import ROOT, write_config
from .test_terminal_output import assert_fits, run

ROW = re.compile(r"(?P<region>\S+)  +(?P<api>\S+(?: \S+)*)  +(?P<status>\S+)(?:  +(?P<detail>.+))?")


def rows(text: str) -> list[dict[str, Any]]:
    """Each check's line (a detail too long to stand beside it is on the indented lines under it)."""
    out: list[dict[str, Any]] = []
    for line in text.splitlines()[1:]:
        if line.startswith(" "):
            out[-1]["detail"] = " ".join(filter(None, [out[-1]["detail"], line.strip()]))
            continue
        m = ROW.fullmatch(line)
        assert m, line
        out.append(m.groupdict())
    return out


@pytest.mark.parametrize("width", [80, 120])
def test_doctor_says_one_status_word_then_the_detail(
    tmp_path: Path, world: World, emulator: Emulator, width: int
) -> None:
    cfg = str(write_config(tmp_path / "c.yaml", world, emulator.url))
    good = run(tmp_path, "doctor", "-c", cfg, columns=width)
    assert good.returncode == 0, good.stderr
    assert_fits(good.stdout, width)
    assert good.stdout.splitlines()[0].split() == ["REGION", "API", "STATUS", "DETAIL"]
    checks = rows(good.stdout)
    assert {c["status"] for c in checks} == {"OK"}
    [regions] = [c for c in checks if c["api"] == "region.DescribeRegions"]
    assert regions["detail"] == "2 regions"  # not "OK ok (2 regions)"
    [clusters] = [c for c in checks if c["api"] == "tke.DescribeClusters" and c["region"] == "ap-guangzhou"]
    assert clusters["detail"] == "2 found"
    assert all(re.fullmatch(r"\d+ (found|regions)", c["detail"]) for c in checks), checks
    if width == 80:  # the README's sample is lines of this output, in order
        readme = (ROOT / "README.md").read_text(encoding="utf-8").split("`tke-orphans doctor` prints one line", 1)[1]
        sample = readme.split("```\n", 2)[1].splitlines()
        lines = good.stdout.splitlines()
        assert [line for line in lines if line in sample] == sample, good.stdout
    bad = write_config(tmp_path / "bad.yaml", world, emulator.url, tencentcloud={"secret_key": "wrong-key-0000"})
    failed = run(tmp_path, "doctor", "-c", str(bad), columns=width)
    assert failed.returncode == 3
    assert_fits(failed.stdout, width)
    [check] = rows(failed.stdout)
    assert check["status"] == "FAIL" and check["detail"].startswith("AuthFailure.SignatureFailure: check ")


CLOUD_REFUSED = "The provided credentials could not be validated"


def _hints(tmp_path: Path, config: Path, **env: str) -> tuple[str, str]:
    """The scan's hint line and doctor's detail for the same keys."""
    scan = run(tmp_path, "scan", "-c", str(config), "--no-notify", "--state", str(tmp_path / "s.db"), columns=200,
               **env)  # fmt: skip
    assert scan.returncode == 3 and CLOUD_REFUSED in scan.stdout, scan.stdout + scan.stderr
    [hint] = [line.strip() for line in scan.stdout.splitlines() if line.strip().startswith("check ")]
    doctor = run(tmp_path, "doctor", "-c", str(config), columns=200, **env)
    assert doctor.returncode == 3, doctor.stdout + doctor.stderr
    [detail] = {c["detail"] for c in rows(doctor.stdout) if c["status"] == "FAIL"}
    return hint, detail


def _config(path: Path, emulator: Emulator, **tencentcloud: Any) -> Path:
    tc = {"region": "ap-guangzhou", "endpoint_url": emulator.url, "retry": {"max_attempts": 1}, **tencentcloud}
    path.write_text(yaml.safe_dump({"tencentcloud": tc}), encoding="utf-8")
    return path


def test_a_refused_key_from_the_config_names_the_file_and_keys(
    tmp_path: Path, world: World, emulator: Emulator
) -> None:
    sid = world.spec.credentials[0].secret_id
    hint, detail = _hints(tmp_path, _config(tmp_path / "mine.yaml", emulator, secret_id=sid, secret_key="wrong-1234"))
    assert hint.startswith("check tencentcloud.secret_id and secret_key in ") and "mine.yaml" in hint, hint
    assert "check tencentcloud.secret_id and secret_key in " in detail and "mine.yaml" in detail, detail


def test_a_refused_key_from_the_environment_names_the_variables(
    tmp_path: Path, world: World, emulator: Emulator
) -> None:
    sid = world.spec.credentials[0].secret_id
    env = {"TENCENTCLOUD_SECRET_ID": sid, "TENCENTCLOUD_SECRET_KEY": "wrong-1234"}
    hint, detail = _hints(tmp_path, _config(tmp_path / "c.yaml", emulator), **env)
    for said in (hint, detail):
        assert "the TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY environment variables" in said, said
        assert "tencentcloud.secret_id" not in said and "c.yaml" not in said, said


def test_a_refused_key_from_the_credentials_file_names_the_file(
    tmp_path: Path, world: World, emulator: Emulator
) -> None:
    profile = tmp_path / "home" / ".tencentcloud" / "credentials"
    profile.parent.mkdir(parents=True)
    profile.write_text(f"[default]\nsecret_id = {world.spec.credentials[0].secret_id}\nsecret_key = wrong-1234\n")
    hint, detail = _hints(tmp_path, _config(tmp_path / "c.yaml", emulator))
    for said in (hint, detail):
        assert f"secret_id and secret_key in {profile}" in said, said
        assert "tencentcloud.secret_id" not in said and "TENCENTCLOUD_SECRET_ID" not in said, said


def test_each_account_s_hint_names_its_own_keys(tmp_path: Path, world: World, emulator: Emulator) -> None:
    """Two accounts: one's keys from the config (wrong), the other's from the environment (right): the hint names
    only the refused account's keys."""
    cred = world.spec.credentials[0]
    accounts = [{"name": "prod", "secret_id": cred.secret_id, "secret_key": "wrong-1234", "region": "ap-guangzhou"},
                {"name": "staging", "region": "ap-shanghai"}]  # fmt: skip
    tc = {"endpoint_url": emulator.url, "retry": {"max_attempts": 1}}
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"tencentcloud": tc, "accounts": accounts}), encoding="utf-8")
    env = {"TENCENTCLOUD_SECRET_ID": cred.secret_id, "TENCENTCLOUD_SECRET_KEY": cred.secret_key}
    scan = run(tmp_path, "scan", "-c", str(config), "--no-notify", "--state", str(tmp_path / "s.db"), columns=200,
               **env)  # fmt: skip
    assert scan.returncode == 3, scan.stdout + scan.stderr
    [hint] = [line.strip() for line in scan.stdout.splitlines() if line.strip().startswith("check ")]
    assert hint.startswith("check prod's accounts[0].secret_id and secret_key in "), hint
    assert "staging" not in hint and "TENCENTCLOUD" not in hint, hint
