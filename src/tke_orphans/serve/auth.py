"""Who may see the status page: pure checks of an Authorization header against `serve.auth`."""

from __future__ import annotations

import base64
import binascii
import hmac

from ..config.schema import ServeAuth

OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def needs_auth(auth: ServeAuth, path: str) -> bool:
    """Probes never (the kubelet sends no credentials); /metrics only when asked; everything else when enabled."""
    if not auth.enabled or path in OPEN_PATHS:
        return False
    return path != "/metrics" or auth.protect_metrics


def challenge(auth: ServeAuth) -> str:
    """The WWW-Authenticate header of a 401."""
    if auth.token is not None:
        return 'Bearer realm="tke-orphans"'
    return 'Basic realm="tke-orphans", charset="UTF-8"'


def authorized(auth: ServeAuth, header: str | None) -> bool:
    """Constant-time comparisons (hmac.compare_digest), so that timing does not tell how much of a guess was right."""
    if not auth.enabled:
        return True
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if auth.token is not None:
        expected = auth.token.get_secret_value().encode()
        return scheme.lower() == "bearer" and hmac.compare_digest(value.encode(), expected)
    if scheme.lower() != "basic" or auth.username is None or auth.password is None:
        return False
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user_ok = hmac.compare_digest(user.encode(), auth.username.encode())
    password_ok = hmac.compare_digest(password.encode(), auth.password.get_secret_value().encode())
    return bool(sep) and user_ok and password_ok
