"""World files, the other resources a cluster makes: CBS disks, CLB load balancers, EIP addresses, CFS file systems
and security groups.

Each is written with its own API's field names (cbs.Disk, clb.LoadBalancer, vpc.Address, cfs.FileSystemInfo,
vpc.SecurityGroup). What makes a disk, load balancer or address TKE's is only its tags, and a file system or security
group only its name (docs/tencentcloud-api.md, "Other leftovers of a deleted cluster", "More kinds"); the world
states them as given.
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


class MountTarget(_Strict):
    """A mount target of a CFS file system, as cfs DescribeMountTargets shows it (cfs.MountInfo)."""

    MountTargetId: Annotated[str, Field(pattern=r"^mount-[0-9a-z]+$")]
    IpAddress: Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}$")] = "10.0.0.10"
    VpcId: str = "vpc-default"
    SubnetId: str = "subnet-default"
    NetworkInterface: Literal["VPC", "CCN"] = "VPC"
    LifeCycleState: Literal["creating", "available", "deleting", "create_failed"] = "available"
    # The clients that mount it now (MountInfo.ServerList; ServerListTruncated past 200 of them).
    ServerList: list[Annotated[str, Field(pattern=r"^\d{1,3}(\.\d{1,3}){3}$")]] = []


class PermissionGroup(_Strict):
    PGroupId: str = "pgroupbasic"
    Name: str = "默认权限组"


class FileSystem(_Strict):
    """A CFS file system, as cfs DescribeCfsFileSystems shows it (cfs.FileSystemInfo; tags as TagKey/TagValue there).
    `SizeByte` is the storage used (what is billed), `SizeLimit` the quota in GiB (0: none); `mount_targets` are its
    mount targets (the CSI driver's own has one in the cluster's VPC)."""

    FileSystemId: Annotated[str, Field(pattern=r"^cfs-[0-9a-z]+$")]
    FsName: str = ""
    CreationTime: Time
    LifeCycleState: Literal["creating", "mounting", "create_failed", "available", "unserviced", "upgrading",
                            "deleting", "delete_failed", "expanding"] = "available"  # fmt: skip
    SizeByte: Annotated[int, Field(ge=0)] = 0
    SizeLimit: Annotated[int, Field(ge=0)] = 0
    Zone: Annotated[str, Field(min_length=1)]
    Protocol: Literal["NFS", "CIFS", "TURBO"] = "NFS"
    StorageType: Literal["SD", "HP", "TB", "TP", "THP"] = "SD"
    PGroup: PermissionGroup = PermissionGroup()
    Encrypted: bool = False
    Tags: list[Tag] = []
    mount_targets: list[MountTarget] = []


# What a security group is associated with: an instance type as InstanceStatistics names it (CVM, ENI, CDB, CLB, ...).
AssociationType = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]


class SecurityGroup(_Strict):
    """A security group, as vpc DescribeSecurityGroups shows it (vpc.SecurityGroup; `ProjectId` a string there).
    `associations` counts what it is bound to by instance type (DescribeSecurityGroupAssociationStatistics);
    `referenced_by` are the groups of the region whose rules name it (DescribeSecurityGroupReferences)."""

    SecurityGroupId: Annotated[str, Field(pattern=r"^sg-[0-9a-z]+$")]
    SecurityGroupName: Annotated[str, Field(max_length=60)] = ""
    SecurityGroupDesc: Annotated[str, Field(max_length=100)] = ""
    ProjectId: Annotated[int, Field(ge=0)] = 0
    IsDefault: bool = False
    CreatedTime: Time
    UpdateTime: Time | None = None
    TagSet: list[Tag] = []
    associations: dict[AssociationType, Annotated[int, Field(ge=0)]] = {}
    referenced_by: list[Annotated[str, Field(pattern=r"^sg-[0-9a-z]+$")]] = []


# Security groups a project may hold in a region unless the world says otherwise (DescribeSecurityGroupLimits'
# SecurityGroupLimit; the TKE docs give 50 as the default quota).
SECURITY_GROUP_LIMIT = 50


def check_resources(
    region_name: str, instance_ids: set[str], region: Region, *, fail: Callable[[str, str], Exception]
) -> None:
    """Cross-field rules for one region's disks, load balancers and addresses (`fail(path, problem)` builds the
    error to raise): unique ids, zones in the region, attachments to instances of the region."""
    _check_ids(region_name, region, fail)
    _check_storage(region_name, instance_ids, region, fail)
    _check_file_systems(region_name, region, fail)
    _check_security_groups(region_name, region, fail)


def _check_ids(region_name: str, region: Region, fail: Callable[[str, str], Exception]) -> None:
    base = f"regions.{region_name}"
    for kind, ids in (
        ("disks", [d.DiskId for d in region.disks]),
        ("load_balancers", [lb.LoadBalancerId for lb in region.load_balancers]),
        ("addresses", [a.AddressId for a in region.addresses]),
        ("file_systems", [f.FileSystemId for f in region.file_systems]),
        ("security_groups", [g.SecurityGroupId for g in region.security_groups]),
    ):
        seen: dict[str, int] = {}
        for i, rid in enumerate(ids):
            if rid in seen:
                raise fail(f"{base}.{kind}[{i}]", f"{rid} duplicates {kind}[{seen[rid]}]")
            seen[rid] = i


def _check_storage(
    region_name: str, instance_ids: set[str], region: Region, fail: Callable[[str, str], Exception]
) -> None:
    base = f"regions.{region_name}"
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


def _check_file_systems(region_name: str, region: Region, fail: Callable[[str, str], Exception]) -> None:
    mounts: dict[str, str] = {}
    for i, fs in enumerate(region.file_systems):
        path = f"regions.{region_name}.file_systems[{i}]"
        if not fs.Zone.startswith(region_name + "-"):
            raise fail(f"{path}.Zone", f"zone {fs.Zone} is not in region {region_name}")
        for m, mt in enumerate(fs.mount_targets):
            if mt.MountTargetId in mounts:
                where = mounts[mt.MountTargetId]
                raise fail(f"{path}.mount_targets[{m}].MountTargetId", f"{mt.MountTargetId} is already {where}'s")
            mounts[mt.MountTargetId] = fs.FileSystemId


def _check_security_groups(region_name: str, region: Region, fail: Callable[[str, str], Exception]) -> None:
    base = f"regions.{region_name}"
    ids = {g.SecurityGroupId for g in region.security_groups}
    per_project: dict[int, int] = {}
    for i, g in enumerate(region.security_groups):
        path = f"{base}.security_groups[{i}]"
        for r, ref in enumerate(g.referenced_by):
            if ref == g.SecurityGroupId:
                raise fail(f"{path}.referenced_by[{r}]", "a security group's own rules do not count as a reference")
            if ref not in ids:
                raise fail(f"{path}.referenced_by[{r}]", f"{ref} is not a security group of region {region_name}")
        per_project[g.ProjectId] = per_project.get(g.ProjectId, 0) + 1
        if per_project[g.ProjectId] > region.security_group_limit:
            raise fail(
                f"{path}",
                f"project {g.ProjectId} holds more than {region.security_group_limit} security groups in "
                f"{region_name} (the quota): raise security_group_limit to allow more",
            )
