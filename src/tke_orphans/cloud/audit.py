"""CloudAudit's record of the TKE calls that leave instances and resources behind (cloudaudit.DescribeEvents,
2019-03-19): who removed which nodes, and how. Read as hints and courtesy, never as evidence.

The API's rules: StartTime and EndTime in Unix seconds, StartTime at most 90 days back, the span under 30 days;
MaxResults at most 50; an integer NextToken pages on until ListOver. Several EventName conditions are ORed. Each
event's CloudAuditEvent is a JSON string whose requestParameters is a JSON string again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import CloudError, as_text
from .session import Session

API = "cloudaudit.DescribeEvents"
VERSION = "2019-03-19"
# TKE's calls that can leave what tke-orphans finds: nodes removed with "retain", pools and scaling groups removed
# keeping their instances, clusters deleted keeping instances or disks.
NAMES = ("DeleteClusterInstances", "DeleteCluster", "DeleteClusterNodePool", "DeleteClusterAsGroups")
PAGE = 50
MAX_BACK = timedelta(days=90)
SPAN = timedelta(days=29)  # under the 30 days a query may span


@dataclass(frozen=True)
class AuditEvent:
    """One audited call: what, when, by whom, in which region, with which parameters (as the caller sent them)."""

    event_id: str
    name: str
    time: datetime
    who: str
    request_id: str
    region: str
    params: Mapping[str, Any]


def _object(text: object) -> dict[str, Any]:
    """A JSON object held in a string (or already an object); anything else is empty."""
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def parse(item: Any) -> AuditEvent | None:
    """An Event of DescribeEvents' answer, or None when it is not one (a courtesy: skipped, never an error)."""
    if not isinstance(item, dict):
        return None
    record = _object(item.get("CloudAuditEvent"))
    try:
        at = datetime.fromtimestamp(int(item.get("EventTime") or record.get("eventTime") or ""), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    identity = _object(record.get("userIdentity"))
    who = identity.get("userName") or item.get("Username") or identity.get("principalId") or ""
    request_id = item.get("RequestID") or record.get("requestID") or ""
    return AuditEvent(
        event_id=as_text(item.get("EventId") or request_id, 100),
        name=as_text(item.get("EventName") or record.get("eventName"), 100),
        time=at,
        who=as_text(who, 200),
        request_id=as_text(request_id, 100),
        region=as_text(item.get("EventRegion") or record.get("eventRegion"), 50),
        params=_object(record.get("requestParameters")),
    )


def events(
    session: Session, region: str, start: datetime, end: datetime, names: Sequence[str] = NAMES, max_pages: int = 20
) -> list[AuditEvent]:
    """Every audited call of `names` between `start` and `end` (one query: under 30 days, at most 90 days back).
    Raises CloudError when the log cannot be read whole within `max_pages` (a pass's bound)."""
    params: dict[str, Any] = {
        "StartTime": int(start.timestamp()),
        "EndTime": int(end.timestamp()),
        "MaxResults": PAGE,
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": n} for n in names],
    }
    out: list[AuditEvent] = []
    for _ in range(max_pages):
        answer = session.call("cloudaudit", "DescribeEvents", region, params, version=VERSION)
        items = answer.get("Events")
        if not isinstance(items, list) or not isinstance(answer.get("ListOver"), bool):
            raise CloudError(API, "InvalidResponse", "an answer without its Events or ListOver")
        out += [e for e in map(parse, items) if e is not None]
        if answer["ListOver"]:
            return out
        token = answer.get("NextToken")
        if isinstance(token, bool) or not isinstance(token, int) or token <= 0 or token == params.get("NextToken"):
            raise CloudError(API, "InvalidResponse", "a page that is not the last without a new NextToken")
        params["NextToken"] = token
    raise CloudError(API, "TooManyEvents", f"more than {max_pages * PAGE} events to read; the rest is left for later")


def since(session: Session, region: str, start: datetime, now: datetime) -> list[AuditEvent]:
    """Every audited call of NAMES from `start` (at most 90 days back) to `now`, query window by query window."""
    out: list[AuditEvent] = []
    for begin, end in windows(now, start):
        out += events(session, region, begin, end)
    return out


def windows(now: datetime, since: datetime) -> list[tuple[datetime, datetime]]:
    """The queries that cover `since` (at most 90 days back) to `now`, newest first, each under 30 days."""
    start = max(since, now - MAX_BACK + timedelta(minutes=5))
    out = []
    end = now
    while end > start:
        out.append((max(start, end - SPAN), end))
        end -= SPAN
    return out
