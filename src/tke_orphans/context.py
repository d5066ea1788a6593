"""One pass's context: what every layer of a scan, a job or a cleanup needs, as one object instead of four
parameters (the config, the endpoint the calls go to, who counts them, what stops them).

A leaf module: the cloud adapter, the orchestration and the commands all read it, and it imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .config.schema import Config

CallListener = Callable[[str, str, str], None]  # (api, region, outcome: ok|retry|error)


class Cancel(Protocol):
    """A stop signal: threading.Event in one process, a multiprocessing Event in the scan's worker processes."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass(frozen=True)
class Run:
    """`endpoint_url`: --endpoint-url or TKE_ORPHANS_ENDPOINT_URL, over the config's `tencentcloud.endpoint_url`;
    `listener`: told of every cloud call (progress, metrics); `cancel`: set, every call and wait stops;
    `accounts`: only these accounts' (by name: a scan an event asked for), else every configured one."""

    cfg: Config
    endpoint_url: str | None = None
    listener: CallListener | None = None
    cancel: Cancel | None = None
    accounts: frozenset[str] | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()
