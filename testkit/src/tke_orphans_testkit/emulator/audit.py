"""An account's CloudAudit log: the events TKE's deleting calls write (server.py records them) and those a world
seeds (`audit.events`), which cloudaudit DescribeEvents reads (api/cloudaudit.py) once `delay` seconds have passed.

The shapes follow DescribeEvents' example answer (tccli's examples, the SDK's models): `EventTime` is Unix seconds
as a string; `CloudAuditEvent` is a JSON string whose `requestParameters` and `responseElements` are JSON strings
themselves (parse twice), whose `resources` is a JSON string of six-segment names and whose `resourceName` joins
`<kind>/<id>` with `|`; `eventID` is the request id. The emulator's reading, unverified for TKE: the kinds and
six-segment names of clusters, node pools and scaling groups.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .world_base import Time

if TYPE_CHECKING:
    from .world import World

# The deleting calls audited here, with the names the console shows (the SDK's docstrings).
AUDITED: dict[str, str] = {
    "DeleteClusterInstances": "删除集群中的实例",
    "DeleteCluster": "删除集群",
    "DeleteClusterNodePool": "删除节点池",
    "DeleteClusterAsGroups": "删除集群伸缩组",
}
# Request parameters that name resources (ResourceId and ResourceName look them up): (service, kind) of each.
RESOURCE_PARAMS = {
    "ClusterId": ("tke", "cluster"),
    "InstanceIds": ("cvm", "instance"),
    "NodePoolIds": ("tke", "nodepool"),
    "AutoScalingGroupIds": ("as", "autoscalinggroup"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuditEventSpec(_Strict):
    """An event already in the log when the emulator starts (docs/emulator.md)."""

    EventName: Annotated[str, Field(min_length=1)]
    EventTime: Time
    EventRegion: Annotated[str, Field(min_length=1)]
    Username: str | None = None  # default: the name of the world's first credential ("root" without one)
    SecretId: str | None = None  # default: the world's first credential's
    RequestID: str | None = None
    ResourceType: str = "tke"
    SourceIPAddress: str = "127.0.0.1"
    requestParameters: dict[str, Any] = {}
    responseElements: dict[str, Any] = {}


class Audit(_Strict):
    delay_seconds: Annotated[float, Field(ge=0)] = 0  # before an event can be looked up
    events: list[AuditEventSpec] = []


@dataclass(frozen=True)
class AuditEvent:
    seq: int  # its place in the log (NextToken names the last one a page returned)
    at: float  # Unix seconds: when the call was made
    name: str
    region: str
    request_id: str
    username: str
    uin: str  # the caller's
    account: str  # the account's (owner) uin
    secret_id: str
    params: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)
    resource_type: str = "tke"
    source_ip: str = "127.0.0.1"
    user_agent: str = ""

    def _named(self) -> list[tuple[str, str, str]]:
        """(service, kind, id) of each resource the parameters name, the cluster first."""
        out: list[tuple[str, str, str]] = []
        for key, (service, kind) in RESOURCE_PARAMS.items():
            value = self.params.get(key)
            ids = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            out.extend((service, kind, v) for v in ids if isinstance(v, str))
        return out

    @property
    def resources(self) -> list[str]:
        return [rid for _, _, rid in self._named()]

    @property
    def resource_name(self) -> str:
        return "|".join(f"{kind}/{rid}" for _, kind, rid in self._named())

    def record(self) -> dict[str, Any]:
        """The CloudAuditEvent JSON."""
        return {
            "eventVersion": 2,
            "eventID": self.request_id,
            "eventTime": int(self.at),
            "eventName": self.name,
            "eventSource": f"{self.resource_type}.tencentcloudapi.com",
            "eventType": "ApiCall",
            "eventRegion": self.region,
            "resourceRegion": self.region,
            "resourceType": self.resource_type,
            "resourceName": self.resource_name,
            "resources": json.dumps(
                [f"qcs::{svc}:{self.region}:uin/{self.account}:{kind}/{rid}" for svc, kind, rid in self._named()]
            ),
            "apiVersion": "3.0",
            "actionType": "Write",
            "requestID": self.request_id,
            "requestParameters": json.dumps(self.params, ensure_ascii=False),
            "responseElements": json.dumps({**self.response, "RequestId": self.request_id}, ensure_ascii=False),
            "httpMethod": "POST",
            "sourceIPAddress": self.source_ip,
            "userAgent": self.user_agent,
            "userIdentity": {
                "type": "Root" if self.username == "root" else "CAMUser",
                "principalId": self.uin,
                "accountId": self.account,
                "userName": self.username,
                "secretId": self.secret_id,
                "sessionContext": "",
            },
            "errorCode": "0",
            "errorMessage": "",
            "apiErrorCode": 0,
            "apiErrorMessage": "",
            "sensitiveAction": "0",
            "eventPlatform": "0",
        }

    def api(self) -> dict[str, Any]:
        """The DescribeEvents item, shaped like cloudaudit.v20190319.models.Event."""
        return {
            "EventId": self.request_id,
            "Username": self.username,
            "EventTime": str(int(self.at)),
            "CloudAuditEvent": json.dumps(self.record(), ensure_ascii=False),
            "ResourceTypeCn": "容器服务" if self.resource_type == "tke" else self.resource_type,
            "ErrorCode": 0,
            "EventName": self.name,
            "SecretId": self.secret_id,
            "EventSource": f"{self.resource_type}.tencentcloudapi.com",
            "RequestID": self.request_id,
            "ResourceRegion": self.region,
            "AccountID": int(self.account),
            "SourceIPAddress": self.source_ip,
            "EventNameCn": AUDITED.get(self.name, ""),
            "Resources": {"ResourceType": self.resource_type, "ResourceName": self.resource_name},
            "EventRegion": self.region,
            "Location": "",
        }

    def values(self, key: str) -> set[str]:
        """What a LookupAttribute with `key` matches on this event."""
        table = {
            "RequestId": {self.request_id},
            "EventName": {self.name},
            "ActionType": {"Write", "write"},
            "ReadOnly": {"false"},
            "PrincipalId": {self.uin},
            "Username": {self.username},
            "ResourceType": {self.resource_type},
            "ResourceId": set(self.resources),
            "ResourceName": {*self.resources, *self.resource_name.split("|")},
            "AccessKeyId": {self.secret_id},
            "SensitiveAction": {"0"},
            "ApiErrorCode": {"0"},
            "CamErrorCode": {"0"},
            "SourceIPAddress": {self.source_ip},
        }
        return table[key]


class AuditLog:
    """One account's events, in the order written. Thread-safe; `delay` may be changed while serving (tests)."""

    def __init__(self, delay: float = 0) -> None:
        self.delay = delay
        self._events: list[AuditEvent] = []
        self._lock = threading.Lock()

    def seed(self, world: World) -> None:
        """The events the world file lists, written by its first credential unless they say who."""
        cred = world.spec.credentials[0]
        for spec in world.spec.audit.events:
            self.add(
                at=spec.EventTime.timestamp(),
                name=spec.EventName,
                region=spec.EventRegion,
                request_id=spec.RequestID or str(uuid.uuid4()),
                username=spec.Username or cred.name or "root",
                uin=world.uin,
                account=world.uin,
                secret_id=spec.SecretId or cred.secret_id,
                params=dict(spec.requestParameters),
                response=dict(spec.responseElements),
                resource_type=spec.ResourceType,
                source_ip=spec.SourceIPAddress,
            )

    def add(self, **fields: Any) -> AuditEvent:
        with self._lock:
            event = AuditEvent(seq=len(self._events) + 1, **fields)
            self._events.append(event)
            return event

    def visible(self, now: float) -> list[AuditEvent]:
        """What can be looked up at `now`, newest first."""
        with self._lock:
            events = [e for e in self._events if e.at + self.delay <= now]
        return sorted(events, key=lambda e: (e.at, e.seq), reverse=True)

    def get(self, seq: int) -> AuditEvent | None:
        with self._lock:
            return self._events[seq - 1] if 0 < seq <= len(self._events) else None
