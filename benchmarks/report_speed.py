"""Time to report one group of 10 articles of typical length (SaudiNewsNet median length)."""

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
    return {
        "articles": len(arts), "median_words": statistics.median(words),
        "facts": len(report["groups"][0]["facts"]),
        "median_seconds": {k: round(statistics.median(v), 4) for k, v in times.items()},
    }
