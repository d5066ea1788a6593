"""What a handler gets besides its parameters."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..store import RegionStore, Store

if TYPE_CHECKING:
    from ..accounts import Accounts


@dataclass(frozen=True)
class Ctx:
    store: Store
    region_name: str | None
    caller_uin: str | None = None
    accounts: Accounts | None = None  # every account served: the organization and sts calls need them
    clock: Callable[[], float] = time.time  # the emulator's: what "now" is to calls that compare with it

    @property
    def region(self) -> RegionStore:
        """The request's region; regional APIs call this, so a missing or unknown region fails as in the cloud."""
        if not self.region_name:
            raise ApiError("MissingParameter", "The request is missing a required parameter `Region`.")
        rs = self.store.regions.get(self.region_name)
        if rs is None:
            raise ApiError("UnsupportedRegion", f"The region `{self.region_name}` is not supported.")
        return rs


class Raw:
    """A JSON list already encoded item by item (DescribeInstances pages)."""

    def __init__(self, items: list[str]) -> None:
        self.items = items


Answer = dict[str, Any]
