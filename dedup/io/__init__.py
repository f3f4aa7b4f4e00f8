"""Input and output: articles read from folders and record files, results written out.

The first and last steps of the flow: :mod:`~dedup.io.walk` finds the input's files,
:mod:`~dedup.io.encoding` decides how a file is encoded, :mod:`~dedup.io.read` makes
:class:`~dedup.article.Article` records of text, HTML, JSON Lines, CSV and Parquet files,
:mod:`~dedup.io.formats` writes groups as JSON, JSON Lines, CSV or a table, and
:mod:`~dedup.io.parquet` is the one module that imports pyarrow.
"""

from .read import FieldMap, InputError, read, read_one

__all__ = ["FieldMap", "InputError", "read", "read_one"]
