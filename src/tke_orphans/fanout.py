"""Worker processes: run tasks that share nothing in a process pool, forwarding their calls (for progress and
metrics) and log records to the parent, and a cancellation from the parent to them.

The pool uses the 'spawn' context: a fresh interpreter with the current environment (credentials may come from it)
and no copy of the parent's threads, locks or open connections (the SDK's HTTP pools, SQLite), which 'fork' would
copy half-held and which 'forkserver' would freeze at the moment its server started.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from logging.handlers import QueueHandler
from typing import Any, TypeVar

from .cloud.session import CallListener, Cancel

R = TypeVar("R")
POLL = 0.1  # seconds between looks at the parent's cancel event while tasks run


@dataclass
class WorkerContext:
    payload: Any  # what every task needs (sent once per worker, not per task)
    cancel: Cancel
    on_call: CallListener
    cache: dict[str, Any] = field(default_factory=dict)  # per worker, for this run (sessions, say)


_context: list[WorkerContext] = []  # this worker process's, set by _init


def context() -> WorkerContext:
    if not _context:
        raise RuntimeError("not in a worker process")
    return _context[0]


def _init(payload: Any, cancel: Cancel, queue: Any, level: int) -> None:
    logging.getLogger().handlers[:] = [QueueHandler(queue)]
    logging.getLogger("tke_orphans").setLevel(level)

    def on_call(api: str, region: str, outcome: str) -> None:
        queue.put((api, region, outcome))

    _context[:] = [WorkerContext(payload, cancel, on_call)]


def _drain(queue: Any, listener: CallListener | None) -> None:
    for item in iter(queue.get, None):
        if isinstance(item, logging.LogRecord):
            logging.getLogger(item.name).handle(item)
        elif listener is not None:
            listener(*item)


def run_in_workers(
    fn: Callable[..., R],
    tasks: Sequence[tuple[Any, ...]],
    *,
    workers: int,
    payload: Any,
    listener: CallListener | None = None,
    cancel: threading.Event | None = None,
) -> list[R | BaseException]:
    """`fn(*task)` for each task in `workers` processes (`fn` reads `context()`); results in the tasks' order, a
    task that raised (or whose worker died) as its exception: one task's failure is not the others'."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    queue = ctx.Queue()
    drain = threading.Thread(target=_drain, args=(queue, listener), name="fanout-drain", daemon=True)
    drain.start()
    level = logging.getLogger("tke_orphans").getEffectiveLevel()
    try:
        with ProcessPoolExecutor(workers, ctx, initializer=_init, initargs=(payload, stop, queue, level)) as pool:
            futures: list[Future[R]] = [pool.submit(fn, *task) for task in tasks]
            pending = set(futures)
            while pending:
                if cancel is not None and cancel.is_set():
                    stop.set()  # each worker's calls stop at once, and its waits end
                _, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
        out: list[R | BaseException] = []
        for f in futures:
            exc = f.exception()
            out.append(exc if exc is not None else f.result())
        return out
    finally:
        # The pool has shut down: the workers' queue feeders were flushed at their exit, so None comes last.
        queue.put(None)
        drain.join()
        queue.close()
        queue.join_thread()
