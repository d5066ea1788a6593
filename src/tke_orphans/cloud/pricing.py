"""List prices of one instance's configuration, from the CVM price APIs (the API shapes live here and nowhere else).

Postpaid and spot: `InquiryPriceRunInstances` quotes the full configuration (type, image, disks, bandwidth).
Prepaid: `InquiryPriceRenewInstances` for one month of this very instance, then the same inquiry as a one-month
purchase. When a quote fails (the type is sold out, the image is gone), `DescribeZoneInstanceConfigInfos` gives the
machine type's price alone (`type_only`). When nothing answers, the price is unknown, with the reasons: never 0.

A figure in an answer is believed only when it could be a price (`believable`, for the leftovers' prices too): not
negative, finite, and at most MAX_MONTHLY. Otherwise the answer is a bad one, and the price unknown with the reason.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from ..facts import Fact, english, fact
from ..model import HOURS_A_MONTH, CostSource, Instance
from .errors import CloudError
from .session import Session

POSTPAID = ("POSTPAID_BY_HOUR", "SPOTPAID")
# One resource priced above this a month is an answer gone wrong, not a price: the dearest single machine (8 GPUs)
# lists at a few hundred thousand CNY a month. In the account's currency; a bad answer gives the price unknown.
MAX_MONTHLY = 1_000_000.0
# The spot price is what the quote answers; a bid is required, and this one is high enough never to be the answer.
SPOT_BID = "1000"


@dataclass(frozen=True)
class Quote:
    hourly: float | None
    monthly: float | None
    source: CostSource | None
    detail: str
    facts: tuple[Fact, ...] = ()  # `detail` as data (facts.py), for every language
    # The currency a list price is in, where the figure is not the account's own answer (None: the inquiry's).
    currency: str | None = None


def quoted(hourly: float | None, monthly: float | None, source: CostSource | None, facts: list[Fact],
           sep: str = ", ") -> Quote:  # fmt: skip
    """A quote whose detail is its facts in English."""
    return Quote(hourly, monthly, source, english(facts, sep), tuple(facts))


def config_key(inst: Instance) -> str:
    """What the price depends on; instances with equal keys get one inquiry. The renew price of a prepaid instance
    is taken as its configuration's (disk order and ids do not change a price)."""
    net = inst.internet
    return json.dumps(
        [
            inst.zone,
            inst.instance_type,
            inst.charge_type,
            inst.image_id,
            None if inst.system_disk is None else [inst.system_disk.disk_type, inst.system_disk.size_gb],
            sorted([d.disk_type, d.size_gb] for d in inst.data_disks),
            None if net is None else [net.charge_type, net.max_bandwidth_out, bool(net.bandwidth_package_id)],
        ],
        separators=(",", ":"),
    )


def number(api: str, item: Any, *names: str) -> float | None:
    """The first of `names` a price item has as a number (the cloud omits the ones that do not apply); raises
    CloudError for one that is no price."""
    if not isinstance(item, dict):
        return None
    for name in names:
        value = item.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return believable(api, float(value), name)
    return None


def is_price(value: object) -> bool:
    """Whether a figure could be a price: a number, finite (json reads NaN and Infinity), from 0 to MAX_MONTHLY."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (0 <= value <= MAX_MONTHLY)
    )


def believable(api: str, value: float, what: str) -> float:
    """`value` when it could be a price, else a CloudError saying why not (the price is then unknown)."""
    if is_price(value):
        return value
    raise bad_answer(api, f"{what} is {value!r}: not a price (one must be a number from 0 to {MAX_MONTHLY:,.0f})")


def priced(api: str, hourly: float | None, monthly: float | None, source: CostSource, facts: list[Fact],
           sep: str = ", ") -> Quote:  # fmt: skip
    """A quote from an hourly figure (x 730 for the month) or a monthly one (/ 730 for the hour), checked as a whole
    (an hourly price can be believable and its month not)."""
    if monthly is None:
        monthly = None if hourly is None else hourly * HOURS_A_MONTH
    elif hourly is None:
        hourly = monthly / HOURS_A_MONTH
    if hourly is None or monthly is None:
        raise bad_answer(api, "the answer has no price")
    believable(api, monthly, "the month's price")
    return quoted(round(hourly, 5), round(monthly, 2), source, facts, sep)


def figures(api: str, hourly: float | None, monthly: float | None, parts: list[Fact], sep: str = ", ") -> Quote:
    """An inquiry's quote from an hourly or a monthly figure; unknown (with what was found) when neither."""
    if hourly is None and monthly is None:
        return quoted(None, None, None, parts, sep)
    return priced(api, hourly, monthly, "inquiry", parts, sep)


def bad_answer(api: str, why: str) -> CloudError:
    return CloudError(api, "InvalidResponse", why)


def _describe(inst: Instance) -> list[Fact]:
    parts = [fact("text", inst.instance_type)]
    if inst.system_disk is not None:
        parts.append(fact("price.system_disk", inst.system_disk.size_gb))
    if inst.data_disks:
        parts.append(fact("price.data_disks", len(inst.data_disks), sum(d.size_gb for d in inst.data_disks)))
    return parts


def _run_params(inst: Instance, charge: str) -> dict[str, Any]:
    params: dict[str, Any] = {
        "Placement": {"Zone": inst.zone},
        "ImageId": inst.image_id,
        "InstanceChargeType": charge,
        "InstanceType": inst.instance_type,
    }
    if inst.system_disk is not None:
        params["SystemDisk"] = {"DiskType": inst.system_disk.disk_type, "DiskSize": inst.system_disk.size_gb}
    if inst.data_disks:
        params["DataDisks"] = [{"DiskType": d.disk_type, "DiskSize": d.size_gb} for d in inst.data_disks]
    net = inst.internet
    if net is not None and not net.bandwidth_package_id:
        params["InternetAccessible"] = {
            "InternetChargeType": net.charge_type,
            "InternetMaxBandwidthOut": net.max_bandwidth_out,
        }
    if charge == "PREPAID":
        params["InstanceChargePrepaid"] = {"Period": 1}
    if charge == "SPOTPAID":
        params["InstanceMarketOptions"] = {"MarketType": "spot", "SpotOptions": {"MaxPrice": SPOT_BID}}
    return params


def _bandwidth(api: str, price: dict[str, Any], inst: Instance, prepaid: bool, parts: list[Fact]) -> float:
    """The bandwidth's share (per hour, or per month when `prepaid`); traffic billed per GB is named, not added."""
    net = inst.internet
    if net is None or net.max_bandwidth_out == 0:
        return 0.0
    if net.bandwidth_package_id:
        parts.append(fact("price.bandwidth_package"))
        return 0.0
    item = price.get("BandwidthPrice")
    if isinstance(item, dict) and item.get("ChargeUnit") == "GB":
        per_gb = number(api, item, "UnitPriceDiscount", "UnitPrice")
        parts.append(fact("price.traffic", per_gb if per_gb is not None else "?"))
        return 0.0
    amount = (
        number(api, item, "DiscountPrice", "OriginalPrice")
        if prepaid
        else number(api, item, "UnitPriceDiscount", "UnitPrice")
    )
    parts.append(fact("price.bandwidth", net.max_bandwidth_out))
    return amount or 0.0


def inquiry(session: Session, region: str, inst: Instance) -> Quote:
    api = "cvm.InquiryPriceRunInstances"
    resp = session.call("cvm", "InquiryPriceRunInstances", region, _run_params(inst, inst.charge_type))
    price = resp.get("Price")
    if not isinstance(price, dict):
        raise bad_answer(api, "the answer has no Price")
    parts = _describe(inst)
    prepaid = inst.charge_type == "PREPAID"
    if prepaid:
        monthly = number(api, price.get("InstancePrice"), "DiscountPrice", "OriginalPrice")
        if monthly is None:
            raise bad_answer(api, "the answer has no InstancePrice.DiscountPrice")
        monthly += _bandwidth(api, price, inst, True, parts)
        return priced(api, None, monthly, "inquiry", parts)
    hourly = number(api, price.get("InstancePrice"), "UnitPriceDiscount", "UnitPrice")
    if hourly is None:
        raise bad_answer(api, "the answer has no InstancePrice.UnitPrice")
    hourly += _bandwidth(api, price, inst, False, parts)
    if inst.charge_type == "SPOTPAID":
        parts.append(fact("price.spot"))
    return priced(api, hourly, None, "inquiry", parts)


def renew(session: Session, region: str, inst: Instance) -> Quote:
    """A prepaid instance's price for one more month (the API answers one total for all ids: ask one)."""
    api = "cvm.InquiryPriceRenewInstances"
    params = {"InstanceIds": [inst.instance_id], "InstanceChargePrepaid": {"Period": 1}}
    resp = session.call("cvm", "InquiryPriceRenewInstances", region, params)
    price = resp.get("Price")
    monthly = number(
        api, price.get("InstancePrice") if isinstance(price, dict) else None, "DiscountPrice", "OriginalPrice"
    )
    if monthly is None or not isinstance(price, dict):
        raise bad_answer(api, "the answer has no Price.InstancePrice.DiscountPrice")
    parts = [*_describe(inst), fact("price.renewal")]
    monthly += _bandwidth(api, price, inst, True, parts)
    return priced(api, None, monthly, "renew", parts)


def type_only(session: Session, region: str, inst: Instance, why: str) -> Quote:
    """The machine type's price alone, which a sold-out type still has."""
    api = "cvm.DescribeZoneInstanceConfigInfos"
    filters = [
        {"Name": "zone", "Values": [inst.zone]},
        {"Name": "instance-type", "Values": [inst.instance_type]},
        {"Name": "instance-charge-type", "Values": [inst.charge_type]},
    ]
    resp = session.call("cvm", "DescribeZoneInstanceConfigInfos", region, {"Filters": filters})
    items = resp.get("InstanceTypeQuotaSet")
    if not isinstance(items, list):
        raise bad_answer(api, "the answer has no InstanceTypeQuotaSet")
    for item in items:
        if not isinstance(item, dict) or (
            item.get("Zone"),
            item.get("InstanceType"),
            item.get("InstanceChargeType"),
        ) != (
            inst.zone,
            inst.instance_type,
            inst.charge_type,
        ):
            continue
        detail = [fact("price.type_only", inst.instance_type, why)]
        if inst.charge_type == "PREPAID":
            monthly = number(api, item.get("Price"), "DiscountPrice", "OriginalPrice")
            if monthly is not None:
                return priced(api, None, monthly, "type_only", detail)
        else:
            hourly = number(api, item.get("Price"), "UnitPriceDiscount", "UnitPrice")
            if hourly is not None:
                return priced(api, hourly, None, "type_only", detail)
    raise CloudError(api, "NotFound", f"no price for {inst.instance_type} ({inst.charge_type}) in {inst.zone}")


def quote(session: Session, region: str, inst: Instance) -> Quote:
    """The best price there is for this instance; never raises: an unknown price says why."""
    if inst.charge_type not in (*POSTPAID, "PREPAID"):
        return quoted(None, None, None, [fact("price.host_billed", inst.charge_type)])
    failed: list[Fact] = []
    steps = (renew, inquiry) if inst.charge_type == "PREPAID" else (inquiry,)
    for step in steps:
        try:
            return step(session, region, inst)
        except CloudError as exc:
            failed.append(fact("api.error", exc.api, exc.code, exc.message))
    try:
        return type_only(session, region, inst, english(failed[-1]))
    except CloudError as exc:
        failed.append(fact("api.error", exc.api, exc.code, exc.message))
    return quoted(None, None, None, failed, "; ")
