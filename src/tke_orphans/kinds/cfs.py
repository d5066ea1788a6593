"""CFS file systems the CFS CSI driver made for a cluster's dynamic volumes: named exactly `<clusterId>_<pvName>`,
the PV's name being `pvc-<uid>` (driver/cfs/controller.go of the open-source driver); they carry no cluster tag. A
leftover when that cluster is gone; a name that merely contains a cluster id is never one.

Listed with `cfs.DescribeCfsFileSystems` (2019-07-19), which filters by nothing that marks them: the region's whole
listing, then the name. CFS has no price inquiry: the price is the storage used (`SizeByte`) at the CFS price page's
CNY list price per GiB-month for its storage type, and unknown for a type not listed here. Given back with
`DeleteCfsFileSystem` (one a call), after each of its mount targets (`DeleteMountTarget`), which the cloud requires.
DeleteMountTarget left the Python SDK's CfsClient (3.0.14xx), though DeleteCfsFileSystem's docstring still sends
callers to it; every call goes through the common client, so it is sent as documented, and if the cloud ever refuses
it, the file system stays (failed, with the cloud's words). The cloud deletes a mount target in the background: a file
system it still refuses (FailedOperation.MountTargetExists) is failed this run and given back by a later one. A
file system clients mount now is never deleted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from ..cloud.actions import NO_JOURNAL, Journal, Outcome, mutate
from ..cloud.errors import CloudError
from ..cloud.inventory import parse_time
from ..cloud.pricing import Quote, priced, quoted
from ..cloud.resources import Listing
from ..cloud.session import Session
from ..facts import Fact, fact
from ..model import Billing, CloudResource
from .spec import Fresh, Item, KindSpec, Noun, count, tag_of, text

VERSION = "2019-07-19"
# `<clusterId>_pvc-<uid>`: the whole name, nothing before or after (fullmatch).
CSI_NAME = re.compile(r"(cls-[0-9a-z]+)_(pvc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
GIB = 1 << 30
# CNY a GiB-month of storage used, by StorageType (the CFS price page, pay-as-you-go, mainland China regions).
LIST_PRICE = {"SD": 0.35, "HP": 1.6}


def record(d: Item) -> CloudResource:
    billing = Billing(disk_type=text(d, "StorageType"), size_gb=math.ceil(count(d, "SizeByte") / GIB),
                      zone=text(d, "Zone"))  # fmt: skip
    return CloudResource("cfs", d["FileSystemId"], d.get("FsName") or "", d.get("LifeCycleState") or "",
                         parse_time(d.get("CreationTime")), False, tag_of(d.get("Tags"), "TagKey", "TagValue"),
                         billing)  # fmt: skip


def _csi_cluster(name: str) -> str | None:
    """The cluster a CSI volume's name names, or None for any other name."""
    m = CSI_NAME.fullmatch(name)
    return m.group(1) if m else None


def _cluster_of(r: CloudResource) -> tuple[str, Fact] | None:
    cid = _csi_cluster(r.name)
    return (cid, fact("cfs.cluster_gone", cid)) if cid else None


def _made_by_tke(r: CloudResource, cluster_id: str) -> tuple[Fact, ...] | None:
    return (fact("cfs.csi_name", r.name),) if _csi_cluster(r.name) == cluster_id else None


def _price(session: Session, region: str, b: Billing) -> Quote:
    per_gib = LIST_PRICE.get(b.disk_type)
    if per_gib is None:
        return quoted(None, None, None, [fact("cfs.no_list_price", b.disk_type or "?")])
    quote = priced("cfs", None, per_gib * b.size_gb, "list", [fact("cfs.list_price", b.disk_type, b.size_gb, per_gib)])
    return replace(quote, currency="CNY")


def _recheck(session: Session, region: str, fresh: dict[str, Fresh]) -> dict[str, Fresh]:
    """Each file system's mount targets, which must go before it does; one that clients mount now (a static volume
    of a live cluster, a VM) is in use: it stays, whatever its name says."""
    api = "cfs.DescribeMountTargets"
    out: dict[str, Fresh] = {}
    for fs_id, f in fresh.items():
        resp = session.call("cfs", "DescribeMountTargets", region, {"FileSystemId": fs_id}, version=VERSION)
        targets, number = resp.get("MountTargets"), resp.get("NumberOfMountTargets")
        if not isinstance(targets, list) or not all(isinstance(m, dict) for m in targets) or number != len(targets):
            raise CloudError(api, "InvalidResponse", "the answer's MountTargets do not add up to NumberOfMountTargets")
        ids, clients = [], 0
        for m in targets:
            servers, mid = m.get("ServerList"), m.get("MountTargetId")
            if not isinstance(mid, str) or not mid or not isinstance(servers, list):
                raise CloudError(api, "InvalidResponse", "a mount target has no MountTargetId or ServerList")
            ids.append(mid)
            clients += len(servers) + (1 if m.get("ServerListTruncated") is not False else 0)
        refusal = f"mounted by {clients} client(s) now (DescribeMountTargets ServerList): in use" if clients else ""
        out[fs_id] = Fresh(f.resource, refusal or f.refusal, (("mounts", ",".join(ids)),))
    return out


def _give_back(session: Session, region: str, items: Sequence[Fresh], journal: Journal = NO_JOURNAL
               ) -> list[Outcome]:  # fmt: skip
    out: list[Outcome] = []
    for f in items:
        fs_id = f.resource.resource_id
        failed: list[Outcome] = []
        for mount in filter(None, f.get("mounts").split(",")):
            params = {"FileSystemId": fs_id, "MountTargetId": mount}
            said = _said(fs_id, "mount target deleted")
            done = mutate(session, journal, "cfs.DeleteMountTarget", region, params, [fs_id], said, version=VERSION)
            failed += [o for o in done if not o.ok]
        if failed:  # the file system cannot go while a mount target stays
            out += failed
            continue
        out += mutate(session, journal, "cfs.DeleteCfsFileSystem", region, {"FileSystemId": fs_id}, [fs_id],
                      _said(fs_id, "deleted"), version=VERSION)  # fmt: skip
    return out


def _said(fs_id: str, done: str) -> Callable[[Item], list[Outcome]]:
    return lambda resp: [Outcome(fs_id, True, done, str(resp.get("RequestId", "")))]


def _settle(call: str, f: Fresh) -> tuple[str, str] | None:
    """An interrupted run's DeleteMountTarget: done once the file system has none left (it is still there: the next
    run deletes it)."""
    if call != "cfs.DeleteMountTarget":
        return None
    return (
        ("failed", "not done: its mount targets are still there")
        if f.get("mounts")
        else ("done", "mount target deleted")
    )


def _would(f: Fresh) -> str:
    mounts = [m for m in f.get("mounts").split(",") if m]
    first = f"its {len(mounts)} mount target(s) (DeleteMountTarget), then " if mounts else ""
    return f"would delete {first}the file system and its data (DeleteCfsFileSystem)"


SPEC = KindSpec(
    name="cfs",
    noun=Noun(zh="文件存储 CFS", en="CFS file system", many="file systems", heading="FILE SYSTEM"),
    id_prefix="cfs-",
    # FileSystemId: one id a call; an unknown one answers an empty list (gone). Limit: the docstring gives its
    # default (10), not its maximum; 100 is every sibling listing's, and a lower cap fails the listing (no leftover).
    listing=Listing("cfs", "DescribeCfsFileSystems", "FileSystems", "FileSystemId", 1, version=VERSION, scalar_id=True),
    record=record,
    cluster_of=_cluster_of,
    made_by_tke=_made_by_tke,
    in_use=lambda r: None,  # mounted or not, a deleted cluster's volume is left over: cleanup unmounts it first
    price_key=lambda b: [b.disk_type, b.size_gb],
    price=_price,
    fresh=lambda d: Fresh(record(d)),
    recheck=_recheck,
    give_back=_give_back,
    settle=_settle,
    would=_would,
    mark_name=("cfs", "filesystem"),
    cluster_said="its name",
    made_said="named <clusterId>_pvc-<uid> as the CFS CSI driver names its volumes",
    cam_read=("cfs:DescribeCfsFileSystems", "cfs:DescribeMountTargets"),
    cam_write=("cfs:DeleteMountTarget", "cfs:DeleteCfsFileSystem"),
    advice=("a file system once its data is no longer needed", "文件存储先确认数据不再需要"),
    default=False,
    words={
        "cfs.csi_name": ("name {0}: a CFS CSI driver's volume", "名称 {0}：CFS CSI 插件创建的存储卷"),
        "cfs.cluster_gone": ("its cluster {0}: one the region no longer has", "所属集群 {0}：该地域已无此集群"),
        "cfs.list_price": (
            "{0} storage used {1} GiB at the list price of {2} CNY a GiB-month (no price inquiry for CFS)",
            "{0} 型已用 {1} GiB，按目录价每 GiB 每月 {2} 元计（CFS 无询价接口）",
        ),
        "cfs.no_list_price": ("no list price known for storage type {0}", "存储类型 {0} 无已知目录价"),
    },
)
