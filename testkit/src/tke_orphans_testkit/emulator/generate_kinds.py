"""The generator's CFS file systems and security groups, with their part of the answer key.

What marks one as TKE's is its name alone: the CFS CSI driver names a dynamic PV's file system `<clusterId>_pvc-<uid>`
and TKE names a cluster's groups `tke-worker-security-for-<clusterId>` / `tke-master-security-for-<clusterId>`.
Per region, a few of each (the benchmark's worlds barely grow): a deleted cluster's (leftovers, but for a group
still associated or referenced), a live cluster's, names that merely contain a deleted cluster's id, a user's
look-alike group and default groups. They come from their own random stream, after the disks, load balancers and
addresses, so that a seed's earlier resources stay what they were.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

GIB = 2**30


def worker_group(cluster_id: str) -> str:
    return f"tke-worker-security-for-{cluster_id}"


def master_group(cluster_id: str) -> str:
    return f"tke-master-security-for-{cluster_id}"


@dataclass
class KindBuilder:
    """Adds file systems and security groups to generated regions, drawing from `rng`, ids from `new`, and writing
    into the answer key's `leftovers` and `not_leftovers` (shared with the other resources')."""

    rng: random.Random
    new: Callable[[str], str]
    leftovers: list[dict[str, Any]]
    not_leftovers: dict[str, str]
    _fs: list[dict[str, Any]] = field(default_factory=list)
    _sg: list[dict[str, Any]] = field(default_factory=list)

    def region(self, name: str, region: dict[str, Any], gone: list[str]) -> None:
        """Fill one region; `gone` are deleted clusters (two are needed: more are made up when fewer are given)."""
        gone = list(gone)
        while len(gone) < 2:
            gone.append(self.new("cls-"))
        live = [(c["ClusterId"], c.get("VpcId", "vpc-default")) for c in region["clusters"]][:2]
        zones = sorted({i["Placement"]["Zone"] for i in region["instances"]}) or [f"{name}-1"]
        self._fs, self._sg = [], []
        self._file_systems(name, zones, gone, live)
        self._security_groups(name, gone, live)
        region["file_systems"], region["security_groups"] = self._fs, self._sg

    def _key(self, region: str, kind: str, rid: str, cluster_id: str) -> None:
        self.leftovers.append({"region": region, "kind": kind, "resource_id": rid, "cluster_id": cluster_id})

    def _pv(self) -> str:
        return f"pvc-{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"

    def _file_system(self, zones: list[str], fs_name: str, *, mounted: str | None) -> str:
        fid = self.new("cfs-")
        fs: dict[str, Any] = {
            "FileSystemId": fid,
            "FsName": fs_name,
            "CreationTime": f"-{self.rng.randint(2, 500)}d",
            "Zone": self.rng.choice(zones),
            "SizeByte": self.rng.choice([0, 1, 5, 20, 100, 500]) * GIB + self.rng.randint(0, GIB - 1),
            "StorageType": self.rng.choice(["SD", "SD", "HP"]),
        }
        if mounted:  # the CSI driver's file system has one mount target in the cluster's VPC
            ip = f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.{self.rng.randint(2, 254)}"
            fs["mount_targets"] = [{"MountTargetId": self.new("mount-"), "IpAddress": ip, "VpcId": mounted}]
        self._fs.append(fs)
        return fid

    def _file_systems(self, name: str, zones: list[str], gone: list[str], live: list[tuple[str, str]]) -> None:
        g0, g1 = gone[:2]
        # A deleted cluster's: leftovers, with their mount target (cleanup deletes it first) or without.
        for cid, mounted in ((g0, "vpc-default"), (g0, None), (g1, "vpc-default")):
            self._key(name, "cfs", self._file_system(zones, f"{cid}_{self._pv()}", mounted=mounted), cid)
        for cid, vpc in live:
            fid = self._file_system(zones, f"{cid}_{self._pv()}", mounted=vpc)
            self.not_leftovers[fid] = f"of the live cluster {cid}"
        # The deleted cluster's id in a name that is not the CSI driver's `<clusterId>_pvc-<uid>`.
        for fs_name in (f"backup-of-{g0}_{self._pv()}", f"{g0}_data", f"{g1}_{self._pv()}-copy"):
            fid = self._file_system(zones, fs_name, mounted="vpc-default")
            self.not_leftovers[fid] = f"named {fs_name}: contains {g0 if g0 in fs_name else g1}, not the CSI pattern"
        fid = self._file_system(zones, f"shared-{self.rng.randint(1, 99)}", mounted="vpc-default")
        self.not_leftovers[fid] = "the user's own (no cluster in its name)"

    def _group(self, group_name: str, **extra: Any) -> str:
        sid = self.new("sg-")
        self._sg.append({"SecurityGroupId": sid, "SecurityGroupName": group_name,
                         "CreatedTime": f"-{self.rng.randint(2, 700)}d", **extra})  # fmt: skip
        return sid

    def _security_groups(self, name: str, gone: list[str], live: list[tuple[str, str]]) -> None:
        g0, g1 = gone[:2]
        for group_name in (worker_group(g0), master_group(g0)):  # nothing associated, nothing referencing
            self._key(name, "security_group", self._group(group_name), g0)
        # Bound only to a type without a field of its own (TotalCount counts it; CVM, ENI, CDB, CLB do not).
        sid = self._group(worker_group(g1), associations={"REDIS": 1})
        self.not_leftovers[sid] = f"still associated (REDIS 1), though its cluster {g1} is deleted"
        bastion = self._group(f"bastion-{self.rng.randint(1, 99)}", associations={"CVM": 1})
        self.not_leftovers[bastion] = "the user's own (no cluster in its name)"
        sid = self._group(master_group(g1), referenced_by=[bastion])
        self.not_leftovers[sid] = f"referenced by the rules of {bastion}, though its cluster {g1} is deleted"
        for cid, _ in live:
            sid = self._group(worker_group(cid), associations={"CVM": self.rng.randint(1, 5), "ENI": 1})
            self.not_leftovers[sid] = f"of the live cluster {cid}"
            sid = self._group(master_group(cid))  # a managed cluster's: nothing of the user's bound to it
            self.not_leftovers[sid] = f"of the live cluster {cid}, though nothing is associated"
        sid = self._group(f"my-{worker_group(g0)}")
        self.not_leftovers[sid] = f"the user's own, named after {g0} (not TKE's exact name)"
        sid = self._group("default", IsDefault=True)
        self.not_leftovers[sid] = "a default security group"
        made_up = self.new("cls-")  # a default group is never one, whatever its name
        sid = self._group(worker_group(made_up), IsDefault=True)
        self.not_leftovers[sid] = f"a default security group, though named after {made_up}"
