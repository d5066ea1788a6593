"""cbs InquiryPriceCreateDisks, clb InquiryPriceCreateLoadBalancer and vpc InquiryPriceAllocateAddresses through the
official SDK: answers from the demo world's price table, required parameters, value checks, error codes, the rate."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tencentcloud.cbs.v20170312 import models as cbs_models
from tencentcloud.clb.v20180317 import models as clb_models
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vpc.v20170312 import models as vpc_models

from tke_orphans_testkit.emulator import World, WorldError, load_world
from tke_orphans_testkit.emulator.ratelimit import RateLimiter

Api = Any
DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-world.yaml"


def sdk(client: Any, models: Any, action: str, params: dict[str, Any]) -> Any:
    """One call with the SDK's own request and response models."""
    req = getattr(models, f"{action}Request")()
    req.from_json_string(json.dumps(params))
    return json.loads(getattr(client, action)(req).to_json_string())


def disk_price(api: Api, **params: Any) -> Any:
    return sdk(api.cbs(), cbs_models, "InquiryPriceCreateDisks", params)


def lb_price(api: Api, **params: Any) -> Any:
    return sdk(api.clb(), clb_models, "InquiryPriceCreateLoadBalancer", params)


def eip_price(api: Api, **params: Any) -> Any:
    return sdk(api.vpc(), vpc_models, "InquiryPriceAllocateAddresses", params)


def code(fn: Any, api: Api, **params: Any) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        fn(api, **params)
    return str(info.value.get_code())


# The demo world's rates: CLOUD_PREMIUM 0.00048/GB-hour, 0.35/GB-month; CLB 0.02/h, 14.6/month; bandwidth
# 0.063/Mbps-hour, 20/Mbps-month; EIP bandwidth 0.08/Mbps-hour, 23/Mbps-month; IP fee 0.2/h; traffic 0.8/GB.


def test_disk_prices(demo: Api) -> None:
    post = disk_price(demo, DiskChargeType="POSTPAID_BY_HOUR", DiskType="CLOUD_PREMIUM", DiskSize=100)["DiskPrice"]
    assert (post["UnitPrice"], post["ChargeUnit"]) == (pytest.approx(0.048), "HOUR")
    pre = disk_price(demo, DiskChargeType="PREPAID", DiskType="CLOUD_PREMIUM", DiskSize=100, DiskCount=2,
                     DiskChargePrepaid={"Period": 3})["DiskPrice"]  # fmt: skip
    assert pre["DiscountPrice"] == pytest.approx(0.35 * 100 * 2 * 3) and pre["UnitPrice"] is None


@pytest.mark.parametrize(
    ("params", "want"),
    [
        ({"DiskType": "CLOUD_PREMIUM", "DiskSize": 100}, "MissingParameter"),
        ({"DiskChargeType": "POSTPAID_BY_HOUR", "DiskSize": 100}, "MissingParameter"),
        ({"DiskChargeType": "POSTPAID_BY_HOUR", "DiskType": "CLOUD_PREMIUM"}, "MissingParameter"),
        ({"DiskChargeType": "SPOTPAID", "DiskType": "CLOUD_PREMIUM", "DiskSize": 100}, "InvalidParameterValue"),
        ({"DiskChargeType": "POSTPAID_BY_HOUR", "DiskType": "CLOUD_BASIC", "DiskSize": 100}, "InvalidParameterValue"),
        ({"DiskChargeType": "POSTPAID_BY_HOUR", "DiskType": "CLOUD_SSD", "DiskSize": 10}, "InvalidParameterValue"),
        ({"DiskChargeType": "PREPAID", "DiskType": "CLOUD_PREMIUM", "DiskSize": 100}, "MissingParameter"),
        ({"DiskChargeType": "PREPAID", "DiskType": "CLOUD_PREMIUM", "DiskSize": 100,
          "DiskChargePrepaid": {"Period": 13}}, "InvalidParameterValue"),
        ({"DiskChargeType": "POSTPAID_BY_HOUR", "DiskType": "CLOUD_HSSD", "DiskSize": 100}, "ResourceInsufficient"),
    ],
)  # fmt: skip
def test_disk_price_errors(demo: Api, params: dict[str, Any], want: str) -> None:
    assert code(disk_price, demo, **params) == want


def test_load_balancer_prices(demo: Api) -> None:
    post = lb_price(demo, LoadBalancerType="OPEN", LoadBalancerChargeType="POSTPAID",
                    InternetAccessible={"InternetChargeType": "BANDWIDTH_POSTPAID_BY_HOUR",
                                        "InternetMaxBandwidthOut": 10})["Price"]  # fmt: skip
    assert post["InstancePrice"]["UnitPrice"] == pytest.approx(0.02)
    assert post["BandwidthPrice"]["UnitPrice"] == pytest.approx(0.63) and post["LcuPrice"] is None
    traffic = lb_price(demo, LoadBalancerType="OPEN", LoadBalancerChargeType="POSTPAID", SlaType="clb.c2.medium",
                       InternetAccessible={"InternetChargeType": "TRAFFIC_POSTPAID_BY_HOUR"})["Price"]  # fmt: skip
    assert traffic["BandwidthPrice"]["ChargeUnit"] == "GB" and traffic["LcuPrice"]["UnitPrice"] == pytest.approx(0.21)
    internal = lb_price(demo, LoadBalancerType="INTERNAL", LoadBalancerChargeType="PREPAID",
                        LoadBalancerChargePrepaid={"Period": 2})["Price"]  # fmt: skip
    assert internal["InstancePrice"]["DiscountPrice"] == pytest.approx(29.2) and internal["BandwidthPrice"] is None


@pytest.mark.parametrize(
    ("params", "want"),
    [
        ({"LoadBalancerChargeType": "POSTPAID"}, "MissingParameter"),
        ({"LoadBalancerType": "OPEN"}, "MissingParameter"),
        ({"LoadBalancerType": "PUBLIC", "LoadBalancerChargeType": "POSTPAID"}, "InvalidParameterValue"),
        # DescribeLoadBalancers' charge type is not the inquiry's
        ({"LoadBalancerType": "OPEN", "LoadBalancerChargeType": "POSTPAID_BY_HOUR"}, "InvalidParameterValue"),
        ({"LoadBalancerType": "OPEN", "LoadBalancerChargeType": "PREPAID"}, "MissingParameter"),
        ({"LoadBalancerType": "OPEN", "LoadBalancerChargeType": "POSTPAID",
          "InternetAccessible": {"InternetMaxBandwidthOut": 4096}}, "InvalidParameterValue.Range"),
        ({"LoadBalancerType": "OPEN", "LoadBalancerChargeType": "POSTPAID", "ZoneId": "ap-shanghai-2"},
         "InvalidParameterValue"),
        ({"LoadBalancerType": "OPEN", "LoadBalancerChargeType": "POSTPAID", "SlaType": "clb.c9.huge"},
         "InvalidParameterValue"),
    ],
)  # fmt: skip
def test_load_balancer_price_errors(demo: Api, params: dict[str, Any], want: str) -> None:
    assert code(lb_price, demo, **params) == want


def test_address_prices(demo: Api) -> None:
    band = eip_price(demo, InternetChargeType="BANDWIDTH_POSTPAID_BY_HOUR", InternetMaxBandwidthOut=5)["Price"]
    assert band["AddressPrice"]["UnitPrice"] == pytest.approx(0.4) and band["IPPrice"] is None
    pre = eip_price(demo, InternetChargeType="BANDWIDTH_PREPAID_BY_MONTH", InternetMaxBandwidthOut=2,
                    AddressChargePrepaid={"Period": 1})["Price"]  # fmt: skip
    assert pre["DiscountPrice"] == pytest.approx(46) and pre["AddressPrice"]["ChargeUnit"] == "MONTH"
    native = eip_price(demo, InternetChargeType="TRAFFIC_POSTPAID_BY_HOUR", IPChargeType="IP_POSTPAID_BY_HOUR")
    assert native["Price"]["IPPrice"]["UnitPrice"] == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("params", "want"),
    [
        ({"InternetChargeType": "BANDWIDTH_PACKAGE"}, "InvalidParameterValue"),
        ({"InternetChargeType": "BANDWIDTH_POSTPAID_BY_HOUR", "InternetMaxBandwidthOut": 101},
         "InvalidParameterValue.BandwidthOutOfRange"),
        ({"InternetChargeType": "BANDWIDTH_PREPAID_BY_MONTH"}, "MissingParameter"),
        ({"AddressChargePrepaid": {"Period": 1}}, "InvalidParameterValue.AddressInternetChargeTypeConflict"),
        ({"AddressType": "AnycastEIP"}, "InvalidParameterValue"),
        ({"IPChargeType": "IP_FREE"}, "InvalidParameterValue"),
    ],
)  # fmt: skip
def test_address_price_errors(demo: Api, params: dict[str, Any], want: str) -> None:
    assert code(eip_price, demo, **params) == want


def test_an_unknown_parameter_and_a_missing_region_are_refused(demo: Api) -> None:
    with pytest.raises(TencentCloudSDKException) as info:  # the SDK's model would drop it: a common client
        demo.call("vpc", "2017-03-12", "InquiryPriceAllocateAddresses", {"Colour": "red"}, region="ap-guangzhou")
    assert info.value.get_code() == "UnknownParameter"
    with pytest.raises(TencentCloudSDKException) as info:
        demo.call("cbs", "2017-03-12", "InquiryPriceCreateDisks",
                  {"DiskChargeType": "POSTPAID_BY_HOUR", "DiskType": "CLOUD_PREMIUM", "DiskSize": 100})  # fmt: skip
    assert info.value.get_code() == "MissingParameter"


@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("cbs", lambda api: disk_price(api, DiskChargeType="POSTPAID_BY_HOUR", DiskType="CLOUD_PREMIUM", DiskSize=10)),
        ("clb", lambda api: lb_price(api, LoadBalancerType="OPEN", LoadBalancerChargeType="POSTPAID")),
        ("vpc", eip_price),
    ],
)
def test_each_inquiry_is_limited_to_20_calls_a_second(serve: Any, demo_world: World, service: str, call: Any) -> None:
    api = serve(demo_world, rate_limits="real")
    api.em.limiter = RateLimiter(clock=lambda: 0.0)  # no token comes back, however slow the machine
    results = []
    for _ in range(21):
        try:
            call(api)
            results.append("ok")
        except TencentCloudSDKException as exc:
            results.append(str(exc.get_code()))
    assert results == ["ok"] * 20 + ["RequestLimitExceeded"]


DEMO_PRICES = yaml.safe_load(DEMO.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("key", "value", "path", "detail"),
    [
        ("clb_hourly", {"PUBLIC": 0.02}, "prices.clb_hourly.PUBLIC", "OPEN"),
        ("clb_monthly", {"OPEN": -1}, "prices.clb_monthly.OPEN", "greater than or equal to 0"),
        ("eip_bandwidth_hourly", "cheap", "prices.eip_bandwidth_hourly", "number"),
        ("eip_idle_hourly", 0.2, "prices.eip_idle_hourly", "unknown key"),
    ],
)
def test_bad_leftover_prices_name_file_and_path(tmp_path: Any, key: str, value: Any, path: str, detail: str) -> None:
    data = copy.deepcopy(DEMO_PRICES)
    data["prices"][key] = value
    file = tmp_path / "bad-prices.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(WorldError) as info:
        load_world(file)
    assert (info.value.source, info.value.path) == (str(file), path)
    assert detail in info.value.problem, info.value.problem
