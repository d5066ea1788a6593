"""CLB load balancers the service controller made for a cluster's LoadBalancer services: tagged `tke-clusterId`
and `tke-createdBy-flag=yes`; a leftover when its cluster is gone. A user's own CLB that the cluster only used
(cluster tag, no createdBy flag) is reported apart, as reused, and never cleaned up.

Price: `clb.InquiryPriceCreateLoadBalancer` (OPEN/INTERNAL, charge type, performance class, network billing): the
instance fee, plus the bandwidth when billed by its cap; traffic and LCU usage are named, not added. Given back with
`DeleteLoadBalancer` (20 a call, never forced: deletion protection is refused before asking).
"""

from __future__ import annotations

from typing import Any

from ..cloud.inventory import parse_time
from ..cloud.pricing import Quote, bad_answer, figures, number, quoted
from ..cloud.resources import Listing
from ..cloud.session import Session
from ..facts import fact
from ..model import CLUSTER_TAG, Billing, CloudResource
from .spec import BY_CLUSTER_TAG, Fresh, Item, KindSpec, Noun, batched, cluster_tag, count, tag_of, tagged, text


def record(d: Item) -> CloudResource:
    code = d.get("Status")
    status = {0: "CREATING", 1: "RUNNING"}.get(code, "") if isinstance(code, int) else str(code or "")
    net = d.get("NetworkAttributes")
    billing = Billing(charge_type=text(d, "ChargeType"), lb_type=text(d, "LoadBalancerType"),
                      sla_type=text(d, "SlaType"), internet_charge_type=text(net, "InternetChargeType"),
                      bandwidth_mbps=count(net, "InternetMaxBandwidthOut"),
                      zone=text(d.get("MasterZone"), "Zone"))  # fmt: skip
    return CloudResource("clb", d["LoadBalancerId"], d.get("LoadBalancerName") or "", status,
                         parse_time(d.get("CreateTime")), False, tag_of(d.get("Tags"), "TagKey", "TagValue"),
                         billing)  # fmt: skip


def _price_key(b: Billing) -> list[Any]:
    public = b.lb_type != "INTERNAL"
    return [b.charge_type, b.lb_type, b.sla_type, b.internet_charge_type if public else "",
            b.bandwidth_mbps if public else 0]  # fmt: skip


def _params(b: Billing, charge: str) -> dict[str, Any]:
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


def _price(session: Session, region: str, b: Billing) -> Quote:
    if b.charge_type not in ("PREPAID", "POSTPAID_BY_HOUR", ""):
        return quoted(None, None, None, [fact("price.lb_charge", b.charge_type)])
    api = "clb.InquiryPriceCreateLoadBalancer"
    # DescribeLoadBalancers says POSTPAID_BY_HOUR where the inquiry takes POSTPAID.
    charge = "PREPAID" if b.charge_type == "PREPAID" else "POSTPAID"
    price = session.call("clb", "InquiryPriceCreateLoadBalancer", region, _params(b, charge)).get("Price")
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
        return figures(api, None, amount, [*parts, fact("price.prepaid_month")])
    return figures(api, amount, None, parts)


def _fresh(d: Item) -> Fresh:
    protected = "DeleteProtect" in (d.get("AttributeFlags") or [])
    return Fresh(record(d), "deletion protection (DeleteProtect) is on" if protected else "")


SPEC = KindSpec(
    name="clb",
    noun=Noun(zh="负载均衡 CLB", en="CLB", many="load balancers", heading="LOAD BALANCER"),
    id_prefix="lb-",
    # DescribeLoadBalancers: LoadBalancerIds at most 20 a call, Limit at most 100.
    listing=Listing("clb", "DescribeLoadBalancers", "LoadBalancerSet", "LoadBalancerIds", 20, filters=BY_CLUSTER_TAG),
    record=record,
    cluster_of=cluster_tag,
    made_by_tke=tagged("tke-createdBy-flag", "yes"),
    in_use=lambda r: None,  # a load balancer is never "attached": its cluster being gone is what counts
    reused=True,
    price_key=_price_key,
    price=_price,
    fresh=_fresh,
    # Asynchronous: DescribeTaskStatus with the request id says when it is done.
    give_back=batched(
        "clb.DeleteLoadBalancer",
        "LoadBalancerIds",
        20,
        lambda f, resp: "deletion started (clb.DescribeTaskStatus with the request id follows it)",
    ),
    would=lambda f: "would delete the load balancer, its listeners and rules (DeleteLoadBalancer)",
    mark_name=("clb", "clb"),
    cluster_said=f"its tag {CLUSTER_TAG}",
    made_said="tagged tke-createdBy-flag=yes",
    cam_read=("clb:DescribeLoadBalancers", "clb:InquiryPriceCreateLoadBalancer"),
    cam_write=("clb:DeleteLoadBalancer",),
    advice=("a CLB once no traffic reaches it", "CLB 先确认已无流量"),
    words={
        "price.lb_open": ("open load balancer", "公网负载均衡"),
        "price.lb_internal": ("internal load balancer", "内网负载均衡"),
        "price.lb": ("{0} load balancer", "负载均衡（{0}）"),
        "price.lcu": ("LCU usage not included", "LCU 用量未计入"),
        "price.lb_charge": ("a load balancer charged as {0} has no price inquiry", "计费方式为 {0} 的负载均衡无法询价"),
    },
)
