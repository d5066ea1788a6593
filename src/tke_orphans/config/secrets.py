"""What in the config is secret, and how it is shown: credentials, tokens, and the keys inside webhook URLs.

Nothing here prints a secret; `masked_dict` is the effective config safe to log, `secret_values` feeds the
redaction backstop.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, SecretStr

from .schema import AppriseChannel, Config, GenericHook, format_duration

# The keys that hold a credential. Commands that only read the state (history, state export, preview) never use one:
# for them an unset variable there is no error. A URL gets a placeholder that can never be reached (.invalid, RFC 2606).
SECRET_KEYS = frozenset({"secret_id", "secret_key", "token", "secret", "password"})
URL_KEYS = frozenset({"url", "urls"})
UNSET_URL = "https://unset.invalid/"


_URL_SECRETS = re.compile(r"((?:key|access_token|token|sign|secret|password)=)[^&\s]+|(/hook/)[^/?\s]+|(//)[^/@\s]+@")


def mask(value: str | None, keep: int = 4) -> str:
    """Show only the ends of an identifier, or nothing of a short one."""
    if not value:
        return ""
    if len(value) <= keep * 2 + 2:
        return "****"
    return f"{value[:keep]}****{value[-keep:]}"


def mask_url(url: str) -> str:
    """Webhook URLs carry their credential (WeCom key, DingTalk access_token, Feishu hook token)."""
    return _URL_SECRETS.sub(
        lambda m: (m.group(1) or m.group(2) or m.group(3)) + ("****@" if m.group(3) else "****"), url
    )


def mask_any_url(url: str) -> str:
    """A URL of a service we do not know (generic webhooks, Apprise): only its scheme and host are shown."""
    m = re.match(r"^([a-z][a-z0-9+.-]*://)(?:[^/@\s]*@)?([^/?\s]*)", url)
    return f"{m.group(1)}{m.group(2)}/****" if m else "****"


def masked_dict(cfg: Config) -> dict[str, Any]:
    """The effective configuration, safe to print or log."""

    def walk(value: Any, key: str = "", unknown: bool = False) -> Any:
        if isinstance(value, BaseModel):
            foreign = unknown or isinstance(value, GenericHook | AppriseChannel)
            return {k: walk(getattr(value, k), k, foreign) for k in type(value).model_fields if k != "source"}
        if isinstance(value, SecretStr):
            raw = value.get_secret_value()
            if key in ("url", "urls") and raw:
                return mask_any_url(raw) if unknown else mask_url(raw)
            return "****" if raw else ""
        if isinstance(value, timedelta):
            return format_duration(value)
        if isinstance(value, list):
            return [walk(v, key, unknown) for v in value]
        if isinstance(value, dict):
            return {k: walk(v, k, unknown) for k, v in value.items()}
        if key == "secret_id" and isinstance(value, str):
            return mask(value)
        return value

    result = walk(cfg)
    assert isinstance(result, dict)
    return result


def secret_values(value: Any) -> list[str]:
    """Every secret the configuration holds (keys, tokens, webhook URLs, the status page's password), so that the
    redaction backstop can mask any of them that an error or a traceback quotes."""
    if isinstance(value, BaseModel):
        return [x for k in type(value).model_fields for x in secret_values(getattr(value, k))]
    if isinstance(value, SecretStr):
        return [value.get_secret_value()]
    if isinstance(value, list | tuple):
        return [x for v in value for x in secret_values(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in secret_values(v)]
    return []
