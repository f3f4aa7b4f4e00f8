"""Pieces: parts of the input that another process reads on its own, in reading order.

Used by the engines (:mod:`dedup.engine.processes`, :mod:`dedup.engine.dask`) to have worker
processes read the input themselves: a piece is a run of document files, or a byte range of whole
lines of a JSON Lines file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..article import Article, ReadProblem
from .walk import Skipped, sources
from .fields import FieldMap
from .files import ProblemHandler, is_regular, streams_as_utf8, suffix_of, holds_records
from .read import read_path
from .records import json_lines


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
        suffix = suffix_of(path)
        if isinstance(ident, Skipped) or not is_regular(path):  # reported where the piece is read
            files.append((str(path), ident))
        elif suffix in _JSON_LINES and path.stat().st_size > size and streams_as_utf8(path, open):
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
    yield from json_lines(io.StringIO(text, newline=""), first, name, fields, on_problem)
