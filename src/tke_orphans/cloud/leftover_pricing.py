"""List prices of a leftover disk, load balancer or address, from each product's purchase inquiry (the API shapes
live here and nowhere else).

Each is asked what buying the same configuration anew costs: what the resource goes on costing while it is left.
- disk: `cbs.InquiryPriceCreateDisks` (type, size, charge type; no zone: the price is the region's). Prepaid: one
  month's price; postpaid: the hourly unit price, x 730 for the month.
- load balancer: `clb.InquiryPriceCreateLoadBalancer` (OPEN/INTERNAL, charge type, performance class, network
  billing). The instance fee, plus the bandwidth when billed by its cap; traffic and LCU usage are named, not added.
- address: `vpc.InquiryPriceAllocateAddresses` quotes the network fee of an address with that billing and bandwidth
  (`AddressPrice`), and the IP fee only for native IPs (`IPPrice`). An unbound EIP is also billed an idle IP fee the
  inquiry does not quote: the figure leaves it out and says so. A traffic-billed idle address moves no traffic, so
  without an IP fee quoted its price is unknown (never 0).
A configuration that cannot be quoted gets an unknown price with the reason.
"""

from __future__ import annotations

import json
from typing import Any

from ..facts import Fact, fact
from ..model import HOURS_A_MONTH, Billing, Leftover, LeftoverKind
from .errors import CloudError
from .pricing import Quote, bad_answer, number, priced, quoted
from .session import Session


def leftover_key(x: Leftover) -> str:
    """What the price depends on, prefixed by the kind (the state's price cache also holds VM configurations, whose
    keys start with "["); leftovers with equal keys get one inquiry. The zone is not in it: the disk and address
    inquiries take none, and a CLB's price is the region's (`ZoneId` only places the quote)."""
    b = x.billing
    if x.kind is LeftoverKind.CBS_DISK:
        parts: list[Any] = [b.charge_type, b.disk_type, b.size_gb]
    elif x.kind is LeftoverKind.CLB:
        public = b.lb_type != "INTERNAL"
        parts = [b.charge_type, b.lb_type, b.sla_type, b.internet_charge_type if public else "",
                 b.bandwidth_mbps if public else 0]  # fmt: skip
    else:
        parts = [b.internet_charge_type, b.bandwidth_mbps, b.address_type]
    return f"{x.kind.value}:" + json.dumps(parts, separators=(",", ":"))


def _quote(api: str, hourly: float | None, monthly: float | None, parts: list[Fact], sep: str = ", ") -> Quote:
    """A quote from an hourly or a monthly figure; unknown (with what was found) when neither."""
    if hourly is None and monthly is None:
        return quoted(None, None, None, parts, sep)
    return priced(api, hourly, monthly, "inquiry", parts, sep)


def disk(session: Session, region: str, b: Billing) -> Quote:
    api = "cbs.InquiryPriceCreateDisks"
    params: dict[str, Any] = {"DiskChargeType": b.charge_type, "DiskType": b.disk_type, "DiskSize": b.size_gb}
    prepaid = b.charge_type == "PREPAID"
    if prepaid:
        params["DiskChargePrepaid"] = {"Period": 1}
    price = session.call("cbs", "InquiryPriceCreateDisks", region, params).get("DiskPrice")
    parts = [fact("price.disk", b.disk_type, b.size_gb)]
    if prepaid:
        monthly = number(api, price, "DiscountPrice", "OriginalPrice")
        if monthly is None:
            raise bad_answer(api, "the answer has no DiskPrice.DiscountPrice")
        return _quote(api, None, monthly, [*parts, fact("price.prepaid_month")])
    hourly = number(api, price, "UnitPriceDiscount", "UnitPrice")
    if hourly is None:
        raise bad_answer(api, "the answer has no DiskPrice.UnitPrice")
    return _quote(api, hourly, None, parts)


def _clb_params(b: Billing, charge: str) -> dict[str, Any]:
    params: dict[str, Any] = {"LoadBalancerType": b.lb_type or "OPEN", "LoadBalancerChargeType": charge}
    if charge == "PREPAID":
        params["LoadBalancerChargePrepaid"] = {"Period": 1}
    if b.sla_type and b.sla_type != "shared":
        params["SlaType"] = b.sla_type
    if b.lb_type != "INTERNAL" and b.internet_charge_type:
        net: dict[str, Any] = {"InternetChargeType": b.internet_charge_type}
        if b.internet_charge_type != "BANDWIDTH_PACKAGE" and b.bandwidth_mbps:
            net["InternetMaxBandwidthOut"] = b.bandwidth_mbps
        params["InternetAccessible"] = net
    return params


def load_balancer(session: Session, region: str, b: Billing) -> Quote:
    api = "clb.InquiryPriceCreateLoadBalancer"
    # DescribeLoadBalancers says POSTPAID_BY_HOUR where the inquiry takes POSTPAID.
    charge = "PREPAID" if b.charge_type == "PREPAID" else "POSTPAID"
    price = session.call("clb", "InquiryPriceCreateLoadBalancer", region, _clb_params(b, charge)).get("Price")
    if not isinstance(price, dict):
        raise bad_answer(api, "the answer has no Price")
    lb = {"OPEN": fact("price.lb_open"), "INTERNAL": fact("price.lb_internal")}
    parts = [lb.get(b.lb_type or "OPEN") or fact("price.lb", b.lb_type.lower())]
    prepaid = charge == "PREPAID"
    amount = number(api, price.get("InstancePrice"), *(("DiscountPrice", "OriginalPrice") if prepaid else
                                                    ("UnitPriceDiscount", "UnitPrice")))  # fmt: skip
    if amount is None:
        raise bad_answer(api, "the answer has no Price.InstancePrice")
    band = price.get("BandwidthPrice")
    if b.internet_charge_type == "BANDWIDTH_PACKAGE":
        parts.append(fact("price.bandwidth_package"))
    elif isinstance(band, dict) and band.get("ChargeUnit") == "GB":
        per_gb = number(api, band, "UnitPriceDiscount", "UnitPrice")
        parts.append(fact("price.traffic", per_gb if per_gb is not None else "?"))
    elif isinstance(band, dict):
        share = number(
            api, band, *(("DiscountPrice", "OriginalPrice") if prepaid else ("UnitPriceDiscount", "UnitPrice"))
        )
        if share:
            amount += share
            parts.append(fact("price.bandwidth", b.bandwidth_mbps))
    if isinstance(price.get("LcuPrice"), dict):
        parts.append(fact("price.lcu"))
    if prepaid:
        return _quote(api, None, amount, [*parts, fact("price.prepaid_month")])
    return _quote(api, amount, None, parts)


IDLE_FEE = fact("price.idle_fee", "vpc.InquiryPriceAllocateAddresses")


def address(session: Session, region: str, b: Billing) -> Quote:
    api = "vpc.InquiryPriceAllocateAddresses"
    if b.internet_charge_type == "BANDWIDTH_PACKAGE":
        return quoted(None, None, None, [fact("price.eip_package"), IDLE_FEE], "; ")
    params: dict[str, Any] = {"InternetChargeType": b.internet_charge_type or "TRAFFIC_POSTPAID_BY_HOUR",
                              "AddressType": b.address_type or "EIP"}  # fmt: skip
    if b.bandwidth_mbps:
        params["InternetMaxBandwidthOut"] = b.bandwidth_mbps
    prepaid = b.internet_charge_type == "BANDWIDTH_PREPAID_BY_MONTH"
    if prepaid:
        params["AddressChargePrepaid"] = {"Period": 1}
    price = session.call("vpc", "InquiryPriceAllocateAddresses", region, params).get("Price")
    if not isinstance(price, dict):
        raise bad_answer(api, "the answer has no Price")
    hourly = monthly = 0.0
    parts: list[Fact] = []
    net = price.get("AddressPrice")
    if prepaid:
        amount = number(api, price, "DiscountPrice", "OriginalPrice")
        amount = amount if amount is not None else number(api, net, "DiscountPrice", "OriginalPrice")
        if amount is None:
            raise bad_answer(api, "the answer has no Price.DiscountPrice")
        monthly += amount
        parts += [fact("price.bandwidth", b.bandwidth_mbps), fact("price.prepaid_month")]
    elif b.internet_charge_type == "BANDWIDTH_POSTPAID_BY_HOUR":
        amount = number(api, net, "UnitPrice", "DiscountPrice")
        if amount is None:
            raise bad_answer(api, "the answer has no Price.AddressPrice.UnitPrice")
        hourly += amount
        parts.append(fact("price.bandwidth", b.bandwidth_mbps))
    else:
        parts.append(fact("price.eip_traffic"))
    ip_fee = number(api, price.get("IPPrice"), "UnitPrice", "DiscountPrice")
    if ip_fee is not None:
        hourly += ip_fee
        parts.append(fact("price.ip_fee"))
    else:
        parts.append(IDLE_FEE)
    if parts[0].key != "price.bandwidth" and ip_fee is None:
        return quoted(None, None, None, parts, "; ")
    return _quote(api, hourly + monthly / HOURS_A_MONTH, hourly * HOURS_A_MONTH + monthly, parts)


def quote_leftover(session: Session, region: str, x: Leftover) -> Quote:
    """The price of keeping this leftover, or an unknown price with the reason; never raises for the cloud's no."""
    b = x.billing
    if x.kind is LeftoverKind.CBS_DISK and b.charge_type not in ("PREPAID", "POSTPAID_BY_HOUR"):
        charge = fact("price.disk_charge", b.charge_type) if b.charge_type else fact("price.disk_charge_unknown")
        return quoted(None, None, None, [charge])
    if x.kind is LeftoverKind.CLB and b.charge_type not in ("PREPAID", "POSTPAID_BY_HOUR", ""):
        return quoted(None, None, None, [fact("price.lb_charge", b.charge_type)])
    step = {LeftoverKind.CBS_DISK: disk, LeftoverKind.CLB: load_balancer, LeftoverKind.EIP: address}[x.kind]
    try:
        return step(session, region, b)
    except CloudError as exc:
        return quoted(None, None, None, [fact("api.error", exc.api, exc.code, exc.message)])
