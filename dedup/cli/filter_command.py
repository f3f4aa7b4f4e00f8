"""The ``filter`` command: the deduplicated corpus out of a grouping, or a stream filtered against an index.

Top floor, like the other commands: ``filter --out`` runs the job (:mod:`dedup.engine`) and has
:mod:`dedup.corpus` write the kept records and a decision per record; ``filter --index`` checks
and records each batch against the index (:mod:`dedup.index.ingest`).
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .index_commands import apply_decision_settings, index_errors
from ..io.fields import FieldMap, check_fields
from ..io.walk import InputError
from ..job import Settings
from .common import (ConfigOpt, DateField, DuplicateThreshold, EXIT_INPUT, IdField, MaxDays, MinSimilarity,
                     OutletField, Quiet, TextField, TitleField, _Progress, _check_out,
                     _config, _err, _fields, _inputs, _job_errors, _notices, _problem,
                     _quiet_stdout, _replacing, _thresholds, app)


class Prefer(str, Enum):
    earliest = "earliest"
    first = "first"
    longest = "longest"


class Drop(str, Enum):
    duplicates = "duplicates"
    variants = "variants"


def _decisions_path(decisions: Optional[Path], out: Optional[Path]) -> Path:
    """Where the decisions go: as given; else beside ``--out`` (``kept.jsonl`` -> ``kept.decisions.jsonl``);
    with neither, refused (exit 2): nothing is written where it was not asked for."""
    if decisions is not None:
        return decisions
    if out is not None:
        return out.with_name(f"{out.name.removesuffix('.jsonl')}.decisions.jsonl")
    _err("dedup: give --decisions FILE (one decision per input record), or --out FILE (the decisions then go "
         "beside it)")
    raise typer.Exit(EXIT_INPUT)


@app.command("filter")
def filter_(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Without --index: folders, .jsonl/.csv (optionally .gz) or .parquet files, patterns, or - (standard "
        "input). With --index: .jsonl files, or - or nothing for JSON Lines on standard input.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the kept articles here (JSON Lines) instead of stdout.")] = None,
    decisions: Annotated[Optional[Path], typer.Option(help="Where each input record's decision goes (JSON Lines, input order). Default: beside --out (kept.jsonl -> kept.decisions.jsonl); without --out it must be given. With --index it is appended to, so that a re-run adds to it.")] = None,
    prefer: Annotated[Optional[Prefer], typer.Option(help="Without --index: which article of a duplicate set is kept: the earliest published (dates read as ISO 8601, RFC 2822 or epoch seconds, UTC unless they say; undated ones after; then the first read; the default), the first read, or the longest.")] = None,
    drop: Annotated[Optional[Drop], typer.Option(help="Without --index: drop the copies of an article (one kept per duplicate set; the default), or every retelling of a story too (one kept per story).")] = None,
    index: Annotated[Optional[str], typer.Option("--index", "-i", help="Check against, and record in, this index (SQLite file or redis:// URL; created if missing): pass on only articles it has not seen.")] = None,
    batch: Annotated[Optional[int], typer.Option(help="With --index: records checked and recorded per transaction (default 200).")] = None,
    id_field: IdField = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    outlet_field: OutletField = None,
    date_field: DateField = None,
    min_similarity: MinSimilarity = None,
    duplicate_threshold: DuplicateThreshold = None,
    max_days: MaxDays = None,
    config: ConfigOpt = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Without --index: processes (default: all cores).")] = None,
    quiet: Quiet = False,
) -> None:
    """Write a deduplicated corpus: the input's articles, one per duplicate set (or per story).

    Without --index: the input is grouped as by `cluster`, then read again in order, and each kept
    article is written as a JSON Lines record (its id, title, outlet, published, text, and the other
    fields of its record), in input order. Every input record gets a decision in the decisions file,
    in input order: kept, duplicate (of the kept one), variant (with --drop variants) or unreadable.

    With --index: a stream filter. JSON Lines in (standard input or files), the articles the index has
    not seen out, each batch checked and recorded in the index; decisions new (passed on), duplicate,
    variant, conflict (its id is recorded with other text: not recorded, not passed on) or unreadable.
    At least once: each batch is recorded, then its decisions and its new lines are written; a run
    stopped in between leaves a batch recorded and maybe not passed on: re-run the same input (a
    record already recorded gets its stored decision back, and the new ones are passed on again).

    Exit codes: 0 done; 2 bad arguments or input; 3 not an index, read-only or incompatible; 4 index
    busy or unreachable; 5 the grouping job failed; 7 index storage full (4 and 7: the failed batch is
    not recorded); 1 stdout closed, 6 the output or the decisions file could not be written.

    \b
    Examples:
      dedup filter day.jsonl --out kept.jsonl
      dedup filter --index news.sqlite --decisions seen.jsonl < feed.jsonl > new.jsonl
    """
    cfg = _config(config)
    fields = _fields(cfg, id_field, text_field, title_field, outlet_field, date_field)
    if out is not None and str(out) == "-":
        out = None  # standard output
    side = _decisions_path(decisions, out)
    _check_out(out)
    _check_out(side)
    if index is not None:
        given = [name for name, value in (("--prefer", prefer), ("--drop", drop), ("--jobs", jobs)) if value is not None]
        if given:
            _err(f"dedup: {given[0]} is for filter without --index (a corpus); with --index each article is "
                 "checked against the index as it comes")
            raise typer.Exit(EXIT_INPUT)
        _filter_index(index, paths or ["-"], out, side, 200 if batch is None else batch, fields, cfg,
                      (min_similarity, duplicate_threshold, max_days), quiet)
        return
    if batch is not None:
        _err("dedup: --batch is for filter --index (records checked and recorded per transaction)")
        raise typer.Exit(EXIT_INPUT)
    prefer, drop = prefer or Prefer.earliest, drop or Drop.duplicates
    if not paths:
        _err("dedup: give the input (PATH... or - for standard input), or --index to filter a stream")
        raise typer.Exit(EXIT_INPUT)
    _filter_corpus(paths, out, side, prefer.value, drop.value, fields,
                   Settings(thresholds=_thresholds(cfg, min_similarity, duplicate_threshold, max_days)), jobs, quiet)


def _filter_corpus(paths, out, side, prefer, drop, fields, settings, jobs, quiet) -> None:
    from .. import corpus
    from ..engine.local import cluster as run

    inputs = _inputs(paths, fields)
    _not_an_input(inputs, out, side)
    _notices(quiet)
    with _job_errors(), _Progress(not quiet) as progress:
        result = run(inputs, settings, fields, on_problem=_problem, progress=progress, jobs=jobs,
                     keep_text=prefer == "longest")
        if not result.articles:
            _err("dedup: no readable articles in the input (nothing written)")
            raise typer.Exit(EXIT_INPUT)
        choices = corpus.choose(result, prefer, drop)
        try:
            with _writing(out) as kept, _writing(side) as said:
                counts = corpus.write(result, choices, inputs, fields, kept, said, progress)
        except BrokenPipeError:
            _quiet_stdout()
            _err("dedup: standard output closed before the corpus was written whole")
            raise typer.Exit(1)
    _err("dedup: " + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))


@contextmanager
def _writing(path: Optional[Path]):
    """A text stream to ``path`` (written whole, then moved into place; gzipped when its name ends
    in ``.gz``) or to stdout."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with _replacing(path) as tmp:
        if path.name.endswith(".gz"):
            import gzip

            with gzip.open(tmp, "wt", encoding="utf-8") as fh:
                yield fh
        else:
            with open(tmp, "w", encoding="utf-8") as fh:
                yield fh


def _same_file(a, b) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _not_an_input(inputs: list, out: Optional[Path], side: Optional[Path]) -> None:
    """Refuse (exit 2), before any work, an output that is one of the input files, or the decisions
    written where the corpus goes: either would destroy what is being read or written."""
    from ..io.walk import sources

    if out is not None and side is not None and _same_file(out, side):
        _err(f"dedup: --out and --decisions are the same file ({out}): give two files")
        raise typer.Exit(EXIT_INPUT)
    files = [path for path, _ in sources(inputs)]
    for given, what in ((out, "--out"), (side, "--decisions")):
        if given is not None and given.exists() and given.is_file() and any(_same_file(given, f) for f in files):
            _err(f"dedup: {what} {given} is an input file: it would be overwritten while it is read")
            raise typer.Exit(EXIT_INPUT)


def _filter_index(index, paths, out, side, batch, fields, cfg, decide, quiet=False) -> None:
    from ..index.index import Index
    from ..index.ingest import filter_lines, read_lines

    def conflict(v, line) -> None:
        if v.verdict == "conflict":
            _err(f"dedup: {line.source}: id {v.id} is already recorded with other text (conflict): "
                 "not recorded, not passed on")

    if batch < 1:
        _err(f"dedup: --batch must be at least 1, got {batch}")
        raise typer.Exit(EXIT_INPUT)
    if paths.count("-") > 1:
        _err("dedup: - (standard input) given more than once")
        raise typer.Exit(EXIT_INPUT)
    _not_an_input([p for p in paths if p != "-"], out, side)
    _notices(quiet)
    streams = []
    for p in paths:
        if p == "-":
            streams.append(("stdin", _checked_stdin(fields)))
            continue
        if not p.endswith((".jsonl", ".ndjson")):
            _err(f"dedup: {p}: with --index, filter reads JSON Lines (.jsonl), or - for standard input")
            raise typer.Exit(EXIT_INPUT)
        try:
            streams.append((p, open(p, "rb")))
        except OSError as exc:
            _err(f"dedup: cannot read {p}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_INPUT)
    named = [p for p in paths if p != "-"]
    if named:
        try:
            check_fields(named, fields)
        except InputError as exc:
            _err(f"dedup: {exc}")
            raise typer.Exit(EXIT_INPUT)
    lines = (line for name, stream in streams for line in read_lines(stream, fields, _problem, name))
    with index_errors(), Index.open(index, create=True) as ix:
        apply_decision_settings(ix, cfg, *decide)
        try:
            said = side.open("a", encoding="utf-8")
        except OSError as exc:
            _err(f"dedup: cannot open the decisions file {side}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_INPUT)
        target = None
        try:
            target = sys.stdout.buffer if out is None else open(out, "wb")
            counts = filter_lines(ix, lines, target, said, batch, conflict)
        finally:
            for closing in (said, target if out is not None else None):
                try:
                    if closing is not None:
                        closing.close()
                except OSError:
                    pass  # a failed write, reported already; every batch was flushed or reported
        _err("dedup: " + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) if counts else
             "dedup: no records in the input")


def _checked_stdin(fields: FieldMap):
    """Standard input's lines, refused (exit 2) when none of its first records has a field named
    (the check files get, on the first :data:`~dedup.io.FIELD_SAMPLE` lines), before any is read
    as an article."""
    from itertools import chain, islice

    from ..io.fields import FIELD_SAMPLE, missing_field

    head = list(islice(sys.stdin.buffer, FIELD_SAMPLE))
    records = []
    for raw in head:
        try:
            record = json.loads(raw.decode("utf-8", errors="replace"))
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            records.append(record)
    problem = missing_field(records, fields)
    if problem:
        _err(f"dedup: stdin: {problem}")
        raise typer.Exit(EXIT_INPUT)
    return chain(head, sys.stdin.buffer)
