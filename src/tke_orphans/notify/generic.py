"""The generic webhook: the scan result's JSON (schema_version 1) POSTed to any URL, HMAC-signed when asked."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import asdict

import httpx

from ..config.secrets import mask_url
from ..render.json import dumps, to_json
from ..retry import Backoff, no_jitter, retrying
from .model import BotSpec, Delivery, Notice, OnResult, Owes


def body_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class GenericWebhook:
    platform = "generic"

    def __init__(
        self,
        spec: BotSpec,
        client: httpx.Client,
        *,
        max_attempts: int = 4,
        base_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spec, self.client = spec, client
        self.max_attempts, self.base_delay, self.sleep = max_attempts, base_delay, sleep

    def messages(self, notice: Notice) -> list[dict[str, object]]:
        at = notice.scanned_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if notice.kind == "cleanup":
            return [{"event": "cleanup", "at": at, "actions": [asdict(a) for a in notice.actions]}]
        if notice.result is None:  # a test message
            return [{"event": "test", "scanned_at": at}]
        # With the state's first-seen times, as `scan --output json`: `wasted` is known where they are, null elsewhere.
        return [{**to_json(notice.result, notice.first_seen), "event": notice.kind}]

    def send(self, notice: Notice, owes: Owes | None = None, on_result: OnResult | None = None) -> list[Delivery]:
        if owes is not None and not owes(1):
            return []
        d = self._post(notice)
        if on_result is not None:
            on_result(d)
        return [d]

    def _post(self, notice: Notice) -> Delivery:
        body = dumps(self.messages(notice)[0], indent=None).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.spec.secret:
            headers[self.spec.signature_header] = body_signature(self.spec.secret, body)
        name = f"generic:{self.spec.name}"  # generic hooks always have their own name

        def once(attempt: int) -> tuple[Delivery, bool]:  # what came of it; whether that is final
            try:
                resp = self.client.post(self.spec.url, content=body, headers=headers)
            except httpx.TimeoutException:
                return Delivery(name, "generic", "1/1", False, attempt, "timeout", "no answer in time"), False
            except httpx.TransportError as exc:
                return Delivery(name, "generic", "1/1", False, attempt, "network", type(exc).__name__), False
            if resp.is_success:
                return Delivery(name, "generic", "1/1", True, attempt), True
            code, message = f"HTTP {resp.status_code}", resp.reason_phrase
            if resp.status_code < 500 and resp.status_code != 429:
                return Delivery(name, "generic", "1/1", False, attempt, code, message, "check the URL and secret"), True
            return Delivery(name, "generic", "1/1", False, attempt, code, mask_url(message)), False

        def again(outcome: tuple[Delivery, bool], attempt: int) -> float | None:
            """Timeouts, network errors, 5xx and 429 are retried, without jitter (one hook, one sender)."""
            if outcome[1] or attempt >= self.max_attempts:
                return None
            return Backoff(self.base_delay, jitter=no_jitter).delay(attempt)

        return retrying(once, again, self.sleep)[0]
