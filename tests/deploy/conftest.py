"""Shared loading for the deployment tests: the manifests, the Dockerfile and the metric contract."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBE = DEPLOY / "kubernetes"

# The metrics `tke-orphans serve` exposes (the contract): name -> (type, labels).
METRICS: dict[str, tuple[str, frozenset[str]]] = {
    "tke_orphans_orphans": ("gauge", frozenset({"account", "region", "reason"})),
    "tke_orphans_orphan_age_seconds": ("gauge", frozenset({"account", "region", "instance_id", "reason"})),
    "tke_orphans_orphan_monthly_cost": ("gauge", frozenset({"account", "region", "reason", "currency"})),
    "tke_orphans_unverified": ("gauge", frozenset({"account", "region"})),
    "tke_orphans_leftovers": ("gauge", frozenset({"account", "region", "kind"})),
    "tke_orphans_leftover_age_seconds": ("gauge", frozenset({"account", "region", "kind", "resource_id"})),
    "tke_orphans_leftover_monthly_cost": ("gauge", frozenset({"account", "region", "kind", "currency"})),
    "tke_orphans_leftovers_checked": ("gauge", frozenset({"account", "region", "kind"})),
    "tke_orphans_reused_clbs": ("gauge", frozenset({"account", "region"})),
    "tke_orphans_region_up": ("gauge", frozenset({"account", "region"})),
    "tke_orphans_account_info": ("gauge", frozenset({"account", "uin", "node"})),
    "tke_orphans_scan_duration_seconds": ("histogram", frozenset()),
    "tke_orphans_scans_total": ("counter", frozenset({"status"})),
    "tke_orphans_last_scan_success_timestamp_seconds": ("gauge", frozenset()),
    "tke_orphans_last_scan_timestamp_seconds": ("gauge", frozenset()),
    "tke_orphans_api_calls_total": ("counter", frozenset({"service", "action", "outcome"})),
    "tke_orphans_notifications_total": ("counter", frozenset({"platform", "outcome"})),
    "tke_orphans_status_page_renders_total": ("counter", frozenset()),
    "tke_orphans_events_total": ("counter", frozenset({"source"})),
    "tke_orphans_event_polls_total": ("counter", frozenset({"outcome"})),
    "tke_orphans_event_scans_total": ("counter", frozenset({"status"})),
}


def series_names() -> dict[str, str]:
    """Every series name a query may use -> the contract metric it belongs to (a histogram has three)."""
    out = {}
    for name, (kind, _) in METRICS.items():
        if kind == "histogram":
            out.update({f"{name}{suffix}": name for suffix in ("_bucket", "_sum", "_count")})
        else:
            out[name] = name
    return out


@dataclass(frozen=True)
class Manifests:
    """The kustomization's resources, by file and by (kind, name)."""

    files: dict[str, list[dict[str, Any]]]

    def all(self) -> list[dict[str, Any]]:
        return [doc for docs in self.files.values() for doc in docs]

    def get(self, kind: str, name: str | None = None) -> dict[str, Any]:
        found = [d for d in self.all() if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
        assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
        return found[0]

    def names(self, kind: str) -> set[str]:
        return {d["metadata"]["name"] for d in self.all() if d["kind"] == kind}


def load_manifests() -> Manifests:
    files = {}
    for path in sorted(KUBE.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            files[path.name] = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    return Manifests(files)


@pytest.fixture(scope="session")
def manifests() -> Manifests:
    return load_manifests()


@pytest.fixture(scope="session")
def kustomization() -> dict[str, Any]:
    data = yaml.safe_load((KUBE / "kustomization.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def alerts() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def dashboard() -> dict[str, Any]:
    data = json.loads((DEPLOY / "grafana" / "tke-orphans.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@dataclass(frozen=True)
class Instruction:
    keyword: str
    value: str

    def exec_form(self) -> list[str]:
        parsed = json.loads(self.value)
        assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), f"{self.keyword}: not exec form"
        return parsed


def dockerfile_stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, continuation lines joined, one list per stage."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):  # a comment inside a continued instruction
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: list[list[Instruction]] = []
    for line in logical:
        keyword, _, value = line.strip().partition(" ")
        inst = Instruction(keyword.upper(), re.sub(r"\s+", " ", value).strip())
        if inst.keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(inst)
    return stages
