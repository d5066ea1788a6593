"""tencentcloud.workers: regions scanned in worker processes give the very ScanResult one process gives, failures
included; the parent's cancel reaches the workers; calls and logs reach the parent."""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from tke_orphans.context import Run
from tke_orphans.model import ScanResult
from tke_orphans.scan import run_scan
from tke_orphans_testkit.emulator import Emulator, FaultPlan, world_from_data
from tke_orphans_testkit.emulator.generate import generate_world

from .conftest import config_for

NOW = datetime.now(UTC).replace(microsecond=0)  # one moment for both scans: their results must be equal
# Failures that do not depend on the order of the calls: whole APIs of whole regions, one cluster's nodes.
FAULTS = [
    {"service": "cvm", "action": "DescribeInstances", "region": "ap-beijing", "code": "AuthFailure.SignatureFailure"},
    {"service": "tke", "action": "DescribeNodePools", "region": "ap-shanghai", "effect": "http_500"},
]


def on_call(calls: list[str], api: str, region: str, outcome: str) -> None:
    calls.append(api)


def scan_both(data: dict[str, Any], workers: int, faults: list[dict[str, Any]] | None = None) -> list[ScanResult]:
    """One emulator for both scans: the world's times are relative to its load."""
    world = world_from_data(data)
    out: list[ScanResult] = []
    with Emulator(world, faults=FaultPlan.from_data({"seed": 1, "faults": faults or []})) as emu:
        for n in (1, workers):
            calls: list[str] = []
            cfg = config_for(world, emu.url, tencentcloud={"workers": n})
            out.append(run_scan(Run(cfg, listener=partial(on_call, calls)), now=lambda: NOW))
            served = emu.stats.snapshot()["totals"]["calls"]
            emu.stats.reset()
            assert len(calls) == served > 0  # every call reached the parent's listener
    return out


def test_demo_world_same_result_in_one_process_and_in_two(demo: dict[str, Any]) -> None:
    one, two = scan_both(demo, 2)
    assert len(one.regions) == 2 and one.orphans
    assert two == one


@pytest.mark.parametrize("faults", [[], FAULTS], ids=["clean", "faults"])
def test_generated_world_same_result_in_one_process_and_in_three(
    faults: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    data = generate_world(regions=4, instances=1200, clusters=12, seed=5)
    with caplog.at_level(logging.DEBUG, logger="tke_orphans"):
        one, three = scan_both(data, 3, faults)
    if faults:
        # The second scan's regions ran in other processes, whose log records (the retries) reached this one.
        assert {r.process for r in caplog.records if "retry in" in r.getMessage()} - {os.getpid()}
        status = {r.region: r.status for r in one.regions}
        assert status["ap-beijing"] == "error" and status["ap-shanghai"] == "partial", status
    else:
        assert len(one.orphans) == len(data["answer_key"]["orphans"])
    assert three == one


def test_cancel_reaches_the_workers() -> None:
    """A region throttled without end would wait until the deadline; the parent's cancel must end its waits."""
    data = generate_world(regions=2, instances=200, clusters=2, seed=2)
    world = world_from_data(data)
    throttled = [{"service": "cvm", "action": "DescribeInstances", "region": "ap-shanghai",
                  "code": "RequestLimitExceeded"}]  # fmt: skip
    cancel = threading.Event()

    def on_call(api: str, region: str, outcome: str) -> None:
        if outcome == "retry":  # the first throttled answer, forwarded from the worker
            cancel.set()

    with Emulator(world, faults=FaultPlan.from_data({"faults": throttled})) as emu:
        retry = {"base_delay": 1, "max_delay": 1, "throttle_deadline": 30}
        cfg = config_for(world, emu.url, tencentcloud={"workers": 2, "retry": retry})
        result = run_scan(Run(cfg, listener=on_call, cancel=cancel))
    shanghai = next(r for r in result.regions if r.region == "ap-shanghai")
    assert {(e.api, e.code) for e in shanghai.errors} >= {("cvm.DescribeInstances", "Cancelled")}, shanghai.errors
    assert {e.code for e in shanghai.errors} == {"Cancelled"}, shanghai.errors  # not "still throttled at the deadline"


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_ends_a_pacing_wait_at_once(workers: int) -> None:
    """One DescribeInstances every 50 seconds: after the first page each region waits for its turn, and a cancel
    (Ctrl-C in `scan`, SIGTERM in `serve`) must end that wait, in this process as in the workers, with no call made."""
    world = world_from_data(generate_world(regions=2, instances=600, clusters=2, seed=2))
    cancel = threading.Event()

    def on_call(api: str, region: str, outcome: str) -> None:
        if api == "cvm.DescribeInstances":  # the first page: the second is then waited for
            threading.Timer(0.5, cancel.set).start()

    with Emulator(world) as emu:
        slow = {"cvm.DescribeInstances": 0.02}
        cfg = config_for(world, emu.url, tencentcloud={"workers": workers, "rate_limits": slow})
        started = time.monotonic()
        result = run_scan(Run(cfg, listener=on_call, cancel=cancel))
        took = time.monotonic() - started
    assert took < 25, f"the pacing wait (50 s) was not cut short: {took:.0f}s"
    errors = {(e.api, e.code) for r in result.regions for e in r.errors}
    assert ("cvm.DescribeInstances", "Cancelled") in errors, errors
