"""The local executor: the grouping job on this machine, read → strip boilerplate → analyze →
sign → candidates → verify → group, each stage inside a timer.

Runs the stages of :mod:`dedup.engine.stages` with the whole corpus as one part: the map stages
(stripping, analysis, signing; the reading too, for large inputs) in worker processes
(:mod:`dedup.engine.processes`), the corpus-wide ones here, their loops on several threads
(:mod:`dedup.compute.kernels`) and their largest arrays in files when asked
(:mod:`dedup.compute.spill`). :func:`cluster` is also where ``engine="dask"`` hands the job to
:mod:`dedup.engine.dask`: same groups, same result.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice

import numpy as np
from ..article import Article, ReadProblem
from ..text.boilerplate import Boilerplate
from ..match.candidates import candidate_pairs
from .stages import find_candidates
from ..match.group import group_verdicts
from ..io.fields import FieldMap
from ..io.pieces import plan_pieces
from ..io.read import read
from ..match.features import Corpus
from .processes import (MIN_PARALLEL, PROCESS_PIECE_BYTES, CorpusAnalysis, InputChanged, read_and_analyze,
                        strip_and_analyze, stream_and_analyze)
from .workers import can_fork, default_jobs
from ..match.signature import Signer
from ..compute.spill import IN_MEMORY, Spill
from ..job import ClusterResult, EngineError, Settings  # noqa: F401 (the job's types, read from here too)
from ..match.verify import Verifier

log = logging.getLogger("dedup")


@contextmanager
def without_gc():
    """The cyclic garbage collector off for a job: the job builds millions of small objects
    that form no cycles (articles, analyses, verdicts), and the collector re-scanned all of
    them as they piled up, a third of the verification time on 31k articles. Worker
    processes forked meanwhile inherit the setting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _timer(timings: dict[str, float], stage: str):
    start = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - start
    log.debug("%s: %.2fs", stage, timings[stage])


def _near_ahead(signatures: np.ndarray, settings: Settings, jobs: int, spill: Spill) -> Future | None:
    """The LSH channel's pairs, found in a thread while the TF-IDF vectors are fitted (they need
    only the signatures; their loops release the GIL), when there are several cores. Not with a
    spill folder: there memory is what is short, and the stages run one at a time."""
    if jobs < 2 or spill.folder is not None:
        return None
    pool = ThreadPoolExecutor(1)
    future = pool.submit(candidate_pairs, signatures, settings.lsh_threshold)
    pool.shutdown(wait=False)  # the thread ends with its one task; find_candidates waits for the result
    return future


def cluster_articles(
    articles: list[Article],
    settings: Settings = Settings(),
    problems: list[ReadProblem] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    jobs: int | None = None,
    keep_text: bool = True,
    spill: Spill = IN_MEMORY,
) -> ClusterResult:
    """Group already-read articles (the library entry point behind :func:`cluster`).

    ``jobs`` processes strip and analyze the articles (default: all cores); the
    groups do not depend on it. Without ``keep_text`` each article's text is dropped
    once analyzed (:meth:`Article.drop_text`), so a large corpus is not held twice
    over, and verdicts quote no shared sentences. ``spill``: where the job's largest arrays
    are made (:class:`~dedup.compute.spill.Spill`: in files under a folder, for corpora larger than memory).
    """
    with without_gc():
        return _cluster_articles(articles, settings, problems, progress, jobs, keep_text, spill=spill)


def _cluster_articles(articles: list[Article], settings: Settings, problems: list[ReadProblem] | None,
                      progress: Callable[[str, int, int], None] | None, jobs: int | None,
                      keep_text: bool, done: CorpusAnalysis | None = None,
                      timings: dict[str, float] | None = None, spill: Spill = IN_MEMORY) -> ClusterResult:
    """The job on ``articles``; ``done``: their analyses, already made while they were read
    (:func:`~dedup.engine.processes.stream_and_analyze`)."""
    timings = {} if timings is None else timings
    n = len(articles)
    tick = (lambda stage: (lambda k: progress(stage, k, n))) if progress else (lambda stage: None)
    jobs = jobs or default_jobs()
    corpus = Corpus(articles, settings.shingle_size, settings.num_perm, settings.seed, settings.min_sentence_words,
                    threads=jobs, keep_rows=False, spill=spill)
    if done is None and jobs > 1 and n >= MIN_PARALLEL and can_fork():
        with _timer(timings, "strip+analyze+sign"):
            done = strip_and_analyze(articles, Boilerplate(), settings.shingle_size, settings.min_sentence_words,
                                     Signer(settings.num_perm, settings.seed), jobs, tick("analyze"), keep_text,
                                     spill)
    near = None
    if done is not None:  # analyzed in several processes (here, or while the input was read)
        near = _near_ahead(done.signatures, settings, jobs, spill)
        with _timer(timings, "tf-idf"):
            corpus.fit(analyses=done.analyses, counts=done.counts, signatures=done.signatures, sets=done.sets)
            del done  # the term counts are as large as the vectors made from them
    else:
        with _timer(timings, "boilerplate"):
            cleaner = Boilerplate().fit(a.text for a in articles)
            for a in articles:
                cleaner.strip(a)
        with _timer(timings, "sign"):
            corpus.fit(tick("sign"))
            if not keep_text:
                for a in articles:
                    a.drop_text()
    stage = (lambda name, done: progress(name, int(done), 1)) if progress else (lambda name, done: None)
    stage("candidates", False)
    with _timer(timings, "candidates"):
        near, same_story, pairs = find_candidates(corpus, settings, near)
        found = (len(near), len(same_story))
        del near, same_story  # counted: at a million articles the two channels' pairs are 0.5 GB
    with _timer(timings, "verify"):
        verifier = Verifier(corpus, settings.thresholds, threads=jobs, quote=keep_text, spill=spill)
        corpus.sentence_vectors_ = None  # the verifier holds them by column
        stage("candidates", True)
        stage("verify", False)
        verdicts = verifier.verify_many(pairs)
        del pairs  # the verdicts hold them (in a file, with a spill folder)
        stage("verify", True)
    stage("group", False)
    with _timer(timings, "group"):
        groups, verdicts = group_verdicts(n, verdicts,
                                          lambda pairs: verifier.verify_many(np.array(pairs, dtype=np.int64)))
    stage("group", True)
    log.info("candidates: %d near-duplicate, %d same-story", *found)
    return ClusterResult(articles, groups, list(problems or []), verdicts, timings)


class _HeldProblems:
    """Problems held back while the start of the input is read: passed on when
    :meth:`release` is called (the input is read once), else forgotten (it is read again)."""

    def __init__(self, report: Callable[[ReadProblem], None]) -> None:
        self.report = report
        self.held: list[ReadProblem] | None = []

    def __call__(self, problem: ReadProblem) -> None:
        if self.held is None:
            self.report(problem)
        else:
            self.held.append(problem)

    def release(self) -> None:
        for p in self.held or []:
            self.report(p)
        self.held = None


def cluster(
    paths: Iterable[str] | str,
    settings: Settings = Settings(),
    fields: FieldMap = FieldMap(),
    on_problem: Callable[[ReadProblem], None] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    jobs: int | None = None,
    engine: str = "local",
    scheduler=None,
    keep_text: bool = True,
    spill_dir: str | None = None,
) -> ClusterResult:
    """Group the articles under ``paths`` (folders, JSON Lines, CSV or Parquet files, patterns).

    ``engine="dask"`` runs the job on a Dask cluster: the one at ``scheduler``
    (an address such as ``tcp://10.0.0.5:8786``, or a ``distributed.Client``), or
    a local cluster of ``jobs`` worker processes. The groups are the same. With
    ``keep_text=False`` the articles come back without their text (ids, metadata and
    the first line of the body), and the job holds less memory: an input of
    :data:`~dedup.engine.processes.MIN_PARALLEL` articles or more, with several jobs, is read in
    pieces by the analysis processes (:func:`~dedup.engine.processes.read_and_analyze`; or in batches
    here, :func:`~dedup.engine.processes.stream_and_analyze`, when a records file cannot be cut), and a
    large one read twice instead of held whole.
    With ``spill_dir`` the job's largest arrays (about 10 KB an article) are made in files
    there, mapped into memory (:mod:`dedup.compute.spill`): for corpora larger than memory.

    >>> result = cluster("seeds/")                      # doctest: +SKIP
    >>> [[result.articles[m].id for m in g.members] for g in result.groups]  # doctest: +SKIP
    """
    paths = [paths] if isinstance(paths, str) else list(paths)  # read more than once
    if engine == "dask":
        from .dask import cluster_dask

        if spill_dir is not None:
            raise ValueError("spill_dir is for the local engine: Dask workers keep their partitions in their own memory")
        return cluster_dask(list(paths), settings, fields, on_problem, progress, scheduler=scheduler, workers=jobs,
                            keep_text=keep_text)
    if engine != "local":
        raise ValueError(f"engine must be 'local' or 'dask', got {engine!r}")
    problems: list[ReadProblem] = []

    def report(p: ReadProblem) -> None:
        problems.append(p)
        if on_problem:
            on_problem(p)

    timings: dict[str, float] = {}
    jobs = jobs or default_jobs()
    spill = Spill(spill_dir)
    held = _HeldProblems(report)
    with without_gc():
        with _timer(timings, "read"):
            first = read(paths, fields, held)
            articles = list(islice(first, MIN_PARALLEL))
            streamed = len(articles) == MIN_PARALLEL and jobs > 1 and not keep_text and can_fork()
            if not streamed:
                held.release()
                articles.extend(first)
        if not streamed:
            result = _cluster_articles(articles, settings, problems, progress, jobs, keep_text, spill=spill)
        else:  # a large input: read by the processes (or in batches here), held whole only up to a bound
            first.close()
            del articles
            with _timer(timings, "read+strip+analyze+sign"):
                try:
                    pieces = plan_pieces(paths, PROCESS_PIECE_BYTES)
                    analysis = (Boilerplate(), settings.shingle_size, settings.min_sentence_words,
                                Signer(settings.num_perm, settings.seed), jobs, progress, spill)
                    if pieces is not None:  # each process reads its own pieces
                        articles, done = read_and_analyze(pieces, fields, report, *analysis)
                    else:
                        passes = iter([report, lambda p: None])  # a second reading finds the same problems
                        articles, done = stream_and_analyze(lambda: read(paths, fields, next(passes)), *analysis)
                except InputChanged as exc:
                    raise InputChanged(f"{', '.join(map(str, paths))}: {exc}") from None
            result = _cluster_articles(articles, settings, problems, progress, jobs, keep_text, done, timings, spill)
    result.timings = {**timings, **result.timings}
    return result
