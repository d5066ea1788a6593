"""The original checker's call pattern, for comparison: one region, one call after another, 100 ms between pages,
the first 50 clusters only, the default InstanceRole (WORKER), and its substring heuristics.

It runs against the same emulator through the same official SDK, and returns what it would have reported.
"""

from __future__ import annotations

import time
from typing import Any

from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

TKE_LABELS = ("tke", "qcloud-app", "tencentcloud", "kubernetes", "cluster", "node")


def _looks_tke(inst: dict[str, Any]) -> bool:
    name = (inst.get("InstanceName") or "").lower()
    if "tke" in name or "k8s" in name or "-np-" in name:
        return True
    for tag in inst.get("Tags") or []:
        key, value = tag["Key"].lower(), (tag.get("Value") or "").lower()
        if any(label in key or label in value for label in TKE_LABELS):
            return True
    return False


def _call(client: CommonClient, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """The original ignored errors; a throttled call simply yields nothing, as `resp, _ :=` did."""
    try:
        return dict(client.call_json(action, params)["Response"])
    except TencentCloudSDKException:
        return {}


def original_scan(endpoint: str, secret_id: str, secret_key: str, region: str) -> set[str]:
    cred = credential.Credential(secret_id, secret_key)
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http"))
    cvm = CommonClient("cvm", "2017-03-12", cred, region, profile)
    tke = CommonClient("tke", "2018-05-25", cred, region, profile)
    instances: list[dict[str, Any]] = []
    offset, total = 0, None
    while total is None or len(instances) < total:
        page = _call(cvm, "DescribeInstances", {"Offset": offset, "Limit": 100})
        if not page.get("InstanceSet"):
            break
        instances += page["InstanceSet"]
        total = total or page.get("TotalCount", 0)
        offset += 100
        time.sleep(0.1)
    nodes: set[str] = set()
    for cluster in _call(tke, "DescribeClusters", {"Limit": 50}).get("Clusters") or []:
        offset = 0
        while True:
            page = _call(tke, "DescribeClusterInstances", {"ClusterId": cluster["ClusterId"], "Offset": offset,
                                                          "Limit": 100})  # fmt: skip
            items = page.get("InstanceSet") or []
            nodes |= {i["InstanceId"].lower() for i in items}
            if len(items) < 100:
                break
            offset += 100
            time.sleep(0.1)
    return {
        i["InstanceId"]
        for i in instances
        if _looks_tke(i)
        and (i.get("InstanceState") or "").lower() != "shutdown"
        and i["InstanceId"].lower() not in nodes
    }
