"""TC3-HMAC-SHA256 verification, as the API 3.0 gateway does it.

The canonical request is rebuilt from what was actually received, with the raw Host header: the official CLI
signs `host:http://127.0.0.1:PORT` when given `--endpoint http://...`, the SDK signs `host:127.0.0.1:PORT`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import ApiError

MAX_SKEW_SECONDS = 300
_AUTH = re.compile(
    r"^TC3-HMAC-SHA256\s+Credential=(?P<sid>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[a-z0-9]+)/tc3_request,\s*"
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*Signature=(?P<sig>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class Signed:
    """Who signed a request and for which service (the service comes from the credential scope)."""

    secret_id: str
    service: str


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(
    secret_key: str,
    *,
    service: str,
    timestamp: int,
    headers: Mapping[str, str],
    signed_headers: list[str],
    body: bytes,
    method: str = "POST",
    query: str = "",
) -> str:
    """The hex signature a correct client computes for these request parts."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    if headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        payload_hash = hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
    else:
        payload_hash = hashlib.sha256(body).hexdigest()
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers)
    canonical = "\n".join([method, "/", query, canonical_headers, ";".join(signed_headers), payload_hash])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secret_keys: Mapping[str, str],
    now: float,
    *,
    method: str = "POST",
    query: str = "",
) -> Signed:
    """Check a request's signature; raise ApiError with the cloud's AuthFailure codes.

    `headers` must have lower-case names. `secret_keys` maps SecretId to SecretKey.
    """
    auth = headers.get("authorization", "")
    if not auth:
        raise ApiError("AuthFailure.SignatureFailure", "The request is missing the Authorization header.")
    m = _AUTH.match(auth.strip())
    if not m:
        raise ApiError("AuthFailure.SignatureFailure", "The Authorization header is malformed.")
    try:
        timestamp = int(headers.get("x-tc-timestamp", ""))
    except ValueError:
        raise ApiError(
            "MissingParameter", "The request is missing a valid required parameter `X-TC-Timestamp`."
        ) from None
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            f"Signature expired. Timestamp: {timestamp}, server time: {int(now)}; "
            f"the allowed skew is {MAX_SKEW_SECONDS} seconds.",
        )
    secret_id = m.group("sid")
    secret_key = secret_keys.get(secret_id)
    if secret_key is None:
        raise ApiError(
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found, please ensure that your SecretId is correct.",
        )
    if m.group("date") != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d"):
        raise ApiError(
            "AuthFailure.SignatureFailure", "The date in the credential scope does not match X-TC-Timestamp."
        )
    signed = m.group("signed").split(";")
    if "host" not in signed or "content-type" not in signed:
        raise ApiError("AuthFailure.SignatureFailure", "SignedHeaders must include content-type and host.")
    expected = tc3_signature(
        secret_key,
        service=m.group("service"),
        timestamp=timestamp,
        headers=headers,
        signed_headers=signed,
        body=body,
        method=method,
        query=query,
    )
    if not hmac.compare_digest(expected, m.group("sig")):
        raise ApiError(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        )
    return Signed(secret_id=secret_id, service=m.group("service"))
