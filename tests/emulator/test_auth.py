"""Signature checks (TC3-HMAC-SHA256), the 5-minute skew rule and the response envelope."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from typing import Any

import pytest
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.cvm.v20170312 import models as cvm_models

from tke_orphans_testkit.emulator.signing import tc3_signature

REGION = "ap-guangzhou"


def _region_instances(world: Any, region: str) -> list[str]:
    return [i.InstanceId for i in world.spec.regions[region].instances]


def _sdk_error(call: Any) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as info:
        call()
    return info.value


def _signed_headers(
    host: str,
    body: bytes,
    *,
    secret_id: str,
    secret_key: str,
    action: str,
    version: str,
    service: str,
    region: str | None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers the SDK sends, signed over `host` exactly as given."""
    ts = int(time.time()) if timestamp is None else timestamp
    signature = tc3_signature(
        secret_key,
        service=service,
        timestamp=ts,
        headers={"content-type": "application/json", "host": host},
        signed_headers=["content-type", "host"],
        body=body,
    )
    date = time.strftime("%Y-%m-%d", time.gmtime(ts))
    headers = {
        "Host": host,
        "Content-Type": "application/json",
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(ts),
        "Authorization": (
            f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{service}/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        ),
    }
    if region:
        headers["X-TC-Region"] = region
    return headers


def test_good_request_is_answered(demo, demo_world):
    resp = demo.cvm(REGION).DescribeInstances(cvm_models.DescribeInstancesRequest())
    expected = _region_instances(demo_world, REGION)
    assert resp.TotalCount == len(expected)
    assert [i.InstanceId for i in resp.InstanceSet] == expected[:20]
    assert resp.RequestId


def test_wrong_secret_key_is_a_signature_failure(demo):
    client = demo.cvm(REGION)
    client.credential = demo.credential(secret_key=demo.secret_key + "x")
    err = _sdk_error(lambda: client.DescribeInstances(cvm_models.DescribeInstancesRequest()))
    assert err.get_code() == "AuthFailure.SignatureFailure"
    assert err.get_request_id()


def test_unknown_secret_id_is_not_found(demo):
    client = demo.cvm(REGION)
    client.credential = demo.credential(secret_id="AKIDnobody000000000000000000000000000")
    err = _sdk_error(lambda: client.DescribeInstances(cvm_models.DescribeInstancesRequest()))
    assert err.get_code() == "AuthFailure.SecretIdNotFound"


@pytest.fixture(scope="module")
def token_api(serve_module):
    world = {
        "credentials": [{"secret_id": "AKIDtemp", "secret_key": "temp-key", "token": "tok-123"}],
        "regions": {REGION: {}},
    }
    return serve_module(world)


@pytest.mark.parametrize(("token", "ok"), [("tok-123", True), (None, False), ("tok-bad", False)])
def test_credentials_with_a_token_need_it(token_api, token, ok):
    client = token_api.cvm(REGION)
    client.credential = Credential("AKIDtemp", "temp-key", token)
    if ok:
        assert client.DescribeInstances(cvm_models.DescribeInstancesRequest()).TotalCount == 0
    else:
        err = _sdk_error(lambda: client.DescribeInstances(cvm_models.DescribeInstancesRequest()))
        assert err.get_code() == "AuthFailure.TokenFailure"


def test_server_clock_ten_minutes_ahead_expires_the_signature(serve, demo_world):
    api = serve(demo_world, clock=lambda: time.time() + 600)
    err = _sdk_error(lambda: api.cvm(REGION).DescribeInstances(cvm_models.DescribeInstancesRequest()))
    assert err.get_code() == "AuthFailure.SignatureExpire"


@pytest.fixture(scope="module")
def skewed(serve_module, demo_world):
    """An emulator whose clock runs `skewed.offset[0]` seconds off real time."""
    offset = [0.0]
    api = serve_module(demo_world, clock=lambda: time.time() + offset[0])
    return api, offset


@pytest.mark.parametrize(
    ("skew", "expired"),
    [(-600, True), (330, True), (-330, True), (240, False), (-240, False), (0, False)],
)
def test_the_allowed_clock_skew_is_five_minutes(skewed, demo_world, skew, expired):
    api, offset = skewed
    offset[0] = skew
    call = api.cvm(REGION).DescribeInstances
    if expired:
        err = _sdk_error(lambda: call(cvm_models.DescribeInstancesRequest()))
        assert err.get_code() == "AuthFailure.SignatureExpire"
    else:
        assert call(cvm_models.DescribeInstancesRequest()).TotalCount == len(_region_instances(demo_world, REGION))


@pytest.mark.parametrize(
    ("case", "error_code"),
    [
        ("success", None),
        ("api-error", "InvalidAction"),
        ("bad-signature", "AuthFailure.SignatureFailure"),
        ("unknown-secret-id", "AuthFailure.SecretIdNotFound"),
        ("missing-region", "MissingParameter"),
    ],
)
def test_every_answer_is_http_200_json_with_a_request_id(demo, case, error_code):
    body = b'{"Limit": 1}'
    kwargs: dict[str, Any] = {
        "secret_id": demo.secret_id,
        "secret_key": demo.secret_key,
        "action": "DescribeInstances",
        "version": "2017-03-12",
        "service": "cvm",
        "region": REGION,
    }
    if case == "api-error":
        kwargs["action"] = "DescribeNothing"
    elif case == "bad-signature":
        kwargs["secret_key"] = "not-the-key"
    elif case == "unknown-secret-id":
        kwargs["secret_id"] = "AKIDnobody"
    elif case == "missing-region":
        kwargs["region"] = None
    headers = _signed_headers(demo.em.endpoint, body, **kwargs)
    req = urllib.request.Request(demo.em.url + "/", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        status, content_type, raw = resp.status, resp.headers.get("Content-Type"), resp.read()
    assert status == 200
    assert content_type == "application/json"
    answer = json.loads(raw)
    assert set(answer) == {"Response"}
    assert isinstance(answer["Response"]["RequestId"], str)
    assert answer["Response"]["RequestId"]
    if error_code is None:
        assert "Error" not in answer["Response"]
        assert len(answer["Response"]["InstanceSet"]) == 1
    else:
        assert answer["Response"]["Error"]["Code"] == error_code
        assert answer["Response"]["Error"]["Message"]


def test_request_ids_are_unique(demo):
    client = demo.cvm(REGION)
    ids = {client.DescribeInstances(cvm_models.DescribeInstancesRequest()).RequestId for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize(("signed_as", "ok"), [("url", True), ("hostport", False)])
def test_tccli_style_host_header_is_verified_raw(demo, signed_as, ok):
    """tccli --endpoint http://127.0.0.1:PORT sends (and signs) Host: http://127.0.0.1:PORT."""
    url_host = demo.em.url  # "http://127.0.0.1:PORT", the literal Host header tccli sends
    body = json.dumps({"Limit": 2}).encode()
    headers = _signed_headers(
        url_host if signed_as == "url" else demo.em.endpoint,
        body,
        secret_id=demo.secret_id,
        secret_key=demo.secret_key,
        action="DescribeInstances",
        version="2017-03-12",
        service="cvm",
        region=REGION,
    )
    headers["Host"] = url_host
    host, port = demo.em.endpoint.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        answer = json.loads(resp.read())["Response"]
    finally:
        conn.close()
    assert resp.status == 200
    if ok:
        assert "Error" not in answer, answer
        assert len(answer["InstanceSet"]) == 2
    else:
        assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"
