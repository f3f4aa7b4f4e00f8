"""The same-story decision on the held-out test days: figures reported, never used to choose.

    python -m benchmarks test-days

Each test day (:data:`datasets.TEST_EVENT_DAYS`) is grouped whole as ``dedup cluster`` groups it,
at every operating point of a grid and with the older fact-and-cosine rule; pairwise precision,
recall and F1 over the day's labelled articles, the two days pooled (pairs counted within each
day). The similarity of every verified pair of two labelled articles is ranked against the labels
(Spearman, ROC AUC) beside a character TF-IDF cosine of the same two texts (title and body;
scikit-learn ``char_wb`` 2-5 grams fitted on the day). Writes ``benchmarks/results/test_days.json``
and ``docs/verifier_curve.png`` (the dev day's curve from the shipped model beside the test days').
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from dedup.metrics import evaluate, pair_scores
from dedup.match.model import MODEL_FILE
from dedup.engine.local import Settings, cluster_articles
from dedup.match.verdict import Thresholds

from .datasets import TEST_EVENT_DAYS, event_labels, saudinewsnet

GRID = tuple(round(x, 2) for x in np.arange(0.05, 0.96, 0.05))


def _pairwise_counts(labels: dict, result) -> tuple[int, int, int]:
    """(pairs grouped together, of them same event, same-event pairs) over the labelled articles."""
    group = {result.articles[m].id: n for n, g in enumerate(result.groups) for m in g.members}
    ids = [i for i in labels if i in group]
    together = same = truth = 0
    for k, a in enumerate(ids):
        for b in ids[k + 1 :]:
            t, g = labels[a] == labels[b], group[a] == group[b]
            together += g
            same += g and t
            truth += t
    return together, same, truth


def _ranking(day: str, labels: dict, result) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer

    ids = [a.id for a in result.articles]
    text = {a.id: f"{a.title}\n{a.text}" for a in saudinewsnet(day=day)}
    pairs = [(i, j) for i, j in result.verdicts if ids[i] in labels and ids[j] in labels]
    y = [int(labels[ids[i]] == labels[ids[j]]) for i, j in pairs]
    ours = [result.verdicts[p].similarity for p in pairs]
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(text.values())
    a = vec.transform([text[ids[i]] for i, _ in pairs])
    b = vec.transform([text[ids[j]] for _, j in pairs])
    char = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    return {"pairs": len(pairs), "same_event": int(sum(y)), "dedup": pair_scores(y, ours), "char_tfidf": pair_scores(y, char)}


def run() -> dict:
    start = time.perf_counter()
    points = [("facts", Thresholds(variant_probability=None))] + [(t, Thresholds(variant_probability=t)) for t in GRID]
    days = {day: (event_labels(day), list(saudinewsnet(day=day))) for day in TEST_EVENT_DAYS}
    curve, ranking = [], {}
    for name, thresholds in points:
        counts = np.zeros(3)
        per_day = {}
        for day, (labels, articles) in days.items():
            fresh = [replace(a, clean=None, removed=[], kept=[]) for a in articles]  # a job strips them in place
            result = cluster_articles(fresh, Settings(thresholds=thresholds), jobs=1, keep_text=False)
            group = {result.articles[m].id: n for n, g in enumerate(result.groups) for m in g.members}
            m = evaluate(labels, {i: group[i] for i in labels if i in group})
            per_day[day] = {k: round(m[f"pairwise_{k}"], 4) for k in ("precision", "recall", "f1")}
            counts += _pairwise_counts(labels, result)
            if thresholds == Thresholds():
                ranking[day] = _ranking(day, labels, result)
        p, r = counts[1] / max(1, counts[0]), counts[1] / max(1, counts[2])
        curve.append({"point": name, "precision": round(p, 4), "recall": round(r, 4),
                      "f1": round(2 * p * r / max(1e-9, p + r), 4), "days": per_day})
        print(f"{name}: P {p:.3f} R {r:.3f}", flush=True)
    model = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return {"command": "python -m benchmarks test-days", "days": list(TEST_EVENT_DAYS),
            "operating_point": Thresholds().variant_probability, "model_trained": model["trained"]["date"],
            "curve": curve, "ranking_at_operating_point": ranking, "seconds": round(time.perf_counter() - start, 1)}


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    dev = model["trained"]["dev_curve"]
    test = [c for c in results["curve"] if c["point"] != "facts"]
    facts = next(c for c in results["curve"] if c["point"] == "facts")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot([c["recall"] for c in dev], [c["precision"] for c in dev], "o-", label=f"dev day {model['trained']['dev_day']}")
    ax.plot([c["recall"] for c in test], [c["precision"] for c in test], "s-", label="test days " + ", ".join(results["days"]))
    for c in test:
        if c["point"] in (0.1, 0.3, 0.5, 0.7, 0.9):
            ax.annotate(f"{c['point']:.1f}", (c["recall"], c["precision"]), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.plot([facts["recall"]], [facts["precision"]], "x", markersize=10, color="black", label="fact-and-cosine rule (test)")
    ax.axvline(0.83, color="grey", lw=0.5)
    ax.axhline(0.85, color="grey", lw=0.5)
    ax.set_xlabel("pairwise recall")
    ax.set_ylabel("pairwise precision")
    ax.set_title("--min-similarity: precision against recall, whole days grouped")
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
