"""The emulator as a user starts it: a subprocess that prints its URL first, and the official CLI against it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo-world.yaml"
SECRET_ID = "AKIDdemo0000000000000000000000000000"
SECRET_KEY = "demo-secret-key-0000000000000000"
CLI = [sys.executable, "-m", "tke_orphans"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [*CLI, "emulator", "serve", "--world", str(DEMO), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        yield url
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0  # SIGTERM ends it cleanly


def test_serve_prints_url_and_scan_runs_against_it(served: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TENCENTCLOUD_SECRET_ID": SECRET_ID,
        "TENCENTCLOUD_SECRET_KEY": SECRET_KEY,
        "HOME": str(tmp_path),
    }
    env.pop("TKE_ORPHANS_CONFIG", None)
    out = subprocess.run(
        [*CLI, "scan", "--endpoint-url", served, "--region", "ap-guangzhou", "--region", "ap-shanghai", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["orphans"]) == 4


def test_bad_world_file_is_rejected_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "credentials: [{secret_id: a, secret_key: b}]\n"
        "regions:\n  ap-guangzhou:\n    clusters:\n      - {ClusterId: cls-a1, CreatedTime: -1d,"
        " nodes: [{InstanceId: ins-nothere}]}\n",
        encoding="utf-8",
    )
    out = subprocess.run([*CLI, "emulator", "serve", "--world", str(bad)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert f"{bad}: regions.ap-guangzhou.clusters[0].nodes[0].InstanceId: ins-nothere is not an instance" in out.stderr
    assert "Traceback" not in out.stderr


def test_generate_command(tmp_path: Path) -> None:
    target = tmp_path / "g.json"
    out = subprocess.run(
        [*CLI, "emulator", "generate", "--regions", "2", "--instances", "500", "--clusters", "6", "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(target.read_text())
    assert sum(len(r["instances"]) for r in data["regions"].values()) == 500
    assert "orphans in the answer key" in out.stderr


def _tccli() -> str | None:
    return os.environ.get("TKE_ORPHANS_TCCLI") or shutil.which("tccli")


@pytest.mark.skipif(_tccli() is None, reason="tccli is not installed (make test installs it in .venv-tccli)")
def test_official_tccli_talks_to_the_emulator(served: str, tmp_path: Path) -> None:
    """A client we did not write: tccli signs over the literal Host `http://127.0.0.1:PORT`."""
    tccli = _tccli()
    assert tccli is not None
    env = {**os.environ, "HOME": str(tmp_path)}
    base = ["--secretId", SECRET_ID, "--secretKey", SECRET_KEY, "--endpoint", served]
    out = subprocess.run(
        [tccli, "cvm", "DescribeInstances", "--region", "ap-guangzhou", "--Limit", "100", *base],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    answer = json.loads(out.stdout)
    assert answer["TotalCount"] == 16
    assert "ins-gzorp001" in {i["InstanceId"] for i in answer["InstanceSet"]}
    masters = subprocess.run(
        [tccli, "tke", "DescribeClusterInstances", "--region", "ap-guangzhou", "--ClusterId", "cls-opsgz002",
         "--InstanceRole", "ALL", *base],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert masters.returncode == 0, masters.stdout + masters.stderr
    assert json.loads(masters.stdout)["TotalCount"] == 4
    wrong = subprocess.run(
        [tccli, "cvm", "DescribeInstances", "--region", "ap-guangzhou", "--secretId", SECRET_ID, "--secretKey",
         "wrong", "--endpoint", served],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert "AuthFailure.SignatureFailure" in wrong.stdout + wrong.stderr
    # The tag API across products: a deleted cluster's disk, CLBs and EIPs, by six-segment name.
    tagged = subprocess.run(
        [tccli, "tag", "GetResources", "--region", "ap-guangzhou", "--MaxResults", "200",
         "--TagFilters", '[{"TagKey": "tke-clusterId", "TagValue": ["cls-gone0001"]}]', *base],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert tagged.returncode == 0, tagged.stdout + tagged.stderr
    names = {m["Resource"] for m in json.loads(tagged.stdout)["ResourceTagMappingList"]}
    assert "qcs::cvm:ap-guangzhou:uin/100000000001:volume/disk-gzleft01" in names
    assert "qcs::clb:ap-guangzhou:uin/100000000001:clb/lb-gzleft01" in names
