"""What cleanup does when the cloud says no, says nothing, or says something else than the listings: the
re-check with TKE, mutating calls never retried unless throttled, and every failure branch of cloud/actions."""

from __future__ import annotations

from pathlib import Path

from tke_orphans.cloud.actions import MARK_TAG

from .conftest import Rig, demo_data, outcomes, rig_for, with_orphan_clones

ONE = frozenset({"ins-gzorp001"})


def test_tke_saying_the_instance_is_in_a_cluster_stops_the_action(rig: Rig) -> None:
    # TKE knows the instance as a node of a cluster none of the listings shows (e.g. one this key cannot list).
    rig.emulator.store.regions["ap-guangzhou"].node_of["ins-gzorp001"] = "cls-hidden01"
    got = outcomes(rig.cleanup(action="terminate", unmarked=True, dry_run=False, only=ONE))
    assert got["ins-gzorp001"] == ("skipped", "TKE says it is in cluster cls-hidden01")
    assert rig.calls("TerminateInstances") == 0


def test_no_answer_from_tke_for_an_instance_stops_the_action(rig: Rig) -> None:
    # DescribeExistedInstances answers without the instance: membership unconfirmed is not "in no cluster".
    rig.faults({"action": "DescribeExistedInstances", "effect": "short"})
    got = outcomes(rig.cleanup(action="terminate", unmarked=True, dry_run=False, only=ONE))
    assert got["ins-gzorp001"][0] == "skipped" and got["ins-gzorp001"][1].startswith("TKE did not confirm")
    assert rig.calls("TerminateInstances") == 0


def test_a_mutating_call_is_not_retried_after_a_5xx(rig: Rig) -> None:
    rig.faults({"action": "TerminateInstances", "effect": "http_500"}, {"action": "TagResources", "effect": "http_500"})
    got = outcomes(rig.cleanup(action="terminate", unmarked=True, dry_run=False, only=ONE))
    assert got["ins-gzorp001"][0] == "failed"
    assert rig.calls("TerminateInstances") == 1
    marked = outcomes(rig.cleanup(action="mark", dry_run=False, only=ONE))
    assert marked["ins-gzorp001"][0] == "failed"
    assert rig.calls("TagResources") == 1


def test_a_mutating_call_is_not_retried_after_a_time_out(rig: Rig) -> None:
    # The rig's request_timeout is 2 s; the emulator answers nothing for longer.
    rig.faults({"action": "TerminateInstances", "effect": "hang", "hang_seconds": 30},
               {"action": "TagResources", "effect": "hang", "hang_seconds": 30})  # fmt: skip
    got = outcomes(rig.cleanup(action="terminate", unmarked=True, dry_run=False, only=ONE))
    assert got["ins-gzorp001"][0] == "failed"
    assert rig.calls("TerminateInstances") == 1
    assert outcomes(rig.cleanup(action="mark", dry_run=False, only=ONE))["ins-gzorp001"][0] == "failed"
    assert rig.calls("TagResources") == 1


def test_a_throttled_mutating_call_is_retried(rig: Rig) -> None:
    rig.faults({"action": "TerminateInstances", "code": "RequestLimitExceeded", "times": 1},
               {"action": "TagResources", "code": "RequestLimitExceeded", "times": 1})  # fmt: skip
    other = frozenset({"ins-gzorp003"})
    assert outcomes(rig.cleanup(action="mark", dry_run=False, only=other))["ins-gzorp003"][0] == "done"
    assert rig.calls("TagResources") == 2
    got = outcomes(rig.cleanup(action="terminate", unmarked=True, dry_run=False, only=ONE))
    assert got["ins-gzorp001"] == ("done", "destroyed")
    assert rig.calls("TerminateInstances") == 2


def test_an_api_error_fails_its_batch_and_only_its_batch(rig: Rig) -> None:
    # The prepaid batch is refused, the postpaid one goes through.
    rig.faults({"action": "TerminateInstances", "params": {"InstanceIds": ["ins-gzorp002"]},
                "code": "FailedOperation.Unreturnable", "message": "not returnable now"})  # fmt: skip
    report = rig.cleanup(action="terminate", unmarked=True, dry_run=False)
    got = outcomes(report)
    assert got["ins-gzorp002"][0] == "failed"
    assert got["ins-gzorp002"][1] == "FailedOperation.Unreturnable: not returnable now"
    assert rig.instance("ap-guangzhou", "ins-gzorp002")["InstanceState"] == "RUNNING"
    assert got["ins-gzorp001"] == ("done", "destroyed") and got["ins-gzorp003"] == ("done", "destroyed")
    assert report.failed
    [request] = [d.request_id for d in report.decisions if d.instance_id == "ins-gzorp002"]
    assert request  # the cloud's request id is kept, for a support ticket


def test_mark_fails_cleanly_when_the_owner_cannot_be_named(rig: Rig) -> None:
    rig.faults({"action": "GetCallerIdentity", "code": "AuthFailure.UnauthorizedOperation", "message": "no"})
    got = outcomes(rig.cleanup(action="mark", dry_run=False, only=ONE))
    why = "cannot name the resources: sts.GetCallerIdentity failed: AuthFailure.UnauthorizedOperation: no"
    assert got["ins-gzorp001"] == ("failed", why)
    assert rig.calls("TagResources") == 0


def test_a_partial_mark_batch(tmp_path: Path) -> None:
    with rig_for(with_orphan_clones(demo_data(), 12), tmp_path) as rig:
        rig.scan()
        rig.faults({"action": "TagResources", "code": "InternalError", "times": 1})
        report = rig.cleanup(action="mark", dry_run=False, max=20)
        gz = [d for d in report.decisions if d.region == "ap-guangzhou"]
        assert len(gz) == 15 and rig.calls("TagResources") == 3  # 10 + 5 in guangzhou, 1 in shanghai
        failed = {d.instance_id for d in gz if d.outcome == "failed"}
        done = {d.instance_id for d in gz if d.outcome == "done"}
        assert len(failed) == 10 and len(done) == 5  # batches of 10: the first refused, the second tagged
        assert all(MARK_TAG in rig.tags("ap-guangzhou", i) for i in done)
        assert not any(MARK_TAG in rig.tags("ap-guangzhou", i) for i in failed)


def test_readd_answers_per_instance(rig: Rig) -> None:
    vpc = {**rig.instance("ap-guangzhou", "ins-gzorp003")["VirtualPrivateCloud"], "VpcId": "vpc-other001"}
    rig.emulator.store.set_instance("ap-guangzhou", "ins-gzorp003", VirtualPrivateCloud=vpc)
    report = rig.cleanup(action="readd", cluster_id="cls-prodgz01", dry_run=False,
                         only=frozenset({"ins-gzorp001", "ins-gzorp003"}))  # fmt: skip
    got = outcomes(report)
    assert got["ins-gzorp001"] == ("done", "added to cls-prodgz01")
    assert got["ins-gzorp003"] == ("failed", "instance is in vpc-other001, not in the cluster's VPC")
    assert rig.calls("AddExistedInstances") == 1 and report.failed
