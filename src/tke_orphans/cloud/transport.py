"""One signed API call: the official SDK's signer, credential objects and HTTP connection, without its second parse.

`CommonClient.call` parses every answer with the standard json to look for `Response.Error`, and we must parse it
again to read it: two parses of up to 130 KB per page, and the SDK's request plumbing around them. Here the SDK
still does what users rely on: its credential object gives the keys (`get_credential_info`, which refreshes
temporary ones: CVM role, STS, OIDC), `Sign.sign_tc3` signs (TC3-HMAC-SHA256, as `AbstractClient` does for a JSON
POST), and its `ProxyConnection` sends (a keep-alive requests session; `HTTPS_PROXY`/`HTTP_PROXY` and `NO_PROXY`
as the SDK reads them; certifi's CA bundle); we parse the body once, with orjson, and check it for an error. The
region breaker is not involved: calls go to the endpoint we chose. Measured in docs/benchmarks.md.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from typing import Any

import orjson
import tencentcloud
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.http.request import ProxyConnection
from tencentcloud.common.sign import Sign

ROOT_DOMAIN = "tencentcloudapi.com"  # the SDK's default
_JSON = "application/json"
REQUEST_CLIENT = f"SDK_PYTHON_{tencentcloud.__version__}; tke-orphans"


def parse(body: bytes) -> Any:
    """One parse: orjson, a fraction of json's CPU; json for what orjson refuses (NaN, lone surrogates, numbers
    beyond a double), so that every body reads, or fails, exactly as with json. One difference: orjson reads an
    integer past 64 bits as a float; no field we read is one (ids, uins and request ids are strings)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


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

    def _connection(self, host: str, scheme: str) -> ProxyConnection:
        conns: dict[str, ProxyConnection] = self._local.__dict__.setdefault("conns", {})
        conn = conns.get(host)
        if conn is None:
            conn = conns[host] = ProxyConnection(host, timeout=self._timeout, is_http=scheme == "http")
        return conn

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
            "Connection": "Keep-Alive",
            "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
            f"Signature={Sign.sign_tc3(secret_key, date, service, signed)}",
        }
        if region:
            headers["X-TC-Region"] = region
        if token:
            headers["X-TC-Token"] = token
        try:
            resp = self._connection(host, scheme).request("POST", f"{scheme}://{host}/", body, headers)
            content = resp.content
        except Exception as exc:  # as the SDK's ApiRequest.send_request: any failure to send or read
            raise TencentCloudSDKException("ClientNetworkError", str(exc)) from None
        if resp.status_code != 200:
            raise TencentCloudSDKException("ServerNetworkError", content)
        response = parse(content)["Response"]
        if not isinstance(response, dict):
            raise TypeError("Response is not an object")
        error = response.get("Error")
        if error is not None:
            raise TencentCloudSDKException(error["Code"], error["Message"], response["RequestId"])
        return response
