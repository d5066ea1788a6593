"""The orphans' cost where people see it: chat messages (through the fake bots), the status page, the metrics and the
table, after real scans of the demo world (whose price table gives 1,654.30 CNY a month)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from prometheus_client import generate_latest
from typer.testing import CliRunner

from tke_orphans.cli import app
from tke_orphans.serve.metrics import Metrics
from tke_orphans.serve.page import render_page

from .conftest import Rig, rig_for


def test_the_new_orphans_message_tells_the_monthly_cost_in_its_header_and_per_instance(rig: Rig) -> None:
    rig.run()
    [text] = rig.texts("wecom")
    header, _, rest = text.partition("**1. ")
    assert "费用: 每月约 ¥1,654" in header
    assert "费用: 每月约 ¥416 (¥0.57/小时)" in rest  # ins-gzorp001, postpaid
    assert "费用: 每月约 ¥817" in rest.splitlines()  # ins-gzorp002, prepaid: its renewal


def test_a_reminder_tells_what_was_wasted_since_first_seen(rig: Rig) -> None:
    rig.run()
    rig.run(advance=timedelta(hours=25))
    reminder = rig.texts("wecom")[-1]
    # 25 hours of all four: (0.57 + 817/730 + 0.34 + 173/730) * 25 = 56.65
    assert "已浪费约 ¥56.65" in reminder


def test_the_status_page_shows_the_totals_and_the_costliest(rig: Rig) -> None:
    rig.run()
    html = render_page(rig.state.orphans.open_rows(), rig.state.scans.last(), rig.state.scans.recent(5), "en")
    assert "<p id='cost-total'>Monthly: <b>¥1,654</b>" in html
    top = html.split("<table id='top-cost'>")[1].split("</table>")[0]
    assert top.index("ins-gzorp002") < top.index("ins-gzorp001") < top.index("ins-gzorp003") < top.index("ins-shorp001")


def test_the_metric_sums_the_monthly_cost_per_region_and_reason(rig: Rig) -> None:
    job = rig.run(notify=False)
    metrics = Metrics()
    metrics.observe(job, 1.0, 0.0)
    text = generate_latest(metrics.registry).decode()
    line = (
        'tke_orphans_orphan_monthly_cost{account="default",currency="CNY",reason="cluster_deleted",'
        'region="ap-guangzhou"}'
    )
    assert f"{line} 817.0" in text


def test_the_table_has_a_monthly_column_and_sorts_by_cost(demo_data: dict[str, Any], tmp_path: Path) -> None:
    with rig_for(demo_data, tmp_path) as rig:
        cred = demo_data["credentials"][0]
        cfg = tmp_path / "c.yaml"
        cfg.write_text(json.dumps({"tencentcloud": {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"],
                                                    "regions": "all", "endpoint_url": rig.emulator.url}}))  # fmt: skip
        args = ["scan", "-c", str(cfg), "--state", str(tmp_path / "t.db"), "--no-notify", "--sort", "cost"]
        out = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
        assert out.exit_code == 0, out.output
        order = [i for line in out.stdout.splitlines() for i in ("ins-gzorp001", "ins-gzorp002", "ins-shorp001")
                 if i in line]  # fmt: skip
        assert order == ["ins-gzorp002", "ins-gzorp001", "ins-shorp001"]
        assert any(line.endswith(" ¥817") for line in out.stdout.splitlines())
        assert "Cost: about ¥1,654 a month" in out.stdout


# Every price API refused (no CAM permission for them): nothing can be priced.
NO_PRICES = [
    {"action": a, "code": "UnauthorizedOperation", "message": "no CAM permission"}
    for a in ("InquiryPriceRunInstances", "InquiryPriceRenewInstances", "DescribeZoneInstanceConfigInfos")
]


def scan_table(rig: Rig, data: dict[str, Any], tmp_path: Path) -> str:
    cred = data["credentials"][0]
    cfg = tmp_path / "c.yaml"
    cfg.write_text(json.dumps({"tencentcloud": {"secret_id": cred["secret_id"], "secret_key": cred["secret_key"],
                                                "regions": "all", "endpoint_url": rig.emulator.url}}))  # fmt: skip
    out = CliRunner().invoke(app, ["scan", "-c", str(cfg), "--state", str(tmp_path / "t.db"), "--no-notify"],
                             env={"COLUMNS": "200"})  # fmt: skip
    assert out.exit_code == 0, out.output
    return out.stdout


def test_with_nothing_priced_the_total_is_unknown_never_zero(demo_data: dict[str, Any], tmp_path: Path) -> None:
    with rig_for(demo_data, tmp_path, faults=NO_PRICES) as rig:
        rig.run()
        [text] = rig.texts("wecom")
        header = text.partition("**1. ")[0]
        assert "费用: 未知（4 台无法询价）" in header.splitlines()
        html = render_page(rig.state.orphans.open_rows(), rig.state.scans.last(), rig.state.scans.recent(5), "zh-CN")
        assert "<p id='cost-total'>每月: <b>未知</b> · 已浪费: 未知 · 无法询价: 4</p>" in html
        table = scan_table(rig, demo_data, tmp_path)
        assert "Cost: unknown (4 without a price)" in table.splitlines()
        assert "0.00" not in text + html + table


def test_each_amount_follows_the_one_rule_everywhere(rig: Rig, tmp_path: Path, demo_data: dict[str, Any]) -> None:
    """Whole yuan from ¥100 up, cents below, the currency always: the message, the page and the table agree."""
    rig.run()
    [text] = rig.texts("wecom")
    html = render_page(rig.state.orphans.open_rows(), rig.state.scans.last(), rig.state.scans.recent(5), "zh-CN")
    table = scan_table(rig, demo_data, tmp_path)
    for shown in (text, html, table):
        assert "¥1,654" in shown and "¥416" in shown and "¥416.10" not in shown
    assert "(¥0.57/小时)" in text  # an hourly price is below ¥100: in cents
