"""Stripping, analyzing and verifying in several processes (``--jobs``).

Articles are cut into ordered chunks; each worker returns its chunk's results in
order, so the output does not depend on the number of jobs: line counts are
summed, and term ids are hashes that every process computes alike.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import Counter
from collections.abc import Callable

from .article import Article
from .boilerplate import Boilerplate
from .features import Analysis, analyze
from .lexicon import LEXICON
from .vectors import TermCounts, Units

#: Below this many articles (candidate pairs) the pool costs more than it saves.
MIN_PARALLEL = 2000
MIN_PARALLEL_PAIRS = 40_000
_STATE: dict = {}


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _chunks(items: list, jobs: int) -> list[list]:
    size = max(200, -(-len(items) // (jobs * 8)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _count(texts: list[str]) -> Counter:
    return _STATE["cleaner"].count(texts)


def _strip_and_analyze(chunk: list[tuple[str, str]]) -> tuple[list[tuple[tuple, Analysis]], TermCounts]:
    cleaner, (shingle_size, min_words) = _STATE["cleaner"], _STATE["analysis"]
    out = []
    for text, title in chunk:
        stripped = cleaner.strip_text(text)
        article = Article("", text, title=title, clean=stripped[0])
        out.append((stripped, analyze(article, LEXICON, shingle_size, min_words)))
    counts = TermCounts.of(Units.concat([an.units for _, an in out]))
    for _, an in out:
        an.units = Units.concat([])  # counted: the parent needs the counts, not the ids
    return out, counts


def _pool(jobs: int):
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    return ctx.Pool(jobs)


def strip_and_analyze(
    articles: list[Article], cleaner: Boilerplate, shingle_size: int, min_words: int, jobs: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Analysis], list[TermCounts]]:
    """Fit ``cleaner`` on the corpus, strip every article in place and analyze it, in ``jobs`` processes.

    Each process also counts the terms of its articles' units (consecutive slices, in
    order), so the parent only merges counts to fit the TF-IDF vectors."""
    _STATE.clear()
    _STATE.update(cleaner=cleaner, analysis=(shingle_size, min_words))
    with _pool(jobs) as pool:
        counts: Counter = Counter()
        for part in pool.imap(_count, _chunks([a.text for a in articles], jobs)):
            counts.update(part)
    cleaner.fit_counts(counts)
    _STATE["cleaner"] = cleaner  # fitted: the next pool's workers inherit it
    analyses: list[Analysis] = []
    counts: list[TermCounts] = []
    with _pool(jobs) as pool:
        pairs = _chunks([(a.text, a.title) for a in articles], jobs)
        for part, part_counts in pool.imap(_strip_and_analyze, pairs):
            counts.append(part_counts)
            for (clean, removed, kept), an in part:
                a = articles[len(analyses)]
                a.clean, a.removed, a.kept = clean, removed, kept
                analyses.append(an)
                if progress:
                    progress(1)
    _STATE.clear()
    return analyses, counts



def _verify(pairs):
    from .verify import one_blas_thread

    with one_blas_thread():
        return _STATE["verifier"].verify_many(pairs)


def verify_many(verifier, pairs, jobs: int) -> dict:
    """``verifier.verify_many(pairs)`` in ``jobs`` processes (forked: they share the corpus).

    Pairs are sorted by first article and cut only between first articles, so each
    article's partners are verified in one batch, as in one process: same verdicts.
    """
    if jobs < 2 or len(pairs) < MIN_PARALLEL_PAIRS or "fork" not in mp.get_all_start_methods():
        return verifier.verify_many(pairs)
    size = -(-len(pairs) // (jobs * 8))
    cuts = [0]
    while cuts[-1] < len(pairs):
        end = min(len(pairs), cuts[-1] + size)
        while end < len(pairs) and pairs[end, 0] == pairs[end - 1, 0]:
            end += 1
        cuts.append(end)
    _STATE.clear()
    _STATE["verifier"] = verifier
    out: dict = {}
    with mp.get_context("fork").Pool(jobs) as pool:
        for part in pool.imap(_verify, [pairs[a:b] for a, b in zip(cuts, cuts[1:])]):
            out.update(part)
    _STATE.clear()
    return out
