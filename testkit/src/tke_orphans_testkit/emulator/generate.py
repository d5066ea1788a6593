"""Generate realistic worlds, with the answer key a correct scan must reproduce.

A world mixes what a real account holds: node pools whose CVMs carry the auto scaling tag and default names,
independent clusters with masters, native node pools, hand-added workers, and non-TKE VMs whose names and tags
fooled the original checker ("redis-cluster", "k8s-bastion", role=node). Into that it puts every kind of orphan
(retained from a node pool, removed from a cluster, left by a deleted cluster or node pool) and every kind of
instance that must not be reported (still launching, SHUTDOWN, ignored by tag, moved to another cluster).

Plain dicts and `random.Random(seed)` keep 100,000 instances to a second or two, and the same seed to the same world.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .generate_kinds import KindBuilder
from .generate_resources import ResourceBuilder

REGIONS = [
    "ap-guangzhou",
    "ap-shanghai",
    "ap-beijing",
    "ap-chengdu",
    "ap-nanjing",
    "ap-hongkong",
    "ap-singapore",
    "ap-tokyo",
    "ap-seoul",
    "ap-bangkok",
    "ap-jakarta",
    "ap-chongqing",
    "na-siliconvalley",
    "na-ashburn",
    "eu-frankfurt",
    "sa-saopaulo",
]
ASG_TAG = "tencentcloud:autoscaling:auto-scaling-group-id"
IGNORE_TAG = "tke-orphans:ignore"
OWNER_TAG = "tke-clusterId"
TYPES = [("S5.MEDIUM4", 2, 4), ("S5.LARGE8", 4, 8), ("SA5.2XLARGE16", 8, 16), ("S6.4XLARGE32", 16, 32)]
DECOY_NAMES = ["redis-cluster-{}", "k8s-bastion-{}", "web-node-{}", "mysql-cluster-{}", "nodejs-app-{}", "jenkins-{}"]
DECOY_TAGS = [("app", "redis-cluster"), ("role", "node"), ("kubernetes", "no"), ("team", "tke-platform")]
# List prices (CNY): per hour postpaid and spot, per month prepaid. One type is sold out in one zone, so that a
# scan of a generated world also prices by the machine type alone.
TYPE_PRICES = {"S5.MEDIUM4": (0.32, 158, 0.064), "S5.LARGE8": (0.64, 316, 0.128), "SA5.2XLARGE16": (1.1, 530, 0.22),
               "S6.4XLARGE32": (2.6, 1250, 0.52)}  # fmt: skip
SOLD_OUT = ("ap-guangzhou-3", "S6.4XLARGE32")
ORPHAN_KINDS = ["pool_retained", "pool_custom_name", "manual_removed", "cluster_deleted", "pool_deleted", "owner_tag"]


@dataclass
class _Ids:
    rng: random.Random
    used: set[str] = field(default_factory=set)

    def new(self, prefix: str, length: int = 8) -> str:
        while True:
            value = prefix + "".join(self.rng.choices("0123456789abcdefghijklmnopqrstuvwxyz", k=length))
            if value not in self.used:
                self.used.add(value)
                return value


@dataclass
class _Region:
    name: str
    zones: list[str]
    instances: list[dict[str, Any]] = field(default_factory=list)
    clusters: list[dict[str, Any]] = field(default_factory=list)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids = _Ids(self.rng)
        self.ip = itertools.count(1)
        self.orphans: list[dict[str, Any]] = []
        self.not_orphans: dict[str, str] = {}

    def instance(self, region: _Region, name: str, *, age: str | None = None, **extra: Any) -> dict[str, Any]:
        n = next(self.ip)
        itype, cpu, mem = self.rng.choice(TYPES)
        prepaid = self.rng.random() < 0.3
        inst: dict[str, Any] = {
            "InstanceId": self.ids.new("ins-"),
            "InstanceName": name,
            "InstanceType": itype,
            "CPU": cpu,
            "Memory": mem,
            "CreatedTime": age or f"-{self.rng.randint(2, 400)}d",
            "Placement": {"Zone": self.rng.choice(region.zones)},
            "PrivateIpAddresses": [f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"],
            "InstanceChargeType": "PREPAID" if prepaid else "POSTPAID_BY_HOUR",
        }
        if prepaid:
            inst["ExpiredTime"] = f"+{self.rng.randint(1, 300)}d"
        if self.rng.random() < 0.1:
            inst["PublicIpAddresses"] = [f"159.75.{n >> 8 & 255}.{n & 255}"]
            kind = "BANDWIDTH_PREPAID" if prepaid else "BANDWIDTH_POSTPAID_BY_HOUR"
            inst["InternetAccessible"] = {"InternetChargeType": kind, "InternetMaxBandwidthOut": 10}
        if n % 3 == 0:  # from the counter, not the random stream: worlds of a seed stay what they were
            inst["DataDisks"] = [{"DiskType": "CLOUD_PREMIUM", "DiskSize": 100}]
        inst.update(extra)
        region.instances.append(inst)
        return inst

    def cluster(self, region: _Region, independent: bool) -> dict[str, Any]:
        cid = self.ids.new("cls-")
        cluster: dict[str, Any] = {
            "ClusterId": cid,
            "ClusterName": f"{'ops' if independent else 'prod'}-{cid[4:8]}",
            "ClusterType": "INDEPENDENT_CLUSTER" if independent else "MANAGED_CLUSTER",
            "CreatedTime": f"-{self.rng.randint(100, 900)}d",
            "node_pools": [],
            "nodes": [],
        }
        for _ in range(self.rng.randint(1, 3)):
            suffix = self.ids.new("", 8)
            cluster["node_pools"].append(
                {"NodePoolId": f"np-{suffix}", "Name": f"pool-{suffix[:4]}", "AutoscalingGroupId": f"asg-{suffix}"}
            )
        if self.rng.random() < 0.25:
            suffix = self.ids.new("", 8)
            cluster["node_pools"].append(
                {"NodePoolId": f"np-{suffix}", "Name": f"native-{suffix[:4]}", "Type": "Native"}
            )
        if independent:
            for k in range(1, 4):
                inst = self.instance(region, f"tke_{cid}_master_etcd{k}")
                cluster["nodes"].append({"InstanceId": inst["InstanceId"], "InstanceRole": "MASTER_ETCD"})
                self.not_orphans[inst["InstanceId"]] = f"master of independent cluster {cid}"
        region.clusters.append(cluster)
        return cluster

    def node(self, region: _Region, cluster: dict[str, Any]) -> None:
        pools = cluster["node_pools"]
        roll = self.rng.random()
        cid = cluster["ClusterId"]
        if roll < 0.1 or not pools:  # added by hand, default name
            inst = self.instance(region, f"tke_{cid}_worker")
            cluster["nodes"].append({"InstanceId": inst["InstanceId"]})
            return
        pool = self.rng.choice(pools)
        pid = pool["NodePoolId"]
        if pool.get("Type") == "Native":
            inst = self.instance(region, f"tke-{pid}-worker")
            machine = f"{pid}-{self.ids.new('', 5)}"
            cluster["nodes"].append(
                {"InstanceId": inst["InstanceId"], "NodeType": "Native", "NodePoolId": pid, "MachineName": machine}
            )
            self.not_orphans[inst["InstanceId"]] = f"native node {machine} of {cid}"
            return
        name = f"as-tke-{pid}" if roll < 0.9 else f"custom-{pid[3:7]}-{next(self.ip)}"
        inst = self.instance(region, name, Tags=[{"Key": ASG_TAG, "Value": pool["AutoscalingGroupId"]}])
        cluster["nodes"].append({"InstanceId": inst["InstanceId"], "NodePoolId": pid})

    def orphan(self, region: _Region, kind: str) -> None:
        """One orphan of `kind`; falls back to a deleted cluster's worker where the region has no cluster."""
        clusters = region.clusters
        if not clusters and kind != "pool_deleted":
            kind = "cluster_deleted"
        age = f"-{self.rng.randint(2, 4000)}h"
        cluster = self.rng.choice(clusters) if clusters else None
        regular = [p for p in cluster["node_pools"] if p.get("Type") != "Native"] if cluster else []
        if kind in ("pool_retained", "pool_custom_name") and not regular:
            kind = "manual_removed"
        key: dict[str, Any] = {"region": region.name, "reason": "removed_from_cluster"}
        if kind in ("pool_retained", "pool_custom_name"):
            assert cluster is not None
            pool = self.rng.choice(regular)
            name = f"as-tke-{pool['NodePoolId']}" if kind == "pool_retained" else f"batch-{next(self.ip)}"
            inst = self.instance(region, name, age=age, Tags=[{"Key": ASG_TAG, "Value": pool["AutoscalingGroupId"]}])
            key |= {"cluster_id": cluster["ClusterId"], "node_pool_id": pool["NodePoolId"]}
        elif kind == "manual_removed":
            assert cluster is not None
            inst = self.instance(region, f"tke_{cluster['ClusterId']}_worker", age=age)
            key |= {"cluster_id": cluster["ClusterId"]}
        elif kind == "owner_tag":
            assert cluster is not None
            inst = self.instance(
                region, f"svc-{next(self.ip)}", age=age, Tags=[{"Key": OWNER_TAG, "Value": cluster["ClusterId"]}]
            )
            key |= {"cluster_id": cluster["ClusterId"]}
        elif kind == "cluster_deleted":
            gone = self.ids.new("cls-")
            inst = self.instance(
                region, f"tke_{gone}_worker", age=age, InstanceChargeType="PREPAID", ExpiredTime="+30d"
            )
            key |= {"reason": "cluster_deleted", "cluster_id": gone}
        else:  # pool_deleted: the node pool (and its auto scaling group) are gone
            suffix = self.ids.new("", 8)
            inst = self.instance(
                region, f"as-tke-np-{suffix}", age=age, Tags=[{"Key": ASG_TAG, "Value": f"asg-{suffix}"}]
            )
            key |= {"reason": "node_pool_deleted", "node_pool_id": f"np-{suffix}"}
        self.orphans.append({"instance_id": inst["InstanceId"], **key})

    def lookalike(self, region: _Region, why: str, **extra: Any) -> None:
        """A TKE-named instance that is not an orphan for `why` (launching, shut down, ignored)."""
        cid = self.rng.choice(region.clusters)["ClusterId"] if region.clusters else self.ids.new("cls-")
        inst = self.instance(region, f"tke_{cid}_worker", **extra)
        self.not_orphans[inst["InstanceId"]] = why

    def decoy(self, region: _Region) -> None:
        n = next(self.ip)
        tags = [{"Key": k, "Value": v} for k, v in [self.rng.choice(DECOY_TAGS)]] if self.rng.random() < 0.6 else []
        inst = self.instance(region, self.rng.choice(DECOY_NAMES).format(n), Tags=tags)
        if self.rng.random() < 0.05:
            inst["InstanceState"] = "STOPPED"


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _counts(budget: int) -> dict[str, int]:
    def share(f: float) -> int:
        return round(budget * f)

    return {
        "orphans": max(1, share(0.04)),
        "launching": share(0.004),
        "shutdown": share(0.004),
        "ignored": share(0.002),
        "moved": share(0.002),
        "decoys": share(0.15),
    }


def generate_world(
    *, regions: int = 1, instances: int = 1000, clusters: int = 10, seed: int = 0, secret_id: str | None = None
) -> dict[str, Any]:
    """A world dict (credentials, regions, answer_key) that world_from_data accepts."""
    if not 1 <= regions <= len(REGIONS):
        raise ValueError(f"regions must be between 1 and {len(REGIONS)}")
    b = _Builder(seed)
    out_regions: dict[str, Any] = {}
    for name, budget, n_clusters in zip(
        REGIONS[:regions], _split(instances, regions), _split(clusters, regions), strict=True
    ):
        region = _Region(name, [f"{name}-{z}" for z in (1, 2, 3)])
        counts = _counts(budget)
        for i in range(n_clusters):
            b.cluster(region, independent=i % 10 == 9)
        kinds = itertools.cycle(ORPHAN_KINDS)
        for _ in range(counts["orphans"]):
            b.orphan(region, next(kinds))
        for _ in range(counts["launching"]):
            b.lookalike(
                region,
                "still launching (inside the grace period)",
                age=f"-{b.rng.randint(1, 30)}m",
                InstanceState=b.rng.choice(["PENDING", "RUNNING"]),
            )
        for _ in range(counts["shutdown"]):
            state = b.rng.choice(["SHUTDOWN", "TERMINATING", "LAUNCH_FAILED"])
            b.lookalike(region, f"state {state}", InstanceState=state)
        for _ in range(counts["ignored"]):
            b.lookalike(region, "ignored by tag", Tags=[{"Key": IGNORE_TAG, "Value": "true"}])
        if len(region.clusters) >= 2:
            for _ in range(counts["moved"]):
                a, dest = b.rng.sample(region.clusters, 2)
                inst = b.instance(region, f"tke_{a['ClusterId']}_worker")
                dest["nodes"].append({"InstanceId": inst["InstanceId"]})
                b.not_orphans[inst["InstanceId"]] = f"created for {a['ClusterId']}, now a node of {dest['ClusterId']}"
        for _ in range(counts["decoys"]):
            b.decoy(region)
        if region.clusters:
            while len(region.instances) < budget:
                b.node(region, b.rng.choice(region.clusters))
        while len(region.instances) < budget:
            b.decoy(region)
        b.rng.shuffle(region.instances)
        out_regions[name] = {"instances": region.instances, "clusters": region.clusters}
    sid = secret_id or "AKIDgen" + b.ids.new("", 29).upper()
    # Their own random stream: a seed's instances and clusters stay what they were before resources existed.
    rids = _Ids(random.Random(f"resources-{seed}"), b.ids.used)
    rb = ResourceBuilder(rids.rng, rids.new)
    gone_of: dict[str, list[str]] = {}
    for name, budget in zip(REGIONS[:regions], _split(instances, regions), strict=True):
        gone = sorted({o["cluster_id"] for o in b.orphans if o["region"] == name and o["reason"] == "cluster_deleted"})
        gone_of[name] = rb.region(name, out_regions[name], gone, budget)
    # File systems and security groups: their own stream again, so that the resources above stay what they were.
    kids = _Ids(random.Random(f"kinds-{seed}"), b.ids.used)
    kb = KindBuilder(kids.rng, kids.new, rb.leftovers, rb.not_leftovers)
    for name in REGIONS[:regions]:
        kb.region(name, out_regions[name], gone_of[name])
    return {
        "credentials": [{"name": "generated", "secret_id": sid, "secret_key": "gen-" + b.ids.new("", 28)}],
        "regions": out_regions,
        "prices": prices(),
        "answer_key": {
            "orphans": b.orphans,
            "not_orphans": b.not_orphans,
            "leftovers": rb.leftovers,
            "reused": rb.reused,
            "not_leftovers": rb.not_leftovers,
        },
    }


def prices() -> dict[str, Any]:
    types = []
    for itype, (hourly, monthly, spot) in TYPE_PRICES.items():
        for charge, price in (("POSTPAID_BY_HOUR", hourly), ("PREPAID", monthly), ("SPOTPAID", spot)):
            types.append({"InstanceType": itype, "InstanceChargeType": charge, "Price": price})
    zone, itype = SOLD_OUT
    types.append({"Zone": zone, "InstanceType": itype, "InstanceChargeType": "POSTPAID_BY_HOUR",
                  "Price": TYPE_PRICES[itype][0], "Status": "SOLD_OUT"})  # fmt: skip
    return {
        "types": types,
        "disk_hourly": {"CLOUD_BSSD": 0.0004, "CLOUD_PREMIUM": 0.00048, "CLOUD_SSD": 0.0014},
        "disk_monthly": {"CLOUD_BSSD": 0.3, "CLOUD_PREMIUM": 0.35, "CLOUD_SSD": 1.0},
        # The leftovers' (api/price_resources.py): CLB instances, EIP bandwidth, a native IP's fee.
        "clb_hourly": {"OPEN": 0.02, "INTERNAL": 0.02},
        "clb_monthly": {"OPEN": 14.6, "INTERNAL": 14.6},
        "eip_bandwidth_hourly": 0.08,
        "eip_bandwidth_monthly": 23,
        "eip_ip_hourly": 0.2,
    }


def write_world(world: dict[str, Any], path: str | Path) -> None:
    """JSON for `.json` (fast at 100,000 instances), YAML otherwise."""
    p = Path(path)
    with p.open("w", encoding="utf-8") as fh:
        if p.suffix == ".json":
            json.dump(world, fh, ensure_ascii=False, separators=(",", ":"))
        else:
            yaml.dump(
                world, fh, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True, sort_keys=False
            )
