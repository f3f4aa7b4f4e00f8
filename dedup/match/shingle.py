"""Shingles: normalized text → sets of 32-bit shingle ids (numpy arrays).

Word shingles hash each word from its code points in compiled code
(:func:`dedup.compute.kernels.code_hashes`), then combine the word hashes of each
k-word window arithmetically in numpy, so the per-shingle cost is a few vector
operations instead of a Python string join and a hash call. Character shingles
do the same over code points.

A shingle id is the top 32 bits of a 64-bit mix of the window: ids are the
input to :mod:`dedup.match.signature` and can be fed as they are to a datasketch
``MinHash(scheme="affine32", hashfunc=int)``.
"""

from __future__ import annotations

import numpy as np

from ..compute import kernels
from ..text.lexicon import word_hashes
from ..text.normalize import tokens, word_spans

_MUL = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S = np.uint64(33)
_TOP = np.uint64(32)


def _fmix64_top32(g: np.ndarray) -> np.ndarray:
    g = g ^ (g >> _S)
    g = g * _M1
    g = g ^ (g >> _S)
    g = g * _M2
    g = g ^ (g >> _S)
    return (g >> _TOP).astype(np.uint32)


def shingle_windows(h: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k-item windows of a uint64 hash sequence (with repeats)."""
    if len(h) == 0:
        return np.empty(0, dtype=np.uint32)
    k = min(k, len(h))  # a text shorter than k still gets one shingle
    n = len(h) - k + 1
    g = h[:n].copy()
    for j in range(1, k):
        g = g * _MUL + h[j : j + n]
    return _fmix64_top32(g + np.uint64(k))


def word_shingles(words: list[str], k: int = 5) -> np.ndarray:
    """Ids of the k-word windows of ``words`` (with repeats; use :func:`as_set`)."""
    return shingle_windows(word_hashes(words), k)


def text_shingles(text: str, k: int = 5) -> np.ndarray:
    """``word_shingles(tokens(text), k)``, hashing the words straight from the normalized
    code points (no string per word), as :func:`dedup.match.features.analyze` does."""
    found = word_spans(text)
    if found is None:
        return word_shingles(tokens(text), k)
    codes, first, end, _ = found
    return shingle_windows(kernels.code_hashes(codes, first, end), k)


def char_shingles(text: str, k: int = 5) -> np.ndarray:
    """Ids of the k-character windows of ``text`` (normalized text, spaces included)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return shingle_windows(codes * _MUL + np.uint64(0x2545F4914F6CDD1D), k)


def as_set(ids: np.ndarray) -> np.ndarray:
    """Sorted distinct ids: the shingle set (sort and compare: faster than np.unique on small arrays)."""
    if len(ids) < 2:
        return ids.copy()
    s = np.sort(ids)
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact Jaccard similarity and containment of two shingle sets (sorted distinct arrays),
    from one intersection.

    Containment is the share of the smaller set found in the larger one (1.0 for a
    trimmed copy); it is 0.0 when either set is empty, and Jaccard of two empty sets is 1.0.
    """
    if len(a) == 0 or len(b) == 0:
        return (1.0 if len(a) == len(b) else 0.0), 0.0
    if len(a) > len(b):
        a, b = b, a
    # look the smaller set up in the larger: no concatenation and sort, as np.intersect1d does
    inter = int(np.count_nonzero(b[np.minimum(np.searchsorted(b, a), len(b) - 1)] == a))
    return inter / (len(a) + len(b) - inter), inter / min(len(a), len(b))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two shingle sets (sorted distinct arrays)."""
    return overlap(a, b)[0]


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller set found in the larger one (1.0 for a trimmed copy)."""
    return overlap(a, b)[1]
