"""cbs DescribeDisks, clb DescribeLoadBalancers, vpc DescribeAddresses and tag GetResources through the official
SDK: filters (tags included), paging, limits and the cloud's error codes, on the demo world's leftovers."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from tencentcloud.cbs.v20170312 import models as cbs_models
from tencentcloud.clb.v20180317 import models as clb_models
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.vpc.v20170312 import models as vpc_models

from tke_orphans_testkit.emulator import World
from tke_orphans_testkit.emulator.ratelimit import RateLimiter

Api = Any  # the `Api` helper of this folder's conftest
GZ = "ap-guangzhou"
GONE = "cls-gone0001"
UIN = "100000000001"


def sdk(client: Any, models: Any, action: str, params: dict[str, Any]) -> Any:
    """One call with the SDK's own request and response models."""
    req = getattr(models, f"{action}Request")()
    req.from_json_string(json.dumps(params))
    return json.loads(getattr(client, action)(req).to_json_string())


def disks(api: Api, **params: Any) -> Any:
    return sdk(api.cbs(), cbs_models, "DescribeDisks", params)


def lbs(api: Api, **params: Any) -> Any:
    return sdk(api.clb(), clb_models, "DescribeLoadBalancers", params)


def addresses(api: Api, **params: Any) -> Any:
    return sdk(api.vpc(), vpc_models, "DescribeAddresses", params)


def code(fn: Any, *args: Any, **params: Any) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        fn(*args, **params)
    return str(info.value.get_code())


def get_resources(api: Api, params: dict[str, Any]) -> Any:
    return api.call("tag", "2018-08-13", "GetResources", params)


def by_tag(key: str, *values: str) -> dict[str, Any]:
    return {"Name": f"tag:{key}", "Values": list(values)}


# ---- cbs DescribeDisks ---------------------------------------------------------------------------------------


def test_describe_disks_shows_state_attachment_tags_and_times(demo: Api, demo_world: World) -> None:
    answer = disks(demo, Limit=100)
    assert answer["TotalCount"] == 6
    got = {d["DiskId"]: d for d in answer["DiskSet"]}
    left = got["disk-gzleft01"]
    assert (left["Attached"], left["DiskState"], left["InstanceId"], left["DiskChargeType"]) == (
        False, "UNATTACHED", "", "POSTPAID_BY_HOUR")  # fmt: skip
    assert {"Key": "tke-clusterId", "Value": GONE} in left["Tags"]
    assert left["CreateTime"] == (demo_world.now - timedelta(days=60)).strftime("%Y-%m-%d %H:%M:%S")
    attached = got["disk-gzlive01"]
    assert (attached["Attached"], attached["DiskState"], attached["InstanceIdList"]) == (
        True, "ATTACHED", ["ins-gzweb001"])  # fmt: skip
    prepaid = got["disk-gzuser01"]
    assert prepaid["DiskChargeType"] == "PREPAID" and prepaid["DeadlineTime"]


def test_describe_disks_filters_by_tag_state_and_id(demo: Api) -> None:
    def ids(**params: Any) -> set[str]:
        return {d["DiskId"] for d in disks(demo, **params)["DiskSet"]}

    assert ids(Filters=[by_tag("tke-clusterId", GONE)]) == {"disk-gzleft01", "disk-gzgone02"}
    # AND between filters, OR within one filter's values.
    unattached_gone = [by_tag("tke-clusterId", GONE, "cls-prodgz01"), {"Name": "disk-state", "Values": ["UNATTACHED"]}]
    assert ids(Filters=unattached_gone) == {"disk-gzleft01", "disk-gzlive02"}
    assert ids(Filters=[{"Name": "tag-key", "Values": ["tke-cbs-provisioner-createBy-flag"]}]) == {
        "disk-gzleft01", "disk-gzgone02", "disk-gzlive01", "disk-gzlive02", "disk-gzeks001"}  # fmt: skip
    assert ids(DiskIds=["disk-gzuser01", "disk-nothere1"]) == {"disk-gzuser01"}
    assert ids(Filters=[{"Name": "instance-id", "Values": ["ins-gzorp002"]}]) == {"disk-gzgone02"}


def test_describe_disks_pages_each_disk_once_in_creation_order(demo: Api) -> None:
    seen = [d["DiskId"] for off in range(0, 5, 2) for d in disks(demo, Offset=off, Limit=2)["DiskSet"]]
    assert sorted(seen) == sorted(d["DiskId"] for d in disks(demo, Limit=100)["DiskSet"])
    assert seen[0] == "disk-gzuser01"  # the oldest first: CREATE_TIME ascending by default
    desc = disks(demo, Order="DESC", Limit=1)["DiskSet"]
    assert desc[0]["DiskId"] == "disk-gzlive02"


def test_describe_disks_refuses_what_the_cloud_refuses(demo: Api) -> None:
    assert code(disks, demo, Limit=101) == "InvalidParameterValue.LimitExceeded"
    assert code(disks, demo, DiskIds=["disk-gzleft01"], Filters=[by_tag("a", "b")]) == "InvalidParameter"
    assert code(disks, demo, Filters=[{"Name": "colour", "Values": ["x"]}]) == "InvalidFilter"
    assert code(disks, demo, DiskIds=[f"disk-{i:08d}" for i in range(101)]) == "InvalidParameterValue.LimitExceeded"
    assert code(disks, demo, Filters=[by_tag("k", *[str(i) for i in range(101)])]) == (
        "InvalidParameterValue.LimitExceeded"
    )


# ---- clb DescribeLoadBalancers -------------------------------------------------------------------------------


def test_describe_load_balancers_filters_by_tags(demo: Api) -> None:
    def ids(**params: Any) -> set[str]:
        return {lb["LoadBalancerId"] for lb in lbs(demo, **params)["LoadBalancerSet"]}

    assert ids() == {"lb-gzleft01", "lb-gzreuse1", "lb-gzlive01"}
    assert ids(Filters=[by_tag("tke-clusterId", GONE)]) == {"lb-gzleft01", "lb-gzreuse1"}
    made = [by_tag("tke-clusterId", GONE), {"Name": "tag-key", "Values": ["tke-createdBy-flag"]}]
    assert ids(Filters=made) == {"lb-gzleft01"}
    assert ids(LoadBalancerIds=["lb-gzlive01"]) == {"lb-gzlive01"}
    one = lbs(demo, LoadBalancerIds=["lb-gzleft01"])["LoadBalancerSet"][0]
    assert {"TagKey": "tke-lb-serviceuuid", "TagValue": "6b1f0c1e-0d6a-4a51-9d0e-2f7b3c9a1e11"} in one["Tags"]
    assert one["MasterZone"]["Zone"] == "ap-guangzhou-3"
    assert ids(Filters=[{"Name": "master-zone-id", "Values": [str(one["MasterZone"]["ZoneId"])]}]) == {"lb-gzleft01"}
    paged = [lb["LoadBalancerId"] for off in range(3) for lb in lbs(demo, Offset=off, Limit=1)["LoadBalancerSet"]]
    assert sorted(paged) == sorted(ids()) and lbs(demo, Limit=1)["TotalCount"] == 3


def test_describe_load_balancers_refuses_what_the_cloud_refuses(demo: Api) -> None:
    assert code(lbs, demo, Limit=101) == "InvalidParameterValue.Range"
    assert code(lbs, demo, LoadBalancerIds=[f"lb-{i:08d}" for i in range(21)]) == "InvalidParameterValue.Length"
    # CLB documents tag-key and tag:<key>, not tag-value.
    assert code(lbs, demo, Filters=[{"Name": "tag-value", "Values": [GONE]}]) == "InvalidParameter.InvalidFilter"
    assert code(lbs, demo, Filters=[by_tag(f"k{i}", "v") for i in range(11)]) == "LimitExceeded"


# ---- vpc DescribeAddresses -----------------------------------------------------------------------------------


def test_describe_addresses_filters_by_tags_and_status(demo: Api, demo_world: World) -> None:
    def ids(**params: Any) -> set[str]:
        return {a["AddressId"] for a in addresses(demo, **params)["AddressSet"]}

    assert ids(Filters=[by_tag("tke-clusterId", GONE)]) == {"eip-gzleft01", "eip-gzgone02"}
    unbound = [{"Name": "tag-key", "Values": ["tke-created-eip"]}, {"Name": "address-status", "Values": ["UNBIND"]}]
    assert ids(Filters=unbound) == {"eip-gzleft01"}
    assert ids(AddressIds=["eip-gzuser01"]) == {"eip-gzuser01"}
    bound = addresses(demo, AddressIds=["eip-gzgone02"])["AddressSet"][0]
    assert (bound["AddressStatus"], bound["NetworkInterfaceId"], bound["InstanceType"]) == (
        "BIND_ENI", "eni-gz000002", "ENI")  # fmt: skip
    assert bound["CreatedTime"] == (demo_world.now - timedelta(days=70)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {"Key": "tke-created-eip", "Value": "true"} in bound["TagSet"]
    paged = [a["AddressId"] for off in range(0, 4, 3) for a in addresses(demo, Offset=off, Limit=3)["AddressSet"]]
    assert len(paged) == len(set(paged)) == 4


def test_describe_addresses_refuses_what_the_cloud_refuses(demo: Api) -> None:
    assert code(addresses, demo, Limit=101) == "InvalidParameterValue.Range"
    assert code(addresses, demo, AddressIds=["eip-gzleft01"], Filters=[{"Name": "address-id", "Values": ["x"]}]) == (
        "InvalidParameter"
    )
    assert code(addresses, demo, AddressIds=["ip-1"]) == "InvalidParameterValue.AddressIdMalformed"
    assert code(addresses, demo, Filters=[{"Name": "colour", "Values": ["x"]}]) == "InvalidParameter.FilterInvalidKey"


# ---- tag GetResources ----------------------------------------------------------------------------------------


def name(service: str, prefix: str, rid: str) -> str:
    return f"qcs::{service}:{GZ}:uin/{UIN}:{prefix}/{rid}"


def test_get_resources_finds_every_product_by_tag_with_six_segment_names(demo: Api) -> None:
    answer = get_resources(demo, {"TagFilters": [{"TagKey": "tke-clusterId", "TagValue": [GONE]}]})
    assert answer["PaginationToken"] == ""
    assert {m["Resource"] for m in answer["ResourceTagMappingList"]} == {
        name("cvm", "volume", "disk-gzleft01"), name("cvm", "volume", "disk-gzgone02"),
        name("clb", "clb", "lb-gzleft01"), name("clb", "clb", "lb-gzreuse1"),
        name("cvm", "eip", "eip-gzleft01"), name("cvm", "eip", "eip-gzgone02"),
    }  # fmt: skip
    # Groups are ANDed: TKE-made (createdBy) and of the deleted cluster leaves the one TKE CLB.
    made = [{"TagKey": "tke-clusterId", "TagValue": [GONE]}, {"TagKey": "tke-createdBy-flag", "TagValue": ["yes"]}]
    only = get_resources(demo, {"TagFilters": made})["ResourceTagMappingList"]
    assert [m["Resource"] for m in only] == [name("clb", "clb", "lb-gzleft01")]
    assert {"TagKey": "tke-lb-serviceuuid", "TagValue": "6b1f0c1e-0d6a-4a51-9d0e-2f7b3c9a1e11"} in only[0]["Tags"]
    # A group without values matches the key; CVM instances are resources too.
    asg = get_resources(demo, {"TagFilters": [{"TagKey": "tencentcloud:autoscaling:auto-scaling-group-id"}]})
    assert name("cvm", "instance", "ins-gzweb001") in {m["Resource"] for m in asg["ResourceTagMappingList"]}


def test_get_resources_pages_with_a_token(demo: Api) -> None:
    everything = get_resources(demo, {"MaxResults": 200})["ResourceTagMappingList"]
    assert len(everything) > 5
    seen: list[str] = []
    token = ""
    for _ in range(len(everything) + 1):
        page = get_resources(demo, {"MaxResults": 2, "PaginationToken": token})
        assert len(page["ResourceTagMappingList"]) <= 2
        seen += [m["Resource"] for m in page["ResourceTagMappingList"]]
        token = page["PaginationToken"]
        if not token:
            break
    assert seen == [m["Resource"] for m in everything]
    assert len(get_resources(demo, {})["ResourceTagMappingList"]) == min(50, len(everything))  # default 50
    wanted = [name("cvm", "volume", "disk-gzleft01"), name("clb", "clb", "lb-nothere1")]
    listed = get_resources(demo, {"ResourceList": wanted, "MaxResults": 1})["ResourceTagMappingList"]
    assert [m["Resource"] for m in listed] == wanted[:1]


def test_get_resources_refuses_what_the_cloud_refuses(demo: Api) -> None:
    def err(params: dict[str, Any]) -> str:
        return code(get_resources, demo, params)

    seven = [{"TagKey": f"k{i}"} for i in range(7)]
    assert err({"TagFilters": seven}) == "InvalidParameterValue.TagFilters"
    eleven = [{"TagKey": "k", "TagValue": [str(i) for i in range(11)]}]
    assert err({"TagFilters": eleven}) == "InvalidParameterValue.TagFiltersLengthExceeded"
    assert err({"TagFilters": [{"TagValue": ["x"]}]}) == "InvalidParameterValue.TagKeyEmpty"
    assert err({"MaxResults": 201}) == "InvalidParameter"
    assert err({"PaginationToken": "not-a-token"}) == "InvalidParameter.PaginationTokenInvalid"
    assert err({"ResourceList": [f"qcs::cvm:{GZ}:uin/{UIN}:volume/disk-{i}" for i in range(11)]}) == (
        "LimitExceeded.ResourceNumPerRequest"
    )


def test_get_resources_is_limited_to_20_calls_a_second(serve: Any, demo_world: World) -> None:
    api = serve(demo_world, rate_limits="real")
    api.em.limiter = RateLimiter(clock=lambda: 0.0)  # no token comes back, however slow the machine
    results = []
    for _ in range(21):
        try:
            get_resources(api, {"MaxResults": 1})
            results.append("ok")
        except TencentCloudSDKException as exc:
            results.append(str(exc.get_code()))
    assert results == ["ok"] * 20 + ["RequestLimitExceeded"]


def test_get_resources_walks_from_its_first_page_as_a_cursor(serve: Any, demo_world: World) -> None:
    """A walk's later pages come from what its first page found (the real service does not pass over every resource
    again per page); a new walk sees the world as it is now; a token from before cursors (no walk) still reads."""
    api = serve(demo_world)
    first = get_resources(api, {"MaxResults": 2})
    everything = get_resources(api, {"MaxResults": 200})["ResourceTagMappingList"]
    gone = everything[3]["Resource"].rsplit("/", 1)[1]
    region = everything[3]["Resource"].split(":")[3]
    with api.em.store.lock:
        for kind in ("disks", "load_balancers", "addresses"):
            getattr(api.em.store.regions[region], kind).pop(gone, None)
        api.em.store.regions[region].instances[:] = [
            d for d in api.em.store.regions[region].instances if d["InstanceId"] != gone
        ]
    later = get_resources(api, {"MaxResults": 2, "PaginationToken": first["PaginationToken"]})
    assert [m["Resource"] for m in later["ResourceTagMappingList"]] == [m["Resource"] for m in everything[2:4]]
    now = [m["Resource"] for m in get_resources(api, {"MaxResults": 200})["ResourceTagMappingList"]]
    assert now == [m["Resource"] for m in everything if not m["Resource"].endswith("/" + gone)]
    old_style = base64.urlsafe_b64encode(b"o:2").decode()
    assert get_resources(api, {"MaxResults": 2, "PaginationToken": old_style})["ResourceTagMappingList"][0] == (
        {"Resource": now[2], "Tags": everything[2]["Tags"]}
    )


# ---- tke DescribeEKSClusters and DescribeTKEEdgeClusters --------------------------------------------------------


def test_serverless_and_edge_clusters_are_listed_apart_from_describe_clusters(demo: Api) -> None:
    from tencentcloud.tke.v20180525 import models as tke_models

    def listed(action: str, **params: Any) -> set[str]:
        return {c["ClusterId"] for c in sdk(demo.tke(), tke_models, action, params)["Clusters"]}

    assert listed("DescribeEKSClusters") == {"cls-eksgz001"}
    assert listed("DescribeEKSClusters", ClusterIds=["cls-eksgz001", GONE]) == {"cls-eksgz001"}
    assert listed("DescribeTKEEdgeClusters", ClusterIds=["cls-eksgz001"]) == set()  # a serverless one, not edge
    assert "cls-eksgz001" not in listed("DescribeClusters", Limit=100)
    eks = sdk(demo.tke(), tke_models, "DescribeEKSClusters", {})["Clusters"][0]
    assert (eks["ClusterName"], eks["Status"]) == ("jobs-serverless", "Running")
    assert code(sdk, demo.tke(), tke_models, "DescribeEKSClusters", {"Limit": 101}) == "InvalidParameter.Param"
    bad_filter = {"Filters": [{"Name": "vpc-id", "Values": ["x"]}]}
    assert code(sdk, demo.tke(), tke_models, "DescribeTKEEdgeClusters", bad_filter) == "InvalidParameter.Param"
