"""The cloud adapter's one exception family; SDK exceptions never leave the adapter."""

from __future__ import annotations

from ..model import ApiFailure

# Codes worth another try: throttling, transport, server-side trouble, a body cut short.
_RETRYABLE_PREFIXES = ("RequestLimitExceeded", "InternalError", "ServerNetworkError", "ClientNetworkError")
RETRYABLE_CODES = frozenset({"InvalidResponse", "JSONDecodeError", "ResourceUnavailable", "ServiceUnavailable"})
# Codes that mean a CAM policy lacks an action.
PERMISSION_CODES = ("UnauthorizedOperation", "AuthFailure.UnauthorizedOperation", "InternalError.CamNoAuth")


def is_retryable(code: str) -> bool:
    if code.startswith(PERMISSION_CODES):  # InternalError.CamNoAuth is a missing permission, not a hiccup
        return False
    return code.startswith(_RETRYABLE_PREFIXES) or code in RETRYABLE_CODES


class CloudError(Exception):
    """A call that failed for good: `api` is "service.Action", `code` and `message` are the cloud's own."""

    def __init__(self, api: str, code: str, message: str, *, cluster_id: str | None = None, request_id: str = ""):
        super().__init__(f"{api}: {code}: {message}")
        self.api, self.code, self.message = api, code, message
        self.cluster_id = cluster_id
        self.request_id = request_id

    def failure(self, cluster_id: str | None = None) -> ApiFailure:
        return ApiFailure(self.api, self.code, self.message, cluster_id or self.cluster_id)


class CredentialsError(Exception):
    """No usable credentials: the message is one sentence that says where to put them."""
