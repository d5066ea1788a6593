"""Rate limits, fault injection and the /__stats counters, all observed through the real SDK."""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from collections.abc import Callable
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.cvm.v20170312 import models as cvm_models
from tencentcloud.tke.v20180525 import models as tke_models

from tke_orphans_testkit.emulator import FaultPlan
from tke_orphans_testkit.emulator.ratelimit import RateLimiter, real_limit

GZ, SH = "ap-guangzhou", "ap-shanghai"
SMALL = {
    "regions": {
        region: {
            "instances": [
                {"InstanceId": f"ins-{region[3:5]}{i:04d}", "CreatedTime": "-1d", "Placement": {"Zone": f"{region}-3"}}
                for i in range(3)
            ]
        }
        for region in (GZ, SH)
    }
}


def describe(client: Any) -> Any:
    return client.DescribeInstances(cvm_models.DescribeInstancesRequest())


def cluster_instances(client: Any, cluster_id: str) -> Any:
    r = tke_models.DescribeClusterInstancesRequest()
    r.from_json_string(json.dumps({"ClusterId": cluster_id}))
    return client.DescribeClusterInstances(r)


def outcome(call: Callable[[], Any]) -> str:
    """'ok' or the SDK error code."""
    try:
        call()
    except TencentCloudSDKException as exc:
        return str(exc.get_code())
    return "ok"


def burst(
    api: Any, regions: list[str], total: int, threads: int, action: str = "DescribeInstances", apis: Any = ()
) -> list[str]:
    """`total` calls of a cvm or tke Describe action over `threads` threads, round-robin over `regions`
    (and over `apis`, each signed with another credential, when given)."""
    per = total // threads
    signers = list(apis) or [api]

    def make(i: int) -> Callable[[], Any]:
        signer, region = signers[i % len(signers)], regions[i % len(regions)]
        if action == "DescribeInstances":
            client = signer.cvm(region)
            return lambda: describe(client)
        tke = signer.tke(region)
        return lambda: tke.DescribeClusters(tke_models.DescribeClustersRequest())

    calls = [[make(t * per + k) for k in range(per)] for t in range(threads)]
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def work(mine: list[Callable[[], Any]]) -> None:
        barrier.wait()
        out = [outcome(call) for call in mine]
        with lock:
            results.extend(out)

    workers = [threading.Thread(target=work, args=(calls[t],)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert len(results) == total
    return results


# ---- rate limits --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "action", "calls"),
    [("cvm", "DescribeInstances", 60), ("tke", "DescribeClusters", 40)],
    ids=["cvm-40-per-s", "tke-20-per-s"],
)
def test_real_rate_limits_throttle_a_burst_in_one_region(serve, service, action, calls):
    api = serve(SMALL, rate_limits="real")
    # The limiter's clock stands still: however slowly a loaded machine sends the burst, no token comes back, so
    # exactly the calls past one second's budget are refused.
    api.em.limiter = RateLimiter(clock=lambda: 0.0)
    results = burst(api, [GZ], calls, 10, action)
    throttled = results.count("RequestLimitExceeded")
    assert throttled == calls - int(real_limit(service, action)), f"{calls} calls at once exceed the {action} budget"
    assert set(results) <= {"ok", "RequestLimitExceeded"}
    row = api.stat(service, action, GZ)
    assert row["calls"] == calls
    assert row["throttled"] == throttled
    assert row["errors"] == throttled
    assert api.stats()["totals"]["throttled"] == throttled


def test_regions_have_separate_budgets(serve):
    api = serve(SMALL, rate_limits="real")
    results = burst(api, [GZ, SH], 60, 10)
    assert results.count("ok") == 60
    assert api.stats()["totals"]["throttled"] == 0
    assert api.stat("cvm", "DescribeInstances", GZ)["calls"] == 30
    assert api.stat("cvm", "DescribeInstances", SH)["calls"] == 30


def test_credentials_have_separate_budgets(serve):
    world = {
        "credentials": [
            {"secret_id": "AKIDone", "secret_key": "key-one"},
            {"secret_id": "AKIDtwo", "secret_key": "key-two"},
        ],
        **SMALL,
    }
    api = serve(world, rate_limits="real")
    other = dataclasses.replace(api, secret_id="AKIDtwo", secret_key="key-two")
    results = burst(api, [GZ], 60, 10, apis=[api, other])
    assert results.count("ok") == 60
    row = api.stat("cvm", "DescribeInstances", GZ)
    assert (row["calls"], row["throttled"]) == (60, 0)


def test_rate_limits_off_never_throttle(serve):
    api = serve(SMALL, rate_limits="off")
    results = burst(api, [GZ], 60, 10)
    assert results.count("ok") == 60
    assert api.stats()["totals"]["throttled"] == 0


def test_delete_stats_resets_the_counters(serve):
    api = serve(SMALL)
    client = api.cvm(GZ)
    for _ in range(3):
        describe(client)
    assert api.stats()["totals"]["calls"] == 3
    api.reset_stats()
    zero = {"calls": 0, "throttled": 0, "errors": 0, "faults": 0}
    assert api.stats() == {"actions": [], "totals": zero, "accounts": {}, "assumed_roles": []}
    describe(client)
    assert api.stat("cvm", "DescribeInstances", GZ)["calls"] == 1


# ---- faults -------------------------------------------------------------------------------------------------


def test_error_fault_matches_by_params(serve, demo_world):
    faults = FaultPlan.from_data(
        {
            "faults": [
                {
                    "service": "tke",
                    "action": "DescribeClusterInstances",
                    "params": {"ClusterId": "cls-opsgz002"},
                    "code": "InternalError.CvmNotFound",
                    "message": "injected",
                }
            ]
        }
    )
    api = serve(demo_world, faults=faults)
    client = api.tke(GZ)
    with pytest.raises(TencentCloudSDKException) as info:
        cluster_instances(client, "cls-opsgz002")
    assert info.value.get_code() == "InternalError.CvmNotFound"
    assert info.value.get_message() == "injected"
    assert outcome(lambda: cluster_instances(client, "cls-opsgz002")) == "InternalError.CvmNotFound"
    assert cluster_instances(client, "cls-prodgz01").TotalCount > 0
    assert outcome(lambda: describe(api.cvm(GZ))) == "ok"
    row = api.stat("tke", "DescribeClusterInstances", GZ)
    assert (row["calls"], row["faults"], row["errors"]) == (3, 2, 2)


def test_fault_with_times_fires_exactly_that_often(serve):
    faults = FaultPlan.from_data(
        {"faults": [{"action": "DescribeInstances", "code": "ResourceUnavailable", "times": 2}]}
    )
    api = serve(SMALL, faults=faults)
    client = api.cvm(GZ)
    assert [outcome(lambda: describe(client)) for _ in range(5)] == ["ResourceUnavailable"] * 2 + ["ok"] * 3


def test_fault_region_must_match(serve):
    faults = FaultPlan.from_data({"faults": [{"region": SH, "code": "InternalError"}]})
    api = serve(SMALL, faults=faults)
    assert outcome(lambda: describe(api.cvm(GZ))) == "ok"
    assert outcome(lambda: describe(api.cvm(SH))) == "InternalError"


def test_fault_with_probability_fires_on_some_calls(serve):
    faults = FaultPlan.from_data(
        {"seed": 7, "faults": [{"action": "DescribeInstances", "code": "InternalError", "probability": 0.5}]}
    )
    api = serve(SMALL, faults=faults)
    client = api.cvm(GZ)
    results = [outcome(lambda: describe(client)) for _ in range(40)]
    fired = results.count("InternalError")
    assert 0 < fired < 40
    assert fired + results.count("ok") == 40
    assert api.stat("cvm", "DescribeInstances", GZ)["faults"] == fired


def test_http_500_is_a_server_network_error(serve):
    api = serve(SMALL, faults=FaultPlan.from_data({"faults": [{"effect": "http_500", "times": 1}]}))
    client = api.cvm(GZ)
    assert outcome(lambda: describe(client)) == "ServerNetworkError"
    assert outcome(lambda: describe(client)) == "ok"


def test_hang_is_a_client_timeout(serve):
    api = serve(SMALL, faults=FaultPlan.from_data({"faults": [{"effect": "hang", "hang_seconds": 5, "times": 1}]}))
    client = api.cvm(GZ, timeout=1)
    with pytest.raises(TencentCloudSDKException) as info:
        describe(client)
    assert info.value.get_code() == "ClientNetworkError"
    assert "timed out" in info.value.get_message().lower()
    assert describe(api.cvm(GZ, timeout=2)).TotalCount == 3


def test_reset_is_a_client_network_error(serve):
    api = serve(SMALL, faults=FaultPlan.from_data({"faults": [{"effect": "reset", "times": 1}]}))
    client = api.cvm(GZ, timeout=2)
    with pytest.raises(TencentCloudSDKException) as info:
        describe(client)
    assert info.value.get_code() == "ClientNetworkError"
    message = info.value.get_message().lower()
    assert "timed out" not in message
    assert "reset" in message or "aborted" in message
    assert describe(client).TotalCount == 3


def test_delay_is_the_real_answer_late_and_no_error(serve):
    api = serve(SMALL, faults=FaultPlan.from_data({"faults": [{"effect": "delay", "delay_seconds": 0.2, "times": 1}]}))
    assert describe(api.cvm(GZ)).TotalCount == 3
    stat = api.stat("cvm", "DescribeInstances", GZ)
    assert (stat["calls"], stat["errors"], stat["faults"]) == (1, 0, 0)


def test_value_sets_a_field_everywhere_in_the_real_answer(serve):
    """Raw JSON through the SDK's common client: the figure no real answer has arrives as written (NaN bare)."""
    fault = {"action": "DescribeInstances", "effect": "value", "field": "CPU", "value": float("nan")}
    api = serve(SMALL, faults=FaultPlan.from_data({"faults": [fault]}))
    body = api.common("cvm", "2017-03-12", GZ).call_json("DescribeInstances", {})
    cpus = [i["CPU"] for i in body["Response"]["InstanceSet"]]
    assert len(cpus) == 3 and all(math.isnan(c) for c in cpus)  # in every item
    assert body["Response"]["TotalCount"] == 3


def test_value_needs_a_field():
    with pytest.raises(Exception, match="needs `field`"):
        FaultPlan.from_data({"faults": [{"effect": "value", "value": 1}]})


def test_truncate_breaks_json_decoding(serve):
    """What really happens: model clients wrap the decode error in an SDK exception, call_json lets it through."""
    api = serve(SMALL, faults=FaultPlan.from_data({"faults": [{"effect": "truncate", "times": 2}]}))
    with pytest.raises(TencentCloudSDKException) as info:
        describe(api.cvm(GZ))
    assert info.value.get_code() == "JSONDecodeError"
    with pytest.raises(json.JSONDecodeError):  # a ValueError
        api.common("cvm", "2017-03-12", GZ).call_json("DescribeInstances", {})
    assert describe(api.cvm(GZ)).TotalCount == 3


# ---- statistics ---------------------------------------------------------------------------------------------


def test_stats_count_per_service_action_region(serve):
    api = serve(
        SMALL, faults=FaultPlan.from_data({"faults": [{"region": SH, "action": "DescribeInstances", "times": 1}]})
    )
    gz, sh = api.cvm(GZ), api.cvm(SH)
    for _ in range(3):
        describe(gz)
    assert outcome(lambda: api.common("cvm", "2017-03-12", GZ).call_json("DescribeInstances", {"Limit": 500})) != "ok"
    assert outcome(lambda: describe(sh)) == "InternalError"
    describe(sh)
    api.call("region", "2022-06-27", "DescribeRegions", {"Product": "cvm"})
    rows = {(r["service"], r["action"], r["region"]): r for r in api.stats()["actions"]}
    assert set(rows) == {
        ("cvm", "DescribeInstances", GZ),
        ("cvm", "DescribeInstances", SH),
        ("region", "DescribeRegions", ""),
    }
    pick = ("calls", "errors", "faults", "throttled")
    assert tuple(rows["cvm", "DescribeInstances", GZ][k] for k in pick) == (4, 1, 0, 0)
    assert tuple(rows["cvm", "DescribeInstances", SH][k] for k in pick) == (2, 1, 1, 0)
    assert tuple(rows["region", "DescribeRegions", ""][k] for k in pick) == (1, 0, 0, 0)
    assert api.stats()["totals"] == {"calls": 7, "errors": 2, "faults": 1, "throttled": 0}


def test_stats_peak_concurrency(serve):
    api = serve(SMALL, latency_ms=200)
    barrier = threading.Barrier(5)
    clients = [api.cvm(GZ) for _ in range(5)]
    results: list[str] = []

    def work(client: Any) -> None:
        barrier.wait()
        results.append(outcome(lambda: describe(client)))

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results == ["ok"] * 5
    row = api.stat("cvm", "DescribeInstances", GZ)
    assert row["calls"] == 5
    assert 2 <= row["peak_concurrency"] <= 5
    describe(clients[0])
    assert api.stat("cvm", "DescribeInstances", GZ)["peak_concurrency"] == row["peak_concurrency"]
