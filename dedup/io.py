"""Reading articles: folders of text/HTML files, JSON Lines, CSV and Parquet files.

The only module that reads input files. Every document that cannot be read
becomes a :class:`~dedup.article.ReadProblem` handed to the caller's
``on_problem`` callback: nothing is dropped without a record.
"""

from __future__ import annotations

import codecs
import csv
import glob
import gzip
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .article import Article, ReadProblem

TEXT_SUFFIXES = {".txt", ".md", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
RECORD_SUFFIXES = {".jsonl", ".ndjson", ".csv", ".jsonl.gz", ".ndjson.gz", ".csv.gz", ".parquet"}

ProblemHandler = Callable[[ReadProblem], None]


class InputError(Exception):
    """The input as a whole cannot be used (a path that does not exist, say)."""


@dataclass(frozen=True)
class FieldMap:
    """Which record fields (JSON Lines / CSV) hold what. ``None`` means: try the usual names."""

    id: str | None = None
    text: str | None = None
    title: str | None = None
    outlet: str | None = None
    date: str | None = None

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


def _looks_like_text(text: str) -> bool:
    """Reject decodings full of control characters (binary data decoded by a lenient codec)."""
    if not text:
        return True
    sample = text[:4000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f\v") or 0x80 <= ord(ch) < 0xA0)
    return bad / len(sample) < 0.01


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes met in Arabic archives. Returns ``(text, encoding)``.

    Tries, in order: a byte-order mark (UTF-8, UTF-16, UTF-32), strict UTF-8,
    BOM-less UTF-16 (recognised by its NUL bytes), then Windows-1256.

    Raises
    ------
    ValueError
        When the bytes are binary or no candidate decodes them to text.
    """
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise ValueError(f"starts with a {enc} byte-order mark but is not valid {enc}: {exc.reason}") from exc
    nul = data.count(b"\x00")
    if nul:
        for enc in _utf16_guess(data):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(text):
                return text, enc
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1256")
        if _looks_like_text(text):
            return text, "cp1256"
    except UnicodeDecodeError:  # cp1256 leaves a few bytes undefined
        pass
    if len(data) % 2 == 0:  # BOM-less UTF-16 of pure Arabic has no NUL bytes at all
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(text) and _mostly_letters(text):
                return text, enc
    raise ValueError("undecodable: not UTF-8, UTF-16 or Windows-1256 text")


def _utf16_guess(data: bytes) -> list[str]:
    """UTF-16 byte orders consistent with where the NUL bytes fall (ASCII's high bytes)."""
    if len(data) % 2:
        return []
    even, odd = data[0::2].count(b"\x00"), data[1::2].count(b"\x00")
    if odd and not even:
        return ["utf-16-le"]
    if even and not odd:
        return ["utf-16-be"]
    return []


def _mostly_letters(text: str) -> bool:
    sample = text[:2000]
    return sum(ch.isalpha() or ch.isspace() for ch in sample) / max(len(sample), 1) > 0.8


def html_to_text(html: str) -> tuple[str, str]:
    """Main text and title of an HTML page, by trafilatura (boilerplate-aware extraction)."""
    import trafilatura  # imported here: only HTML inputs pay its import time

    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta is not None and meta.title else "") or ""
    return text, title


def _read_file(path: Path, ident: str) -> Article:
    data = path.read_bytes()
    if not data.strip():
        raise ValueError("empty file")
    text, encoding = decode(data)
    title = ""
    if _suffix(path) in HTML_SUFFIXES:
        text, title = html_to_text(text)
        if not text.strip():
            raise ValueError("HTML page has no main text that could be extracted")
    if not text.strip():
        raise ValueError("empty file")
    return Article(id=ident, text=text, title=title, path=str(path), meta={"encoding": encoding})


_CHUNK = 1 << 22


def _streams_as_utf8(path: Path, opener) -> bool:
    """Whether the file is UTF-8 without NUL bytes, read chunk by chunk (what :func:`decode`
    would decide as UTF-8 for the whole file, byte-order mark included). Remembered for the
    file as it is (path, size, modification time): a large input is read twice, and the check
    is a pass over the whole file (12 s for 3.4 GB)."""
    try:
        st = path.stat()
    except OSError:
        return _check_utf8(path, opener)
    return _utf8_file(str(path.resolve()), st.st_size, st.st_mtime_ns, opener)


@lru_cache(maxsize=256)
def _utf8_file(resolved: str, size: int, mtime_ns: int, opener) -> bool:
    return _check_utf8(Path(resolved), opener)


def _check_utf8(path: Path, opener) -> bool:
    check = codecs.getincrementaldecoder("utf-8")()
    with opener(path, "rb") as fh:
        first = True
        while chunk := fh.read(_CHUNK):
            if first and chunk.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return False
            first = False
            if b"\x00" in chunk:
                return False
            try:
                check.decode(chunk)
            except UnicodeDecodeError:
                return False
        try:
            check.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _open_records(path: Path) -> io.TextIOBase:
    """The text of a records file as a stream of lines. UTF-8 (checked in a first pass) is
    decoded as it is read, so a file of a million articles is never held whole (read whole,
    it took three copies of itself: bytes, text and the buffer over it); other encodings
    are decoded whole by :func:`decode`."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    if _streams_as_utf8(path, opener):
        return io.TextIOWrapper(opener(path, "rb"), encoding="utf-8-sig", newline="")
    with opener(path, "rb") as fh:
        text, _ = decode(fh.read())
    return io.StringIO(text, newline="")


@lru_cache(maxsize=64)
def _used_names(fields: FieldMap) -> frozenset[str]:
    """The record fields that ``fields`` reads (the rest go to ``meta``); made once per field map,
    not per record (it was a quarter of the reading time)."""
    named = {k for name in ("id", "text", "title", "outlet", "date") for k in [getattr(fields, name)] if k}
    return frozenset(named | {k for names in FieldMap._DEFAULTS.values() for k in names})


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
    with _open_records(path) as handle:
        yield from _json_lines(handle, 1, name, fields, on_problem)


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


def _read_csv(path: Path, name: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with _open_records(path) as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            on_problem(ReadProblem(name, "CSV file has no header row"))
            return
        for record in reader:
            where = f"{name}:{reader.line_num}"
            if None in record:
                on_problem(ReadProblem(where, "row has more cells than the header"))
                continue
            try:
                yield _record_article(record, fields, where, where)
            except ValueError as exc:
                on_problem(ReadProblem(where, str(exc)))


def _read_parquet(path: Path, name: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    from .parquet import read_records

    for row, record in enumerate(read_records(path), 1):
        where = f"{name}:{row}"
        try:
            yield _record_article(record, fields, where, where)
        except ValueError as exc:
            on_problem(ReadProblem(where, str(exc)))


def _files_under(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(root) / name


def read_path(path: Path, ident: str, fields: FieldMap, on_problem: ProblemHandler) -> Iterator[Article]:
    """Articles from one file: a document, or a file of records."""
    suffix = _suffix(path)
    try:
        if suffix in {".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"}:
            yield from _read_jsonl(path, ident, fields, on_problem)
        elif suffix in {".csv", ".csv.gz"}:
            yield from _read_csv(path, ident, fields, on_problem)
        elif suffix == ".parquet":
            yield from _read_parquet(path, ident, fields, on_problem)
        elif suffix in TEXT_SUFFIXES | HTML_SUFFIXES or suffix == "":
            yield _read_file(path, ident)
        else:
            on_problem(ReadProblem(ident, f"unsupported file type {suffix!r} (expected .txt, .md, .html, .jsonl, .csv or .parquet)"))
    except (OSError, ValueError, EOFError, gzip.BadGzipFile) as exc:
        on_problem(ReadProblem(ident, str(exc) if isinstance(exc, ValueError) else f"cannot read: {exc}"))


def sources(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, str]]:
    """Every file under ``paths`` with its document id, in reading order.

    Folders are walked recursively in sorted order and their files get ids
    relative to the folder; a file given directly keeps the path as given; a
    pattern (``shards/*.jsonl``) that is not itself a path is expanded, sorted.

    Raises
    ------
    InputError
        When a path does not exist (or a pattern matches nothing).
    """
    for raw in paths:
        root = Path(raw)
        if not root.exists() and any(ch in str(raw) for ch in "*?["):
            matches = sorted(glob.glob(str(raw), recursive=True))
            if not matches:
                raise InputError(f"{raw}: no file matches this pattern")
            yield from sources(matches)
            continue
        if not root.exists():
            raise InputError(f"{raw}: no such file or folder")
        if root.is_dir():
            yield from ((p, p.relative_to(root).as_posix()) for p in _files_under(root))
        else:
            yield root, str(raw)


class UniqueIds:
    """Makes ids unique in reading order: an id met again becomes ``id#2``, ``id#3``… (reported)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def assign(self, article: Article, on_problem: ProblemHandler, where: str = "") -> None:
        count = self.seen.get(article.id, 0) + 1
        self.seen[article.id] = count
        if count > 1:
            new_id = f"{article.id}#{count}"
            on_problem(ReadProblem(article.path or where, f"id {article.id!r} seen before; renamed {new_id!r}"))
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
        if suffix in _JSON_LINES and _streams_as_utf8(path, open):
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


def read_one(path: str | os.PathLike) -> Article:
    """One document file, for ``compare`` and ``diff``. Raises :class:`InputError` if unreadable."""
    problems: list[ReadProblem] = []
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    articles = list(read_path(p, str(path), FieldMap(), problems.append))
    if problems:
        raise InputError(str(problems[0]))
    if len(articles) != 1:
        raise InputError(f"{path}: expected one article, found {len(articles)}")
    return articles[0]
