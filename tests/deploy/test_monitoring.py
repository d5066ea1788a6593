"""deploy/prometheus and deploy/grafana: only the contract's metrics and labels, well-formed queries and panels."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tke_orphans.serve.metrics import Metrics

from .conftest import METRICS, series_names

_METRIC = re.compile(r"tke_orphans_[a-z_]+")
_GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*\"")
_PAIRS = {")": "(", "]": "[", "}": "{"}


def check_query(expr: str) -> set[str]:
    """The contract metrics a PromQL expression uses; fails on any other tke_orphans_ name or unknown label."""
    depth: list[str] = []
    for ch in expr:
        if ch in "([{":
            depth.append(ch)
        elif ch in _PAIRS:
            assert depth and depth.pop() == _PAIRS[ch], f"unbalanced brackets in {expr!r}"
    assert not depth, f"unbalanced brackets in {expr!r}"

    known = series_names()
    used = _METRIC.findall(expr)
    assert used, f"{expr!r} uses no tke_orphans metric"
    unknown = set(used) - set(known)
    assert not unknown, f"{expr!r}: not in the metrics contract: {sorted(unknown)}"
    metrics = {known[name] for name in used}

    labels = set().union(*(METRICS[m][1] for m in metrics))
    if any(name.endswith("_bucket") for name in used):
        labels.add("le")
    referenced = {label.strip() for group in _GROUPING.findall(expr) for label in group.split(",") if label.strip()}
    referenced |= set(_MATCHER.findall(expr))
    assert referenced <= labels, f"{expr!r}: labels {sorted(referenced - labels)} are not on {sorted(metrics)}"
    return metrics


@pytest.mark.parametrize(
    "expr",
    [
        "sum(tke_orphans_orphan)",  # a misspelt name
        "sum by (cluster) (tke_orphans_orphans)",  # a label the metric does not have
        'tke_orphans_scans_total{result="ok"}',
        "sum(rate(tke_orphans_scan_duration_seconds[5m])",  # unbalanced
        "tke_orphans_scan_duration_seconds",  # a histogram has only _bucket, _sum and _count series
        "up == 0",
    ],
)
def test_query_check_rejects(expr: str) -> None:
    with pytest.raises(AssertionError):
        check_query(expr)


def _rules(alerts: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule for group in alerts["spec"]["groups"] for rule in group["rules"]]


def test_alert_rules_use_only_contract_metrics_and_labels(alerts: dict[str, Any]) -> None:
    assert alerts["apiVersion"] == "monitoring.coreos.com/v1" and alerts["kind"] == "PrometheusRule"
    rules = _rules(alerts)
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        metrics = check_query(rule["expr"])
        # Annotations may only name labels the expression keeps.
        labels = set().union(*(METRICS[m][1] for m in metrics))
        for text in rule["annotations"].values():
            assert set(re.findall(r"\$labels\.([a-z_]+)", text)) <= labels, rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}


def test_alert_rules_cover_each_failure(alerts: dict[str, Any]) -> None:
    covered = set().union(*(check_query(r["expr"]) for r in _rules(alerts)))
    assert {
        "tke_orphans_orphan_age_seconds",  # orphans present for over an hour
        "tke_orphans_last_scan_success_timestamp_seconds",  # scans failing
        "tke_orphans_region_up",
        "tke_orphans_notifications_total",
        "tke_orphans_unverified",
    } <= covered
    orphan_rule = next(r for r in _rules(alerts) if "tke_orphans_orphan_age_seconds" in r["expr"])
    assert "3600" in orphan_rule["expr"]


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))  # collapsed rows hold their panels
    return out


def test_dashboard_queries_use_only_contract_metrics(dashboard: dict[str, Any]) -> None:
    used = set()
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            used |= check_query(target["expr"])
    expected = {
        "tke_orphans_orphans",
        "tke_orphans_orphan_age_seconds",
        "tke_orphans_scan_duration_seconds",
        "tke_orphans_api_calls_total",
        "tke_orphans_notifications_total",
        "tke_orphans_region_up",
    }
    assert expected <= used


def test_dashboard_panels_have_unique_ids_and_use_the_datasource_variable(dashboard: dict[str, Any]) -> None:
    panels = _panels(dashboard)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    (variable,) = [v for v in dashboard["templating"]["list"] if v["type"] == "datasource"]
    assert variable["query"] == "prometheus"
    ref = "${" + variable["name"] + "}"
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == ref, f"panel {panel['id']} is bound to one datasource"
        assert panel["targets"], f"panel {panel['id']} has no query"
        assert all(t["datasource"]["uid"] == ref for t in panel["targets"])
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, f"panel {panel['id']} is wider than the dashboard"


def test_the_contract_is_what_serve_exposes() -> None:
    """The list above is the contract the rules and dashboard are checked against: check it against the product."""
    exposed = {}
    for family in Metrics().registry.collect():
        # prometheus-client names a counter's family without the `_total` its samples carry.
        name = f"{family.name}_total" if family.type == "counter" else family.name
        exposed[name] = family.type
    assert exposed == {name: kind for name, (kind, _) in METRICS.items()}
