"""Reading the config: the file, `${ENV_VAR}` references in it, and errors that name the file and the key.

Precedence, highest first: command-line flags, environment (TKE_ORPHANS_CONFIG, TKE_ORPHANS_ENDPOINT_URL,
TENCENTCLOUD_SECRET_ID/KEY), the config file, built-in defaults. Any string may reference `${ENV_VAR}`.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .. import safeyaml
from .schema import Config
from .secrets import SECRET_KEYS, UNSET_URL, URL_KEYS

DEFAULT_PATH = Path("config.yaml")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(ValueError):
    """A config that cannot be used: names the file, the key and what to do."""


def _expand(data: Any, path: str, source: str, secrets: bool = True) -> Any:
    if isinstance(data, dict):
        return {k: _expand(v, f"{path}.{k}" if path else str(k), source, secrets) for k, v in data.items()}
    if isinstance(data, list):
        return [_expand(v, f"{path}[{i}]", source, secrets) for i, v in enumerate(data)]
    if isinstance(data, str):
        key = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]

        def sub(m: re.Match[str]) -> str:
            value = os.environ.get(m.group(1))
            if value is None and not secrets and key in SECRET_KEYS | URL_KEYS:
                return UNSET_URL if key in URL_KEYS else ""
            if value is None:
                raise ConfigError(f"{source}: {path}: environment variable {m.group(1)} is not set")
            return value

        return _ENV_REF.sub(sub, data)
    return data


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed where an unknown key was found, for a did-you-mean hint."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return []
    return [k for k in getattr(model, "model_fields", {}) if k != "source"]


def _explain(exc: ValidationError, source: str) -> ConfigError:
    lines = []
    for err in exc.errors()[:5]:
        loc = tuple(err["loc"])
        key = _key_path(loc)
        if err["type"] == "extra_forbidden":
            allowed = _fields_at(loc)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"expected one of: {', '.join(allowed)}"
            lines.append(f"{source}: {key}: unknown key; {hint}")
        else:
            lines.append(f"{source}: {key}: {err['msg'].removeprefix('Value error, ')}")
    more = exc.error_count() - len(lines)
    if more > 0:
        lines.append(f"... and {more} more")
    return ConfigError("\n".join(lines))


def config_from_data(data: Any, source: str = "<config>", secrets: bool = True) -> Config:
    """`secrets=False`: for commands that use no credential (see SECRET_KEYS)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the config must be a YAML mapping (see Configuration in the README)")
    data = _expand(data, "", source, secrets)
    try:
        return Config.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise _explain(exc, source) from None


def resolve_path(flag: str | None) -> tuple[Path, bool]:
    """(path, explicit): --config, else TKE_ORPHANS_CONFIG, else ./config.yaml (which may be absent)."""
    if flag:
        return Path(flag), True
    env = os.environ.get("TKE_ORPHANS_CONFIG")
    if env:
        return Path(env), True
    return DEFAULT_PATH, False


def load_config(flag: str | None = None, secrets: bool = True) -> Config:
    path, explicit = resolve_path(flag)
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: no such file; pass --config FILE or set TKE_ORPHANS_CONFIG")
        # Every message that names the source then says where we looked, and what to do.
        where = f"{path} (not found in {Path.cwd()}, and TKE_ORPHANS_CONFIG is not set: `tke-orphans init` writes one)"
        cfg = Config(source=where)
        cfg._found = False
        return cfg
    try:
        data = safeyaml.load(safeyaml.read_text(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except safeyaml.UnsafeYAML as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return config_from_data(data, str(path), secrets)
