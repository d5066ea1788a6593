"""The status page, rendered by headless Chromium: what a person sees (a screenshot is kept in artifacts/)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime

import pytest

from tke_orphans.serve import Service
from tke_orphans.serve.page import render_page

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
ARTIFACTS = ROOT / "artifacts"
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs it)")


def chromium(*args: str) -> str:
    return chromium_with_log(*args)[0]


def chromium_with_log(*args: str) -> tuple[str, str]:
    """(stdout, stderr): with --enable-logging=stderr, stderr holds the console, CSP violations included."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout, out.stderr


@needs_chromium
def test_status_page_in_chromium(service: Service) -> None:
    service.run_pass()
    url = service.server.url + "/"
    dom = chromium("--dump-dom", url)
    assert "<title>孤儿 CVM 实例</title>" in dom
    assert '<span class="count" id="orphan-count">4</span>' in dom
    for instance_id in ("ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"):
        assert instance_id in dom
    assert "ins-gzmst001" not in dom and "ins-gzredis1" not in dom
    assert "集群已删除" in dom and "伸缩组标签" in dom and "<svg" in dom
    assert '<td class="ok">完整</td>' in dom
    english = chromium("--dump-dom", url + "?lang=en")
    assert "Orphaned CVM instances" in english and "cluster deleted" in english
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "status-page.png"
    shot.unlink(missing_ok=True)
    chromium(f"--screenshot={shot}", "--window-size=1280,1400", "--hide-scrollbars", url)
    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_page_escapes_what_comes_from_the_cloud() -> None:
    record = {
        "instance_id": "ins-x1", "instance_name": "<script>alert(1)</script>", "region": "ap-guangzhou",
        "zone": "ap-guangzhou-3", "cluster_id": None, "node_pool_id": None, "reason": "cluster_deleted",
        "evidence": [{"kind": "name", "detail": "<b>x</b>", "subject": "<img src=x>"}], "charge_type": "PREPAID",
        "expired_time": None,
    }  # fmt: skip
    row = {"record_json": json.dumps(record), "first_seen": "2026-11-01T00:00:00Z"}
    html = render_page([row], None, [], "en", now=datetime(2026, 11, 2, tzinfo=UTC))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html
    assert "1d" in html  # orphaned for a day


def test_page_without_any_scan() -> None:
    html = render_page([], None, [], "zh-CN")
    assert "没有孤儿实例" in html and "尚未扫描" in html
