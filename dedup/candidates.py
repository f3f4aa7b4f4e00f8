"""Locality-sensitive hashing over MinHash signatures: candidate pairs, never all pairs.

The band/row split is datasketch's own optimum for a threshold (its
``MinHashLSH`` uses the same search), so an index built here and a datasketch
``MinHashLSH`` with the same threshold and ``num_perm`` band alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import lru_cache

import numpy as np

#: Buckets larger than this are not expanded to all their pairs (a bucket of
#: 1,000 identical wire copies would otherwise yield 500,000 pairs): each
#: member is paired with the bucket's first members and its neighbours.
MAX_BUCKET_PAIRS = 64


@lru_cache(maxsize=64)
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` minimizing false positives + false negatives at ``threshold``."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, 0.5, 0.5)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (document, band): a mix of the band's ``rows`` slots."""
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(len(signatures), bands, rows)
    keys = np.zeros((len(signatures), bands), dtype=np.uint64)
    for r in range(rows):
        keys = keys * np.uint64(0x100000001B3) ^ sig[:, :, r]
    return keys + np.arange(bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)


def _bucket_pairs(members: list[int]) -> Iterator[tuple[int, int]]:
    if len(members) <= MAX_BUCKET_PAIRS:
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                yield members[x], members[y]
        return
    head = members[:8]
    for x, m in enumerate(members):
        for h in head:
            if h < m:
                yield h, m
        if x + 1 < len(members):
            yield m, members[x + 1]


def candidate_pairs(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """Sorted, distinct ``(i, j)`` pairs, ``i < j``, that share at least one band."""
    n, num_perm = signatures.shape
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    bands, rows = optimal_bands(threshold, num_perm)
    keys = band_keys(signatures, bands, rows)
    empty = np.all(signatures == np.uint32(0xFFFFFFFF), axis=1)
    pairs: set[tuple[int, int]] = set()
    for b in range(bands):
        column = keys[:, b]
        order = np.argsort(column, kind="stable")
        bounds = np.flatnonzero(np.diff(column[order])) + 1
        starts, ends = np.r_[0, bounds], np.r_[bounds, n]
        for run in np.flatnonzero(ends - starts > 1):
            members = sorted(int(i) for i in order[starts[run] : ends[run]] if not empty[i])
            pairs.update(_bucket_pairs(members))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    return np.array(sorted(pairs), dtype=np.int64)


def keyword_pairs(keywords: list[np.ndarray], min_shared: int = 3, max_postings: int = 200) -> np.ndarray:
    """Pairs of documents that share at least ``min_shared`` of their keywords.

    Rewrites of one event share few word 5-grams but many of their most
    distinctive words (names, places, figures), so this second channel finds
    the variant candidates that shingle LSH cannot. A keyword carried by more
    than ``max_postings`` documents says little about the event and is skipped,
    which bounds the work per keyword (no all-pairs step). Pair occurrences are
    counted as 64-bit codes in numpy, not in a dictionary.
    """
    n = len(keywords)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    docs = np.repeat(np.arange(n, dtype=np.int64), [len(k) for k in keywords])
    terms = np.concatenate(keywords).astype(np.int64) if docs.size else np.empty(0, dtype=np.int64)
    order = np.lexsort((docs, terms))
    terms, docs = terms[order], docs[order]
    bounds = np.flatnonzero(np.diff(terms)) + 1
    starts, ends = np.r_[0, bounds], np.r_[bounds, len(terms)]
    codes = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        size = e - s
        if size < 2 or size > max_postings:
            continue
        members = docs[s:e]
        iu, ju = np.triu_indices(size, k=1)
        codes.append(members[iu] * n + members[ju])
    if not codes:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.sort(np.concatenate(codes))
    change = np.flatnonzero(np.diff(codes)) + 1
    run_starts = np.r_[0, change]
    counts = np.diff(np.r_[run_starts, len(codes)])
    kept = codes[run_starts[counts >= min_shared]]
    return np.stack([kept // n, kept % n], axis=1)


def within_days(pairs: np.ndarray, published: list[str], max_days: float) -> np.ndarray:
    """Drop same-story candidates published more than ``max_days`` apart (both dates known):
    verification would reject them as variants, and near-duplicates come through LSH anyway."""
    if len(pairs) == 0:
        return pairs
    days = np.full(len(published), np.nan)
    for k, p in enumerate(published):
        if len(p) >= 10:
            try:
                days[k] = date.fromisoformat(p[:10]).toordinal()
            except ValueError:
                pass
    gap = np.abs(days[pairs[:, 0]] - days[pairs[:, 1]])
    return pairs[~(gap > max_days)]  # NaN (a date unknown) keeps the pair
