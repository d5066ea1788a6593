"""The chat bots' common sending: pacing, fresh signatures, the platform's business answer, bounded retries.

All three platforms answer errors inside a JSON body, usually with HTTP 200: success is decided on that body's
code, never on the HTTP status alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from ..config.secrets import mask_url
from ..retry import Backoff, retrying, up_to_double
from .compose import Part, Style, compose
from .model import BotSpec, Delivery, Notice, OnResult, Owes
from .pacing import BotPacer, Stopped

log = logging.getLogger(__name__)
# httpx logs every request's full URL at INFO, and webhook URLs carry their credential (key, access_token, token).
logging.getLogger("httpx").setLevel(logging.WARNING)


@dataclass(frozen=True)
class _Try:
    """What one post came to: `final` when it is decided (delivered, or refused for good), else the error."""

    code: str
    message: str
    final: Delivery | None = None
    throttled: bool = False


class ChatBot:
    """One group bot. Subclasses say how to build, sign and read messages; this class sends them."""

    platform: ClassVar[str]
    style: ClassVar[Style]
    limit_bytes: ClassVar[int]
    throttle_codes: ClassVar[frozenset[int]]
    hints: ClassVar[dict[int, str]]

    def __init__(
        self,
        spec: BotSpec,
        client: httpx.Client,
        pacer: BotPacer,
        *,
        max_attempts: int = 4,
        base_delay: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.client = client
        self.pacer = pacer
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.sleep, self.clock = sleep, clock
        self.key = f"{self.platform}:{hashlib.sha256(spec.url.encode()).hexdigest()[:16]}"
        # The first refusal that retrying cannot fix (a revoked key, a bad signature): the channel is not tried
        # again in this run (one Notifier), whatever else it owes; the next run tries once more.
        self.refused: Delivery | None = None

    # ---- what subclasses provide ------------------------------------------------------------------------------

    def payload(self, part: Part, notice: Notice, first: bool) -> dict[str, Any]:
        raise NotImplementedError

    def mention_text(self) -> str:
        return ""

    def extra_payloads(self, notice: Notice) -> list[dict[str, Any]]:
        """Messages sent after the parts (WeCom's @all and mobile mentions work only in text messages)."""
        return []

    def signed(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The URL and body to send; signed afresh for each attempt, from the unsigned URL."""
        return self.spec.url, body

    def answer_code(self, answer: dict[str, Any]) -> tuple[int, str]:
        return int(answer.get("errcode", -1)), str(answer.get("errmsg", ""))

    # ---- shared --------------------------------------------------------------------------------------------

    @staticmethod
    def encode(body: dict[str, Any]) -> bytes:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def fits(self, body: dict[str, Any]) -> bool:
        return len(self.encode(body)) <= self.limit_bytes

    def messages(self, notice: Notice) -> list[dict[str, Any]]:
        """Every body this bot would send for a notice, in order (what `preview` prints)."""
        mention = self.mention_text()

        def fits(title: str, text: str) -> bool:
            return self.fits(self.payload(Part(title, text), notice, first=True))

        parts = compose(
            notice,
            self.style,
            self.spec.language,
            fits,
            first_extra=mention,
            test_name=self.spec.name,
            timezone=self.spec.timezone,
        )
        bodies = [self.payload(p, notice, first=i == 0) for i, p in enumerate(parts)]
        return bodies + self.extra_payloads(notice)

    @property
    def name(self) -> str:
        return self.spec.full_name

    def send(self, notice: Notice, owes: Owes | None = None, on_result: OnResult | None = None) -> list[Delivery]:
        """Send every part, or only those `owes(part)` (1-based) says a previous run did not deliver. `on_result`
        hears of each part as soon as it is decided, so that an accepted part is recorded before the next goes."""
        bodies = self.messages(notice)
        out: list[Delivery] = []
        for i, body in enumerate(bodies, 1):
            if owes is not None and not owes(i):
                continue
            label = f"{i}/{len(bodies)}"
            if self.refused is not None:
                why = f"refused earlier in this run ({self.refused.code})"
                d = Delivery(self.name, self.platform, label, False, 0, "not sent", why)
            elif out and not out[-1].ok:
                # A bad key, a bad signature or a robot blocked for minutes fails every part alike: stop here and
                # owe the rest to the next run, instead of retrying each part in turn.
                d = Delivery(self.name, self.platform, label, False, 0, "not sent", "an earlier part failed")
            else:
                try:
                    d = self.post(body, label)
                except Stopped:
                    d = Delivery(self.name, self.platform, label, False, 0, "stopped", "not sent: the run is stopping")
            out.append(d)
            if on_result is not None:
                on_result(d)
        return out

    def _try(self, body: dict[str, Any], part: str, attempt: int) -> _Try:
        sent_at = self.pacer.wait_turn(self.key, self.platform)
        url, signed_body = self.signed(body)
        try:
            resp = self.client.post(
                url, content=self.encode(signed_body), headers={"Content-Type": "application/json; charset=utf-8"}
            )
        except httpx.TimeoutException:
            return _Try("timeout", "no answer in time")
        except httpx.TransportError as exc:
            return _Try("network", type(exc).__name__)
        if resp.status_code >= 500 or resp.status_code == 429:
            return _Try(f"HTTP {resp.status_code}", "server error or too many requests")
        try:
            answer = resp.json()
            value, message = self.answer_code(answer if isinstance(answer, dict) else {})
        except ValueError:
            value, message = -1, f"HTTP {resp.status_code}, not a JSON answer"
        if value == 0:
            return _Try("", "", Delivery(self.name, self.platform, part, True, attempt))
        if value in self.throttle_codes:
            return _Try(str(value), message, throttled=True)
        hint = self.hints.get(value, "")
        log.warning("%s %s refused: %s %s", self.name, mask_url(self.spec.url), value, message)
        self.pacer.withdraw(self.key, sent_at)
        return _Try(str(value), message, Delivery(self.name, self.platform, part, False, attempt, str(value),
                                                  mask_url(message), hint))  # fmt: skip

    def _again(self, t: _Try, attempt: int) -> float | None:
        """Timeouts, network errors, 5xx and 429 are retried; the throttling codes more slowly; the rest is final."""
        if t.final is not None or attempt >= self.max_attempts:
            return None
        delay = Backoff(self.base_delay * (5 if t.throttled else 1), jitter=up_to_double).delay(attempt)
        log.info("%s: %s %s, retry %d in %.1fs", self.name, t.code, t.message, attempt, delay)
        return delay  # the wait wakes when the run is stopping; the next turn then raises Stopped

    def post(self, body: dict[str, Any], part: str) -> Delivery:
        last = retrying(lambda attempt: self._try(body, part, attempt), self._again, self.sleep)
        if last.final is not None:
            if not last.final.ok:
                self.refused = last.final
            return last.final
        hint = "the platform keeps throttling this bot" if last.throttled else ""
        return Delivery(self.name, self.platform, part, False, self.max_attempts, last.code, mask_url(last.message),
                        hint)  # fmt: skip
