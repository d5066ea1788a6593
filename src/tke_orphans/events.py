"""Reacting to TKE's deleting calls, pure: which account and region to scan soon, and when (debounced, never more
often than a floor), and whether a forwarded audit record is signed, fresh, new and one of those calls.

Events are hints: they only bring a scan forward. The scan decides as always.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .cloud.audit import NAMES, AuditEvent, parse
from .cloud.errors import as_text
from .config.schema import REGION

Key = tuple[str, str]  # account, region

# The headers of POST /events (deploy/events/index.py sends them): when it was signed, and the signature of
# "<timestamp>.<body>" (HMAC-SHA256 with the shared secret, hex), as "sha256=<hex>".
TIMESTAMP = "X-TKE-Orphans-Timestamp"
SIGNATURE = "X-TKE-Orphans-Signature"


class Debounce:
    """The scans events asked for, by account and region. Many asks before a scan runs make one scan; an account and
    region is scanned for events at most once every `floor` seconds (the asks meanwhile wait for it). Times are the
    caller's monotonic seconds."""

    def __init__(self, floor: float) -> None:
        self.floor = floor
        self.pending: dict[Key, float] = {}  # asked, since when
        self.last: dict[Key, float] = {}  # when its last event-triggered scan started

    def ask(self, key: Key, now: float) -> None:
        self.pending.setdefault(key, now)

    def _ready_at(self, key: Key) -> float:
        last = self.last.get(key)
        return self.pending[key] if last is None else max(self.pending[key], last + self.floor)

    def next_at(self) -> float | None:
        """When the next scan is due, or None when none is asked for."""
        return min((self._ready_at(k) for k in self.pending), default=None)

    def take(self, now: float) -> list[Key]:
        """The scans due now, in the order they were asked for; each counts as started now."""
        due = sorted((k for k in self.pending if self._ready_at(k) <= now), key=self.pending.__getitem__)
        for key in due:
            del self.pending[key]
            self.last[key] = now
        return due

    def covered(self, since: float) -> None:
        """A pass of everything started at `since`: what was asked before it needs no scan of its own."""
        for key in [k for k, at in self.pending.items() if at < since]:
            del self.pending[key]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class Replays:
    """The signatures accepted within the replay window: the same request twice is refused. Bounded: the oldest are
    forgotten first (only a holder of the secret can add any)."""

    def __init__(self, window: float, most: int = 10_000) -> None:
        self.window, self.most = window, most
        self.seen: OrderedDict[str, float] = OrderedDict()

    def first(self, sig: str, now: float) -> bool:
        """Whether `sig` is new (it is remembered from now on)."""
        while self.seen and (next(iter(self.seen.values())) < now - self.window or len(self.seen) >= self.most):
            self.seen.popitem(last=False)
        if sig in self.seen:
            return False
        self.seen[sig] = now
        return True


@dataclass(frozen=True)
class Refused(Exception):
    status: int
    reason: str


def verify(secret: str, stamp: str, sig: str, body: bytes, now: float, window: float, replays: Replays) -> None:
    """Raises Refused unless `body` was signed (`sig`) with `secret` at `stamp` (Unix seconds), at most `window`
    seconds from now, and was not accepted before."""
    if not stamp or not sig:
        raise Refused(401, f"unsigned: {TIMESTAMP} and {SIGNATURE} are required")
    if not hmac.compare_digest(sig.encode(), signature(secret, stamp, body).encode()):
        raise Refused(401, "wrong signature")
    if not stamp.isdigit() or abs(now - int(stamp)) > window:
        raise Refused(401, "stale: the timestamp is outside the replay window")
    if not replays.first(sig, now):
        raise Refused(409, "replayed")


@dataclass(frozen=True)
class Forwarded:
    """A TKE deleting call, as an EventBridge rule forwards its audit record; `uin`: whose account's log it is."""

    event: AuditEvent
    uin: str


def forwarded(body: bytes) -> Forwarded:
    """The event an EventBridge delivery holds (`type` `tke:CloudEvent:ApiCall`, `data` the audit record). Raises
    Refused (400 not JSON, 422 not a TKE deleting call)."""
    try:
        doc: Any = json.loads(body)
    except ValueError:
        raise Refused(400, "not JSON") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or not str(doc.get("type", "tke:")).startswith("tke:"):
        raise Refused(422, "not a TKE audit event: expected an EventBridge event whose data is the audit record")
    event = parse(data if "CloudAuditEvent" in data else {"CloudAuditEvent": data})
    if event is None or event.name not in NAMES or not REGION.fullmatch(event.region):
        raise Refused(422, f"not one of TKE's deleting calls ({', '.join(NAMES)}) with its region")
    record = data.get("CloudAuditEvent", data)
    try:  # the account: the record's (a JSON string in DescribeEvents' shape), else the event's
        identity = (json.loads(record) if isinstance(record, str) else record).get("userIdentity")
    except (ValueError, AttributeError):
        identity = None
    uin = identity.get("accountId") if isinstance(identity, dict) else None
    return Forwarded(event, as_text(uin or data.get("AccountID") or "", 30))
