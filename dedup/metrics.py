"""Clustering and pair-scoring metrics: pairwise and B-cubed precision/recall/F1,
adjusted Rand index, rank correlation and ROC AUC.

Beside the flow, not in it: ``dedup evaluate`` and the benchmarks score a grouping against
labels with these. Clusterings are given as ``{item: cluster_label}`` over the same items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _check(truth: Mapping, predicted: Mapping) -> None:
    if set(truth) != set(predicted):
        missing = set(truth) - set(predicted)
        extra = set(predicted) - set(truth)
        raise ValueError(f"clusterings cover different items: {len(missing)} missing, {len(extra)} extra")


def _pairs_in(clustering: Mapping[Hashable, Hashable]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(clustering.values()).values())


def pairwise(truth: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]) -> PRF:
    """Precision and recall over the pairs of items put in one cluster.

    With no predicted pairs precision is 1.0 (nothing was merged wrongly); with
    no true pairs recall is 1.0.
    """
    _check(truth, predicted)
    joint = Counter((truth[i], predicted[i]) for i in truth)
    both = sum(n * (n - 1) // 2 for n in joint.values())
    pred_pairs, true_pairs = _pairs_in(predicted), _pairs_in(truth)
    p = both / pred_pairs if pred_pairs else 1.0
    r = both / true_pairs if true_pairs else 1.0
    return PRF(p, r, _f1(p, r))


def bcubed(truth: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]) -> PRF:
    """B-cubed precision and recall, averaged over items (Bagga & Baldwin)."""
    _check(truth, predicted)
    if not truth:
        return PRF(1.0, 1.0, 1.0)
    joint = Counter((truth[i], predicted[i]) for i in truth)
    true_size = Counter(truth.values())
    pred_size = Counter(predicted.values())
    p = sum(joint[(truth[i], predicted[i])] / pred_size[predicted[i]] for i in truth) / len(truth)
    r = sum(joint[(truth[i], predicted[i])] / true_size[truth[i]] for i in truth) / len(truth)
    return PRF(p, r, _f1(p, r))


def adjusted_rand(truth: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]) -> float:
    """Adjusted Rand index (scikit-learn's)."""
    from sklearn.metrics import adjusted_rand_score

    _check(truth, predicted)
    items = sorted(truth, key=str)
    t = [str(truth[i]) for i in items]
    p = [str(predicted[i]) for i in items]
    return float(adjusted_rand_score(t, p))


def pair_scores(labels: Sequence[float], scores: Sequence[float]) -> dict:
    """Spearman rank correlation with graded labels, and ROC AUC for binary labels."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    out = {"spearman": float(spearmanr(labels, scores).statistic) if len(set(labels)) > 1 else float("nan")}
    binary = set(labels) <= {0, 1}
    out["roc_auc"] = float(roc_auc_score(labels, scores)) if binary and len(set(labels)) == 2 else float("nan")
    return out


def evaluate(truth: Mapping[Hashable, Hashable], predicted: Mapping[Hashable, Hashable]) -> dict:
    """All clustering metrics as a flat dict."""
    pw, b3 = pairwise(truth, predicted), bcubed(truth, predicted)
    return {
        "items": len(truth),
        "true_clusters": len(set(truth.values())),
        "predicted_clusters": len(set(predicted.values())),
        **{f"pairwise_{k}": v for k, v in asdict(pw).items()},
        **{f"bcubed_{k}": v for k, v in asdict(b3).items()},
        "ari": adjusted_rand(truth, predicted),
    }


def clustering_from_groups(groups: Sequence[Sequence[Hashable]]) -> dict:
    """``[[a, b], [c]]`` → ``{a: 0, b: 0, c: 1}``."""
    out: dict = {}
    for label, members in enumerate(groups):
        for m in members:
            if m in out:
                raise ValueError(f"item {m!r} is in two groups")
            out[m] = label
    return out


def clustering_from_pairs(items: Sequence[Hashable], same: Sequence[tuple[Hashable, Hashable]]) -> dict:
    """Connected components of ``same`` pairs over ``items``: ``{item: the component's first item}``
    (first in the order of ``items``)."""
    from .match.group import components

    position = {item: k for k, item in enumerate(items)}
    labels = components(len(position), [(position[a], position[b]) for a, b in same]).tolist()
    first: dict[int, Hashable] = {}
    for item, k in position.items():
        first.setdefault(labels[k], item)
    return {item: first[labels[k]] for item, k in position.items()}

def read_labels(path: str) -> tuple[dict | None, list[tuple[str, str, int]] | None]:
    """A labels file: JSON Lines or CSV, either groups (``id`` and ``group``, ``event``,
    ``cluster`` or ``label``) or pairs (``a``, ``b`` and ``label`` 1/0 or same/different).

    Returns ``(groups, None)`` or ``(None, pairs)``.

    Raises
    ------
    ValueError
        Naming the file and the problem.
    """
    import csv
    import json

    with open(path, encoding="utf-8-sig") as fh:
        text = fh.read()
    if path.endswith(".csv"):
        rows = list(csv.DictReader(text.splitlines()))
    else:
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: invalid JSON ({exc.msg})") from exc
    if not rows:
        raise ValueError(f"{path}: no labels")
    first = rows[0]
    if "a" in first and "b" in first:
        truth = {"1": 1, "same": 1, "true": 1, "duplicate": 1, "variant": 1, "0": 0, "different": 0, "false": 0, "distinct": 0}
        pairs = []
        for n, r in enumerate(rows, 1):
            label = truth.get(str(r.get("label", "")).strip().lower())
            if label is None:
                raise ValueError(f"{path}: row {n}: label must be 1/0 or same/different, got {r.get('label')!r}")
            pairs.append((str(r["a"]), str(r["b"]), label))
        return None, pairs
    key = next((k for k in ("group", "event", "cluster", "label") if k in first), None)
    if key is None or "id" not in first:
        raise ValueError(f"{path}: expected fields id and group (or event, cluster, label), or a, b and label")
    return {str(r["id"]): str(r[key]) for r in rows}, None
