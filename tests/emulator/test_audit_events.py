"""cloudaudit DescribeEvents through CloudauditClient: TKE's deleting calls are written to the account's audit log
with their parameters and caller, seen after the configured delay, paged with NextToken/ListOver, and every
documented limit is refused with its code."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.cloudaudit.v20190319 import models as audit_models
from tencentcloud.cloudaudit.v20190319.cloudaudit_client import CloudauditClient
from tencentcloud.tke.v20180525 import models as tke_models

from tke_orphans_testkit.emulator import FaultPlan, World
from tke_orphans_testkit.emulator.ratelimit import RateLimiter

Api = Any  # the `Api` helper of this folder's conftest: a running emulator and SDK clients for it
GZ = "ap-guangzhou"
PROD = "cls-prodgz01"
DAY = 86400


class Clock:
    """The emulator's clock, moved by the test (within the signature's five minutes of skew)."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(serve: Callable[..., Api], demo_world: World, clock: Clock) -> Api:
    return serve(demo_world, clock=clock)


def tke(api: Api, action: str, params: dict[str, Any]) -> Any:
    return api.sdk(api.tke(GZ), tke_models, action, params)


def events(api: Api, params: dict[str, Any] | None = None, region: str = GZ) -> Any:
    """One DescribeEvents page; by default the last hour and the next minute."""
    now = int(api.em.clock())
    query = {"StartTime": now - 3600, "EndTime": now + 60, **(params or {})}
    client = CloudauditClient(api.credential(), region, api.profile())
    return api.sdk(client, audit_models, "DescribeEvents", query)


def every_event(api: Api, params: dict[str, Any], between: Callable[[], object] = lambda: None) -> list[Any]:
    out: list[Any] = []
    token = None
    for _ in range(100):
        page = events(api, {**params, **({"NextToken": token} if token else {})})
        out.extend(page["Events"])
        if page["ListOver"]:
            return out
        token = page["NextToken"]
        between()
    raise AssertionError("ListOver never came")


def remove(api: Api, *ids: str, mode: str = "retain") -> Any:
    return tke(api, "DeleteClusterInstances", {"ClusterId": PROD, "InstanceIds": list(ids), "InstanceDeleteMode": mode})


def test_each_deleting_call_writes_its_parameters_and_caller(api: Api) -> None:
    removed = remove(api, "ins-gzweb001")
    pool = {"ClusterId": PROD, "NodePoolIds": ["np-web00001"], "KeepInstance": True}
    dropped = tke(api, "DeleteClusterNodePool", pool)
    tke(api, "DeleteCluster", {"ClusterId": "cls-opsgz002", "InstanceDeleteMode": "retain"})
    tke(api, "DescribeClusters", {})  # not a deleting call: not audited here
    page = events(api)
    assert [e["EventName"] for e in page["Events"]] == [
        "DeleteCluster",
        "DeleteClusterNodePool",
        "DeleteClusterInstances",
    ]
    assert page["ListOver"] is True
    first = page["Events"][2]
    assert first["RequestID"] == removed["RequestId"]
    assert page["Events"][1]["RequestID"] == dropped["RequestId"]
    assert (first["Username"], first["AccountID"], first["EventRegion"]) == ("demo", 100000000001, GZ)
    assert first["Resources"] == {"ResourceType": "tke", "ResourceName": f"cluster/{PROD}|instance/ins-gzweb001"}
    assert first["EventNameCn"] == "删除集群中的实例"
    record = json.loads(first["CloudAuditEvent"])
    # As in the real log, the parameters and the answer are JSON strings inside the JSON string.
    assert json.loads(record["requestParameters"]) == {
        "ClusterId": PROD,
        "InstanceIds": ["ins-gzweb001"],
        "InstanceDeleteMode": "retain",
    }
    assert record["userIdentity"]["userName"] == "demo"
    assert record["userIdentity"]["principalId"] == "100000000001"
    assert record["requestID"] == record["eventID"] == first["EventId"] == removed["RequestId"]
    assert json.loads(record["responseElements"])["SuccInstanceIds"] == ["ins-gzweb001"]
    assert json.loads(record["resources"]) == [
        f"qcs::tke:{GZ}:uin/100000000001:cluster/{PROD}", f"qcs::cvm:{GZ}:uin/100000000001:instance/ins-gzweb001"
    ]  # fmt: skip
    assert abs(record["eventTime"] - api.em.clock()) < 600 and str(record["eventTime"]) == first["EventTime"]
    pool_record = json.loads(page["Events"][1]["CloudAuditEvent"])
    assert json.loads(pool_record["requestParameters"])["KeepInstance"] is True


def test_a_refused_call_writes_nothing(api: Api) -> None:
    bad = {"ClusterId": "cls-nothere1", "InstanceIds": ["ins-gzweb001"], "InstanceDeleteMode": "retain"}
    api.error_code(lambda: tke(api, "DeleteClusterInstances", bad))
    assert events(api)["Events"] == []


def test_an_event_is_seen_only_after_the_delay(api: Api, clock: Clock) -> None:
    api.em.store.audit.delay = 120
    remove(api, "ins-gzweb001")
    assert events(api)["Events"] == []
    clock.shift = 119
    assert events(api)["Events"] == []
    clock.shift = 121
    assert [e["EventName"] for e in events(api)["Events"]] == ["DeleteClusterInstances"]


def test_the_delay_is_an_emulator_option_and_a_world_key(serve: Callable[..., Api], demo_world: World) -> None:
    assert serve(demo_world, audit_delay=30).em.store.audit.delay == 30
    data = {"regions": {GZ: {}}, "audit": {"delay_seconds": 45}}
    assert serve(data).em.store.audit.delay == 45


def test_a_burst_of_100_events_pages_newest_first_and_holds_still_while_more_arrive(api: Api) -> None:
    written = [remove(api, f"ins-gone{i:04d}")["RequestId"] for i in range(100)]
    extra: list[str] = []
    seen = every_event(api, {"MaxResults": 30}, between=lambda: extra.append(remove(api, "ins-late0001")["RequestId"]))
    assert [e["RequestID"] for e in seen] == written[::-1]  # each once, newest first; later ones not mixed in
    assert len(extra) == 3
    assert len(every_event(api, {"MaxResults": 50})) == 103


def test_lookup_attributes_or_event_names_and_and_the_rest(api: Api) -> None:
    remove(api, "ins-gzweb001")
    tke(api, "DeleteClusterNodePool", {"ClusterId": PROD, "NodePoolIds": ["np-web00001"], "KeepInstance": True})
    tke(api, "DeleteCluster", {"ClusterId": "cls-opsgz002", "InstanceDeleteMode": "retain"})

    def names(*attrs: tuple[str, str]) -> list[str]:
        lookup = [{"AttributeKey": k, "AttributeValue": v} for k, v in attrs]
        return [e["EventName"] for e in events(api, {"LookupAttributes": lookup})["Events"]]

    assert names(("EventName", "DeleteClusterInstances"), ("EventName", "DeleteCluster")) == [
        "DeleteCluster", "DeleteClusterInstances"
    ]  # fmt: skip
    assert names(("ResourceId", PROD)) == ["DeleteClusterNodePool", "DeleteClusterInstances"]
    assert names(("ResourceId", PROD), ("ResourceId", "ins-gzweb001")) == ["DeleteClusterInstances"]
    assert names(("EventName", "DeleteCluster"), ("ResourceId", PROD)) == []
    assert names(("Username", "demo"), ("ResourceType", "tke"), ("ResourceName", "np-web00001")) == [
        "DeleteClusterNodePool"
    ]
    assert names(("Username", "alice")) == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"StartTime": None}, "InvalidParameter.Time"),
        ({"EndTime": None}, "InvalidParameter.Time"),
        ({"StartTime": 200, "EndTime": 100}, "InvalidParameterValue.Time"),
        ({"StartTime": -91 * DAY, "EndTime": -90 * DAY + 3600}, "LimitExceeded.OverTime"),
        ({"StartTime": -30 * DAY, "EndTime": 0}, "LimitExceeded.OverTime"),
        ({"MaxResults": 51}, "InvalidParameterValue.MaxResult"),
        ({"MaxResults": 0}, "InvalidParameterValue.MaxResult"),
        ({"LookupAttributes": [{"AttributeKey": "Bogus", "AttributeValue": ""}]}, "InvalidParameterValue.attributeKey"),
        ({"NextToken": 424242}, "InvalidParameterValue"),
    ],
)  # fmt: skip
def test_each_rule_is_refused_with_its_code(api: Api, params: dict[str, Any], code: str) -> None:
    now = int(api.em.clock())
    query = {"StartTime": now - 3600, "EndTime": now}
    for key, value in params.items():  # times relative to now
        query[key] = now + value if key.endswith("Time") and value is not None else value
    query = {k: v for k, v in query.items() if v is not None}
    client = CloudauditClient(api.credential(), GZ, api.profile())
    assert api.error_code(lambda: api.sdk(client, audit_models, "DescribeEvents", query)) == code


def test_the_limits_are_inclusive_where_documented(api: Api) -> None:
    now = int(api.em.clock())
    # 90 days back is allowed, and a span just under 30 days; an hour of slack for the request's own time.
    window = {"StartTime": now - 90 * DAY + 3600, "EndTime": now - 60 * DAY + 3599, "MaxResults": 50}
    client = CloudauditClient(api.credential(), GZ, api.profile())
    assert api.sdk(client, audit_models, "DescribeEvents", window)["ListOver"] is True


def test_it_needs_a_region_and_takes_any(api: Api) -> None:
    now = int(api.em.clock())
    query = {"StartTime": now - 60, "EndTime": now + 60}
    remove(api, "ins-gzweb001")
    assert len(api.call("cloudaudit", "2019-03-19", "DescribeEvents", query, "ap-singapore")["Events"]) == 1
    assert api.error_code(lambda: api.call("cloudaudit", "2019-03-19", "DescribeEvents", query, "")) == (
        "MissingParameter"
    )


def test_faults_and_rate_limits_work_on_it(serve: Callable[..., Api], demo_world: World) -> None:
    faults = FaultPlan.from_data({"faults": [
        {"action": "DescribeEvents", "times": 1, "code": "InternalError.SearchError"},
        {"action": "DescribeEvents", "times": 1, "effect": "value", "field": "Events", "value": []},
    ]})  # fmt: skip
    api = serve(demo_world, faults=faults, rate_limits="real")
    remove(api, "ins-gzweb001")
    assert api.error_code(lambda: events(api)) == "InternalError.SearchError"
    assert events(api)["Events"] == []  # an empty answer
    assert len(events(api)["Events"]) == 1
    # 20 a second: with the limiter's clock standing still, the 21st call of a burst is refused.
    api.em.limiter = RateLimiter(clock=lambda: 0.0)
    for _ in range(20):
        events(api)
    assert api.error_code(lambda: events(api)) == "RequestLimitExceeded"
