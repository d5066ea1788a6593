"""EIP addresses TKE made for a cluster (tagged `tke-clusterId` and `tke-created-eip`); a leftover when its cluster
is gone and it is bound to nothing (anything but UNBIND counts as in use).

Price: `vpc.InquiryPriceAllocateAddresses` quotes the network fee of an address with that billing and bandwidth
(`AddressPrice`), and the IP fee only for native IPs (`IPPrice`). An unbound EIP is also billed an idle IP fee the
inquiry does not quote: the figure leaves it out and says so. A traffic-billed idle address moves no traffic, so
without an IP fee quoted its price is unknown (never 0). Given back with `ReleaseAddresses`, which documents no
batch limit: 20, the smallest of its siblings.
"""

from __future__ import annotations

from typing import Any

from ..cloud.inventory import parse_time
from ..cloud.pricing import Quote, bad_answer, figures, number, quoted
from ..cloud.resources import Listing
from ..cloud.session import Session
from ..facts import Fact, fact
from ..model import CLUSTER_TAG, HOURS_A_MONTH, Billing, CloudResource
from .spec import BY_CLUSTER_TAG, Fresh, Item, KindSpec, Noun, batched, cluster_tag, count, tag_of, tagged, text


def record(d: Item) -> CloudResource:
    bound = d.get("AddressStatus") != "UNBIND"
    billing = Billing(internet_charge_type=text(d, "InternetChargeType"), bandwidth_mbps=count(d, "Bandwidth"),
                      address_type=text(d, "AddressType"))  # fmt: skip
    return CloudResource("eip", d["AddressId"], d.get("AddressName") or "", d.get("AddressStatus") or "",
                         parse_time(d.get("CreatedTime")), bound, tag_of(d.get("TagSet")), billing)  # fmt: skip


def _price_key(b: Billing) -> list[Any]:
    return [b.internet_charge_type, b.bandwidth_mbps, b.address_type]


INQUIRY = "vpc.InquiryPriceAllocateAddresses"


def _price(session: Session, region: str, b: Billing) -> Quote:
    api = INQUIRY
    if b.internet_charge_type == "BANDWIDTH_PACKAGE":
        return quoted(None, None, None, [fact("price.eip_package"), fact("price.idle_fee", INQUIRY)], "; ")
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
        parts.append(fact("price.idle_fee", INQUIRY))
    if parts[0].key != "price.bandwidth" and ip_fee is None:
        return quoted(None, None, None, parts, "; ")
    return figures(api, hourly + monthly / HOURS_A_MONTH, hourly * HOURS_A_MONTH + monthly, parts)


def _released(f: Fresh, resp: Item) -> str:
    task = resp.get("TaskId")
    return f"released (task {task})" if task else "released"


SPEC = KindSpec(
    name="eip",
    noun=Noun(zh="弹性公网 IP", en="EIP", many="addresses", heading="ADDRESS"),
    id_prefix="eip-",
    listing=Listing("vpc", "DescribeAddresses", "AddressSet", "AddressIds", 100, filters=BY_CLUSTER_TAG),
    record=record,
    cluster_of=cluster_tag,
    made_by_tke=tagged("tke-created-eip", None),
    in_use=lambda r: f"bound now (AddressStatus {r.state})" if r.attached else None,
    price_key=_price_key,
    price=_price,
    fresh=lambda d: Fresh(record(d)),
    give_back=batched("vpc.ReleaseAddresses", "AddressIds", 20, _released),
    would=lambda f: "would release the address: its IP is no longer the account's (ReleaseAddresses)",
    mark_name=("cvm", "eip"),
    cluster_said=f"its tag {CLUSTER_TAG}",
    made_said="tagged tke-created-eip",
    cam_read=("vpc:DescribeAddresses", "vpc:InquiryPriceAllocateAddresses"),
    cam_write=("vpc:ReleaseAddresses",),
    advice=("an address once nothing is reached through it", "弹性公网 IP 先确认已无人通过它访问"),
    words={
        "price.eip_package": ("billed by its bandwidth package", "按共享带宽包计费"),
        "price.eip_traffic": ("traffic billed per GB (an idle address moves none)", "按流量计费（闲置地址没有流量）"),
        "price.ip_fee": ("IP fee", "IP 费"),
        "price.idle_fee": (
            "the idle IP fee of an unbound address is not quoted by {0}",
            "{0} 不报价未绑定地址的闲置 IP 费",
        ),
    },
)
