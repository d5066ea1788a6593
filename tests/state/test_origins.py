"""Who left each orphan behind (CloudAudit): a node removed with "retain" through the real TkeClient is found by the
next pass with its origin, in the JSON, the message and the wide table; what CloudAudit cannot say leaves origin
null with the reason and changes no verdict or exit code; an origin found is kept in the state, not asked again."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.tke.v20180525 import models, tke_client

from tke_orphans.origins import NONE_FOUND
from tke_orphans.render.json import to_json
from tke_orphans.render.table import render_table
from tke_orphans_testkit.emulator import FaultPlan

from .conftest import Rig, rig_for

AUDIT_DOWN = [{"action": "DescribeEvents", "code": "InternalError", "times": 1000}]


def retain(rig: Rig, data: dict[str, Any], instance: str) -> str:
    """Remove a node of cls-prodgz01 keeping its instance, as a user would: the real SDK, signed with the keys."""
    cred = data["credentials"][0]
    http = HttpProfile(endpoint=rig.emulator.endpoint, protocol="http", reqTimeout=10)
    client = tke_client.TkeClient(Credential(cred["secret_id"], cred["secret_key"]), "ap-guangzhou",
                                  ClientProfile(httpProfile=http))  # fmt: skip
    req = models.DeleteClusterInstancesRequest()
    req.from_json_string(
        json.dumps({"ClusterId": "cls-prodgz01", "InstanceIds": [instance], "InstanceDeleteMode": "retain"})
    )
    return str(client.DeleteClusterInstances(req).RequestId)


def orphan_doc(doc: dict[str, Any], instance: str) -> dict[str, Any]:
    return next(o for o in doc["orphans"] if o["instance_id"] == instance)


def test_a_node_removed_with_retain_is_told_with_who_and_how(demo_data: dict[str, Any], tmp_path: Path) -> None:
    with rig_for(demo_data, tmp_path) as rig:
        rig.run()
        request_id = retain(rig, demo_data, "ins-gzweb002")
        job = rig.run(advance=timedelta(hours=2))  # past the grace period: the instance is an orphan now
        [new] = job.notices
        text = rig.texts()[-1]
        doc = to_json(job.result)
        console = Console(width=400, record=True)
        render_table(job.result, console, wide=True)
        table = console.export_text()
    origin = orphan_doc(doc, "ins-gzweb002")["origin"]
    assert origin["event"] == "DeleteClusterInstances" and origin["how"] == "retain"
    assert origin["who"] == "demo" and origin["request_id"] == request_id
    assert [f.resource_id for f in new.findings] == ["ins-gzweb002"]
    assert "来源: 由 `demo` 于 " in text and " 通过 `DeleteClusterInstances`（保留实例）移出集群" in text
    # An orphan no audited call names: no origin, and why.
    assert orphan_doc(doc, "ins-gzorp003")["origin"] is None
    assert orphan_doc(doc, "ins-gzorp003")["origin_note"] == NONE_FOUND
    # The demo world's own log: alice removed ins-gzorp001 keeping it; bob deleted cls-gone0001 keeping its workers.
    assert orphan_doc(doc, "ins-gzorp001")["origin"]["who"] == "alice"
    assert orphan_doc(doc, "ins-gzorp002")["origin"]["how"] == "cluster_deleted"
    [row] = [line for line in table.splitlines() if "ins-gzweb002" in line]
    assert row.endswith("DeleteClusterInstances (node removed, instance kept)") and " demo 20" in row


def test_a_failing_audit_log_changes_no_verdict(demo_data: dict[str, Any], tmp_path: Path) -> None:
    with rig_for(demo_data, tmp_path) as quiet:
        expected = quiet.run().result
    (tmp_path / "down").mkdir()
    with rig_for(demo_data, tmp_path / "down", faults=AUDIT_DOWN) as rig:
        result = rig.run().result
    assert result.status == expected.status == "ok"
    assert [o.resource_id for o in result.orphans] == [o.resource_id for o in expected.orphans]
    assert all(o.origin is None and o.origin_note.startswith("the audit log could not be read") for o in result.orphans)


def test_an_origin_found_is_kept_not_asked_again(demo_data: dict[str, Any], tmp_path: Path) -> None:
    """Once found, an origin is the state's: the audit log failing later takes nothing away."""
    with rig_for(demo_data, tmp_path) as rig:
        rig.run()
        retain(rig, demo_data, "ins-gzweb002")
        rig.run(advance=timedelta(hours=2))
        rig.emulator.faults = FaultPlan.from_data({"faults": AUDIT_DOWN})
        result = rig.run(advance=timedelta(minutes=10)).result
        stored = {t.instance_id: t.record.get("origin") for t in rig.state.orphans.open()}
    [kept] = [o for o in result.orphans if o.resource_id == "ins-gzweb002"]
    assert kept.origin is not None and kept.origin.how == "retain" and kept.origin_note == ""
    assert isinstance(stored["ins-gzweb002"], dict) and stored["ins-gzweb002"]["how"] == "retain"
    # The others: those found before kept theirs; the young ones never found were asked again and could not be.
    for o in result.orphans:
        assert o.origin is not None or o.origin_note.startswith("the audit log could not be read"), o
