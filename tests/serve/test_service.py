"""serve: metrics with the right values after a pass, probes, a failed pass survived, SIGTERM handled."""

from __future__ import annotations

import re
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tke_orphans.config import config_from_data
from tke_orphans.serve import Service
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, load_world

from .conftest import DEMO, config_data, free_port, get, serve_process, write_yaml


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text format."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise KeyError(f"{name} {labels} not in the metrics")


def test_metrics_after_a_pass(service: Service) -> None:
    url = service.server.url
    assert get(url + "/healthz")[0] == 200
    assert get(url + "/readyz")[0] == 503  # no scan yet
    service.run_pass()
    assert get(url + "/readyz")[0] == 200
    assert service.deliverer.wait_idle(60)  # the notice goes in the background
    status, text = get(url + "/metrics")
    assert status == 200
    assert metric(text, "tke_orphans_orphans", region="ap-guangzhou", reason="removed_from_cluster") == 1
    assert metric(text, "tke_orphans_orphans", region="ap-guangzhou", reason="cluster_deleted") == 1
    assert metric(text, "tke_orphans_orphans", region="ap-shanghai", reason="removed_from_cluster") == 1
    assert metric(text, "tke_orphans_region_up", region="ap-shanghai") == 1
    assert metric(text, "tke_orphans_unverified", region="ap-guangzhou") == 0
    assert metric(text, "tke_orphans_scans_total", status="ok") == 1
    assert metric(text, "tke_orphans_notifications_total", platform="wecom", outcome="ok") == 2  # two parts
    assert metric(text, "tke_orphans_api_calls_total", service="cvm", action="DescribeInstances", outcome="ok") == 2
    assert metric(text, "tke_orphans_orphan_age_seconds", instance_id="ins-gzorp001") == 0
    assert metric(text, "tke_orphans_last_scan_success_timestamp_seconds") > time.time() - 60
    assert metric(text, "tke_orphans_scan_duration_seconds_count") == 1


def test_a_pass_where_the_api_fails_is_survived(service: Service) -> None:
    service.run_pass()
    service.emulator.faults = FaultPlan.from_data({"faults": [{"service": "cvm", "code": "InternalError"}]})  # type: ignore[attr-defined]
    service.run_pass()
    text = get(service.server.url + "/metrics")[1]
    assert metric(text, "tke_orphans_scans_total", status="error") == 1
    assert metric(text, "tke_orphans_region_up", region="ap-guangzhou") == 0
    assert metric(text, "tke_orphans_api_calls_total", service="cvm", action="DescribeInstances", outcome="error") == 2
    service.emulator.faults = FaultPlan([])  # type: ignore[attr-defined]
    service.run_pass()
    text = get(service.server.url + "/metrics")[1]
    assert metric(text, "tke_orphans_scans_total", status="ok") == 2
    assert metric(text, "tke_orphans_region_up", region="ap-guangzhou") == 1
    assert len(service.state.orphans.open()) == 4  # the failing pass resolved nothing


def test_a_pass_that_raises_is_logged_and_the_loop_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for var in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = config_from_data({"tencentcloud": {"region": "ap-guangzhou"}})  # no credentials anywhere
    with StateDB(tmp_path / "s.db") as db:
        svc = Service(cfg, db, timedelta(seconds=0.05), ("127.0.0.1", 0))
        runner = threading.Thread(target=svc.run)
        runner.start()
        deadline = time.monotonic() + 10
        while svc.passes < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        svc.stop.set()
        runner.join(timeout=10)
        assert not runner.is_alive() and svc.passes >= 3
        assert "scan pass failed" in caplog.text and "No Tencent Cloud credentials" in caplog.text
        text = get_metrics_once(svc)
        assert metric(text, "tke_orphans_scans_total", status="error") >= 3


def get_metrics_once(svc: Service) -> str:
    from prometheus_client import generate_latest

    return generate_latest(svc.metrics.registry).decode()


def test_serve_command_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with Emulator(load_world(DEMO), latency_ms=20) as emu:
        cfg = write_yaml(tmp_path / "c.yaml", config_data(emu.url))
        port = free_port()
        state = tmp_path / "state.db"
        proc = serve_process(cfg, state, tmp_path, port)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if get(f"http://127.0.0.1:{port}/readyz")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            assert get(f"http://127.0.0.1:{port}/readyz")[0] == 200
            # SIGTERM lands during a pass: once the second pass has made its first call, not after a guessed sleep.
            first_pass = emu.stats.snapshot()["totals"]["calls"]
            while emu.stats.snapshot()["totals"]["calls"] == first_pass:
                assert time.monotonic() < deadline, "no second pass"
                time.sleep(0.01)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
            log = proc.communicate()[1].splitlines()
        finally:
            if proc.poll() is None:
                proc.kill()
    # Each log line says when; the interval reads as it is written; the stop is said, last, with its signal.
    assert log and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (INFO|WARNING) ", line) for line in log), log
    assert any(line.endswith(f"serving on http://127.0.0.1:{port}, a scan every 1s") for line in log), log
    assert re.search(r"INFO stopped on SIGTERM after \d+ pass\(es\)$", log[-1]), log
    with StateDB(state) as db:  # intact, unlocked, and holding the passes that finished
        scans = db.scans.recent()
        assert scans and all(s["status"] == "ok" for s in scans)
        assert len(db.orphans.open()) == 4


def test_the_state_is_locked_pass_by_pass(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Between passes another command (cleanup, a scan) may use the state; during one, it may not."""
    with Emulator(load_world(DEMO)) as emu, StateDB(tmp_path / "s.db", lock=False) as db:
        svc = Service(config_from_data(config_data(emu.url)), db, timedelta(minutes=10), ("127.0.0.1", 0))
        svc.run_pass()
        with StateDB(tmp_path / "s.db") as other:  # between passes: free
            assert len(other.scans.recent()) == 1
            svc.run_pass()  # while the other holds it: this pass is skipped, not run into the same database
            assert "pass skipped" in caplog.text and "only one scan may use a state database" in caplog.text
        svc.run_pass()
        assert len(db.scans.recent()) == 2


def test_the_status_page_uses_the_configured_timezone(tmp_path: Path) -> None:
    with Emulator(load_world(DEMO)) as emu, StateDB(tmp_path / "s.db", lock=False) as db:
        data = config_data(emu.url)
        data["webhook"] = {"timezone": "Asia/Kolkata"}
        svc = Service(config_from_data(data), db, timedelta(minutes=10), ("127.0.0.1", 0))
        svc.run_pass()
        svc.server.start()
        try:
            status, html = get(svc.server.url + "/")
        finally:
            svc.server.stop()
    assert status == 200 and "UTC+5:30" in html and "UTC+8" not in html
