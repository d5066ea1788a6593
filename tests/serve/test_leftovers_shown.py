"""Leftovers on the status page and in the metrics, as served over a real socket after a real pass: the reused CLBs
apart, cloud text escaped, and a kind whose listing failed counted as unknown (absent), never as 0."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import generate_latest

from tke_orphans.config import config_from_data
from tke_orphans.job import JobResult
from tke_orphans.model import Cost, Leftover, RegionResult, ScanResult
from tke_orphans.serve import Service
from tke_orphans.serve.metrics import Metrics
from tke_orphans.serve.page import render_page
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, world_from_data

from ..hostile import NAME, assert_inert
from .conftest import DEMO, config_data, get
from .test_service import metric

GZ, SH = "ap-guangzhou", "ap-shanghai"
ALL = {"leftovers": ["cbs_disk", "clb", "eip"]}
MADE = {"disk-gzleft01": "cbs_disk", "lb-gzleft01": "clb", "eip-gzleft01": "eip"}


@pytest.fixture
def service_for(tmp_path: Path) -> Callable[..., AbstractContextManager[Service]]:
    @contextmanager
    def make(data: dict[str, Any] | None = None) -> Iterator[Service]:
        data = data or yaml.safe_load(DEMO.read_text(encoding="utf-8"))
        with Emulator(world_from_data(data)) as emu, StateDB(tmp_path / "s.db") as db:
            cfg = config_from_data(config_data(emu.url, detection=ALL), "serve-test")
            svc = Service(cfg, db, timedelta(minutes=10), ("127.0.0.1", 0))
            svc.emulator = emu  # type: ignore[attr-defined]
            svc.server.start()
            try:
                svc.run_pass()
                yield svc
            finally:
                svc.server.stop()

    return make


def table(html: str, table_id: str) -> str:
    match = re.search(f"<table id='{table_id}'>(.*?)</table>", html, re.S)
    assert match, f"no table {table_id}"
    return match.group(1)


def test_the_page_lists_the_leftovers_and_the_reused_clbs_apart(
    service_for: Callable[..., AbstractContextManager[Service]],
) -> None:
    with service_for() as svc:
        status, html = get(svc.server.url + "/?lang=en")
        _, zh = get(svc.server.url + "/")
    assert status == 200
    made, reused = table(html, "leftovers"), table(html, "reused-clbs")
    assert all(rid in made for rid in MADE) and "lb-gzreuse1" not in made
    assert "lb-gzreuse1" in reused and not any(rid in reused for rid in MADE)
    assert "<h2>Left behind by deleted clusters (3)</h2>" in html and "<b id='leftover-count'>3</b>" in html
    disk = next(row for row in made.split("<tr>") if "disk-gzleft01" in row)
    assert "<td>CBS disk</td><td>ap-guangzhou</td><td>cls-gone0001</td><td>UNATTACHED</td>" in disk
    assert "tag tke-cbs-provisioner-createBy-flag=yes<br>" in disk
    assert "<h2>已删除集群遗留的资源 (3)</h2>" in zh and "被已删除集群复用的用户自有 CLB（非 TKE 创建，勿清理）" in zh


def test_the_page_escapes_a_leftovers_cloud_text(service_for: Callable[..., AbstractContextManager[Service]]) -> None:
    data = copy.deepcopy(yaml.safe_load(DEMO.read_text(encoding="utf-8")))
    disks = data["regions"][GZ]["disks"]
    next(d for d in disks if d["DiskId"] == "disk-gzleft01")["DiskName"] = NAME
    with service_for(data) as svc:
        _, html = get(svc.server.url + "/?lang=en")
    made = table(html, "leftovers")
    assert "\x1b" not in html
    assert_inert(html)
    assert "<script>" not in made and "&lt;script&gt;alert(1)&lt;/script&gt;" in made
    assert "\\x1b[2J" in made and "\\u202eevil" in made  # shown, not obeyed


def test_metrics_count_leftovers_by_kind_and_region_and_a_failed_listing_as_unknown(
    service_for: Callable[..., AbstractContextManager[Service]],
) -> None:
    with service_for() as svc:
        _, text = get(svc.server.url + "/metrics")
        for kind in MADE.values():
            assert metric(text, "tke_orphans_leftovers", region=GZ, kind=kind) == 1
            assert metric(text, "tke_orphans_leftovers", region=SH, kind=kind) == 0  # checked, none there
            assert metric(text, "tke_orphans_leftovers_checked", region=GZ, kind=kind) == 1
        assert metric(text, "tke_orphans_reused_clbs", region=GZ) == 1
        assert metric(text, "tke_orphans_leftover_age_seconds", resource_id="disk-gzleft01", kind="cbs_disk") == 0
        with pytest.raises(KeyError):  # the user's CLB has no age as a leftover: it is none
            metric(text, "tke_orphans_leftover_age_seconds", resource_id="lb-gzreuse1")
        fault = {"action": "DescribeDisks", "region": GZ, "effect": "http_500"}
        svc.emulator.faults = FaultPlan.from_data({"faults": [fault]})  # type: ignore[attr-defined]
        svc.run_pass()
        _, text = get(svc.server.url + "/metrics")
    assert metric(text, "tke_orphans_leftovers_checked", region=GZ, kind="cbs_disk") == 0
    with pytest.raises(KeyError):  # unknown, not "no disk left over"
        metric(text, "tke_orphans_leftovers", region=GZ, kind="cbs_disk")
    assert metric(text, "tke_orphans_leftovers", region=SH, kind="cbs_disk") == 0


# ---- cost, with prices constructed here (the scan prices leftovers once pricing covers them) ---------------------

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _leftover(rid: str, kind: str, cost: Cost | None, *, reused: bool = False) -> Leftover:
    return Leftover("default", GZ, kind, rid, "pvc-x", "cls-gone0001", ("tag tke-clusterId=cls-gone0001",),
                    "UNATTACHED", NOW - timedelta(days=60), reused=reused, cost=cost)  # fmt: skip


PRICED = (
    _leftover("disk-1", "cbs_disk", Cost("CNY", 0.05, 36.5, "inquiry", "100 GB premium")),
    _leftover("disk-2", "cbs_disk", Cost("CNY", 0.02, 14.6, "inquiry", "40 GB premium")),
    _leftover("lb-1", "clb", Cost("CNY", None, None, None, "no quote for this type")),
    _leftover("lb-9", "clb", Cost("CNY", 0.5, 365.0, "inquiry", "the user's"), reused=True),
)


def test_the_monthly_cost_metric_sums_the_priced_leftovers_and_never_a_users_clb() -> None:
    result = ScanResult(NOW, "ok", (RegionResult("default", GZ, "ok", 0, 0, 0),), (), (), (), leftovers=PRICED)
    metrics = Metrics(["cbs_disk", "clb"])
    metrics.observe(JobResult(result, first_seen={"disk-1": NOW}), 1.0, 0.0)
    text = generate_latest(metrics.registry).decode()
    assert metric(text, "tke_orphans_leftover_monthly_cost", kind="cbs_disk", currency="CNY") == 51.1
    with pytest.raises(KeyError):  # the unpriced CLB has no figure, and the reused one is not waste
        metric(text, "tke_orphans_leftover_monthly_cost", kind="clb")
    assert metric(text, "tke_orphans_leftovers", kind="clb") == 1 and metric(text, "tke_orphans_reused_clbs") == 1


def test_the_page_shows_what_the_leftovers_cost() -> None:
    first = NOW - timedelta(hours=10)
    html = render_page([], None, [], "en", now=NOW, leftovers=[(x, first) for x in PRICED])
    # 10 hours of 0.05 + 0.02 an hour wasted; the CLB without a price counted apart; the user's CLB in no sum.
    assert "<p id='leftover-cost'>Monthly: <b>¥51.10</b> · Wasted so far: ¥0.70 · Without a price: 1</p>" in html
    assert "<td>¥36.50</td>" in table(html, "leftovers") and "365" not in html
