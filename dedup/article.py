"""The one record type that flows through every step of the pipeline: :class:`Article`, and
:class:`ReadProblem` for a document that could not be read (or was read with a repair).

The ground floor: made by the readers (:mod:`dedup.io`), stripped and analyzed by
:mod:`dedup.text` and :mod:`dedup.match`, grouped by the engines (:mod:`dedup.engine`), written
out by :mod:`dedup.io.formats`, :mod:`dedup.corpus` and the reports. It imports nothing of the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def first_line(text: str) -> str:
    """The first line of a text, white space trimmed, 200 characters at most: what an article
    without its text keeps of its body."""
    return text.strip().split("\n", 1)[0][:200]


@dataclass
class Article:
    """One news article, as read, and what the pipeline learns about it.

    Attributes
    ----------
    id:
        Stable identifier: the path relative to the folder given, or the record id.
    text:
        The article body exactly as read (boilerplate included).
    title, outlet, published, path:
        Optional metadata; ``published`` is an ISO date string when known.
    meta:
        Anything else the reader found (URL, author, extra columns).
    clean:
        Body with boilerplate removed (set by :mod:`dedup.text.boilerplate`).
    removed:
        ``(start, end, reason)`` spans of ``text`` that boilerplate removal dropped.
    kept:
        ``(clean_start, text_start, length)`` segments: where each piece of
        ``clean`` stands in ``text``.
    """

    id: str
    text: str
    title: str = ""
    outlet: str = ""
    published: str = ""
    path: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    clean: str | None = None
    removed: list[tuple[int, int, str]] = field(default_factory=list)
    kept: list[tuple[int, int, int]] = field(default_factory=list)
    record: dict[str, Any] | None = None  # the input record as read, when asked for (io.FieldMap.keep)

    @property
    def body(self) -> str:
        """The text the pipeline compares: cleaned body if available, else raw."""
        return self.clean if self.clean is not None else self.text

    def drop_text(self, head: str | None = None) -> None:
        """Forget the text, the clean body and the boilerplate spans, keeping the metadata and
        the body's first line (``head``, or :func:`first_line` of the body), which tables show
        for an article without a title."""
        self.clean = first_line(self.body) if head is None else head
        self.text, self.removed, self.kept = "", [], []

    def original_offset(self, pos: int) -> int:
        """Offset in ``text`` of offset ``pos`` in :attr:`body`."""
        if self.clean is None or not self.kept:
            return pos
        for clean_start, text_start, length in reversed(self.kept):
            if pos >= clean_start:
                return text_start + min(pos - clean_start, length)
        return self.kept[0][1]


@dataclass(frozen=True)
class ReadProblem:
    """A document that could not be read, or was read with a fault repaired (``kept``: invalid
    bytes or lone surrogates replaced by U+FFFD); reported, never silently dropped."""

    source: str
    problem: str
    kept: bool = False

    def __str__(self) -> str:  # pragma: no cover - trivial
        return f"{self.source}: {self.problem}"
