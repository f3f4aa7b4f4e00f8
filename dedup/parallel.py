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
from .boilerplate import Boilerplate, rebuild_clean
from .features import Analysis, analyze
from .lexicon import LEXICON
from .vectors import TermCounts, Units

#: Below this many articles the pool costs more than it saves.
MIN_PARALLEL = 2000
_STATE: dict = {}


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def can_fork() -> bool:
    """Worker processes here are forked: they inherit the articles instead of receiving copies."""
    return "fork" in mp.get_all_start_methods()


def _chunks(n: int, jobs: int) -> list[tuple[int, int]]:
    size = max(200, -(-n // (jobs * 8)))
    return [(i, min(n, i + size)) for i in range(0, n, size)]


def _count(span: tuple[int, int]) -> Counter:
    return _STATE["cleaner"].count(a.text for a in _STATE["articles"][span[0] : span[1]])


def _strip_and_analyze(span: tuple[int, int]) -> tuple[list[tuple[tuple, Analysis]], TermCounts]:
    cleaner, (shingle_size, min_words) = _STATE["cleaner"], _STATE["analysis"]
    out = []
    for a in _STATE["articles"][span[0] : span[1]]:
        clean, removed, kept = cleaner.strip_text(a.text)
        article = Article("", a.text, title=a.title, clean=clean)
        # the clean text is not sent back: the parent rebuilds it from ``kept``
        out.append(((removed, kept), analyze(article, LEXICON, shingle_size, min_words)))
    counts = TermCounts.of(Units.concat([an.units for _, an in out]))
    for _, an in out:
        an.units = Units.concat([])  # counted: the parent needs the counts, not the ids
    return out, counts


def _pool(jobs: int):
    return mp.get_context("fork").Pool(jobs)


def strip_and_analyze(
    articles: list[Article], cleaner: Boilerplate, shingle_size: int, min_words: int, jobs: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Analysis], list[TermCounts]]:
    """Fit ``cleaner`` on the corpus, strip every article in place and analyze it, in ``jobs`` processes.

    Each process also counts the terms of its articles' units (consecutive slices, in
    order), so the parent only merges counts to fit the TF-IDF vectors."""
    _STATE.clear()
    _STATE.update(cleaner=cleaner, analysis=(shingle_size, min_words), articles=articles)
    with _pool(jobs) as pool:
        lines: Counter = Counter()
        for part in pool.imap(_count, _chunks(len(articles), jobs)):
            lines.update(part)
    cleaner.fit_counts(lines)
    _STATE["cleaner"] = cleaner  # fitted: the next pool's workers inherit it
    analyses: list[Analysis] = []
    counts: list[TermCounts] = []
    with _pool(jobs) as pool:
        for part, part_counts in pool.imap(_strip_and_analyze, _chunks(len(articles), jobs)):
            counts.append(part_counts)
            for (removed, kept), an in part:
                a = articles[len(analyses)]
                a.clean, a.removed, a.kept = rebuild_clean(a.text, kept), removed, kept
                analyses.append(an)
                if progress:
                    progress(1)
    _STATE.clear()
    return analyses, counts
