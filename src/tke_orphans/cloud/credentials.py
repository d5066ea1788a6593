"""Credentials from outside the config: the environment, the profile file, the CVM's metadata service.

The SDK's own providers raise their exceptions (or a configparser traceback) on a malformed file, keep a stray
newline that later leaks the whole value through an HTTP header error, and turn a missing metadata service into
"can only concatenate str" on the first call. These read the same sources and fail with one sentence instead.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path
from typing import Any

from tencentcloud.common import credential as tc_credential

from ..config.schema import clean_secret
from .errors import CredentialsError, remember_secrets

PROFILE_PATHS = ("~/.tencentcloud/credentials", "/etc/tencentcloud/credentials")  # the SDK's order
METADATA = "http://metadata.tencentyun.com (the CVM metadata service)"
ENV_VARS = ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY")

# Where an account's keys came from, as the thing to check when the cloud refuses them (AuthFailure): the file
# and keys, the variables or the role a user would look at. Never the values.
ENVIRONMENT_SOURCE = f"the {ENV_VARS[0]} and {ENV_VARS[1]} environment variables"
TKE_POD_IDENTITY_SOURCE = "the TKE pod identity (TKE_ROLE_ARN and its web identity token)"


def config_source(where: str, config_file: str) -> str:
    return f"{where}.secret_id and secret_key in {config_file}"


def cvm_role_source(role_name: str | None) -> str:
    return f"the CVM's CAM role{f' {role_name}' if role_name else ''} ({METADATA})"


def _clean(value: str, where: str) -> str:
    try:
        cleaned = clean_secret(value)
    except ValueError as exc:
        raise CredentialsError(f"{where} {exc}.") from None
    assert isinstance(cleaned, str)
    return cleaned


def credential(secret_id: str, secret_key: str, token: str | None, names: tuple[str, str, str]) -> Any:
    """An SDK credential of checked values, `names` saying where each came from; the values are remembered so
    that no error text can quote them."""
    sid, key = _clean(secret_id, names[0]), _clean(secret_key, names[1])
    tok = _clean(token, names[2]) if token else None
    if not (sid and key):
        raise CredentialsError(f"{names[0]} or {names[1]} is empty: set both.")
    remember_secrets(sid, key, tok)
    return tc_credential.Credential(sid, key, tok)


def from_environment() -> tuple[Any, str] | None:
    sid, key = os.environ.get(ENV_VARS[0]), os.environ.get(ENV_VARS[1])
    if not (sid and key):
        return None
    return credential(sid, key, None, (*ENV_VARS, "")), ENVIRONMENT_SOURCE


def from_profile() -> tuple[Any, str] | None:
    """`[default]` of ~/.tencentcloud/credentials (else /etc/tencentcloud/credentials), as the SDK reads it, and
    the file's name."""
    path = next((p for p in (Path(c).expanduser() for c in PROFILE_PATHS) if p.exists()), None)
    if path is None:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        line = getattr(exc, "lineno", None)
        at = f" (line {line})" if line else ""
        raise CredentialsError(
            f"{path}: not a readable credentials file{at}: write it as '[default]' followed by "
            "'secret_id = ...' and 'secret_key = ...' lines, or remove it."
        ) from None
    section = parser["default"] if parser.has_section("default") else {}
    sid, key = section.get("secret_id"), section.get("secret_key")
    if not (sid and key):
        return None
    cred = credential(sid, key, None, (f"{path}: secret_id", f"{path}: secret_key", ""))
    return cred, f"secret_id and secret_key in {path}"


def from_cvm_role(role_name: str | None, where: str) -> Any:
    """The CVM's CAM role, fetched once now so that a host without one fails here, not in every call."""
    cred = tc_credential.CVMRoleCredential(role_name=role_name)
    # The SDK swallows every failure of the metadata service and leaves the values None.
    sid, key, token = cred.get_credential_info()
    remember_secrets(sid, key, token)
    if not (sid and key):
        raise CredentialsError(
            f"{where}.credential_source is cvm_role, but {METADATA} gave no role credentials: run on a CVM "
            "with a CAM role bound (set cvm_role_name to choose it), or use secret_id and secret_key."
        )
    return cred
