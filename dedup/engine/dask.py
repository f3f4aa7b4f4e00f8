"""The grouping job on a Dask cluster (dask.distributed): the local engine's groups, on many machines.

The one module that imports Dask. Every stage is a set of tasks submitted as
futures; nothing is scattered, so the results a killed worker held are
recomputed by the scheduler from their lineage, and the run still ends exact.

1. **read**: a task per chunk of input files (each JSONL/CSV/Parquet file is a
   chunk of its own). The client gathers ids and problems only, makes ids
   unique exactly as the local reader does, and cuts the corpus into work
   partitions of about ``partition_size`` articles.
2. **boilerplate**: repeated-line counts per partition, summed in a tree; the
   fitted cleaner is itself a task's result.
3. **analyze**: strip and analyze per partition; sentence-term document
   frequencies per partition, summed in a tree, give the corpus IDF.
4. **features**: signatures, TF-IDF rows and keywords per partition. A row
   depends only on its own terms and the corpus IDF, so it is the row the local
   engine computes.
5. **candidates**: band keys and keyword postings are hashed to ``reducers``
   shuffle tasks (numpy arrays, task-based shuffle); their pairs are routed to
   the partition of the pair's first article.
6. **verify**: per partition, its pairs, with the features of the partner
   articles extracted from the partitions that hold them; batched per first
   article as the local engine batches them.
7. **group**: connected components of the related pairs, partition then merge
   (each verify task's forest, merged in a tree); components are dealt to
   grouping tasks, each running the local engine's average-linkage grouping on
   its components. No step sends all pairs through one worker.
"""

from __future__ import annotations

import logging
import math
import operator
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from ..article import Article, ReadProblem, first_line
from ..text.boilerplate import Boilerplate
from ..match.candidates import (band_postings, bucket_pairs, day_numbers, every_pair, keyword_codes, keyword_postings,
                         shared_at_least)
from ..match.features import Analysis, Corpus, analyze
from ..match.group import Group, group
from ..metrics import clustering_from_pairs
from ..io.fields import FieldMap
from ..io.files import holds_records
from ..io.pieces import Piece, plan_pieces, read_piece
from ..io.read import UniqueIds
from ..io.walk import sources
from ..text.lexicon import LEXICON
from ..match.term_vectors import TermVectors, Units, document_frequencies, merge_frequencies
from ..match.verify import Verdict, Verifier

log = logging.getLogger("dedup")

#: Input files read by one task, when they are single documents (.txt, .html) and the input
#: cannot be given in pieces (:func:`~dedup.io.plan_pieces`).
FILES_PER_CHUNK = 2000

#: Bytes of a JSON Lines file read by one task (about 20,000 SaudiNewsNet articles).
TASK_PIECE_BYTES = 1 << 26


# --------------------------------------------------------------------- tasks
# Module-level functions, run on the workers. None of them mutates its inputs:
# an input may be handed to a retried task after a worker died.


def _read_chunk(piece: Piece, fields: FieldMap) -> list[tuple[str, object]]:
    """Articles and problems of a piece of the input, in reading order."""
    events: list[tuple[str, object]] = []
    for article in read_piece(piece, fields, lambda p: events.append(("problem", p))):
        events.append(("article", (article, article.path)))
    return events


def _chunk_index(events: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """What the client needs to make ids unique: each article's id, path and source id; the problems."""
    return [("article", (e[0].id, e[0].path, e[1])) if kind == "article" else (kind, e) for kind, e in events]


def _slice(events: list[tuple[str, object]], lo: int, hi: int, renames: dict[int, str]) -> list[Article]:
    articles = [e[0] for kind, e in events if kind == "article"][lo:hi]
    return [replace(a, id=renames[k]) if k in renames else a for k, a in enumerate(articles, lo)]


def _count_lines(articles: list[Article]) -> Counter:
    return Boilerplate().count(a.text for a in articles)


def _sum_counts(a: Counter, b: Counter) -> Counter:
    total = Counter(a)
    total.update(b)
    return total


def _fit_cleaner(counts: Counter) -> Boilerplate:
    return Boilerplate().fit_counts(counts)


@dataclass
class AnalyzedPart:
    articles: list[Article]
    analyses: list[Analysis]


def _analyze(articles: list[Article], cleaner: Boilerplate, shingle_size: int, min_words: int) -> AnalyzedPart:
    stripped = [cleaner.strip(replace(a, removed=[], kept=[])) for a in articles]
    return AnalyzedPart(stripped, [analyze(a, LEXICON, shingle_size, min_words) for a in stripped])


def _frequencies(part: AnalyzedPart) -> tuple[np.ndarray, np.ndarray, int]:
    units = Units.concat([an.units for an in part.analyses])
    keys, df = document_frequencies(units)
    return keys, df, len(units)


def _merge_frequencies(a: tuple, b: tuple) -> tuple[np.ndarray, np.ndarray, int]:
    keys, df = merge_frequencies([(a[0], a[1]), (b[0], b[1])])
    return keys, df, a[2] + b[2]


def _vectorizer(total: tuple) -> TermVectors:
    return TermVectors().from_frequencies(*total)


@dataclass
class _Features:
    """A work partition's features: the corpus rows, keywords and days of its articles."""

    start: int
    corpus: Corpus
    keywords: list[np.ndarray]
    days: np.ndarray


def _features(part: AnalyzedPart, vectorizer: TermVectors, start: int, settings) -> _Features:
    analyses = [Analysis(an.spans, an.units, an.shingles) for an in part.analyses]
    corpus = Corpus(part.articles, settings.shingle_size, settings.num_perm, settings.seed, settings.min_sentence_words)
    corpus.fit(analyses=analyses, vectorizer=vectorizer)
    keywords = corpus.keywords(settings.keywords)
    corpus.vectorizer_ = None  # the corpus vocabulary stays with its own task
    return _Features(start, corpus, keywords, day_numbers(a.published for a in part.articles))


def _route(pairs: np.ndarray, bounds: np.ndarray) -> list[np.ndarray]:
    """Split ``pairs`` by the work partition of their first article."""
    owner = np.searchsorted(bounds, pairs[:, 0], side="right") - 1
    return [pairs[owner == p] for p in range(len(bounds) - 1)]


def _split(arrays: tuple[np.ndarray, ...], to: np.ndarray, reducers: int) -> list[tuple[np.ndarray, ...]]:
    return [tuple(x[to == r] for x in arrays) for r in range(reducers)]


def _band_postings(f: _Features, settings, reducers: int) -> list[tuple[np.ndarray, ...]]:
    postings = band_postings(f.corpus.signatures_, settings.lsh_threshold, f.start)
    return _split(postings, (postings[1] % np.uint64(reducers)).astype(np.int64), reducers)


def _near_pairs(bounds: np.ndarray, *parts: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """Pairs sharing a band bucket, from this reducer's buckets."""
    return _route(bucket_pairs(*(np.concatenate([p[k] for p in parts]) for k in range(3))), bounds)


def _keyword_postings(f: _Features, reducers: int) -> list[tuple[np.ndarray, ...]]:
    postings = keyword_postings(f.keywords, f.days, f.start)
    return _split(postings, postings[0] % reducers, reducers)


def _keyword_codes(n: int, max_postings: int, max_days: float, reducers: int,
                   *parts: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """The keyword co-occurrence codes of this reducer's keywords, split again by pair for counting."""
    codes = keyword_codes(*(np.concatenate([p[k] for p in parts]) for k in range(3)), n, max_postings, max_days)
    return [codes[codes % reducers == r] for r in range(reducers)]


def _same_story_pairs(n: int, min_shared: int, bounds: np.ndarray, *parts: np.ndarray) -> list[np.ndarray]:
    return _route(shared_at_least(np.concatenate(parts), n, min_shared), bounds)


def _join_pairs(*parts: np.ndarray) -> np.ndarray:
    pairs = np.concatenate([p.reshape(-1, 2) for p in parts]) if parts else np.empty((0, 2), dtype=np.int64)
    return np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)


def _take(f: _Features, wanted: np.ndarray) -> tuple[np.ndarray, Corpus | None]:
    """The features of global articles ``wanted`` that partition ``f`` holds."""
    n = len(f.corpus.articles)
    wanted = np.unique(wanted)
    mine = wanted[(wanted >= f.start) & (wanted < f.start + n)]
    return mine, (f.corpus.take(mine - f.start) if len(mine) else None)


def _partners(f: _Features, pairs: np.ndarray) -> tuple[np.ndarray, Corpus | None]:
    return _take(f, pairs[:, 1])


def _local(parts: list[tuple[np.ndarray, Corpus | None]]) -> tuple[np.ndarray, Corpus]:
    """Several global-id feature sets as one corpus; ids ascending, so local order is global order."""
    parts = [(ids, c) for ids, c in parts if c is not None and len(ids)]
    order = np.argsort([int(ids[0]) for ids, _ in parts], kind="stable")
    parts = [parts[k] for k in order]
    return np.concatenate([ids for ids, _ in parts]), Corpus.concat([c for _, c in parts])


def _verify(f: _Features, pairs: np.ndarray, thresholds, *partners: tuple) -> dict[tuple[int, int], Verdict]:
    if len(pairs) == 0:
        return {}
    own = np.arange(f.start, f.start + len(f.corpus.articles), dtype=np.int64)
    gids, corpus = _local([(own, f.corpus), *partners])
    local = np.searchsorted(gids, pairs)
    verdicts = Verifier(corpus, thresholds).verify_many(local)
    return {(int(gids[i]), int(gids[j])): v for (i, j), v in verdicts.items()}


def _forest(verdicts: dict[tuple[int, int], Verdict]) -> dict[int, int]:
    """Each article touched by a related pair → the smallest article of its component (within these pairs)."""
    return _components([(i, j) for (i, j), v in verdicts.items() if v.relation != "distinct"])


def _components(edges: Iterable[tuple[int, int]]) -> dict[int, int]:
    edges = list(edges)
    return clustering_from_pairs(sorted({x for e in edges for x in e}), edges)  # labels: smallest member


def _merge_forests(a: dict[int, int], b: dict[int, int]) -> dict[int, int]:
    return _components([*a.items(), *b.items()])


def _deal(component: int, tasks: int) -> int:
    return (component * 0x9E3779B1) % (1 << 32) % tasks


def _route_verdicts(verdicts: dict, labels: dict[int, int], tasks: int) -> list[dict]:
    """The verdicts inside each component (related or not), dealt to the grouping tasks."""
    out: list[dict] = [{} for _ in range(tasks)]
    for (i, j), v in verdicts.items():
        ci, cj = labels.get(i), labels.get(j)
        if ci is not None and ci == cj:
            out[_deal(ci, tasks)][(i, j)] = v
    return out


def _route_members(f: _Features, labels: dict[int, int], tasks: int) -> list[tuple[np.ndarray, Corpus | None]]:
    n = len(f.corpus.articles)
    dealt: list[list[int]] = [[] for _ in range(tasks)]
    for g in range(f.start, f.start + n):
        c = labels.get(g)
        if c is not None:
            dealt[_deal(c, tasks)].append(g)
    return [_take(f, np.array(ids, dtype=np.int64)) for ids in dealt]


def _group(thresholds, verdict_parts: list[dict], member_parts: list[tuple]) -> list[Group]:
    """The local engine's grouping, on the components dealt to this task."""
    if not any(len(ids) for ids, _ in member_parts):
        return []
    gids, corpus = _local(member_parts)
    local = {}
    for part in verdict_parts:
        for (i, j), v in part.items():
            local[(int(np.searchsorted(gids, i)), int(np.searchsorted(gids, j)))] = v
    verifier = Verifier(corpus, thresholds)
    groups = group(len(gids), local, lambda pairs: verifier.verify_many(np.array(pairs, dtype=np.int64)))
    g = gids.tolist()
    return [Group([g[m] for m in x.members], x.relation, [(g[i], g[j], v) for i, j, v in x.edges],
                  {g[k]: g[v] for k, v in x.duplicate_of.items()}) for x in groups]


def _light(f: _Features) -> list[Article]:
    """Articles without their text (ids, metadata, first line of the body), for the output of singletons."""
    out = []
    for a in f.corpus.articles:
        out.append(Article(a.id, "", a.title, a.outlet, a.published, a.path, a.meta, clean=first_line(a.body)))
    return out


def _articles(f: _Features) -> list[Article]:
    return f.corpus.articles


# -------------------------------------------------------------------- client


@contextmanager
def connect(scheduler=None, workers: int | None = None):
    """A Dask client: to ``scheduler`` (an address or a ``Client``), else to a new local cluster."""
    from ..job import EngineError

    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise EngineError("the Dask engine needs Dask: pip install 'dedup[dask]'") from exc
    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise EngineError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        with client:
            yield client
        return
    from .processes import default_jobs

    with LocalCluster(n_workers=workers or default_jobs(), threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as local, Client(local) as client:
        yield client


def _tree(client, func, futures: list):
    """Reduce ``futures`` pairwise with ``func`` (a tree: no task receives them all)."""
    while len(futures) > 1:
        nxt = [client.submit(func, futures[k], futures[k + 1]) for k in range(0, len(futures) - 1, 2)]
        if len(futures) % 2:
            nxt.append(futures[-1])
        futures = nxt
    return futures[0]


def _chunks(paths: Iterable[str]) -> list[list[tuple[str, str]]]:
    chunks: list[list[tuple[str, str]]] = []
    single: list[tuple[str, str]] = []
    for path, ident in sources(paths):
        if holds_records(path):
            if single:
                chunks.append(single)
                single = []
            chunks.append([(str(path), ident)])
        else:
            single.append((str(path), ident))
            if len(single) >= FILES_PER_CHUNK:
                chunks.append(single)
                single = []
    if single:
        chunks.append(single)
    return chunks


def cluster_dask(
    paths: Iterable[str],
    settings,
    fields: FieldMap = FieldMap(),
    on_problem: Callable[[ReadProblem], None] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    scheduler=None,
    workers: int | None = None,
    partition_size: int | None = None,
    reducers: int | None = None,
    keep_text: bool = False,
):
    """Group the articles under ``paths`` on Dask; the same groups as :func:`dedup.engine.local.cluster`.

    With ``keep_text`` the articles come back whole (what ``--explain`` and
    reports need); without, as ids, metadata and the first line of the body, so
    the client never holds the corpus.
    """
    from ..job import ClusterResult, EngineError

    try:
        from distributed import wait
    except ImportError as exc:
        raise EngineError("the Dask engine needs Dask: pip install 'dedup[dask]'") from exc

    timings: dict[str, float] = {}
    mark = [time.perf_counter()]

    def stage(name: str, futures: list, total: int) -> None:
        wait(futures)
        now = time.perf_counter()
        timings[name] = now - mark[0]
        mark[0] = now
        log.debug("%s: %.2fs", name, timings[name])
        if progress:
            progress(name, total, total)

    # a JSON Lines file cut in pieces, so that no one task reads it all
    chunks = plan_pieces(paths, TASK_PIECE_BYTES) or [Piece(files=tuple(c)) for c in _chunks(paths)]
    with connect(scheduler, workers) as client:
        # 1. read; ids made unique on the client, in reading order
        read = [client.submit(_read_chunk, c, fields) for c in chunks]
        index = client.gather([client.submit(_chunk_index, r) for r in read])
        problems: list[ReadProblem] = []

        def report(p: ReadProblem) -> None:
            problems.append(p)
            if on_problem:
                on_problem(p)

        ids, renames, sizes = UniqueIds(), [], []
        for events in index:
            names: dict[int, str] = {}
            k = 0
            for kind, e in events:
                if kind == "problem":
                    report(e)
                    continue
                a = Article(e[0], "", path=e[1])
                ids.assign(a, report, e[2])
                if a.id != e[0]:
                    names[k] = a.id
                k += 1
            renames.append(names)
            sizes.append(k)
        n = sum(sizes)
        stage("read", read, n)
        if n == 0:
            return ClusterResult([], [], problems, {}, timings)
        nworkers = max(1, len(client.scheduler_info()["workers"]))
        size = partition_size or min(20000, max(1000, math.ceil(n / (4 * nworkers))))
        parts, starts = [], []
        for r, (fut, count, names) in enumerate(zip(read, sizes, renames)):
            for lo in range(0, count, size):
                hi = min(count, lo + size)
                starts.append(sum(sizes[:r]) + lo)
                parts.append(client.submit(_slice, fut, lo, hi, {k: v for k, v in names.items() if lo <= k < hi}))
        bounds = np.array(starts + [n], dtype=np.int64)
        P = len(parts)
        R = reducers or max(1, min(P, 2 * nworkers))

        # 2. boilerplate: a distributed count of repeated lines
        cleaner = client.submit(_fit_cleaner, _tree(client, _sum_counts, [client.submit(_count_lines, p) for p in parts]))
        # 3. analyze, and the corpus IDF from summed frequencies
        analyzed = [client.submit(_analyze, p, cleaner, settings.shingle_size, settings.min_sentence_words) for p in parts]
        vectorizer = client.submit(_vectorizer, _tree(client, _merge_frequencies,
                                                      [client.submit(_frequencies, a) for a in analyzed]))
        # 4. features
        feats = [client.submit(_features, a, vectorizer, int(s), settings) for a, s in zip(analyzed, starts)]
        stage("features", feats, n)
        del parts, analyzed, read

        # 5. candidates: shuffle band keys and keyword postings to the reducers
        def shuffle(outputs: list, width: int) -> list[list]:
            return [[client.submit(operator.getitem, o, r) for o in outputs] for r in range(width)]

        bands = shuffle([client.submit(_band_postings, f, settings, R) for f in feats], R)
        near = [client.submit(_near_pairs, bounds, *b) for b in bands]
        words = shuffle([client.submit(_keyword_postings, f, R) for f in feats], R)
        codes = shuffle([client.submit(_keyword_codes, n, settings.max_postings, settings.thresholds.max_days, R, *w) for w in words], R)
        story = [client.submit(_same_story_pairs, n, settings.min_shared_keywords, bounds, *c) for c in codes]
        small = [client.submit(every_pair, n, int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]
        routed = shuffle(near + story, P)
        pairs = [client.submit(_join_pairs, small[p], *routed[p]) for p in range(P)]
        stage("candidates", pairs, n)

        # 6. verify, each partition with its partners' features
        verdicts = []
        for p in range(P):
            partners = [client.submit(_partners, feats[q], pairs[p]) for q in range(p + 1, P)]
            verdicts.append(client.submit(_verify, feats[p], pairs[p], settings.thresholds, *partners))
        stage("verify", verdicts, n)

        # 7. components (partition, then merge), then grouping per component
        labels = _tree(client, _merge_forests, [client.submit(_forest, v) for v in verdicts])
        G = P
        vparts = shuffle([client.submit(_route_verdicts, v, labels, G) for v in verdicts], G)
        mparts = shuffle([client.submit(_route_members, f, labels, G) for f in feats], G)
        grouped = [client.submit(_group, settings.thresholds, vparts[g], mparts[g]) for g in range(G)]
        stage("group", grouped, n)

        groups = [x for part in client.gather(grouped) for x in part]
        placed = {m for g in groups for m in g.members}
        groups += [Group([i], "unique") for i in range(n) if i not in placed]
        groups.sort(key=lambda g: (len(g.members) == 1, -len(g.members), g.members[0]))
        # whole articles only when asked: the client need not hold the corpus
        articles = [a for part in client.gather([client.submit(_articles if keep_text else _light, f) for f in feats])
                    for a in part]
        stage("output", [], n)
    found = {(i, j): v for g in groups for i, j, v in g.edges}
    return ClusterResult(articles, groups, problems, found, timings)
