"""Records: JSON Lines, CSV and Parquet rows made into :class:`~dedup.article.Article` s.

Each row is parsed on its own; a row that cannot be becomes a :class:`~dedup.article.ReadProblem`
naming its file and line (:mod:`dedup.io.files` opens the files, :mod:`dedup.io.fields` says which
field holds what).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..article import Article, ReadProblem
from .fields import FieldMap, used_names
from .files import ProblemHandler, record_lines


def _record_article(record: dict, fields: FieldMap, source: str, fallback_id: str) -> Article:
    if not isinstance(record, dict):
        raise ValueError("record is not an object")
    text = fields.get(record, "text")
    if text is None or not str(text).strip():
        raise ValueError("record has no text" + (f" in field {fields.text!r}" if fields.text else ""))
    rid = fields.get(record, "id")
    used = used_names(fields)
    return Article(
        id=str(rid) if rid not in (None, "") else fallback_id,
        text=str(text),
        title=str(fields.get(record, "title") or ""),
        outlet=str(fields.get(record, "outlet") or ""),
        published=str(fields.get(record, "date") or ""),
        path=source,
        meta={k: v for k, v in record.items() if k not in used},
        record=record if fields.keep else None,
    )


#: Records nested deeper than this are refused: an article's fields are strings, and a line of
#: 200,000 opening brackets would otherwise exhaust the parser's stack.
MAX_DEPTH = 64
_LONE_ESCAPE = re.compile(r"\\[uU][dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _depth(value: object) -> int:
    """How deeply ``value`` nests lists and objects (a string or number is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((v, level + 1) for v in item)
    return deepest


def _mend_surrogates(value: object) -> tuple[object, bool]:
    """``value`` with lone UTF-16 surrogates (valid JSON escapes that no UTF-8 text can hold)
    replaced by U+FFFD, and whether any was."""
    if isinstance(value, str):
        mended = _SURROGATE.sub("\ufffd", value)
        return mended, mended != value
    if isinstance(value, dict):
        pairs = [(_mend_surrogates(k), _mend_surrogates(v)) for k, v in value.items()]
        return {k: v for (k, _), (v, _) in pairs}, any(a or b for (_, a), (_, b) in pairs)
    if isinstance(value, list):
        items = [_mend_surrogates(v) for v in value]
        return [v for v, _ in items], any(c for _, c in items)
    return value, False


def parse_record(line: str, fields: FieldMap, where: str) -> tuple[Article, list[str]]:
    """The article of one JSON Lines record, and the faults repaired in it.

    Raises
    ------
    ValueError
        Invalid JSON, nested more than :data:`MAX_DEPTH` levels, not an object, or no text:
        the message says which.
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ValueError(f"record nested more than {MAX_DEPTH} levels deep") from None
    notes = []
    if line.count("[") + line.count("{") > MAX_DEPTH and _depth(record) > MAX_DEPTH:
        raise ValueError(f"record nested more than {MAX_DEPTH} levels deep")
    if _LONE_ESCAPE.search(line):
        record, mended = _mend_surrogates(record)
        if mended:
            notes.append("lone UTF-16 surrogate escape(s) replaced by U+FFFD")
    return _record_article(record, fields, where, where), notes


def read_jsonl(path: Path, name: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    yield from json_lines(record_lines(path, name, on_problem), 1, name, fields, on_problem)


def json_lines(lines: Iterable[str], first: int, name: str, fields: FieldMap, on_problem: ProblemHandler
                ) -> Iterator[Article]:
    """The articles of JSON Lines ``lines``, numbered from ``first``."""
    for lineno, line in enumerate(lines, first):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            article, notes = parse_record(line, fields, where)
        except ValueError as exc:
            on_problem(ReadProblem(where, str(exc)))
            continue
        for note in notes:
            on_problem(ReadProblem(where, note, kept=True))
        yield article


class _Tape:
    """The lines handed to a CSV reader, those of the record being read kept, so that a record
    that swallowed the rest of the file (a quote never closed) can be given back: the lines
    after the one where the quote opened are read again, as rows. Counts physical lines."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.source = iter(lines)
        self.replay: deque[str] = deque()
        self.record: list[str] = []
        self.line = 0  # the number of the last line handed out
        self.ended = False

    def __iter__(self) -> _Tape:
        return self

    def __next__(self) -> str:
        if self.replay:
            line = self.replay.popleft()
        else:
            try:
                line = next(self.source)
            except StopIteration:
                self.ended = True
                raise
        self.record.append(line)
        self.line += 1
        return line

    def next_record(self) -> None:
        """The record read so far is done with."""
        self.record.clear()

    def unclosed_quote(self) -> tuple[int, int]:
        """After a record of several lines was refused: the first line of the record and the
        line where its unclosed quote opened (quotes inside a quoted field are doubled, so it is
        the last line where the count of quotes so far turns odd). The lines after that one are
        given back, to be read again."""
        first = self.line - len(self.record) + 1
        opened, odd = 0, False
        for k, line in enumerate(self.record):
            flips = line.count('"') % 2 == 1
            if flips and not odd:
                opened = k
            odd ^= flips
        self.replay.extendleft(reversed(self.record[opened + 1:]))
        self.line = first + opened
        self.ended = False
        self.record.clear()
        return first, first + opened


def read_csv(path: Path, name: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    """The articles of a CSV file. Quoting is read strictly: a quote never closed would swallow
    every record after it into one field; it is reported by the line where it opened, and the
    lines after that one are read as rows."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    tape = _Tape(record_lines(path, name, on_problem))
    reader = csv.DictReader(tape, strict=True)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        on_problem(ReadProblem(f"{name}:1", f"CSV header row unreadable: {exc}"))
        return
    if not header:
        on_problem(ReadProblem(name, "CSV file has no header row"))
        return
    while True:
        tape.next_record()
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            _csv_error(tape, exc, name, on_problem)
            continue
        where = f"{name}:{tape.line}"
        if None in record:
            on_problem(ReadProblem(where, "row has more cells than the header"))
            continue
        try:
            yield _record_article(record, fields, where, where)
        except ValueError as exc:
            on_problem(ReadProblem(where, str(exc)))


def _csv_error(tape: _Tape, exc: csv.Error, name: str, on_problem: ProblemHandler) -> None:
    """Report a record the CSV reader refused. A record of many lines was refused because a
    quote opened in it (a stray one, never meant to open a field) met the end of the file or
    another quote that was meant to open one: it is read on from the line after the opening one."""
    if len(tape.record) == 1:
        on_problem(ReadProblem(f"{name}:{tape.line}", f"CSV quoting error: {exc}"))
        return
    ended, last = tape.ended, tape.line
    first, opened = tape.unclosed_quote()
    runs = "is never closed" if ended else f"runs on to line {last}, where {exc}"
    on_problem(ReadProblem(f"{name}:{opened}", f"CSV quoting error: the quote opened on line {opened} {runs}; "
                                               f"the record from line {first} is skipped and the lines after "
                                               f"line {opened} are read as rows"))


def read_parquet(path: Path, name: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    from .parquet import read_records

    for row, record in enumerate(read_records(path), 1):
        where = f"{name}:{row}"
        try:
            yield _record_article(record, fields, where, where)
        except ValueError as exc:
            on_problem(ReadProblem(where, str(exc)))
