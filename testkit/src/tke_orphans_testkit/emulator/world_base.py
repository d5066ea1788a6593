"""What world.py and world_resources.py share: relative times, tags, placements and the world's error."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo

_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

InstanceState = Literal[
    "PENDING",
    "LAUNCH_FAILED",
    "RUNNING",
    "STOPPED",
    "STARTING",
    "STOPPING",
    "REBOOTING",
    "SHUTDOWN",
    "TERMINATING",
]
ChargeType = Literal["PREPAID", "POSTPAID_BY_HOUR", "CDHPAID", "SPOTPAID", "CDCPAID"]
Role = Literal["WORKER", "MASTER", "ETCD", "MASTER_ETCD"]


class WorldError(ValueError):
    """A world file that cannot be served: names the file, the path inside it and the problem."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        self.source, self.path, self.problem = source, path, problem
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {problem}")


def parse_time(value: object, now: datetime) -> datetime:
    """Parse an absolute ISO 8601 time or one relative to `now` ("-3d", "+30d", "-90s")."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError(f"expected a time such as '-3d' or '2026-01-02T03:04:05Z', got {value!r}")
    m = _RELATIVE.match(value.strip())
    if m:
        sign = -1 if m.group(1) == "-" else 1
        try:
            return now + sign * timedelta(seconds=float(m.group(2)) * _UNITS[m.group(3)])
        except OverflowError:
            raise ValueError(f"{value!r} is out of range: a time must fall within the years 1 to 9999") from None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a time: use ISO 8601 ('2026-01-02T03:04:05Z') or a relative time "
            "('-5m', '-3d', '+30d'; units s, m, h, d, w)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _time(value: object, info: ValidationInfo) -> datetime:
    now = (info.context or {}).get("now") or datetime.now(UTC)
    return parse_time(value, now)


# A time field: absolute, or relative to the world's start-up instant passed in the validation context.
Time = Annotated[datetime, BeforeValidator(_time)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tag(_Strict):
    Key: Annotated[str, Field(min_length=1)]
    Value: str = ""


class Placement(_Strict):
    Zone: Annotated[str, Field(min_length=1)]
    ProjectId: int = 0
