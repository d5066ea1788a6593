"""Listing regions: the region service (2022-06-27) and the legacy cvm DescribeRegions."""

from __future__ import annotations

import warnings

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.cvm.v20170312 import models as cvm_models
from tencentcloud.region.v20220627 import models as region_models

REGIONS = {
    "ap-guangzhou": {"RegionName": "South China (Guangzhou)"},
    "ap-singapore": {"RegionName": "Southeast Asia (Singapore)"},
    "eu-frankfurt": {},
    "na-ashburn": {"RegionName": "US East (Virginia)", "RegionState": "UNAVAILABLE"},
}


@pytest.fixture(scope="module")
def api(serve_module):
    return serve_module({"regions": REGIONS})


def _expected() -> dict[str, tuple[str, str]]:
    return {r: (spec.get("RegionName", r), spec.get("RegionState", "AVAILABLE")) for r, spec in REGIONS.items()}


def test_region_service_lists_the_worlds_regions(api):
    raw = api.call("region", "2022-06-27", "DescribeRegions", {"Product": "cvm"})
    resp = region_models.DescribeRegionsResponse()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a field the SDK model does not know would warn
        resp._deserialize(raw)
    assert resp.TotalCount == len(REGIONS)
    got = {r.Region: (r.RegionName, r.RegionState) for r in resp.RegionSet}
    assert got == _expected()
    assert sum(state == "AVAILABLE" for _, state in got.values()) == 3


def test_region_service_needs_no_region_header(api):
    """The SDK leaves X-TC-Region out when the region is empty; listing regions must still work."""
    raw = api.common("region", "2022-06-27", region="").call_json("DescribeRegions", {"Product": "cvm"})
    assert {r["Region"] for r in raw["Response"]["RegionSet"]} == set(REGIONS)


def test_legacy_cvm_describe_regions(api):
    resp = api.cvm("ap-guangzhou").DescribeRegions(cvm_models.DescribeRegionsRequest())
    assert resp.TotalCount == len(REGIONS)
    assert {r.Region: (r.RegionName, r.RegionState) for r in resp.RegionSet} == _expected()


def test_region_service_without_product_is_missing_parameter(api):
    client = api.common("region", "2022-06-27")
    with pytest.raises(TencentCloudSDKException) as info:
        client.call_json("DescribeRegions", {})
    assert info.value.get_code() == "MissingParameter"


def test_demo_world_regions_are_available(demo, demo_world):
    raw = demo.call("region", "2022-06-27", "DescribeRegions", {"Product": "cvm"})
    assert {r["Region"] for r in raw["RegionSet"]} == set(demo_world.spec.regions)
    assert {r["RegionState"] for r in raw["RegionSet"]} == {"AVAILABLE"}
