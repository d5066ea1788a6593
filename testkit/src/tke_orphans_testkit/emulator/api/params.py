"""Parameter validation shared by the handlers, with the cloud's error codes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import ApiError

T = TypeVar("T")


@dataclass(frozen=True)
class Filter:
    name: str
    values: tuple[str, ...]


def only(params: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for key in params:
        if key not in allowed:
            raise ApiError("UnknownParameter", f"The parameter `{key}` is not recognized.")


def required_str(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
    if not isinstance(value, str):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected a string.")
    return value


def opt_str(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected a string.")
    return value


def opt_int(params: dict[str, Any], name: str, default: int, *, lo: int, hi: int | None = None, over_code: str) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected an integer.")
    if value < lo:
        raise ApiError("InvalidParameterValue", f"The value of parameter `{name}` must be at least {lo}.")
    if hi is not None and value > hi:
        raise ApiError(over_code, f"The value of parameter `{name}` must be at most {hi}, got {value}.")
    return value


def str_list(params: dict[str, Any], name: str, *, max_items: int, over_code: str) -> list[str] | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected strings.")
    if len(value) > max_items:
        raise ApiError(over_code, f"`{name}` may hold at most {max_items} values, got {len(value)}.")
    return value


def filters(
    params: dict[str, Any],
    *,
    known: Callable[[str], bool],
    max_filters: int,
    max_values: int,
    unknown_code: str,
    too_many_code: str,
    too_many_values_code: str,
    name: str = "Filters",
) -> list[Filter]:
    raw = params.get(name)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ApiError("InvalidParameter", f"`{name}` must be a list of {{Name, Values}}.")
    if len(raw) > max_filters:
        raise ApiError(too_many_code, f"At most {max_filters} filters are allowed, got {len(raw)}.")
    out = []
    for f in raw:
        if not isinstance(f, dict) or set(f) - {"Name", "Values"} or not isinstance(f.get("Name"), str):
            raise ApiError("InvalidParameter", f"Each of `{name}` needs a `Name` and `Values`.")
        values = f.get("Values") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ApiError("InvalidParameter", f"`Values` of filter `{f['Name']}` must be strings.")
        if not known(f["Name"]):
            raise ApiError(unknown_code, f"The filter `{f['Name']}` is not supported.")
        if len(values) > max_values:
            raise ApiError(
                too_many_values_code,
                f"Filter `{f['Name']}` may hold at most {max_values} values, got {len(values)}.",
            )
        out.append(Filter(f["Name"], tuple(values)))
    return out


def page(items: Sequence[T], offset: int, limit: int) -> Sequence[T]:
    return items[offset : offset + limit]


def tag_match(tag_list: list[dict[str, str]], f: Filter) -> bool | None:
    """The tag filters every Tencent API shares: tag-key, tag-value, tag:<key>. None when `f` is not one."""
    if f.name == "tag-key":
        return any(t["Key"] in f.values for t in tag_list)
    if f.name == "tag-value":
        return any(t["Value"] in f.values for t in tag_list)
    if f.name.startswith("tag:"):
        key = f.name[4:]
        return any(t["Key"] == key and t["Value"] in f.values for t in tag_list)
    return None
