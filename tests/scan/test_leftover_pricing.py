"""What the leftovers cost: the real scan, through the official SDK, against the emulator's cbs, clb and vpc price
inquiries."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tke_orphans.context import Run
from tke_orphans.job import run_job
from tke_orphans.model import Cost, ScanResult
from tke_orphans.render.json import to_json
from tke_orphans.render.table import render_table
from tke_orphans.scan import run_scan
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, world_from_data

from .conftest import config_for

GZ = "ap-guangzhou"
Z3 = {"Zone": f"{GZ}-3"}
GONE = "cls-gone0001"  # no cluster of the region has this id: deleted
ALL = {"leftovers": ["cbs_disk", "clb", "eip"]}
PRICES: dict[str, Any] = {
    "disk_hourly": {"CLOUD_PREMIUM": 0.0005, "CLOUD_SSD": 0.0014},
    "disk_monthly": {"CLOUD_PREMIUM": 0.35},
    "bandwidth_hourly": 0.06,
    "bandwidth_monthly": 20,
    "traffic_per_gb": 0.8,
    "clb_hourly": {"OPEN": 0.02, "INTERNAL": 0.03},
    "clb_monthly": {"OPEN": 14.6, "INTERNAL": 21.9},
    "eip_bandwidth_hourly": 0.08,
    "eip_bandwidth_monthly": 23,
}
PRICE_ACTIONS = ("InquiryPriceCreateDisks", "InquiryPriceCreateLoadBalancer", "InquiryPriceAllocateAddresses")


def disk(did: str, **fields: Any) -> dict[str, Any]:
    tags = [{"Key": "tke-cbs-provisioner-createBy-flag", "Value": "yes"}, {"Key": "tke-clusterId", "Value": GONE}]
    return {"DiskId": did, "DiskType": "CLOUD_PREMIUM", "DiskSize": 100, "CreateTime": "-9d", "Placement": Z3,
            "Tags": tags, **fields}  # fmt: skip


def lb(lid: str, *, reused: bool = False, **fields: Any) -> dict[str, Any]:
    tags = [{"Key": "tke-clusterId", "Value": GONE}]
    if not reused:
        tags.append({"Key": "tke-createdBy-flag", "Value": "yes"})
    return {"LoadBalancerId": lid, "CreateTime": "-9d", "MasterZone": f"{GZ}-3", "Tags": tags, **fields}


def eip(aid: str, n: int, **fields: Any) -> dict[str, Any]:
    tags = [{"Key": "tke-clusterId", "Value": GONE}, {"Key": "tke-created-eip", "Value": "true"}]
    return {"AddressId": aid, "AddressIp": f"159.75.40.{n}", "CreatedTime": "-9d", "TagSet": tags, **fields}


def world(
    disks: Sequence[Any] = (), lbs: Sequence[Any] = (), eips: Sequence[Any] = (), **prices: Any
) -> dict[str, Any]:
    return {
        "credentials": [{"secret_id": "AKIDleftprice", "secret_key": "left-price-key"}],
        "regions": {GZ: {"disks": list(disks), "load_balancers": list(lbs), "addresses": list(eips)}},
        "prices": PRICES | prices,
    }


def price_calls(emu: Emulator) -> dict[str, int]:
    return {a["action"]: a["calls"] for a in emu.stats.snapshot()["actions"] if a["action"] in PRICE_ACTIONS}


def scan(data: dict[str, Any], faults: list[dict[str, Any]] | None = None,
         **sections: Any) -> tuple[ScanResult, dict[str, int]]:  # fmt: skip
    w = world_from_data(data)
    with Emulator(w, faults=FaultPlan.from_data({"seed": 1, "faults": faults or []})) as emu:
        result = run_scan(Run(config_for(w, emu.url, detection=ALL, **sections)))
        return result, price_calls(emu)


def costs(result: ScanResult) -> dict[str, Cost | None]:
    return {x.resource_id: x.cost for x in result.leftovers}


def test_each_kind_is_priced_by_its_own_inquiry() -> None:
    result, calls = scan(world(
        disks=[disk("disk-post0001"), disk("disk-prep0001", DiskChargeType="PREPAID", DeadlineTime="+20d")],
        lbs=[lb("lb-open0001", NetworkAttributes={"InternetChargeType": "BANDWIDTH_POSTPAID_BY_HOUR",
                                                  "InternetMaxBandwidthOut": 10}),
             lb("lb-intn0001", LoadBalancerType="INTERNAL", ChargeType="PREPAID")],
        eips=[eip("eip-band0001", 1, InternetChargeType="BANDWIDTH_POSTPAID_BY_HOUR", Bandwidth=5),
              eip("eip-prep0001", 2, InternetChargeType="BANDWIDTH_PREPAID_BY_MONTH", Bandwidth=2)],
    ))  # fmt: skip
    c = costs(result)
    assert result.status == "ok" and all(x is not None and x.source == "inquiry" for x in c.values()), c
    post, prep = c["disk-post0001"], c["disk-prep0001"]
    assert post and post.hourly == pytest.approx(0.05) and post.monthly == pytest.approx(0.05 * 730)  # hourly x 730
    assert prep and prep.monthly == pytest.approx(35.0) and prep.hourly == pytest.approx(35 / 730, abs=1e-5)
    assert "one month prepaid" in prep.detail and "CLOUD_PREMIUM 100 GB" in prep.detail
    open_lb, internal = c["lb-open0001"], c["lb-intn0001"]
    assert open_lb and open_lb.hourly == pytest.approx(0.02 + 10 * 0.06) and "bandwidth 10 Mbps" in open_lb.detail
    assert internal and internal.monthly == pytest.approx(21.9)
    band, prep_eip = c["eip-band0001"], c["eip-prep0001"]
    assert band and band.hourly == pytest.approx(0.4) and band.monthly == pytest.approx(292.0)
    assert "idle IP fee" in band.detail  # what the figure leaves out, said
    assert prep_eip and prep_eip.monthly == pytest.approx(46.0)
    assert calls == {"InquiryPriceCreateDisks": 2, "InquiryPriceCreateLoadBalancer": 2,
                     "InquiryPriceAllocateAddresses": 2}  # fmt: skip


def test_a_traffic_billed_idle_address_is_unknown_not_free() -> None:
    result, calls = scan(world(eips=[eip("eip-trfc0001", 1)]))
    cost = costs(result)["eip-trfc0001"]
    assert cost is not None and cost.source is None and cost.monthly is None and cost.hourly is None
    assert "per GB" in cost.detail and "idle IP fee" in cost.detail
    assert calls == {"InquiryPriceAllocateAddresses": 1}


def test_one_inquiry_per_distinct_configuration() -> None:
    data = world(
        disks=[disk(f"disk-same{i:04d}") for i in range(6)] + [disk("disk-big00001", DiskSize=200)],
        lbs=[lb(f"lb-same{i:04d}") for i in range(3)] + [lb("lb-reuse001", reused=True)],
        eips=[eip(f"eip-same{i:04d}", i, InternetChargeType="BANDWIDTH_POSTPAID_BY_HOUR") for i in range(4)],
    )
    result, calls = scan(data)
    assert len(result.leftovers) == 15 and all(x.cost and x.cost.source for x in result.leftovers)
    # The reused CLB is the same configuration as TKE's: priced by the same answer.
    assert calls == {"InquiryPriceCreateDisks": 2, "InquiryPriceCreateLoadBalancer": 1,
                     "InquiryPriceAllocateAddresses": 1}  # fmt: skip


def test_prices_are_cached_and_an_unknown_one_is_not(tmp_path: Path) -> None:
    w = world_from_data(world(disks=[disk("disk-cach0001")], lbs=[lb("lb-cach0001")],
                              eips=[eip("eip-cach0001", 1, InternetChargeType="BANDWIDTH_POSTPAID_BY_HOUR"),
                                    eip("eip-trfc0001", 2)]))  # fmt: skip
    t0 = datetime.now(UTC).replace(microsecond=0)
    with Emulator(w) as emu, StateDB(tmp_path / "s.db") as db:
        cfg = config_for(w, emu.url, detection=ALL)
        first = run_job(Run(cfg), state=db, notify=False, now=lambda: t0)
        assert [c is not None and c.source for c in costs(first.result).values()] == ["inquiry"] * 3 + [None]
        assert price_calls(emu) == {a: (2 if a == "InquiryPriceAllocateAddresses" else 1) for a in PRICE_ACTIONS}
        emu.stats.reset()
        second = run_job(Run(cfg), state=db, notify=False, now=lambda: t0 + timedelta(hours=23))
        # Only the unknown price is asked again (the failure may have been passing).
        assert price_calls(emu) == {"InquiryPriceAllocateAddresses": 1}
        assert costs(second.result) == costs(first.result)
        emu.stats.reset()
        run_job(Run(cfg), state=db, notify=False, now=lambda: t0 + timedelta(hours=25))
        assert price_calls(emu) == {a: (2 if a == "InquiryPriceAllocateAddresses" else 1) for a in PRICE_ACTIONS}


def test_a_failed_inquiry_is_null_with_the_reason_and_changes_nothing_else() -> None:
    band = {"InternetChargeType": "BANDWIDTH_POSTPAID_BY_HOUR"}
    data = world(disks=[disk("disk-deny0001"), disk("disk-hssd0001", DiskType="CLOUD_HSSD")],
                 lbs=[lb("lb-fine0001")], eips=[eip("eip-fine0001", 1, **band)])  # fmt: skip
    deny = [{"service": "cbs", "action": "InquiryPriceCreateDisks", "code": "UnauthorizedOperation",
             "message": "no CAM permission", "params": {"DiskType": "CLOUD_PREMIUM"}}]  # fmt: skip
    result, _ = scan(data, faults=deny)
    c = costs(result)
    refused, unsold = c["disk-deny0001"], c["disk-hssd0001"]
    assert refused is not None and refused.source is None and refused.monthly is None
    assert "cbs.InquiryPriceCreateDisks: UnauthorizedOperation" in refused.detail
    assert unsold is not None and unsold.source is None and "ResourceInsufficient" in unsold.detail
    assert c["lb-fine0001"] and c["lb-fine0001"].source == "inquiry"
    assert result.status == "ok" and all(r.status == "ok" for r in result.regions)
    doc = to_json(result)
    assert [(x["resource_id"], x["cost"]["monthly"]) for x in doc["leftovers"] if x["kind"] == "cbs_disk"] == [
        ("disk-deny0001", None), ("disk-hssd0001", None)]  # fmt: skip
    left = doc["summary"]["cost"]["leftovers"]
    assert [u["resource_id"] for u in left["unpriced"]] == ["disk-deny0001", "disk-hssd0001"]
    assert left["monthly"] == pytest.approx(14.6 + 10 * 0.08 * 730)  # the address: 10 Mbps, the world default
    # The same leftovers with pricing off: no price call, no cost, the same verdicts.
    without, calls = scan(data, faults=deny, pricing={"enabled": False})
    assert calls == {} and {x.cost for x in without.leftovers} == {None}
    strip = [(x.resource_id, x.kind, x.evidence, x.reused) for x in result.leftovers]
    assert [(x.resource_id, x.kind, x.evidence, x.reused) for x in without.leftovers] == strip
    assert to_json(without)["summary"]["cost"] is None


def test_reused_clbs_are_priced_but_not_counted_as_waste() -> None:
    result, _ = scan(world(lbs=[lb("lb-tkes0001"), lb("lb-user0001", reused=True, LoadBalancerType="INTERNAL")]))
    c = costs(result)
    assert c["lb-user0001"] and c["lb-user0001"].monthly == pytest.approx(0.03 * 730)
    cost = to_json(result)["summary"]["cost"]
    # No orphan: the orphans' keys are there, empty; the leftovers' total leaves the user's CLB out.
    assert (cost["currency"], cost["monthly"], cost["unpriced"]) == ("CNY", 0.0, [])
    assert cost["leftovers"]["monthly"] == pytest.approx(14.6) and cost["leftovers"]["by_kind"] == {"clb": 14.6}
    assert cost["leftovers"]["reused_monthly"] == pytest.approx(21.9)


def test_json_cost_has_the_orphans_shape_and_the_table_a_monthly_column() -> None:
    result, _ = scan(world(disks=[disk("disk-show0001")], eips=[eip("eip-trfc0001", 1)]))
    doc = to_json(result)
    for x in doc["leftovers"]:
        assert set(x["cost"]) == {"currency", "hourly", "monthly", "wasted", "source", "detail"}
        assert "billing" not in x and "attached" not in x
    out = io.StringIO()
    render_table(result, Console(file=out, width=160, color_system=None))
    text = out.getvalue()
    header = next(line for line in text.splitlines() if line.startswith("REGION") and "KIND" in line)
    assert header.rstrip().endswith("MONTHLY") and "STATE" in header  # wide enough: every column
    row = next(line for line in text.splitlines() if "disk-show0001" in line)
    assert row.rstrip().endswith("¥36.50")
    assert next(line for line in text.splitlines() if "eip-trfc0001" in line).rstrip().endswith("?")
    assert "Leftovers cost: about ¥36.50 a month; 1 without a price" in text


@pytest.mark.parametrize(("currency", "monthly"), [("CNY", 4.2), ("USD", None)])
def test_a_file_system_is_priced_at_its_list_price_in_its_own_currency_only(
    demo_data: dict[str, Any], currency: str, monthly: float | None
) -> None:
    """CFS has no price inquiry: the CNY list price of its storage type times the storage used (12 GiB of SD in
    the demo), said as such; an account priced in another currency gets no figure, never a CNY one labelled USD."""
    from .conftest import scan_world

    result = scan_world(demo_data, detection={"leftovers": ["cfs", "security_group"]},
                        pricing={"enabled": True, "currency": currency})  # fmt: skip
    got = {x.resource_id: x.cost for x in result.leftovers}
    cfs, sg = got["cfs-gzleft01"], got["sg-gzleft01"]
    assert cfs is not None and cfs.currency == currency and cfs.monthly == monthly
    if monthly is None:
        assert cfs.source is None and cfs.detail == f"the list price is in CNY, not {currency} (pricing.currency)"
    else:
        assert cfs.source == "list" and "at the list price of 0.35 CNY a GiB-month" in cfs.detail
    assert sg is not None and sg.monthly == 0 and sg.source == "list"  # free, and known to be
