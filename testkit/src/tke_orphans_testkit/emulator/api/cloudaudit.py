"""cloudaudit 2019-03-19 DescribeEvents: the account's own audit log (audit.py), with the documented limits.

StartTime and EndTime (Unix seconds) are required, StartTime at most 90 days back, the span under 30 days;
MaxResults at most 50; an integer NextToken pages on until ListOver. LookupAttributes: conditions of different keys
are ANDed, several EventName values ORed. Events come newest first; a page's NextToken names its last event, so
pages hold still while new events arrive (they are newer).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..errors import ApiError
from . import params as P
from .context import Answer, Ctx

DAY = 86400
MAX_BACK = 90 * DAY
MAX_SPAN = 30 * DAY
MAX_RESULTS = 50
DEFAULT_RESULTS = 10  # LookUpEvents' documented default; DescribeEvents documents none
# The keys the SDK's docstring and the error code's message name (audit.AuditEvent.values serves each but Tags).
ATTRIBUTE_KEYS = {
    "RequestId", "EventName", "ActionType", "PrincipalId", "ResourceType", "ResourceId", "ResourceName",
    "AccessKeyId", "SensitiveAction", "ApiErrorCode", "CamErrorCode", "SourceIPAddress", "Tags", "ReadOnly",
    "Username",
}  # fmt: skip


def _time(params: dict[str, Any], name: str) -> int:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(
            "InvalidParameter.Time", "StartTime and EndTime are required, as integer Unix timestamps in seconds."
        )
    return value


def _int(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ApiError("InvalidParameter", f"The value type of parameter `{name}` is not valid: expected an integer.")
    return value


def _conditions(params: dict[str, Any]) -> dict[str, list[str]]:
    raw = params.get("LookupAttributes") or []
    if not isinstance(raw, list):
        raise ApiError("InvalidParameter", "`LookupAttributes` must be a list of {AttributeKey, AttributeValue}.")
    out: dict[str, list[str]] = defaultdict(list)
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"AttributeKey", "AttributeValue"}:
            raise ApiError("InvalidParameter", "Each of `LookupAttributes` is {AttributeKey, AttributeValue}.")
        key = P.required_str(item, "AttributeKey")
        value = P.opt_str(item, "AttributeValue") or ""
        if key not in ATTRIBUTE_KEYS:
            raise ApiError(
                "InvalidParameterValue.attributeKey", f"AttributeKey `{key}` is not one of {sorted(ATTRIBUTE_KEYS)}."
            )
        if key == "Tags":
            raise ApiError("UnsupportedOperation", "The emulator does not look events up by Tags.")
        out[key].append(value)
    return out


def describe_events(ctx: Ctx, params: dict[str, Any]) -> Answer:
    P.only(params, {"StartTime", "EndTime", "NextToken", "MaxResults", "LookupAttributes", "IsReturnLocation"})
    if not ctx.region_name:  # served from any region (the log is the account's), but one must be named
        raise ApiError("MissingParameter", "The request is missing a required parameter `Region`.")
    start, end = _time(params, "StartTime"), _time(params, "EndTime")
    if start > end:
        raise ApiError("InvalidParameterValue.Time", "StartTime must not be later than EndTime.")
    now = ctx.clock()
    if start < now - MAX_BACK:
        raise ApiError("LimitExceeded.OverTime", "StartTime may be at most 90 days back.")
    if end - start >= MAX_SPAN:
        raise ApiError("LimitExceeded.OverTime", "The time range must be shorter than 30 days.")
    limit = _int(params, "MaxResults")
    limit = DEFAULT_RESULTS if limit is None else limit
    if not 1 <= limit <= MAX_RESULTS:
        raise ApiError("InvalidParameterValue.MaxResult", f"MaxResults is at most {MAX_RESULTS}, got {limit}.")
    if _int(params, "IsReturnLocation") not in (None, 0, 1):
        raise ApiError("InvalidParameterValue", "IsReturnLocation is 0 or 1.")
    conditions = _conditions(params)
    token = _int(params, "NextToken")
    log = ctx.store.audit
    after = log.get(token) if token else None
    if token and after is None:
        raise ApiError("InvalidParameterValue", f"NextToken {token} is not one this API gave.")

    def wanted(e: Any) -> bool:
        if not start <= int(e.at) <= end:
            return False
        if after is not None and (e.at, e.seq) >= (after.at, after.seq):
            return False
        for key, values in conditions.items():
            have = e.values(key)
            # EventName values are ORed; every other condition must hold on its own.
            if key == "EventName" and not have & set(values):
                return False
            if key != "EventName" and not all(v in have for v in values):
                return False
        return True

    matched = [e for e in log.visible(now) if wanted(e)]
    page = matched[:limit]
    over = len(matched) <= limit
    return {"Events": [e.api() for e in page], "ListOver": over, "NextToken": 0 if over else page[-1].seq}
