"""World files: the account the emulator pretends to be, validated at load.

A world lists credentials and, per region, CVM instances (with the CVM API's own field names) and TKE clusters
with their node pools and nodes. Times may be absolute (ISO 8601) or relative to start-up ("-5m", "-3d", "+30d").
A bad file is rejected with the file, the path inside it and what is wrong; see docs/emulator.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .audit import Audit
from .world_base import ChargeType, InstanceState, Placement, Role, Tag, Time, WorldError, parse_time
from .world_resources import (
    SECURITY_GROUP_LIMIT,
    Address,
    Disk,
    FileSystem,
    LoadBalancer,
    SecurityGroup,
    check_resources,
)

__all__ = ["Placement", "Tag", "WorldError", "parse_time"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Credential(_Strict):
    secret_id: Annotated[str, Field(min_length=1)]
    secret_key: Annotated[str, Field(min_length=1)]
    token: str | None = None
    name: str = ""
    # The owner account's uin: resource names (qcs::cvm:<region>:uin/<uin>:instance/<id>) and GetCallerIdentity.
    uin: Annotated[str, Field(pattern=r"^\d{5,20}$")] = "100000000001"


class Vpc(_Strict):
    VpcId: str = "vpc-default"
    SubnetId: str = "subnet-default"


DiskType = Literal[
    "LOCAL_BASIC", "LOCAL_SSD", "CLOUD_BASIC", "CLOUD_SSD", "CLOUD_PREMIUM", "CLOUD_BSSD", "CLOUD_HSSD", "CLOUD_TSSD"
]
InternetChargeType = Literal[
    "BANDWIDTH_PREPAID", "TRAFFIC_POSTPAID_BY_HOUR", "BANDWIDTH_POSTPAID_BY_HOUR", "BANDWIDTH_PACKAGE"
]


class SystemDiskSpec(_Strict):
    DiskType: DiskType = "CLOUD_BSSD"
    DiskSize: Annotated[int, Field(ge=20, le=1024)] = 50


class DataDiskSpec(_Strict):
    DiskType: DiskType = "CLOUD_BSSD"
    DiskSize: Annotated[int, Field(ge=10, le=32000)]
    DiskId: Annotated[str, Field(pattern=r"^disk-[0-9a-z]+$")] | None = None
    DeleteWithInstance: bool = True


class InternetSpec(_Strict):
    InternetChargeType: InternetChargeType = "TRAFFIC_POSTPAID_BY_HOUR"
    InternetMaxBandwidthOut: Annotated[int, Field(ge=0, le=10000)] = 0
    BandwidthPackageId: str | None = None


class Instance(_Strict):
    """A CVM instance, as DescribeInstances shows it (the fields tke-orphans and its tests use)."""

    InstanceId: Annotated[str, Field(pattern=r"^ins-[0-9a-z]+$")]
    InstanceName: str = ""
    InstanceState: InstanceState = "RUNNING"
    InstanceType: str = "S5.MEDIUM4"
    CPU: Annotated[int, Field(ge=1)] = 2
    Memory: Annotated[int, Field(ge=1)] = 4
    InstanceChargeType: ChargeType = "POSTPAID_BY_HOUR"
    CreatedTime: Time
    ExpiredTime: Time | None = None
    Placement: Placement
    VirtualPrivateCloud: Vpc = Vpc()
    PrivateIpAddresses: list[str] = []
    PublicIpAddresses: list[str] | None = None
    Tags: list[Tag] = []
    ImageId: str = "img-eb30mz89"
    OsName: str = "TencentOS Server 3.1 (TK4)"
    SystemDisk: SystemDiskSpec = SystemDiskSpec()
    DataDisks: list[DataDiskSpec] = []
    InternetAccessible: InternetSpec = InternetSpec()
    # Prepaid only (None for the others, as DescribeInstances answers).
    RenewFlag: Literal["NOTIFY_AND_AUTO_RENEW", "NOTIFY_AND_MANUAL_RENEW", "DISABLE_NOTIFY_AND_MANUAL_RENEW"] | None = (
        None
    )
    DisableApiTermination: bool = False
    RestrictState: Literal["NORMAL", "EXPIRED", "PROTECTIVELY_ISOLATED"] = "NORMAL"
    IsolatedSource: Literal["NOTISOLATED", "ARREAR", "EXPIRE", "MANMADE", "CONFIRM_CREATE"] = "NOTISOLATED"
    LatestOperation: str | None = None
    LatestOperationState: Literal["SUCCESS", "OPERATING", "FAILED"] | None = None


class NodePool(_Strict):
    NodePoolId: Annotated[str, Field(pattern=r"^np-[0-9a-z]+$")]
    Name: str = ""
    Type: Literal["Regular", "Native"] = "Regular"
    AutoscalingGroupId: Annotated[str, Field(pattern=r"^asg-[0-9a-z]+$")] | None = None
    LaunchConfigurationId: str | None = None
    LifeState: Literal["creating", "normal", "updating", "deleting", "deleted"] = "normal"
    Tags: list[Tag] = []


class Node(_Strict):
    """A node of a cluster. `InstanceId` is the CVM id (or, for a native node without CVM, its eks- id)."""

    InstanceId: Annotated[str, Field(pattern=r"^(ins|eks)-[0-9a-z]+$")]
    InstanceRole: Role = "WORKER"
    NodeType: Literal["Regular", "Native"] = "Regular"
    NodePoolId: str | None = None
    MachineName: Annotated[str, Field(pattern=r"^np-[0-9a-z]+-[0-9a-z]+$")] | None = None
    MachineType: Literal["NativeCVM", "Native"] = "NativeCVM"
    InstanceState: Literal["running", "initializing", "failed"] = "running"
    CreatedTime: Time | None = None


class Cluster(_Strict):
    ClusterId: Annotated[str, Field(pattern=r"^cls-[0-9a-z]+$")]
    ClusterName: str = ""
    ClusterType: Literal["MANAGED_CLUSTER", "INDEPENDENT_CLUSTER"] = "MANAGED_CLUSTER"
    ClusterStatus: str = "Running"
    ClusterVersion: str = "1.30.0"
    VpcId: str = "vpc-default"
    CreatedTime: Time
    Tags: list[Tag] = []
    node_pools: list[NodePool] = []
    nodes: list[Node] = []


class OtherCluster(_Strict):
    """A serverless (EKS) or edge cluster: not in DescribeClusters, listed by DescribeEKSClusters or
    DescribeTKEEdgeClusters, yet its disks and load balancers carry the same tke-clusterId tags."""

    ClusterId: Annotated[str, Field(pattern=r"^cls-[0-9a-z]+$")]
    ClusterName: str = ""
    Kind: Literal["serverless", "edge"] = "serverless"
    Status: str = "Running"
    CreatedTime: Time


class Region(_Strict):
    RegionName: str = ""
    RegionState: Literal["AVAILABLE", "UNAVAILABLE"] = "AVAILABLE"
    instances: list[Instance] = []
    clusters: list[Cluster] = []
    disks: list[Disk] = []
    load_balancers: list[LoadBalancer] = []
    addresses: list[Address] = []
    file_systems: list[FileSystem] = []
    security_groups: list[SecurityGroup] = []
    # DescribeSecurityGroupLimits' SecurityGroupLimit: security groups a project may hold in this region.
    security_group_limit: Annotated[int, Field(ge=1)] = SECURITY_GROUP_LIMIT
    other_clusters: list[OtherCluster] = []


PricedChargeType = Literal["PREPAID", "POSTPAID_BY_HOUR", "SPOTPAID"]
LbType = Literal["OPEN", "INTERNAL"]


class TypePrice(_Strict):
    """One machine type's list price in one zone ("*": every zone of the regions) for one charge type: per hour
    (postpaid, spot) or per month (prepaid). A SOLD_OUT type is still described, but cannot be quoted."""

    Zone: Annotated[str, Field(min_length=1)] = "*"
    InstanceType: Annotated[str, Field(min_length=1)]
    InstanceChargeType: PricedChargeType
    # Any float, as an answer can hold: a negative, huge, NaN or infinite price (`.nan`, `.inf` in YAML) goes out as
    # json writes it (`NaN`, `Infinity`: not JSON, but what json reads), to test that no such price is believed.
    Price: float
    Status: Literal["SELL", "SOLD_OUT"] = "SELL"


class Prices(_Strict):
    """The price table the inquiry APIs answer from (the emulator's own rule: a quote is the type's price plus the
    disks' and the bandwidth's, at these rates). Disk rates are per GB, bandwidth per Mbps; hourly rates apply to
    postpaid and spot instances, monthly ones to prepaid."""

    types: list[TypePrice] = []
    disk_hourly: dict[DiskType, float] = {}  # any float, as TypePrice.Price
    disk_monthly: dict[DiskType, float] = {}
    bandwidth_hourly: Annotated[float, Field(ge=0)] = 0.063
    bandwidth_monthly: Annotated[float, Field(ge=0)] = 20.0
    traffic_per_gb: Annotated[float, Field(ge=0)] = 0.8
    # Leftovers (api/price_resources.py): a CBS disk at the disk rates above; a CLB instance per hour (postpaid) or
    # month (prepaid) by network type, its bandwidth at the rates above, LCU per unit-hour for a performance class;
    # an EIP's bandwidth per Mbps (per hour, or per month prepaid) and a native IP's IP fee per hour. A rate the
    # table lacks is answered ResourceInsufficient (not sold here).
    clb_hourly: dict[LbType, Annotated[float, Field(ge=0)]] = {}
    clb_monthly: dict[LbType, Annotated[float, Field(ge=0)]] = {}
    clb_lcu_hourly: Annotated[float, Field(ge=0)] = 0.21
    eip_bandwidth_hourly: Annotated[float, Field(ge=0)] | None = None
    eip_bandwidth_monthly: Annotated[float, Field(ge=0)] | None = None
    eip_ip_hourly: Annotated[float, Field(ge=0)] | None = None
    # The images that exist (a quote for any other fails with InvalidImageId.NotFound); None: every img- id.
    images: list[str] | None = None


class AnswerOrphan(_Strict):
    region: str
    instance_id: str
    reason: Literal["cluster_deleted", "removed_from_cluster", "node_pool_deleted", "unknown_owner"]
    cluster_id: str | None = None
    node_pool_id: str | None = None


class AnswerLeftover(_Strict):
    """A disk, load balancer, address, file system or security group a deleted cluster left behind (kinds as the
    product reports them)."""

    region: str
    kind: Literal["cbs_disk", "clb", "eip", "cfs", "security_group"]
    resource_id: str
    cluster_id: str


class AnswerKey(_Strict):
    """What a correct scan of this world must report (written by the generator)."""

    orphans: list[AnswerOrphan] = []
    not_orphans: dict[str, str] = {}
    leftovers: list[AnswerLeftover] = []
    # CLBs a user made that a deleted cluster reused (tke-clusterId, no createdBy flag): reported, never cleaned up.
    reused: list[AnswerLeftover] = []
    # Resources that look like leftovers and are not (attached, user-owned, reused, of a live cluster): id -> why.
    not_leftovers: dict[str, str] = {}


Uin = Annotated[str, Field(pattern=r"^\d{5,20}$")]
RegionName = Annotated[str, Field(pattern=r"^[a-z]+(-[a-z]+)+(-\d+)?$")]
# An account's own limits (per second) by "service.Action", over the documented ones: limits are per sub-account.
RateTable = dict[Annotated[str, Field(pattern=r"^[a-z]+\.[A-Za-z]+$")], Annotated[float, Field(gt=0)]]
MAX_ROLE_SESSION = 43200  # sts AssumeRole's longest DurationSeconds


class MemberRole(_Strict):
    """The member's CAM role the management account assumes (sts AssumeRole)."""

    name: Annotated[str, Field(min_length=1, max_length=128)] = "OrganizationAccessControlRole"
    # The uins allowed to assume it (its trust policy); None: the management account.
    trusts: list[Uin] | None = None
    # The role's longest session, in seconds: it caps DurationSeconds (2 makes credentials expire in 2 s).
    session_duration: Annotated[int, Field(ge=1, le=MAX_ROLE_SESSION)] = MAX_ROLE_SESSION
    # The trust policy's sts:external_id condition: AssumeRole must pass it as ExternalId.
    external_id: str | None = None


class Member(_Strict):
    """A member account of the organization, with its own world (regions) and, maybe, the role to reach it."""

    uin: Uin
    name: Annotated[str, Field(min_length=1)]
    node_id: Annotated[int, Field(ge=0)] = 0
    node_name: str = "Root"
    member_type: Literal["Invite", "Create"] = "Create"
    tags: list[Tag] = []
    create_time: Time | None = None
    role: MemberRole | None = None
    rate_limits: RateTable = {}
    regions: dict[RegionName, Region] = {}
    answer_key: AnswerKey | None = None  # what a correct scan of this member reports (the generator writes it)


class Organization(_Strict):
    """The organization the world's account manages: its credentials are the world's `credentials`."""

    uin: Uin | None = None  # the management account's uin; default: the first credential's
    rate_limits: RateTable = {}  # the management account's own limits
    members: list[Member] = []


class WorldSpec(_Strict):
    credentials: Annotated[list[Credential], Field(min_length=1)]
    regions: dict[RegionName, Region]
    prices: Prices = Prices()
    organization: Organization | None = None
    answer_key: AnswerKey | None = None
    audit: Audit = Audit()  # the account's CloudAudit log: events already in it, the delay before one is seen


@dataclass
class World:
    """A validated world, with the time it was anchored to."""

    spec: WorldSpec
    now: datetime
    source: str = "<world>"
    credentials: dict[str, Credential] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.credentials = {c.secret_id: c for c in self.spec.credentials}

    @property
    def uin(self) -> str:
        """The served (management) account's uin."""
        org = self.spec.organization
        return org.uin if org and org.uin else self.spec.credentials[0].uin

    def member_world(self, member: Member) -> World:
        """A member's own account as a world of its own (its regions, the organization's prices); its credentials
        are only ever temporary ones (sts AssumeRole), so the one listed here signs nothing."""
        cred = Credential(secret_id=f"member-{member.uin}", secret_key="-", name=member.name, uin=member.uin)
        spec = WorldSpec(credentials=[cred], regions=member.regions, prices=self.spec.prices)
        return World(spec=spec, now=self.now, source=self.source)


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _check_consistency(spec: WorldSpec, source: str) -> None:
    """Cross-field rules pydantic cannot express: what a real account could never contain."""
    seen_creds: set[str] = set()
    for i, cred in enumerate(spec.credentials):
        if cred.secret_id in seen_creds:
            raise WorldError(source, f"credentials[{i}].secret_id", f"{cred.secret_id} is listed twice")
        seen_creds.add(cred.secret_id)
    _check_regions(spec.regions, source, "regions")
    if spec.organization is not None:
        _check_organization(spec, spec.organization, source)


def _check_organization(spec: WorldSpec, org: Organization, source: str) -> None:
    uins = {c.uin for c in spec.credentials}
    manager = org.uin or spec.credentials[0].uin
    if org.uin is not None and org.uin not in uins:
        raise WorldError(source, "organization.uin", f"{org.uin} is the uin of none of the world's credentials")
    seen: dict[str, int] = {}
    for i, member in enumerate(org.members):
        path = f"organization.members[{i}]"
        if member.uin == manager:
            raise WorldError(source, f"{path}.uin", f"{member.uin} is the management account")
        if member.uin in seen:
            raise WorldError(source, f"{path}.uin", f"{member.uin} duplicates members[{seen[member.uin]}]")
        seen[member.uin] = i
        _check_regions(member.regions, source, f"{path}.regions")


def _check_regions(regions: Mapping[str, Region], source: str, where: str) -> None:
    """One account's regions (the world's own, or a member's under `where`)."""
    cluster_ids: set[str] = set()
    for rname, region in regions.items():
        base = f"{where}.{rname}"
        by_id: dict[str, int] = {}
        for i, inst in enumerate(region.instances):
            path = f"{base}.instances[{i}]"
            if inst.InstanceId in by_id:
                raise WorldError(
                    source,
                    f"{path}.InstanceId",
                    f"{inst.InstanceId} duplicates instances[{by_id[inst.InstanceId]}]",
                )
            by_id[inst.InstanceId] = i
            if not inst.Placement.Zone.startswith(rname + "-"):
                raise WorldError(
                    source, f"{path}.Placement.Zone", f"zone {inst.Placement.Zone} is not in region {rname}"
                )
        node_of: dict[str, str] = {}
        for c, cluster in enumerate(region.clusters):
            cpath = f"{base}.clusters[{c}]"
            if cluster.ClusterId in cluster_ids:
                raise WorldError(source, f"{cpath}.ClusterId", f"{cluster.ClusterId} is used twice")
            cluster_ids.add(cluster.ClusterId)
            pools = {p.NodePoolId: p for p in cluster.node_pools}
            if len(pools) != len(cluster.node_pools):
                raise WorldError(source, f"{cpath}.node_pools", "a NodePoolId is used twice")
            for p, pool in enumerate(cluster.node_pools):
                if pool.Type == "Native" and pool.AutoscalingGroupId:
                    raise WorldError(
                        source,
                        f"{cpath}.node_pools[{p}].AutoscalingGroupId",
                        "native node pools have no auto scaling group",
                    )
            for n, node in enumerate(cluster.nodes):
                npath = f"{cpath}.nodes[{n}]"
                if node.NodePoolId is not None and node.NodePoolId not in pools:
                    raise WorldError(
                        source,
                        f"{npath}.NodePoolId",
                        f"{node.NodePoolId} is not a node pool of {cluster.ClusterId}",
                    )
                is_native = node.NodeType == "Native"
                if is_native:
                    if node.MachineName is None:
                        raise WorldError(source, f"{npath}.MachineName", "a native node needs its machine name")
                    if node.NodePoolId is None or pools[node.NodePoolId].Type != "Native":
                        raise WorldError(source, f"{npath}.NodePoolId", "a native node belongs to a native node pool")
                elif node.NodePoolId is not None and pools[node.NodePoolId].Type != "Regular":
                    raise WorldError(source, f"{npath}.NodePoolId", "a regular node cannot be in a native node pool")
                is_cvm = not (is_native and node.MachineType == "Native")
                if is_cvm != node.InstanceId.startswith("ins-"):
                    want = "an ins- CVM id" if is_cvm else "an eks- id (MachineType Native is not a CVM)"
                    raise WorldError(source, f"{npath}.InstanceId", f"this node needs {want}")
                if not is_cvm:
                    continue
                if node.InstanceId not in by_id:
                    raise WorldError(
                        source,
                        f"{npath}.InstanceId",
                        f"{node.InstanceId} is not an instance of region {rname}",
                    )
                if node.InstanceId in node_of:
                    raise WorldError(
                        source,
                        f"{npath}.InstanceId",
                        f"{node.InstanceId} is already a node of {node_of[node.InstanceId]}",
                    )
                node_of[node.InstanceId] = cluster.ClusterId
                if cluster.ClusterType == "MANAGED_CLUSTER" and node.InstanceRole != "WORKER":
                    raise WorldError(
                        source,
                        f"{npath}.InstanceRole",
                        "a managed cluster has no master or etcd nodes of yours",
                    )

        # check_resources names paths from `regions.`: a member's are under `where`.
        def fail(path: str, problem: str) -> WorldError:
            return WorldError(source, where + path.removeprefix("regions"), problem)

        check_resources(rname, set(by_id), region, fail=fail)


def world_from_data(data: Any, *, source: str = "<world>", now: datetime | None = None) -> World:
    """Validate parsed YAML/JSON data into a World anchored at `now`."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    if not isinstance(data, Mapping):
        raise WorldError(source, "", "a world file is a mapping with 'credentials' and 'regions'")
    try:
        spec = WorldSpec.model_validate(data, context={"now": now})
    except ValidationError as exc:
        err = exc.errors()[0]
        parts = tuple(err["loc"])
        msg = err["msg"]
        if parts and parts[-1] == "[key]":  # pydantic's marker for a mapping's key (a rate table's) that is wrong
            parts, msg = parts[:-1], f"not a valid key: {msg}"
        loc = _format_loc(parts)
        if err["type"] == "extra_forbidden":
            msg = "unknown key (see docs/emulator.md for the world format)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise WorldError(source, loc, msg + more) from None
    _check_consistency(spec, source)
    return World(spec=spec, now=now, source=source)


def load_world(path: str | Path, *, now: datetime | None = None) -> World:
    """Read a YAML or JSON world file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorldError(str(p), "", f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise WorldError(str(p), "", f"not UTF-8 text (byte at offset {exc.start}): a world is YAML or JSON") from None
    try:
        if p.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise WorldError(str(p), "", f"not valid YAML/JSON: {exc}") from None
    except RecursionError:
        raise WorldError(str(p), "", "nested too deeply to be a world file") from None
    return world_from_data(data, source=str(p), now=now)
