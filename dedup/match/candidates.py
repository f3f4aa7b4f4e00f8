"""Locality-sensitive hashing over MinHash signatures: candidate pairs, never all pairs.

The band/row split is datasketch's own optimum for a threshold (its
``MinHashLSH`` uses the same search), so an index built here and a datasketch
``MinHashLSH`` with the same threshold and ``num_perm`` band alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

import numpy as np

from ..compute import kernels

#: Buckets larger than this are not expanded to all their pairs (a bucket of
#: 1,000 identical wire copies would otherwise yield 500,000 pairs): each
#: member is paired with the bucket's first members and its neighbours.
MAX_BUCKET_PAIRS = 64

#: Pair codes made at once, repeats included, before they are reduced (2^25 codes, 256 MB). A
#: story with many copies gives every band's bucket (and every keyword it shares) the same pairs,
#: as many as the square of its copies: beyond this they are made for one range of first
#: documents at a time, each range reduced before the next.
PAIR_BUDGET = 1 << 25


def by_first_document(total: int, n: int, make, reduce) -> np.ndarray:
    """``reduce(make(lo, hi))`` over ranges ``[lo, hi)`` of ``0..n`` that split ``total`` pair
    codes (an upper bound) into parts of about :data:`PAIR_BUDGET`, end to end. Codes sort by
    their first document, so sorted results of the ranges, end to end, are sorted."""
    parts = max(1, -(-int(total) // PAIR_BUDGET))
    bounds = np.linspace(0, n, parts + 1).astype(np.int64).tolist()
    return np.concatenate([reduce(make(lo, hi)) for lo, hi in zip(bounds[:-1], bounds[1:])])


#: A keyword carried by more documents than this says little about the event: it makes no candidates.
MAX_POSTINGS = 200


@lru_cache(maxsize=64)
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` minimizing false positives + false negatives at ``threshold``, weighed
    equally, as datasketch's ``MinHashLSH`` chooses them (its ``_optimal_param``, whose choices this
    gives for every threshold 0.01..0.99 and 16..256 permutations: ``tests/test_signature.py``).

    For each ``b`` bands of ``r`` rows (``b * r <= num_perm``), the chance that a pair of Jaccard
    similarity ``s`` shares a band is ``1 - (1 - s**r)**b``; the false positives are its integral below
    the threshold, the false negatives that of its complement above. It is a polynomial of degree
    ``b * r``, integrated exactly by Gauss-Legendre with ``num_perm // 2 + 1`` nodes, for all
    ``(b, r)`` at once (a few milliseconds); the first of the smallest errors, ``b`` then ``r``
    ascending, is chosen, as datasketch does."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    b = np.repeat(np.arange(1, num_perm + 1), [num_perm // k for k in range(1, num_perm + 1)]).astype(np.float64)
    r = np.concatenate([np.arange(1, num_perm // k + 1) for k in range(1, num_perm + 1)]).astype(np.float64)
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)

    def integral(lo: float, hi: float, f) -> np.ndarray:
        s = (hi - lo) / 2 * nodes + (hi + lo) / 2
        return f(s[None, :]) @ weights * (hi - lo) / 2

    shares = lambda s: 1 - (1 - s ** r[:, None]) ** b[:, None]
    error = 0.5 * integral(0.0, threshold, shares) + 0.5 * integral(threshold, 1.0, lambda s: 1 - shares(s))
    k = int(np.argmin(error))
    return int(b[k]), int(r[k])


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (document, band): a mix of the band's ``rows`` slots."""
    sig = signatures[:, : bands * rows].astype(np.uint64).reshape(len(signatures), bands, rows)
    keys = np.zeros((len(signatures), bands), dtype=np.uint64)
    for r in range(rows):
        keys = keys * np.uint64(0x100000001B3) ^ sig[:, :, r]
    return keys + np.arange(bands, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)


def band_postings(signatures: np.ndarray, threshold: float, first: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(band, key, document)`` of every band of every non-empty signature (documents numbered from ``first``)."""
    n, num_perm = signatures.shape
    bands, rows = optimal_bands(threshold, num_perm)
    keys = band_keys(signatures, bands, rows)
    keep = ~np.all(signatures == np.uint32(0xFFFFFFFF), axis=1)  # empty texts bucket with nothing
    docs = np.repeat(np.arange(first, first + n, dtype=np.int64)[keep], bands)
    band = np.tile(np.arange(bands, dtype=np.int64), int(keep.sum()))
    return band, keys[keep].ravel(), docs


def bucket_pairs(band: np.ndarray, key: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Sorted, distinct ``(i, j)`` pairs, ``i < j``, of documents sharing a ``(band, key)`` bucket:
    all pairs of a bucket of at most :data:`MAX_BUCKET_PAIRS` documents; in a larger one, each
    document with the bucket's first 8 and with its next neighbour."""
    if len(docs) == 0:
        return np.empty((0, 2), dtype=np.int64)
    order = np.lexsort((docs, key, band))
    band, key, docs = band[order], key[order], docs[order]
    change = np.flatnonzero((np.diff(band) != 0) | (np.diff(key) != 0)) + 1
    bounds = np.r_[0, change, len(docs)].astype(np.int64)
    base = int(docs.max()) + 1
    sizes = np.diff(bounds)
    total = np.where(sizes <= MAX_BUCKET_PAIRS, sizes * (sizes - 1) // 2, sizes * 9).sum()
    codes = by_first_document(total, base, lambda lo, hi: kernels.bucket_pair_codes(bounds, docs, base,
                                                                                     MAX_BUCKET_PAIRS, lo, hi), np.unique)
    return np.stack([codes // base, codes % base], axis=1).reshape(-1, 2)


def pair_codes_of(pairs: np.ndarray, base: int) -> np.ndarray:
    """Each pair ``(i, j)`` as the code ``i * base + j`` (codes sort as the pairs do)."""
    return pairs[:, 0] * base + pairs[:, 1]


def pairs_of_codes(codes: np.ndarray, base: int) -> np.ndarray:
    """The distinct pairs of ``codes`` (``i * base + j``), sorted."""
    codes = np.unique(codes)
    return np.stack([codes // base, codes % base], axis=1).reshape(-1, 2)


def candidate_pairs(signatures: np.ndarray, threshold: float) -> np.ndarray:
    """Sorted, distinct ``(i, j)`` pairs, ``i < j``, that share at least one band."""
    if len(signatures) < 2:
        return np.empty((0, 2), dtype=np.int64)
    return bucket_pairs(*band_postings(signatures, threshold))


def day_numbers(published: Iterable[str]) -> np.ndarray:
    """Each ISO date as a day number (NaN when unknown or unreadable)."""
    out = []
    for p in published:
        day = np.nan
        if len(p) >= 10:
            try:
                day = date.fromisoformat(p[:10]).toordinal()
            except ValueError:
                pass
        out.append(day)
    return np.array(out, dtype=np.float64)


def _posting_lists(terms: np.ndarray, docs: np.ndarray, days: np.ndarray, max_postings: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The posting lists (start of each, documents ascending in each, their days) of the
    keywords carried by 2 to ``max_postings`` documents."""
    order = np.lexsort((docs, terms))
    terms, docs, days = terms[order], docs[order], days[order].astype(np.float64)
    bounds = np.r_[0, np.flatnonzero(np.diff(terms)) + 1, len(terms)]
    sizes = np.diff(bounds)
    keep = (sizes >= 2) & (sizes <= max_postings)
    idx = np.repeat(keep, sizes)  # the postings of the keywords kept
    return np.r_[0, np.cumsum(sizes[keep])].astype(np.int64), docs[idx], days[idx]


def keyword_codes(terms: np.ndarray, docs: np.ndarray, days: np.ndarray, n: int, max_postings: int = MAX_POSTINGS,
                  max_days: float = np.inf) -> np.ndarray:
    """One code ``i * n + j`` (``i < j``) per keyword that documents ``i`` and ``j`` share, for
    documents at most ``max_days`` apart (a date unknown keeps the pair). A keyword carried by more
    than ``max_postings`` documents says little about the event and is skipped, which bounds the
    work per keyword (no all-pairs step)."""
    starts, docs, days = _posting_lists(terms, docs, days, max_postings)
    return kernels.posting_pair_codes(starts, docs, days, n, float(max_days))


def _codes_at_least(codes: np.ndarray, min_shared: int) -> np.ndarray:
    """The codes that occur at least ``min_shared`` times, sorted, once each."""
    codes = np.sort(codes)
    run_starts = np.r_[0, np.flatnonzero(np.diff(codes)) + 1] if len(codes) else np.empty(0, dtype=np.int64)
    counts = np.diff(np.r_[run_starts, len(codes)])
    return codes[run_starts[counts >= min_shared]]


def shared_at_least(codes: np.ndarray, n: int, min_shared: int) -> np.ndarray:
    """Pairs whose code occurs at least ``min_shared`` times, sorted."""
    kept = _codes_at_least(codes, min_shared)
    return np.stack([kept // n, kept % n], axis=1).reshape(-1, 2)


def keyword_postings(keywords: list[np.ndarray], days: np.ndarray, first: int = 0) -> tuple[np.ndarray, ...]:
    """``(term, document, day)`` of every keyword of every document (numbered from ``first``)."""
    sizes = [len(k) for k in keywords]
    docs = np.repeat(np.arange(first, first + len(sizes), dtype=np.int64), sizes)
    terms = np.concatenate(keywords).astype(np.int64) if docs.size else np.empty(0, dtype=np.int64)
    return terms, docs, np.repeat(days, sizes)


#: A corpus of at most this many articles has every pair verified: candidate search is for inputs
#: whose pairs are too many to verify, and on a handful of articles its keywords (weighed by the
#: handful's own statistics) can miss two tellings of one story. 300 articles: 44,850 pairs, most
#: decided by the quick look (a fraction of a second).
ALL_PAIRS_UP_TO = 300


def every_pair(n: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
    """Every pair ``(i, j)``, ``i < j``, of a corpus of ``n`` articles whose first article is in
    ``[lo, hi)`` when ``n`` is at most :data:`ALL_PAIRS_UP_TO`; none otherwise."""
    if n > ALL_PAIRS_UP_TO or n < 2:
        return np.empty((0, 2), dtype=np.int64)
    i, j = np.triu_indices(n, 1)
    keep = (i >= lo) & (i < (n if hi is None else hi))
    return np.stack([i[keep], j[keep]], axis=1).astype(np.int64)


def keyword_pairs(keywords: list[np.ndarray], min_shared: int = 3, max_postings: int = MAX_POSTINGS,
                  published: list[str] | None = None, max_days: float = np.inf) -> np.ndarray:
    """Pairs of documents that share at least ``min_shared`` of their keywords (and, when
    ``published`` is given, are at most ``max_days`` apart).

    Rewrites of one event share few word 5-grams but many of their most
    distinctive words (names, places, figures), so this second channel finds
    the variant candidates that shingle LSH cannot. Pair occurrences are
    counted as 64-bit codes in numpy, not in a dictionary.
    """
    n = len(keywords)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    days = day_numbers(published) if published is not None else np.full(n, np.nan)
    starts, docs, days = _posting_lists(*keyword_postings(keywords, days), max_postings)
    sizes = np.diff(starts)
    kept = by_first_document((sizes * (sizes - 1) // 2).sum(), n,
                             lambda lo, hi: kernels.posting_pair_codes(starts, docs, days, n, float(max_days), lo, hi),
                             lambda codes: _codes_at_least(codes, min_shared))
    return np.stack([kept // n, kept % n], axis=1).reshape(-1, 2)
