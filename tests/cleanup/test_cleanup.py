"""Cleanup cannot hurt a cluster: staged, capped, re-checked right before acting; the dry run is the real run
up to the mutating call."""

from __future__ import annotations

from datetime import timedelta

from .conftest import DAY, ORPHANS, Rig, fail_cluster, outcomes


def test_dry_run_changes_nothing_and_says_what_it_would_do(rig: Rig) -> None:
    report = rig.cleanup(action="terminate", unmarked=True)
    got = outcomes(report)
    assert {i for i, (o, _) in got.items() if o == "dry-run"} == ORPHANS
    # What terminating saves at list price (the demo world's price table) and, for prepaid, what it refunds.
    assert got["ins-gzorp002"][1] == (
        "would terminate: prepaid, moved to the recycle bin (refund ¥640); saves about ¥817 a month"
    )
    assert got["ins-gzorp001"][1] == "would terminate: destroyed at once; saves about ¥416 a month"
    assert rig.calls("TerminateInstances") == 0
    for region, iid in [("ap-guangzhou", "ins-gzorp001"), ("ap-shanghai", "ins-shorp001")]:
        assert rig.instance(region, iid)["InstanceState"] == "RUNNING"
    assert not report.failed


def test_terminate_batches_by_charge_type_and_says_what_happened(rig: Rig) -> None:
    # Guangzhou holds two postpaid orphans and a prepaid one: one call with all three is refused by the cloud.
    report = rig.cleanup(action="terminate", dry_run=False, unmarked=True)
    got = outcomes(report)
    assert {i for i, (o, _) in got.items() if o == "done"} == ORPHANS, got
    assert rig.calls("TerminateInstances", "ap-guangzhou") == 2  # one batch per charge type
    assert got["ins-gzorp001"][1] == "destroyed"
    assert not rig.listed("ap-guangzhou", "ins-gzorp001")
    assert got["ins-gzorp002"][1] == (
        "moved to the recycle bin (refund ¥640); the platform destroys it later (--destroy-recycled: at once)"
    )
    prepaid = rig.instance("ap-guangzhou", "ins-gzorp002")
    assert (prepaid["InstanceState"], prepaid["IsolatedSource"]) == ("SHUTDOWN", "MANMADE")
    # Nothing else was touched: no node, no decoy.
    gz = rig.emulator.store.regions["ap-guangzhou"].instances
    assert {d["InstanceId"] for d in gz if d["InstanceState"] != "RUNNING"} == {"ins-gzorp002", "ins-gzdown01"}
    # Recorded with the refund; the next scan resolves them.
    details = [r["detail"] for r in rig.state.query("SELECT detail FROM actions WHERE instance_id = 'ins-gzorp002'")]
    assert details and "refund ¥640" in details[0]
    rig.scan(rig.t0 + DAY + timedelta(minutes=5))
    assert rig.state.orphans.open() == []


def test_destroy_recycled_makes_the_second_call_only_when_asked(rig: Rig) -> None:
    only = frozenset({"ins-gzorp002", "ins-shorp001"})
    dry = outcomes(rig.cleanup(action="terminate", unmarked=True, destroy_recycled=True, only=only))
    then = "then destroy it (--destroy-recycled)"
    assert dry["ins-shorp001"] == (
        "dry-run",
        f"would terminate: prepaid, moved to the recycle bin (refund ¥40.00), {then}; saves about ¥173 a month",
    )
    got = outcomes(rig.cleanup(action="terminate", dry_run=False, unmarked=True, destroy_recycled=True, only=only))
    assert got["ins-gzorp002"] == (
        "done",
        "moved to the recycle bin (refund ¥640), then destroyed (--destroy-recycled)",
    )
    assert not rig.listed("ap-guangzhou", "ins-gzorp002") and not rig.listed("ap-shanghai", "ins-shorp001")
    assert rig.calls("TerminateInstances", "ap-guangzhou") == 2


def test_the_cap_refuses_an_oversized_run(rig: Rig) -> None:
    report = rig.cleanup(action="terminate", dry_run=False, max=3)
    assert report.failed and "4 instances qualify, more than --max 3" in report.refused
    assert {o for o, _ in outcomes(report).values()} == {"refused"}
    assert rig.instance("ap-shanghai", "ins-shorp001")["InstanceState"] == "RUNNING"


def test_an_instance_that_rejoined_a_cluster_is_left_alone(rig: Rig) -> None:
    rig.emulator.store.add_node("ap-shanghai", "cls-prodsh01", "ins-shorp001")
    got = outcomes(rig.cleanup(action="terminate", dry_run=False, unmarked=True))
    assert got["ins-shorp001"] == ("skipped", "now a node of cls-prodsh01")
    assert rig.instance("ap-shanghai", "ins-shorp001")["InstanceState"] == "RUNNING"


def test_a_failing_cluster_listing_blocks_its_whole_region(rig: Rig) -> None:
    fail_cluster(rig, "cls-prodgz01")
    got = outcomes(rig.cleanup(action="terminate", dry_run=False, unmarked=True))
    for iid in ("ins-gzorp001", "ins-gzorp002", "ins-gzorp003"):
        assert got[iid][0] == "skipped" and "fresh check of ap-guangzhou failed" in got[iid][1]
        assert rig.instance("ap-guangzhou", iid)["InstanceState"] == "RUNNING"
    assert got["ins-shorp001"][0] == "done"  # the other region, checked completely, goes on


def test_protection_and_ignore_tag_are_honoured(rig: Rig) -> None:
    rig.emulator.store.set_instance("ap-guangzhou", "ins-gzorp001", DisableApiTermination=True)
    tags = [{"Key": "tke-orphans:ignore", "Value": "true"}]
    rig.emulator.store.set_instance("ap-guangzhou", "ins-gzorp003", Tags=tags)
    got = outcomes(rig.cleanup(action="terminate", dry_run=False, unmarked=True))
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


def test_readd_puts_a_node_back(rig: Rig) -> None:
    report = rig.cleanup(action="readd", dry_run=False, cluster_id="cls-prodsh01", node_pool_id="np-api00001",
                         only=frozenset({"ins-shorp001"}))  # fmt: skip
    assert outcomes(report)["ins-shorp001"] == ("done", "added to cls-prodsh01/np-api00001")
    assert rig.emulator.store.regions["ap-shanghai"].node_of["ins-shorp001"] == "cls-prodsh01"
    rig.scan(rig.t0 + DAY + timedelta(minutes=5))
    assert "ins-shorp001" not in {t.instance_id for t in rig.state.orphans.open()}
    events = rig.state.events.read(instance_id="ins-shorp001")
    assert [e["kind"] for e in events][-1] == "resolved:rejoined"
