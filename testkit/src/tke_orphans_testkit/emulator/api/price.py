"""cvm 2017-03-12 price inquiries: InquiryPriceRunInstances, InquiryPriceRenewInstances and
DescribeZoneInstanceConfigInfos, answered from the world's price table.

The parameters, limits and error codes are the real API's (the SDK's models); the prices follow the emulator's own
rule: a quote is the machine type's price plus the disks' and the bandwidth's at the table's rates (the cloud's
`InstancePrice` appears to include the disks too). A sold-out type cannot be quoted but is still described; an
image that does not exist fails the quote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ApiError
from ..world import Prices, TypePrice
from . import params as P
from .context import Answer, Ctx
from .cvm import instance_of

# InquiryPriceRunInstances quotes these only (its docstring): a CDH or CDC instance is billed with its host.
CHARGE_TYPES = ("PREPAID", "POSTPAID_BY_HOUR", "SPOTPAID")
INTERNET_CHARGE_TYPES = ("BANDWIDTH_PREPAID", "TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR",
                         "BANDWIDTH_PACKAGE")  # fmt: skip
PERIODS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 36, 48, 60)
RUN_PARAMS = {
    "Placement", "ImageId", "InstanceChargeType", "InstanceChargePrepaid", "InstanceType", "SystemDisk", "DataDisks",
    "VirtualPrivateCloud", "InternetAccessible", "InstanceCount", "InstanceName", "LoginSettings", "SecurityGroupIds",
    "EnhancedService", "ClientToken", "HostName", "TagSpecification", "InstanceMarketOptions", "HpcClusterId",
    "CpuTopology", "LaunchTemplate", "Metadata", "NetworkInterfaces",
}  # fmt: skip
# The DataDisks docstring: 21 at most, of which at most 1 local (LOCAL_BASIC or LOCAL_SSD) and 20 cloud disks.
MAX_DATA_DISKS, MAX_LOCAL_DATA_DISKS, MAX_CLOUD_DATA_DISKS = 21, 1, 20
_CLOUD_DISKS = ("CLOUD_BASIC", "CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_HSSD", "CLOUD_TSSD", "CLOUD_BSSD")
SYSTEM_DISK_TYPES = ("LOCAL_BASIC", "LOCAL_SSD", *_CLOUD_DISKS)  # SystemDisk.DiskType's documented values
DATA_DISK_TYPES = (*SYSTEM_DISK_TYPES, "LOCAL_NVME", "LOCAL_PRO")  # DataDisk.DiskType's


def _obj(params: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = params.get(name)
    if value is not None and not isinstance(value, dict):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected an object.")
    return value


def _int(d: dict[str, Any], name: str, default: int) -> int:
    value = d.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected an integer.")
    return value


def _period(params: dict[str, Any], *, required: bool) -> int:
    prepaid = _obj(params, "InstanceChargePrepaid")
    if prepaid is None:
        if required:
            raise ApiError("MissingParameter", "The request is missing a required parameter `InstanceChargePrepaid`.")
        return 1
    if "Period" not in prepaid:
        raise ApiError(
            "MissingParameter", "The request is missing a required parameter `InstanceChargePrepaid.Period`."
        )
    period = _int(prepaid, "Period", 1)
    if period not in PERIODS:
        raise ApiError("InvalidPeriod", f"The period {period} is not valid: use one of {', '.join(map(str, PERIODS))}.")
    return period


def type_price(prices: Prices, zone: str, instance_type: str, charge: str) -> TypePrice | None:
    """The table's entry for this zone (an exact zone wins over "*")."""
    found = [t for t in prices.types if t.InstanceType == instance_type and t.InstanceChargeType == charge]
    return next((t for t in found if t.Zone == zone), None) or next((t for t in found if t.Zone == "*"), None)


def _money(x: float) -> float:
    return round(x, 5)


def _postpaid(price: float, unit: str = "HOUR") -> dict[str, Any]:
    return {"UnitPrice": _money(price), "ChargeUnit": unit, "UnitPriceDiscount": _money(price), "Discount": 100.0}


def _prepaid(price: float) -> dict[str, Any]:
    return {"OriginalPrice": _money(price), "DiscountPrice": _money(price), "Discount": 100.0}


def _disk_type(d: dict[str, Any], allowed: tuple[str, ...], what: str) -> str:
    kind = d.get("DiskType") or "CLOUD_BSSD"
    if kind not in allowed:
        raise ApiError("InvalidParameterValue", f"The {what}'s `DiskType` {kind!r} is not valid.")
    return str(kind)


def _disks(params: dict[str, Any]) -> list[tuple[str, int]]:
    system = _obj(params, "SystemDisk") or {}
    out = [(_disk_type(system, SYSTEM_DISK_TYPES, "system disk"), _int(system, "DiskSize", 50))]
    data = params.get("DataDisks") or []
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ApiError("InvalidParameter", "The value type of parameter `DataDisks` is not valid: expected objects.")
    if len(data) > MAX_DATA_DISKS:
        raise ApiError("InvalidParameterValue.LimitExceeded", f"At most {MAX_DATA_DISKS} data disks, got {len(data)}.")
    for d in data:
        size = _int(d, "DiskSize", 0)
        if size % 10:
            raise ApiError("InvalidParameterValue", f"A data disk's size must be a multiple of 10 GiB, got {size}.")
        out.append((_disk_type(d, DATA_DISK_TYPES, "data disk"), size))
    cloud = sum(kind in _CLOUD_DISKS for kind, _ in out[1:])
    local = sum(kind in ("LOCAL_BASIC", "LOCAL_SSD") for kind, _ in out[1:])
    if cloud > MAX_CLOUD_DATA_DISKS or local > MAX_LOCAL_DATA_DISKS:
        raise ApiError("InvalidParameterValue.LimitExceeded",
                       f"At most {MAX_CLOUD_DATA_DISKS} cloud and {MAX_LOCAL_DATA_DISKS} local data disks, got "
                       f"{cloud} and {local}.")  # fmt: skip
    return out


def _disk_cost(rates: Mapping[Any, float], disks: list[tuple[str, int]]) -> float:
    """A disk type without a rate in the table costs nothing (the emulator's rule)."""
    return sum(rates.get(kind, 0.0) * size for kind, size in disks)


def _bandwidth(params: dict[str, Any], prices: Prices, charge: str, period: int) -> dict[str, Any]:
    net = _obj(params, "InternetAccessible") or {}
    kind = net.get("InternetChargeType") or ("BANDWIDTH_PREPAID" if charge == "PREPAID" else "TRAFFIC_POSTPAID_BY_HOUR")
    if kind not in INTERNET_CHARGE_TYPES:
        raise ApiError("InvalidParameterValue", f"`InternetChargeType` {kind!r} is not valid.")
    mbps = _int(net, "InternetMaxBandwidthOut", 0)
    if mbps < 0:
        raise ApiError("InvalidParameterValue", "`InternetMaxBandwidthOut` must be at least 0.")
    if kind == "BANDWIDTH_PREPAID":
        return _prepaid(mbps * prices.bandwidth_monthly * period)
    if kind == "TRAFFIC_POSTPAID_BY_HOUR":
        return _postpaid(prices.traffic_per_gb if mbps else 0.0, "GB")
    if kind == "BANDWIDTH_POSTPAID_BY_HOUR":
        return _postpaid(mbps * prices.bandwidth_hourly)
    return _postpaid(0.0)  # a bandwidth package is billed on its own


def inquiry_price_run_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, RUN_PARAMS)
    rs = ctx.region
    prices = ctx.store.world.spec.prices
    placement = _obj(params, "Placement")
    if placement is None:
        raise ApiError("MissingParameter", "The request is missing a required parameter `Placement`.")
    zone = P.required_str(placement, "Zone")
    if not zone.startswith(rs.name + "-"):
        raise ApiError("InvalidZone.MismatchRegion", f"The zone `{zone}` is not in the region `{rs.name}`.")
    image = P.required_str(params, "ImageId")
    if not image.startswith("img-"):
        raise ApiError("InvalidImageId.Malformed", f"The image id `{image}` is malformed.")
    if prices.images is not None and image not in prices.images:
        raise ApiError("InvalidImageId.NotFound", f"The image `{image}` does not exist.")
    charge = P.opt_str(params, "InstanceChargeType") or "POSTPAID_BY_HOUR"
    if charge not in CHARGE_TYPES:
        raise ApiError("InvalidParameterValue", f"`InstanceChargeType` {charge!r} is not valid.")
    period = _period(params, required=charge == "PREPAID")
    if charge == "SPOTPAID":
        market = _obj(params, "InstanceMarketOptions")
        if market is None:
            raise ApiError("MissingParameter", "A spot instance needs `InstanceMarketOptions` (MarketType spot).")
        if market.get("MarketType") != "spot":
            raise ApiError("InvalidParameterValue", "`InstanceMarketOptions.MarketType` must be `spot`.")
    count = _int(params, "InstanceCount", 1)
    if not 1 <= count <= 100:
        raise ApiError("InvalidParameterValue.LimitExceeded", f"`InstanceCount` must be 1 to 100, got {count}.")
    instance_type = P.opt_str(params, "InstanceType")
    if instance_type is None:  # the cloud picks a type that sells in the zone
        instance_type = next((t.InstanceType for t in prices.types if t.Zone in (zone, "*")
                              and t.InstanceChargeType == charge and t.Status == "SELL"), "")  # fmt: skip
    entry = type_price(prices, zone, instance_type, charge)
    if entry is None:
        raise ApiError(
            "InvalidParameterValue.InstanceTypeNotFound",
            f"The instance type `{instance_type}` is not sold in `{zone}` as {charge}.",
        )
    if entry.Status == "SOLD_OUT":
        raise ApiError("ResourcesSoldOut.SpecifiedInstanceType", f"The instance type `{instance_type}` is sold out.")
    disks = _disks(params)
    bandwidth = _bandwidth(params, prices, charge, period)
    if charge == "PREPAID":
        instance = _prepaid((entry.Price + _disk_cost(prices.disk_monthly, disks)) * period * count)
    else:
        instance = _postpaid((entry.Price + _disk_cost(prices.disk_hourly, disks)) * count)
    return {"Price": {"InstancePrice": instance, "BandwidthPrice": bandwidth}}


def inquiry_price_renew_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """One total for all the instances asked, as the cloud answers (no per-instance split)."""
    P.only(params, {"InstanceIds", "InstanceChargePrepaid", "DryRun", "RenewPortableDataDisk"})
    _ = ctx.region  # a missing or unknown region fails first, as in the cloud
    prices = ctx.store.world.spec.prices
    ids = P.str_list(params, "InstanceIds", max_items=100, over_code="InvalidParameterValue.LimitExceeded")
    if not ids:
        raise ApiError("MissingParameter", "The request is missing a required parameter `InstanceIds`.")
    period = _period(params, required=True)
    instance_total = bandwidth_total = 0.0
    with ctx.store.lock:
        for iid in ids:
            d = instance_of(ctx, iid)
            if d["InstanceChargeType"] != "PREPAID":
                charge = d["InstanceChargeType"]
                raise ApiError(
                    "UnsupportedOperation.InstanceChargeType", f"The instance `{iid}` is {charge}: only prepaid renews."
                )
            entry = type_price(prices, d["Placement"]["Zone"], d["InstanceType"], "PREPAID")
            if entry is None:
                raise ApiError("InternalError.TradeUnknownError", "The price of the instance is not available.")
            disks = [(x["DiskType"], x["DiskSize"]) for x in [d["SystemDisk"], *(d["DataDisks"] or [])]]
            instance_total += entry.Price + _disk_cost(prices.disk_monthly, disks)
            net = d["InternetAccessible"]
            if net["InternetChargeType"] == "BANDWIDTH_PREPAID":
                bandwidth_total += net["InternetMaxBandwidthOut"] * prices.bandwidth_monthly
    return {"Price": {"InstancePrice": _prepaid(instance_total * period),
                      "BandwidthPrice": _prepaid(bandwidth_total * period)}}  # fmt: skip


ZONE_FILTERS = {"zone", "instance-family", "instance-type", "instance-charge-type", "sort-keys"}


def _zones(ctx: Ctx) -> list[str]:
    """The region's zones: those of its instances and those the price table names."""
    rs = ctx.region
    zones = {d["Placement"]["Zone"] for d in rs.instances}
    zones |= {t.Zone for t in ctx.store.world.spec.prices.types if t.Zone.startswith(rs.name + "-")}
    return sorted(zones)


def _quota_item(ctx: Ctx, zone: str, t: TypePrice) -> dict[str, Any]:
    example = next((d for d in ctx.region.instances if d["InstanceType"] == t.InstanceType), None)
    price = _prepaid(t.Price) if t.InstanceChargeType == "PREPAID" else _postpaid(t.Price)
    return {
        "Zone": zone,
        "InstanceType": t.InstanceType,
        "InstanceChargeType": t.InstanceChargeType,
        "NetworkCard": 25,
        "Externals": {},
        "Cpu": example["CPU"] if example else 0,
        "Memory": example["Memory"] if example else 0,
        "InstanceFamily": t.InstanceType.split(".")[0],
        "TypeName": t.InstanceType,
        "LocalDiskTypeList": [],
        "Status": t.Status,
        "Price": price,
        "SoldOutReason": "" if t.Status == "SELL" else "The type is sold out in this zone.",
        "InstanceBandwidth": 1.5,
        "InstancePps": 30,
        "StorageBlockAmount": 0,
        "CpuType": "",
        "Gpu": 0,
        "Fpga": 0,
        "Remark": "",
        "GpuCount": 0.0,
        "Frequency": "",
        "StatusCategory": "EnoughStock" if t.Status == "SELL" else "WithoutStock",
    }


def describe_zone_instance_config_infos(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"Filters"})
    flts = P.filters(
        params,
        known=lambda name: name in ZONE_FILTERS,
        max_filters=10,
        max_values=100,
        unknown_code="InvalidFilter",
        too_many_code="InvalidParameterValue.LimitExceeded",
        too_many_values_code="InvalidFilterValue.LimitExceeded",
    )
    wanted = {f.name: set(f.values) for f in flts if f.name != "sort-keys"}
    items = []
    for zone in _zones(ctx):
        for t in ctx.store.world.spec.prices.types:
            if t.Zone not in (zone, "*") or type_price(ctx.store.world.spec.prices, zone, t.InstanceType,
                                                       t.InstanceChargeType) is not t:  # fmt: skip
                continue
            fields = {"zone": zone, "instance-family": t.InstanceType.split(".")[0], "instance-type": t.InstanceType,
                      "instance-charge-type": t.InstanceChargeType}  # fmt: skip
            if all(fields[name] in values for name, values in wanted.items()):
                items.append(_quota_item(ctx, zone, t))
    return {"InstanceTypeQuotaSet": items}
