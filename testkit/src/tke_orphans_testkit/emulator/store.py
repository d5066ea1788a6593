"""The served account: a world turned into API-shaped records with the indexes the handlers need.

Everything the handlers return is rendered here once at load (times formatted, fields filled), and each CVM
instance is JSON-encoded once, so that a page of 100 instances costs a string join, not 100 encodings.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .audit import AuditLog
from .store_resources import address_api, disk_api, file_system_api, lb_api, mount_target_api, security_group_api
from .world import Cluster, Instance, NodePool, OtherCluster, World
from .world_resources import SECURITY_GROUP_LIMIT


def iso(t: datetime | None) -> str | None:
    """CVM and TKE 2018 style: 2026-01-02T03:04:05Z."""
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def go_time(t: datetime) -> str:
    """TKE 2022 style, Go's time.String(): 2023-08-17 13:17:57 +0000 UTC."""
    return t.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def tags(items: Any) -> list[dict[str, str]]:
    return [{"Key": t.Key, "Value": t.Value} for t in items]


def instance_api(inst: Instance) -> dict[str, Any]:
    """The DescribeInstances item, shaped like the SDK's cvm.v20170312.models.Instance."""
    return {
        "Placement": {"Zone": inst.Placement.Zone, "ProjectId": inst.Placement.ProjectId, "HostId": None},
        "InstanceId": inst.InstanceId,
        "InstanceType": inst.InstanceType,
        "CPU": inst.CPU,
        "Memory": inst.Memory,
        "RestrictState": inst.RestrictState,
        "InstanceName": inst.InstanceName,
        "InstanceChargeType": inst.InstanceChargeType,
        "SystemDisk": {
            "DiskType": inst.SystemDisk.DiskType,
            "DiskId": "disk-" + inst.InstanceId[4:],
            "DiskSize": inst.SystemDisk.DiskSize,
        },
        "DataDisks": [
            {
                "DiskSize": d.DiskSize,
                "DiskType": d.DiskType,
                "DiskId": d.DiskId or f"disk-{inst.InstanceId[4:]}d{i}",
                "DeleteWithInstance": d.DeleteWithInstance,
            }
            for i, d in enumerate(inst.DataDisks)
        ]
        or None,
        "PrivateIpAddresses": list(inst.PrivateIpAddresses),
        "PublicIpAddresses": None if inst.PublicIpAddresses is None else list(inst.PublicIpAddresses),
        "InternetAccessible": {
            "InternetChargeType": inst.InternetAccessible.InternetChargeType,
            "InternetMaxBandwidthOut": inst.InternetAccessible.InternetMaxBandwidthOut,
            "BandwidthPackageId": inst.InternetAccessible.BandwidthPackageId,
        },
        "VirtualPrivateCloud": {
            "VpcId": inst.VirtualPrivateCloud.VpcId,
            "SubnetId": inst.VirtualPrivateCloud.SubnetId,
            "AsVpcGateway": False,
        },
        "ImageId": inst.ImageId,
        "RenewFlag": (inst.RenewFlag or "NOTIFY_AND_MANUAL_RENEW") if inst.InstanceChargeType == "PREPAID" else None,
        "CreatedTime": iso(inst.CreatedTime),
        "ExpiredTime": iso(inst.ExpiredTime),
        "OsName": inst.OsName,
        "SecurityGroupIds": ["sg-default"],
        "LoginSettings": {"KeyIds": None},
        "InstanceState": inst.InstanceState,
        "Tags": tags(inst.Tags),
        "StopChargingMode": "NOT_APPLICABLE",
        "Uuid": "00000000-0000-4000-8000-" + inst.InstanceId[4:].rjust(12, "0")[-12:],
        "LatestOperation": inst.LatestOperation,
        "LatestOperationState": inst.LatestOperationState,
        "LatestOperationRequestId": None,
        "IPv6Addresses": None,
        "CamRoleName": "",
        "IsolatedSource": inst.IsolatedSource,
        "DisableApiTermination": inst.DisableApiTermination,
        "DefaultLoginUser": "root",
        "DefaultLoginPort": 22,
    }


@dataclass
class NodeRec:
    """A node as TKE knows it; `instance_id` is the CVM id (or eks- id), `listed_id` what the 2018 API shows."""

    cluster_id: str
    instance_id: str
    listed_id: str
    role: str
    node_type: str
    node_pool_id: str | None
    machine_name: str | None
    machine_type: str
    state: str
    created: datetime


@dataclass
class ClusterRec:
    spec: Cluster
    pools: dict[str, NodePool]
    nodes: list[NodeRec]


@dataclass
class RegionStore:
    name: str
    display_name: str
    state: str
    instances: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    encoded: dict[str, str] = field(default_factory=dict)
    clusters: list[ClusterRec] = field(default_factory=list)
    cluster_by_id: dict[str, ClusterRec] = field(default_factory=dict)
    node_of: dict[str, str] = field(default_factory=dict)
    # Disks, load balancers and addresses by id, in the world file's order (dicts keep it).
    disks: dict[str, dict[str, Any]] = field(default_factory=dict)
    load_balancers: dict[str, dict[str, Any]] = field(default_factory=dict)
    addresses: dict[str, dict[str, Any]] = field(default_factory=dict)
    other_clusters: list[OtherCluster] = field(default_factory=list)  # serverless and edge clusters
    # CFS file systems by id, and each one's mount targets (api/cfs.py).
    file_systems: dict[str, dict[str, Any]] = field(default_factory=dict)
    mount_targets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Security groups by id; what each is bound to (instance type -> count) and the groups whose rules name it.
    security_groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    sg_associations: dict[str, dict[str, int]] = field(default_factory=dict)
    sg_referenced_by: dict[str, list[str]] = field(default_factory=dict)
    security_group_limit: int = SECURITY_GROUP_LIMIT

    def encode(self, instance_id: str) -> str:
        text = self.encoded.get(instance_id)
        if text is None:
            text = self.encoded[instance_id] = json.dumps(self.by_id[instance_id], ensure_ascii=False)
        return text


class Store:
    """All regions of the served account. A lock guards later mutations (actions that change the world)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.lock = threading.RLock()
        self.task_seq = 0  # the TaskId of the last asynchronous action answered (vpc ReleaseAddresses)
        self.regions: dict[str, RegionStore] = {}
        # GetResources' listings by walk, for their next pages (api/tag_resources.py).
        self.tag_walks: dict[int, list[dict[str, Any]]] = {}
        self.next_walk = 0
        self.audit = AuditLog(world.spec.audit.delay_seconds)  # the account's CloudAudit log
        self.audit.seed(world)
        for name, region in world.spec.regions.items():
            rs = RegionStore(name=name, display_name=region.RegionName or name, state=region.RegionState)
            for inst in region.instances:
                d = instance_api(inst)
                rs.instances.append(d)
                rs.by_id[inst.InstanceId] = d
                # Encoded once at load, not while a scan waits: the real cloud's CPU is not on this machine.
                rs.encoded[inst.InstanceId] = json.dumps(d, ensure_ascii=False)
            for cluster in region.clusters:
                rec = ClusterRec(spec=cluster, pools={p.NodePoolId: p for p in cluster.node_pools}, nodes=[])
                for node in cluster.nodes:
                    cvm = rs.by_id.get(node.InstanceId)
                    created = node.CreatedTime or (
                        datetime.fromisoformat(cvm["CreatedTime"].replace("Z", "+00:00")) if cvm else world.now
                    )
                    native = node.NodeType == "Native"
                    rec.nodes.append(
                        NodeRec(
                            cluster_id=cluster.ClusterId,
                            instance_id=node.InstanceId,
                            # The trap: TKE 2018 lists native nodes by machine name, not by CVM id.
                            listed_id=node.MachineName if native and node.MachineName else node.InstanceId,
                            role=node.InstanceRole,
                            node_type=node.NodeType,
                            node_pool_id=node.NodePoolId,
                            machine_name=node.MachineName,
                            machine_type=node.MachineType,
                            state=node.InstanceState,
                            created=created,
                        )
                    )
                    if node.InstanceId.startswith("ins-"):
                        rs.node_of[node.InstanceId] = cluster.ClusterId
                rs.clusters.append(rec)
                rs.cluster_by_id[cluster.ClusterId] = rec
            rs.disks = {d.DiskId: disk_api(d) for d in region.disks}
            rs.load_balancers = {lb.LoadBalancerId: lb_api(lb, name) for lb in region.load_balancers}
            rs.addresses = {a.AddressId: address_api(a) for a in region.addresses}
            rs.other_clusters = list(region.other_clusters)
            uin = world.spec.credentials[0].uin
            rs.file_systems = {f.FileSystemId: file_system_api(f, uin) for f in region.file_systems}
            rs.mount_targets = {
                f.FileSystemId: [mount_target_api(f.FileSystemId, m) for m in f.mount_targets]
                for f in region.file_systems
            }
            rs.security_groups = {g.SecurityGroupId: security_group_api(g) for g in region.security_groups}
            rs.sg_associations = {g.SecurityGroupId: dict(g.associations) for g in region.security_groups}
            rs.sg_referenced_by = {g.SecurityGroupId: list(g.referenced_by) for g in region.security_groups}
            rs.security_group_limit = region.security_group_limit
            self.regions[name] = rs

    # ---- changes to the world while it is served (tests, and the cloud's own mutating actions) ----------------

    def remove_instance(self, region: str, instance_id: str) -> None:
        """The instance is gone (terminated and out of the recycle bin); it stops being a node too."""
        with self.lock:
            rs = self.regions[region]
            rs.instances = [d for d in rs.instances if d["InstanceId"] != instance_id]
            rs.by_id.pop(instance_id, None)
            rs.encoded.pop(instance_id, None)
            self.remove_node(region, instance_id)

    def remove_node(self, region: str, instance_id: str) -> None:
        """As DeleteClusterInstances with InstanceDeleteMode=retain: the CVM stays, the node is gone."""
        with self.lock:
            rs = self.regions[region]
            for rec in rs.clusters:
                rec.nodes = [n for n in rec.nodes if n.instance_id != instance_id]
            rs.node_of.pop(instance_id, None)

    def remove_cluster(self, region: str, cluster_id: str) -> ClusterRec:
        """As DeleteCluster: the cluster and its node pools are gone, its nodes are nodes no more (their CVMs are
        for the caller to keep or terminate). Returns what the cluster was."""
        with self.lock:
            rs = self.regions[region]
            rec = rs.cluster_by_id.pop(cluster_id)
            rs.clusters = [r for r in rs.clusters if r is not rec]
            for node in rec.nodes:
                rs.node_of.pop(node.instance_id, None)
            return rec

    def remove_node_pool(self, region: str, cluster_id: str, node_pool_id: str) -> list[NodeRec]:
        """As DeleteClusterNodePool: the pool is gone and its nodes leave the cluster. Returns those nodes."""
        with self.lock:
            rs = self.regions[region]
            rec = rs.cluster_by_id[cluster_id]
            rec.pools.pop(node_pool_id)
            gone = [n for n in rec.nodes if n.node_pool_id == node_pool_id]
            rec.nodes = [n for n in rec.nodes if n.node_pool_id != node_pool_id]
            for node in gone:
                rs.node_of.pop(node.instance_id, None)
            return gone

    def add_node(self, region: str, cluster_id: str, instance_id: str, node_pool_id: str | None = None) -> None:
        """As AddExistedInstances: an existing CVM becomes a (regular) node of a cluster."""
        with self.lock:
            rs = self.regions[region]
            if instance_id not in rs.by_id or instance_id in rs.node_of:
                raise ValueError(f"{instance_id} is not a free instance of {region}")
            rec = rs.cluster_by_id[cluster_id]
            rec.nodes.append(
                NodeRec(cluster_id, instance_id, instance_id, "WORKER", "Regular", node_pool_id, None, "NativeCVM",
                        "running", self.world.now)
            )  # fmt: skip
            rs.node_of[instance_id] = cluster_id

    def set_instance(self, region: str, instance_id: str, **fields: Any) -> None:
        """Change an instance's API fields (a rename, a new state, tags)."""
        with self.lock:
            rs = self.regions[region]
            rs.by_id[instance_id].update(fields)
            rs.encoded.pop(instance_id, None)
