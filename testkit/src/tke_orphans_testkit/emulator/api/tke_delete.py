"""tke 2018-05-25's deleting calls, the ones that leave orphans behind: DeleteClusterInstances, DeleteCluster,
DeleteClusterNodePool and DeleteClusterAsGroups. Each is answered at once (the real ones finish asynchronously) and
each success is written to the account's audit log (server.py, audit.py).

TKE terminates only pay-as-you-go CVMs (the SDK: 仅支持按量计费云主机实例): DeleteClusterInstances refuses the others
per instance (FailedInstanceIds, the node stays); a deleted cluster or node pool leaves them running, out of any
cluster, which is how prepaid nodes always become orphans.
"""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..store import ClusterRec, NodeRec, RegionStore
from . import params as P
from .context import Answer, Ctx
from .tke import cluster_of

DELETE_MODES = ("terminate", "retain")
TERMINABLE = ("POSTPAID_BY_HOUR", "SPOTPAID")
RESOURCE_TYPES = ("CBS", "CLB", "CVM")
CBS_FLAG = "tke-cbs-provisioner-createBy-flag"
CLB_FLAG = "tke-createdBy-flag"


def _mode(params: dict[str, Any]) -> str:
    mode = P.required_str(params, "InstanceDeleteMode")
    if mode not in DELETE_MODES:
        raise ApiError("InvalidParameter.Param", f"`InstanceDeleteMode` must be terminate or retain, got `{mode}`.")
    return mode


def _bool(params: dict[str, Any], name: str, default: bool | None = None) -> bool:
    """A boolean parameter; required when there is no default."""
    value = params.get(name, default)
    if value is None:
        raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    if not isinstance(value, bool):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected a boolean.")
    return value


def _delete_options(params: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """ResourceDeleteOptions [{ResourceType CBS|CLB|CVM, DeleteMode terminate|retain, SkipDeletionProtection}] by
    type: (mode, skip protected ones)."""
    raw = params.get("ResourceDeleteOptions")
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ApiError("InvalidParameter", "`ResourceDeleteOptions` must be a list of ResourceDeleteOption.")
    out: dict[str, tuple[str, bool]] = {}
    for option in raw:
        if not isinstance(option, dict) or set(option) - {"ResourceType", "DeleteMode", "SkipDeletionProtection"}:
            raise ApiError(
                "InvalidParameter", "A ResourceDeleteOption has ResourceType, DeleteMode, SkipDeletionProtection."
            )
        rtype = P.required_str(option, "ResourceType")
        mode = P.required_str(option, "DeleteMode")
        if rtype not in RESOURCE_TYPES or mode not in DELETE_MODES:
            raise ApiError(
                "InvalidParameter.Param",
                f"ResourceDeleteOption {rtype}/{mode}: the type is CBS, CLB or CVM, the mode terminate or retain.",
            )
        out[rtype] = (mode, _bool(option, "SkipDeletionProtection", False))
    return out


def _terminable(d: dict[str, Any]) -> bool:
    return d["InstanceChargeType"] in TERMINABLE and not d["DisableApiTermination"]


def _terminate(ctx: Ctx, rs: RegionStore, instance_id: str) -> None:
    """The CVM is destroyed: its disks that go with it go, the others (PVs) are detached and stay."""
    ctx.store.remove_instance(rs.name, instance_id)
    for disk_id, d in list(rs.disks.items()):
        if d["InstanceId"] == instance_id:
            if d["DeleteWithInstance"]:
                del rs.disks[disk_id]
            else:
                d.update(DiskState="UNATTACHED", Attached=False, InstanceId="", InstanceIdList=[])


def _let_go(ctx: Ctx, rs: RegionStore, nodes: list[NodeRec], terminate: bool) -> None:
    """Nodes that left their cluster: their CVMs terminated when asked and TKE may, else left running."""
    for node in nodes:
        d = rs.by_id.get(node.instance_id)
        if terminate and d is not None and _terminable(d):
            _terminate(ctx, rs, node.instance_id)


def delete_cluster_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Per instance: removed (retain), removed and terminated (terminate, pay-as-you-go only), failed (terminate of
    another charge type, or a master), or not found in the cluster."""
    P.only(params, {"ClusterId", "InstanceIds", "InstanceDeleteMode", "ForceDelete", "ResourceDeleteOptions"})
    rs = ctx.region
    rec = cluster_of(rs, params, "InvalidParameter.ClusterNotFound")
    ids = P.str_list(params, "InstanceIds", max_items=100, over_code="InvalidParameter.Param")
    if not ids:
        raise ApiError("MissingParameter", "The request is missing a required parameter `InstanceIds`.")
    mode = _mode(params)
    _bool(params, "ForceDelete", False)
    _delete_options(params)
    succ: list[str] = []
    failed: list[str] = []
    missing: list[str] = []
    with ctx.store.lock:
        for iid in dict.fromkeys(ids):
            # The 2018 API names a native node by its machine name; its CVM id is accepted too.
            node = next((n for n in rec.nodes if iid in (n.listed_id, n.instance_id)), None)
            if node is None:
                missing.append(iid)
                continue
            d = rs.by_id.get(node.instance_id)
            if node.role != "WORKER" or (mode == "terminate" and d is not None and not _terminable(d)):
                failed.append(iid)
                continue
            ctx.store.remove_node(rs.name, node.instance_id)
            _let_go(ctx, rs, [node], mode == "terminate")
            succ.append(iid)
    return {"SuccInstanceIds": succ, "FailedInstanceIds": failed, "NotFoundInstanceIds": missing}


def _made_by(tag_list: list[dict[str, str]], key: str, value: str, cluster_id: str, flag: str) -> bool:
    found = {t[key]: t[value] for t in tag_list}
    return found.get("tke-clusterId") == cluster_id and found.get(flag) == "yes"


def delete_cluster(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """The cluster is gone from DescribeClusters. Its nodes' CVMs per InstanceDeleteMode; the disks its CSI made
    are kept unless ResourceDeleteOptions says CBS terminate; the load balancers it made are deleted unless it says
    CLB retain (or skips protected ones); a user's own CLB it reused (no createdBy flag) and its EIPs stay."""
    P.only(params, {"ClusterId", "InstanceDeleteMode", "ResourceDeleteOptions"})
    rs = ctx.region
    rec = cluster_of(rs, params, "ResourceNotFound.ClusterNotFound")
    mode = _mode(params)
    options = _delete_options(params)
    cbs_mode, _ = options.get("CBS", ("retain", False))
    clb_mode, clb_skip = options.get("CLB", ("terminate", False))
    cid = rec.spec.ClusterId
    with ctx.store.lock:
        ctx.store.remove_cluster(rs.name, cid)
        _let_go(ctx, rs, rec.nodes, mode == "terminate")
        if cbs_mode == "terminate":
            for disk_id, d in list(rs.disks.items()):
                if _made_by(d["Tags"], "Key", "Value", cid, CBS_FLAG):
                    del rs.disks[disk_id]
        if clb_mode == "terminate":
            for lb_id, lb in list(rs.load_balancers.items()):
                protected = "DeleteProtect" in lb["AttributeFlags"]
                if _made_by(lb["Tags"], "TagKey", "TagValue", cid, CLB_FLAG) and not (clb_skip and protected):
                    del rs.load_balancers[lb_id]
    return {}


def _drop_pools(ctx: Ctx, rs: RegionStore, rec: ClusterRec, pool_ids: list[str], keep: bool) -> None:
    with ctx.store.lock:
        for pid in dict.fromkeys(pool_ids):
            _let_go(ctx, rs, ctx.store.remove_node_pool(rs.name, rec.spec.ClusterId, pid), not keep)


def _regular_pool(rec: ClusterRec, pool_id: str) -> str:
    pool = rec.pools.get(pool_id)
    if pool is None or pool.Type != "Regular":  # native pools are deleted through the 2022 API
        raise ApiError("ResourceNotFound", f"Node pool `{pool_id}` is not a regular node pool of {rec.spec.ClusterId}.")
    return pool_id


def _pool_request(
    ctx: Ctx, params: dict[str, Any], ids_name: str, keep: bool | None
) -> tuple[ClusterRec, list[str], bool]:
    """What both pool deletions take: the cluster, the ids (required, at most 100) and KeepInstance (its default)."""
    P.only(params, {"ClusterId", ids_name, "KeepInstance"})
    rec = cluster_of(ctx.region, params, "ResourceNotFound.ClusterNotFound")
    ids = P.str_list(params, ids_name, max_items=100, over_code="InvalidParameter.Param")
    if not ids:
        raise ApiError("MissingParameter", f"The request is missing a required parameter `{ids_name}`.")
    return rec, ids, _bool(params, "KeepInstance", keep)


def delete_cluster_node_pool(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """The pools go and their nodes leave the cluster; KeepInstance (required) keeps their CVMs running."""
    rec, ids, keep = _pool_request(ctx, params, "NodePoolIds", None)
    with ctx.store.lock:
        _drop_pools(ctx, ctx.region, rec, [_regular_pool(rec, pid) for pid in ids], keep)
    return {}


def delete_cluster_as_groups(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """The older call: node pools named by their auto scaling groups; KeepInstance defaults to false."""
    rec, ids, keep = _pool_request(ctx, params, "AutoScalingGroupIds", False)
    with ctx.store.lock:
        by_group = {p.AutoscalingGroupId: p.NodePoolId for p in rec.pools.values() if p.AutoscalingGroupId}
        unknown = [g for g in ids if g not in by_group]
        if unknown:
            raise ApiError("ResourceNotFound", f"Auto scaling group `{unknown[0]}` is not one of {rec.spec.ClusterId}.")
        _drop_pools(ctx, ctx.region, rec, [_regular_pool(rec, by_group[g]) for g in ids], keep)
    return {}
