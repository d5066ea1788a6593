"""vpc 2017-03-12: DescribeAddresses and ReleaseAddresses (EIPs, such as those made for VPC-CNI pods)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ApiError
from . import params as P
from .context import Answer, Ctx


def filters(params: dict[str, Any], known: Callable[[str], bool]) -> list[P.Filter]:
    """vpc's `Filters`, with its limits and error codes (10 filters, 100 values each), for addresses and groups."""
    return P.filters(
        params,
        known=known,
        max_filters=10,
        max_values=100,
        unknown_code="InvalidParameter.FilterInvalidKey",
        too_many_code="InvalidParameterValue.LimitExceeded",
        too_many_values_code="InvalidParameterValue.LimitExceeded",
    )


FILTERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "address-id": lambda a: [a["AddressId"]],
    "address-name": lambda a: [a["AddressName"]],
    "address-ip": lambda a: [a["AddressIp"]],
    "address-status": lambda a: [a["AddressStatus"]],
    "instance-id": lambda a: [a["InstanceId"]] if a["InstanceId"] else [],
    "private-ip-address": lambda a: [a["PrivateAddressIp"]] if a["PrivateAddressIp"] else [],
    "network-interface-id": lambda a: [a["NetworkInterfaceId"]] if a["NetworkInterfaceId"] else [],
    "is-arrears": lambda a: ["TRUE" if a["IsArrears"] else "FALSE"],
    "instance-type": lambda a: [a["InstanceType"]] if a["InstanceType"] else [],
    "address-type": lambda a: [a["AddressType"]],
    "address-isp": lambda a: [a["InternetServiceProvider"]],
}
# ReleaseAddresses' batch size is not documented; the emulator takes 100, DescribeAddresses' page.
RELEASE_MAX = 100


def _known(name: str) -> bool:
    return name in FILTERS or name in ("tag-key", "tag-value") or name.startswith("tag:")


def _match(a: dict[str, Any], f: P.Filter) -> bool:
    tagged = P.tag_match(a["TagSet"], f)
    return tagged if tagged is not None else any(v in f.values for v in FILTERS[f.name](a))


def _address_ids(params: dict[str, Any], max_items: int) -> list[str] | None:
    ids = P.str_list(params, "AddressIds", max_items=max_items, over_code="InvalidParameterValue.LimitExceeded")
    for aid in ids or []:
        if not aid.startswith("eip-"):
            raise ApiError("InvalidParameterValue.AddressIdMalformed", f"The address id `{aid}` is malformed.")
    return ids


def describe_addresses(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"AddressIds", "Filters", "Offset", "Limit"})
    rs = ctx.region
    offset = P.opt_int(params, "Offset", 0, lo=0, over_code="InvalidParameterValue.Range")
    limit = P.opt_int(params, "Limit", 20, lo=1, hi=100, over_code="InvalidParameterValue.Range")
    ids = _address_ids(params, 100)
    flts = filters(params, _known)
    if ids is not None and any(f.name == "address-id" for f in flts):
        raise ApiError("InvalidParameter", "`AddressIds` and the filter `address-id` cannot be specified together.")
    with ctx.store.lock:
        found = list(rs.addresses.values())
        if ids is not None:
            found = [a for a in found if a["AddressId"] in set(ids)]
        found = [a for a in found if all(_match(a, f) for f in flts)]
        return {"TotalCount": len(found), "AddressSet": list(P.page(found, offset, limit))}


def release_addresses(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """All or nothing: an unknown address fails the batch (InvalidAddressId.NotFound), and so does one that is
    not UNBIND (InvalidAddressState): only an unbound address is released. Asynchronous in the cloud: the answer
    names a TaskId (vpc.DescribeTaskResult); here the release is done when the answer comes."""
    P.only(params, {"AddressIds"})
    rs = ctx.region
    ids = _address_ids(params, RELEASE_MAX)
    if not ids:
        raise ApiError("MissingParameter", "The request is missing a required parameter `AddressIds`.")
    with ctx.store.lock:
        for aid in ids:
            a = rs.addresses.get(aid)
            if a is None:
                raise ApiError("InvalidAddressId.NotFound", f"The address `{aid}` does not exist.")
            if a["AddressStatus"] != "UNBIND":
                raise ApiError("InvalidAddressState", f"The address `{aid}` is {a['AddressStatus']}, not UNBIND.")
        for aid in ids:
            rs.addresses.pop(aid, None)
        ctx.store.task_seq += 1
        return {"TaskId": str(ctx.store.task_seq)}
