"""Time to report one group of 10 articles of typical length (SaudiNewsNet median length).

Lexical alignment, and with the semantic extra installed also ``--semantic``: its time with the
encoder loaded (``semantic_model``), and the one-off load of the encoder in a fresh process
(``semantic_first_call``: loading the encoder plus the first report, once dedup and scikit-learn are
imported; ``semantic_fresh_process``: the same with those imports; medians of three fresh processes).
"""

from __future__ import annotations

import statistics
import time

from dedup.text.boilerplate import Boilerplate
from dedup.report.variants import build, render

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
    from dedup.report import semantic

    if semantic.available():
        firsts = [_first_call(arts) for _ in range(3)]
        warm = []
        for _ in range(repeat):
            start = time.perf_counter()
            report = build([(1, "variant", arts)], semantic=True)
            warm.append(time.perf_counter() - start)
        out["semantic_facts"] = len(report["groups"][0]["facts"])
        out["median_seconds"]["semantic_model"] = round(statistics.median(warm), 4)
        out["semantic_first_call_seconds"] = round(statistics.median(f[0] for f in firsts), 3)
        out["semantic_fresh_process_seconds"] = round(statistics.median(f[1] for f in firsts), 3)
    return out


_FIRST = """
import json, sys, time
begin = time.perf_counter()
from dedup.article import Article
from dedup.report.variants import build
from dedup.report.sentence_tfidf import Vectorizer
Vectorizer().fit_transform(["a b", "b c"])  # scikit-learn imported: what every report pays
arts = [Article(**a) for a in json.load(sys.stdin)]
start = time.perf_counter()
build([(1, "variant", arts)], semantic=True)
end = time.perf_counter()
print(end - start, end - begin)
"""


def _first_call(arts) -> tuple[float, float]:
    """Seconds of a fresh process's first ``--semantic`` report: with the encoder's loading, and with
    the imports of dedup and scikit-learn too."""
    import json
    import subprocess
    import sys

    records = [{"id": a.id, "text": a.clean if a.clean is not None else a.text, "outlet": a.outlet} for a in arts]
    done = subprocess.run([sys.executable, "-c", _FIRST], input=json.dumps(records), capture_output=True,
                          text=True, check=True)
    report, total = map(float, done.stdout.split())
    return report, total
