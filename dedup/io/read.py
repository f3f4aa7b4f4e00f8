"""Reading articles: folders of text/HTML files, JSON Lines, CSV and Parquet files.

The one entry to the input (:func:`read`, :func:`read_one`): every document that cannot be read
becomes a :class:`~dedup.article.ReadProblem` handed to the caller's ``on_problem`` callback, so
nothing is dropped without a record; ids are made unique here (:class:`UniqueIds`). Opening files
is :mod:`dedup.io.files`, parsing records :mod:`dedup.io.records`, cutting the input into pieces
for other processes :mod:`dedup.io.pieces`.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..article import Article, ReadProblem
from .walk import InputError, Skipped, sources
from .fields import FieldMap
from .files import HTML_SUFFIXES, TEXT_SUFFIXES, ProblemHandler, read_document, suffix_of, why_unreadable, holds_records
from .records import read_csv, read_jsonl, read_parquet


class _Counted:
    """A problem handler that counts the problems of documents not read."""

    def __init__(self, on_problem: ProblemHandler) -> None:
        self.on_problem, self.unread = on_problem, 0

    def __call__(self, problem: ReadProblem) -> None:
        self.unread += not problem.kept
        self.on_problem(problem)


def read_path(path: Path, ident: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    """Articles from one file: a document, or a file of records. A records file that gives
    neither an article nor a problem (empty, blank lines only) is reported as such."""
    if isinstance(ident, Skipped):
        on_problem(ReadProblem(str(ident), ident.reason))
        return
    suffix = suffix_of(path)
    try:
        if reason := why_unreadable(path):
            on_problem(ReadProblem(ident, reason))
        elif holds_records(path):
            yield from _read_records(path, suffix, ident, fields, on_problem)
        elif suffix in TEXT_SUFFIXES | HTML_SUFFIXES or suffix == "":
            yield read_document(path, ident, on_problem)
        else:
            on_problem(ReadProblem(ident, f"unsupported file type {suffix!r} (expected .txt, .md, .html, .jsonl, .csv or .parquet)"))
    except (OSError, ValueError, EOFError, gzip.BadGzipFile) as exc:
        on_problem(ReadProblem(ident, str(exc) if isinstance(exc, ValueError) else f"cannot read: {exc}"))


def _read_records(path: Path, suffix: str, name: str, fields: FieldMap, on_problem: ProblemHandler
                  ) -> Iterator[Article]:
    counted, read = _Counted(on_problem), 0
    if suffix in {".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"}:
        articles = read_jsonl(path, name, fields, counted)
    elif suffix in {".csv", ".csv.gz"}:
        articles = read_csv(path, name, fields, counted)
    else:
        articles = read_parquet(path, name, fields, counted)
    for article in articles:
        read += 1
        yield article
    if not read and not counted.unread:
        on_problem(ReadProblem(name, "no records (the file is empty or holds only blank lines)"))


class UniqueIds:
    """Makes ids unique in reading order: an id met again becomes ``id#2``, ``id#3``… (reported),
    the first such name not already taken by an id read before (given or made), so that an
    input holding both ``a1`` twice and ``a1#2`` keeps every id apart. The same input gives
    the same names, wherever it is read."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}  # every id given out -> the next suffix to try for it

    def assign(self, article: Article, on_problem: ProblemHandler, where: str = "") -> None:
        count = self.seen.get(article.id)
        if count is None:
            self.seen[article.id] = 2
            return
        while f"{article.id}#{count}" in self.seen:
            count += 1
        self.seen[article.id] = count + 1
        new_id = f"{article.id}#{count}"
        self.seen[new_id] = 2
        on_problem(ReadProblem(article.path or where, f"id {article.id!r} seen before; renamed {new_id!r}", kept=True))
        article.id = new_id


def read(
    paths: Iterable[str | os.PathLike],
    fields: FieldMap = FieldMap(),
    on_problem: ProblemHandler | None = None,
) -> Iterator[Article]:
    """All articles under ``paths`` (see :func:`sources` for the order and the ids).

    Ids met twice are made unique with ``#2``, ``#3``… and reported.

    Raises
    ------
    InputError
        When a path does not exist.
    """
    problems: list[ReadProblem] = []
    handler = on_problem or problems.append
    ids = UniqueIds()
    for path, ident in sources(paths):
        for article in read_path(path, ident, fields, handler):
            ids.assign(article, handler, ident)
            yield article



def read_one(path: str | os.PathLike, on_problem: ProblemHandler | None = None) -> Article:
    """One document file, for ``compare`` and ``diff``. Raises :class:`InputError` if unreadable;
    faults repaired in it go to ``on_problem``."""
    problems: list[ReadProblem] = []
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    articles = list(read_path(p, str(path), FieldMap(), problems.append))
    unread = [q for q in problems if not q.kept]
    if unread:
        raise InputError(str(unread[0]))
    for q in problems:
        (on_problem or (lambda _: None))(q)
    if len(articles) != 1:
        raise InputError(f"{path}: expected one article, found {len(articles)}")
    return articles[0]
