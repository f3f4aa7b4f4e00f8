"""Reading articles: folders of text/HTML files, JSON Lines, CSV and Parquet files.

The only module that reads input files. Every document that cannot be read
becomes a :class:`~dedup.article.ReadProblem` handed to the caller's
``on_problem`` callback: nothing is dropped without a record.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import stat
import sys
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .article import Article, ReadProblem
from .encoding import Utf8Scan, decode, decode_report, mend_line  # noqa: F401 (decode: read here before)
from .walk import InputError, Labelled, Skipped, sources  # noqa: F401 (read from here by the engines)

TEXT_SUFFIXES = {".txt", ".md", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
RECORD_SUFFIXES = {".jsonl", ".ndjson", ".csv", ".jsonl.gz", ".ndjson.gz", ".csv.gz", ".parquet"}

ProblemHandler = Callable[[ReadProblem], None]


@dataclass(frozen=True)
class FieldMap:
    """Which record fields (JSON Lines / CSV) hold what. ``None`` means: try the usual names."""

    id: str | None = None
    text: str | None = None
    title: str | None = None
    outlet: str | None = None
    date: str | None = None
    #: keep each record as read, every field as it was, in :attr:`Article.record` (to write it out again)
    keep: bool = False

    _DEFAULTS = {
        "id": ("id", "doc_id", "uid", "guid"),
        "text": ("text", "content", "body", "article"),
        "title": ("title", "headline"),
        "outlet": ("outlet", "source", "site", "publisher", "domain"),
        "date": ("published", "date", "datetime", "published_at", "date_extracted"),
    }

    def get(self, record: dict, name: str) -> object | None:
        wanted = getattr(self, name)
        if wanted is not None:
            return record.get(wanted)
        for key in self._DEFAULTS[name]:
            if key in record and record[key] not in (None, ""):
                return record[key]
        return None


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for double in (".jsonl.gz", ".ndjson.gz", ".csv.gz"):
        if name.endswith(double):
            return double
    return path.suffix.lower()


def holds_records(path: Path) -> bool:
    """Whether ``path`` is a file of many records (JSON Lines, CSV, Parquet) rather than one document."""
    return _suffix(path) in RECORD_SUFFIXES


def html_to_text(html: str) -> tuple[str, str]:
    """Main text and title of an HTML page, by trafilatura (boilerplate-aware extraction)."""
    import trafilatura  # imported here: only HTML inputs pay its import time

    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta is not None and meta.title else "") or ""
    return text, title


#: A document file (.txt, .html) larger than this is reported and skipped, not read whole: a
#: news article is a few kilobytes, and a file of gigabytes is not one.
MAX_DOCUMENT_BYTES = 64 << 20

#: Lines of one file whose repaired bytes are reported one by one; the rest are counted.
MAX_FAULT_REPORTS = 10


class _FaultLog:
    """Reports the repaired lines of one file: the first :data:`MAX_FAULT_REPORTS` each by its
    line, then (at :meth:`close`) how many more there were, so a file full of faults does not
    bury the other problems."""

    def __init__(self, name: str, on_problem: ProblemHandler, records: bool) -> None:
        self.name, self.on_problem, self.records = name, on_problem, records
        self.lines = 0

    def add(self, line: int, what: str) -> None:
        self.lines += 1
        if self.lines <= MAX_FAULT_REPORTS:
            where, what = (f"{self.name}:{line}", what) if self.records else (self.name, f"line {line}: {what}")
            self.on_problem(ReadProblem(where, what, kept=True))

    def close(self) -> None:
        if self.lines > MAX_FAULT_REPORTS:
            self.on_problem(ReadProblem(self.name, f"{self.lines - MAX_FAULT_REPORTS} more line(s) repaired "
                                                   f"(the first {MAX_FAULT_REPORTS} are listed)", kept=True))


def _report_faults(faults: list[tuple[int, str]], name: str, on_problem: ProblemHandler, records: bool) -> None:
    """Report the ``(line, what)`` faults of a decoded text, one report per line."""
    log, last = _FaultLog(name, on_problem, records), None
    for line, what in faults:
        if line != last:
            log.add(line, what)
            last = line
    log.close()


def _read_file(path: Path, ident: str, on_problem: ProblemHandler) -> Article:
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("empty file")
    decoded = decode_report(data)
    text = decoded.text
    _report_faults(decoded.faults, ident, on_problem, records=False)
    title = ""
    if _suffix(path) in HTML_SUFFIXES:
        text, title = html_to_text(text)
        if not text.strip():
            raise ValueError("HTML page has no main text that could be extracted")
    if not text.strip():
        raise ValueError("empty file")
    return Article(id=ident, text=text, title=title, path=str(path), meta={"encoding": decoded.encoding})


_CHUNK = 1 << 22

#: What a compressed stream raises where it was cut short or damaged. Files are read with
#: ``read1``: a ``read`` of many bytes that meets the cut raises and loses what it had read.
_STREAM_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def _opener(path: Path):
    return gzip.open if path.name.lower().endswith(".gz") else open


def _utf8_verdict(path: Path, opener) -> str:
    """``"utf-8"`` (strict, no NUL byte), ``"mostly"`` (UTF-8 with a few faults, read with them
    repaired) or ``""`` (decoded whole by :func:`~dedup.encoding.decode_report`): what the
    whole file's bytes say (:class:`~dedup.encoding.Utf8Scan`), read chunk by chunk.
    Remembered for the file as it is (path, size, modification time): a large input is read
    twice, and the check is a pass over the whole file (12 s for 3.4 GB)."""
    try:
        st = path.stat()
    except OSError:
        return _check_utf8(path, opener)
    return _utf8_file(str(path.resolve()), st.st_size, st.st_mtime_ns, opener)


def _streams_as_utf8(path: Path, opener) -> bool:
    """Whether the file is strictly UTF-8 without NUL bytes (what can be cut in pieces)."""
    return _utf8_verdict(path, opener) == "utf-8"


@lru_cache(maxsize=256)
def _utf8_file(resolved: str, size: int, mtime_ns: int, opener) -> str:
    return _check_utf8(Path(resolved), opener)


def _check_utf8(path: Path, opener) -> str:
    scan = Utf8Scan()
    with opener(path, "rb") as fh:
        try:
            while chunk := fh.read1(_CHUNK):
                scan.feed(chunk)
        except _STREAM_ERRORS:
            pass  # a stream cut short: judged on what it holds; the reading reports the cut
    return scan.verdict()


def _read_whole(path: Path, opener) -> tuple[bytes, Exception | None]:
    """The bytes of a file, and the error that cut a compressed stream short (its bytes up to there)."""
    parts = []
    with opener(path, "rb") as fh:
        try:
            while chunk := fh.read1(_CHUNK):
                parts.append(chunk)
        except _STREAM_ERRORS as exc:
            return b"".join(parts), exc
    return b"".join(parts), None


def _cut(lines: int, exc: Exception) -> str:
    if lines == 0:
        return f"not a readable gzip stream: {exc}"
    return f"truncated gzip stream after line {lines}: {exc}"


def _open_records(path: Path, name: str = "", on_problem: ProblemHandler | None = None) -> io.TextIOBase:
    """The text of a records file as a stream of lines. UTF-8 (checked in a first pass) is
    decoded as it is read, so a file of a million articles is never held whole (read whole,
    it took three copies of itself: bytes, text and the buffer over it); mostly UTF-8 too, its
    invalid bytes kept as lone surrogates (``surrogateescape``) for :func:`_record_lines` to
    repair and report line by line. Other encodings are decoded whole by
    :func:`~dedup.encoding.decode_report`, their faults and a cut stream reported here."""
    report = on_problem or (lambda p: None)
    opener = _opener(path)
    verdict = _utf8_verdict(path, opener)
    if verdict:
        errors = "surrogateescape" if verdict == "mostly" else "strict"
        return io.TextIOWrapper(opener(path, "rb"), encoding="utf-8-sig", errors=errors, newline="")
    data, cut = _read_whole(path, opener)
    decoded = decode_report(data)
    _report_faults(decoded.faults, name, report, records=True)
    if cut is not None:  # the last line, cut in two, is left out: it is not a record
        decoded.text = decoded.text[: max(decoded.text.rfind("\n"), decoded.text.rfind("\r")) + 1]
        report(ReadProblem(name, _cut(len(io.StringIO(decoded.text, newline="").readlines()), cut)))
    return io.StringIO(decoded.text, newline="")


def _record_lines(path: Path, name: str, on_problem: ProblemHandler) -> Iterator[str]:
    """The lines of a records file (see :func:`_open_records`), faulty bytes repaired and
    reported by line; a compressed stream cut short ends the lines, reported after the last."""
    with _open_records(path, name, on_problem) as handle:
        mend = getattr(handle, "errors", "strict") == "surrogateescape"
        faults = _FaultLog(name, on_problem, records=True)
        lineno = 0
        try:
            for lineno, line in enumerate(handle, 1):
                if mend and (what := mend_line(line))[1]:
                    line = what[0]
                    faults.add(lineno, "; ".join(what[1]))
                yield line
        except _STREAM_ERRORS as exc:
            on_problem(ReadProblem(name, _cut(lineno, exc)))
        faults.close()


@lru_cache(maxsize=64)
def _used_names(fields: FieldMap) -> frozenset[str]:
    """The record fields that ``fields`` reads (the rest go to ``meta``); made once per field map,
    not per record (it was a quarter of the reading time)."""
    named = {k for name in ("id", "text", "title", "outlet", "date") for k in [getattr(fields, name)] if k}
    return frozenset(named | {k for names in FieldMap._DEFAULTS.values() for k in names})


#: How many records of each file :func:`check_fields` looks at.
FIELD_SAMPLE = 1000


def _sample_records(path: Path, name: str, n: int) -> Iterator[dict]:
    """Up to ``n`` records of a records file that parse (the rest is the reader's business)."""
    suffix = _suffix(path)
    if suffix in {".csv", ".csv.gz"}:
        rows = csv.DictReader(_record_lines(path, name, lambda p: None))
    elif suffix == ".parquet":
        from .parquet import read_records

        rows = read_records(path)
    else:
        rows = (json.loads(line) for line in _record_lines(path, name, lambda p: None) if line.strip())
    seen = 0
    try:
        for row in rows:
            if isinstance(row, dict):
                yield row
            seen += 1
            if seen >= n:
                return
    except (ValueError, csv.Error, RecursionError):
        return  # an unreadable line: the reader reports it


def missing_field(records: Iterable[dict], fields: FieldMap) -> str | None:
    """What is wrong when none of ``records`` holds a field that ``fields`` names (or, when the text
    field is not named, none holds any usual text field): a message naming the field and the fields
    the records do have; ``None`` when each named field is in some record, or there are no records."""
    present: dict[str, None] = {}
    count = 0
    for record in records:
        count += 1
        present.update(dict.fromkeys(record))
    if not count:
        return None
    have = ", ".join(list(present)[:30]) + (" …" if len(present) > 30 else "")
    for name in ("id", "text", "title", "outlet", "date"):
        wanted = getattr(fields, name)
        if wanted is not None and wanted not in present:
            return f"no record has the field {wanted!r} (named as the {name} field); the records' fields: {have}"
    if fields.text is None and not any(k in present for k in FieldMap._DEFAULTS["text"]):
        usual = ", ".join(FieldMap._DEFAULTS["text"])
        return f"no record has a text field ({usual}); the records' fields: {have}; name it with --text-field"
    return None


def check_fields(paths: Iterable[str | os.PathLike], fields: FieldMap, sample: int = FIELD_SAMPLE) -> None:
    """Refuse, before any work, field names that the input's records do not have: the first
    ``sample`` records of each file of records under ``paths`` are looked at, all files together.

    Raises
    ------
    InputError
        Naming the file (or the files), the field, and the fields the records have.
    """
    names, records = [], []
    for path, ident in sources(paths):
        if isinstance(ident, Skipped) or not holds_records(path) or not _regular(path):
            continue
        try:
            records.extend(_sample_records(path, ident, sample))
        except (OSError, EOFError, gzip.BadGzipFile, ValueError, ImportError):
            continue  # unreadable: the reader reports it
        names.append(ident)
    problem = missing_field(records, fields)
    if problem:
        where = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more file(s)"
        raise InputError(f"{where}: {problem}")


def _record_article(record: dict, fields: FieldMap, source: str, fallback_id: str) -> Article:
    if not isinstance(record, dict):
        raise ValueError("record is not an object")
    text = fields.get(record, "text")
    if text is None or not str(text).strip():
        raise ValueError("record has no text" + (f" in field {fields.text!r}" if fields.text else ""))
    rid = fields.get(record, "id")
    used = _used_names(fields)
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


def _read_jsonl(path: Path, name: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    yield from _json_lines(_record_lines(path, name, on_problem), 1, name, fields, on_problem)


def _json_lines(lines: Iterable[str], first: int, name: str, fields: FieldMap, on_problem: ProblemHandler
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


def _read_csv(path: Path, name: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    """The articles of a CSV file. Quoting is read strictly: a quote never closed would swallow
    every record after it into one field; it is reported by the line where it opened, and the
    lines after that one are read as rows."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    tape = _Tape(_record_lines(path, name, on_problem))
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


def _read_parquet(path: Path, name: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    from .parquet import read_records

    for row, record in enumerate(read_records(path), 1):
        where = f"{name}:{row}"
        try:
            yield _record_article(record, fields, where, where)
        except ValueError as exc:
            on_problem(ReadProblem(where, str(exc)))


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))


def _unreadable(path: Path) -> str | None:
    """Why ``path`` is not read at all, or ``None``: only regular files are, and a document
    file up to :data:`MAX_DOCUMENT_BYTES`. Checked by ``stat`` before opening: opening a FIFO
    waits for a writer, and a device (``/dev/zero``) never ends."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a file")
        return f"not a regular file ({kind}), skipped"
    if not holds_records(path) and st.st_size > MAX_DOCUMENT_BYTES:
        return (f"document file of {st.st_size:,} bytes skipped: larger than {MAX_DOCUMENT_BYTES:,} "
                "(a news article is a few kilobytes)")
    return None


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
    suffix = _suffix(path)
    try:
        if reason := _unreadable(path):
            on_problem(ReadProblem(ident, reason))
        elif holds_records(path):
            yield from _read_records(path, suffix, ident, fields, on_problem)
        elif suffix in TEXT_SUFFIXES | HTML_SUFFIXES or suffix == "":
            yield _read_file(path, ident, on_problem)
        else:
            on_problem(ReadProblem(ident, f"unsupported file type {suffix!r} (expected .txt, .md, .html, .jsonl, .csv or .parquet)"))
    except (OSError, ValueError, EOFError, gzip.BadGzipFile) as exc:
        on_problem(ReadProblem(ident, str(exc) if isinstance(exc, ValueError) else f"cannot read: {exc}"))


def _read_records(path: Path, suffix: str, name: str, fields: FieldMap, on_problem: ProblemHandler
                  ) -> Iterator[Article]:
    counted, read = _Counted(on_problem), 0
    if suffix in {".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"}:
        articles = _read_jsonl(path, name, fields, counted)
    elif suffix in {".csv", ".csv.gz"}:
        articles = _read_csv(path, name, fields, counted)
    else:
        articles = _read_parquet(path, name, fields, counted)
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


# -- pieces: parts of the input that another process reads on its own ------------------------

#: Document files in one piece.
FILES_PER_PIECE = 200

_JSON_LINES = {".jsonl", ".ndjson"}


@dataclass(frozen=True)
class Piece:
    """A part of the input that a process can read by itself, in the input's reading order:
    document ``files`` (path and id) read whole, or the whole ``lines`` ``(path, name, start,
    end, first line number)`` between two byte offsets of a UTF-8 JSON Lines file."""

    files: tuple[tuple[str, str], ...] = ()
    lines: tuple[str, str, int, int, int] | None = None

    @property
    def size(self) -> int:
        """Bytes of input (the files' sizes, or the range's)."""
        if self.lines is not None:
            return self.lines[3] - self.lines[2]
        return sum(os.path.getsize(p) for p, _ in self.files if os.path.exists(p))


def _line_ranges(path: Path, name: str, size: int) -> list[Piece]:
    """``path`` cut into ranges of about ``size`` bytes of whole lines, each with the number of
    its first line. Lines end as :class:`io.TextIOWrapper` (``newline=""``) ends them: at
    ``\\n``, ``\\r\\n`` or a lone ``\\r``; ranges end after a ``\\n``, so none splits a line or a character."""
    out: list[Piece] = []
    start, line = 0, 1
    with open(path, "rb") as fh:
        while block := fh.read(size):
            if not block.endswith(b"\n"):
                block += fh.readline()  # on to the end of the line
            out.append(Piece(lines=(str(path), name, start, start + len(block), line)))
            start += len(block)
            line += block.count(b"\n")
            if b"\r" in block:
                line += block.count(b"\r") - block.count(b"\r\n")
    return out


def _regular(path: Path) -> bool:
    """Whether ``path`` is a regular file (anything else is not opened: a FIFO would block)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def plan_pieces(paths: Iterable[str | os.PathLike], size: int) -> list[Piece] | None:
    """The input under ``paths`` (see :func:`sources`) as :class:`Piece` s of about ``size``
    bytes or :data:`FILES_PER_PIECE` document files, in reading order; ``None`` when a file of
    records cannot be cut (CSV, Parquet, compressed, or not UTF-8) and is larger than
    ``size``: its records are read in one place.

    Raises
    ------
    InputError
        When a path does not exist.
    """
    out: list[Piece] = []
    files: list[tuple[str, str]] = []

    def flush() -> None:
        if files:
            out.append(Piece(files=tuple(files)))
            files.clear()

    for path, ident in sources(paths):
        suffix = _suffix(path)
        if isinstance(ident, Skipped) or not _regular(path):  # reported where the piece is read
            files.append((str(path), ident))
        elif suffix in _JSON_LINES and path.stat().st_size > size and _streams_as_utf8(path, open):
            flush()
            out.extend(_line_ranges(path, ident, size))
        elif holds_records(path):
            if path.stat().st_size > size:
                return None
            flush()
            out.append(Piece(files=((str(path), ident),)))
        else:
            files.append((str(path), ident))
            if len(files) >= FILES_PER_PIECE:
                flush()
    flush()
    return out


def read_piece(piece: Piece, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    """The articles of one piece (ids as read: :class:`UniqueIds` is for whoever puts the
    pieces together, in order)."""
    if piece.lines is None:
        for path, ident in piece.files:
            yield from read_path(Path(path), ident, fields, on_problem)
        return
    path, name, start, end, first = piece.lines
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            text = fh.read(end - start).decode("utf-8-sig" if start == 0 else "utf-8")
    except (OSError, ValueError) as exc:  # gone, or changed since it was cut
        on_problem(ReadProblem(f"{name}:{first}", f"cannot read lines from byte {start}: {exc}"))
        return
    yield from _json_lines(io.StringIO(text, newline=""), first, name, fields, on_problem)


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
