"""Security groups TKE made for a cluster: `tke-worker-security-for-<clusterId>` and
`tke-master-security-for-<clusterId>` (TKE's docs). A leftover when that cluster is gone and nothing is associated
with it (`DescribeSecurityGroupAssociationStatistics`: TotalCount 0 and SG 0); never a default group.

Free, but a region holds 50 by default (`DescribeSecurityGroupLimits`): the evidence says how full the quota is,
and the price is 0. The region's groups are listed whole (Offset and Limit are strings here, at most 100) and the
names checked exactly: the name filter's matching is not documented. Cleanup deletes one only after a fresh look
shows it still unassociated and named by no other group's rules (`DescribeSecurityGroupReferences`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TypeGuard, TypeVar

from ..cloud.errors import CloudError
from ..cloud.inventory import chunks, parse_time
from ..cloud.pricing import Quote, quoted
from ..cloud.resources import Listing
from ..cloud.session import Session
from ..facts import Fact, fact
from ..model import Billing, CloudResource
from .spec import Fresh, Item, KindSpec, Noun, batched, tag_of

TKE_NAME = re.compile(r"tke-(worker|master)-security-for-(cls-[0-9a-z]+)")  # the whole name (fullmatch)
PER_CALL = 100  # SecurityGroupIds a call
T = TypeVar("T")


def record(d: Item) -> CloudResource:
    state = "default" if d.get("IsDefault") is True else ""
    return CloudResource("security_group", d["SecurityGroupId"], d.get("SecurityGroupName") or "", state,
                         parse_time(d.get("CreatedTime")), False, tag_of(d.get("TagSet")))  # fmt: skip


def _tke_cluster(name: str) -> str | None:
    """The cluster TKE's group name names, or None for any other name."""
    m = TKE_NAME.fullmatch(name)
    return m.group(2) if m else None


def _cluster_of(r: CloudResource) -> tuple[str, Fact] | None:
    cid = _tke_cluster(r.name)
    return (cid, fact("sg.cluster_gone", cid)) if cid else None


def _made_by_tke(r: CloudResource, cluster_id: str) -> tuple[Fact, ...] | None:
    if _tke_cluster(r.name) != cluster_id or r.state == "default":
        return None
    return (fact("sg.tke_name", r.name),)


def _per_group(session: Session, region: str, action: str, ids: list[str], answer: str,
               read: Callable[[Item], T | None]) -> dict[str, T]:  # fmt: skip
    """One vpc answer per group, by SecurityGroupIds (100 a call): each group's item read by `read` (None: it does not
    say what it must). A group left out, or an item that does not say, fails the look: never "unassociated"."""
    api = f"vpc.{action}"
    out: dict[str, T] = {}
    for chunk in chunks(ids, PER_CALL):
        items = session.call("vpc", action, region, {"SecurityGroupIds": chunk}).get(answer)
        if not isinstance(items, list):
            raise CloudError(api, "InvalidResponse", f"the answer has no {answer} list")
        for item in items:
            if isinstance(item, dict) and item.get("SecurityGroupId") in chunk:
                said = read(item)
                if said is None:
                    raise CloudError(api, "InvalidResponse", f"an item of {answer} does not say what it must")
                out[str(item["SecurityGroupId"])] = said
    if set(out) != set(ids):
        raise CloudError(api, "IncompleteListing", f"{len(out)} of {len(ids)} groups answered")
    return out


def _statistics(session: Session, region: str, ids: list[str]) -> dict[str, tuple[int, int]]:
    """What each group is bound to: (instances of every type, other groups whose rules name it); a missing or odd
    count is not 0."""

    def read(item: Item) -> tuple[int, int] | None:
        total, groups = item.get("TotalCount"), item.get("SG")
        return (total, groups) if _count(total) and _count(groups) else None

    return _per_group(session, region, "DescribeSecurityGroupAssociationStatistics", ids,
                      "SecurityGroupAssociationStatisticsSet", read)  # fmt: skip


def _references(session: Session, region: str, ids: list[str]) -> dict[str, list[str]]:
    """The groups whose rules name each group; a missing list is not "named by none"."""

    def read(item: Item) -> list[str] | None:
        named = item.get("ReferredSecurityGroupIds")
        return [str(i) for i in named] if isinstance(named, list) else None

    return _per_group(session, region, "DescribeSecurityGroupReferences", ids, "ReferredSecurityGroupSet", read)


def _count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _quota(session: Session, region: str) -> int:
    limits = session.call("vpc", "DescribeSecurityGroupLimits", region, {}).get("SecurityGroupLimitSet")
    limit = limits.get("SecurityGroupLimit") if isinstance(limits, dict) else None
    if not _count(limit):
        raise CloudError("vpc.DescribeSecurityGroupLimits", "InvalidResponse", "the answer has no SecurityGroupLimit")
    return limit


def _augment(session: Session, region: str, named: list[CloudResource], listed: int) -> list[CloudResource]:
    """Whether each is associated, and how full the region's quota is (`listed`: every group of the region, the
    whole unfiltered listing's count)."""
    bound = _statistics(session, region, [r.resource_id for r in named])
    quota = fact("sg.quota", listed, _quota(session, region))
    return [replace(r, attached=sum(bound[r.resource_id]) > 0, notes=(quota,)) for r in named]


def _recheck(session: Session, region: str, fresh: dict[str, Fresh]) -> dict[str, Fresh]:
    """Associated or referenced right now: then it must stay (the cloud would refuse it anyway)."""
    ids = sorted(fresh)
    bound, referred = _statistics(session, region, ids), _references(session, region, ids)
    out: dict[str, Fresh] = {}
    for sid, f in fresh.items():
        r = replace(f.resource, attached=bound[sid][0] > 0)  # its references are said below, by name
        refusal = f"referenced by the rules of {', '.join(referred[sid])}" if referred[sid] else ""
        out[sid] = Fresh(r, "a default security group" if r.state == "default" else refusal)
    return out


def _price(session: Session, region: str, b: Billing) -> Quote:
    return quoted(0.0, 0.0, "list", [fact("sg.free")])


SPEC = KindSpec(
    name="security_group",
    noun=Noun(zh="安全组", en="security group", many="security groups", heading="SECURITY GROUP"),
    id_prefix="sg-",
    listing=Listing(
        "vpc", "DescribeSecurityGroups", "SecurityGroupSet", "SecurityGroupIds", PER_CALL, text_paging=True
    ),
    record=record,
    cluster_of=_cluster_of,
    made_by_tke=_made_by_tke,
    in_use=lambda r: "associated now (instances, or other groups' rules)" if r.attached else None,
    augment=_augment,
    probes=(("vpc", "DescribeSecurityGroupLimits"),),
    price_key=lambda b: [],
    price=_price,
    fresh=lambda d: Fresh(record(d)),
    recheck=_recheck,
    give_back=batched("vpc.DeleteSecurityGroup", "SecurityGroupId", 1, lambda f, resp: "deleted", single=True),
    would=lambda f: "would delete the security group (DeleteSecurityGroup)",
    mark_name=("cvm", "sg"),
    cluster_said="its name",
    made_said="named tke-worker/master-security-for-<clusterId>",
    cam_read=(
        "vpc:DescribeSecurityGroups",
        "vpc:DescribeSecurityGroupAssociationStatistics",
        "vpc:DescribeSecurityGroupLimits",
        "vpc:DescribeSecurityGroupReferences",
    ),
    cam_write=("vpc:DeleteSecurityGroup",),
    advice=("a security group costs nothing but takes one of the region's 50", "安全组不收费，但占用地域 50 个配额"),
    default=False,
    words={
        "sg.tke_name": ("name {0}: the group TKE makes for a cluster", "名称 {0}：TKE 为集群创建的安全组"),
        "sg.cluster_gone": ("its cluster {0}: one the region no longer has", "所属集群 {0}：该地域已无此集群"),
        "sg.quota": ("the region holds {0} of its {1} security groups", "该地域已有 {0} 个安全组（配额 {1}）"),
        "sg.free": ("free, but it takes a place in the region's quota", "免费，但占用地域安全组配额"),
    },
)
