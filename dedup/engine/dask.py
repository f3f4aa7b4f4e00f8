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
from dataclasses import replace

import numpy as np

from ..article import Article, ReadProblem, first_line
from ..match.candidates import every_pair
from ..match.group import Group
from ..io.fields import FieldMap
from ..io.files import holds_records
from ..io.pieces import Piece, plan_pieces, read_piece
from ..io.read import UniqueIds
from ..io.walk import sources
from ..match.verdict import Verdict
from ..match.verdicts import Verdicts
from . import stages

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
    return stages.count_lines(a.text for a in articles)


def _light(f: stages.PartFeatures) -> list[Article]:
    """Articles without their text (ids, metadata, first line of the body), for the output of singletons."""
    out = []
    for a in f.corpus.articles:
        out.append(Article(a.id, "", a.title, a.outlet, a.published, a.path, a.meta, clean=first_line(a.body)))
    return out


def _articles(f: stages.PartFeatures) -> list[Article]:
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
    from .workers import default_jobs

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
            return ClusterResult([], [], problems, Verdicts.of({}), timings)
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
        cleaner = client.submit(stages.fit_cleaner, _tree(client, stages.sum_counts, [client.submit(_count_lines, p) for p in parts]))
        # 3. analyze, and the corpus IDF from summed frequencies
        analyzed = [client.submit(stages.analyze_part, p, cleaner, settings.shingle_size, settings.min_sentence_words) for p in parts]
        vectorizer = client.submit(stages.fit_vectorizer, _tree(client, stages.merge_frequencies,
                                                      [client.submit(stages.frequencies, a) for a in analyzed]))
        # 4. features
        feats = [client.submit(stages.features, a, vectorizer, int(s), settings) for a, s in zip(analyzed, starts)]
        stage("features", feats, n)
        del parts, analyzed, read

        # 5. candidates: shuffle band keys and keyword postings to the reducers
        def shuffle(outputs: list, width: int) -> list[list]:
            return [[client.submit(operator.getitem, o, r) for o in outputs] for r in range(width)]

        bands = shuffle([client.submit(stages.band_postings, f, settings, R) for f in feats], R)
        near = [client.submit(stages.near_pairs, bounds, *b) for b in bands]
        words = shuffle([client.submit(stages.keyword_postings, f, R) for f in feats], R)
        codes = shuffle([client.submit(stages.keyword_codes, n, settings.max_postings, settings.thresholds.max_days, R, *w) for w in words], R)
        story = [client.submit(stages.same_story_pairs, n, settings.min_shared_keywords, bounds, *c) for c in codes]
        small = [client.submit(every_pair, n, int(lo), int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]
        routed = shuffle(near + story, P)
        pairs = [client.submit(stages.join_pairs, small[p], *routed[p]) for p in range(P)]
        stage("candidates", pairs, n)

        # 6. verify, each partition with its partners' features
        verdicts = []
        for p in range(P):
            partners = [client.submit(stages.partners, feats[q], pairs[p]) for q in range(p + 1, P)]
            verdicts.append(client.submit(stages.verify_part, feats[p], pairs[p], settings.thresholds, *partners))
        stage("verify", verdicts, n)

        # 7. components (partition, then merge), then grouping per component
        labels = _tree(client, stages.merge_forests, [client.submit(stages.forest, v) for v in verdicts])
        G = P
        vparts = shuffle([client.submit(stages.route_verdicts, v, labels, G) for v in verdicts], G)
        mparts = shuffle([client.submit(stages.route_members, f, labels, G) for f in feats], G)
        grouped = [client.submit(stages.group_part, settings.thresholds, vparts[g], mparts[g]) for g in range(G)]
        stage("group", grouped, n)

        done = client.gather(grouped)
        groups = [x for part, _ in done for x in part]
        placed = {m for g in groups for m in g.members}
        groups += [Group([i], "unique") for i in range(n) if i not in placed]
        groups.sort(key=lambda g: (len(g.members) == 1, -len(g.members), g.members[0]))
        # whole articles only when asked: the client need not hold the corpus
        articles = [a for part in client.gather([client.submit(_articles if keep_text else _light, f) for f in feats])
                    for a in part]
        stage("output", [], n)
        # every verdict made, as the local engine keeps them: the candidate pairs' and those the grouping asked for
        found: dict[tuple[int, int], Verdict] = {}
        for part in client.gather(verdicts):
            found.update(part)
        for _, asked in done:
            found.update(asked)
    return ClusterResult(articles, groups, problems, Verdicts.of(dict(sorted(found.items()))), timings)
