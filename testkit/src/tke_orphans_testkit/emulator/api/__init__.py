"""The API surface the emulator serves: (service, version) -> action -> handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import (
    cbs,
    cfs,
    clb,
    cloudaudit,
    cvm,
    organization,
    price,
    price_resources,
    region,
    sts,
    tag,
    tag_resources,
    tke,
    vpc,
)
from . import tke_delete as tke_del
from . import vpc_security_groups as sg
from .context import Answer, Ctx, Raw

Handler = Callable[[Ctx, dict[str, Any]], Answer]

ROUTES: dict[tuple[str, str], dict[str, Handler]] = {
    ("cvm", "2017-03-12"): {
        "DescribeInstances": cvm.describe_instances,
        "DescribeRegions": cvm.describe_regions,
        "TerminateInstances": cvm.terminate_instances,
        "InquiryPriceTerminateInstances": cvm.inquiry_price_terminate_instances,
        "InquiryPriceRunInstances": price.inquiry_price_run_instances,
        "InquiryPriceRenewInstances": price.inquiry_price_renew_instances,
        "DescribeZoneInstanceConfigInfos": price.describe_zone_instance_config_infos,
        "ModifyInstancesAttribute": cvm.modify_instances_attribute,
    },
    ("tag", "2018-08-13"): {
        "TagResources": tag.tag_resources,
        "GetResources": tag_resources.get_resources,
    },
    ("cbs", "2017-03-12"): {
        "DescribeDisks": cbs.describe_disks,
        "TerminateDisks": cbs.terminate_disks,
        "InquiryPriceCreateDisks": price_resources.inquiry_price_create_disks,
    },
    ("clb", "2018-03-17"): {
        "DescribeLoadBalancers": clb.describe_load_balancers,
        "DeleteLoadBalancer": clb.delete_load_balancer,
        "InquiryPriceCreateLoadBalancer": price_resources.inquiry_price_create_load_balancer,
    },
    ("vpc", "2017-03-12"): {
        "DescribeAddresses": vpc.describe_addresses,
        "ReleaseAddresses": vpc.release_addresses,
        "InquiryPriceAllocateAddresses": price_resources.inquiry_price_allocate_addresses,
        "DescribeSecurityGroups": sg.describe_security_groups,
        "DescribeSecurityGroupAssociationStatistics": sg.describe_security_group_association_statistics,
        "DescribeSecurityGroupReferences": sg.describe_security_group_references,
        "DescribeSecurityGroupLimits": sg.describe_security_group_limits,
        "DeleteSecurityGroup": sg.delete_security_group,
    },
    ("cfs", "2019-07-19"): {
        "DescribeCfsFileSystems": cfs.describe_cfs_file_systems,
        "DescribeMountTargets": cfs.describe_mount_targets,
        "DeleteMountTarget": cfs.delete_mount_target,
        "DeleteCfsFileSystem": cfs.delete_cfs_file_system,
    },
    ("sts", "2018-08-13"): {
        "GetCallerIdentity": tag.get_caller_identity,
        "AssumeRole": sts.assume_role,
    },
    ("organization", "2021-03-31"): {
        "DescribeOrganizationMembers": organization.describe_organization_members,
    },
    ("cloudaudit", "2019-03-19"): {
        "DescribeEvents": cloudaudit.describe_events,
    },
    ("region", "2022-06-27"): {
        "DescribeRegions": region.describe_regions,
    },
    ("tke", "2018-05-25"): {
        "DescribeClusters": tke.describe_clusters,
        "DescribeClusterInstances": tke.describe_cluster_instances,
        "DescribeClusterNodePools": tke.describe_cluster_node_pools,
        "DescribeExistedInstances": tke.describe_existed_instances,
        "AddExistedInstances": tke.add_existed_instances,
        "DescribeEKSClusters": tke.describe_eks_clusters,
        "DescribeTKEEdgeClusters": tke.describe_tke_edge_clusters,
        "DeleteClusterInstances": tke_del.delete_cluster_instances,
        "DeleteCluster": tke_del.delete_cluster,
        "DeleteClusterNodePool": tke_del.delete_cluster_node_pool,
        "DeleteClusterAsGroups": tke_del.delete_cluster_as_groups,
    },
    ("tke", "2022-05-01"): {
        "DescribeClusterInstances": tke.describe_cluster_instances_2022,
        "DescribeNodePools": tke.describe_node_pools_2022,
    },
}
# Actions answered without a region (the rest need X-TC-Region, as in the cloud; STS's GetCallerIdentity too). STS
# is served in regions a member's world need not list: AssumeRole takes any.
GLOBAL_ACTIONS = {
    ("organization", "DescribeOrganizationMembers"),
    ("sts", "AssumeRole"),
    ("region", "DescribeRegions"),
    ("cvm", "DescribeRegions"),
    ("tag", "TagResources"),
    ("tag", "GetResources"),
    ("cloudaudit", "DescribeEvents"),  # needs a region, any: the log is the account's (api/cloudaudit.py)
}

__all__ = ["GLOBAL_ACTIONS", "ROUTES", "Ctx", "Handler", "Raw"]
