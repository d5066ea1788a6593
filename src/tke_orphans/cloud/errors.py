"""The cloud adapter's one exception family; SDK exceptions never leave the adapter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..model import ApiFailure
from ..sanitize import valid

# Codes worth another try: throttling, transport, server-side trouble, a body cut short.
_RETRYABLE_PREFIXES = ("RequestLimitExceeded", "InternalError", "ServerNetworkError", "ClientNetworkError")
RETRYABLE_CODES = frozenset({"InvalidResponse", "JSONDecodeError", "ResourceUnavailable", "ServiceUnavailable"})
# InternalError codes that are answers, not trouble: sts AssumeRole's role that does not trust the caller.
REFUSALS = frozenset({"InternalError.IllegalRole"})
# Codes that mean a CAM policy lacks an action.
PERMISSION_CODES = ("UnauthorizedOperation", "AuthFailure.UnauthorizedOperation", "InternalError.CamNoAuth")


# An error text longer than this is cut: a 5xx page can be megabytes, and it goes into every message and row.
MAX_TEXT = 500


def as_text(value: Any, limit: int = MAX_TEXT) -> str:
    """Any field of an SDK error, or an exception's words, as text fit for every sink: no credential of ours in it
    (masked before the cut, which could leave half of one), no code point that cannot be written (sanitize.valid),
    bounded. The SDK puts an HTTP error's body in the message as bytes."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    text = valid(redact_known(value if isinstance(value, str) else str(value)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_auth_failure(code: str) -> bool:
    """The cloud refused the keys themselves (unknown id, bad signature, token), not a permission of theirs."""
    return code.startswith("AuthFailure") and not code.startswith(PERMISSION_CODES)


def check_keys(sources: Iterable[str]) -> str:
    """What to do after an AuthFailure: check the keys where they came from (credentials.*_SOURCE), not where a
    user might think (the config file, when the keys came from the environment)."""
    return "check " + ("; ".join(dict.fromkeys(s for s in sources if s)) or "the SecretId and SecretKey")


def is_throttled(code: str) -> bool:
    return code.startswith("RequestLimitExceeded")


def is_retryable(code: str) -> bool:
    if code.startswith(PERMISSION_CODES) or code in REFUSALS:  # a missing permission or trust, not a hiccup
        return False
    return code.startswith(_RETRYABLE_PREFIXES) or code in RETRYABLE_CODES


# Credential values this process was given: no error text may quote them (see redact).
_SECRETS: set[str] = set()
_MIN_SECRET = 6  # shorter values would mask ordinary words; real ids, keys and tokens are 32+ characters


def remember_secrets(*values: str | None) -> None:
    _SECRETS.update(v for v in values if v and len(v) >= _MIN_SECRET)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret replaced by ****, longest first (a key may contain another)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "****")
    return text


def redact_known(text: str) -> str:
    """The backstop at the cloud edge: a credential that reached an error message (an HTTP library quoting a
    header it refused) goes no further, to the table, the state, the chat or the status page."""
    return redact(text, _SECRETS) if _SECRETS and isinstance(text, str) else text


class CloudError(Exception):
    """A call that failed for good: `api` is "service.Action", `code` and `message` are the cloud's own."""

    def __init__(self, api: str, code: Any, message: Any, *, cluster_id: str | None = None, request_id: Any = ""):
        # Whatever the SDK handed over (bytes, None, a huge page) leaves the adapter as short text, and no
        # credential of ours is in it (a token with a stray newline ends up in the HTTP library's error).
        code, message = as_text(code, 100) or "ClientError", as_text(message)
        super().__init__(f"{api}: {code}: {message}")
        self.api, self.code, self.message = api, code, message
        self.cluster_id = cluster_id
        self.request_id = as_text(request_id, 100)

    def failure(self, cluster_id: str | None = None) -> ApiFailure:
        return ApiFailure(self.api, self.code, self.message, cluster_id or self.cluster_id)


class CredentialsError(Exception):
    """No usable credentials: the message is one sentence that says where to put them."""
