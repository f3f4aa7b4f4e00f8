"""The calibrated same-story decision: the probability that two articles report the same event,
from a pair's evidence, by a logistic regression whose parameters ship as a readable JSON file
(``dedup/models/verifier.json``, written by ``python -m benchmarks train-verifier``, which records
beside them the command, the labelled days it learned from and its figures on the dev day).

The evidence of a pair (:data:`EVIDENCE`, all in the verification step's arrays):

* ``jaccard``, ``containment``: of the two word 5-gram sets;
* ``cosine``: of the two articles' TF-IDF vectors;
* ``fact``: the sentence-alignment score (best matches seen from each side);
* ``head``, ``head_lead``, ``lead``: headline against headline, each headline against the other's
  lead, lead sentence against lead sentence (cosines of TF-IDF sentence vectors);
* ``cover_min``, ``cover_max``: the share of each article's units with a shared sentence in the other;
* ``start_max``: where the shared text begins, as a share of the article, in the article where it
  begins latest (a "read also" block pasted at the end of one article begins near 1; 1 when nothing
  is shared);
* ``lead_shared``: whether a headline or lead sentence of one is shared with a headline or lead
  sentence of the other;
* ``size_ratio``: the log of the smaller 5-gram set's size over the larger's;
* ``rare_shared``, ``rare_count``: the rare words (names, places, uncommon terms: words whose stem is
  not among the common stems of Arabic, :mod:`dedup.text.frequencies`) both articles use, as a share of
  the article with fewer, and their number (log of one plus it);
* ``numbers_shared``, ``numbers_apart``: the numbers of two digits or more (figures, dates, years)
  both use, as a share of the article with fewer; and whether both give numbers but share none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

EVIDENCE = ("jaccard", "containment", "cosine", "fact", "head", "head_lead", "lead", "cover_min", "cover_max",
            "start_max", "lead_shared", "size_ratio", "rare_shared", "rare_count", "numbers_shared", "numbers_apart")
#: Where the shipped parameters live.
MODEL_FILE = Path(__file__).resolve().parents[1] / "models" / "verifier.json"


@dataclass(frozen=True)
class SameStoryModel:
    """``P(same story | evidence) = 1 / (1 + exp(-(b + sum_k w_k (x_k - mean_k) / scale_k)))``."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float
    threshold: float  # the default operating point: variant at or above it

    def probability(self, evidence: dict[str, np.ndarray]) -> np.ndarray:
        """The probability for each pair, ``evidence`` giving each feature as an array."""
        # summed feature by feature, element-wise: a pair gets the same figure whatever else is
        # scored with it (a matrix product's rounding depends on the number of rows)
        z = np.full(len(evidence[self.features[0]]), self.intercept, dtype=np.float64)
        for f, m, s, w in zip(self.features, self.mean, self.scale, self.weights):
            z += w * ((np.asarray(evidence[f], dtype=np.float64) - m) / s)
        return 1.0 / (1.0 + np.exp(-z))

    def as_dict(self) -> dict:
        return {"features": list(self.features), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, d: dict) -> SameStoryModel:
        features = tuple(d["features"])
        unknown = set(features) - set(EVIDENCE)
        if unknown:
            raise ValueError(f"the model uses evidence this version does not make: {sorted(unknown)}")
        arrays = [np.asarray(d[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
        if any(a.shape != (len(features),) for a in arrays):
            raise ValueError("the model's mean, scale and weights must have one value per feature")
        return cls(features, *arrays, float(d["intercept"]), float(d["threshold"]))


@lru_cache(maxsize=4)
def load(path: str | None = None) -> SameStoryModel:
    """The model in ``path`` (default: the shipped one)."""
    with open(path or MODEL_FILE, encoding="utf-8") as fh:
        return SameStoryModel.from_dict(json.load(fh))
