"""Moves this process's clock by TEST_CLOCK_SHIFT_SECONDS, when it is set.

tests/test_any_date.py puts this folder on PYTHONPATH, so Python imports this file at start-up in the child pytest
and in every Python process its tests start (the CLI as a subprocess, the scan's worker processes): all of them see
the same moved clock. A shift, not a date, is passed on: a process started later lands as much later.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

_SHIFT = os.environ.get("TEST_CLOCK_SHIFT_SECONDS")
if _SHIFT:
    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(seconds=float(_SHIFT)), tick=True).start()
