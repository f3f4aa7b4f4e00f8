"""The grouping job, written once: what each stage does to one part of the corpus.

Both executors run these functions: :mod:`dedup.engine.dask` submits them as tasks over many
parts, :mod:`dedup.engine.local` calls the corpus-wide ones with the whole corpus as one part
(its map stages run in worker processes, :mod:`dedup.engine.processes`). None of them mutates its
inputs (a task may be run again with the same ones after a worker died), and none knows where it
runs: the executors decide that. The stages, in order, and what flows between them:

======================  =========  =====================================================
stage                   kind       what flows
======================  =========  =====================================================
read                    map        pieces of the input → articles and problems, in order
                                   (ids made unique in reading order, by the executor)
boilerplate             reduce     :func:`count_lines` per part, :func:`sum_counts`,
                                   :func:`fit_cleaner` → one cleaner for the corpus
analyze                 map        :func:`analyze_article` on each article of a part
                                   (:func:`analyze_part`) → stripped articles, analyses
corpus statistics       reduce     :func:`frequencies`, :func:`merge_frequencies`,
                                   :func:`fit_vectorizer` → the corpus IDF
features                map        :func:`features` → signatures, TF-IDF rows, keywords
candidates              shuffle    :func:`band_postings` and :func:`keyword_postings` by key
                                   → :func:`near_pairs`, :func:`keyword_codes`,
                                   :func:`same_story_pairs` → :func:`join_pairs` per part
                                   (one part: :func:`find_candidates`)
verify                  map        :func:`verify_part` (with its :func:`partners`' features)
                                   → a verdict for every candidate pair
group                   shuffle    :func:`forest`, :func:`merge_forests` → components;
                                   :func:`route_verdicts`, :func:`route_members` →
                                   :func:`group_part` per component → groups
======================  =========  =====================================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, replace

import numpy as np

from ..article import Article
from ..match import candidates, term_vectors
from ..match.candidates import (bucket_pairs, day_numbers, every_pair, keyword_pairs, pair_codes_of, pairs_of_codes,
                                shared_at_least)
from ..match.features import Analysis, Corpus, analyze
from ..match.group import Group, group_verdicts
from ..match.settings import Settings
from ..match.term_vectors import TermVectors, Units
from ..match.verdict import Verdict
from ..match.verify import Verifier
from ..metrics import clustering_from_pairs
from ..text.boilerplate import Boilerplate
from ..text.lexicon import LEXICON

def count_lines(texts: Iterable[str], cleaner: Boilerplate | None = None) -> Counter:
    """How many of a part's texts each line appears in (the boilerplate's evidence; summed over parts)."""
    return (cleaner or Boilerplate()).count(texts)


def sum_counts(a: Counter, b: Counter) -> Counter:
    """Two parts' line counts as one (the reduction: associative, so a tree of them sums the corpus)."""
    total = Counter(a)
    total.update(b)
    return total


def fit_cleaner(counts: Counter) -> Boilerplate:
    """The boilerplate cleaner of the whole corpus, from the summed line counts."""
    return Boilerplate().fit_counts(counts)


@dataclass
class AnalyzedPart:
    """A part's articles, stripped (copies: a retried task gets its input unchanged), and their analyses."""

    articles: list[Article]
    analyses: list[Analysis]


def analyze_article(text: str, title: str, cleaner: Boilerplate, shingle_size: int, min_words: int
                    ) -> tuple[str, list, list, Analysis]:
    """The analyze stage on one article: its boilerplate stripped (the clean text, the spans removed and
    the segments kept), then its sentences, term ids and shingle set (:func:`~dedup.match.features.analyze`)."""
    clean, removed, kept = cleaner.strip_text(text)
    return clean, removed, kept, analyze(Article("", text, title=title, clean=clean), LEXICON, shingle_size, min_words)


def analyze_part(articles: list[Article], cleaner: Boilerplate, shingle_size: int, min_words: int) -> AnalyzedPart:
    """:func:`analyze_article` on each article of a part; the articles come back as stripped copies."""
    stripped, analyses = [], []
    for a in articles:
        clean, removed, kept, analysis = analyze_article(a.text, a.title, cleaner, shingle_size, min_words)
        stripped.append(replace(a, clean=clean, removed=removed, kept=kept))
        analyses.append(analysis)
    return AnalyzedPart(stripped, analyses)


def frequencies(part: AnalyzedPart) -> tuple[np.ndarray, np.ndarray, int]:
    """A part's sentence-term frequencies: its term keys, in how many of its units each occurs, its units."""
    units = Units.concat([an.units for an in part.analyses])
    keys, df = term_vectors.document_frequencies(units)
    return keys, df, len(units)


def merge_frequencies(a: tuple, b: tuple) -> tuple[np.ndarray, np.ndarray, int]:
    """Two parts' frequencies as one (the reduction behind the corpus IDF)."""
    keys, df = term_vectors.merge_frequencies([(a[0], a[1]), (b[0], b[1])])
    return keys, df, a[2] + b[2]


def fit_vectorizer(total: tuple) -> TermVectors:
    """The corpus IDF, from the summed sentence-term frequencies ``(keys, df, units)``."""
    return TermVectors().from_frequencies(*total)


@dataclass
class PartFeatures:
    """A work partition's features: the corpus rows, keywords and days of its articles."""

    start: int
    corpus: Corpus
    keywords: list[np.ndarray]
    days: np.ndarray


def features(part: AnalyzedPart, vectorizer: TermVectors, start: int, settings: Settings) -> PartFeatures:
    """A part's signatures, TF-IDF rows (the corpus IDF: each row is the one the whole corpus gives),
    keywords and days; ``start`` is the number of its first article in the corpus."""
    analyses = [Analysis(an.spans, an.units, an.shingles) for an in part.analyses]
    corpus = Corpus(part.articles, settings.shingle_size, settings.num_perm, settings.seed, settings.min_sentence_words)
    corpus.fit(analyses=analyses, vectorizer=vectorizer)
    keywords = corpus.keywords(settings.keywords)
    corpus.vectorizer_ = None  # the corpus vocabulary stays with its own task
    return PartFeatures(start, corpus, keywords, day_numbers(a.published for a in part.articles))


def find_candidates(corpus: Corpus, settings: Settings, near: Future | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Near-duplicate pairs (LSH), same-story pairs (shared keywords, close in time; every pair of a
    corpus of at most :data:`~dedup.match.candidates.ALL_PAIRS_UP_TO` articles) and their union.
    The candidates stage with the whole corpus as one part (what :func:`band_postings`,
    :func:`near_pairs`, :func:`keyword_postings`, :func:`keyword_codes` and :func:`same_story_pairs`
    find over many). ``near``: the LSH pairs, when they are being found elsewhere meanwhile."""
    near = near.result() if near is not None else candidates.candidate_pairs(corpus.signatures_, settings.lsh_threshold)
    same_story = keyword_pairs(corpus.keywords(settings.keywords), settings.min_shared_keywords, settings.max_postings,
                               published=[a.published for a in corpus.articles], max_days=settings.thresholds.max_days)
    base = len(corpus.articles)
    same_story = pairs_of_codes(np.concatenate([pair_codes_of(same_story, base), pair_codes_of(every_pair(base), base)]),
                                base)  # a small corpus: every pair
    pairs = pairs_of_codes(np.concatenate([pair_codes_of(near, base), pair_codes_of(same_story, base)]), base)
    return near, same_story, pairs


def route_by_part(pairs: np.ndarray, bounds: np.ndarray) -> list[np.ndarray]:
    """Split ``pairs`` by the work partition of their first article."""
    owner = np.searchsorted(bounds, pairs[:, 0], side="right") - 1
    return [pairs[owner == p] for p in range(len(bounds) - 1)]


def split_by_reducer(arrays: tuple[np.ndarray, ...], to: np.ndarray, reducers: int) -> list[tuple[np.ndarray, ...]]:
    """Rows of ``arrays`` dealt to ``reducers`` shuffle tasks by ``to`` (each row's reducer)."""
    return [tuple(x[to == r] for x in arrays) for r in range(reducers)]


def band_postings(f: PartFeatures, settings, reducers: int) -> list[tuple[np.ndarray, ...]]:
    """A part's LSH band keys (band, key, article), dealt to the reducers by key: a bucket meets in one task."""
    postings = candidates.band_postings(f.corpus.signatures_, settings.lsh_threshold, f.start)
    return split_by_reducer(postings, (postings[1] % np.uint64(reducers)).astype(np.int64), reducers)


def near_pairs(bounds: np.ndarray, *parts: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """Pairs sharing a band bucket, from this reducer's buckets."""
    return route_by_part(bucket_pairs(*(np.concatenate([p[k] for p in parts]) for k in range(3))), bounds)


def keyword_postings(f: PartFeatures, reducers: int) -> list[tuple[np.ndarray, ...]]:
    """A part's keyword postings (term, article, day), dealt to the reducers by term."""
    postings = candidates.keyword_postings(f.keywords, f.days, f.start)
    return split_by_reducer(postings, postings[0] % reducers, reducers)


def keyword_codes(n: int, max_postings: int, max_days: float, reducers: int,
                   *parts: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """The keyword co-occurrence codes of this reducer's keywords, split again by pair for counting."""
    codes = candidates.keyword_codes(*(np.concatenate([p[k] for p in parts]) for k in range(3)), n, max_postings, max_days)
    return [codes[codes % reducers == r] for r in range(reducers)]


def same_story_pairs(n: int, min_shared: int, bounds: np.ndarray, *parts: np.ndarray) -> list[np.ndarray]:
    """Pairs sharing at least ``min_shared`` keywords, from this reducer's codes, routed to their first article's part."""
    return route_by_part(shared_at_least(np.concatenate(parts), n, min_shared), bounds)


def join_pairs(*parts: np.ndarray) -> np.ndarray:
    """A part's candidate pairs from every channel and reducer, once each, in order."""
    pairs = np.concatenate([p.reshape(-1, 2) for p in parts]) if parts else np.empty((0, 2), dtype=np.int64)
    return np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)


def take(f: PartFeatures, wanted: np.ndarray) -> tuple[np.ndarray, Corpus | None]:
    """The features of global articles ``wanted`` that partition ``f`` holds."""
    n = len(f.corpus.articles)
    wanted = np.unique(wanted)
    mine = wanted[(wanted >= f.start) & (wanted < f.start + n)]
    return mine, (f.corpus.take(mine - f.start) if len(mine) else None)


def partners(f: PartFeatures, pairs: np.ndarray) -> tuple[np.ndarray, Corpus | None]:
    """The features partition ``f`` holds of the second articles of ``pairs``."""
    return take(f, pairs[:, 1])


def as_one_corpus(parts: list[tuple[np.ndarray, Corpus | None]]) -> tuple[np.ndarray, Corpus]:
    """Several global-id feature sets as one corpus; ids ascending, so local order is global order."""
    parts = [(ids, c) for ids, c in parts if c is not None and len(ids)]
    order = np.argsort([int(ids[0]) for ids, _ in parts], kind="stable")
    parts = [parts[k] for k in order]
    return np.concatenate([ids for ids, _ in parts]), Corpus.concat([c for _, c in parts])


def verify_part(f: PartFeatures, pairs: np.ndarray, thresholds, *partners: tuple) -> dict[tuple[int, int], Verdict]:
    """The verdicts of a part's candidate pairs (their first article in the part), with its partners' features."""
    if len(pairs) == 0:
        return {}
    own = np.arange(f.start, f.start + len(f.corpus.articles), dtype=np.int64)
    gids, corpus = as_one_corpus([(own, f.corpus), *partners])
    local = np.searchsorted(gids, pairs)
    verdicts = Verifier(corpus, thresholds).verify_many(local)
    return {(int(gids[i]), int(gids[j])): v for (i, j), v in verdicts.items()}


def forest(verdicts: dict[tuple[int, int], Verdict]) -> dict[int, int]:
    """Each article touched by a related pair → the smallest article of its component (within these pairs)."""
    return components([(i, j) for (i, j), v in verdicts.items() if v.relation != "distinct"])


def components(edges: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Each article touched by ``edges`` → the smallest article of its connected component."""
    edges = list(edges)
    return clustering_from_pairs(sorted({x for e in edges for x in e}), edges)


def merge_forests(a: dict[int, int], b: dict[int, int]) -> dict[int, int]:
    """Two partial components labellings as one (the reduction behind the components)."""
    return components([*a.items(), *b.items()])


def deal(component: int, tasks: int) -> int:
    """The grouping task a component goes to (a fixed spread of the component's label)."""
    return (component * 0x9E3779B1) % (1 << 32) % tasks


def route_verdicts(verdicts: dict, labels: dict[int, int], tasks: int) -> list[dict]:
    """The verdicts inside each component (related or not), dealt to the grouping tasks."""
    out: list[dict] = [{} for _ in range(tasks)]
    for (i, j), v in verdicts.items():
        ci, cj = labels.get(i), labels.get(j)
        if ci is not None and ci == cj:
            out[deal(ci, tasks)][(i, j)] = v
    return out


def route_members(f: PartFeatures, labels: dict[int, int], tasks: int) -> list[tuple[np.ndarray, Corpus | None]]:
    """A part's articles that are in a component, with their features, dealt to the grouping tasks."""
    n = len(f.corpus.articles)
    dealt: list[list[int]] = [[] for _ in range(tasks)]
    for g in range(f.start, f.start + n):
        c = labels.get(g)
        if c is not None:
            dealt[deal(c, tasks)].append(g)
    return [take(f, np.array(ids, dtype=np.int64)) for ids in dealt]


def group_part(thresholds, verdict_parts: list[dict], member_parts: list[tuple]
               ) -> tuple[list[Group], dict[tuple[int, int], Verdict]]:
    """:func:`~dedup.match.group.group_verdicts` on the components dealt to this task: their groups,
    and the verdicts the grouping asked for beyond those given (both in global article numbers)."""
    if not any(len(ids) for ids, _ in member_parts):
        return [], {}
    gids, corpus = as_one_corpus(member_parts)
    local = {}
    for part in verdict_parts:
        for (i, j), v in part.items():
            local[(int(np.searchsorted(gids, i)), int(np.searchsorted(gids, j)))] = v
    verifier = Verifier(corpus, thresholds)
    groups, used = group_verdicts(len(gids), local, lambda pairs: verifier.verify_many(np.array(pairs, dtype=np.int64)))
    g = gids.tolist()
    asked = {(g[i], g[j]): v for (i, j), v in used.items() if (i, j) not in local}
    return [Group([g[m] for m in x.members], x.relation, [(g[i], g[j], v) for i, j, v in x.edges],
                  {g[k]: g[v] for k, v in x.duplicate_of.items()}) for x in groups], asked
