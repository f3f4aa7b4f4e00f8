"""The ``index`` commands: a persistent "seen this already?" index, created, added to, checked, described and pruned.

Top floor: options in, :class:`~dedup.index.index.Index` calls out (:mod:`dedup.index.ingest`
for ``add`` and ``check`` on a feed), exit codes for a busy, full or unreachable index.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Annotated, Optional

import typer

from ..io.fields import FieldMap
from ..io.walk import InputError
from ..job import Settings
from .common import (CompareFormat, ConfigOpt, DateField, DuplicateThreshold, EXIT_INPUT, EXIT_OUTPUT,
                     IdField, MaxDays, MinSimilarity, OutletField, PathsArg, TextField,
                     TitleField, _config, _err, _fields, _inputs, _problem,
                     _quiet_stdout, _thresholds, app)


index_app = typer.Typer(
    help="A persistent index that a pipeline asks \"seen this already?\" before it stores an article. "
    "PATH is a SQLite file (embedded, the default) or redis://host:port/db?prefix=NAME (shared by many workers).",
    no_args_is_help=True,
)
app.add_typer(index_app, name="index")

EXIT_INDEX = 3  # missing index, not an index, read-only, incompatible settings
EXIT_BUSY = 4  # index busy, server unreachable, write lock lost: retry later
EXIT_FULL = 7  # the index's storage is full (disk full, Redis out of memory)
# 1 (stdout closed) and EXIT_OUTPUT (6: stdout or the decisions file could not be written): the batch
# is recorded, re-run the same input


@contextmanager
def index_errors():
    from ..index.store import IndexBusy, IndexError_, IndexFull, IndexUnavailable
    from ..index.ingest import OutputError

    try:
        yield
    except IndexError_ as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_INDEX)
    except (IndexBusy, IndexUnavailable) as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_BUSY)
    except IndexFull as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_FULL)
    except OutputError as exc:
        _err(f"dedup: {exc}")
        _quiet_stdout()
        raise typer.Exit(1 if exc.closed else EXIT_OUTPUT)
    except (InputError, ValueError) as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_INPUT)


def _keep_days(value: Optional[float]) -> None:
    from ..index.index import check_keep_days

    if value is not None:
        try:
            check_keep_days(value)
        except ValueError as exc:
            _err(f"dedup: --keep-days: {exc}")
            raise typer.Exit(EXIT_INPUT)


def _verdict_lines(batches) -> None:
    """Each batch's verdicts on stdout as soon as it is committed; conflicts also on stderr."""
    from ..index.ingest import print_batches

    def conflict(v) -> None:
        if v.verdict == "conflict":
            _err(f"dedup: {v.id}: already recorded with other text (conflict): not recorded")

    counts = print_batches(batches, sys.stdout, conflict)
    if counts["conflict"]:
        _err(f"dedup: {counts['conflict']} article(s) in conflict with a recorded article of the same id")


def _read_inputs(inputs: list[str], fields: FieldMap):
    from ..io.read import read

    return read(inputs, fields, on_problem=_problem)


def apply_decision_settings(ix, cfg, min_similarity, duplicate_threshold, max_days) -> None:
    """The index's verification with the decision settings given (or configured)."""
    if any(v is not None for v in (min_similarity, duplicate_threshold, max_days, cfg.min_similarity,
                                   cfg.duplicate_threshold, cfg.max_days)):
        ix.decide = Settings(thresholds=_thresholds(cfg, min_similarity, duplicate_threshold, max_days))


BatchOpt = Annotated[int, typer.Option(help="Articles checked and recorded per transaction; each batch's verdicts are printed when it is committed.")]


@index_app.command("create")
def index_create(
    path: Annotated[str, typer.Argument(help="SQLite file or redis:// URL.")],
    num_perm: Annotated[int, typer.Option(help="MinHash permutations.")] = 128,
    seed: Annotated[int, typer.Option(help="MinHash seed.")] = 1,
    threshold: Annotated[float, typer.Option(help="5-gram Jaccard at or above which an article is a duplicate.")] = 0.5,
    variant_threshold: Annotated[float, typer.Option(help="Content-word Jaccard at or above which an article is a variant.")] = 0.3,
) -> None:
    """Create an index with these settings (stored in it and checked on every open).

    Example: dedup index create news.sqlite
    """
    from ..index.entries import IndexSettings
    from ..index.index import Index

    with index_errors():
        try:
            settings = IndexSettings(num_perm=num_perm, seed=seed, threshold=threshold, variant_threshold=variant_threshold)
        except ValueError as exc:
            _err(f"dedup: {exc}")
            raise typer.Exit(EXIT_INPUT)
        with Index.open(path, settings, create=True) as ix:
            typer.echo(json.dumps(ix.stats(), ensure_ascii=False))


@index_app.command("add")
def index_add(
    path: Annotated[str, typer.Argument(help="The index (made by `dedup index create`).")],
    inputs: PathsArg,
    keep_days: Annotated[Optional[float], typer.Option(help="Afterwards, forget articles added more than N days ago.")] = None,
    batch: BatchOpt = 500,
    id_field: IdField = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    outlet_field: OutletField = None,
    date_field: DateField = None,
    min_similarity: MinSimilarity = None,
    duplicate_threshold: DuplicateThreshold = None,
    max_days: MaxDays = None,
    config: ConfigOpt = None,
) -> None:
    """Check and record articles; one JSON verdict per article on stdout (new, duplicate, variant;
    conflict: the id is recorded with other text, and this one is not recorded).

    Each batch's verdicts are printed once it is committed. An article already recorded (same id,
    same text) gets its stored verdict back, marked "replay": re-running an interrupted add gives the
    verdicts of an uninterrupted one.

    Example: dedup index add news.sqlite seeds/
    """
    from ..index.index import Index

    _keep_days(keep_days)
    cfg = _config(config)
    fields = _fields(cfg, id_field, text_field, title_field, outlet_field, date_field)
    paths = _inputs(inputs, fields)
    with index_errors():
        with Index.open(path) as ix:
            apply_decision_settings(ix, cfg, min_similarity, duplicate_threshold, max_days)
            _verdict_lines(ix.add_batches(_read_inputs(paths, fields), batch))
            if keep_days is not None:
                _err(f"dedup: pruned {ix.prune(keep_days)} article(s) older than {keep_days} days")


@index_app.command("check")
def index_check(
    path: Annotated[str, typer.Argument(help="The index.")],
    inputs: PathsArg,
    batch: BatchOpt = 500,
    id_field: IdField = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    outlet_field: OutletField = None,
    date_field: DateField = None,
    min_similarity: MinSimilarity = None,
    duplicate_threshold: DuplicateThreshold = None,
    max_days: MaxDays = None,
    config: ConfigOpt = None,
) -> None:
    """Verdicts for articles without recording them (the index is not changed; a read-only index will do).

    Example: dedup index check news.sqlite incoming/
    """
    from ..index.index import Index

    cfg = _config(config)
    fields = _fields(cfg, id_field, text_field, title_field, outlet_field, date_field)
    paths = _inputs(inputs, fields)
    with index_errors():
        with Index.open(path, write=False) as ix:
            apply_decision_settings(ix, cfg, min_similarity, duplicate_threshold, max_days)
            _verdict_lines(ix.check_batches(_read_inputs(paths, fields), batch))


@index_app.command("stats")
def index_stats(
    path: Annotated[str, typer.Argument(help="The index.")],
    format: Annotated[CompareFormat, typer.Option("--format", "-f", help="text or json.")] = CompareFormat.text,
) -> None:
    """Settings, number of articles and groups, age range (ISO dates, UTC) and size.

    Example: dedup index stats news.sqlite
    """
    from ..index.index import Index

    with index_errors(), Index.open(path, write=False) as ix:
        stats = ix.stats()
    if format is CompareFormat.json:
        typer.echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    settings = stats.pop("settings")
    width = max(map(len, [*stats, "settings"]))
    for key, value in stats.items():
        typer.echo(f"{key.replace('_', ' '):<{width}}  {'-' if value is None else value}")
    typer.echo(f"{'settings':<{width}}  " + ", ".join(f"{k}={v}" for k, v in settings.items()))


@index_app.command("remove")
def index_remove(
    path: Annotated[str, typer.Argument(help="The index.")],
    ids: Annotated[list[str], typer.Argument(help="Article ids to forget.")],
) -> None:
    """Forget articles by id.

    Example: dedup index remove news.sqlite 000_fd40320715479528.txt
    """
    from ..index.index import Index

    with index_errors(), Index.open(path) as ix:
        typer.echo(json.dumps({"removed": ix.remove(ids)}))


@index_app.command("prune")
def index_prune(
    path: Annotated[str, typer.Argument(help="The index.")],
    keep_days: Annotated[float, typer.Option(help="Keep articles added in the last N days (a number >= 0); forget the rest.")],
) -> None:
    """Evict articles by age, so an index that lives for years does not grow forever.

    Example: dedup index prune news.sqlite --keep-days 30
    """
    from ..index.index import Index

    _keep_days(keep_days)
    with index_errors(), Index.open(path) as ix:
        typer.echo(json.dumps({"pruned": ix.prune(keep_days)}))
