"""Cleanup cannot hurt a cluster: staged, capped, re-checked right before acting; the dry run is the real run
up to the mutating call."""

from __future__ import annotations

from datetime import timedelta

from tke_orphans.cloud.actions import MARK_TAG

from .conftest import DAY, ORPHANS, Rig, fail_cluster, outcomes


def test_dry_run_changes_nothing_and_says_what_it_would_do(rig: Rig) -> None:
    report = rig.cleanup(action="terminate")
    got = outcomes(report)
    assert {i for i, (o, _) in got.items() if o == "dry-run"} == ORPHANS
    assert got["ins-gzorp002"][1].startswith("would terminate (prepaid")
    for region, iid in [("ap-guangzhou", "ins-gzorp001"), ("ap-shanghai", "ins-shorp001")]:
        assert rig.instance(region, iid)["InstanceState"] == "RUNNING"
    assert not report.failed


def test_terminate_returns_instances_as_the_cloud_does(rig: Rig) -> None:
    report = rig.cleanup(action="terminate", dry_run=False)
    got = outcomes(report)
    assert {i for i, (o, _) in got.items() if o == "done"} == ORPHANS
    postpaid = rig.instance("ap-guangzhou", "ins-gzorp001")
    assert (postpaid["InstanceState"], postpaid["IsolatedSource"]) == ("SHUTDOWN", "NOTISOLATED")
    prepaid = rig.instance("ap-guangzhou", "ins-gzorp002")
    assert (prepaid["InstanceState"], prepaid["IsolatedSource"]) == ("SHUTDOWN", "MANMADE")
    assert "prepaid: returned and isolated" in got["ins-gzorp002"][1]
    # Nothing else was touched: no node, no decoy.
    states = {d["InstanceId"]: d["InstanceState"] for d in rig.emulator.store.regions["ap-guangzhou"].instances}
    assert {i for i, s in states.items() if s == "SHUTDOWN"} == {"ins-gzorp001", "ins-gzorp002", "ins-gzorp003",
                                                                 "ins-gzdown01"}  # fmt: skip
    # Recorded: the next scan resolves them as terminated.
    rig.scan(rig.t0 + DAY + timedelta(minutes=5))
    assert rig.state.open_orphans() == []


def test_the_cap_refuses_an_oversized_run(rig: Rig) -> None:
    report = rig.cleanup(action="terminate", dry_run=False, max=3)
    assert report.failed and "4 instances qualify, more than --max 3" in report.refused
    assert {o for o, _ in outcomes(report).values()} == {"refused"}
    assert rig.instance("ap-shanghai", "ins-shorp001")["InstanceState"] == "RUNNING"


def test_an_instance_that_rejoined_a_cluster_is_left_alone(rig: Rig) -> None:
    rig.emulator.store.add_node("ap-shanghai", "cls-prodsh01", "ins-shorp001")
    got = outcomes(rig.cleanup(action="terminate", dry_run=False))
    assert got["ins-shorp001"] == ("skipped", "now a node of cls-prodsh01")
    assert rig.instance("ap-shanghai", "ins-shorp001")["InstanceState"] == "RUNNING"


def test_a_failing_cluster_listing_blocks_its_whole_region(rig: Rig) -> None:
    fail_cluster(rig, "cls-prodgz01")
    got = outcomes(rig.cleanup(action="terminate", dry_run=False))
    for iid in ("ins-gzorp001", "ins-gzorp002", "ins-gzorp003"):
        assert got[iid][0] == "skipped" and "fresh check of ap-guangzhou failed" in got[iid][1]
        assert rig.instance("ap-guangzhou", iid)["InstanceState"] == "RUNNING"
    assert got["ins-shorp001"][0] == "done"  # the other region, checked completely, goes on


def test_protection_and_ignore_tag_are_honoured(rig: Rig) -> None:
    rig.emulator.store.set_instance("ap-guangzhou", "ins-gzorp001", DisableApiTermination=True)
    tags = [{"Key": "tke-orphans:ignore", "Value": "true"}]
    rig.emulator.store.set_instance("ap-guangzhou", "ins-gzorp003", Tags=tags)
    got = outcomes(rig.cleanup(action="terminate", dry_run=False))
    assert got["ins-gzorp001"] == ("skipped", "termination protection (DisableApiTermination) is on")
    assert got["ins-gzorp003"] == ("skipped", "ignored: tag tke-orphans:ignore=true")
    assert rig.instance("ap-guangzhou", "ins-gzorp001")["InstanceState"] == "RUNNING"


def test_too_young_orphans_and_incomplete_regions_are_not_acted_on(rig: Rig) -> None:
    got = outcomes(rig.cleanup(after=timedelta(hours=2), action="terminate", dry_run=False))
    assert {o for o, _ in got.values()} == {"skipped"}
    assert all("less than --min-orphan-age" in d for _, d in got.values())
    fail_cluster(rig, "cls-prodsh01")
    rig.scan(rig.t0 + timedelta(hours=1))  # shanghai's last scan is now incomplete...
    rig.emulator.faults.rules = []  # ...even though the cloud has recovered since
    got = outcomes(rig.cleanup(action="terminate", dry_run=False))
    assert got["ins-shorp001"] == ("skipped", "the last scan of ap-shanghai was incomplete")


def test_mark_then_terminate_after_the_mark_is_old_enough(rig: Rig) -> None:
    marked = outcomes(rig.cleanup(action="mark", dry_run=False, only=frozenset({"ins-gzorp003"})))
    assert marked["ins-gzorp003"][0] == "done"
    tags = {t["Key"]: t["Value"] for t in rig.instance("ap-guangzhou", "ins-gzorp003")["Tags"]}
    assert tags[MARK_TAG].endswith("Z")
    both = frozenset({"ins-gzorp003", "ins-gzorp001"})
    early = outcomes(rig.cleanup(action="terminate", dry_run=False, only=both, min_mark_age=timedelta(hours=12)))
    assert early["ins-gzorp003"][0] == "skipped" and "less than --min-mark-age" in early["ins-gzorp003"][1]
    assert early["ins-gzorp001"][1].startswith("not marked")
    late = outcomes(rig.cleanup(after=DAY + timedelta(hours=13), action="terminate", dry_run=False, only=both,
                                min_mark_age=timedelta(hours=12)))  # fmt: skip
    assert late["ins-gzorp003"][0] == "done" and late["ins-gzorp001"][0] == "skipped"


def test_readd_puts_a_node_back(rig: Rig) -> None:
    report = rig.cleanup(action="readd", dry_run=False, cluster_id="cls-prodsh01", node_pool_id="np-api00001",
                         only=frozenset({"ins-shorp001"}))  # fmt: skip
    assert outcomes(report)["ins-shorp001"] == ("done", "added to cls-prodsh01/np-api00001")
    assert rig.emulator.store.regions["ap-shanghai"].node_of["ins-shorp001"] == "cls-prodsh01"
    rig.scan(rig.t0 + DAY + timedelta(minutes=5))
    assert "ins-shorp001" not in {t.instance_id for t in rig.state.open_orphans()}
    events = rig.state.events(instance_id="ins-shorp001")
    assert [e["kind"] for e in events][-1] == "resolved:rejoined"
