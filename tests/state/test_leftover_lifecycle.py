"""Leftovers (disks, load balancers, addresses of deleted clusters) have the orphans' lifecycle: told once when new,
a digest every remind_every, resolved once when gone or in use again, and never resolved by a failed listing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.model import Leftover
from tke_orphans_testkit.emulator import FaultPlan

from .conftest import Rig, rig_for

GZ = "ap-guangzhou"
MADE = {"disk-gzleft01", "lb-gzleft01", "eip-gzleft01"}
ALL = {"leftovers": ["cbs_disk", "clb", "eip"]}


@pytest.fixture
def lrig(demo_data: dict[str, Any], tmp_path: Path) -> Iterator[Rig]:
    with rig_for(demo_data, tmp_path, detection=ALL) as r:
        yield r


def told(findings: Any) -> set[str]:
    """The leftovers of TKE a notice tells (the VMs of the world and a user's reused CLB aside)."""
    return {x.resource_id for x in findings if isinstance(x, Leftover) and not x.reused}


def test_new_leftovers_are_told_once_then_in_a_digest(lrig: Rig) -> None:
    first = lrig.run()
    [new] = first.notices
    assert new.kind == "new" and told(new.findings) == MADE
    assert {t.instance_id for t in lrig.state.leftovers.open()} == MADE | {"lb-gzreuse1"}
    assert all(x.resource_id in first.first_seen for x in first.result.leftovers)
    assert lrig.run(advance=timedelta(hours=1)).notices == []  # nothing changed: nothing told
    digest = lrig.run(advance=timedelta(hours=24))
    [reminder] = digest.notices
    assert reminder.kind == "reminder" and told(reminder.findings) == MADE
    assert lrig.run(advance=timedelta(hours=1)).notices == []


def test_a_deleted_disk_and_a_bound_address_resolve_once(lrig: Rig) -> None:
    lrig.run()
    region = lrig.emulator.store.regions[GZ]
    del region.disks["disk-gzleft01"]
    region.addresses["eip-gzleft01"]["AddressStatus"] = "BIND"
    job = lrig.run(advance=timedelta(minutes=10))
    [resolved] = job.notices
    assert resolved.kind == "resolved"
    how = {r.what.resource_id: (r.how, r.detail) for r in resolved.resolved}
    assert how == {"disk-gzleft01": ("gone", "no longer listed"), "eip-gzleft01": ("in_use", "BIND")}
    assert {t.instance_id for t in lrig.state.leftovers.open()} == {"lb-gzleft01", "lb-gzreuse1"}
    kinds = {(e["instance_id"], e["kind"]) for e in lrig.state.events.read()}
    assert ("disk-gzleft01", "resolved:gone") in kinds and ("eip-gzleft01", "resolved:in_use") in kinds
    assert lrig.run(advance=timedelta(minutes=10)).notices == []  # resolved once, not again


@pytest.mark.parametrize(
    "fault",
    [
        {"action": "DescribeDisks", "region": GZ, "code": "UnauthorizedOperation"},
        {"action": "DescribeDisks", "region": GZ, "effect": "http_500"},
        {"action": "DescribeClusters", "region": GZ, "code": "InternalError"},
    ],
)
def test_a_failed_listing_resolves_no_leftover(lrig: Rig, fault: dict[str, Any]) -> None:
    lrig.run()
    lrig.emulator.faults = FaultPlan.from_data({"faults": [fault]})
    failing = lrig.run(advance=timedelta(minutes=10))
    assert failing.result.status == "partial"
    assert all(not n.resolved for n in failing.notices)
    assert {t.instance_id for t in lrig.state.leftovers.open()} == MADE | {"lb-gzreuse1"}
    assert not [e for e in lrig.state.events.read() if e["kind"].startswith("resolved")]


@pytest.mark.parametrize(
    ("table", "listing"),
    [("disks", "DescribeDisks"), ("load_balancers", "DescribeLoadBalancers"), ("addresses", "DescribeAddresses")],
)
def test_a_short_answer_by_id_resolves_no_leftover(lrig: Rig, table: str, listing: str) -> None:
    """A by-id answer missing its last item, TotalCount unchanged: that item is not "gone"."""
    lrig.run()
    items: dict[str, Any] = getattr(lrig.emulator.store.regions[GZ], table)
    open_ids = {t.instance_id for t in lrig.state.leftovers.open()}
    for rid in [r for r in items if r not in open_ids]:  # whatever the answer drops is then an open leftover
        del items[rid]
    lrig.emulator.faults = FaultPlan.from_data({"faults": [{"action": listing, "region": GZ, "effect": "short"}]})
    failing = lrig.run(advance=timedelta(minutes=10))
    assert all(not n.resolved for n in failing.notices)
    assert {t.instance_id for t in lrig.state.leftovers.open()} == open_ids
    assert failing.result.status == "partial"


BY_TAG = [{"Name": "tag-key", "Values": ["tke-clusterId"]}]


@pytest.mark.parametrize("lookup_fails", [False, True])
def test_a_listing_that_adds_up_but_lags_resolves_no_leftover(lrig: Rig, lookup_fails: bool) -> None:
    """A listing narrowed by tag reads the tag index; one that lags leaves out an address that still exists, in an
    answer whose TotalCount agrees. The address, looked up by id, is still there (or the look cannot say): it stays
    open. A disk really deleted meanwhile still resolves."""
    lrig.run()
    addresses = lrig.emulator.store.regions[GZ].addresses
    for rid in ("eip-gzgone02", "eip-gzlive01"):  # the listing's last item is then the leftover eip-gzleft01
        del addresses[rid]
    del lrig.emulator.store.regions[GZ].disks["disk-gzleft01"]
    faults: list[dict[str, Any]] = [{"action": "DescribeAddresses", "params": {"Filters": BY_TAG}, "effect": "omit"}]
    if lookup_fails:
        faults.append(
            {"action": "DescribeAddresses", "params": {"AddressIds": ["eip-gzleft01"]}, "code": "InternalError"}
        )
    lrig.emulator.faults = FaultPlan.from_data({"faults": faults})
    job = lrig.run(advance=timedelta(minutes=10))
    resolved = {r.what.resource_id for n in job.notices for r in n.resolved}
    assert resolved == {"disk-gzleft01"}
    assert "eip-gzleft01" in {t.instance_id for t in lrig.state.leftovers.open()}


def test_a_kind_turned_off_resolves_nothing_of_that_kind(demo_data: dict[str, Any], tmp_path: Path) -> None:
    with rig_for(demo_data, tmp_path, detection=ALL) as rig:
        rig.run()
    with rig_for(demo_data, tmp_path, detection={"leftovers": ["eip"]}) as rig:
        assert rig.run(advance=timedelta(minutes=10)).notices == []
        assert {t.instance_id for t in rig.state.leftovers.open()} == MADE | {"lb-gzreuse1"}


def test_leftovers_seen_without_notifying_are_announced_later_with_their_first_sighting(lrig: Rig) -> None:
    quiet = lrig.run(notify=False)
    assert quiet.notices == []
    start = quiet.result.scanned_at
    later = lrig.run(advance=timedelta(hours=3))
    [new] = later.notices
    assert told(new.findings) == MADE
    assert all(new.first_seen[i] == start for i in MADE)
    kinds = Counter(e["kind"] for e in lrig.state.events.read())
    assert kinds["left_over"] == 3 and kinds["reused"] == 1  # once each, not per run


def test_a_prepaid_disk_returned_to_the_recycle_bin_resolves_as_gone(lrig: Rig) -> None:
    """TerminateDisks moves a prepaid disk to the recycle bin (TORECYCLE, still listed): billing stopped, so it is
    resolved as gone, not as "in use"."""
    lrig.run()
    lrig.emulator.store.regions[GZ].disks["disk-gzleft01"]["DiskState"] = "TORECYCLE"
    [resolved] = lrig.run(advance=timedelta(minutes=10)).notices
    assert [(r.what.resource_id, r.how, r.detail) for r in resolved.resolved] == [
        ("disk-gzleft01", "gone", "in the recycle bin")
    ]


@pytest.mark.parametrize(
    "fault",
    [
        {"action": "DescribeClusters", "region": GZ, "code": "InternalError"},
        {"action": "DescribeDisks", "region": GZ, "code": "UnauthorizedOperation"},
    ],
)
def test_a_failed_listing_resolves_nothing_even_what_is_really_gone(lrig: Rig, fault: dict[str, Any]) -> None:
    """The disk was deleted, but the pass that could have seen it failed: an error is never a resolution, even
    where a look by id would find the disk gone (that look only ever keeps a leftover open, never closes one)."""
    lrig.run()
    del lrig.emulator.store.regions[GZ].disks["disk-gzleft01"]
    lrig.emulator.faults = FaultPlan.from_data({"faults": [fault]})
    failing = lrig.run(advance=timedelta(minutes=10))
    assert all(not n.resolved for n in failing.notices)
    assert "disk-gzleft01" in {t.instance_id for t in lrig.state.leftovers.open()}
    lrig.emulator.faults = FaultPlan.from_data({"faults": []})
    healed = lrig.run(advance=timedelta(minutes=10))
    assert [r.what.resource_id for n in healed.notices for r in n.resolved] == ["disk-gzleft01"]
