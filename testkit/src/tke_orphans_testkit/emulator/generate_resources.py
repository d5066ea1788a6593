"""The generator's disks, load balancers and addresses, with their part of the answer key.

Per region: TKE-made resources of live clusters (attached, bound, serving) and of deleted ones (the leftovers, and
those still attached or bound), CLBs a user made that a deleted cluster reused (tke-clusterId, no createdBy flag),
and the user's own resources. They come from their own random stream, after the instances, so that a seed's
instances and clusters stay what they were before resources existed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DISK_FLAG = "tke-cbs-provisioner-createBy-flag"
LB_FLAG = "tke-createdBy-flag"
CLUSTER = "tke-clusterId"
EIP_FLAG = "tke-created-eip"


def _tags(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in pairs]


@dataclass
class ResourceBuilder:
    """Adds resources to generated regions, drawing from `rng` and taking ids from `new` (the world's own id
    source, so that no id is given twice)."""

    rng: random.Random
    new: Callable[[str], str]
    leftovers: list[dict[str, Any]] = field(default_factory=list)
    reused: list[dict[str, Any]] = field(default_factory=list)
    not_leftovers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ip = 0
        self.protected = False

    def _ip(self) -> str:
        self.ip += 1
        return f"175.{self.ip >> 16 & 255}.{self.ip >> 8 & 255}.{self.ip & 255}"

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def region(self, name: str, region: dict[str, Any], gone: list[str], budget: int) -> list[str]:
        """Fill one region; `gone` are deleted clusters its orphans name (one more is made when there are none).
        Returns the deleted clusters it used."""
        live = [c["ClusterId"] for c in region["clusters"]]
        gone = gone or [self.new("cls-")]
        nodes = {c["ClusterId"]: [n["InstanceId"] for n in c["nodes"] if n["InstanceId"].startswith("ins-")]
                 for c in region["clusters"]}  # fmt: skip
        taken: set[str] = set()  # instances with a data disk of ours already (one each keeps it simple)
        free = [i["InstanceId"] for i in region["instances"]]
        zones = sorted({i["Placement"]["Zone"] for i in region["instances"]}) or [f"{name}-1"]
        ctx = _Region(name, live, gone, nodes, free, taken, zones)
        disks, lbs, eips = [], [], []
        for _ in range(max(4, round(budget * 0.05))):
            disks.append(self.disk(ctx))
        for _ in range(max(4, round(budget * 0.01))):
            lbs.append(self.load_balancer(ctx))
        for _ in range(max(4, round(budget * 0.02))):
            eips.append(self.address(ctx))
        region["disks"], region["load_balancers"], region["addresses"] = disks, lbs, eips
        return gone

    def _attach_to(self, ctx: _Region, candidates: list[str]) -> str | None:
        for iid in self.rng.sample(candidates, min(5, len(candidates))):
            if iid not in ctx.taken:
                ctx.taken.add(iid)
                return iid
        return None

    def _key(self, ctx: _Region, kind: str, rid: str, cluster: str) -> None:
        self.leftovers.append({"region": ctx.name, "kind": kind, "resource_id": rid, "cluster_id": cluster})

    def disk(self, ctx: _Region) -> dict[str, Any]:
        did = self.new("disk-")
        d: dict[str, Any] = {
            "DiskId": did,
            "DiskName": f"pvc-{self._uuid()[:8]}",
            "DiskType": self.rng.choice(["CLOUD_PREMIUM", "CLOUD_SSD", "CLOUD_BSSD"]),
            # 20 GB up: the smallest an SSD is sold in (a price inquiry refuses less).
            "DiskSize": self.rng.choice([20, 40, 50, 100, 200, 500]),
            "CreateTime": f"-{self.rng.randint(2, 600)}d",
            "Placement": {"Zone": self.rng.choice(ctx.zones)},
        }
        if self.rng.random() < 0.2:
            d |= {"DiskChargeType": "PREPAID", "DeadlineTime": f"+{self.rng.randint(1, 300)}d"}
        roll = self.rng.random()
        if roll < 0.4 and ctx.live:
            cid = self.rng.choice(ctx.live)
            d["Tags"] = _tags((DISK_FLAG, "yes"), (CLUSTER, cid))
            on = self._attach_to(ctx, ctx.nodes[cid]) if self.rng.random() < 0.7 else None
            if on:
                d |= {"DiskState": "ATTACHED", "InstanceId": on}
            self.not_leftovers[did] = f"of the live cluster {cid}"
        elif roll < 0.7:
            cid = self.rng.choice(ctx.gone)
            d["Tags"] = _tags((DISK_FLAG, "yes"), (CLUSTER, cid))
            on = self._attach_to(ctx, ctx.free) if roll >= 0.62 else None
            if on:
                d |= {"DiskState": "ATTACHED", "InstanceId": on}
                self.not_leftovers[did] = f"attached to {on}, though its cluster {cid} is deleted"
            else:
                self._key(ctx, "cbs_disk", did, cid)
        elif roll < 0.75:
            cid = self.rng.choice(ctx.gone)
            d["Tags"] = _tags((CLUSTER, cid))
            self.not_leftovers[did] = f"tagged {CLUSTER}={cid} by its user, not made by TKE (no createdBy flag)"
        else:
            d["DiskName"] = f"data-{did[5:9]}"
            on = self._attach_to(ctx, ctx.free) if self.rng.random() < 0.5 else None
            if on:
                d |= {"DiskState": "ATTACHED", "InstanceId": on}
            self.not_leftovers[did] = "the user's own (no TKE tags)"
        return d

    def load_balancer(self, ctx: _Region) -> dict[str, Any]:
        lid = self.new("lb-")
        lb: dict[str, Any] = {
            "LoadBalancerId": lid,
            "CreateTime": f"-{self.rng.randint(2, 900)}d",
            "LoadBalancerVips": [self._ip()],
            "MasterZone": self.rng.choice(ctx.zones),
        }
        roll = self.rng.random()
        service = self.rng.random() < 0.7
        made = (LB_FLAG, "yes")
        origin = ("tke-lb-serviceuuid" if service else "tke-lb-ingress-uuid", self._uuid())
        if roll < 0.35 and ctx.live:
            cid = self.rng.choice(ctx.live)
            lb |= {"LoadBalancerName": f"{cid}_default_svc", "TargetCount": self.rng.randint(1, 6),
                   "Tags": _tags(made, (CLUSTER, cid), origin)}  # fmt: skip
            self.not_leftovers[lid] = f"of the live cluster {cid}"
        elif roll < 0.65:
            cid = self.rng.choice(ctx.gone)
            lb |= {"LoadBalancerName": f"{cid}_default_svc", "Tags": _tags(made, (CLUSTER, cid), origin)}
            if not self.protected:  # one per world: still a leftover, but cleanup must not delete it
                lb["AttributeFlags"] = ["DeleteProtect"]
                self.protected = True
            self._key(ctx, "clb", lid, cid)
        elif roll < 0.8:
            cid = self.rng.choice(ctx.gone)
            lb |= {"LoadBalancerName": f"shop-{lid[3:7]}", "Tags": _tags((CLUSTER, cid))}
            self.reused.append({"region": ctx.name, "kind": "clb", "resource_id": lid, "cluster_id": cid})
            self.not_leftovers[lid] = f"the user's own CLB, reused by the deleted cluster {cid}"
        else:
            lb |= {"LoadBalancerName": f"web-{lid[3:7]}", "TargetCount": self.rng.randint(0, 4)}
            self.not_leftovers[lid] = "the user's own (no TKE tags)"
        return lb

    def address(self, ctx: _Region) -> dict[str, Any]:
        aid = self.new("eip-")
        a: dict[str, Any] = {"AddressId": aid, "AddressIp": self._ip(), "CreatedTime": f"-{self.rng.randint(1, 500)}d"}
        if int(aid[-1], 36) % 2:  # half billed by bandwidth (priced), half by traffic; the id decides, not the rng
            a |= {"InternetChargeType": "BANDWIDTH_POSTPAID_BY_HOUR", "Bandwidth": 1 + int(aid[-2], 36) % 10}
        eni = {"AddressStatus": "BIND_ENI", "InstanceType": "ENI", "NetworkInterfaceId": self.new("eni-"),
               "PrivateAddressIp": f"10.250.{self.ip >> 8 & 255}.{self.ip & 255}"}  # fmt: skip
        roll = self.rng.random()
        if roll < 0.35 and ctx.live:
            cid = self.rng.choice(ctx.live)
            a |= eni | {"AddressStatus": "BIND", "TagSet": _tags((CLUSTER, cid), (EIP_FLAG, "true"))}
            self.not_leftovers[aid] = f"of the live cluster {cid}"
        elif roll < 0.7:
            cid = self.rng.choice(ctx.gone)
            a["TagSet"] = _tags((CLUSTER, cid), (EIP_FLAG, "true"))
            if roll >= 0.62:
                a |= eni
                self.not_leftovers[aid] = f"still bound, though its cluster {cid} is deleted"
            else:
                self._key(ctx, "eip", aid, cid)
        else:
            on = self._attach_to(ctx, ctx.free) if self.rng.random() < 0.5 else None
            if on:
                a |= {"AddressStatus": "BIND", "InstanceId": on, "InstanceType": "CVM"}
            self.not_leftovers[aid] = "the user's own (no TKE tags)"
        return a


@dataclass
class _Region:
    name: str
    live: list[str]
    gone: list[str]
    nodes: dict[str, list[str]]
    free: list[str]
    taken: set[str]
    zones: list[str]
