"""The local executor's map stages in several processes (``--jobs``): stripping, analyzing, signing
and counting terms (and reading, for large inputs), on the pool of :mod:`dedup.engine.workers`.

Articles are cut into ordered chunks; each worker returns its chunk's results in
order, so the output does not depend on the number of jobs: line counts are
summed, and term ids are hashes that every process computes alike.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from itertools import islice
from dataclasses import dataclass, replace

import numpy as np

from ..article import Article, first_line
from ..text.boilerplate import Boilerplate, rebuild_clean
from ..match.features import NO_SHINGLES, Analysis
from ..io.fields import FieldMap
from ..io.files import ProblemHandler
from ..io.pieces import Piece, read_piece
from ..io.read import UniqueIds
from ..io.walk import InputError
from ..match.signature import Signer
from ..compute.spill import IN_MEMORY, Spill
from . import stages
from .workers import IN_FLIGHT, Workers, return_freed_memory  # noqa: F401 (IN_FLIGHT: read with STREAM_BATCH)
from ..match.term_vectors import NO_UNITS, TermCounts, Units

#: Below this many articles the pool costs more than it saves.
MIN_PARALLEL = 2000


@dataclass(frozen=True)
class WorkerState:
    """What the worker processes of a pool work with: given to the pool when it is made
    (:class:`~dedup.engine.workers.Workers`), and inherited by the forked processes (nothing is sent)."""

    cleaner: Boilerplate
    shingle_size: int
    min_words: int
    signer: Signer
    keep_text: bool = False
    articles: list[Article] | None = None  # the corpus, when it is held in memory
    fields: FieldMap | None = None  # how records are read, when the workers read the input
    hold: bool = False  # the workers send back whole articles from the first reading


#: In a worker process, the state its pool was made with (set by :func:`_start_worker`; never in the job's process).
_worker: WorkerState | None = None


def _start_worker(state: WorkerState) -> None:
    global _worker
    _worker = state


def _chunks(n: int, jobs: int) -> list[tuple[int, int]]:
    size = max(200, -(-n // (jobs * 8)))
    return [(i, min(n, i + size)) for i in range(0, n, size)]


def _count(span: tuple[int, int]) -> Counter:
    return stages.count_lines((a.text for a in _worker.articles[span[0] : span[1]]), _worker.cleaner)


@dataclass
class _Chunk:
    """What a process sends back for a slice of articles, packed in a few arrays: unpickling
    a hundred thousand small objects in the parent took time from the workers."""

    stripped: list[tuple[list, list]]  # removed spans and kept segments (the clean text is rebuilt)
    heads: list[str]  # without keep_text, the first line of each clean body (what the article keeps)
    span_counts: np.ndarray
    spans: np.ndarray  # (units, 2)
    set_sizes: np.ndarray
    sets: np.ndarray  # shingle sets end to end
    signatures: np.ndarray
    counts: TermCounts

    def analyses(self) -> list[Analysis]:
        """The articles' analyses, their shingle sets left in :attr:`sets` (held end to end)."""
        if not len(self.set_sizes):
            return []
        spans = np.split(self.spans, np.cumsum(self.span_counts)[:-1])
        return [Analysis(s, NO_UNITS, NO_SHINGLES) for s in spans]


def _strip_and_analyze(span: tuple[int, int]) -> _Chunk:
    return _analyze_texts([(a.text, a.title) for a in _worker.articles[span[0] : span[1]]])


def _analyze_texts(items: list[tuple[str, str]]) -> _Chunk:
    """Strip, analyze and sign the articles given as ``(text, title)``."""
    w = _worker
    cleaner, shingle_size, min_words, signer, keep_text = w.cleaner, w.shingle_size, w.min_words, w.signer, w.keep_text
    stripped, heads, analyses = [], [], []
    for text, title in items:
        clean, removed, kept, analysis = stages.analyze_article(text, title, cleaner, shingle_size, min_words)
        if keep_text:
            stripped.append((removed, kept))
        else:
            heads.append(first_line(clean))
        analyses.append(analysis)
    return _Chunk(
        stripped,
        heads,
        np.array([len(an.spans) for an in analyses], dtype=np.int64),
        np.concatenate([an.spans for an in analyses]) if analyses else np.empty((0, 2), dtype=np.int64),
        np.array([len(an.shingles) for an in analyses], dtype=np.int64),
        np.concatenate([an.shingles for an in analyses]) if analyses else np.empty(0, dtype=np.uint32),
        signer.sign_many([an.shingles for an in analyses]),
        TermCounts.of(Units.concat([an.units for an in analyses])),  # the parent needs the counts, not the ids
    )


def _count_texts(texts: list[str]) -> Counter:
    return stages.count_lines(texts, _worker.cleaner)


def _pool(jobs: int, state: WorkerState) -> Workers:
    return Workers(jobs, _start_worker, state)


@dataclass
class CorpusAnalysis:
    """The analyses of a corpus made in several processes, with each slice's term counts and
    the MinHash signatures of all articles."""

    analyses: list[Analysis]
    counts: list[TermCounts]
    signatures: np.ndarray
    sets: tuple[np.ndarray, np.ndarray]  # each article's shingle-set size, and the sets end to end


def strip_and_analyze(
    articles: list[Article], cleaner: Boilerplate, shingle_size: int, min_words: int, signer: Signer, jobs: int,
    progress: Callable[[int], None] | None = None, keep_text: bool = True, spill: Spill = IN_MEMORY,
) -> CorpusAnalysis:
    """Fit ``cleaner`` on the corpus, strip every article in place, analyze and sign it, in ``jobs`` processes.

    Each process also counts the terms of its articles' units (consecutive slices, in
    order), so the parent only merges counts to fit the TF-IDF vectors. Without
    ``keep_text`` each article's text is dropped once analyzed (:meth:`Article.drop_text`).
    The term counts and shingle sets are made where ``spill`` makes arrays."""
    state = WorkerState(cleaner, shingle_size, min_words, signer, keep_text, articles)
    with _pool(jobs, state) as pool:
        lines: Counter = Counter()
        for part in pool.imap(_count, _chunks(len(articles), jobs)):
            lines.update(part)
    cleaner.fit_counts(lines)  # fitted in place: the next pool's workers have it fitted
    done = _analyze_held(state, jobs, _Collect(signer, spill), progress)
    return done.result()


def _analyze_held(state: WorkerState, jobs: int, done: _Collect, progress) -> _Collect:
    """Strip, analyze and sign ``state.articles`` in ``jobs`` processes forked with them (they
    inherit the articles: no text is sent), the chunks gathered in ``done``."""
    articles = state.articles
    with _pool(jobs, state) as pool:
        return_freed_memory()
        for chunk in pool.imap(_strip_and_analyze, _chunks(len(articles), jobs)):
            done.add(chunk, articles[len(done.analyses) : len(done.analyses) + len(chunk.set_sizes)], state.keep_text,
                     progress)
    return done


class _Collect:
    """The chunks' results gathered in order, and each article stripped (or its text dropped)."""

    def __init__(self, signer: Signer, spill: Spill = IN_MEMORY) -> None:
        self.signer = signer
        self.spill = spill
        self.analyses: list[Analysis] = []
        self.counts: list[TermCounts] = []
        self.signatures: list[np.ndarray] = []
        self.set_sizes: list[np.ndarray] = []
        self.sets: list[np.ndarray] = []

    def add(self, chunk: _Chunk, articles: list[Article], keep_text: bool, progress) -> None:
        self.counts.append(chunk.counts.kept_in(self.spill))
        self.signatures.append(chunk.signatures)
        self.set_sizes.append(chunk.set_sizes)
        self.sets.append(chunk.sets)
        analyses = chunk.analyses()
        if keep_text:
            for a, (removed, kept) in zip(articles, chunk.stripped):
                a.clean, a.removed, a.kept = rebuild_clean(a.text, kept), removed, kept
        else:
            for a, head in zip(articles, chunk.heads):
                a.drop_text(head)
        self.analyses.extend(analyses)
        if progress:
            progress(len(analyses))

    def result(self) -> CorpusAnalysis:
        sizes = np.concatenate(self.set_sizes) if self.set_sizes else np.empty(0, dtype=np.int64)
        ids = self.spill.concatenate(self.sets, consume=True) if self.sets else np.empty(0, dtype=np.uint32)
        joined = (sizes, ids)
        self.set_sizes = self.sets = []
        return CorpusAnalysis(self.analyses, self.counts, np.concatenate(self.signatures) if self.signatures else
                        np.empty((0, self.signer.num_perm), dtype=np.uint32), joined)


#: Articles sent to a process at once when the input is streamed.
STREAM_BATCH = 1000

#: Characters of text (2 bytes each, for Arabic) that the first reading of a streamed input holds
#: on to: an input this small is not read a second time (see :class:`_FirstReading`).
HOLD_CHARS = 1 << 27


class _FirstReading:
    """The batches of the first reading, while their texts come to at most ``chars`` characters.
    An input that fits is analyzed from memory instead of being read again: reading and sending
    31k articles a second time took 0.9 s of the CPU of the process that feeds the others (reading
    0.7 s, pickling 0.17 s). Beyond the bound nothing is held: memory does not grow with the input."""

    def __init__(self, chars: int) -> None:
        self.room = chars
        self.batches: list[list[Article]] | None = []

    def add(self, batch: list[Article]) -> None:
        if self.batches is None:
            return
        self.room -= sum(len(a.text) + len(a.title) for a in batch)
        if self.room < 0:
            self.batches = None  # too large: read again
        else:
            self.batches.append(batch)

    def articles(self) -> list[Article] | None:
        """All the articles of the input, if it fitted."""
        held, self.batches = self.batches, None
        return None if held is None else [a for batch in held for a in batch]


def _batches(articles: Iterator[Article], size: int, sent: deque | None, hold: _FirstReading | None = None) -> Iterator[list]:
    """Consecutive batches of ``size`` articles, each as what a process needs of it (drawn as
    the work goes: :meth:`~dedup.engine.workers.Workers.imap`). ``sent`` receives each batch's articles, in order;
    ``hold`` keeps them while it has room."""
    while True:
        batch = list(islice(articles, size))
        if not batch:
            return
        if hold is not None:
            hold.add(batch)
        if sent is None:
            yield [a.text for a in batch]
        else:
            sent.append(batch)
            yield [(a.text, a.title) for a in batch]


class InputChanged(InputError):
    """The input read a second time was not what the first reading found."""


def stream_and_analyze(
    read_articles: Callable[[], Iterator[Article]], cleaner: Boilerplate, shingle_size: int, min_words: int,
    signer: Signer, jobs: int, progress: Callable[[str, int, int | None], None] | None = None,
    spill: Spill = IN_MEMORY, hold_chars: int | None = None,
) -> tuple[list[Article], CorpusAnalysis]:
    """:func:`strip_and_analyze` without holding every text: the input is read twice.

    The first reading counts boilerplate lines, the second strips, analyzes and signs;
    both send batches of articles to ``jobs`` processes while the reading goes on, and keep
    at most :data:`IN_FLIGHT` batches per process in memory. Each article comes back
    without its text (:meth:`Article.drop_text`). ``read_articles()`` must read the same
    articles each time (files do; :class:`InputChanged` when they did not). An input of at
    most ``hold_chars`` (default :data:`HOLD_CHARS`) characters of text is held by the first reading
    and not read again."""
    state = WorkerState(cleaner, shingle_size, min_words, signer)
    first = _Identity()
    lines: Counter = Counter()
    shown = 0
    hold = _FirstReading(HOLD_CHARS if hold_chars is None else hold_chars)
    with _pool(jobs, state) as pool:
        for part in pool.imap(_count_texts, _batches(first.of(read_articles()), STREAM_BATCH, None, hold)):
            lines.update(part)
            if progress:  # how many were read so far (the reading runs ahead; the total is not known)
                progress("read", first.count - shown, None)
                shown = first.count
    cleaner.fit_counts(lines)  # fitted in place: the next pool's workers have it fitted
    del lines
    done = _Collect(signer, spill)
    tick = (lambda k: progress("analyze", k, first.count)) if progress else None
    held = hold.articles()
    if held is not None:  # the whole input is in memory: not read again
        _analyze_held(replace(state, articles=held), jobs, done, tick)
        return held, done.result()
    articles: list[Article] = []
    sent: deque = deque()
    second = _Identity()
    with _pool(jobs, state) as pool:
        return_freed_memory()
        for chunk in pool.imap(_analyze_texts, _batches(second.of(read_articles()), STREAM_BATCH, sent)):
            batch = sent.popleft()
            done.add(chunk, batch, False, tick)
            articles.extend(batch)
    first.check(second)
    return articles, done.result()


class _Identity:
    """How many articles went by, and a digest of their ids in order."""

    def __init__(self) -> None:
        self.count = 0
        self.digest = hashlib.blake2b(digest_size=16)

    def add(self, ident: str) -> None:
        self.count += 1
        self.digest.update(ident.encode("utf-8", "surrogatepass") + b"\0")

    def of(self, articles: Iterator[Article]) -> Iterator[Article]:
        for a in articles:
            self.add(a.id)
            yield a

    def check(self, second: _Identity) -> None:
        """:class:`InputChanged` unless ``second`` saw the same articles as this reading."""
        if (second.count, second.digest.digest()) != (self.count, self.digest.digest()):
            raise InputChanged(f"the input changed while it was read: {self.count} articles the first time, "
                               f"{second.count} the second, or other ids")


# -- the input read by the processes themselves --------------------------------------------------

#: Bytes of JSON Lines a process reads at a time (about a thousand SaudiNewsNet articles).
PROCESS_PIECE_BYTES = 1 << 22


def _read_events(piece: Piece) -> list[tuple[str, object]]:
    """The articles and problems of ``piece`` in reading order: ``("article", Article)`` or ``("problem", ReadProblem)``."""
    events: list[tuple[str, object]] = []
    for a in read_piece(piece, _worker.fields, lambda p: events.append(("problem", p))):
        events.append(("article", a))
    return events


def _count_piece(piece: Piece) -> tuple[list[tuple[str, object]], Counter]:
    """Read a piece and count its lines; the articles go back whole when the input is held
    (as tuples of their fields: pickled as objects they took five times as long), else only
    their ids and where they were read."""
    events = _read_events(piece)
    counts = stages.count_lines((a.text for kind, a in events if kind == "article"), _worker.cleaner)
    whole = _worker.hold
    return [("article", _as_fields(e, whole)) if kind == "article" else (kind, e) for kind, e in events], counts


def _as_fields(a: Article, whole: bool) -> tuple:
    """What :class:`Article` is made again from: all it was read with, or its id and where it was read."""
    return (a.id, a.text, a.title, a.outlet, a.published, a.path, a.meta) if whole else (a.id, "", "", "", "", a.path)


def _analyze_piece(piece: Piece) -> tuple[_Chunk, list[Article]]:
    """Read a piece again, strip, analyze and sign it; its articles go back without their text."""
    articles = [a for kind, a in _read_events(piece) if kind == "article"]
    chunk = _analyze_texts([(a.text, a.title) for a in articles])
    for a, head in zip(articles, chunk.heads):
        a.drop_text(head)
    chunk.heads = []  # dropped here, so that the texts are not sent: the articles carry their heads
    return chunk, articles


def read_and_analyze(
    pieces: list[Piece], fields: FieldMap, on_problem: ProblemHandler, cleaner: Boilerplate, shingle_size: int,
    min_words: int, signer: Signer, jobs: int, progress: Callable[[str, int, int | None], None] | None = None,
    spill: Spill = IN_MEMORY, hold_chars: int | None = None,
) -> tuple[list[Article], CorpusAnalysis]:
    """:func:`stream_and_analyze` with the reading itself in the ``jobs`` processes: each reads
    the :class:`~dedup.io.Piece` s it is given (the process that feeds them read and sent every
    article, twice, and was the one the others waited for). Ids are made unique and problems
    reported here, in reading order. An input of at most twice ``hold_chars`` bytes comes back
    whole from the first reading and is not read again; a larger one is read a second time,
    each process sending back its articles without their text."""
    hold_chars = HOLD_CHARS if hold_chars is None else hold_chars
    hold = sum(p.size for p in pieces) <= 2 * hold_chars  # UTF-8 Arabic: two bytes a character
    state = WorkerState(cleaner, shingle_size, min_words, signer, fields=fields, hold=hold)
    first, ids = _Identity(), UniqueIds()
    held: list[Article] = []
    lines: Counter = Counter()
    with _pool(jobs, state) as pool:
        for events, counts in pool.imap(_count_piece, pieces):
            lines.update(counts)
            before = first.count
            for kind, e in events:
                if kind == "problem":
                    on_problem(e)
                    continue
                a = Article(*e)
                first.add(a.id)
                ids.assign(a, on_problem)
                if hold:
                    held.append(a)
            if progress:  # how many were read so far (the total is not known yet)
                progress("read", first.count - before, None)
    cleaner.fit_counts(lines)  # fitted in place: the next pool's workers have it fitted
    del lines
    done = _Collect(signer, spill)
    tick = (lambda k: progress("analyze", k, first.count)) if progress else None
    if hold:
        _analyze_held(replace(state, articles=held), jobs, done, tick)
        return held, done.result()
    articles: list[Article] = []
    second, again = _Identity(), UniqueIds()
    with _pool(jobs, state) as pool:
        return_freed_memory()
        for chunk, batch in pool.imap(_analyze_piece, pieces):
            for a in batch:
                second.add(a.id)
                again.assign(a, lambda p: None)  # the same renames, reported by the first reading
            done.add(chunk, batch, False, tick)
            articles.extend(batch)
    first.check(second)
    return articles, done.result()
