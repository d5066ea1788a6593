"""deploy/events: the SCF function signs as the service verifies (the function imported and run against the real
service over loopback), and the EventBridge rule's pattern, as the README shows it, matches the audit record of a
real DeleteClusterInstances and names exactly the calls the service listens for."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tke_orphans.cloud.audit import NAMES

from .conftest import ROOT
from .test_backlog import wait_for
from .test_events_post import SECRET, audit_record, delivered, posted, service

EVENTS = ROOT / "deploy" / "events"


def function() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scf_index", EVENTS / "index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge's matching, as far as the rule uses it: every key of the pattern present, nested alike; a list is
    the values allowed (ORed), keys ANDed, exact and case-sensitive."""
    if isinstance(pattern, dict):
        return isinstance(event, dict) and all(k in event and matches(v, event[k]) for k, v in pattern.items())
    return event in pattern


def test_the_function_forwards_signed_and_the_service_takes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scf = function()
    with service(tmp_path, monkeypatch) as r:
        event = json.loads(delivered(audit_record(r)))
        monkeypatch.setenv("TKE_ORPHANS_EVENTS_URL", r.svc.server.url + "/events")
        monkeypatch.setenv("TKE_ORPHANS_EVENTS_SECRET", "not-the-secret")
        assert scf.main_handler(event, None) == {"status": 401, "reason": "wrong signature"}  # returned, not raised
        monkeypatch.setenv("TKE_ORPHANS_EVENTS_SECRET", SECRET)
        assert scf.main_handler(event, None) == {"status": 202, "reason": "a scan is due"}
        assert posted(r) == 1
        wait_for("the orphan's notice", lambda: any("ins-gzweb001" in t for t in r.texts()), timeout=60)
        assert "ins-gzweb001" in r.open_ids()


def test_the_rule_matches_tke_deleting_calls_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = json.loads((EVENTS / "rule.json").read_text(encoding="utf-8"))
    shown = re.search(r"```json\n(.*?)```", (EVENTS / "README.md").read_text(encoding="utf-8"), re.S)
    assert shown is not None and json.loads(shown.group(1)) == rule
    assert rule["data"]["eventName"] == list(NAMES)
    with service(tmp_path, monkeypatch) as r:
        event = json.loads(delivered(audit_record(r)))
    assert matches(rule, event)
    assert matches(rule, {**event, "type": "tke:CloudEvent:ConsoleCall"})
    assert not matches(rule, {**event, "data": {**event["data"], "eventName": "DescribeClusters"}})
    assert not matches(rule, {**event, "source": "cvm.cloud.tencent", "type": "cvm:CloudEvent:ApiCall"})
