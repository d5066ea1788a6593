"""What each orphan costs: the real scan, through the official SDK, against the emulator's price APIs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tke_orphans.context import Run
from tke_orphans.job import run_job
from tke_orphans.model import ScanResult
from tke_orphans.render.json import to_json
from tke_orphans.scan import run_scan
from tke_orphans.state import StateDB
from tke_orphans_testkit.emulator import Emulator, FaultPlan, world_from_data

from .conftest import config_for

REGION = "ap-guangzhou"
PRICES: dict[str, Any] = {
    "types": [
        {"InstanceType": "S5.MEDIUM4", "InstanceChargeType": "POSTPAID_BY_HOUR", "Price": 0.32},
        {"InstanceType": "S5.MEDIUM4", "InstanceChargeType": "PREPAID", "Price": 158},
        {"InstanceType": "S5.MEDIUM4", "InstanceChargeType": "SPOTPAID", "Price": 0.06},
        {"InstanceType": "S5.LARGE8", "InstanceChargeType": "POSTPAID_BY_HOUR", "Price": 0.64, "Status": "SOLD_OUT"},
    ],
    "disk_hourly": {"CLOUD_BSSD": 0.0004, "CLOUD_SSD": 0.0014, "CLOUD_PREMIUM": 0.0005},
    "disk_monthly": {"CLOUD_BSSD": 0.3, "CLOUD_PREMIUM": 0.35},
    "bandwidth_hourly": 0.06,
    "bandwidth_monthly": 20,
    "traffic_per_gb": 0.8,
    "images": ["img-eb30mz89"],
}


def orphan(iid: str, **fields: Any) -> dict[str, Any]:
    """A worker of a deleted cluster: an orphan whatever its price."""
    return {"InstanceId": iid, "InstanceName": "tke_cls-gone0001_worker", "CreatedTime": "-3d",
            "Placement": {"Zone": f"{REGION}-3"}, **fields}  # fmt: skip


def world(*instances: dict[str, Any], prices: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "credentials": [{"secret_id": "AKIDprice", "secret_key": "price-key"}],
        "regions": {REGION: {"instances": list(instances)}},
        "prices": PRICES if prices is None else prices,
    }


def price_calls(emu: Emulator) -> dict[str, int]:
    return {a["action"]: a["calls"] for a in emu.stats.snapshot()["actions"]
            if a["action"].startswith("InquiryPrice") or a["action"] == "DescribeZoneInstanceConfigInfos"}  # fmt: skip


def scan(data: dict[str, Any], **sections: Any) -> tuple[ScanResult, dict[str, int]]:
    w = world_from_data(data)
    with Emulator(w) as emu:
        result = run_scan(Run(config_for(w, emu.url, **sections)))
        return result, price_calls(emu)


def costs(result: ScanResult) -> dict[str, Any]:
    return {o.instance.instance_id: o.cost for o in result.orphans}


def test_postpaid_with_disks_and_bandwidth_is_quoted_in_full() -> None:
    result, calls = scan(world(orphan(
        "ins-full0001",
        SystemDisk={"DiskType": "CLOUD_SSD", "DiskSize": 100},
        DataDisks=[{"DiskType": "CLOUD_PREMIUM", "DiskSize": 500}, {"DiskType": "CLOUD_BSSD", "DiskSize": 100}],
        InternetAccessible={"InternetChargeType": "BANDWIDTH_POSTPAID_BY_HOUR", "InternetMaxBandwidthOut": 10},
    )))  # fmt: skip
    cost = costs(result)["ins-full0001"]
    hourly = 0.32 + 100 * 0.0014 + 500 * 0.0005 + 100 * 0.0004 + 10 * 0.06
    assert cost.source == "inquiry" and cost.currency == "CNY"
    assert cost.hourly == pytest.approx(hourly) and cost.monthly == pytest.approx(hourly * 730, abs=0.01)
    assert "2 data disk(s) 600 GB" in cost.detail and "bandwidth 10 Mbps" in cost.detail
    assert calls == {"InquiryPriceRunInstances": 1}


def test_traffic_billed_bandwidth_is_named_not_added() -> None:
    result, _ = scan(world(orphan("ins-traf0001", InternetAccessible={
        "InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR", "InternetMaxBandwidthOut": 100})))  # fmt: skip
    cost = costs(result)["ins-traf0001"]
    assert cost.hourly == pytest.approx(0.32 + 50 * 0.0004)
    assert "traffic 0.8/GB not included" in cost.detail


def test_prepaid_is_priced_by_its_renewal() -> None:
    result, calls = scan(world(orphan(
        "ins-prep0001", InstanceChargeType="PREPAID", ExpiredTime="+30d",
        DataDisks=[{"DiskType": "CLOUD_PREMIUM", "DiskSize": 200}],
        InternetAccessible={"InternetChargeType": "BANDWIDTH_PREPAID", "InternetMaxBandwidthOut": 5},
    )))  # fmt: skip
    cost = costs(result)["ins-prep0001"]
    monthly = 158 + 50 * 0.3 + 200 * 0.35 + 5 * 20
    assert cost.source == "renew" and cost.monthly == pytest.approx(monthly)
    assert cost.hourly == pytest.approx(monthly / 730, abs=1e-4)
    assert calls == {"InquiryPriceRenewInstances": 1}


def test_spot_is_quoted_at_the_spot_price() -> None:
    result, _ = scan(world(orphan("ins-spot0001", InstanceChargeType="SPOTPAID")))
    cost = costs(result)["ins-spot0001"]
    assert cost.source == "inquiry" and cost.hourly == pytest.approx(0.06 + 50 * 0.0004)
    assert "spot" in cost.detail


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"InstanceType": "S5.LARGE8"}, "ResourcesSoldOut.SpecifiedInstanceType"),
        ({"ImageId": "img-deleted1"}, "InvalidImageId.NotFound"),
    ],
)
def test_a_failed_inquiry_falls_back_to_the_type_price(fields: dict[str, Any], code: str) -> None:
    result, calls = scan(world(orphan("ins-fall0001", **fields)))
    cost = costs(result)["ins-fall0001"]
    price = 0.64 if fields.get("InstanceType") else 0.32
    assert cost.source == "type_only" and cost.hourly == pytest.approx(price)  # the disk is not in it
    assert code in cost.detail
    assert calls == {"InquiryPriceRunInstances": 1, "DescribeZoneInstanceConfigInfos": 1}
    assert result.status == "ok"


def test_an_unpriceable_instance_is_null_with_the_reason_and_the_scan_stays_ok() -> None:
    data = world(orphan("ins-nopr0001", InstanceType="GN7.2XLARGE32"), orphan("ins-ok000001"))
    result, _ = scan(data)
    unpriced, priced = costs(result)["ins-nopr0001"], costs(result)["ins-ok000001"]
    assert unpriced.source is None and unpriced.hourly is None and unpriced.monthly is None
    assert "InvalidParameterValue.InstanceTypeNotFound" in unpriced.detail and "DescribeZoneInstanceConfigInfos" in (
        unpriced.detail
    )
    assert priced.source == "inquiry"
    assert result.status == "ok" and all(r.status == "ok" for r in result.regions)
    without, calls = scan(data, pricing={"enabled": False})
    verdict = [(o.instance.instance_id, o.reason, o.evidence) for o in result.orphans]
    assert calls == {} and [(o.instance.instance_id, o.reason, o.evidence) for o in without.orphans] == verdict
    assert {o.cost for o in without.orphans} == {None}
    doc = to_json(result)
    assert doc["status"] == "ok"
    assert doc["summary"]["cost"]["unpriced"] == [
        {"account": "default", "region": REGION, "instance_id": "ins-nopr0001", "detail": unpriced.detail}
    ]
    assert doc["summary"]["cost"]["monthly"] == priced.monthly
    assert doc["orphans"][0]["cost"]["source"] is None and doc["orphans"][0]["cost"]["monthly"] is None


def test_a_failing_price_api_changes_no_verdict() -> None:
    """Every price call refused (no CAM permission): the same orphans, the scan ok, every price null."""
    data = world(orphan("ins-deny0001"), orphan("ins-deny0002", InstanceChargeType="PREPAID", ExpiredTime="+9d"))
    w = world_from_data(data)
    actions = ("InquiryPriceRunInstances", "InquiryPriceRenewInstances", "DescribeZoneInstanceConfigInfos")
    deny = [{"service": "cvm", "action": a, "code": "UnauthorizedOperation", "message": "no CAM permission"}
            for a in actions]  # fmt: skip
    with Emulator(w, faults=FaultPlan.from_data({"seed": 1, "faults": deny})) as emu:
        result = run_scan(Run(config_for(w, emu.url)))
    assert result.status == "ok" and {o.instance.instance_id for o in result.orphans} == {"ins-deny0001",
                                                                                        "ins-deny0002"}  # fmt: skip
    assert all(o.cost is not None and o.cost.source is None and "UnauthorizedOperation" in o.cost.detail
               for o in result.orphans)  # fmt: skip


def test_one_inquiry_per_distinct_configuration() -> None:
    same = [orphan(f"ins-same{i:04d}") for i in range(12)]
    disks = [orphan(f"ins-disk{i:04d}", DataDisks=[{"DiskType": "CLOUD_BSSD", "DiskSize": 100}]) for i in range(5)]
    prepaid = [orphan(f"ins-prep{i:04d}", InstanceChargeType="PREPAID", ExpiredTime="+9d") for i in range(4)]
    result, calls = scan(world(*same, *disks, *prepaid))
    assert len(result.orphans) == 21 and all(o.cost and o.cost.source for o in result.orphans)
    assert calls == {"InquiryPriceRunInstances": 2, "InquiryPriceRenewInstances": 1}


def test_prices_are_cached_in_the_state_for_their_time_to_live(tmp_path: Path) -> None:
    w = world_from_data(world(orphan("ins-cach0001"), orphan("ins-cach0002", InstanceChargeType="PREPAID",
                                                            ExpiredTime="+9d")))  # fmt: skip
    t0 = datetime.now(UTC).replace(microsecond=0)
    with Emulator(w) as emu, StateDB(tmp_path / "s.db") as db:
        cfg = config_for(w, emu.url)
        first = run_job(Run(cfg), state=db, notify=False, now=lambda: t0)
        assert price_calls(emu) == {"InquiryPriceRunInstances": 1, "InquiryPriceRenewInstances": 1}
        emu.stats.reset()
        second = run_job(Run(cfg), state=db, notify=False, now=lambda: t0 + timedelta(hours=23))
        assert price_calls(emu) == {}  # a second scan makes no price calls
        assert [o.cost for o in second.result.orphans] == [o.cost for o in first.result.orphans]
        third = run_job(Run(cfg), state=db, notify=False, now=lambda: t0 + timedelta(hours=25))
        assert price_calls(emu) == {"InquiryPriceRunInstances": 1, "InquiryPriceRenewInstances": 1}
        assert [o.cost for o in third.result.orphans] == [o.cost for o in first.result.orphans]


def test_an_unknown_price_is_not_cached(tmp_path: Path) -> None:
    w = world_from_data(world(orphan("ins-nopr0001", InstanceType="GN7.2XLARGE32")))
    with Emulator(w) as emu, StateDB(tmp_path / "s.db") as db:
        cfg = config_for(w, emu.url)
        run_job(Run(cfg), state=db, notify=False)
        emu.stats.reset()
        run_job(Run(cfg), state=db, notify=False)
        assert price_calls(emu) == {"InquiryPriceRunInstances": 1, "DescribeZoneInstanceConfigInfos": 1}
