"""Acting on orphans safely: staged (mark, then terminate), capped, re-checked right before acting."""

from __future__ import annotations

from .plan import Decision, Options
from .run import CleanupError, Report, actor, run_cleanup

__all__ = ["CleanupError", "Decision", "Options", "Report", "actor", "run_cleanup"]
