"""What an index store is: the record it keeps of an article (:class:`Entry`), how it packs the
article's text and signatures, the errors a store raises, and the interface (:class:`Store`) that the
SQLite file (:mod:`dedup.index.sqlite`) and the Redis server (:mod:`dedup.index.redis`) implement.

Sits below the index (:mod:`dedup.index.index`), which decides verdicts and calls a store to keep them; a
store knows nothing of verdicts, and never imports the index.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..article import Article


class IndexError_(Exception):
    """An index that cannot be used as asked (missing, incompatible settings, not an index)."""


class IndexReadOnly(IndexError_):
    """The index can be read but not written (file, folder or file system read-only)."""


class IndexFull(Exception):
    """The index's storage is full (disk full under SQLite, out of memory in Redis); nothing of
    the batch was recorded."""


class IndexBusy(Exception):
    """Another writer holds the index longer than the wait allowed; try again."""


class LockLost(IndexBusy):
    """The write lock expired or was taken by another worker before the batch was written;
    nothing of the batch was recorded; try again."""


class IndexUnavailable(Exception):
    """The index server cannot be reached, or is not a Redis server."""


@dataclass
class Entry:
    """One article as the index stores it.

    Articles recorded since format 3 keep their title and text (stored compressed,
    :func:`pack_body`) and no signatures (empty: verification reads the text); those
    recorded by format 2 or 1 keep their signatures and no text (``text`` None)."""

    id: str
    group: str
    added: float
    published: str
    text_sig: np.ndarray
    terms_sig: np.ndarray
    content: str = ""  # content_key of the article
    verdict: str = ""  # the verdict it was given, JSON (IndexVerdict.stored)
    title: str = ""
    text: str | None = None  # the article's text as read (boilerplate included); None: not stored

    def article(self) -> Article:
        """The stored article as verification reads it."""
        return Article(self.id, self.text or "", title=self.title, published=self.published)


def pack_body(title: str, text: str) -> bytes:
    """What an entry stores of an article's title and text: zlib of the title's length (4 bytes),
    the title and the text, in UTF-8."""
    t = title.encode("utf-8", "surrogatepass")
    return zlib.compress(len(t).to_bytes(4, "little") + t + text.encode("utf-8", "surrogatepass"), 6)


def unpack_body(data: bytes | None) -> tuple[str, str | None]:
    """The title and text :func:`pack_body` stored; ``("", None)`` for an entry without them."""
    if not data:
        return "", None
    raw = zlib.decompress(data)
    n = int.from_bytes(raw[:4], "little")
    return raw[4 : 4 + n].decode("utf-8", "surrogatepass"), raw[4 + n :].decode("utf-8", "surrogatepass")


def encode_sig(sig: np.ndarray) -> bytes:
    return np.ascontiguousarray(sig, dtype="<u4").tobytes()


def decode_sig(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


#: A band of a signature, as stored: (kind, band, key)
BandKey = tuple[str, int, int]


class Store(Protocol):
    """What the index asks of its storage (datasketch's LSH storage plays the same part)."""

    def get_meta(self) -> dict | None:
        """The index's settings and format, or None for a store never written."""

    def set_meta(self, meta: dict) -> None: ...

    def migrate(self) -> None:
        """Make an index of an earlier format hold what the current one keeps."""

    def transaction(self, keys: list[BandKey], work: Callable, write: bool):
        """``work(store)`` in one transaction (holding the bands ``keys`` when writing); its result."""

    def candidates(self, keys: list[BandKey]) -> dict[BandKey, list[str]]:
        """The ids stored under each band."""

    def entries(self, ids: list[str]) -> dict[str, Entry]: ...

    def recorded(self, ids: list[str]) -> dict[str, tuple[str | None, str | None, str]]:
        """id -> (content hash, stored verdict, group) of the ids recorded."""

    def insert(self, entries: list[tuple[Entry, list[BandKey]]]) -> None: ...

    def remove(self, ids: list[str]) -> int: ...

    def prune(self, before: float) -> int: ...

    def stats(self) -> dict: ...

    def close(self) -> None: ...
