"""Parquet files, read and written through pyarrow: the one module that imports it.

pyarrow is optional (``pip install 'dedup[parquet]'``, also pulled in by the
``dask`` extra); without it, a clear error says what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path


class MissingPyArrow(ValueError):
    """Parquet asked for but pyarrow is not installed."""


def require() -> None:
    """Raise :class:`MissingPyArrow` now, before a long run, if Parquet cannot be written."""
    _pyarrow()


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingPyArrow("Parquet needs pyarrow: pip install 'dedup[parquet]'") from exc
    return pyarrow


def read_records(path: Path, batch_size: int = 2048) -> Iterator[dict]:
    """Rows of a Parquet file as dictionaries, in file order, a batch at a time."""
    pa = _pyarrow()
    handle = pa.parquet.ParquetFile(path)
    for batch in handle.iter_batches(batch_size=batch_size):
        yield from batch.to_pylist()


def write_rows(rows: list[dict], path: Path, columns: list[str]) -> None:
    """Write ``rows`` (all with ``columns``, values str/int or None) as one Parquet file."""
    pa = _pyarrow()
    table = pa.table({c: [r.get(c) for r in rows] for c in columns})
    pa.parquet.write_table(table, path)
