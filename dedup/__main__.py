"""``python -m dedup``: the command line (:mod:`dedup.cli`), as the ``dedup`` command runs it."""

from .cli import app

app(prog_name="dedup")
