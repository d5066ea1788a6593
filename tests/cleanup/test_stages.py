"""The staged workflow on the real API: a mark that sticks, terminate only after it, readd only where the evidence
points, the refund before a prepaid instance goes, and the same operation run by `serve`."""

from __future__ import annotations

from datetime import timedelta

from tke_orphans.cleanup import serve_hook
from tke_orphans.cloud.actions import MARK_TAG
from tke_orphans.context import Run
from tke_orphans.serve import Service

from .conftest import DAY, ORPHANS, Rig, outcomes

LATER = DAY + timedelta(hours=73)  # the default --min-mark-age is 72h


def test_mark_asks_sts_with_a_region_when_no_uin_is_configured(rig: Rig) -> None:
    assert rig.config.tencentcloud.uin is None
    got = outcomes(rig.cleanup(action="mark", dry_run=False, only=frozenset({"ins-shorp001"})))
    assert got["ins-shorp001"][0] == "done", got
    assert rig.calls("GetCallerIdentity", "ap-shanghai") == 1
    assert MARK_TAG in rig.tags("ap-shanghai", "ins-shorp001")


def test_an_instance_already_marked_keeps_its_mark(rig: Rig) -> None:
    rig.cleanup(action="mark", dry_run=False)
    first = rig.tags("ap-guangzhou", "ins-gzorp003")[MARK_TAG]
    tagged = rig.calls("TagResources")
    again = outcomes(rig.cleanup(after=DAY + timedelta(hours=24), action="mark", dry_run=False))
    assert again["ins-gzorp003"] == ("skipped", f"already marked {first}")
    assert {o for o, _ in again.values()} == {"skipped"}
    assert rig.tags("ap-guangzhou", "ins-gzorp003")[MARK_TAG] == first
    assert rig.calls("TagResources") == tagged  # no call at all: the clock of terminate is not reset
    # ...so the daily mark does not keep terminate waiting for ever.
    done = outcomes(rig.cleanup(after=LATER, action="terminate", dry_run=False))
    assert {i for i, (o, _) in done.items() if o == "done"} == ORPHANS


def test_terminate_acts_only_on_instances_marked_long_enough_ago(rig: Rig) -> None:
    rig.cleanup(action="mark", dry_run=False, only=frozenset({"ins-gzorp003"}))
    both = frozenset({"ins-gzorp003", "ins-gzorp001"})
    early = outcomes(rig.cleanup(after=DAY + timedelta(hours=1), action="terminate", dry_run=False, only=both))
    assert early["ins-gzorp003"] == ("skipped", "marked 60m ago, less than --min-mark-age 3d")
    assert early["ins-gzorp001"] == (
        "skipped", f"not marked ({MARK_TAG}): run cleanup --action mark first, or pass --unmarked"
    )  # fmt: skip
    assert rig.calls("TerminateInstances") == 0
    # The dry run says the same, and why.
    dry = outcomes(rig.cleanup(after=DAY + timedelta(hours=1), action="terminate", only=both))
    assert dry == early
    # 0s skips the wait, not the mark.
    now = outcomes(rig.cleanup(after=DAY + timedelta(hours=1), action="terminate", only=both,
                               min_mark_age=timedelta(0)))  # fmt: skip
    assert now["ins-gzorp003"][0] == "dry-run" and now["ins-gzorp001"][0] == "skipped"
    late = outcomes(rig.cleanup(after=LATER, action="terminate", dry_run=False, only=both))
    assert late["ins-gzorp003"] == ("done", "destroyed") and late["ins-gzorp001"][0] == "skipped"
    # Only an explicit --unmarked acts on an instance never marked.
    unmarked = outcomes(rig.cleanup(after=LATER, action="terminate", dry_run=False, only=both, unmarked=True))
    assert unmarked["ins-gzorp001"] == ("done", "destroyed")


def test_readd_without_only_takes_just_the_orphans_of_that_cluster(rig: Rig) -> None:
    got = outcomes(rig.cleanup(action="readd", cluster_id="cls-prodgz01"))
    assert got["ins-gzorp001"] == ("dry-run", "would add to cls-prodgz01 (its OS is reinstalled)")
    assert got["ins-gzorp002"] == (
        "skipped", "its evidence names cls-gone0001, not cls-prodgz01: name it with --only to add it there"
    )  # fmt: skip
    assert got["ins-gzorp003"][0] == "skipped" and "names np-old00001" in got["ins-gzorp003"][1]
    assert got["ins-shorp001"][0] == "skipped"
    # A node pool named with --node-pool is the cluster's too.
    pool = outcomes(rig.cleanup(action="readd", cluster_id="cls-prodsh01", node_pool_id="np-old00001"))
    assert pool["ins-gzorp003"][0] == "skipped" and "not in ap-guangzhou" in pool["ins-gzorp003"][1]
    # Capped like terminate, and --only chooses any orphan.
    real = outcomes(rig.cleanup(action="readd", cluster_id="cls-prodgz01", dry_run=False))
    assert real["ins-gzorp001"][0] == "done" and rig.calls("AddExistedInstances") == 1
    assert rig.emulator.store.regions["ap-guangzhou"].node_of.get("ins-gzorp002") is None
    chosen = outcomes(rig.cleanup(action="readd", cluster_id="cls-prodgz01", only=frozenset({"ins-gzorp002"})))
    assert chosen["ins-gzorp002"][0] == "dry-run"


def test_readd_is_capped(rig: Rig) -> None:
    report = rig.cleanup(action="readd", cluster_id="cls-prodgz01", dry_run=False, max=1,
                         only=frozenset({"ins-gzorp001", "ins-gzorp003"}))  # fmt: skip
    assert "2 instances qualify, more than --max 1" in report.refused
    assert rig.calls("AddExistedInstances") == 0


def test_the_refund_is_in_the_dry_run_and_the_record(rig: Rig) -> None:
    report = rig.cleanup(action="terminate", unmarked=True, only=frozenset({"ins-gzorp002"}))
    [d] = report.decisions
    assert (d.outcome, d.refund) == ("dry-run", 640.0) and "refund ¥640" in d.detail
    rows = rig.state.query("SELECT dry_run, detail FROM actions WHERE instance_id = 'ins-gzorp002'")
    assert [(r["dry_run"], "refund ¥640" in r["detail"]) for r in rows] == [(1, True)]
    assert rig.calls("InquiryPriceTerminateInstances", "ap-guangzhou") == 1
    # Without the refund, a prepaid instance is not returned; postpaid ones go on.
    rig.faults({"action": "InquiryPriceTerminateInstances", "code": "InternalError"})
    got = outcomes(rig.cleanup(action="terminate", unmarked=True, dry_run=False,
                               only=frozenset({"ins-gzorp002", "ins-gzorp001"})))  # fmt: skip
    assert got["ins-gzorp002"][0] == "skipped" and got["ins-gzorp002"][1].startswith("refund unknown, not terminated")
    assert got["ins-gzorp001"] == ("done", "destroyed")
    assert rig.instance("ap-guangzhou", "ins-gzorp002")["InstanceState"] == "RUNNING"


def test_serve_runs_cleanup_mark_after_each_pass(rig: Rig) -> None:
    hook = serve_hook(Run(rig.config), rig.state, "mark")
    service = Service(rig.config, rig.state, timedelta(minutes=10), ("127.0.0.1", 0), after_pass=hook)
    service.server.start()
    try:
        _passes(service, rig)
    finally:
        service.server.stop()


def _passes(service: Service, rig: Rig) -> None:
    service.run_pass()  # the scan remembers the orphans; marking waits for --min-orphan-age (24h)
    assert rig.calls("TagResources") == 0
    rows = rig.state.query("SELECT actor, outcome, detail FROM actions WHERE dry_run = 0")
    assert rows and {r["outcome"] for r in rows} == {"skipped"} and rows[0]["actor"].startswith("serve ")
    # A day later (the state's first_seen moved back), the pass marks them, capped by cleanup.max.
    with rig.state.transaction() as conn:
        conn.execute("UPDATE orphans SET first_seen = ?", ("2000-01-01T00:00:00Z",))
    service.run_pass()
    assert rig.calls("TagResources") == 2  # one per region
    assert all(
        MARK_TAG in rig.tags(r, i) for r, i in [("ap-guangzhou", "ins-gzorp001"), ("ap-shanghai", "ins-shorp001")]
    )
    service.run_pass()
    assert rig.calls("TagResources") == 2  # already marked: kept
