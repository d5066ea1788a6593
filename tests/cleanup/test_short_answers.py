"""Answers that leave something out: a refund inquiry without one prepaid instance, a look by id short of its
TotalCount. What the cloud did not answer for is left alone; nothing reads as "no longer exists"."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ORPHANS, demo_data, outcomes, rig_for

GZ = "ap-guangzhou"
UNKNOWN_REFUND = (
    "refund unknown, not terminated: InquiryPriceTerminateInstances gave no refund for it that could be one"
)


def test_a_refund_inquiry_without_one_prepaid_instance_leaves_that_one_alone(tmp_path: Path) -> None:
    data = demo_data()
    gz = data["regions"][GZ]
    model = next(i for i in gz["instances"] if i["InstanceId"] == "ins-gzorp002")  # prepaid
    gz["instances"].append({**model, "InstanceId": "ins-gzorp102", "PrivateIpAddresses": ["10.0.5.200"]})
    data["answer_key"]["orphans"].append(
        {"region": GZ, "instance_id": "ins-gzorp102", "reason": "cluster_deleted", "cluster_id": "cls-gone0001"}
    )
    prepaid = {"ins-gzorp002", "ins-gzorp102"}
    with rig_for(data, tmp_path) as rig:
        rig.scan()
        # A valid answer, one refund short: the cloud said nothing about what returning that instance gives back.
        rig.faults({"action": "InquiryPriceTerminateInstances", "effect": "short"})
        got = outcomes(rig.cleanup(action="terminate", unmarked=True, dry_run=False, only=frozenset(prepaid)))
        unpriced = {i for i in prepaid if got[i][0] == "skipped"}
        assert len(unpriced) == 1, got
        [iid] = unpriced
        assert got[iid][1] == UNKNOWN_REFUND
        assert rig.instance(GZ, iid)["InstanceState"] == "RUNNING"  # neither recycled nor destroyed
        [other] = prepaid - unpriced
        assert got[other][0] == "done" and rig.instance(GZ, other)["InstanceState"] == "SHUTDOWN"
        assert rig.calls("TerminateInstances") == 1


@pytest.mark.parametrize("refund", [-5, float("nan"), float("inf"), 1e300])
def test_a_refund_that_cannot_be_one_leaves_the_instance_alone(tmp_path: Path, refund: float) -> None:
    """A refund answer no real one has (the attack's -5, NaN, Infinity, 1e300) is unknown: the prepaid instance is
    neither recycled nor destroyed, and the dry run shows no such figure."""
    with rig_for(demo_data(), tmp_path) as rig:
        rig.scan()
        rig.faults({"action": "InquiryPriceTerminateInstances", "effect": "value", "field": "Refunds", "value": refund})
        dry = outcomes(rig.cleanup(action="terminate", unmarked=True, only=frozenset({"ins-gzorp002"})))
        assert dry["ins-gzorp002"] == ("skipped", UNKNOWN_REFUND), dry
        got = outcomes(rig.cleanup(action="terminate", unmarked=True, dry_run=False, only=frozenset({"ins-gzorp002"})))
        assert got["ins-gzorp002"] == ("skipped", UNKNOWN_REFUND), got
        assert rig.instance(GZ, "ins-gzorp002")["InstanceState"] == "RUNNING"
        assert rig.calls("TerminateInstances") == 0


def test_a_recheck_of_instances_short_of_its_total_skips_the_region(tmp_path: Path) -> None:
    with rig_for(demo_data(), tmp_path) as rig:
        rig.scan()
        rig.faults({"action": "DescribeInstances", "effect": "short"})
        got = outcomes(rig.cleanup(action="terminate", unmarked=True, dry_run=False))
        assert set(got) == ORPHANS
        for outcome, detail in got.values():
            assert outcome == "skipped" and "failed, nothing done there" in detail, got
            assert "IncompleteListing" in detail and "no longer exists" not in detail
        assert rig.calls("TerminateInstances") == 0
        assert all(rig.listed(r, i) for r, i in [(GZ, "ins-gzorp001"), ("ap-shanghai", "ins-shorp001")])


def test_a_recheck_of_leftovers_short_of_its_total_skips_the_region(tmp_path: Path) -> None:
    listings = {"cbs_disk": "DescribeDisks", "clb": "DescribeLoadBalancers", "eip": "DescribeAddresses"}
    with rig_for(demo_data(), tmp_path, detection={"leftovers": list(listings)}) as rig:
        rig.scan()
        for kind, listing in listings.items():
            rig.faults({"action": listing, "effect": "short"})
            [(outcome, detail)] = outcomes(rig.cleanup(kind=kind, action="mark", dry_run=False)).values()
            assert outcome == "skipped" and "failed, nothing done there" in detail, (kind, detail)
            assert "IncompleteListing" in detail and "no longer exists" not in detail
        assert rig.calls("TagResources") == 0
