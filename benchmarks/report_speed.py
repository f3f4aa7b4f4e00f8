"""Time to report one group of 10 articles of typical length (SaudiNewsNet median length).

Lexical alignment, and with the semantic extra installed also ``--semantic``: its time with the
encoder loaded (``semantic_model``), and the one-off load of the encoder in a fresh process
(``semantic_first_call``: load plus the first report).
"""

from __future__ import annotations

import statistics
import time

from dedup.boilerplate import Boilerplate
from dedup.report import build, render

from . import datasets


def run(repeat: int = 7) -> dict:
    arts = [a for a in datasets.saudinewsnet(day="2015-08-02") if 200 <= len(a.text.split()) <= 500][:10]
    cleaner = Boilerplate()
    for a in arts:
        cleaner.strip(a)
    times = {"model": [], "html": [], "md": [], "json": []}
    for _ in range(repeat):
        start = time.perf_counter()
        report = build([(1, "variant", arts)])
        times["model"].append(time.perf_counter() - start)
        for fmt in ("html", "md", "json"):
            start = time.perf_counter()
            render(report, fmt)
            times[fmt].append(time.perf_counter() - start)
    words = [len(a.text.split()) for a in arts]
    out = {
        "articles": len(arts), "median_words": statistics.median(words),
        "facts": len(report["groups"][0]["facts"]),
        "median_seconds": {k: round(statistics.median(v), 4) for k, v in times.items()},
    }
    from dedup import semantic

    if semantic.available():
        start = time.perf_counter()
        report = build([(1, "variant", arts)], semantic=True)
        first = time.perf_counter() - start
        warm = []
        for _ in range(repeat):
            start = time.perf_counter()
            report = build([(1, "variant", arts)], semantic=True)
            warm.append(time.perf_counter() - start)
        out["semantic_facts"] = len(report["groups"][0]["facts"])
        out["median_seconds"]["semantic_model"] = round(statistics.median(warm), 4)
        out["semantic_first_call_seconds"] = round(first, 3)
    return out
