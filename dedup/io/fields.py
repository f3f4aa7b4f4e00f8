"""Which record fields hold what (:class:`FieldMap`), and the check that the fields asked for exist.

Used by the record parsers (:mod:`dedup.io.records`) and, before any work, by the command line
(:func:`check_fields`): a field no record has is one clear error, not a problem per record.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .walk import InputError, Skipped, sources
from .files import record_lines, is_regular, suffix_of, holds_records


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



@lru_cache(maxsize=64)
def used_names(fields: FieldMap) -> frozenset[str]:
    """The record fields that ``fields`` reads (the rest go to ``meta``); made once per field map,
    not per record (it was a quarter of the reading time)."""
    named = {k for name in ("id", "text", "title", "outlet", "date") for k in [getattr(fields, name)] if k}
    return frozenset(named | {k for names in FieldMap._DEFAULTS.values() for k in names})


#: How many records of each file :func:`check_fields` looks at.
FIELD_SAMPLE = 1000


def _sample_records(path: Path, name: str, n: int) -> Iterator[dict]:
    """Up to ``n`` records of a records file that parse (the rest is the reader's business)."""
    suffix = suffix_of(path)
    if suffix in {".csv", ".csv.gz"}:
        rows = csv.DictReader(record_lines(path, name, lambda p: None))
    elif suffix == ".parquet":
        from .parquet import read_records

        rows = read_records(path)
    else:
        rows = (json.loads(line) for line in record_lines(path, name, lambda p: None) if line.strip())
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
        if isinstance(ident, Skipped) or not holds_records(path) or not is_regular(path):
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
