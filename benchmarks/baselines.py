"""The baselines measured beside dedup, on the same articles.

* :func:`minhash_word5` — the bare datasketch pipeline: Python word-5 shingling,
  ``MinHash.bulk``, ``MinHashLSH`` at 0.5, union-find;
* :func:`tfidf_threshold` — TF-IDF cosine (scikit-learn defaults), connected
  components of the pairs above a threshold; with ``best_threshold`` the threshold
  is chosen on the same data (an optimistic baseline).
"""

from __future__ import annotations

import numpy as np
from datasketch import MinHash, MinHashLSH
from sklearn.feature_extraction.text import TfidfVectorizer

from dedup.metrics import clustering_from_pairs, pairwise


def word5_shingles(text: str) -> set[bytes]:
    words = text.split()
    return {" ".join(words[i : i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))}


def minhash_word5(ids: list[str], texts: list[str], threshold: float = 0.5, num_perm: int = 128) -> dict:
    """Clusters of the bare datasketch pipeline."""
    sigs = MinHash.bulk([word5_shingles(t) for t in texts], num_perm=num_perm)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for i, m in zip(ids, sigs):
        lsh.insert(i, m)
    pairs = [(i, j) for i, m in zip(ids, sigs) for j in lsh.query(m) if i < j]
    return clustering_from_pairs(ids, pairs)


def tfidf_pairs(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Upper-triangle pairs with their TF-IDF cosine (all pairs: small sets only)."""
    x = TfidfVectorizer(sublinear_tf=True).fit_transform(texts)
    sim = (x @ x.T).tocoo()
    keep = sim.row < sim.col
    return np.stack([sim.row[keep], sim.col[keep]], axis=1), sim.data[keep]


def tfidf_threshold(ids: list[str], texts: list[str], threshold: float) -> dict:
    pairs, cos = tfidf_pairs(texts)
    same = [(ids[a], ids[b]) for (a, b), c in zip(pairs.tolist(), cos.tolist()) if c >= threshold]
    return clustering_from_pairs(ids, same)


def best_threshold(ids: list[str], texts: list[str], truth: dict, scored: list[str] | None = None) -> tuple[float, dict]:
    """The TF-IDF threshold with the best pairwise F1 against ``truth`` (on the same data)."""
    pairs, cos = tfidf_pairs(texts)
    scored = scored or ids
    best = (-1.0, 0.5, None)
    for t in np.arange(0.1, 0.95, 0.05):
        same = [(ids[a], ids[b]) for (a, b), c in zip(pairs.tolist(), cos.tolist()) if c >= t]
        pred = clustering_from_pairs(ids, same)
        f1 = pairwise({i: truth[i] for i in scored}, {i: pred[i] for i in scored}).f1
        if f1 > best[0]:
            best = (f1, float(t), pred)
    return best[1], best[2]
