"""serve --events, the poller: the real service loop and HTTP server over loopback, the emulator's CloudAudit log
written by TKE's own deleting calls (made here with the SDK's TkeClient), the chat sinks. An orphan made by
DeleteClusterInstances with retain is told after one poll and one scan of that account and region; a failing or empty
audit log changes no verdict and is told once; a burst of events makes no more scans than the floor allows."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.tke.v20180525 import models as tke_models
from tencentcloud.tke.v20180525.tke_client import TkeClient

from tke_orphans.config import Config, config_from_data
from tke_orphans.serve import Service
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, load_world
from tke_orphans_testkit.sinks import ChatSinks

from .conftest import DEMO, WECOM, config_data, get
from .test_backlog import wait_for
from .test_service import metric

GZ = "ap-guangzhou"
PROD = "cls-prodgz01"


def events_config(emu_url: str, sinks: ChatSinks, section: dict[str, Any], **events: Any) -> Config:
    """The serve tests' config with serve.events on (`section`: more of its keys, as a file has them). The poll
    interval and the floor are set below the config's minimum (10s), as only a test may: a model copy is not
    validated."""
    data = config_data(emu_url, sinks)
    data["serve"]["events"] = {"enabled": True, **section}
    cfg = config_from_data(data, "events-test")
    settings = {"poll_interval": timedelta(seconds=0.2), "floor": timedelta(seconds=0.5), **events}
    ev = cfg.serve.events.model_copy(update=settings)
    return cfg.model_copy(update={"serve": cfg.serve.model_copy(update={"events": ev})})


@dataclass
class Running:
    svc: Service
    emu: Emulator
    sinks: ChatSinks

    def tke(self, action: str, params: dict[str, Any]) -> Any:
        """One call of TKE's API with the real SDK, as the account's owner (the console, kubectl's operator)."""
        cred = load_world(DEMO).spec.credentials[0]
        profile = ClientProfile(httpProfile=HttpProfile(endpoint=self.emu.endpoint, protocol="http"))
        client = TkeClient(credential.Credential(cred.secret_id, cred.secret_key), GZ, profile)
        req = getattr(tke_models, f"{action}Request")()
        req.from_json_string(json.dumps(params))
        return json.loads(getattr(client, action)(req).to_json_string())

    def remove(self, *ids: str) -> Any:
        return self.tke("DeleteClusterInstances", {"ClusterId": PROD, "InstanceIds": list(ids),
                                                   "InstanceDeleteMode": "retain"})  # fmt: skip

    def texts(self) -> list[str]:
        return [a.text for a in self.sinks.accepted()]

    def open_ids(self) -> set[str]:
        return {t.instance_id for t in self.svc.state.orphans.open()}

    def first_pass(self) -> None:
        # Its notice delivered: the deliverer may not have taken it yet when the pass ends (idle, nothing sent).
        wait_for("the first pass and its notice",
                 lambda: self.svc.passes == 1 and bool(self.texts()) and self.svc.deliverer.wait_idle(1))  # fmt: skip


@contextmanager
def running(tmp_path: Path, section: dict[str, Any] | None = None, **events: Any) -> Iterator[Running]:
    """The service's own loop (Service.run) in a thread: a pass at start, then the events' scans; the interval is
    long enough that no other pass runs during a test."""
    tmp_path.mkdir(exist_ok=True)
    with Emulator(load_world(DEMO)) as emu, ChatSinks([WECOM]) as sinks, StateDB(tmp_path / "s.db") as db:
        cfg = events_config(emu.url, sinks, section or {}, **events)
        svc = Service(cfg, db, timedelta(hours=1), ("127.0.0.1", 0))
        loop = threading.Thread(target=svc.run)
        loop.start()
        try:
            yield Running(svc, emu, sinks)
        finally:
            svc.close()
            loop.join(30)


def test_an_orphan_made_by_delete_cluster_instances_is_told_after_one_poll_and_one_scan(tmp_path: Path) -> None:
    with running(tmp_path) as r:
        r.first_pass()
        assert "ins-gzweb001" not in r.open_ids()
        told = len(r.texts())
        assert r.remove("ins-gzweb001")["SuccInstanceIds"] == ["ins-gzweb001"]
        wait_for("the orphan's notice", lambda: any("ins-gzweb001" in t for t in r.texts()[told:]), timeout=60)
        [notice] = [t for t in r.texts()[told:] if "ins-gzweb001" in t]
        # Who removed it and how: the same audit record the poll heard (the world's credential is "demo").
        assert "来源: 由 `demo` 于 " in notice and "`DeleteClusterInstances`（保留实例）移出集群" in notice
        assert "ins-gzweb001" in r.open_ids()
        assert r.svc.passes == 1  # no interval pass: the event's scan found it
        assert r.svc.event_passes == 1
        text = get(r.svc.server.url + "/metrics")[1]
        assert metric(text, "tke_orphans_event_scans_total", status="ok") == 1
        assert metric(text, "tke_orphans_events_total", source="poll") == 1
        # The targeted scan asked that account's Guangzhou only: Shanghai's orphan stays open, its gauges stay.
        assert "ins-shorp001" in r.open_ids()
        assert metric(text, "tke_orphans_region_up", region="ap-shanghai") == 1


def test_an_event_whose_scan_finds_nothing_changes_nothing(tmp_path: Path) -> None:
    with running(tmp_path) as r:
        r.first_pass()
        before, told = r.open_ids(), len(r.texts())
        # Removed with its CVM terminated: the audit log has the call, the scan finds nothing left of it.
        gone = r.tke("DeleteClusterInstances", {"ClusterId": PROD, "InstanceIds": ["ins-gzweb002"],
                                                "InstanceDeleteMode": "terminate"})  # fmt: skip
        assert gone["SuccInstanceIds"] == ["ins-gzweb002"]
        wait_for("the event's scan", lambda: r.svc.event_passes == 1, timeout=60)
        assert r.svc.deliverer.wait_idle(30)
        assert r.open_ids() == before
        assert r.texts()[told:] == []


@pytest.mark.parametrize("audit", ["failing", "empty"])
def test_a_failing_or_empty_audit_log_changes_nothing_and_is_told_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, audit: str
) -> None:
    caplog.set_level(logging.INFO, logger="tke_orphans")
    with running(tmp_path) as r:
        if audit == "failing":
            fault = {"service": "cloudaudit", "action": "DescribeEvents", "code": "InternalError"}
            r.emu.faults = FaultPlan.from_data({"faults": [fault]})
        r.first_pass()
        before = (r.open_ids(), r.texts(), r.svc.state.scans.recent(1)[0]["status"])
        text = get(r.svc.server.url + "/metrics")[1]
        wait_for("five polls", lambda: polls(r, "error" if audit == "failing" else "ok") >= 5, timeout=60)
        r.svc.run_pass()  # an interval pass with the audit log still failing (or empty): the same verdicts
        assert r.svc.deliverer.wait_idle(30)
        assert (r.open_ids(), r.texts(), r.svc.state.scans.recent(1)[0]["status"]) == before
        assert r.svc.event_passes == 0
        after = get(r.svc.server.url + "/metrics")[1]
        assert metric(after, "tke_orphans_region_up", region=GZ) == metric(text, "tke_orphans_region_up", region=GZ)
        told = [m.getMessage() for m in caplog.records if "audit log" in m.getMessage()]
        if audit == "empty":
            assert told == []
            return
        assert len(told) == 1 and "cannot read default's audit log" in told[0], told
        # A node removed while the log cannot be read is heard of once it can: the failed polls' time is read again.
        r.remove("ins-gzweb001")
        failed = polls(r, "error")
        wait_for("another failed poll", lambda: polls(r, "error") > failed, timeout=60)
        r.emu.faults = FaultPlan([])
        wait_for("the event's scan", lambda: r.svc.event_passes == 1, timeout=60)
        assert "ins-gzweb001" in r.open_ids()
        told = [m.getMessage() for m in caplog.records if "audit log" in m.getMessage()]
        assert len(told) == 2 and "read again" in told[1], told


def polls(r: Running, outcome: str) -> float:
    return metric(get(r.svc.server.url + "/metrics")[1], "tke_orphans_event_polls_total", outcome=outcome)


def test_a_burst_of_events_makes_no_more_scans_than_the_floor_allows(tmp_path: Path) -> None:
    """100 deleting calls: the first brings a scan forward, the other 99 wait for the floor (an hour here, so no
    other scan may run during the test: at most 1 + elapsed // floor), as one scan."""
    with running(tmp_path, floor=timedelta(hours=1)) as r:
        r.first_pass()
        r.remove("ins-gzweb002")
        wait_for("the first event's scan", lambda: r.svc.event_passes >= 1, timeout=60)
        for _ in range(99):  # taken back and removed again: each removal is audited
            r.tke("AddExistedInstances", {"ClusterId": PROD, "InstanceIds": ["ins-gzweb002"]})
            r.remove("ins-gzweb002")
        wait_for("every event heard", lambda: events_heard(r) == 100, timeout=60)
        assert r.svc.reactor is not None and r.svc.reactor.next_at() is not None  # the other 99: one scan, later
        text = get(r.svc.server.url + "/metrics")[1]
        assert sum(metric(text, "tke_orphans_event_scans_total", status=s) for s in ("ok", "partial", "error")) == 1
        assert r.svc.event_passes == 1 and r.svc.passes == 1


def events_heard(r: Running) -> float:
    return metric(get(r.svc.server.url + "/metrics")[1], "tke_orphans_events_total", source="poll")


def test_an_event_scan_keeps_the_other_regions_problems_told(tmp_path: Path) -> None:
    """A scan of one region knows nothing of the others' problems: the next interval pass does not tell them again."""
    with running(tmp_path) as r:
        r.emu.faults = FaultPlan.from_data({"faults": [{"service": "cvm", "region": "ap-shanghai"}]})
        r.first_pass()
        assert any("ap-shanghai" in t for t in r.texts())  # could not check Shanghai: told
        told = len(r.texts())
        r.remove("ins-gzweb001")
        wait_for("the orphan's notice", lambda: any("ins-gzweb001" in t for t in r.texts()[told:]), timeout=60)
        told = len(r.texts())
        r.svc.run_pass()  # Shanghai still fails, nothing else changed: nothing to tell
        assert r.svc.deliverer.wait_idle(30)
        assert r.texts()[told:] == []
