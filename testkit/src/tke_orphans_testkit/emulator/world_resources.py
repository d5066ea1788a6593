"""World files, the other billed resources a cluster makes: CBS disks, CLB load balancers and EIP addresses.

Each is written with its own API's field names (cbs.Disk, clb.LoadBalancer, vpc.Address). What makes one TKE's is
only its tags (docs/tencentcloud-api.md, "Other leftovers of a deleted cluster"); the world states them as given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .world_base import Placement, Tag, Time

if TYPE_CHECKING:
    from .world import Region

DiskStates = Literal["UNATTACHED", "ATTACHING", "ATTACHED", "DETACHING", "EXPANDING", "ROLLBACKING", "TORECYCLE",
                    "DUMPING"]  # fmt: skip
AddressStates = Literal["CREATING", "BINDING", "BIND", "UNBINDING", "UNBIND", "OFFLINING", "BIND_ENI"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ResourceCharge = Literal["PREPAID", "POSTPAID_BY_HOUR"]
# Disk states in which a disk is on an instance (DescribeDisks answers Attached: true).
ATTACHED_STATES = ("ATTACHED", "DETACHING")
# Address states in which an address is on something.
BOUND_STATES = ("BIND", "UNBINDING", "BIND_ENI")


class Disk(_Strict):
    """A CBS disk, as cbs DescribeDisks shows it."""

    DiskId: Annotated[str, Field(pattern=r"^disk-[0-9a-z]+$")]
    DiskName: str = ""
    DiskType: Literal["CLOUD_BASIC", "CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_HSSD", "CLOUD_TSSD", "CLOUD_BSSD"] = (
        "CLOUD_PREMIUM"
    )
    DiskSize: Annotated[int, Field(ge=10, le=32000)]
    DiskUsage: Literal["DATA_DISK", "SYSTEM_DISK"] = "DATA_DISK"
    DiskState: DiskStates = "UNATTACHED"
    InstanceId: Annotated[str, Field(pattern=r"^ins-[0-9a-z]+$")] | None = None
    DiskChargeType: ResourceCharge = "POSTPAID_BY_HOUR"
    DeadlineTime: Time | None = None
    Placement: Placement
    Portable: bool = True
    DeleteWithInstance: bool = False
    CreateTime: Time
    Tags: list[Tag] = []


class LbNetwork(_Strict):
    InternetChargeType: Literal["TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR", "BANDWIDTH_PACKAGE"] = (
        "TRAFFIC_POSTPAID_BY_HOUR"
    )
    InternetMaxBandwidthOut: Annotated[int, Field(ge=0)] = 10


class LoadBalancer(_Strict):
    """A CLB instance, as clb DescribeLoadBalancers shows it. `AttributeFlags: [DeleteProtect]` is deletion
    protection; `TargetCount` the backends bound to it."""

    LoadBalancerId: Annotated[str, Field(pattern=r"^lb-[0-9a-z]+$")]
    LoadBalancerName: str = ""
    LoadBalancerType: Literal["OPEN", "INTERNAL"] = "OPEN"
    Forward: Literal[0, 1] = 1
    LoadBalancerVips: list[str] = []
    Status: Literal[0, 1] = 1
    CreateTime: Time
    ProjectId: int = 0
    VpcId: str = "vpc-default"
    SubnetId: str | None = None
    MasterZone: str | None = None
    ChargeType: ResourceCharge = "POSTPAID_BY_HOUR"
    NetworkAttributes: LbNetwork = LbNetwork()
    VipIsp: str = "BGP"
    AttributeFlags: list[str] = []
    TargetCount: Annotated[int, Field(ge=0)] = 0
    Tags: list[Tag] = []


class Address(_Strict):
    """An EIP, as vpc DescribeAddresses shows it (its tags are `TagSet`, as there)."""

    AddressId: Annotated[str, Field(pattern=r"^eip-[0-9a-z]+$")]
    AddressName: str = ""
    AddressStatus: AddressStates = "UNBIND"
    AddressIp: Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}$")]
    InstanceId: str | None = None
    InstanceType: str | None = None
    NetworkInterfaceId: str | None = None
    PrivateAddressIp: str | None = None
    AddressType: Literal["EIP", "AnycastEIP", "HighQualityEIP", "AntiDDoSEIP", "ResidentialEIP"] = "EIP"
    InternetChargeType: Literal[
        "TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR", "BANDWIDTH_PREPAID_BY_MONTH", "BANDWIDTH_PACKAGE"
    ] = "TRAFFIC_POSTPAID_BY_HOUR"
    Bandwidth: Annotated[int, Field(ge=1)] = 10
    IsArrears: bool = False
    CreatedTime: Time
    TagSet: list[Tag] = []


def check_resources(
    region_name: str, instance_ids: set[str], region: Region, *, fail: Callable[[str, str], Exception]
) -> None:
    """Cross-field rules for one region's disks, load balancers and addresses (`fail(path, problem)` builds the
    error to raise): unique ids, zones in the region, attachments to instances of the region."""
    base = f"regions.{region_name}"
    for kind, ids in (
        ("disks", [d.DiskId for d in region.disks]),
        ("load_balancers", [lb.LoadBalancerId for lb in region.load_balancers]),
        ("addresses", [a.AddressId for a in region.addresses]),
    ):
        seen: dict[str, int] = {}
        for i, rid in enumerate(ids):
            if rid in seen:
                raise fail(f"{base}.{kind}[{i}]", f"{rid} duplicates {kind}[{seen[rid]}]")
            seen[rid] = i
    for i, d in enumerate(region.disks):
        path = f"{base}.disks[{i}]"
        if not d.Placement.Zone.startswith(region_name + "-"):
            raise fail(f"{path}.Placement.Zone", f"zone {d.Placement.Zone} is not in region {region_name}")
        attached = d.DiskState in ATTACHED_STATES
        if attached and not d.InstanceId:
            raise fail(f"{path}.InstanceId", f"a disk in state {d.DiskState} needs the instance it is attached to")
        if d.InstanceId and not attached:
            raise fail(f"{path}.DiskState", f"a disk attached to {d.InstanceId} is ATTACHED, not {d.DiskState}")
        if d.InstanceId and d.InstanceId not in instance_ids:
            raise fail(f"{path}.InstanceId", f"{d.InstanceId} is not an instance of region {region_name}")
        if d.DiskChargeType == "PREPAID" and d.DeadlineTime is None:
            raise fail(f"{path}.DeadlineTime", "a prepaid disk needs its DeadlineTime")
    for i, lb in enumerate(region.load_balancers):
        if lb.MasterZone and not lb.MasterZone.startswith(region_name + "-"):
            path = f"{base}.load_balancers[{i}].MasterZone"
            raise fail(path, f"zone {lb.MasterZone} is not in region {region_name}")
    for i, a in enumerate(region.addresses):
        path = f"{base}.addresses[{i}]"
        on = a.InstanceId or a.NetworkInterfaceId
        if a.AddressStatus in BOUND_STATES and not on:
            raise fail(f"{path}.InstanceId", f"an address in state {a.AddressStatus} needs what it is bound to")
        if on and a.AddressStatus not in BOUND_STATES:
            raise fail(f"{path}.AddressStatus", f"an address bound to {on} is BIND, not {a.AddressStatus}")
        if a.InstanceId and a.InstanceId.startswith("ins-") and a.InstanceId not in instance_ids:
            raise fail(f"{path}.InstanceId", f"{a.InstanceId} is not an instance of region {region_name}")
