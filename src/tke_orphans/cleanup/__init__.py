"""Acting on orphans safely: staged (mark, then terminate), capped, re-checked right before acting."""

from __future__ import annotations

from .operation import CleanupRun, run_operation, serve_hook
from .plan import CleanupError, Decision, Options
from .run import Report, actor, run_cleanup

__all__ = [
    "CleanupError",
    "CleanupRun",
    "Decision",
    "Options",
    "Report",
    "actor",
    "run_cleanup",
    "run_operation",
    "serve_hook",
]
