"""Promises of the scan and its pricing that a one-line change could break unseen (each has a line in
scripts/mutate.py): the real scan against the emulator; where a bug is what is tested, it is made by replacing one
function of the product (the scan runs in this process: `tencentcloud.workers: 1`)."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest

from tke_orphans.cloud.errors import MAX_TEXT
from tke_orphans.model import Cost
from tke_orphans.render.json import to_json

from .conftest import orphan_ids, scan_world, unverified_ids
from .test_failures import EXPECTED
from .test_leftover_pricing import GONE, disk
from .test_pricing import PRICES, orphan

IN_PROCESS: dict[str, Any] = {"workers": 1}
NATIVE_2022 = {"ClusterId": "cls-prodgz01", "Filters": [{"Name": "InstanceType", "Values": ["Native"]}]}
LIVE_NODES = {
    "ins-gzweb001",
    "ins-gzweb002",
    "ins-gzwrk001",
    "ins-gznat001",
}  # nodes of cls-prodgz01, named as TKE names


def test_a_native_listing_that_adds_up_but_lacks_a_machine_makes_the_cluster_incomplete(demo: dict[str, Any]) -> None:
    """The 2022 listing of native nodes answers without one, its TotalCount one less to match: its count adds up,
    but the 2018 listing named that machine, whose CVM id is then unknown. The cluster is not complete."""
    faults = [{"service": "tke", "action": "DescribeClusterInstances", "params": NATIVE_2022, "effect": "omit"}]
    result = scan_world(demo, faults=faults)
    gz = next(r for r in result.regions if r.region == "ap-guangzhou")
    assert gz.status == "partial"
    (error,) = gz.errors
    assert (error.cluster_id, error.code) == ("cls-prodgz01", "IncompleteListing")
    assert "missing from the 2022 listing" in error.message
    assert "ins-gznat001" not in orphan_ids(result)


@pytest.mark.parametrize(
    ("target", "api"),
    [
        ("tke_orphans.scan.to_confirm", "scan"),
        ("tke_orphans.cloud.inventory.RegionLister.node_pools", "tke.DescribeNodePools"),
    ],
)
def test_an_unforeseen_exception_is_told_like_a_cloud_error(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch, target: str, api: str
) -> None:
    """A bug inside a region's scan (here an exception whose words quote the secret key, a lone surrogate and a
    page of text): the region fails with the words masked, valid and bounded, as a cloud error's are."""
    key = demo["credentials"][0]["secret_key"]

    def bug(*args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(f"unexpected: signed with {key} \ud800 " + "x" * 5000)

    monkeypatch.setattr(target, bug)
    result = scan_world(demo, tencentcloud=IN_PROCESS)
    errors = [e for r in result.regions for e in r.errors if e.api == api]
    assert errors and result.status != "ok"
    for e in errors:
        assert key not in e.message and "****" in e.message
        assert len(e.message) <= MAX_TEXT
        e.message.encode("utf-8")  # no lone surrogate
        assert "\\ud800" in e.message


def test_a_pricing_crash_leaves_the_price_unknown_never_0(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception nobody foresaw in the pricing step (not a cloud error): each price is unknown, with the words,
    and counted as unpriced; the scan's findings stand."""

    def bug(*args: Any, **kwargs: Any) -> NoReturn:
        raise ZeroDivisionError("pricing bug")

    monkeypatch.setattr("tke_orphans.pricing.quote", bug)
    monkeypatch.setattr("tke_orphans.pricing.quote_leftover", bug)
    data = {
        "credentials": [{"secret_id": "AKIDguard", "secret_key": "guard-price-key"}],
        "regions": {"ap-guangzhou": {"instances": [orphan("ins-crash001")], "disks": [disk("disk-crash01")]}},
        "prices": PRICES | {"disk_hourly": {"CLOUD_PREMIUM": 0.0005}},
    }
    assert GONE == "cls-gone0001"
    result = scan_world(data, detection={"leftovers": ["cbs_disk"]}, tencentcloud=IN_PROCESS)
    assert result.status == "ok" and orphan_ids(result) == {"ins-crash001"}
    (x,) = result.leftovers
    for cost in (result.orphans[0].cost, x.cost):
        assert isinstance(cost, Cost)
        assert (cost.hourly, cost.monthly, cost.source) == (None, None, None)
        assert "ZeroDivisionError('pricing bug')" in cost.detail
    summary = to_json(result)["summary"]["cost"]
    assert [u["instance_id"] for u in summary["unpriced"]] == ["ins-crash001"]
    assert [u["resource_id"] for u in summary["leftovers"]["unpriced"]] == ["disk-crash01"]


def test_a_failed_membership_check_never_lists_live_nodes_as_unverified(demo: dict[str, Any]) -> None:
    """DescribeExistedInstances fails everywhere: the candidates are unverified, and only they; a node of a live
    cluster (listed by DescribeClusterInstances) is no candidate."""
    result = scan_world(demo, faults=[{"action": "DescribeExistedInstances", "code": "InternalError"}])
    assert not orphan_ids(result)
    assert unverified_ids(result) == EXPECTED
    assert not unverified_ids(result) & LIVE_NODES
