"""tke 2018-05-25 and 2022-05-01: clusters, their nodes and node pools, and the existed-instances check."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..store import ClusterRec, NodeRec, RegionStore, go_time, iso, tags
from ..world import NodePool
from . import params as P
from .context import Answer, Ctx
from .cvm import cvm_filters, matches

ROLES = {"WORKER", "MASTER", "ETCD", "MASTER_ETCD", "ALL"}
ASG_TAG = "tencentcloud:autoscaling:auto-scaling-group-id"


def _limits(params: dict[str, Any]) -> tuple[int, int]:
    offset = P.opt_int(params, "Offset", 0, lo=0, over_code="InvalidParameter.Param")
    limit = P.opt_int(params, "Limit", 20, lo=1, hi=100, over_code="InvalidParameter.Param")
    return offset, limit


def cluster_of(rs: RegionStore, params: dict[str, Any], not_found: str) -> ClusterRec:
    cid = P.required_str(params, "ClusterId")
    rec = rs.cluster_by_id.get(cid)
    if rec is None:
        raise ApiError(not_found, f"Cluster `{cid}` does not exist in region {rs.name}.")
    return rec


def _tke_filters(params: dict[str, Any], names: set[str], *, tags_ok: bool = False) -> list[P.Filter]:
    def known(n: str) -> bool:
        return n in names or (tags_ok and (n in ("tag-key", "tag-value") or n.startswith("tag:")))

    return P.filters(
        params,
        known=known,
        max_filters=10,
        max_values=100,
        unknown_code="InvalidParameter.Param",
        too_many_code="InvalidParameter.Param",
        too_many_values_code="InvalidParameter.Param",
    )


# ---- 2018-05-25 ---------------------------------------------------------------------------------------------


def _cluster_api(rec: ClusterRec) -> dict[str, Any]:
    c = rec.spec
    masters = sum(1 for n in rec.nodes if n.role != "WORKER")
    return {
        "ClusterId": c.ClusterId,
        "ClusterName": c.ClusterName,
        "ClusterDescription": "",
        "ClusterVersion": c.ClusterVersion,
        "ClusterOs": "tlinux3.1x86_64",
        "ClusterType": c.ClusterType,
        "ClusterNetworkSettings": {"VpcId": c.VpcId, "ClusterCIDR": "172.16.0.0/16", "MaxNodePodNum": 64},
        "ClusterNodeNum": len(rec.nodes) - masters,
        "ProjectId": 0,
        "TagSpecification": [{"ResourceType": "cluster", "Tags": tags(c.Tags)}] if c.Tags else [],
        "ClusterStatus": c.ClusterStatus,
        "Property": "{}",
        "ClusterMaterNodeNum": masters,
        "ImageId": "img-eb30mz89",
        "OsCustomizeType": "GENERAL",
        "ContainerRuntime": "containerd",
        "CreatedTime": iso(c.CreatedTime),
        "DeletionProtection": False,
        "EnableExternalNode": False,
        "ClusterLevel": "L20" if c.ClusterType == "MANAGED_CLUSTER" else "",
        "RuntimeVersion": "1.6.9",
    }


def _cluster_field(rec: ClusterRec, name: str) -> str:
    c = rec.spec
    fields: dict[str, str] = {
        "ClusterName": c.ClusterName,
        "ClusterType": c.ClusterType,
        "ClusterStatus": c.ClusterStatus,
        "vpc-id": c.VpcId,
    }
    return fields[name]


def describe_clusters(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"ClusterIds", "Offset", "Limit", "Filters", "ClusterType"})
    rs = ctx.region
    offset, limit = _limits(params)
    ids = P.str_list(params, "ClusterIds", max_items=100, over_code="InvalidParameter.Param")
    ctype = P.opt_str(params, "ClusterType")
    flts = _tke_filters(params, {"ClusterName", "ClusterType", "ClusterStatus", "vpc-id"}, tags_ok=True)

    def keep(rec: ClusterRec) -> bool:
        if ids is not None and rec.spec.ClusterId not in ids:
            return False
        if ctype and rec.spec.ClusterType != ctype:
            return False
        for f in flts:
            tagged = P.tag_match(tags(rec.spec.Tags), f)
            ok = tagged if tagged is not None else _cluster_field(rec, f.name) in f.values
            if not ok:
                return False
        return True

    with ctx.store.lock:
        selected = [r for r in rs.clusters if keep(r)]
        return {
            "TotalCount": len(selected),
            "Clusters": [_cluster_api(r) for r in P.page(selected, offset, limit)],
        }


def _other_clusters(ctx: Ctx, params: dict[str, Any], kind: str) -> Answer:
    """DescribeEKSClusters and DescribeTKEEdgeClusters: ClusterIds (empty: all), Offset, Limit (default 20),
    Filters on ClusterName only."""
    P.only(params, {"ClusterIds", "Offset", "Limit", "Filters"})
    offset, limit = _limits(params)
    ids = P.str_list(params, "ClusterIds", max_items=100, over_code="InvalidParameter.Param")
    names: set[str] | None = None
    for f in params.get("Filters") or []:
        if not isinstance(f, dict) or f.get("Name") != "ClusterName":
            raise ApiError("InvalidParameter.Param", "only the ClusterName filter is supported")
        names = set(f.get("Values") or [])
    with ctx.store.lock:
        selected = [
            c for c in ctx.region.other_clusters
            if c.Kind == kind and (not ids or c.ClusterId in ids) and (names is None or c.ClusterName in names)
        ]  # fmt: skip
        page = P.page(selected, offset, limit)
        return {
            "TotalCount": len(selected),
            "Clusters": [
                {
                    "ClusterId": c.ClusterId,
                    "ClusterName": c.ClusterName,
                    "Status": c.Status,
                    "CreatedTime": iso(c.CreatedTime),
                    "VpcId": "vpc-default",
                    "ClusterDesc": "",
                }
                for c in page
            ],
        }


def describe_eks_clusters(ctx: Ctx, params: dict[str, Any]) -> Answer:
    return _other_clusters(ctx, params, "serverless")


def describe_tke_edge_clusters(ctx: Ctx, params: dict[str, Any]) -> Answer:
    return _other_clusters(ctx, params, "edge")


def _pool_asg(rec: ClusterRec, node: NodeRec) -> str:
    pool = rec.pools.get(node.node_pool_id or "")
    return (pool.AutoscalingGroupId or "") if pool else ""


def _node_2018(rs: RegionStore, rec: ClusterRec, node: NodeRec) -> dict[str, Any]:
    cvm = rs.by_id.get(node.instance_id)
    return {
        "InstanceId": node.listed_id,
        "InstanceRole": node.role,
        "FailedReason": "",
        "InstanceState": node.state,
        "DrainStatus": "",
        "InstanceAdvancedSettings": {
            "MountTarget": "",
            "DockerGraphPath": "/var/lib/docker",
            "Unschedulable": 0,
        },
        "CreatedTime": iso(node.created),
        "LanIP": (cvm["PrivateIpAddresses"] or [""])[0] if cvm else "",
        "NodePoolId": node.node_pool_id or "",
        "AutoscalingGroupId": _pool_asg(rec, node),
    }


def describe_cluster_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"ClusterId", "Offset", "Limit", "InstanceIds", "InstanceRole", "Filters"})
    rs = ctx.region
    rec = cluster_of(rs, params, "InvalidParameter.ClusterNotFound")
    offset, limit = _limits(params)
    ids = P.str_list(params, "InstanceIds", max_items=100, over_code="InvalidParameter.Param")
    # The real default is WORKER: an independent cluster's masters are left out unless asked for.
    role = P.opt_str(params, "InstanceRole") or "WORKER"
    if role not in ROLES:
        raise ApiError("InvalidParameter.Param", f"InstanceRole `{role}` is not one of {sorted(ROLES)}.")
    flts = _tke_filters(params, {"nodepool-id", "nodepool-instance-type"})

    def keep(n: NodeRec) -> bool:
        if role not in ("ALL", n.role):
            return False
        if ids is not None and n.listed_id not in ids:
            return False
        for f in flts:
            if f.name == "nodepool-id" and (n.node_pool_id or "") not in f.values:
                return False
            if f.name == "nodepool-instance-type":
                kind = "AUTOSCALING_ADDED" if n.node_pool_id else "MANUALLY_ADDED"
                if "ALL" not in f.values and kind not in f.values:
                    return False
        return True

    with ctx.store.lock:
        selected = [n for n in rec.nodes if keep(n)]
        items = [_node_2018(rs, rec, n) for n in P.page(selected, offset, limit)]
        return {"TotalCount": len(selected), "InstanceSet": items}


def _summary(rec: ClusterRec, pool: NodePool) -> dict[str, Any]:
    nodes = [n for n in rec.nodes if n.node_pool_id == pool.NodePoolId]
    counts = {
        "Joining": 0,
        "Initializing": sum(n.state == "initializing" for n in nodes),
        "Normal": sum(n.state == "running" for n in nodes),
        "Total": len(nodes),
    }
    return {
        "ManuallyAdded": {"Joining": 0, "Initializing": 0, "Normal": 0, "Total": 0},
        "AutoscalingAdded": counts,
    }


def _pool_2018(rec: ClusterRec, pool: NodePool) -> dict[str, Any]:
    total = sum(1 for n in rec.nodes if n.node_pool_id == pool.NodePoolId)
    return {
        "NodePoolId": pool.NodePoolId,
        "Name": pool.Name,
        "ClusterInstanceId": rec.spec.ClusterId,
        "LifeState": pool.LifeState,
        "LaunchConfigurationId": pool.LaunchConfigurationId or "asc-" + pool.NodePoolId[3:],
        "AutoscalingGroupId": pool.AutoscalingGroupId or "",
        "Labels": [],
        "Taints": [],
        "Annotations": [],
        "NodeCountSummary": _summary(rec, pool),
        "AutoscalingGroupStatus": "enabled",
        "MaxNodesNum": max(total, 10),
        "MinNodesNum": 0,
        "DesiredNodesNum": total,
        "NodePoolOs": "tlinux3.1x86_64",
        "OsCustomizeType": "GENERAL",
        "ImageId": "img-eb30mz89",
        "DesiredPodNum": 0,
        "UserScript": "",
        "Tags": tags(pool.Tags),
        "DeletionProtection": False,
    }


def _pool_filter(pool: NodePool, f: P.Filter) -> bool:
    if f.name == "NodePoolsName":
        return pool.Name in f.values
    if f.name == "NodePoolsId":
        return pool.NodePoolId in f.values
    if f.name.lower() == "tags":
        return any(f"{t.Key}:{t.Value}" in f.values for t in pool.Tags)
    return bool(P.tag_match(tags(pool.Tags), f))


def _visible_pools(rec: ClusterRec, flts: list[P.Filter], types: set[str]) -> list[NodePool]:
    return [
        p
        for p in rec.pools.values()  # the world's pools, less those deleted since (api/tke_delete.py)
        if p.Type in types and p.LifeState != "deleted" and all(_pool_filter(p, f) for f in flts)
    ]


def describe_cluster_node_pools(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"ClusterId", "Filters"})
    rs = ctx.region
    rec = cluster_of(rs, params, "ResourceNotFound.ClusterNotFound")
    flts = _tke_filters(params, {"NodePoolsName", "NodePoolsId", "Tags"}, tags_ok=True)
    with ctx.store.lock:
        # The 2018 API knows only regular (auto scaling) node pools; native pools are in the 2022 API.
        pools = _visible_pools(rec, flts, {"Regular"})
        return {"TotalCount": len(pools), "NodePoolSet": [_pool_2018(rec, p) for p in pools]}


def describe_existed_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(
        params,
        {
            "ClusterId",
            "InstanceIds",
            "Filters",
            "VagueIpAddress",
            "VagueInstanceName",
            "Offset",
            "Limit",
            "IpAddresses",
        },
    )
    rs = ctx.region
    offset, limit = _limits(params)
    ids = P.str_list(params, "InstanceIds", max_items=100, over_code="InvalidParameter.Param")
    flts = cvm_filters(params)
    cid = P.opt_str(params, "ClusterId")
    if ids is not None and (flts or cid):
        raise ApiError("InvalidParameter.Param", "`InstanceIds` cannot be combined with `Filters` or `ClusterId`.")
    vpc = None
    if cid:
        vpc = cluster_of(rs, params, "InvalidParameter.ClusterNotFound").spec.VpcId
    vague_ip = P.opt_str(params, "VagueIpAddress")
    vague_name = P.opt_str(params, "VagueInstanceName")
    ips = P.str_list(params, "IpAddresses", max_items=100, over_code="InvalidParameter.Param")

    def keep(d: dict[str, Any]) -> bool:
        if ids is not None and d["InstanceId"] not in ids:
            return False
        if vpc is not None and d["VirtualPrivateCloud"]["VpcId"] != vpc:
            return False
        if vague_name and vague_name not in d["InstanceName"]:
            return False
        lan = d["PrivateIpAddresses"] or []
        if vague_ip and not any(vague_ip in ip for ip in lan):
            return False
        if ips is not None and not set(ips) & set(lan):
            return False
        return all(matches(d, f) for f in flts)

    with ctx.store.lock:
        selected = [d for d in rs.instances if keep(d)]
        items = []
        for d in P.page(selected, offset, limit):
            # Compared against every cluster of the region, which is what makes this a membership check.
            owner = rs.node_of.get(d["InstanceId"], "")
            asg = next((t["Value"] for t in d["Tags"] if t["Key"] == ASG_TAG), "")
            reason = ""
            if owner:
                reason = "instance already in cluster"
            elif d["InstanceChargeType"] == "SPOTPAID":
                reason = "spot instances are not supported"  # the SDK's docstring: 不支持竞价实例
            elif d["InstanceState"] != "RUNNING":
                reason = "instance status is not running"
            items.append(
                {
                    "Usable": not reason,
                    "UnusableReason": reason,
                    "AlreadyInCluster": owner,
                    "InstanceId": d["InstanceId"],
                    "InstanceName": d["InstanceName"],
                    "PrivateIpAddresses": d["PrivateIpAddresses"],
                    "PublicIpAddresses": d["PublicIpAddresses"],
                    "CreatedTime": d["CreatedTime"],
                    "CPU": d["CPU"],
                    "Memory": d["Memory"],
                    "OsName": d["OsName"],
                    "InstanceType": d["InstanceType"],
                    "AutoscalingGroupId": asg,
                    "InstanceChargeType": d["InstanceChargeType"],
                    "IPv6Addresses": None,
                }
            )
        return {"TotalCount": len(selected), "ExistedInstanceSet": items}


# ---- 2022-05-01 ---------------------------------------------------------------------------------------------


def _node_2022(rs: RegionStore, rec: ClusterRec, node: NodeRec, need_tags: bool) -> dict[str, Any]:
    cvm = rs.by_id.get(node.instance_id)
    lan = (cvm["PrivateIpAddresses"] or [""])[0] if cvm else ""
    node_tags = (cvm["Tags"] if cvm else []) if need_tags else None
    item: dict[str, Any] = {
        "InstanceId": node.listed_id,
        "InstanceRole": node.role,
        "FailedReason": "",
        "InstanceState": node.state,
        "Unschedulable": False,
        "CreatedTime": go_time(node.created),
        "LanIP": lan,
        "NodePoolId": node.node_pool_id or "",
        "NodeType": node.node_type,
        "Native": None,
        "Regular": None,
        "Super": None,
        "External": None,
    }
    if node.node_type == "Native":
        item["Native"] = {
            "MachineName": node.machine_name,
            "MachineState": node.state.capitalize(),
            "Zone": cvm["Placement"]["Zone"] if cvm else "",
            "InstanceChargeType": cvm["InstanceChargeType"] if cvm else "POSTPAID_BY_HOUR",
            "CreatedAt": iso(node.created),
            "DisplayName": cvm["InstanceName"] if cvm else node.machine_name,
            "CPU": cvm["CPU"] if cvm else 2,
            "Memory": cvm["Memory"] if cvm else 4,
            "LanIp": lan,
            "InstanceType": cvm["InstanceType"] if cvm else "",
            "ExpiredTime": cvm["ExpiredTime"] if cvm else None,
            "MachineType": node.machine_type,
            # The CVM id, for NativeCVM machines; an eks- id for Native machines, which are not CVMs.
            "InstanceId": node.instance_id,
            "Tags": node_tags,
        }
    else:
        item["Regular"] = {
            "InstanceAdvancedSettings": None,
            "AutoscalingGroupId": _pool_asg(rec, node),
            "Tags": node_tags,
        }
    return item


def describe_cluster_instances_2022(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"ClusterId", "Offset", "Limit", "Filters", "SortBy", "NeedTags"})
    rs = ctx.region
    rec = cluster_of(rs, params, "ResourceNotFound.ClusterNotFound")
    offset, limit = _limits(params)
    need_tags = bool(params.get("NeedTags", False))
    flts = _tke_filters(
        params,
        {"InstanceIds", "InstanceType", "NodePoolIds", "NodePoolNames", "InstanceStates", "VagueIpAddress"},
    )

    def keep(n: NodeRec) -> bool:
        for f in flts:
            if f.name == "InstanceIds" and n.listed_id not in f.values and n.instance_id not in f.values:
                return False
            if f.name == "InstanceType" and n.node_type not in f.values:
                return False
            if f.name == "NodePoolIds" and (n.node_pool_id or "") not in f.values:
                return False
            if f.name == "NodePoolNames":
                pool = rec.pools.get(n.node_pool_id or "")
                if pool is None or pool.Name not in f.values:
                    return False
            if f.name == "InstanceStates" and n.state not in f.values:
                return False
            if f.name == "VagueIpAddress":
                cvm = rs.by_id.get(n.instance_id)
                lan = (cvm["PrivateIpAddresses"] or []) if cvm else []
                if not any(v in ip for v in f.values for ip in lan):
                    return False
        return True

    with ctx.store.lock:
        selected = [n for n in rec.nodes if keep(n)]
        items = [_node_2022(rs, rec, n, need_tags) for n in P.page(selected, offset, limit)]
        return {"TotalCount": len(selected), "InstanceSet": items, "Errors": None}


def _pool_2022(rec: ClusterRec, pool: NodePool) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ClusterId": rec.spec.ClusterId,
        "NodePoolId": pool.NodePoolId,
        "Tags": [{"ResourceType": "machine", "Tags": tags(pool.Tags)}] if pool.Tags else [],
        "Taints": [],
        "DeletionProtection": False,
        "Unschedulable": False,
        "Type": pool.Type,
        "Labels": [],
        "LifeState": pool.LifeState.capitalize() if pool.Type == "Native" else pool.LifeState,
        "CreatedAt": iso(rec.spec.CreatedTime),
        "Name": pool.Name,
        "Native": None,
        "Regular": None,
        "Super": None,
        "External": None,
        "Annotations": [],
    }
    if pool.Type == "Native":
        members = sum(1 for n in rec.nodes if n.node_pool_id == pool.NodePoolId)
        base["Native"] = {"MachineType": "NativeCVM", "Replicas": members, "ReadyReplicas": members}
    else:
        base["Regular"] = {
            "LaunchConfigurationId": pool.LaunchConfigurationId or "asc-" + pool.NodePoolId[3:],
            "AutoscalingGroupId": pool.AutoscalingGroupId or "",
            "NodeCountSummary": _summary(rec, pool),
        }
    return base


def describe_node_pools_2022(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"ClusterId", "Filters", "Offset", "Limit"})
    rs = ctx.region
    rec = cluster_of(rs, params, "ResourceNotFound.ClusterNotFound")
    offset, limit = _limits(params)
    flts = _tke_filters(params, {"NodePoolsName", "NodePoolsId", "tags"}, tags_ok=True)
    with ctx.store.lock:
        pools = _visible_pools(rec, flts, {"Regular", "Native"})
        return {
            "TotalCount": len(pools),
            "NodePools": [_pool_2022(rec, p) for p in P.page(pools, offset, limit)],
        }


# ---- mutating ---------------------------------------------------------------------------------------------------

ADD_EXISTED_PARAMS = {
    "ClusterId", "InstanceIds", "InstanceAdvancedSettings", "EnhancedService", "LoginSettings", "HostName",
    "SecurityGroupIds", "NodePool", "SkipValidateOptions", "InstanceAdvancedSettingsOverrides", "ImageId", "NodeType",
    "Tags", "RenewFlag",
}  # fmt: skip


# An instance whose world states no VPC is taken to be in the cluster's (worlds seldom state one).
NO_VPC = "vpc-default"


def add_existed_instances(ctx: Ctx, params: dict[str, Any]) -> Answer:
    """Existing CVMs become nodes (the real call reinstalls their OS): per instance, success or the reason why not."""
    P.only(params, ADD_EXISTED_PARAMS)
    rs = ctx.region
    rec = cluster_of(rs, params, "InvalidParameter.ClusterNotFound")
    ids = P.str_list(params, "InstanceIds", max_items=100, over_code="InvalidParameter.Param")
    if not ids:
        raise ApiError("MissingParameter", "The request is missing a required parameter `InstanceIds`.")
    # NodePool is a NodePoolOption {AddToNodePool: bool, NodePoolId: str, InheritConfigurationFromNodePool: bool}.
    pool = params.get("NodePool") or {}
    if not isinstance(pool, dict) or set(pool) - {"AddToNodePool", "NodePoolId", "InheritConfigurationFromNodePool"}:
        raise ApiError(
            "InvalidParameter", "The value type of parameter `NodePool` is not valid: expected a NodePoolOption."
        )
    for flag in ("AddToNodePool", "InheritConfigurationFromNodePool"):
        if flag in pool and not isinstance(pool[flag], bool):
            raise ApiError(
                "InvalidParameter", f"The value type of parameter `NodePool.{flag}` is not valid: expected a boolean."
            )
    P.opt_str(pool, "NodePoolId")
    # The SDK's docstring of SecurityGroupIds: 目前仅支持设置单个sgId (one security group only, for now).
    P.str_list(params, "SecurityGroupIds", max_items=1, over_code="InvalidParameter.Param")
    pool_id = pool.get("NodePoolId") if pool.get("AddToNodePool", True) else None
    if pool_id is not None and (pool_id not in rec.pools or rec.pools[pool_id].Type != "Regular"):
        raise ApiError("ResourceNotFound", f"Node pool `{pool_id}` is not a regular node pool of {rec.spec.ClusterId}.")
    succ: list[str] = []
    failed: list[str] = []
    reasons: list[str] = []
    with ctx.store.lock:
        for iid in ids:
            d = rs.by_id.get(iid)
            owner = rs.node_of.get(iid)
            reason = ""
            if d is None:
                reason = "instance not found"
            elif owner:
                reason = f"instance already in cluster {owner}"
            elif d["InstanceChargeType"] == "SPOTPAID":
                reason = "spot instances are not supported"  # the SDK's docstring: 不支持竞价实例
            elif d["InstanceState"] != "RUNNING":
                reason = f"instance state is {d['InstanceState']}, not RUNNING"
            elif d["VirtualPrivateCloud"]["VpcId"] not in (rec.spec.VpcId, NO_VPC):
                reason = f"instance is in {d['VirtualPrivateCloud']['VpcId']}, not in the cluster's VPC"
            if reason:
                failed.append(iid)
                reasons.append(reason)
                continue
            ctx.store.add_node(rs.name, rec.spec.ClusterId, iid, pool_id)
            succ.append(iid)
    return {"FailedInstanceIds": failed, "SuccInstanceIds": succ, "TimeoutInstanceIds": [], "FailedReasons": reasons}
