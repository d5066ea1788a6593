"""One signed API call: the official SDK's signer, credential objects and HTTP connection, without its second parse.

`CommonClient.call` parses every answer with the standard json to look for `Response.Error`, and we must parse it
again to read it: two parses of up to 130 KB per page, and the SDK's request plumbing around them. Here the SDK
still does what users rely on: its credential object gives the keys (`get_credential_info`, which refreshes
temporary ones: CVM role, STS, OIDC) and `Sign.sign_tc3` signs (TC3-HMAC-SHA256, as `AbstractClient` does for a
JSON POST). We send it over a keep-alive urllib3 pool (what requests, the SDK's client, runs on, without its
per-request layers), with the proxies and CA bundle the SDK would use (`HTTPS_PROXY`, or `HTTP_PROXY` for an http
endpoint, unless `NO_PROXY` names the host; certifi), parse the body once, with orjson, and check it for an error.
The region breaker is not involved: calls go to the endpoint we chose. Measured in docs/benchmarks.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from typing import Any

import certifi
import orjson
import tencentcloud
import urllib3
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.sign import Sign

from ..sanitize import valid

ROOT_DOMAIN = "tencentcloudapi.com"  # the SDK's default
_JSON = "application/json"
REQUEST_CLIENT = f"SDK_PYTHON_{tencentcloud.__version__}; tke-orphans"


def parse(body: bytes) -> Any:
    """One parse: orjson, a fraction of json's CPU; json for what orjson refuses (NaN, numbers beyond a double, lone
    surrogates), so that every body reads as with json, or fails. One difference: orjson reads an integer past 64
    bits as a float; no field we read is one (ids, uins and request ids are strings).

    A lone surrogate (`"\\ud800"`, a valid JSON escape) can be read but never written, to the state or anywhere: what
    json read is made valid text here, each one shown as its escape (sanitize.valid). orjson reads none."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _valid(json.loads(body.decode("utf-8", "replace")))


def _valid(value: Any) -> Any:
    if isinstance(value, str):
        return valid(value)
    if isinstance(value, dict):
        return {valid(k): _valid(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_valid(v) for v in value]
    return value


def proxy_for(host: str, https: bool) -> str | None:
    """The proxy the SDK's ProxyConnection would take for this host: HTTPS_PROXY (HTTP_PROXY for an http endpoint),
    either case, unless NO_PROXY (or no_proxy) names the host."""
    no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy")
    if no_proxy and host in no_proxy:
        return None
    name = "https_proxy" if https else "http_proxy"
    return os.environ.get(name) or os.environ.get(name.upper()) or None


class Transport:
    """Thread-safe: each thread keeps its own connection per host (keep-alive), as each had its own SDK clients."""

    def __init__(self, credential: Any, *, url: str | None, root_domain: str | None, timeout: float) -> None:
        self._credential = credential
        self._timeout = timeout
        if url:
            scheme, _, rest = url.partition("://")
            self._fixed: tuple[str, str] | None = (scheme or "https", rest.split("/", 1)[0])
        else:
            self._fixed = None
        self._root = root_domain or ROOT_DOMAIN
        self._local = threading.local()

    def _pool(self, host: str, scheme: str) -> urllib3.PoolManager:
        pools: dict[str, urllib3.PoolManager] = self._local.__dict__.setdefault("pools", {})
        pool = pools.get(host)
        if pool is None:
            proxy = proxy_for(host, scheme == "https")
            kw: dict[str, Any] = {"maxsize": 1, "ca_certs": certifi.where()}
            pool = pools[host] = urllib3.ProxyManager(proxy, **kw) if proxy else urllib3.PoolManager(**kw)
        return pool

    def call(self, service: str, version: str, action: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
        """The `Response` object of one call; raises TencentCloudSDKException as the SDK would (the cloud's error,
        ServerNetworkError for an HTTP status other than 200, ClientNetworkError when the request failed), and
        ValueError/KeyError/TypeError for a body that is not the API's envelope."""
        scheme, host = self._fixed or ("https", f"{service}.{self._root}")
        body = json.dumps(params).encode()
        timestamp = int(time.time())
        date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
        secret_id, secret_key, token = self._credential.get_credential_info()
        canonical = (
            f"POST\n/\n\ncontent-type:{_JSON}\nhost:{host}\n\ncontent-type;host\n{hashlib.sha256(body).hexdigest()}"
        )
        scope = f"{date}/{service}/tc3_request"
        signed = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        headers = {
            "Content-Type": _JSON,
            "Host": host,
            "X-TC-Action": action,
            "X-TC-Version": version,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-RequestClient": REQUEST_CLIENT,
            "X-TC-TraceId": str(uuid.uuid4()),
            "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
            f"Signature={Sign.sign_tc3(secret_key, date, service, signed)}",
        }
        if region:
            headers["X-TC-Region"] = region
        if token:
            headers["X-TC-Token"] = token
        try:
            # No retries and no redirects here: the session retries, and only what it may.
            resp = self._pool(host, scheme).request("POST", f"{scheme}://{host}/", body=body, headers=headers,
                                                    timeout=self._timeout, retries=False)  # fmt: skip
            content = resp.data
        except Exception as exc:  # as the SDK's ApiRequest.send_request: any failure to send or read
            raise TencentCloudSDKException("ClientNetworkError", str(exc)) from None
        if resp.status != 200:
            raise TencentCloudSDKException("ServerNetworkError", content)
        response = parse(content)["Response"]
        if not isinstance(response, dict):
            raise TypeError("Response is not an object")
        error = response.get("Error")
        if error is not None:
            raise TencentCloudSDKException(error["Code"], error["Message"], response["RequestId"])
        return response
