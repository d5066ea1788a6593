"""Ctrl-C: the first says at once that the command is stopping and what is kept, and stops it within GRACE; a second
ends it at once. Never a traceback, exit 130 (128 + SIGINT, as a shell reports it).

A command stops as Python would (KeyboardInterrupt), or, inside `cancelled_by` (the scan), through its cancel event:
the path serve's SIGTERM takes, which ends pacing and retry waits at once and stops the worker processes. A call in
flight (a hanging answer takes `request_timeout`) cannot hold the exit past GRACE. Leaving at any point is safe:
every write to the state is a transaction (one left unfinished is rolled back) and its lock (flock) goes with the
process.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.util
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

EXIT_INTERRUPTED = 130
GRACE = 1.5  # seconds a command stopped by Ctrl-C has to wind down before it is ended


@dataclass
class _Stopping:
    """What a Ctrl-C does now: the process has one handler, and the command in progress says what it stops."""

    kept: Callable[[], str] = str  # what is kept, said on the first Ctrl-C ("" says nothing more)
    cancel: threading.Event | None = None  # None: KeyboardInterrupt
    pressed: bool = False


_now = _Stopping()


def _on_sigint(signum: int, frame: object) -> None:
    if _now.pressed:
        leave()
    _now.pressed = True
    timer = threading.Timer(GRACE, leave)
    timer.daemon = True  # a command that wound down in time exits without waiting for it
    timer.start()
    if _now.cancel is not None:
        _now.cancel.set()
    kept = _now.kept()
    sys.stderr.write(f"stopping (Ctrl-C){': ' + kept if kept else ''}; Ctrl-C again to quit at once\n")
    sys.stderr.flush()
    if _now.cancel is None:
        raise KeyboardInterrupt


def leave() -> None:
    """End the process now, with the worker processes it started (a terminal's Ctrl-C reaches them too, but they
    leave stopping to the parent, and would finish a hanging call first), not waiting for threads stuck in a call."""
    try:
        logging.disable()  # what the scan would log about the workers it loses: nothing more is said
        # Nor what a thread says on its way out: the process pool's manager sees its workers killed below and
        # raises (BrokenProcessPool) before os._exit ends it.
        threading.excepthook = lambda args: None
        for child in multiprocessing.active_children():
            child.kill()
        # What a normal exit does first: the semaphores of the workers' queues are released, so that the resource
        # tracker has none left over to warn about once this process is gone.
        multiprocessing.util._run_finalizers(0)  # type: ignore[attr-defined]
    finally:
        os._exit(EXIT_INTERRUPTED)


@contextmanager
def handled() -> Iterator[None]:
    """Around a whole command (in the main thread only: a signal handler cannot be set elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _now.pressed = False
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def cancelled_by(cancel: threading.Event, kept: Callable[[], str]) -> Iterator[None]:
    """While in it, Ctrl-C sets `cancel` instead of interrupting, and says `kept()`."""
    before = _now.kept, _now.cancel
    _now.kept, _now.cancel = kept, cancel
    try:
        yield
    finally:
        _now.kept, _now.cancel = before
