"""cvm 2017-03-12 DescribeInstances through CvmClient: routing, validation, paging, filters, concurrency."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.cvm.v20170312 import models

REGION = "ap-guangzhou"
ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]
STATES = ["RUNNING", "RUNNING", "STOPPED", "SHUTDOWN", "PENDING"]
CHARGES = ["POSTPAID_BY_HOUR", "PREPAID", "SPOTPAID"]
NAMES = ["web", "db", "cache", "batch", "api"]
VPCS = ["vpc-a0000001", "vpc-b0000002"]
ENVS = ["prod", "staging", "dev", None]
N = 57


def make_instance(i: int) -> dict[str, Any]:
    tags = []
    env = ENVS[i % len(ENVS)]
    if env:
        tags.append({"Key": "env", "Value": env})
    if i % 5 == 0:  # "prod" as the value of another key: tag:env=prod must not match these
        tags.append({"Key": "team", "Value": "prod"})
    return {
        # Ids not in sorted order, so that "stable order" cannot come from sorting by accident.
        "InstanceId": f"ins-{(i * 37) % 1000:05d}",
        "InstanceName": f"{NAMES[i % 5]}-{'abc'[i % 3]}",
        "InstanceState": STATES[i % len(STATES)],
        "InstanceChargeType": CHARGES[i % len(CHARGES)],
        "CreatedTime": f"-{i + 1}h",
        "Placement": {"Zone": ZONES[i % len(ZONES)]},
        "VirtualPrivateCloud": {"VpcId": VPCS[(i // 2) % 2], "SubnetId": "subnet-00000001"},
        "PrivateIpAddresses": [f"10.0.{i // 200}.{i % 200 + 1}"],
        "Tags": tags,
    }


INSTANCES = [make_instance(i) for i in range(N)]
WORLD = {"regions": {REGION: {"instances": INSTANCES}, "ap-shanghai": {}}}


@pytest.fixture(scope="module")
def api(serve_module):
    """One emulator on the filter world for the whole module (read-only tests)."""
    return serve_module(WORLD)


def describe(api, params: dict[str, Any], region: str = REGION) -> models.DescribeInstancesResponse:
    req = models.DescribeInstancesRequest()
    req.from_json_string(json.dumps(params))
    return api.cvm(region).DescribeInstances(req)


def list_all(api, params: dict[str, Any], limit: int) -> tuple[list[str], set[int]]:
    """Page to the end; returns the ids in order and every TotalCount seen."""
    ids: list[str] = []
    totals: set[int] = set()
    offset = 0
    while True:
        resp = describe(api, {**params, "Offset": offset, "Limit": limit})
        totals.add(resp.TotalCount)
        assert len(resp.InstanceSet) <= limit
        ids += [i.InstanceId for i in resp.InstanceSet]
        offset += limit
        if offset >= resp.TotalCount:
            return ids, totals


def sdk_error(call: Callable[[], Any]) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        call()
    return str(info.value.get_code())


# ---- routing and validation ---------------------------------------------------------------------------------


def test_unknown_action_is_invalid_action(api):
    client = api.common("cvm", "2017-03-12", REGION)
    assert sdk_error(lambda: client.call_json("DescribeUnicorns", {})) == "InvalidAction"


def test_unknown_version_is_no_such_version(api):
    client = api.common("cvm", "2099-01-01", REGION)
    assert sdk_error(lambda: client.call_json("DescribeInstances", {})) == "NoSuchVersion"


def test_unknown_parameter_is_rejected(api):
    client = api.common("cvm", "2017-03-12", REGION)
    assert sdk_error(lambda: client.call_json("DescribeInstances", {"Limit": 5, "Colour": "red"})) == "UnknownParameter"
    assert len(client.call_json("DescribeInstances", {"Limit": 5})["Response"]["InstanceSet"]) == 5


def _filters(n: int) -> list[dict[str, Any]]:
    return [{"Name": "zone", "Values": ZONES} for _ in range(n)]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Limit": 101}, "InvalidParameterValue.LimitExceeded"),
        ({"Filters": _filters(11)}, "InvalidParameterValue.LimitExceeded"),
        ({"Filters": [{"Name": "zone", "Values": [*ZONES, "a", "b", "c"]}]}, "InvalidFilterValue.LimitExceeded"),
        (
            {"InstanceIds": [INSTANCES[0]["InstanceId"]], "Filters": [{"Name": "zone", "Values": ZONES[:1]}]},
            "InvalidParameter",
        ),
        ({"Filters": [{"Name": "colour", "Values": ["red"]}]}, "InvalidFilter"),
        ({"InstanceIds": [f"ins-{i:08d}" for i in range(101)]}, "InvalidParameterValue.LimitExceeded"),
    ],
    ids=["limit-101", "11-filters", "6-values", "ids-and-filters", "unknown-filter", "101-ids"],
)
def test_invalid_describe_instances_parameters(api, params, code):
    assert sdk_error(lambda: describe(api, params)) == code


@pytest.mark.parametrize(
    "params",
    [
        {"Limit": 100},
        {"Filters": _filters(10)},
        {"Filters": [{"Name": "zone", "Values": [*ZONES, "a", "b"]}]},
        {"InstanceIds": [INSTANCES[0]["InstanceId"]]},
    ],
    ids=["limit-100", "10-filters", "5-values", "ids-alone"],
)
def test_limits_are_inclusive(api, params):
    resp = describe(api, params)
    assert resp.TotalCount == (1 if "InstanceIds" in params else N)


@pytest.mark.parametrize(("region", "code"), [("", "MissingParameter"), ("ap-atlantis", "UnsupportedRegion")])
def test_regional_api_needs_a_known_region(api, region, code):
    assert sdk_error(lambda: describe(api, {}, region=region)) == code


# ---- DescribeInstances --------------------------------------------------------------------------------------


def test_default_limit_is_20(api):
    resp = describe(api, {})
    assert resp.TotalCount == N
    assert len(resp.InstanceSet) == 20


def test_other_region_is_separate(api):
    resp = describe(api, {}, region="ap-shanghai")
    assert resp.TotalCount == 0
    assert resp.InstanceSet == []


@pytest.mark.parametrize("limit", [1, 10, 20, 56, 100])
def test_paging_returns_every_instance_once_in_a_stable_order(api, limit):
    first, totals = list_all(api, {}, limit)
    assert totals == {N}
    assert len(first) == N
    assert sorted(first) == sorted(i["InstanceId"] for i in INSTANCES)
    again, _ = list_all(api, {}, 7)
    assert again == first


def test_offset_past_the_end_is_empty(api):
    resp = describe(api, {"Offset": N, "Limit": 10})
    assert resp.TotalCount == N
    assert resp.InstanceSet == []


def test_instance_ids_lookup(api):
    wanted = [INSTANCES[5]["InstanceId"], INSTANCES[40]["InstanceId"], "ins-nothere1"]
    resp = describe(api, {"InstanceIds": wanted})
    assert resp.TotalCount == 2
    got = {i.InstanceId: i for i in resp.InstanceSet}
    assert set(got) == set(wanted[:2])
    inst = got[INSTANCES[40]["InstanceId"]]
    src = INSTANCES[40]
    assert inst.InstanceName == src["InstanceName"]
    assert inst.InstanceState == src["InstanceState"]
    assert inst.InstanceChargeType == src["InstanceChargeType"]
    assert inst.Placement.Zone == src["Placement"]["Zone"]
    assert inst.VirtualPrivateCloud.VpcId == src["VirtualPrivateCloud"]["VpcId"]
    assert inst.PrivateIpAddresses == src["PrivateIpAddresses"]
    assert [(t.Key, t.Value) for t in inst.Tags] == [(t["Key"], t["Value"]) for t in src["Tags"]]


def _tag(d: dict[str, Any], key: str) -> str | None:
    return next((t["Value"] for t in d["Tags"] if t["Key"] == key), None)


FILTER_CASES: list[tuple[str, list[dict[str, Any]], Callable[[dict[str, Any]], bool]]] = [
    ("zone", [{"Name": "zone", "Values": ["ap-guangzhou-3"]}], lambda d: d["Placement"]["Zone"] == "ap-guangzhou-3"),
    (
        "zone-or",
        [{"Name": "zone", "Values": ["ap-guangzhou-3", "ap-guangzhou-6"]}],
        lambda d: d["Placement"]["Zone"] in ("ap-guangzhou-3", "ap-guangzhou-6"),
    ),
    ("state", [{"Name": "instance-state", "Values": ["STOPPED"]}], lambda d: d["InstanceState"] == "STOPPED"),
    (
        "state-or",
        [{"Name": "instance-state", "Values": ["SHUTDOWN", "PENDING"]}],
        lambda d: d["InstanceState"] in ("SHUTDOWN", "PENDING"),
    ),
    (
        "charge",
        [{"Name": "instance-charge-type", "Values": ["PREPAID"]}],
        lambda d: d["InstanceChargeType"] == "PREPAID",
    ),
    ("name", [{"Name": "instance-name", "Values": ["db-b"]}], lambda d: d["InstanceName"] == "db-b"),
    ("vpc", [{"Name": "vpc-id", "Values": [VPCS[1]]}], lambda d: d["VirtualPrivateCloud"]["VpcId"] == VPCS[1]),
    ("tag-key", [{"Name": "tag-key", "Values": ["team"]}], lambda d: _tag(d, "team") is not None),
    ("tag-value", [{"Name": "tag-value", "Values": ["prod"]}], lambda d: "prod" in (_tag(d, "env"), _tag(d, "team"))),
    ("tag:env", [{"Name": "tag:env", "Values": ["prod"]}], lambda d: _tag(d, "env") == "prod"),
    ("tag:env-or", [{"Name": "tag:env", "Values": ["prod", "dev"]}], lambda d: _tag(d, "env") in ("prod", "dev")),
    (
        "instance-id",
        [{"Name": "instance-id", "Values": [INSTANCES[3]["InstanceId"], INSTANCES[9]["InstanceId"]]}],
        lambda d: d["InstanceId"] in (INSTANCES[3]["InstanceId"], INSTANCES[9]["InstanceId"]),
    ),
    (
        "and",
        [
            {"Name": "zone", "Values": ["ap-guangzhou-4", "ap-guangzhou-6"]},
            {"Name": "instance-state", "Values": ["RUNNING"]},
            {"Name": "tag:env", "Values": ["staging", "prod"]},
        ],
        lambda d: (
            d["Placement"]["Zone"] != "ap-guangzhou-3"
            and d["InstanceState"] == "RUNNING"
            and _tag(d, "env") in ("staging", "prod")
        ),
    ),
    (
        "and-vpc-charge",
        [{"Name": "vpc-id", "Values": [VPCS[0]]}, {"Name": "instance-charge-type", "Values": ["SPOTPAID"]}],
        lambda d: d["VirtualPrivateCloud"]["VpcId"] == VPCS[0] and d["InstanceChargeType"] == "SPOTPAID",
    ),
]


@pytest.mark.parametrize(("filters", "predicate"), [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES])
def test_filters(api, filters, predicate):
    expected = [d["InstanceId"] for d in INSTANCES if predicate(d)]
    assert 0 < len(expected) < N, "the case must select some but not all instances"
    got, totals = list_all(api, {"Filters": filters}, 5)
    assert totals == {len(expected)}
    assert sorted(got) == sorted(expected)


# ---- concurrency --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_40_clients_page_a_5000_instance_world(serve):
    n, clients = 5000, 40
    instances = [
        {"InstanceId": f"ins-{i:08x}", "CreatedTime": "-1d", "Placement": {"Zone": ZONES[i % 3]}} for i in range(n)
    ]
    api = serve({"regions": {REGION: {"instances": instances}}})
    expected = [d["InstanceId"] for d in instances]
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(clients)

    def work(k: int) -> None:
        try:
            client = api.common("cvm", "2017-03-12", REGION)
            start.wait()
            ids: list[str] = []
            offset = 0
            while True:
                resp = client.call_json("DescribeInstances", {"Offset": offset, "Limit": 100})["Response"]
                assert resp["TotalCount"] == n
                ids += [i["InstanceId"] for i in resp["InstanceSet"]]
                offset += 100
                if offset >= resp["TotalCount"]:
                    break
            results[k] = ids
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    assert len(results) == clients
    for ids in results.values():
        assert len(ids) == n
        assert set(ids) == set(expected)
    assert len({tuple(ids) for ids in results.values()}) == 1, "every client sees the same stable order"
    assert api.stat("cvm", "DescribeInstances", REGION)["calls"] == clients * n // 100
