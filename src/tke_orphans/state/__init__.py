"""What tke-orphans remembers between runs: scans, orphans and their lifecycle, node history, chat pacing."""

from __future__ import annotations

from .db import StateDB
from .errors import StateError, StateLocked

__all__ = ["StateDB", "StateError", "StateLocked"]
