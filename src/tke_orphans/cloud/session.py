"""One account's connection to Tencent Cloud: credentials, endpoints, pacing and retries around the official SDK.

Every call is signed with the SDK's signer and credential object and sent through the SDK's HTTP connection
(cloud/transport.py), and its body parsed once, into plain dicts (cheaper than model objects at 100,000 instances)
that the inventory turns into records. `CommonClient.call` would parse each body a second time in its error check:
the client's CPU per page of 100 instances is measured in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tencentcloud.common import credential as tc_credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from ..config.schema import Credentials, Retry
from ..context import CallListener as CallListener  # noqa: PLC0414  (re-exported: cloud.session's names before)
from ..context import Cancel as Cancel  # noqa: PLC0414
from ..retry import Backoff, full_jitter, retrying
from . import credentials
from .errors import CloudError, CredentialsError, as_text, is_retryable, is_throttled
from .ratelimit import Pacer
from .transport import Transport

log = logging.getLogger(__name__)
# At debug the SDK logs every request with its headers, temporary token (X-TC-Token) included.
logging.getLogger("tencentcloud_sdk_common").setLevel(logging.INFO)

VERSIONS = {"cvm": "2017-03-12", "region": "2022-06-27", "tke": "2018-05-25", "tag": "2018-08-13", "sts": "2018-08-13",
            "cbs": "2017-03-12", "clb": "2018-03-17", "vpc": "2017-03-12", "cloudaudit": "2019-03-19"}  # fmt: skip
_OIDC_ENV = ("TKE_REGION", "TKE_PROVIDER_ID", "TKE_WEB_IDENTITY_TOKEN_FILE", "TKE_ROLE_ARN")


def resolve_credentials(creds: Credentials, where: str, config_file: str = "the config") -> tuple[Any, str]:
    """An SDK credential object, by the documented order, and where it came from (credentials.*_SOURCE: what an
    AuthFailure hint tells to check); a CredentialsError names what to set."""
    if creds.credential_source == "cvm_role":
        role = credentials.from_cvm_role(creds.cvm_role_name, where)
        return role, credentials.cvm_role_source(creds.cvm_role_name)
    key = creds.secret_key.get_secret_value() if creds.secret_key else None
    if creds.secret_id or key:
        if not (creds.secret_id and key):
            missing = "secret_key" if creds.secret_id else "secret_id"
            raise CredentialsError(f"{where}.{missing} is missing: set both secret_id and secret_key, or neither.")
        token = creds.token.get_secret_value() if creds.token else None
        names = (f"{where}.secret_id", f"{where}.secret_key", f"{where}.token")
        cred = credentials.credential(creds.secret_id, key, token, names)
        return cred, credentials.config_source(where, config_file)
    for provider in (credentials.from_environment, credentials.from_profile):
        found = provider()
        if found is not None:
            return found
    if all(os.environ.get(name) for name in _OIDC_ENV):
        return tc_credential.DefaultTkeOIDCRoleArnProvider().get_credentials(), credentials.TKE_POD_IDENTITY_SOURCE
    raise CredentialsError(
        "No Tencent Cloud credentials found: set tencentcloud.secret_id and secret_key in the config, "
        "or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or write ~/.tencentcloud/credentials, "
        "or set tencentcloud.credential_source: cvm_role on a CVM with a CAM role."
    )


@dataclass(frozen=True)
class Endpoint:
    """Where calls go: one base URL for every service (emulator, proxy), or <service>.<root domain>."""

    url: str | None = None
    root_domain: str | None = None


@dataclass
class _Failed:
    """One try that failed: the cloud's code (as text: retries are decided on it) and words as the SDK gave them
    (bytes for an HTTP error's body, say); CloudError makes them bounded text, in one place."""

    code: str
    message: Any
    request_id: Any = ""


class Session:
    """Thread-safe: each thread gets its own SDK clients (and so its own HTTP connection pool)."""

    def __init__(
        self,
        account: str,
        credential: Any,
        *,
        credentials_from: str = "",
        endpoint: Endpoint = Endpoint(),
        timeout: float = 20.0,
        retry: Retry | None = None,
        pacer: Pacer | None = None,
        listener: CallListener | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        cancel: Cancel | None = None,
    ) -> None:
        self.account = account
        self.credential = credential  # the SDK credential object it signs with (an organization's roles start from it)
        self.credentials_from = credentials_from  # credentials.*_SOURCE: named by the AuthFailure hint
        self._cancel = cancel
        # The region breaker is never involved: calls go to the endpoint we chose (or <service>.<root domain>).
        self._transport = Transport(credential, url=endpoint.url, root_domain=endpoint.root_domain, timeout=timeout)
        self._retry = retry or Retry()
        self.pacer = pacer or Pacer()
        self._listener = listener
        self._sleep, self._clock = sleep, clock
        self.deadline = 0.0  # the scan's budget for waiting on the quota
        self.restart_deadline()

    def restart_deadline(self) -> None:
        """Throttled calls are retried until this moment (monotonic): a new step (pricing after the listings) gets
        a budget of its own rather than what the listings left."""
        self.deadline = self._clock() + self._retry.throttle_deadline

    def _notify(self, api: str, region: str, outcome: str) -> None:
        if self._listener:
            self._listener(api, region, outcome)

    def _wait(self, delay: float) -> None:
        if self._cancel is not None:
            self._cancel.wait(delay)
        else:
            self._sleep(delay)

    def call(
        self,
        service: str,
        action: str,
        region: str,
        params: dict[str, Any],
        *,
        version: str | None = None,
        cluster_id: str | None = None,
        mutating: bool = False,
    ) -> dict[str, Any]:
        """The `Response` object of one API call, after pacing and retries; raises CloudError.

        Throttling is retried (more slowly each time, and the pacer slows down) until the session's deadline; other
        retryable errors `max_attempts` times. A `mutating` call is retried only when throttled: after a time-out
        or a 5xx it may have been carried out.
        """
        api = f"{service}.{action}"
        version = version or VERSIONS[service]
        backoff = Backoff(self._retry.base_delay, self._retry.max_delay, full_jitter)
        failures = throttles = 0

        def once(_: int) -> dict[str, Any] | _Failed:
            if not self.pacer.acquire(api, region, self._cancel):  # stopping: no call, and no wait for a turn
                raise CloudError(api, "Cancelled", "the scan was stopped", cluster_id=cluster_id)
            try:
                response = self._transport.call(service, version, action, region, params)
                self.pacer.answered(api, region)
                self._notify(api, region, "ok")
                return response
            except TencentCloudSDKException as exc:
                code = as_text(exc.get_code(), 100) or "ClientError"
                return _Failed(code, exc.get_message(), exc.get_request_id())
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                # A body cut short or not in the API's envelope: the SDK lets these through as they are.
                return _Failed("InvalidResponse", f"unreadable answer ({exc})")
            except OSError as exc:  # credential providers that fetch tokens over the network
                return _Failed("ClientNetworkError", exc)

        def again(outcome: dict[str, Any] | _Failed, _: int) -> float | None:
            """Throttling has its own budget, a deadline; other errors a count, and a mutating call none."""
            nonlocal failures, throttles
            if not isinstance(outcome, _Failed):
                return None
            code = outcome.code
            if is_throttled(code):
                self.pacer.throttled(api, region)
                throttles += 1
                delay = backoff.delay(throttles)
                retry = self._clock() + delay < self.deadline
                if not retry:
                    outcome.message = f"still throttled after {throttles} tries, at the deadline: {outcome.message}"
            else:
                failures += 1
                delay = backoff.delay(failures)
                retry = not mutating and is_retryable(code) and failures < self._retry.max_attempts
            if not retry:
                return None
            self._notify(api, region, "retry")
            log.debug("%s in %s: %s, retry in %.2fs", api, region, code, delay)
            return delay

        outcome = retrying(once, again, self._wait)
        if isinstance(outcome, _Failed):
            self._notify(api, region, "error")
            raise CloudError(api, outcome.code, outcome.message, cluster_id=cluster_id, request_id=outcome.request_id)
        return outcome
