"""The cloud adapter's one exception family; SDK exceptions never leave the adapter."""

from __future__ import annotations

from typing import Any

from ..model import ApiFailure

# Codes worth another try: throttling, transport, server-side trouble, a body cut short.
_RETRYABLE_PREFIXES = ("RequestLimitExceeded", "InternalError", "ServerNetworkError", "ClientNetworkError")
RETRYABLE_CODES = frozenset({"InvalidResponse", "JSONDecodeError", "ResourceUnavailable", "ServiceUnavailable"})
# Codes that mean a CAM policy lacks an action.
PERMISSION_CODES = ("UnauthorizedOperation", "AuthFailure.UnauthorizedOperation", "InternalError.CamNoAuth")


# An error text longer than this is cut: a 5xx page can be megabytes, and it goes into every message and row.
MAX_TEXT = 500


def as_text(value: Any, limit: int = MAX_TEXT) -> str:
    """Any field of an SDK error as bounded text: the SDK puts an HTTP error's body in the message as bytes."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_throttled(code: str) -> bool:
    return code.startswith("RequestLimitExceeded")


def is_retryable(code: str) -> bool:
    if code.startswith(PERMISSION_CODES):  # InternalError.CamNoAuth is a missing permission, not a hiccup
        return False
    return code.startswith(_RETRYABLE_PREFIXES) or code in RETRYABLE_CODES


class CloudError(Exception):
    """A call that failed for good: `api` is "service.Action", `code` and `message` are the cloud's own."""

    def __init__(self, api: str, code: Any, message: Any, *, cluster_id: str | None = None, request_id: Any = ""):
        # Whatever the SDK handed over (bytes, None, a huge page) leaves the adapter as short text.
        code, message = as_text(code, 100) or "ClientError", as_text(message)
        super().__init__(f"{api}: {code}: {message}")
        self.api, self.code, self.message = api, code, message
        self.cluster_id = cluster_id
        self.request_id = as_text(request_id, 100)

    def failure(self, cluster_id: str | None = None) -> ApiFailure:
        return ApiFailure(self.api, self.code, self.message, cluster_id or self.cluster_id)


class CredentialsError(Exception):
    """No usable credentials: the message is one sentence that says where to put them."""
