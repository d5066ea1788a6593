"""Purchase inquiries of the other billed products: cbs 2017-03-12 InquiryPriceCreateDisks, clb 2018-03-17
InquiryPriceCreateLoadBalancer and vpc 2017-03-12 InquiryPriceAllocateAddresses, answered from the world's price
table (`prices`).

Parameters, required ones, value ranges and error codes follow the SDK's models and errorcodes.py; the prices follow
the emulator's own rule (docs/emulator.md): a rate times the size, bandwidth or count. A rate the table lacks is a
product not sold in the region: ResourceInsufficient. The figures' shapes: a disk's `DiskPrice` (cbs Price); a CLB's
`Price{InstancePrice, BandwidthPrice, LcuPrice}` (ItemPrice); an address's `Price{AddressPrice, IPPrice,
OriginalPrice, DiscountPrice}`, where `IPPrice` is answered only for a native IP (`IPChargeType`), as documented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ApiError
from . import params as P
from .context import Answer, Ctx

PERIODS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 36)
# DiskType as InquiryPriceCreateDisks/CreateDisks take it, with each type's smallest size (GiB); at most 32000.
DISK_MIN_SIZE = {"CLOUD_PREMIUM": 10, "CLOUD_BSSD": 20, "CLOUD_SSD": 20, "CLOUD_HSSD": 20, "CLOUD_TSSD": 20}
MAX_DISK_SIZE = 32000
DISK_PARAMS = {"DiskChargeType", "DiskType", "DiskSize", "ProjectId", "DiskCount", "ThroughputPerformance",
               "DiskChargePrepaid", "DiskBackupQuota"}  # fmt: skip
LB_PARAMS = {"LoadBalancerType", "LoadBalancerChargeType", "LoadBalancerChargePrepaid", "InternetAccessible",
             "GoodsNum", "ZoneId", "SlaType", "AddressIPVersion", "VipIsp"}  # fmt: skip
LB_INTERNET = ("TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR", "BANDWIDTH_PACKAGE", "BANDWIDTH_PREPAID")
SLA_TYPES = ("clb.c1.small", "clb.c2.medium", "clb.c3.small", "clb.c3.medium", "clb.c4.small", "clb.c4.medium",
             "clb.c4.large", "clb.c4.xlarge", "shared")  # fmt: skip
MAX_LB_BANDWIDTH = 2048  # a shared CLB's cap (a performance class goes to 61440)
EIP_PARAMS = {"InternetChargeType", "InternetMaxBandwidthOut", "AddressChargePrepaid", "AddressType", "IPChargeType"}
# Each EIP billing with its bandwidth range in Mbps (InquiryPriceAllocateAddresses' docstring).
EIP_BANDWIDTH = {"BANDWIDTH_POSTPAID_BY_HOUR": 100, "BANDWIDTH_PREPAID_BY_MONTH": 200, "TRAFFIC_POSTPAID_BY_HOUR": 100}
EIP_TYPES = ("EIP", "HighQualityEIP", "AntiDDoSEIP")
IP_CHARGE_TYPES = ("IP_POSTPAID_BY_HOUR", "IP_PREPAID_BY_MONTH")


def _obj(params: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = params.get(name)
    if value is not None and not isinstance(value, dict):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected an object.")
    return value


def _required_int(params: dict[str, Any], name: str) -> int:
    value = params.get(name)
    if value is None:
        raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected an integer.")
    return value


def _period(params: dict[str, Any], name: str, *, required: bool) -> int:
    prepaid = _obj(params, name)
    if prepaid is None:
        if required:
            raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
        return 1
    if required:
        period = _required_int(prepaid, "Period")
    else:
        period = P.opt_int(prepaid, "Period", 1, lo=1, over_code="InvalidParameterValue")
    if period not in PERIODS:
        raise ApiError("InvalidParameterValue", f"`{name}.Period` {period} is not valid: use one of {PERIODS}.")
    return period


def _lookup(rates: Mapping[Any, float], key: str) -> float | None:
    return rates.get(key)


def _rate(rate: float | None, what: str) -> float:
    if rate is None:
        raise ApiError("ResourceInsufficient", f"{what} is not sold in this region.")
    return rate


def _hourly(price: float, unit: str = "HOUR") -> dict[str, Any]:
    price = round(price, 5)
    return {"UnitPrice": price, "ChargeUnit": unit, "UnitPriceDiscount": price, "Discount": 100.0}


def _upfront(price: float) -> dict[str, Any]:
    price = round(price, 5)
    return {"OriginalPrice": price, "DiscountPrice": price, "Discount": 100.0}


def inquiry_price_create_disks(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, DISK_PARAMS)
    _ = ctx.region  # a missing or unknown region fails first, as in the cloud
    prices = ctx.store.world.spec.prices
    charge = P.required_str(params, "DiskChargeType")
    if charge not in ("PREPAID", "POSTPAID_BY_HOUR"):
        raise ApiError(
            "InvalidParameterValue", f"`DiskChargeType` {charge!r} is not valid: PREPAID or POSTPAID_BY_HOUR"
        )
    disk_type = P.required_str(params, "DiskType")
    if disk_type not in DISK_MIN_SIZE:
        raise ApiError("InvalidParameterValue", f"`DiskType` {disk_type!r} is not valid: one of {tuple(DISK_MIN_SIZE)}")
    size = _required_int(params, "DiskSize")
    if not DISK_MIN_SIZE[disk_type] <= size <= MAX_DISK_SIZE:
        raise ApiError("InvalidParameterValue", f"A {disk_type} disk is {DISK_MIN_SIZE[disk_type]} to "
                                                f"{MAX_DISK_SIZE} GiB, got {size}.")  # fmt: skip
    count = P.opt_int(params, "DiskCount", 1, lo=1, hi=50, over_code="InvalidParameterValue.LimitExceeded")
    period = _period(params, "DiskChargePrepaid", required=charge == "PREPAID")
    if charge == "PREPAID":
        rate = _rate(_lookup(prices.disk_monthly, disk_type), f"A prepaid {disk_type} disk")
        price = _upfront(rate * size * count * period)
        price |= {"OriginalPriceHigh": str(price["OriginalPrice"]), "DiscountPriceHigh": str(price["DiscountPrice"])}
    else:
        rate = _rate(_lookup(prices.disk_hourly, disk_type), f"A postpaid {disk_type} disk")
        price = _hourly(rate * size * count)
        price |= {"UnitPriceHigh": str(price["UnitPrice"]), "UnitPriceDiscountHigh": str(price["UnitPriceDiscount"])}
    price.pop("Discount")
    return {"DiskPrice": price}


def _lb_bandwidth(params: dict[str, Any], ctx: Ctx, lb_type: str, prepaid: bool, period: int) -> dict[str, Any] | None:
    net = _obj(params, "InternetAccessible")
    if lb_type == "INTERNAL" or net is None:
        return None
    prices = ctx.store.world.spec.prices
    kind = P.opt_str(net, "InternetChargeType") or "TRAFFIC_POSTPAID_BY_HOUR"
    if kind not in LB_INTERNET:
        raise ApiError("InvalidParameterValue", f"`InternetAccessible.InternetChargeType` {kind!r} is not valid.")
    mbps = P.opt_int(
        net, "InternetMaxBandwidthOut", 10, lo=1, hi=MAX_LB_BANDWIDTH, over_code="InvalidParameterValue.Range"
    )
    if kind == "TRAFFIC_POSTPAID_BY_HOUR":
        return _hourly(prices.traffic_per_gb, "GB")
    if kind == "BANDWIDTH_POSTPAID_BY_HOUR":
        return _hourly(mbps * prices.bandwidth_hourly)
    if kind == "BANDWIDTH_PREPAID":
        if not prepaid:
            raise ApiError("InvalidParameterValue", "BANDWIDTH_PREPAID is for a prepaid load balancer only.")
        return _upfront(mbps * prices.bandwidth_monthly * period)
    return None  # a bandwidth package is billed on its own


def inquiry_price_create_load_balancer(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, LB_PARAMS)
    rs = ctx.region
    prices = ctx.store.world.spec.prices
    lb_type = P.required_str(params, "LoadBalancerType")
    if lb_type not in ("OPEN", "INTERNAL"):
        raise ApiError("InvalidParameterValue", f"`LoadBalancerType` {lb_type!r} is not valid: OPEN or INTERNAL.")
    charge = P.required_str(params, "LoadBalancerChargeType")
    if charge not in ("POSTPAID", "PREPAID"):
        raise ApiError(
            "InvalidParameterValue", f"`LoadBalancerChargeType` {charge!r} is not valid: POSTPAID or PREPAID"
        )
    prepaid = charge == "PREPAID"
    if not prepaid and params.get("LoadBalancerChargePrepaid") is not None:
        raise ApiError("InvalidParameter", "`LoadBalancerChargePrepaid` is for a prepaid load balancer only.")
    period = _period(params, "LoadBalancerChargePrepaid", required=prepaid)
    goods = P.opt_int(params, "GoodsNum", 1, lo=1, hi=20, over_code="InvalidParameterValue.Range")
    zone = P.opt_str(params, "ZoneId")
    if zone is not None and not zone.startswith(rs.name + "-"):
        raise ApiError("InvalidParameterValue", f"The zone `{zone}` is not in the region `{rs.name}`.")
    sla = P.opt_str(params, "SlaType")
    if sla is not None and sla not in SLA_TYPES:
        raise ApiError("InvalidParameterValue", f"`SlaType` {sla!r} is not valid.")
    version = (P.opt_str(params, "AddressIPVersion") or "IPV4").upper()
    if version not in ("IPV4", "IPV6", "IPV6FULLCHAIN"):
        raise ApiError("InvalidParameterValue", "`AddressIPVersion` is IPV4, IPV6 or IPv6FullChain.")
    bandwidth = _lb_bandwidth(params, ctx, lb_type, prepaid, period)
    if prepaid:
        rate = _rate(_lookup(prices.clb_monthly, lb_type), f"A prepaid {lb_type} load balancer")
        instance = _upfront(rate * period * goods)
    else:
        rate = _rate(_lookup(prices.clb_hourly, lb_type), f"A postpaid {lb_type} load balancer")
        instance = _hourly(rate * goods)
    lcu = _hourly(prices.clb_lcu_hourly, "LCU") if sla not in (None, "shared") and not prepaid else None
    return {"Price": {"InstancePrice": instance, "BandwidthPrice": bandwidth, "LcuPrice": lcu}}


def inquiry_price_allocate_addresses(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, EIP_PARAMS)
    _ = ctx.region
    prices = ctx.store.world.spec.prices
    kind = P.opt_str(params, "InternetChargeType") or "TRAFFIC_POSTPAID_BY_HOUR"
    if kind not in EIP_BANDWIDTH:
        raise ApiError("InvalidParameterValue", f"`InternetChargeType` {kind!r} is not valid.")
    mbps = P.opt_int(params, "InternetMaxBandwidthOut", 1, lo=1, over_code="InvalidParameterValue.BandwidthOutOfRange")
    if mbps > EIP_BANDWIDTH[kind]:
        raise ApiError("InvalidParameterValue.BandwidthOutOfRange",
                       f"A {kind} address is 1 to {EIP_BANDWIDTH[kind]} Mbps, got {mbps}.")  # fmt: skip
    address_type = P.opt_str(params, "AddressType") or "EIP"
    if address_type not in EIP_TYPES:
        raise ApiError("InvalidParameterValue", f"`AddressType` {address_type!r} is not valid: one of {EIP_TYPES}.")
    prepaid = kind == "BANDWIDTH_PREPAID_BY_MONTH"
    if not prepaid and params.get("AddressChargePrepaid") is not None:
        raise ApiError("InvalidParameterValue.AddressInternetChargeTypeConflict",
                       "`AddressChargePrepaid` is for BANDWIDTH_PREPAID_BY_MONTH only.")  # fmt: skip
    period = _period(params, "AddressChargePrepaid", required=prepaid)
    ip_charge = P.opt_str(params, "IPChargeType")
    if ip_charge is not None and ip_charge not in IP_CHARGE_TYPES:
        raise ApiError("InvalidParameterValue", f"`IPChargeType` {ip_charge!r} is not valid.")
    answer: dict[str, Any] = {}
    if prepaid:
        total = _rate(prices.eip_bandwidth_monthly, "A prepaid address") * mbps * period
        answer["AddressPrice"] = {"OriginalPrice": round(total, 5), "DiscountPrice": round(total, 5),
                                  "ChargeUnit": "MONTH"}  # fmt: skip
        answer |= {"OriginalPrice": round(total, 5), "DiscountPrice": round(total, 5)}
    elif kind == "BANDWIDTH_POSTPAID_BY_HOUR":
        hourly = round(_rate(prices.eip_bandwidth_hourly, "A bandwidth-billed address") * mbps, 5)
        answer["AddressPrice"] = {"UnitPrice": hourly, "DiscountPrice": hourly, "ChargeUnit": "HOUR"}
    else:  # the docstring names the unit HOUR; the figure is the traffic's rate per GB
        answer["AddressPrice"] = {"UnitPrice": prices.traffic_per_gb, "DiscountPrice": prices.traffic_per_gb,
                                  "ChargeUnit": "HOUR"}  # fmt: skip
    if ip_charge is not None:
        fee = round(_rate(prices.eip_ip_hourly, "A native IP"), 5)
        answer["IPPrice"] = {"UnitPrice": fee, "DiscountPrice": fee, "ChargeUnit": "HOUR"}
    return {"Price": answer}
