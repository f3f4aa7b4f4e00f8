"""Compiled loops (numba, wrapped here once): verification, candidate pairs, document
sums and keywords, and word hashes with the lexicon's table.

Verification compares each candidate pair three ways: the overlap of the two
shingle sets, the cosine of the two article vectors, and the alignment of
their sentences. Each is a merge of two sorted arrays, a few hundred entries
long; in numpy every pair paid a dozen calls' overhead for a few microseconds
of arithmetic, which made verification a third of the whole job. Here each
loop runs over all pairs in one call.

The loops themselves are in :mod:`dedup.compute.loops`, compiled on first use and cached
beside the module (or in numba's user cache when the package folder is read-only).
They take plain arrays: a sparse matrix is passed as its CSR ``indptr, indices, data``
with column indices sorted inside each row. The loops over many pairs or documents
have a wrapper that runs them on ``threads`` slices at once (:func:`in_threads`).

Compiling them all takes about 20 s, once (numba caches them); a job on a few articles
should not wait for that. So each entry point here runs the same source as plain Python
(the instance ``dedup.compute._plain_loops``, see :mod:`dedup.compute.loops`) while its loop has had few
elements in this process (:data:`SMALL`) and is not compiled yet, and the compiled loop
otherwise. Both give the same results, to the last bit; only the time differs.
"""

from __future__ import annotations

import importlib
import importlib.util
import mmap
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")

#: Below this many items a loop runs in one thread.
MIN_THREADED = 1024

#: How many array elements each loop may run as plain Python in a process (its calls' arrays
#: added up, a call counted whole) before it is compiled (or loaded from numba's cache) and
#: used compiled from then on. Measured on a SaudiNewsNet day (1,314 articles, one core):
#: plain Python takes 0.4-3.4 µs an element (the weights 3.4, the lexicon's lookups 2.3, the
#: cosines 1.6, the alignments 0.9, the word hashes 0.7), the compiled loops 6-130 ns;
#: compiling takes 0.3-4.6 s a loop (24 s for all), loading them from numba's cache 1 s in
#: all (numba's import 0.6 s). At 50,000 elements a loop's plain work is at most about 0.17 s:
#: the 5 articles of seeds/ (17,000 elements in the busiest loop, 0.06 s plain in all) run
#: without numba; the day passes it in every loop (most in their first call), its plain calls
#: before that taking 0.19 s in all (the whole day plain: 22 s, against 6 s compiled).
SMALL = 50_000

#: The one line said before the loops are compiled (not when numba loads them from its cache).
NOTICE = "dedup: compiling the fast loops for large inputs (first run only, about 20 s)"


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


_notice: Callable[[str], None] | None = _to_stderr
_lock = threading.Lock()
# 1 once NOTICE is said: in memory shared with the processes forked from this one (the analysis
# workers compile their loops too), so a job says it once, not once per process
_noticed = mmap.mmap(-1, 1)


def set_notice(notice: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """Where :data:`NOTICE` goes (called with it, at most once a job: the processes it forks
    included); ``None``: nowhere. Printed on stderr by default. Returns the previous one."""
    global _notice
    previous, _notice = _notice, notice
    return previous


def _compiling() -> None:
    with _lock:  # between processes, two starting to compile in the same microsecond could both say it
        if _noticed[0]:
            return
        _noticed[0] = 1
    if _notice is not None:
        _notice(NOTICE)


def _load_plain():
    """``dedup/compute/loops.py`` run a second time as ``dedup.compute._plain_loops``, its functions left plain
    Python (registered in ``sys.modules``: its functions pickle by reference)."""
    name = "dedup.compute._plain_loops"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("loops.py"))
    module = importlib.util.module_from_spec(spec)
    module._PLAIN = True
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


_plain = _load_plain()
_compiled = None  # dedup.compute.loops, imported (with numba) when a loop first needs compiling or loading
_spent: dict[str, int] = {}  # elements each loop ran plain in this process
_ready: dict[str, Callable] = {}  # the compiled loops compiled or loaded in this process, by name

#: Units at the head of an article whose similarities :func:`heads` measures: the headline
#: (the title, or the first sentence of an article without one) and the two that follow (the lead).
HEAD_UNITS = _plain.HEAD_UNITS


def _compiled_loops():
    """The compiled instance, :mod:`dedup.compute.loops`; the first time, also listen for numba compiling
    one of its loops (a load from numba's cache is not compiling), to say :data:`NOTICE`."""
    global _compiled
    with _lock:
        if _compiled is None:
            from numba.core import event

            class Compiling(event.Listener):
                def on_start(self, ev) -> None:
                    function = getattr(ev.data.get("dispatcher"), "py_func", None)
                    if getattr(function, "__module__", None) == "dedup.compute.loops":
                        _compiling()

                def on_end(self, ev) -> None:
                    pass

            event.register("numba:compile", Compiling())
            _compiled = importlib.import_module("dedup.compute.loops")
    return _compiled


def _before_fork() -> None:
    """A process forks its workers for a large job: numba and the compiled loops are imported
    here once, before, and shared, not imported again in each worker (0.3 s and 55 MB each).
    Then the lock is held over the fork, so that no worker starts with it held by a thread
    it does not have."""
    _compiled_loops()
    _lock.acquire()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_lock.release, after_in_child=_lock.release)


def _is_compiled(name: str) -> bool:
    """Whether the compiled ``name`` has been compiled or loaded in this process."""
    if name in _ready:
        return True
    loop = getattr(_compiled, name, None)
    if loop is None or not getattr(loop, "signatures", ()):
        return False
    _ready[name] = loop
    return True


def _plain_call(function: Callable) -> Callable:
    def call(*args):
        with np.errstate(over="ignore"):  # the hashes' multiplications wrap on purpose
            return function(*args)

    return call


def _pick(name: str, *arrays: np.ndarray) -> Callable:
    """Loop ``name`` for a call on ``arrays``: plain while this loop's plain elements, these
    included, stay within :data:`SMALL` and it is not compiled yet; compiled otherwise."""
    ready = _ready.get(name)
    if ready is not None:  # most calls of a large job: a word's hashes, an article's terms
        return ready
    if not _is_compiled(name):
        work = sum(int(np.size(a)) for a in arrays)
        with _lock:
            plain = _spent.get(name, 0) + work <= SMALL
            if plain:
                _spent[name] = _spent.get(name, 0) + work
        if plain:
            return _plain_call(getattr(_plain, name))
    return getattr(_compiled_loops(), name)


def in_threads(work: Callable[[int, int], T], n: int, threads: int) -> list[T]:
    """``work(lo, hi)`` on ``threads`` contiguous slices of ``range(n)`` at once, results in
    slice order. The loops here release the GIL, so the threads run on separate cores;
    each item's result does not depend on the slicing."""
    if threads <= 1 or n < MIN_THREADED:
        return [work(0, n)]
    bounds = np.linspace(0, n, threads + 1).astype(np.int64).tolist()
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, bounds[:-1], bounds[1:]))


def starts_of(sizes) -> np.ndarray:
    """Start offsets of consecutive slices of ``sizes`` items, one more than the slices (int64)."""
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def join_starts(parts: list[np.ndarray]) -> np.ndarray:
    """Start offsets of slices made separately (each from 0, one more than its rows), made one."""
    out, shift = [], 0
    for s in parts:
        out.append(s[:-1] + shift)
        shift += int(s[-1])
    out.append(np.array([shift], dtype=np.int64))
    return np.concatenate(out)


# -- the loops over many items, on ``threads`` slices at once ------------------------------


def intersections(offsets: np.ndarray, ids: np.ndarray, pairs: np.ndarray, threads: int = 1) -> np.ndarray:
    """Size of the intersection of the sorted, distinct id sets ``i`` and ``j`` of each pair,
    set ``d`` being ``ids[offsets[d]:offsets[d + 1]]``."""
    loop = _pick("_intersections", offsets, ids, pairs)
    parts = in_threads(lambda lo, hi: loop(offsets, ids, pairs[lo:hi]), len(pairs), threads)
    return np.concatenate(parts)


def row_cosines(indptr, indices, data, pairs: np.ndarray, threads: int = 1) -> np.ndarray:
    """Dot products of row pairs of an L2-normalized CSR matrix (their cosines), as float32."""
    loop = _pick("_row_cosines", indptr, indices, data, pairs)
    parts = in_threads(lambda lo, hi: loop(indptr, indices, data, pairs[lo:hi]), len(pairs), threads)
    return np.concatenate(parts)


def marked(indptr, indices, pairs: np.ndarray, rare: int, number: int, threads: int = 1) -> np.ndarray:
    """See :func:`dedup.compute.loops._marked`; pairs in ``threads`` slices."""
    loop = _pick("_marked", indptr, indices, pairs)
    parts = in_threads(lambda lo, hi: loop(indptr, indices, pairs[lo:hi], rare, number), len(pairs), threads)
    return np.concatenate(parts) if parts else np.zeros((0, 6), dtype=np.int32)


def row_sums(indptr, indices, data, offsets: np.ndarray, threads: int = 1):
    """See :func:`dedup.compute.loops._row_sums`; documents in ``threads`` slices."""
    loop = _pick("_row_sums", indptr, indices, data, offsets)
    parts = in_threads(lambda lo, hi: loop(indptr, indices, data, offsets[lo : hi + 1]), len(offsets) - 1, threads)
    return join_starts([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), \
        np.concatenate([p[2] for p in parts])


def weigh_rows(indptr, indices, data, idf, threads: int = 1) -> None:
    """See :func:`dedup.compute.loops._weigh_rows`; rows in ``threads`` slices."""
    loop = _pick("_weigh_rows", indptr, indices, data, idf)
    in_threads(lambda lo, hi: loop(indptr[lo : hi + 1], indices, data, idf), len(indptr) - 1, threads)


def sentence_number_type(offsets: np.ndarray):
    """The smallest integer type that numbers the sentences of every document (``offsets``:
    each document's first sentence): int16 for news, two bytes less per by-column entry."""
    most = int(np.diff(offsets).max()) if len(offsets) > 1 else 0
    return np.int16 if most < 2**15 else np.int32


def by_column(indptr, indices, data, offsets: np.ndarray, threads: int = 1, out: tuple | None = None):
    """Each article's sentence entries sorted by column, then sentence: the form
    :func:`alignments` merges. Returns (start of each article, columns, sentence
    number within the article, values); documents in ``threads`` slices, each
    written in its place, in ``out`` (columns, sentence numbers, values) when given."""
    starts = (indptr[offsets] - indptr[offsets[0]]).astype(np.int64)
    total = int(starts[-1])
    if out is None:
        out = (np.empty(total, dtype=indices.dtype), np.empty(total, dtype=sentence_number_type(offsets)),
               np.empty(total, dtype=np.float32))
    cols, rows, vals = out
    loop = _pick("_by_column", indptr, indices, data, offsets)

    def work(lo: int, hi: int) -> None:
        a, b = starts[lo], starts[hi]
        loop(indptr, indices, data, offsets[lo : hi + 1], cols[a:b], rows[a:b], vals[a:b])

    in_threads(work, len(offsets) - 1, threads)
    return starts, cols, rows, vals


def alignments(starts, cols, rows, vals, offsets: np.ndarray, pairs: np.ndarray, min_sim: float, threads: int = 1):
    """See :func:`dedup.compute.loops._alignments`; pairs in ``threads`` slices."""
    loop = _pick("_alignments", starts, cols, rows, vals, offsets, pairs)
    parts = in_threads(lambda lo, hi: (lo, loop(starts, cols, rows, vals, offsets, pairs[lo:hi], min_sim)),
                       len(pairs), threads)
    scores = np.concatenate([p[0] for _, p in parts])
    m_pair = np.concatenate([p[1] + lo for lo, p in parts])
    return (scores, m_pair) + tuple(np.concatenate([p[k] for _, p in parts]) for k in (2, 3, 4))


def heads(starts, cols, rows, vals, offsets: np.ndarray, pairs: np.ndarray, threads: int = 1) -> np.ndarray:
    """See :func:`dedup.compute.loops._heads`; pairs in ``threads`` slices. Rows: headline, headline-lead, lead."""
    loop = _pick("_heads", starts, cols, rows, vals, offsets, pairs)
    parts = in_threads(lambda lo, hi: loop(starts, cols, rows, vals, offsets, pairs[lo:hi]), len(pairs), threads)
    return np.concatenate(parts) if parts else np.zeros((0, 3))


def heaviest_columns(indptr, indices, data, k: int, threads: int = 1, allowed: np.ndarray | None = None):
    """See :func:`dedup.compute.loops._heaviest_columns` (``allowed``: every column when not given); rows
    in ``threads`` slices."""
    if allowed is None:
        allowed = np.ones(int(indices.max()) + 1 if len(indices) else 0, dtype=np.bool_)
    loop = _pick("_heaviest_columns", indptr, indices, data, allowed)
    parts = in_threads(lambda lo, hi: loop(indptr[lo : hi + 1], indices, data, k, allowed), len(indptr) - 1, threads)
    return join_starts([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def agreements(signatures: np.ndarray, pairs: np.ndarray, threads: int = 1) -> np.ndarray:
    """Share of equal MinHash slots of each pair (their Jaccard estimate), without gathering
    the pairs' signatures (for a million pairs that was two copies of 500 MB)."""
    loop = _pick("_agreements", signatures, pairs)
    parts = in_threads(lambda lo, hi: loop(signatures, pairs[lo:hi]), len(pairs), threads)
    return np.concatenate(parts)


# -- loops called once --------------------------------------------------------------------


def cross_links(a: np.ndarray, b: np.ndarray, max_checks: int, base: int, codes: np.ndarray, related: np.ndarray,
                more_codes: np.ndarray, more_related: np.ndarray):
    """See :func:`dedup.compute.loops.cross_links` (the count a Python int)."""
    loop = _pick("cross_links", a, b, codes, related, more_codes, more_related)
    count, hit, rest = loop(a, b, max_checks, base, codes, related, more_codes, more_related)
    return int(count), hit, rest


def bucket_pair_codes(bounds: np.ndarray, docs: np.ndarray, base: int, max_all: int, lo: int = 0,
                      hi: int = 2**62) -> np.ndarray:
    """See :func:`dedup.compute.loops.bucket_pair_codes`."""
    return _pick("bucket_pair_codes", bounds, docs)(bounds, docs, base, max_all, lo, hi)


def posting_pair_codes(starts: np.ndarray, docs: np.ndarray, days: np.ndarray, n: int, max_days: float,
                       lo: int = 0, hi: int = 2**62) -> np.ndarray:
    """See :func:`dedup.compute.loops.posting_pair_codes`."""
    return _pick("posting_pair_codes", starts, docs, days)(starts, docs, days, n, max_days, lo, hi)


def code_hashes(codes: np.ndarray, first: np.ndarray, end: np.ndarray) -> np.ndarray:
    """See :func:`dedup.compute.loops.code_hashes`: 64-bit hash of each word ``codes[first[w]:end[w]]``."""
    return _pick("code_hashes", codes, first, end)(codes, first, end)


# the lexicon's table: only the keys looked up or put count (the table has 65,536 slots or more)


def table_find(keys: np.ndarray, values: np.ndarray, used: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """See :func:`dedup.compute.loops.table_find`."""
    return _pick("table_find", queries)(keys, values, used, queries)


def table_insert(keys: np.ndarray, values: np.ndarray, used: np.ndarray, new_keys: np.ndarray,
                 new_values: np.ndarray) -> int:
    """See :func:`dedup.compute.loops.table_insert`."""
    return int(_pick("table_insert", new_keys, new_values)(keys, values, used, new_keys, new_values))
