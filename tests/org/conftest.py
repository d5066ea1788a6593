"""Organization tests: each test's emulator hands out its own credentials, so none may be cached by an earlier test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tke_orphans.cloud import accounts, organization


def forget() -> None:
    """What a new process starts with: no member planned, no role credentials held."""
    organization._CACHE.clear()
    accounts._PLANNED.clear()


@pytest.fixture(autouse=True)
def _fresh_roles() -> Iterator[None]:
    forget()
    yield
    forget()
