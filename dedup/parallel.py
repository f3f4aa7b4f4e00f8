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
from dataclasses import dataclass

import numpy as np

from .article import Article, first_line
from .boilerplate import Boilerplate, rebuild_clean
from .features import Analysis, analyze
from .lexicon import LEXICON
from .signature import Signer
from .vectors import NO_UNITS, TermCounts, Units

#: Below this many articles the pool costs more than it saves.
MIN_PARALLEL = 2000
_NO_SHINGLES = np.empty(0, dtype=np.uint32)
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


@dataclass
class _Chunk:
    """What a process sends back for a slice of articles, packed in a few arrays: unpickling
    a hundred thousand small objects in the parent took time from the workers."""

    stripped: list[tuple[list, list]]  # removed spans and kept segments (the clean text is rebuilt)
    heads: list[str]  # without keep_text, the first line of each clean body (what the article keeps)
    span_counts: np.ndarray
    spans: np.ndarray  # (units, 2)
    set_sizes: np.ndarray
    sets: np.ndarray  # shingle sets end to end
    signatures: np.ndarray
    counts: TermCounts

    def analyses(self) -> list[Analysis]:
        """The articles' analyses, their shingle sets left in :attr:`sets` (held end to end)."""
        if not len(self.set_sizes):
            return []
        spans = np.split(self.spans, np.cumsum(self.span_counts)[:-1])
        return [Analysis(s, NO_UNITS, _NO_SHINGLES) for s in spans]


def _strip_and_analyze(span: tuple[int, int]) -> _Chunk:
    cleaner, (shingle_size, min_words), signer = _STATE["cleaner"], _STATE["analysis"], _STATE["signer"]
    stripped, heads, analyses = [], [], []
    for a in _STATE["articles"][span[0] : span[1]]:
        clean, removed, kept = cleaner.strip_text(a.text)
        stripped.append((removed, kept))
        if not _STATE["keep_text"]:
            heads.append(first_line(clean))
        analyses.append(analyze(Article("", a.text, title=a.title, clean=clean), LEXICON, shingle_size, min_words))
    return _Chunk(
        stripped,
        heads,
        np.array([len(an.spans) for an in analyses], dtype=np.int64),
        np.concatenate([an.spans for an in analyses]) if analyses else np.empty((0, 2), dtype=np.int64),
        np.array([len(an.shingles) for an in analyses], dtype=np.int64),
        np.concatenate([an.shingles for an in analyses]) if analyses else np.empty(0, dtype=np.uint32),
        signer.sign_many([an.shingles for an in analyses]),
        TermCounts.of(Units.concat([an.units for an in analyses])),  # the parent needs the counts, not the ids
    )


def _pool(jobs: int):
    return mp.get_context("fork").Pool(jobs)


@dataclass
class Analyzed:
    """The analyses of a corpus made in several processes, with each slice's term counts and
    the MinHash signatures of all articles."""

    analyses: list[Analysis]
    counts: list[TermCounts]
    signatures: np.ndarray
    sets: tuple[np.ndarray, np.ndarray]  # each article's shingle-set size, and the sets end to end


def strip_and_analyze(
    articles: list[Article], cleaner: Boilerplate, shingle_size: int, min_words: int, signer: Signer, jobs: int,
    progress: Callable[[int], None] | None = None, keep_text: bool = True,
) -> Analyzed:
    """Fit ``cleaner`` on the corpus, strip every article in place, analyze and sign it, in ``jobs`` processes.

    Each process also counts the terms of its articles' units (consecutive slices, in
    order), so the parent only merges counts to fit the TF-IDF vectors. Without
    ``keep_text`` each article's text is dropped once analyzed (:meth:`Article.drop_text`)."""
    _STATE.clear()
    _STATE.update(cleaner=cleaner, analysis=(shingle_size, min_words), articles=articles, signer=signer,
                  keep_text=keep_text)
    with _pool(jobs) as pool:
        lines: Counter = Counter()
        for part in pool.imap(_count, _chunks(len(articles), jobs)):
            lines.update(part)
    cleaner.fit_counts(lines)
    _STATE["cleaner"] = cleaner  # fitted: the next pool's workers inherit it
    analyses: list[Analysis] = []
    counts: list[TermCounts] = []
    signatures: list[np.ndarray] = []
    set_sizes: list[np.ndarray] = []
    sets: list[np.ndarray] = []
    with _pool(jobs) as pool:
        for chunk in pool.imap(_strip_and_analyze, _chunks(len(articles), jobs)):
            counts.append(chunk.counts)
            signatures.append(chunk.signatures)
            set_sizes.append(chunk.set_sizes)
            sets.append(chunk.sets)
            heads = iter(chunk.heads)
            for (removed, kept), an in zip(chunk.stripped, chunk.analyses()):
                a = articles[len(analyses)]
                if keep_text:
                    a.clean, a.removed, a.kept = rebuild_clean(a.text, kept), removed, kept
                else:
                    a.drop_text(next(heads))
                analyses.append(an)
                if progress:
                    progress(1)
    _STATE.clear()
    joined = (np.concatenate(set_sizes), np.concatenate(sets)) if sets else (
        np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint32))
    del set_sizes, sets
    return Analyzed(analyses, counts, np.concatenate(signatures) if signatures else
                    np.empty((0, signer.num_perm), dtype=np.uint32), joined)
