"""Ingestion: articles checked and recorded against the index batch by batch, each batch's
verdicts passed on as soon as the batch is committed.

The index keeps every recorded article's verdict (:mod:`dedup.index.index`), so a batch
recorded but never passed on — the process killed, the pipe closed, the disk full —
is passed on by a re-run of the same input, which gets the stored verdicts back.
That is the at-least-once contract of ``dedup filter``: every record whose verdict
is ``new`` reaches stdout at least once over the runs; a record reaches stdout twice
only if a run stopped between committing its batch and writing it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from ..article import Article, ReadProblem
from .entries import IndexVerdict
from .index import Index
from ..corpus import decision
from ..io.fields import FieldMap
from ..io.records import parse_record


class OutputError(Exception):
    """Standard output or the decisions file could not be written (closed pipe, full disk).

    ``closed``: the reader went away (a broken pipe), rather than a failed write."""

    def __init__(self, message: str, closed: bool = False) -> None:
        super().__init__(message)
        self.closed = closed


@dataclass
class Line:
    """One input line of ``filter``: its article, or why it has none."""

    number: int
    text: str
    source: str = ""
    article: Article | None = None
    problem: str | None = None
    repaired: list[str] = field(default_factory=list)


def read_lines(stream: BinaryIO, fields: FieldMap = FieldMap(),
               on_problem: Callable[[ReadProblem], None] | None = None, name: str = "stdin") -> Iterator[Line]:
    """The JSON Lines records of a byte stream, one :class:`Line` each (blank lines skipped).

    Each line is decoded alone, invalid UTF-8 bytes replaced by U+FFFD and reported (the record
    kept), so one bad byte costs nothing but a note; a line that is not a record (invalid JSON,
    nested too deep, no text) is a Line with its ``problem``.
    """
    for number, raw in enumerate(stream, 1):
        try:
            text, notes = raw.decode("utf-8"), []
        except UnicodeDecodeError:
            text, notes = raw.decode("utf-8", errors="replace"), ["invalid UTF-8 bytes replaced by U+FFFD"]
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip():
            continue
        where = f"{name}:{number}"
        try:
            article, more = parse_record(text, fields, where)
        except ValueError as exc:
            if on_problem:
                on_problem(ReadProblem(where, str(exc)))
            yield Line(number, text, where, problem=str(exc))
            continue
        notes += more
        if notes and on_problem:
            on_problem(ReadProblem(where, "; ".join(notes), kept=True))
        yield Line(number, text, where, article, repaired=notes)


def _write(stream, data, what: str, after: str) -> None:
    try:
        stream.write(data)
    except OSError as exc:  # BrokenPipeError, ENOSPC, EIO
        raise OutputError(f"cannot write to {what} ({exc.strerror or exc}); {after}",
                          isinstance(exc, BrokenPipeError)) from exc


def _flush(stream, what: str, after: str) -> None:
    try:
        stream.flush()
    except OSError as exc:
        raise OutputError(f"cannot write to {what} ({exc.strerror or exc}); {after}",
                          isinstance(exc, BrokenPipeError)) from exc


RERUN = "re-run the same input: the recorded ones get their stored verdicts back"


def print_batches(batches: Iterable[list[IndexVerdict]], out: TextIO,
                  on_verdict: Callable[[IndexVerdict], None] | None = None) -> Counter:
    """Write each batch's verdicts as JSON lines as soon as the batch is done, flushed; the counts
    of each verdict.

    Raises
    ------
    OutputError
        ``out`` cannot be written: the batch written last is recorded, its verdicts maybe not shown.
    """
    counts: Counter = Counter()
    for verdicts in batches:
        after = f"the last batch of {len(verdicts)} article(s) was recorded; {RERUN}"
        for v in verdicts:
            counts[v.verdict] += 1
            if on_verdict:
                on_verdict(v)
        _write(out, "".join(json.dumps(v.as_dict(), ensure_ascii=False) + "\n" for v in verdicts), "standard output", after)
        _flush(out, "standard output", after)
    return counts


def filter_lines(ix: Index, lines: Iterable[Line], out: BinaryIO, decisions: TextIO, batch: int,
                 on_verdict: Callable[[IndexVerdict, Line], None] | None = None) -> Counter:
    """Check and record the articles of ``lines`` ``batch`` at a time; once a batch is committed,
    write one decision per line to ``decisions`` and the lines whose verdict is ``new`` to ``out``
    (a replayed ``new`` too: it may not have been written by the run that recorded it).

    Returns the count of each decision. Raises :class:`OutputError` when ``out`` or
    ``decisions`` cannot be written (that batch recorded, not all passed on: re-run it).
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    counts: Counter = Counter()
    pending: list[Line] = []

    def flush() -> None:
        arts = [line.article for line in pending if line.article is not None]
        verdicts = iter(ix.add_many(arts, batch=max(len(arts), 1)) if arts else ())
        records, passed = [], []
        for line in pending:
            if line.article is None:
                counts["unreadable"] += 1
                records.append(decision(line.source or f"stdin:{line.number}", None, "unreadable",
                                        problem=line.problem))
                continue
            v = next(verdicts)
            counts[v.verdict] += 1
            if on_verdict:
                on_verdict(v, line)
            records.append(decision(line.source or f"stdin:{line.number}", v.id, v.verdict, v.of, v.group,
                                    v.similarity, replay=v.replay, repaired=line.repaired))
            if v.verdict == "new":
                passed.append(line.text if line.text.endswith("\n") else line.text + "\n")
        if pending:
            span = f"lines {pending[0].number}-{pending[-1].number}"
            after = f"the batch of {span} was recorded but maybe not passed on; {RERUN}, and those new are passed on"
            _write(decisions, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                   "the decisions file", after)
            _flush(decisions, "the decisions file", after)
            _write(out, "".join(passed).encode("utf-8"), "standard output", after)
            _flush(out, "standard output", after)
        pending.clear()

    readable = 0
    for line in lines:
        pending.append(line)
        readable += line.article is not None
        if readable >= batch:
            flush()
            readable = 0
    flush()
    return counts
