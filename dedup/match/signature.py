"""MinHash signatures, vectorized across documents, bit-compatible with datasketch.

The permutation scheme is datasketch 2.x's ``affine32`` (named explicitly:
datasketch 2.0 changed its default from ``legacy``, so signatures made under
different schemes are not comparable): each shingle id is pre-mixed with the
32-bit MurmurHash3 finalizer, then ``a_k * h + b_k mod 2**32`` for odd
``a_k``; the parameters come from ``numpy.random.RandomState(seed)`` exactly as
datasketch draws them. So ``datasketch.MinHash(num_perm, seed,
scheme="affine32", hashvalues=sig)`` holds the same sketch, and datasketch's
``MinHashLSH`` (with its Redis storage) can index it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SCHEME = "affine32"
EMPTY = np.uint32(0xFFFFFFFF)
_F = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
#: Shingles processed at once: bounds the (num_perm x batch) scratch matrix.
_BATCH = 1 << 16


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (a bijection), as datasketch applies it."""
    s1, m1, s2, m2 = _F
    h = h ^ (h >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    return h ^ (h >> s1)


@dataclass(frozen=True)
class Signer:
    """Makes MinHash signatures of shingle-id arrays.

    Parameters
    ----------
    num_perm:
        Number of permutations (signature length).
    seed:
        Seed of the permutation parameters, as datasketch's ``seed``.
    """

    num_perm: int = 128
    seed: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.num_perm <= 4096:
            raise ValueError(f"num_perm must be in [1, 4096], got {self.num_perm}")
        gen = np.random.RandomState(self.seed)
        a = gen.randint(0, 1 << 31, self.num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, self.num_perm, dtype=np.uint32)
        object.__setattr__(self, "a_", a.reshape(-1, 1))
        object.__setattr__(self, "b_", b.reshape(-1, 1))

    @property
    def scheme(self) -> str:
        return SCHEME

    def sign(self, ids: np.ndarray) -> np.ndarray:
        """Signature (uint32, length ``num_perm``) of one shingle-id array."""
        return self.sign_many([ids])[0]

    def sign_many(self, docs: Sequence[np.ndarray]) -> np.ndarray:
        """Signatures of many documents at once: a ``(len(docs), num_perm)`` uint32 array.

        Shingles of consecutive documents are concatenated and reduced per
        document with ``np.minimum.reduceat``, so numpy does the work in large
        vector operations instead of one small call per document.
        """
        out = np.full((len(docs), self.num_perm), EMPTY, dtype=np.uint32)
        start = 0
        while start < len(docs):
            stop, size = start, 0
            while stop < len(docs) and (size == 0 or size + len(docs[stop]) <= _BATCH):
                size += len(docs[stop])
                stop += 1
            chunk = [(i, d) for i, d in enumerate(docs[start:stop], start) if len(d)]
            if chunk:
                rows = [i for i, _ in chunk]
                flat = fmix32(np.concatenate([d for _, d in chunk]).astype(np.uint32, copy=False))
                offsets = np.cumsum([0] + [len(d) for _, d in chunk[:-1]])
                phv = self.a_ * flat + self.b_  # wraps modulo 2**32, as intended
                out[rows] = np.minimum.reduceat(phv, offsets, axis=1).T
            start = stop
        return out


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Jaccard estimate: the share of equal signature slots."""
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)
