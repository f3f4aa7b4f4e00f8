"""Opening input files: text and HTML documents read whole, record files read line by line.

Below the record parsers (:mod:`dedup.io.records`) and the reader (:mod:`dedup.io.read`): which
suffix a file has, how it is opened (gzip or not), whether it streams as UTF-8 or is decoded whole
(:mod:`dedup.io.encoding`), and how the faults found on the way are reported, ten at most per file.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

from ..article import Article, ReadProblem
from .encoding import Utf8Scan, decode_report, mend_line


TEXT_SUFFIXES = {".txt", ".md", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
RECORD_SUFFIXES = {".jsonl", ".ndjson", ".csv", ".jsonl.gz", ".ndjson.gz", ".csv.gz", ".parquet"}

ProblemHandler = Callable[[ReadProblem], None]


def suffix_of(path: Path) -> str:
    name = path.name.lower()
    for double in (".jsonl.gz", ".ndjson.gz", ".csv.gz"):
        if name.endswith(double):
            return double
    return path.suffix.lower()


def holds_records(path: Path) -> bool:
    """Whether ``path`` is a file of many records (JSON Lines, CSV, Parquet) rather than one document."""
    return suffix_of(path) in RECORD_SUFFIXES


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


def read_document(path: Path, ident: str, on_problem: ProblemHandler) -> Article:
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("empty file")
    decoded = decode_report(data)
    text = decoded.text
    _report_faults(decoded.faults, ident, on_problem, records=False)
    title = ""
    if suffix_of(path) in HTML_SUFFIXES:
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
    repaired) or ``""`` (decoded whole by :func:`~dedup.io.encoding.decode_report`): what the
    whole file's bytes say (:class:`~dedup.io.encoding.Utf8Scan`), read chunk by chunk.
    Remembered for the file as it is (path, size, modification time): a large input is read
    twice, and the check is a pass over the whole file (12 s for 3.4 GB)."""
    try:
        st = path.stat()
    except OSError:
        return _check_utf8(path, opener)
    return _utf8_file(str(path.resolve()), st.st_size, st.st_mtime_ns, opener)


def streams_as_utf8(path: Path, opener) -> bool:
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
    invalid bytes kept as lone surrogates (``surrogateescape``) for :func:`record_lines` to
    repair and report line by line. Other encodings are decoded whole by
    :func:`~dedup.io.encoding.decode_report`, their faults and a cut stream reported here."""
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


def record_lines(path: Path, name: str, on_problem: ProblemHandler) -> Iterator[str]:
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


def is_regular(path: Path) -> bool:
    """Whether ``path`` is a regular file (anything else is not opened: a FIFO would block)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))


def why_unreadable(path: Path) -> str | None:
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
