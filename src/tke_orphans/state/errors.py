"""The state's errors: the message says which file and what to do."""

from __future__ import annotations


class StateError(Exception):
    """The state cannot be used; the message says which file and what to do. Nothing was written."""


class StateLocked(StateError):
    pass
