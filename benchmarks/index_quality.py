"""How well the index's verdicts group stories, by how many candidates it verifies per article,
on the hand-labelled days.

    python -m benchmarks index-quality

Every article of the labelled day is added to a fresh SQLite index in file order
(as a feed would arrive); an article's index group is the group its verdict
puts it in. Each incoming article is verified (as ``dedup compare`` verifies a
pair) against at most ``cap`` stored articles, those sharing the most LSH bands
with it. Scored on the labelled articles with the clustering metrics of
``dedup.metrics``, beside the time the adds took.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from dedup.index.index import Index, MAX_CANDIDATES
from dedup.metrics import evaluate

from . import datasets

CAPS = (5, 10, 20)


def score(split: str, cap: int) -> dict:
    articles, labels = datasets.events(split)
    with tempfile.TemporaryDirectory(prefix="dedup-ixq-") as tmp:
        with Index.open(str(Path(tmp) / "ix.sqlite"), create=True) as ix:
            ix.max_candidates = cap
            start = time.perf_counter()
            verdicts = ix.add_many(articles)
            took = time.perf_counter() - start
    groups = {v.id: v.group for v in verdicts}
    return {**evaluate(labels, {i: groups[i] for i in labels}), "articles": len(articles),
            "adds_per_s": round(len(articles) / took, 1)}


def run() -> dict:
    sweep = {split: {cap: score(split, cap) for cap in CAPS} for split in ("dev", "test")}
    return {
        "default_cap": MAX_CANDIDATES,
        "test_at_default": sweep["test"][MAX_CANDIDATES],
        "sweep": {split: {str(c): {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
                          for c, r in rows.items()} for split, rows in sweep.items()},
    }


def table(results: dict) -> str:
    lines = ["| candidates verified | dev pairwise P | dev pairwise R | dev B³ F1 | test pairwise P | test pairwise R | "
             "test B³ F1 | adds/s (test day) |", "|---|---|---|---|---|---|---|---|"]
    for c in CAPS:
        d, e = results["sweep"]["dev"][str(c)], results["sweep"]["test"][str(c)]
        mark = " (default)" if c == results["default_cap"] else ""
        lines.append(f"| {c}{mark} | {d['pairwise_precision']:.3f} | {d['pairwise_recall']:.3f} | {d['bcubed_f1']:.3f} | "
                     f"{e['pairwise_precision']:.3f} | {e['pairwise_recall']:.3f} | {e['bcubed_f1']:.3f} | "
                     f"{e['adds_per_s']} |")
    return "\n".join(lines)
