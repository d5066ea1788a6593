"""Notify only what changed: new, a digest every remind_every, resolved; never lose an alert, never send one twice."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.context import Run
from tke_orphans.model import EvidenceKind, Reason
from tke_orphans.records import parse_iso
from tke_orphans.scan import run_scan
from tke_orphans_testkit.emulator import FaultPlan
from tke_orphans_testkit.sinks import SinkFault

from .conftest import Rig, rig_for

ORPHANS = {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003", "ins-shorp001"}


def ids_in(text: str) -> set[str]:
    return set(re.findall(r"\*\*\d+\. (ins-[0-9a-z]+)\*\*", text))


def test_two_scans_one_message_then_a_digest_after_remind_every(rig: Rig) -> None:
    first = rig.run()
    assert [n.kind for n in first.notices] == ["new"]
    second = rig.run(advance=timedelta(hours=1))
    assert second.notices == [] and second.deliveries == []
    assert len(rig.texts()) == 1 and ids_in(rig.texts()[0]) == ORPHANS
    third = rig.run(advance=timedelta(hours=24))
    assert [n.kind for n in third.notices] == ["reminder"]
    digest = rig.texts()[-1]
    assert "仍有 4 个孤儿 CVM 实例未处理" in digest and ids_in(digest) == ORPHANS
    assert "已成孤儿 1天1小时（首次发现起）" in digest  # measured from when it was first seen
    assert len(rig.texts()) == 2
    assert rig.run(advance=timedelta(hours=1)).notices == []


def test_terminating_an_orphan_gives_one_resolved_message(rig: Rig) -> None:
    rig.run()
    rig.emulator.store.remove_instance("ap-guangzhou", "ins-gzorp002")
    job = rig.run(advance=timedelta(minutes=10))
    assert [n.kind for n in job.notices] == ["resolved"]
    [resolved] = job.notices[0].resolved
    assert (resolved.what.resource_id, resolved.how) == ("ins-gzorp002", "terminated")
    assert "1 个孤儿 CVM 实例已解决" in rig.texts()[-1] and "已销毁" in rig.texts()[-1]
    assert rig.sinks.accepted(platform="feishu")[-1].body["card"]["header"]["template"] == "green"
    assert rig.run(advance=timedelta(minutes=10)).notices == []  # resolved once, not again


def test_rejoining_a_cluster_resolves_as_rejoined(rig: Rig) -> None:
    rig.run()
    rig.emulator.store.add_node("ap-shanghai", "cls-prodsh01", "ins-shorp001")
    job = rig.run(advance=timedelta(minutes=10))
    [resolved] = job.notices[0].resolved
    assert (resolved.how, resolved.detail) == ("rejoined", "cls-prodsh01")


@pytest.mark.parametrize("listing", ["DescribeClusters", "DescribeInstances"])
def test_a_failing_region_does_not_resolve_its_orphans(demo_data: dict[str, Any], tmp_path: Path, listing: str) -> None:
    with rig_for(demo_data, tmp_path) as rig:
        rig.run()
        rig.emulator.faults = FaultPlan.from_data(
            {"faults": [{"action": listing, "region": "ap-guangzhou", "code": "InternalError"}]}
        )
        failing = rig.run(advance=timedelta(minutes=10))
        assert failing.result.status == "partial"
        assert all(n.kind != "resolved" for n in failing.notices)
        assert {o.instance.instance_id for o in failing.result.orphans} == {"ins-shorp001"}
        # Right after the failing pass, not only once healed: all four still open, none resolved.
        assert len(rig.state.orphans.open()) == 4
        assert not [e for e in rig.state.events.read() if e["kind"].startswith("resolved")]
        # The errors are told (once), as an incomplete check, not as resolutions.
        assert [n.kind for n in failing.notices] == ["new"] and "无法检查" in rig.texts()[-1]
        told = len(rig.texts())
        again = rig.run(advance=timedelta(minutes=10))  # the same failure again: not told again
        assert again.notices == [] and len(rig.texts()) == told
        rig.emulator.faults = FaultPlan([])
        healed = rig.run(advance=timedelta(minutes=10))
        assert healed.notices == []  # the same orphans as before: nothing new, nothing resolved
        assert len(rig.state.orphans.open()) == 4


def test_a_failed_delivery_is_sent_on_the_next_run_and_only_there(demo_data: dict[str, Any], tmp_path: Path) -> None:
    faults = [SinkFault(platform="feishu", token=None, effect="http_500", times=2)]  # 2 attempts a run
    with rig_for(demo_data, tmp_path, sink_faults=faults) as rig:
        first = rig.run()
        assert [(d.channel, d.ok) for d in first.deliveries] == [("wecom", True), ("feishu", False)]
        assert len(rig.sinks.accepted(platform="feishu")) == 0
        second = rig.run(advance=timedelta(minutes=10))
        assert [(d.channel, d.ok) for d in second.deliveries] == [("feishu", True)]
        assert ids_in(rig.texts("feishu")[0]) == ORPHANS
        assert len(rig.sinks.accepted(platform="wecom")) == 1  # not sent twice
        assert rig.run(advance=timedelta(minutes=10)).deliveries == []
        kinds = [e["kind"] for e in rig.state.events.read()]
        assert kinds.count("delivery_failed") == 1 and kinds.count("notified") == 2


def test_no_notify_looks_without_advancing_the_lifecycle(rig: Rig) -> None:
    quiet = rig.run(notify=False)
    assert quiet.notices == [] and rig.texts() == []
    loud = rig.run(advance=timedelta(minutes=5))
    assert [n.kind for n in loud.notices] == ["new"]


def test_no_notify_records_the_orphans_and_leaves_the_telling_to_the_next_scan(rig: Rig) -> None:
    """Issue 12: `cleanup` after a `scan --no-notify` knows how long each has been an orphan; the team still hears of
    them as new, once, from the next scan that notifies; nothing is resolved by a quiet scan."""
    quiet = rig.run(notify=False)
    found = {o.instance.instance_id for o in quiet.result.orphans}
    rows = {r["instance_id"]: r["first_seen"] for r in rig.state.orphans.open_rows()}
    assert set(rows) == found and found
    loud = rig.run(advance=timedelta(hours=2))
    [new] = [n for n in loud.notices if n.kind == "new"]
    assert {o.resource_id for o in new.findings} == found
    assert {i: new.first_seen[i] for i in found} == {i: parse_iso(rows[i]) for i in found}
    kinds = [e["kind"] for e in rig.state.events.read()]
    assert kinds.count("orphaned") == len(found)  # recorded once, not again when told
    assert rig.run(advance=timedelta(minutes=5)).notices == []  # told: no second "new"


def test_history_catches_a_renamed_untagged_vm(demo_data: dict[str, Any], tmp_path: Path) -> None:
    """A node whose name and tags say nothing, removed from its cluster: only memory can tell."""
    gz = demo_data["regions"]["ap-guangzhou"]
    gz["instances"].append({"InstanceId": "ins-plain001", "InstanceName": "worker-plain", "CreatedTime": "-30d",
                            "Placement": {"Zone": "ap-guangzhou-3"}, "PrivateIpAddresses": ["10.0.1.99"]})  # fmt: skip
    gz["clusters"][0]["nodes"].append({"InstanceId": "ins-plain001"})
    with rig_for(demo_data, tmp_path) as rig:
        assert "ins-plain001" not in {o.instance.instance_id for o in rig.run().result.orphans}
        rig.emulator.store.remove_node("ap-guangzhou", "ins-plain001")
        job = rig.run(advance=timedelta(hours=2))
        orphan = next(o for o in job.result.orphans if o.instance.instance_id == "ins-plain001")
        assert orphan.reason is Reason.REMOVED_FROM_CLUSTER and orphan.cluster_id == "cls-prodgz01"
        [evidence] = orphan.evidence
        assert evidence.kind is EvidenceKind.HISTORY and "node of cls-prodgz01 until" in evidence.detail
        assert ids_in(rig.texts()[-1]) == {"ins-plain001"}
        # Without the state, the same VM is invisible: no naming rule can find it.
        stateless = run_scan(Run(rig.config), now=lambda: rig.now)
        assert "ins-plain001" not in {o.instance.instance_id for o in stateless.orphans}
