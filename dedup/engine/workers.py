"""A pool of forked worker processes for the local engine: work mapped in order, a bounded number
of parts in flight, and processes that end with the job.

Machinery only: what the workers compute is :mod:`dedup.engine.processes`' business (the
analysis map stages of :mod:`dedup.engine.stages`), given to the pool as a setup function and
the state it is called with in each worker.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from itertools import islice

#: Parts in flight per process: the input is read as the work goes, never much ahead of it.
IN_FLIGHT = 3


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def can_fork() -> bool:
    """Worker processes here are forked: they inherit the articles instead of receiving copies."""
    return "fork" in mp.get_all_start_methods()


def return_freed_memory() -> None:
    """Have glibc's allocator give arrays of a megabyte or more their own mappings, returned
    to the system when freed. By default it raises that bar as arrays are freed (up to 32 MB),
    after which the job's per-part and per-chunk arrays were carved from the heap, and the
    holes they left kept the process's resident size up: on 100k articles the peak was a
    fifth higher. Set in the job's own process once the analysis processes are forked (they
    make many small arrays, and ran a tenth slower with it). Elsewhere than glibc, nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


class WorkerLost(RuntimeError):
    """A worker process ended before its work was done (killed: most often by the system's
    out-of-memory killer). The job cannot go on without the part it held."""


_PARENT_GONE = (b"dedup: the job's main process ended before its workers (killed: most likely by the system's "
                b"out-of-memory killer); with a large input, give --spill-dir FOLDER or fewer --jobs\n")


def _parent_gone(signum, frame) -> None:  # pragma: no cover - runs in a worker whose parent died
    os.write(2, _PARENT_GONE)
    os._exit(1)


def _follow_parent(parent: int) -> None:
    """In a worker: end with the job's process. Killed (the out-of-memory killer takes the
    largest process, the parent), it would leave its workers waiting for work forever; Linux
    sends them SIGTERM instead (``PR_SET_PDEATHSIG``), and they say why before they go."""
    signal.signal(signal.SIGTERM, _parent_gone)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker outlives a killed parent
        return
    if os.getppid() != parent:  # the parent died before the request was made
        _parent_gone(signal.SIGTERM, None)


class Workers:
    """``jobs`` forked processes (each runs ``setup(state)`` first; ``state`` is inherited, not sent) that map a function over an
    iterable in order, keeping at most ``jobs * IN_FLIGHT`` parts in flight, so that the input
    is read as the work goes (the iterable is drawn in this process, between results).

    Built on :class:`concurrent.futures.ProcessPoolExecutor`, which notices a worker that died
    (:class:`~concurrent.futures.process.BrokenProcessPool`): a :class:`multiprocessing.Pool`
    replaces the dead worker and waits forever for the part it held."""

    def __init__(self, jobs: int, setup: Callable[[object], None], state: object) -> None:
        self.jobs = jobs
        self.pool = ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork"), initializer=_begin,
                                        initargs=(os.getpid(), setup, state))

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def imap(self, fn: Callable, items) -> Iterator:
        """``fn(item)`` for each item, in order."""
        items, pending = iter(items), deque()
        before = set(mp.active_children())
        try:
            for item in islice(items, self.jobs * IN_FLIGHT):
                pending.append(self.pool.submit(fn, item))
            self.processes = [p for p in mp.active_children() if p not in before]  # forked at the first submit
            while pending:
                result = self._result(pending.popleft())
                for item in islice(items, 1):
                    pending.append(self.pool.submit(fn, item))
                yield result
        except BrokenProcessPool as exc:
            raise WorkerLost(
                f"a worker process ended before its work was done ({exc.__class__.__name__}); it was most likely "
                "killed by the system's out-of-memory killer: with a large input, give --spill-dir FOLDER "
                "(the job's largest arrays kept in files) or fewer --jobs") from None


    def _result(self, future):
        """The future's result. A worker killed while it sent a result leaves a message cut short
        in the pipe, and the executor's thread waits for the rest of it forever (it notices a
        dead worker only between messages): when a worker is seen dead, the others are ended too,
        which closes the pipe, so that the executor sees the pool broken."""
        while True:
            try:
                return future.result(timeout=0.5)
            except FutureTimeout:
                if any(p.exitcode is not None for p in self.processes):
                    for p in self.processes:
                        if p.exitcode is None:
                            p.kill()


def _begin(parent: int, setup: Callable[[object], None], state: object) -> None:
    """In a new worker: follow the parent, then set the worker up with ``state``."""
    _follow_parent(parent)
    setup(state)
