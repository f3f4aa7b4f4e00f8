"""How well the index's verdicts group stories, by its variant threshold, on the hand-labelled days.

    python -m benchmarks index-quality

Every article of the labelled day is added to a fresh SQLite index in file order
(as a feed would arrive); an article's index group is the group its verdict
puts it in. Scored on the labelled articles with the clustering metrics of
``dedup.metrics``; the threshold is chosen on the dev day (B-cubed F1) and
reported on the test day beside the default.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from dedup.index import Index, IndexSettings
from dedup.metrics import evaluate

from . import datasets

THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


def score(split: str, variant_threshold: float) -> dict:
    articles, labels = datasets.events(split)
    with tempfile.TemporaryDirectory(prefix="dedup-ixq-") as tmp:
        with Index.open(str(Path(tmp) / "ix.sqlite"), IndexSettings(variant_threshold=variant_threshold),
                        create=True) as ix:
            verdicts = ix.add_many(articles)
    groups = {v.id: v.group for v in verdicts}
    return evaluate(labels, {i: groups[i] for i in labels})


def run() -> dict:
    sweep = {split: {t: score(split, t) for t in THRESHOLDS} for split in ("dev", "test")}
    chosen = max(THRESHOLDS, key=lambda t: (sweep["dev"][t]["bcubed_f1"], -t))
    default = IndexSettings().variant_threshold
    return {
        "default": default,
        "chosen_on_dev": chosen,
        "test_at_default": sweep["test"][default],
        "test_at_chosen": sweep["test"][chosen],
        "sweep": {split: {str(t): {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
                          for t, r in rows.items()} for split, rows in sweep.items()},
    }


def table(results: dict) -> str:
    lines = ["| variant threshold | dev pairwise P | dev pairwise R | dev B³ F1 | test pairwise P | test pairwise R | test B³ F1 |",
             "|---|---|---|---|---|---|---|"]
    for t in THRESHOLDS:
        d, e = results["sweep"]["dev"][str(t)], results["sweep"]["test"][str(t)]
        mark = " (default)" if t == results["default"] else ""
        lines.append(f"| {t}{mark} | {d['pairwise_precision']:.3f} | {d['pairwise_recall']:.3f} | {d['bcubed_f1']:.3f} | "
                     f"{e['pairwise_precision']:.3f} | {e['pairwise_recall']:.3f} | {e['bcubed_f1']:.3f} |")
    return "\n".join(lines)
