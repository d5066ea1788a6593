"""CVM instances: the orphans. Their decision is the scan's own (detect.py: evidence, node history, unverified,
excluded), far richer than a leftover's; what the rest of the product needs to name them is declared here, as for
every other kind."""

from __future__ import annotations

from dataclasses import dataclass

from .spec import Noun


@dataclass(frozen=True)
class VmKind:
    name: str
    noun: Noun
    id_prefix: str
    cam_read: tuple[str, ...]
    cam_write: tuple[str, ...]

    @property
    def metric(self) -> str:
        return self.name


SPEC = VmKind(
    name="cvm",
    noun=Noun(zh="云服务器", en="CVM instance", many="instances", heading="INSTANCE"),
    id_prefix="ins-",
    cam_read=(
        "region:DescribeRegions",
        "cvm:DescribeRegions",
        "cvm:DescribeInstances",
        "tke:DescribeClusters",
        "tke:DescribeClusterInstances",
        "tke:DescribeExistedInstances",
        "tke:DescribeNodePools",
        "cvm:InquiryPriceRunInstances",
        "cvm:InquiryPriceRenewInstances",
        "cvm:DescribeZoneInstanceConfigInfos",
    ),
    cam_write=(
        "cvm:TerminateInstances",
        "cvm:InquiryPriceTerminateInstances",
        "tke:AddExistedInstances",
        "tag:TagResources",
        "sts:GetCallerIdentity",
    ),
)
