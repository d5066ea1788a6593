"""CBS disks the CBS CSI driver made for a cluster's volumes: tagged `tke-clusterId` and
`tke-cbs-provisioner-createBy-flag=yes`; a leftover when its cluster is gone and it is not attached.

Price: `cbs.InquiryPriceCreateDisks` (type, size, charge type; no zone: the price is the region's). Prepaid: one
month's price; postpaid: the hourly unit price. Given back with `TerminateDisks` (100 a call): a prepaid disk goes
to the recycle bin first, and one the cloud will not take back (IsReturnable false) is refused before asking.
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

RECYCLED = "returned: prepaid, moved to the recycle bin"
# Disk.ReturnFailCode: why a prepaid disk cannot be returned.
_RETURN_FAIL = {1: "already returned", 2: "expired", 3: "not returnable", 8: "over the limit of returns",
                10: "not an elastic prepaid disk"}  # fmt: skip


def record(d: Item) -> CloudResource:
    attached = bool(d.get("Attached")) or d.get("DiskState") != "UNATTACHED"
    billing = Billing(charge_type=text(d, "DiskChargeType"), disk_type=text(d, "DiskType"),
                      size_gb=count(d, "DiskSize"), zone=text(d.get("Placement"), "Zone"))  # fmt: skip
    return CloudResource("cbs_disk", d["DiskId"], d.get("DiskName") or "", d.get("DiskState") or "",
                         parse_time(d.get("CreateTime")), attached, tag_of(d.get("Tags")), billing,
                         returned=d.get("DiskState") == "TORECYCLE")  # fmt: skip


def _in_use(r: CloudResource) -> str | None:
    return f"in use now (DiskState {r.state})" if r.attached else None


def _price_key(b: Billing) -> list[Any]:
    return [b.charge_type, b.disk_type, b.size_gb]


def _price(session: Session, region: str, b: Billing) -> Quote:
    if b.charge_type not in ("PREPAID", "POSTPAID_BY_HOUR"):
        charge = fact("price.disk_charge", b.charge_type) if b.charge_type else fact("price.disk_charge_unknown")
        return quoted(None, None, None, [charge])
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
        return figures(api, None, monthly, [*parts, fact("price.prepaid_month")])
    hourly = number(api, price, "UnitPriceDiscount", "UnitPrice")
    if hourly is None:
        raise bad_answer(api, "the answer has no DiskPrice.UnitPrice")
    return figures(api, hourly, None, parts)


def _refused(d: Item) -> str:
    """Why this disk cannot be given back on its own, or ""."""
    if d.get("Portable") is False:
        return "not an elastic disk: it can only go with its instance"
    if d.get("DiskChargeType") != "PREPAID" or d.get("IsReturnable") is not False:
        return ""
    code = d.get("ReturnFailCode")
    why = _RETURN_FAIL.get(code, f"ReturnFailCode {code}") if isinstance(code, int) else "no ReturnFailCode given"
    return f"a prepaid disk the cloud will not take back: {why} (IsReturnable false)"


def _fresh(d: Item) -> Fresh:
    return Fresh(record(d), _refused(d), (("charge", text(d, "DiskChargeType")),))


def _done(f: Fresh, resp: Item) -> str:
    return RECYCLED if f.get("charge") == "PREPAID" else "returned: destroyed"


def _settle(call: str, f: Fresh) -> tuple[str, str] | None:
    """An interrupted run's TerminateDisks of a prepaid disk: done once the disk is in the recycle bin."""
    return ("done", RECYCLED) if call == "cbs.TerminateDisks" and f.resource.returned else None


def _would(f: Fresh) -> str:
    then = "prepaid, moved to the recycle bin" if f.get("charge") == "PREPAID" else "destroyed at once"
    return f"would return the disk (TerminateDisks): {then}"


SPEC = KindSpec(
    name="cbs_disk",
    noun=Noun(zh="云硬盘", en="CBS disk", many="disks", heading="DISK"),
    id_prefix="disk-",
    listing=Listing("cbs", "DescribeDisks", "DiskSet", "DiskIds", 100, filters=BY_CLUSTER_TAG),
    record=record,
    cluster_of=cluster_tag,
    made_by_tke=tagged("tke-cbs-provisioner-createBy-flag", "yes"),
    in_use=_in_use,
    price_key=_price_key,
    price=_price,
    fresh=_fresh,
    give_back=batched("cbs.TerminateDisks", "DiskIds", 100, _done),
    settle=_settle,
    would=_would,
    mark_name=("cvm", "volume"),
    cluster_said=f"its tag {CLUSTER_TAG}",
    made_said="tagged tke-cbs-provisioner-createBy-flag=yes",
    cam_read=("cbs:DescribeDisks", "cbs:InquiryPriceCreateDisks"),
    cam_write=("cbs:TerminateDisks",),
    advice=("a disk once its data is no longer needed", "云硬盘先确认数据不再需要"),
    words={
        "price.disk": ("{0} {1} GB", "{0} {1} GB"),
        "price.disk_charge_unknown": ("a disk charged as unknown has no price inquiry", "计费方式未知的云硬盘无法询价"),
        "price.disk_charge": ("a disk charged as {0} has no price inquiry", "计费方式为 {0} 的云硬盘无法询价"),
    },
)
