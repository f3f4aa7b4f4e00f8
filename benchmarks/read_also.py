"""Reposts that carry another story's "read also" block (:func:`datasets.read_also_reposts`):
do the blocks glue stories together?

    python -m benchmarks read-also --split dev [--min-similarity P | --rule facts]

Groups the set as ``dedup cluster`` does and scores it against the truth (a repost belongs with
its own original only), pairwise and B-cubed, with the glued groups counted and each kind of
repost (marker or none, at the end or in the middle) found or missed.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from dedup.metrics import evaluate
from dedup.engine.local import Settings, cluster
from dedup.match.verdict import Thresholds

from .datasets import read_also_reposts


def run(split: str = "dev", thresholds: Thresholds = Thresholds()) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        truth = read_also_reposts(split, Path(folder))
        result = cluster(folder, Settings(thresholds=thresholds), jobs=1)
    predicted = {result.articles[m].id: n for n, g in enumerate(result.groups) for m in g.members}
    scores = evaluate(truth, predicted)
    kinds: Counter = Counter()
    for g in result.groups:
        if len({truth[result.articles[m].id] for m in g.members}) > 1:
            kinds["groups gluing stories"] += 1
    for name, story in truth.items():
        if "-1-" in name:
            original = name.split("-")[0] + "-0-orig.txt"
            how = name.split("-", 2)[2].rsplit(".", 1)[0]
            kinds[f"{how} {'found' if predicted[name] == predicted[original] else 'missed'}"] += 1
    return {"split": split, "min_similarity": thresholds.variant_probability, "articles": len(truth),
            **{k: round(v, 4) for k, v in scores.items() if k.startswith(("pairwise", "bcubed"))},
            "kinds": dict(sorted(kinds.items()))}
