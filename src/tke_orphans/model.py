"""Records that flow past the cloud adapter: parsed, typed, UTC, and free of SDK objects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from .facts import Fact, english

Status = Literal["ok", "partial", "error"]


class Reason(StrEnum):
    CLUSTER_DELETED = "cluster_deleted"
    REMOVED_FROM_CLUSTER = "removed_from_cluster"
    NODE_POOL_DELETED = "node_pool_deleted"
    UNKNOWN_OWNER = "unknown_owner"


class EvidenceKind(StrEnum):
    NAME = "name"
    AUTOSCALING_TAG = "autoscaling_tag"
    OWNER_TAG = "owner_tag"
    LEGACY_HEURISTIC = "legacy_heuristic"
    HISTORY = "history"


# The tag TKE puts on the disks, load balancers and addresses it makes for a cluster.
CLUSTER_TAG = "tke-clusterId"


class ExcludedWhy(StrEnum):
    GRACE_PERIOD = "grace_period"
    SKIP_STATE = "skip_state"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Disk:
    """A system or data disk, as DescribeInstances gives it (what its price depends on, and its id)."""

    disk_type: str
    size_gb: int
    disk_id: str = ""
    delete_with_instance: bool | None = None


@dataclass(frozen=True, slots=True)
class Internet:
    """Public bandwidth: how it is charged and its cap (Mbps); a bandwidth package bills it elsewhere."""

    charge_type: str
    max_bandwidth_out: int
    bandwidth_package_id: str = ""


@dataclass(frozen=True, slots=True)
class Instance:
    """A CVM instance, as DescribeInstances listed it."""

    instance_id: str
    name: str
    state: str
    instance_type: str
    cpu: int
    memory_gb: int
    charge_type: str
    created: datetime
    expired: datetime | None
    zone: str
    vpc_id: str
    private_ips: tuple[str, ...]
    public_ips: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]
    disable_api_termination: bool = False
    # What its price depends on (cost of an orphan): image, disks, bandwidth, and for prepaid the renew flag.
    image_id: str = ""
    system_disk: Disk | None = None
    data_disks: tuple[Disk, ...] = ()
    internet: Internet | None = None
    renew_flag: str = ""

    def tag(self, key: str) -> str | None:
        return next((v for k, v in self.tags if k == key), None)


@dataclass(frozen=True, slots=True)
class Billing:
    """What a disk's, load balancer's or address's price depends on, as its own listing gave it ("" or 0: not said).

    `charge_type`: DiskChargeType, a CLB's ChargeType; `internet_charge_type` and `bandwidth_mbps`: a CLB's
    NetworkAttributes, an address's InternetChargeType and Bandwidth."""

    charge_type: str = ""
    disk_type: str = ""
    size_gb: int = 0
    lb_type: str = ""  # OPEN or INTERNAL
    sla_type: str = ""  # a CLB's performance class ("" or "shared": the shared kind)
    internet_charge_type: str = ""
    bandwidth_mbps: int = 0
    address_type: str = ""  # EIP, HighQualityEIP, AntiDDoSEIP...
    zone: str = ""


@dataclass(frozen=True, slots=True)
class CloudResource:
    """A disk, load balancer or address, as its own product's API listed it (tags included)."""

    kind: str  # a kind of the registry (kinds/): cbs_disk, clb, eip...
    resource_id: str
    name: str
    state: str  # DiskState, AddressStatus; a CLB's Status as text
    created: datetime | None
    attached: bool  # a disk attached, an address bound; a load balancer is never "attached"
    tags: tuple[tuple[str, str], ...]
    billing: Billing = Billing()
    # What its listing observed besides (a region's quota taken), told with its evidence; a kind's own facts.
    notes: tuple[Fact, ...] = ()
    # Given back, yet still listed (a prepaid disk in the recycle bin): gone, as far as its bill goes.
    returned: bool = False

    def tag(self, key: str) -> str | None:
        return next((v for k, v in self.tags if k == key), None)


OriginHow = Literal["retain", "keep_instance", "cluster_deleted"]


@dataclass(frozen=True, slots=True)
class Origin:
    """How a finding came to be, as CloudAudit recorded the call: a courtesy shown beside it, never evidence."""

    event: str  # DeleteClusterInstances, DeleteClusterNodePool, DeleteClusterAsGroups, DeleteCluster
    time: datetime
    who: str  # the caller's name or uin, as the audit log gives it
    how: OriginHow  # nodes removed keeping them; a pool or scaling group deleted keeping them; a cluster deleted
    request_id: str


@dataclass(frozen=True, slots=True)
class Leftover:
    """A resource TKE made for a cluster that no longer exists; `reused`: a user's own CLB the cluster only used,
    reported apart and never to be cleaned up."""

    account: str
    region: str
    kind: str
    resource_id: str
    name: str
    cluster_id: str
    evidence: tuple[str, ...]
    state: str
    created: datetime | None
    attached: bool = False
    reused: bool = False
    # None when pricing is off (or was not asked); a Cost with source None when no price could be had.
    cost: Cost | None = None
    billing: Billing = Billing()  # what its price depends on (kept in the records, not shown in the JSON)
    facts: tuple[Fact, ...] = ()  # `evidence` as data, for every language (none in records kept before)
    tags: tuple[tuple[str, str], ...] = ()  # as its product lists them (what a route can match)
    origin: Origin | None = None  # the audited call that left it (origins.py); None: `origin_note` says why
    origin_note: str = ""

    @property
    def why(self) -> str:
        """Its reason, as an orphan's: a leftover is one because its cluster was deleted."""
        return "cluster_deleted"


class Named(Protocol):
    """What names anything reported or acted on, whatever its kind."""

    @property
    def kind(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def resource_id(self) -> str: ...
    @property
    def name(self) -> str: ...


class Finding(Named, Protocol):
    """Anything reported, whatever its kind: what the parts that treat every kind alike (the lifecycle, the store,
    the metrics, cleanup's runner) read of an orphan (Orphan) or a leftover (Leftover)."""

    @property
    def cluster_id(self) -> str | None: ...
    @property
    def why(self) -> str: ...
    @property
    def cost(self) -> Cost | None: ...
    @property
    def reused(self) -> bool: ...


def finding_key(f: Named) -> tuple[str, str, str]:
    """Where a finding is and its id: how the lifecycle and the store know it from one scan to the next."""
    return f.account, f.region, f.resource_id


@dataclass(frozen=True, slots=True)
class Cluster:
    cluster_id: str
    name: str
    cluster_type: str
    status: str


@dataclass(frozen=True, slots=True)
class NodePool:
    node_pool_id: str
    cluster_id: str
    name: str
    native: bool
    autoscaling_group_id: str | None
    life_state: str


@dataclass(frozen=True, slots=True)
class ApiFailure:
    """One call that failed for good (after retries): what, where, and the cloud's own words."""

    api: str
    code: str
    message: str
    cluster_id: str | None = None

    @property
    def fact(self) -> Fact:
        if self.cluster_id:
            return Fact("api.failed_for", (self.api, self.cluster_id, self.code, self.message))
        return Fact("api.failed", (self.api, self.code, self.message))

    def describe(self) -> str:
        return english(self.fact)


@dataclass
class RegionInventory:
    """Everything the scan learned about one region of one account. `None` means that listing failed."""

    account: str
    region: str
    instances: list[Instance] | None = None
    clusters: list[Cluster] | None = None
    node_pools: list[NodePool] = field(default_factory=list)
    # CVM id -> cluster id, for every node whose cluster listing succeeded (native nodes resolved to CVM ids).
    members: dict[str, str] = field(default_factory=dict)
    # Clusters whose node listing failed: their members are unknown.
    failed_clusters: dict[str, ApiFailure] = field(default_factory=dict)
    # TKE's own DescribeExistedInstances answer: CVM id -> id of the cluster it is in ("" for none).
    existed: dict[str, str] = field(default_factory=dict)
    errors: list[ApiFailure] = field(default_factory=list)
    # From the state: CVM id -> (cluster id, last time it was seen as a node of it).
    history: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    # Disks, load balancers, addresses tagged with a cluster id; None when not asked or a listing failed.
    resources: list[CloudResource] | None = None
    # Serverless and edge clusters those tags name: alive, though DescribeClusters does not list them.
    other_clusters: frozenset[str] = frozenset()

    @property
    def node_count(self) -> int:
        return len(self.members)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why an instance is taken for TKE's: `detail` says it in a sentence, `subject` names what it points to;
    `fact`: the subject as data where it takes words (a legacy rule), for every language."""

    kind: EvidenceKind
    detail: str
    subject: str = ""
    fact: Fact | None = None


HOURS_A_MONTH = 730
CostSource = Literal["inquiry", "type_only", "renew", "list"]


@dataclass(frozen=True, slots=True)
class Cost:
    """What an orphan costs at list price. `source` None: no price could be had, `detail` says why (never 0).

    `inquiry`: the full configuration (type, image, disks, bandwidth) was quoted; `type_only`: the machine type's
    price only; `renew`: a prepaid instance's price for one more month; `list`: a documented list price times what
    is used, where the product has no price inquiry. `detail` says what is included and where the figure is from.
    """

    currency: str
    hourly: float | None
    monthly: float | None
    source: CostSource | None
    detail: str
    facts: tuple[Fact, ...] = ()  # `detail` as data, for every language (none in records kept before)

    def wasted(self, hours: float | None) -> float | None:
        """What it cost over `hours` (how long it has been an orphan), at the hourly figure."""
        if self.hourly is None or hours is None:
            return None
        return round(self.hourly * max(0.0, hours), 2)


VM = "cvm"  # the kind of a VM: every other kind is a leftover's


class OnInstance:
    """What names a VM found or acted on (Named), read from its instance."""

    __slots__ = ()
    kind = VM
    reused = False  # only a CLB is ever a user's own that a cluster reused
    instance: Instance

    @property
    def resource_id(self) -> str:
        return self.instance.instance_id

    @property
    def name(self) -> str:
        return self.instance.name


@dataclass(frozen=True, slots=True)
class Orphan(OnInstance):
    """An orphaned VM: the Finding of kind cvm, with what only VMs have (the instance as listed, typed evidence,
    the node pool)."""

    account: str
    region: str
    instance: Instance
    reason: Reason
    evidence: tuple[Evidence, ...]
    cluster_id: str | None = None
    node_pool_id: str | None = None
    # None when pricing is off (or was not asked); a Cost with source None when no price could be had.
    cost: Cost | None = None
    origin: Origin | None = None  # the audited call that left it (origins.py); None: `origin_note` says why
    origin_note: str = ""

    @property
    def why(self) -> str:
        return self.reason.value


@dataclass(frozen=True, slots=True)
class Unverified:
    """A candidate that might be an orphan, but a failed listing means we cannot say: never reported as one."""

    account: str
    region: str
    instance: Instance
    evidence: tuple[Evidence, ...]
    why: str
    cluster_id: str | None = None
    node_pool_id: str | None = None
    facts: tuple[Fact, ...] = ()  # `why` as data, for every language


@dataclass(frozen=True, slots=True)
class Excluded:
    account: str
    region: str
    instance_id: str
    why: ExcludedWhy
    detail: str = ""
    fact: Fact | None = None  # `detail` as data


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """An account a scan worked in: its name (what its findings carry) and what else names it (its uin; an
    organization member's node), for routes, metrics and the status page."""

    name: str
    uin: str = ""
    node_id: str = ""
    node_name: str = ""


@dataclass(frozen=True, slots=True)
class RegionVerdict:
    orphans: tuple[Orphan, ...] = ()
    unverified: tuple[Unverified, ...] = ()
    excluded: tuple[Excluded, ...] = ()
    leftovers: tuple[Leftover, ...] = ()


@dataclass(frozen=True, slots=True)
class RegionResult:
    account: str
    region: str
    status: Status
    instances: int
    clusters: int
    nodes: int
    errors: tuple[ApiFailure, ...] = ()
    # APIs this scan slowed down in this region because the cloud throttled them: the lowest share of the
    # documented rate it went down to (the quota is shared with every other tool of the account).
    rate_adapted: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class RegionSnapshot:
    """What the state needs to remember of a region's scan; not part of the JSON output."""

    account: str
    region: str
    complete: bool
    listed: frozenset[str]  # every instance id DescribeInstances returned
    members: dict[str, str]  # CVM id -> cluster id, every node seen
    # The leftover kinds this region's listings checked completely (clusters and resources), and every resource
    # they listed with a cluster tag, by id: what resolving a leftover needs.
    leftover_kinds: frozenset[str] = frozenset()
    resources: dict[str, CloudResource] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanResult:
    scanned_at: datetime
    status: Status
    regions: tuple[RegionResult, ...]
    orphans: tuple[Orphan, ...]
    unverified: tuple[Unverified, ...]
    excluded: tuple[Excluded, ...]
    # Failures that are not tied to one region (listing the regions themselves, credentials).
    errors: tuple[ApiFailure, ...] = ()
    snapshots: tuple[RegionSnapshot, ...] = field(default=(), compare=False, repr=False)
    # Disks, CLBs, EIPs of deleted clusters, and (reused=True) users' CLBs a deleted cluster used.
    leftovers: tuple[Leftover, ...] = ()
    # (account, where its keys came from): what an AuthFailure's hint tells to check. Not stored, not in the JSON.
    credentials_from: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)
    accounts: tuple[AccountInfo, ...] = ()  # those it worked in (an organization's members reached)

    @property
    def by_region(self) -> dict[str, int]:
        return dict(sorted(Counter(o.region for o in self.orphans).items()))

    @property
    def by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(o.reason.value for o in self.orphans).items()))


# ---- what changed, as the notifications tell it and the state's outbox keeps it ------------------------------

NoticeKind = Literal["new", "reminder", "resolved", "test", "cleanup"]
# A VM: terminated, rejoined a cluster, ignored. Any other kind: gone, in use again, no longer a deleted cluster's.
ResolvedHow = Literal["terminated", "rejoined", "ignored", "gone", "in_use", "not_leftover"]


@dataclass(frozen=True, slots=True)
class Vm(OnInstance):
    """A VM as the state last knew it: what names a resolved orphan (its verdict is over), and the cluster it was
    told about with (where its resolution is routed)."""

    account: str
    region: str
    instance: Instance
    cluster_id: str | None = None


@dataclass(frozen=True)
class Resolved:
    """A finding that is no more, whatever its kind: what it was, how it ended, and since when it had been one."""

    what: Vm | Leftover
    how: ResolvedHow
    detail: str = ""
    first_seen: datetime | None = None
    fact: Fact | None = None  # `detail` as data, where it is a sentence


@dataclass(frozen=True)
class ActionLine:
    """One cleanup decision, as a message tells it."""

    account: str
    region: str
    instance_id: str
    name: str
    action: str
    outcome: str
    detail: str
    actor: str = ""  # who ran the cleanup (user@host, or serve)
    kind: str = "cvm"  # instance_id holds a resource of this kind: cvm, cbs_disk, clb, eip
    fact: Fact | None = None  # `detail` as data, where it is more than the cloud's own words


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    scanned_at: datetime
    # What is told, of every kind: new ones (kind "new"), those due a reminder; those resolved (kind "resolved").
    findings: tuple[Orphan | Leftover, ...] = ()
    resolved: tuple[Resolved, ...] = ()
    unverified: tuple[Unverified, ...] = ()
    errors: tuple[tuple[str, ApiFailure], ...] = ()  # (where: "account/region" or "", failure)
    first_seen: Mapping[str, datetime] = field(default_factory=dict)
    status_url: str | None = None
    result: ScanResult | None = None  # for channels that take the whole scan result (generic webhook)
    actions: tuple[ActionLine, ...] = ()
    # Whom it is for: a route of webhook.routes ("default": the bots no route names); None: every bot.
    route: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.findings or self.resolved or self.unverified or self.errors or self.actions) and (
            self.kind != "test"
        )
