"""Fault rules: make chosen calls fail the way the real cloud and networks do.

A fault file (YAML or JSON) is `{seed: 1, faults: [rule, ...]}`; each rule matches by service, action, region and
request parameters and fires always, for the first `times` matches, or with a `probability`. See docs/emulator.md.
"""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .world import WorldError, _format_loc

Effect = Literal["error", "http_500", "hang", "reset", "truncate", "short", "omit", "delay", "value"]


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str | None = None
    action: str | None = None
    region: str | None = None
    params: dict[str, Any] = {}
    effect: Effect = "error"
    code: str = "InternalError"
    message: str = "An internal error has occurred. Retry your request."
    times: Annotated[int, Field(ge=1)] | None = None
    probability: Annotated[float, Field(ge=0, le=1)] | None = None
    hang_seconds: Annotated[float, Field(gt=0)] = 600.0
    delay_seconds: Annotated[float, Field(gt=0)] = 0.3  # `delay`: the real answer, this late
    # `value`: the real answer with every `field` in it set to `value` (a figure no real answer has: -5, NaN, 1e300)
    field: str | None = None
    value: Any = None

    @model_validator(mode="after")
    def _value_names_a_field(self) -> FaultRule:
        if self.effect == "value" and not self.field:
            raise ValueError("effect 'value' needs `field`: the answer's field to set")
        return self

    def matches(self, service: str, action: str, region: str, params: dict[str, Any]) -> bool:
        if self.service not in (None, service) or self.action not in (None, action):
            return False
        if self.region not in (None, region):
            return False
        return all(params.get(k) == v for k, v in self.params.items())


class FaultFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int | None = None
    faults: list[FaultRule] = []


class FaultPlan:
    """Decides, thread-safely, which fault (if any) a call gets. The first matching rule that fires wins."""

    def __init__(self, rules: list[FaultRule], seed: int | None = None) -> None:
        self.rules = rules
        self._fired = [0] * len(rules)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def pick(self, service: str, action: str, region: str, params: dict[str, Any]) -> FaultRule | None:
        with self._lock:
            for i, rule in enumerate(self.rules):
                if not rule.matches(service, action, region, params):
                    continue
                if rule.times is not None and self._fired[i] >= rule.times:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                self._fired[i] += 1
                return rule
        return None

    @classmethod
    def from_data(cls, data: Any, source: str = "<faults>") -> FaultPlan:
        try:
            spec = FaultFile.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise WorldError(source, _format_loc(tuple(err["loc"])), err["msg"]) from None
        return cls(spec.faults, spec.seed)

    @classmethod
    def load(cls, path: str | Path) -> FaultPlan:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
            data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
        except OSError as exc:
            raise WorldError(str(p), "", f"cannot read the file: {exc.strerror}") from None
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            raise WorldError(str(p), "", f"not valid YAML/JSON: {exc}") from None
        return cls.from_data(data or {}, str(p))
