"""Train the same-story model (``dedup/models/verifier.json``) on the labelled SaudiNewsNet days.

    python -m benchmarks train-verifier

Each labelled day is grouped as ``dedup cluster`` groups it up to verification (boilerplate
stripped, features, candidate pairs); every candidate pair of two labelled articles that
verification aligns is a training example, labelled 1 when the two report the same event
(``benchmarks/labels/``). A logistic regression (scikit-learn, standardized evidence) is fitted on
the train days; its operating point is chosen on the dev day by grouping the whole day at each
probability on a grid and keeping the one with the best pairwise F1 among those whose recall is
at least :data:`MIN_RECALL` (else the best F1). The test days are never read here.
"""

from __future__ import annotations

import datetime
import json
import sys
from importlib import metadata

import numpy as np

from dedup import read
from dedup.text.boilerplate import strip_corpus
from dedup.match.features import Corpus
from dedup.metrics import evaluate
from dedup.match.model import EVIDENCE, MODEL_FILE, SameStoryModel
from dedup.engine.local import Settings, cluster_articles, find_candidates
from dedup.match.verdict import Thresholds
from dedup.match.verify import Verifier

from .datasets import TRAIN_EVENT_DAYS, DEV_EVENT_DAY, event_labels, saudinewsnet

#: The recall the operating point must keep on the dev day: the fact-and-cosine rule's there
#: (0.781, README "Quality", 2026-11), so that the model buys precision, not by giving up recall.
MIN_RECALL = 0.78
GRID = tuple(round(x, 2) for x in np.arange(0.05, 0.96, 0.05))
#: Neutral parameters: the evidence is measured, no pair is called a variant.
NEUTRAL = SameStoryModel(EVIDENCE, np.zeros(len(EVIDENCE)), np.ones(len(EVIDENCE)), np.zeros(len(EVIDENCE)), 0.0, 1.0)


def examples(day: str, settings: Settings = Settings()) -> tuple[np.ndarray, np.ndarray]:
    """The evidence (rows in :data:`EVIDENCE` order) and labels of the day's aligned labelled candidate pairs."""
    labels = event_labels(day)
    articles = list(saudinewsnet(day=day))
    strip_corpus(articles)
    corpus = Corpus(articles, settings.shingle_size, settings.num_perm, settings.seed,
                    settings.min_sentence_words).fit()
    _, _, pairs = find_candidates(corpus, settings)
    ids = np.array([a.id for a in articles])
    known = np.array([a.id in labels for a in articles])
    pairs = pairs[known[pairs[:, 0]] & known[pairs[:, 1]]]
    verdicts = Verifier(corpus, settings.thresholds, quote=False, model=NEUTRAL, evidence=True).verify_many(pairs)
    c = verdicts.columns
    aligned = ~np.isnan(c["days"])  # decided by the quick look: not aligned, never a variant
    names = {"fact": "fact_score"}
    x = np.column_stack([c.get(names.get(f, f), c.get(f"evidence_{f}")) for f in EVIDENCE])[aligned]
    y = np.array([labels[ids[i]] == labels[ids[j]] for i, j in verdicts.pairs[aligned].tolist()], dtype=np.int8)
    return x, y


def grouping(day: str, threshold: float) -> dict:
    """Pairwise (and B-cubed) figures of ``dedup cluster`` on the day at one operating point."""
    labels = event_labels(day)
    articles = list(saudinewsnet(day=day))
    result = cluster_articles(articles, Settings(thresholds=Thresholds(variant_probability=threshold)), jobs=1,
                              keep_text=False)
    predicted = {result.articles[m].id: n for n, g in enumerate(result.groups) for m in g.members}
    return evaluate(labels, {i: predicted[i] for i in labels if i in predicted})


def seeds_exact(threshold: float) -> bool:
    """Whether ``dedup cluster seeds/`` at this operating point gives the seeds' true grouping."""
    from .datasets import seeds

    folder, truth = seeds()
    result = cluster_articles(list(read([str(folder)])), Settings(thresholds=Thresholds(variant_probability=threshold)),
                              jobs=1)
    got = {result.articles[m].id: n for n, g in enumerate(result.groups) for m in g.members}
    return evaluate(truth, got)["pairwise_f1"] == 1.0


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    parts = [examples(day) for day in TRAIN_EVENT_DAYS]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    print(f"train: {len(y)} aligned pairs, {int(y.sum())} same-story, days {', '.join(TRAIN_EVENT_DAYS)}", file=sys.stderr)
    scaler = StandardScaler().fit(x)
    lr = LogisticRegression(C=1.0, max_iter=5000).fit(scaler.transform(x), y)
    model = SameStoryModel(EVIDENCE, scaler.mean_, scaler.scale_, lr.coef_[0], float(lr.intercept_[0]), 0.5)
    payload = model.as_dict()
    MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    MODEL_FILE.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")  # for the dev runs
    from dedup.match.model import load

    load.cache_clear()
    curve = []
    for t in GRID:
        m = grouping(DEV_EVENT_DAY, t)
        curve.append({"threshold": t, "precision": round(m["pairwise_precision"], 4),
                      "recall": round(m["pairwise_recall"], 4), "f1": round(m["pairwise_f1"], 4)})
        print(f"dev {DEV_EVENT_DAY} at {t:.2f}: P {m['pairwise_precision']:.3f} R {m['pairwise_recall']:.3f}",
              file=sys.stderr)
    keep = [c for c in curve if c["recall"] >= MIN_RECALL]
    chosen = max(keep or curve, key=lambda c: (c["f1"], -c["threshold"]))
    payload["threshold"] = chosen["threshold"]
    chosen["seeds_exact"] = seeds_exact(chosen["threshold"])
    payload["trained"] = {
        "command": "python -m benchmarks train-verifier",
        "date": datetime.date.today().isoformat(),
        "dedup": metadata.version("dedup"),
        "scikit-learn": metadata.version("scikit-learn"),
        "train_days": list(TRAIN_EVENT_DAYS), "train_pairs": int(len(y)), "train_same_story": int(y.sum()),
        "dev_day": DEV_EVENT_DAY, "min_recall": MIN_RECALL, "dev_curve": curve, "chosen": chosen,
        "labels": "benchmarks/labels/ (PROTOCOL.md); data: ../shared/data/saudinewsnet (not shipped)",
    }
    MODEL_FILE.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_FILE}: threshold {chosen['threshold']} (dev P {chosen['precision']}, R {chosen['recall']})",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
