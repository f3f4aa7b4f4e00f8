"""One pair, one answer: ``compare``, the index and ``cluster`` on the labelled pairs of a test day.

The Dask engine gives ``cluster``'s verdicts exactly (tests/test_dask.py, on days that include this one)."""

import json
import random
from dataclasses import replace

import pytest

from dedup import Article
from dedup.match.compare import compare_articles
from dedup.index.index import Index
from dedup.engine.local import Settings, cluster_articles

from .conftest import ROOT, saudinewsnet_records

DAY = "2015-08-09"
LABELS = ROOT / "benchmarks" / "labels" / "saudinewsnet_events_test.jsonl"


@pytest.fixture(scope="module")
def day():
    """The day's articles, ``cluster``'s result on them, and its verified pairs of two labelled articles."""
    labels = {r["id"]: r["event"] for r in map(json.loads, LABELS.read_text(encoding="utf-8").splitlines())}
    articles = [Article(str(r["id"]), r["content"], title=r["title"], published=r["date_extracted"][:10])
                for r in saudinewsnet_records(DAY)]
    originals = {a.id: replace(a) for a in articles}
    result = cluster_articles(articles, Settings(), jobs=1)
    ids = [a.id for a in result.articles]
    pairs = [(ids[i], ids[j], result.verdicts[(i, j)]) for i, j in result.verdicts
             if ids[i] in labels and ids[j] in labels]
    return originals, labels, pairs


def _fresh(a: Article) -> Article:
    return replace(a, clean=None, removed=[], kept=[])


@pytest.mark.xfail(strict=True, reason="the index verifies only the stored articles its LSH bands find (content "
                   "words at Jaccard 0.1): of these 30 labelled pairs, one compare calls a variant is never a "
                   "candidate (2026-12-01), and the index answers new")
def test_the_index_answers_as_compare_does_on_labelled_pairs(day, tmp_path):
    originals, labels, pairs = day
    rng = random.Random(3)
    same = [p for p in pairs if labels[p[0]] == labels[p[1]]]
    other = [p for p in pairs if labels[p[0]] != labels[p[1]] and p[2].relation != "distinct"]  # hard negatives
    sample = rng.sample(same, 20) + rng.sample(other, min(10, len(other)))
    answer = {"new": "distinct"}
    differ = []
    for k, (a, b, _) in enumerate(sample):
        with Index.open(str(tmp_path / f"{k}.sqlite"), create=True) as ix:
            ix.add(_fresh(originals[a]))
            got = ix.check(_fresh(originals[b]))
        want = compare_articles(_fresh(originals[b]), _fresh(originals[a]))
        if (answer.get(got.verdict, got.verdict), round(got.similarity, 4)) != \
                (want.relation, round(want.similarity if want.relation != "distinct" else 0.0, 4)):
            differ.append((a, b, got.verdict, want.relation))
    assert not differ, f"{len(differ)} of {len(sample)} pairs differ: {differ}"


def test_the_index_answers_as_compare_does_on_labelled_pairs_it_finds(day, tmp_path):
    """Where the index's candidate search finds the stored article, its answer is compare's."""
    originals, labels, pairs = day
    rng = random.Random(3)
    sample = rng.sample([p for p in pairs if labels[p[0]] == labels[p[1]]], 20)
    found = 0
    for k, (a, b, _) in enumerate(sample):
        with Index.open(str(tmp_path / f"{k}.sqlite"), create=True) as ix:
            ix.add(_fresh(originals[a]))
            got = ix.check(_fresh(originals[b]))
        want = compare_articles(_fresh(originals[b]), _fresh(originals[a]))
        if got.verdict != "new":
            found += 1
            assert (got.verdict, round(got.similarity, 4)) == (want.relation, round(want.similarity, 4)), (a, b)
    assert found >= 10  # most same-event pairs are found


@pytest.mark.xfail(strict=True, reason="cluster weighs words by the whole corpus's sentences and strips its repeated "
                   "lines; compare and the index by the pair's own: on this day 81 of 1,869 labelled pairs differ "
                   "(2026-12-01). Word weights that need no corpus would make them one.")
def test_compare_answers_as_cluster_does_on_labelled_pairs(day):
    originals, _, pairs = day
    differ = [(a, b) for a, b, v in pairs
              if compare_articles(_fresh(originals[a]), _fresh(originals[b])).relation != v.relation]
    assert not differ, f"{len(differ)} of {len(pairs)} pairs differ"
