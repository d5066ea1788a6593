"""Worker processes: run tasks that share nothing in a process pool, forwarding their calls (for progress and
metrics) and log records to the parent, and a cancellation from the parent to them.

The pool uses the 'forkserver' context (where the platform has it, else 'spawn'): 'fork' would copy the parent's
threads' locks half-held and its open connections (the SDK's HTTP pools, SQLite); a fork server is a clean,
single-threaded process that has imported the scan once, so each pass's workers start in milliseconds instead of
importing the SDK again (about 0.4 s of CPU each with 'spawn'). What the server froze when it started, the
environment (credentials may come from it) and the working directory, each worker takes from the parent anew.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from logging.handlers import QueueHandler
from typing import Any, TypeVar

from .context import CallListener, Cancel

log = logging.getLogger(__name__)
R = TypeVar("R")
PRELOAD = ["tke_orphans.scan"]  # what the fork server imports once: the scan, the SDK, the records
POLL = 0.1  # seconds between looks at the parent's cancel event while tasks run


@dataclass
class WorkerContext:
    payload: Any  # what every task needs (sent once per worker, not per task)
    cancel: Cancel
    on_call: CallListener


_context: list[WorkerContext] = []  # this worker process's, set by _init


def context() -> WorkerContext:
    if not _context:
        raise RuntimeError("not in a worker process")
    return _context[0]


def _init(payload: Any, cancel: Cancel, queue: Any, level: int, env: dict[str, str], cwd: str) -> None:
    # A Ctrl-C in a terminal reaches the whole process group: the parent decides, and stops the workers by `cancel`.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    logging.getLogger().handlers[:] = [QueueHandler(queue)]
    logging.getLogger("tke_orphans").setLevel(level)

    def on_call(api: str, region: str, outcome: str) -> None:
        queue.put((api, region, outcome))

    _context[:] = [WorkerContext(payload, cancel, on_call)]


def _measured(fn: Callable[..., R], *args: Any) -> tuple[R, int, float]:
    """The task's result, and its worker's pid and CPU seconds so far (a worker runs one task per pass)."""
    return fn(*args), os.getpid(), time.process_time()


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
    cancel: Cancel | None = None,
) -> list[R | BaseException]:
    """`fn(*task)` for each task in `workers` processes (`fn` reads `context()`); results in the tasks' order, a
    task that raised (or whose worker died) as its exception: one task's failure is not the others'."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx: Any = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)  # before the server's first start; later calls change nothing
    else:
        ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    queue = ctx.Queue()
    drain = threading.Thread(target=_drain, args=(queue, listener), name="fanout-drain", daemon=True)
    drain.start()
    level = logging.getLogger("tke_orphans").getEffectiveLevel()
    try:
        with ProcessPoolExecutor(
            workers, ctx, initializer=_init, initargs=(payload, stop, queue, level, dict(os.environ), os.getcwd())
        ) as pool:
            futures = [pool.submit(_measured, fn, *task) for task in tasks]
            pending = set(futures)
            while pending:
                if cancel is not None and cancel.is_set():
                    stop.set()  # each worker's calls stop at once, and its waits end
                _, pending = wait(pending, timeout=POLL, return_when=FIRST_COMPLETED)
        out: list[R | BaseException] = []
        cpu: dict[int, float] = {}
        for f in futures:
            exc = f.exception()
            if exc is None:
                result, pid, seconds = f.result()
                out.append(result)
                cpu[pid] = max(seconds, cpu.get(pid, 0.0))
            else:
                out.append(exc)
        log.debug("CPU of the worker processes: %s", ", ".join(f"{s:.2f}s" for s in cpu.values()),
                  extra={"worker_cpu": cpu})  # fmt: skip
        return out
    finally:
        # The pool has shut down: the workers' queue feeders were flushed at their exit, so None comes last.
        queue.put(None)
        drain.join()
        queue.close()
        queue.join_thread()
