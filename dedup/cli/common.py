"""What every command shares: the application, the exit codes, messages on stderr, outputs written
whole, progress, the record-field and decision options with their defaults from the configuration
file, and the input paths (``-`` for standard input)."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..article import ReadProblem
from ..io.formats import terminal_safe
from ..config import ConfigError, load as load_config
from ..io.fields import FieldMap, check_fields
from ..io.walk import InputError
from ..job import EngineError
from ..match.verdict import Thresholds

app = typer.Typer(
    help="Find duplicate and variant stories in Arabic news, show what each outlet added or dropped, "
    "and guard ingestion with a persistent index.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: paragraphs wrapped to the terminal, brackets shown as written
)

EXIT_INPUT = 2
EXIT_ENGINE = 5


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"dedup {version('dedup')}")
        except PackageNotFoundError:  # pragma: no cover (run from a source tree)
            typer.echo("dedup (not installed)")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Find duplicate and variant stories in Arabic news, show what each outlet added or dropped,
    and guard ingestion with a persistent index."""


class ClusterFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


class Engine(str, Enum):
    local = "local"
    dask = "dask"


class CompareFormat(str, Enum):
    text = "text"
    json = "json"


EXIT_OUTPUT = 6  # the output could not be written (full disk, say); nothing half-written left behind
#: ``compare --exit-code``: the verdict as the exit status, apart from the error codes (1-7)
EXIT_VARIANT = 10
EXIT_DUPLICATE = 11

def _err(message: str) -> None:
    typer.echo(terminal_safe(message), err=True)


def _problem(p: ReadProblem) -> None:
    if p.kept:
        _err(f"dedup: read {p.source} with a fault repaired: {p.problem}")
    elif "skipped" in p.problem:  # the walk's own reports: hidden entries, links, FIFOs and devices
        _err(f"dedup: {p.source}: {p.problem}")
    else:
        _err(f"dedup: cannot read {p.source}: {p.problem}")


def _need_semantic() -> None:
    """Refuse, before any work, ``--semantic`` without the extra (exit 5) or with an altered encoder."""
    from ..report import semantic

    try:
        semantic.verify()
    except (ImportError, semantic.EncoderError) as exc:
        _err(f"dedup: --semantic: {exc}")
        raise typer.Exit(EXIT_ENGINE)


def _check_out(out: Optional[Path]) -> None:
    """Refuse, before any work, an ``--out`` that could not be written."""
    if out is None:
        return
    folder = out.absolute().parent
    if out.is_dir():
        problem = "it is a folder"
    elif not folder.is_dir():
        problem = f"folder {folder} does not exist"
    elif not os.access(folder, os.W_OK | os.X_OK):
        problem = f"folder {folder} is not writable"
    else:
        return
    _err(f"dedup: cannot write {out}: {problem}")
    raise typer.Exit(EXIT_INPUT)


@contextmanager
def _replacing(out: Path):
    """A temporary file beside ``out``, moved into its place only once written whole: a job that
    fails while writing (a full disk) leaves ``out`` as it was and no partial file. An ``out`` that
    exists and is not a regular file (a pipe, a device such as /dev/stderr) is written as it is."""
    if out.exists() and not out.is_file():
        try:
            yield out
        except OSError as exc:
            _err(f"dedup: cannot write {out}: {exc.strerror or exc}")
            raise typer.Exit(EXIT_OUTPUT)
        return
    tmp = out.absolute().parent / f".{out.name}.{os.getpid()}.tmp"
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        _err(f"dedup: cannot write {out}: {exc.strerror or exc} (nothing written; {out} left as it was)")
        raise typer.Exit(EXIT_OUTPUT)
    finally:
        tmp.unlink(missing_ok=True)
    _err(f"dedup: wrote {out}")


def _write(text: str, out: Optional[Path]) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    with _replacing(out) as tmp:
        tmp.write_text(text, encoding="utf-8")


class _Progress:
    """Progress on stderr, by stage: a bar with counts and rate where the stage's size is known, a
    spinner where it is not. Only when stderr is a terminal, and not with ``--quiet``.

    Called as ``progress(stage, advance, total)``; ``total`` None: size not known yet."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, \
                TimeElapsedColumn

            self.bar = Progress(SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(),
                                MofNCompleteColumn(), _Rate(), TimeElapsedColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.__enter__()
        return self

    def __call__(self, stage: str, advance: int, total: int | None) -> None:
        if self.bar is None:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total)
        elif total is not None and self.bar.tasks[self.tasks[stage]].total != total:
            self.bar.update(self.tasks[stage], total=total)
        self.bar.advance(self.tasks[stage], advance)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _Rate():
    from rich.progress import ProgressColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        """Items a second."""

        def render(self, task) -> Text:
            return Text(f"{task.speed:,.0f}/s" if task.speed else "", style="progress.data.speed")

    return Rate()


@contextmanager
def _job_errors():
    """A grouping job's failures as one message and an exit code: the input (2), or the job
    itself (5: the engine, the spill folder, a lost worker process, memory)."""
    from ..engine.workers import WorkerLost
    from ..compute.spill import SpillError

    try:
        yield
    except (EngineError, SpillError, WorkerLost) as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_ENGINE)
    except MemoryError:
        _err("dedup: out of memory; with a large input, give --spill-dir FOLDER (the job's largest arrays kept in "
             "files) or fewer --jobs")
        raise typer.Exit(EXIT_ENGINE)
    except (InputError, ValueError) as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_INPUT)


# -- options shared by the commands that read records, and by those that decide -----------------
_FIELDS = "Record fields (JSON Lines, CSV, Parquet)"
_DECIDE = "Decisions"
IdField = Annotated[Optional[str], typer.Option("--id-field", metavar="FIELD", rich_help_panel=_FIELDS,
                                                help="Field holding the id (default: id, doc_id, uid or guid).")]
TextField = Annotated[Optional[str], typer.Option("--text-field", metavar="FIELD", rich_help_panel=_FIELDS,
                                                  help="Field holding the body (default: text, content, body or article).")]
TitleField = Annotated[Optional[str], typer.Option("--title-field", metavar="FIELD", rich_help_panel=_FIELDS,
                                                   help="Field holding the headline (default: title or headline).")]
OutletField = Annotated[Optional[str], typer.Option("--outlet-field", metavar="FIELD", rich_help_panel=_FIELDS,
                                                    help="Field naming the outlet (default: outlet, source, site, publisher or domain).")]
DateField = Annotated[Optional[str], typer.Option("--date-field", metavar="FIELD", rich_help_panel=_FIELDS,
                                                  help="Field with the publication date (default: published, date, datetime, published_at or date_extracted).")]
MinSimilarity = Annotated[Optional[float], typer.Option(
    min=0.0, max=1.0, rich_help_panel=_DECIDE,
    help="Call two articles variants of one story when the calibrated probability that they report the same "
    "event is at least this (0-1; higher is more precise, lower finds more; the curve is in docs/quality.md). "
    "Default: the shipped model's operating point.")]
DuplicateThreshold = Annotated[Optional[float], typer.Option(
    min=0.0, max=1.0, rich_help_panel=_DECIDE,
    help="Call two articles duplicates when the Jaccard similarity of their word 5-grams is at least this "
    "(default 0.6; one contained in the other also counts).")]
MaxDays = Annotated[Optional[float], typer.Option(
    min=0.0, rich_help_panel=_DECIDE,
    help="Articles published more than this many days apart are never one story (default 3).")]
ConfigOpt = Annotated[Optional[Path], typer.Option(
    "--config", metavar="FILE", rich_help_panel=_DECIDE,
    help="Read defaults for the options above from this TOML file (default: ./dedup.toml, else "
    "[tool.dedup] in ./pyproject.toml).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars and no notice while the loops compile (problems, counts and files written are still said on stderr).")]
PathsArg = Annotated[list[str], typer.Argument(
    help="Folders (walked recursively; .txt, .md, .html files), .jsonl/.csv files (optionally .gz), .parquet "
    "files, patterns such as 'shards/*.jsonl', or - for JSON Lines on standard input.")]


def _config(config: Optional[Path]):
    try:
        return load_config(config)
    except ConfigError as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_INPUT)


def _fields(cfg, id_field=None, text_field=None, title_field=None, outlet_field=None, date_field=None) -> FieldMap:
    """The field names given, else those of the configuration file, else the usual names."""
    return FieldMap(id_field or cfg.id_field, text_field or cfg.text_field, title_field or cfg.title_field,
                    outlet_field or cfg.outlet_field, date_field or cfg.date_field)


def _thresholds(cfg, min_similarity=None, duplicate_threshold=None, max_days=None) -> Thresholds:
    """The decision settings given, else those of the configuration file, else the defaults."""
    chosen = {"variant_probability": min_similarity if min_similarity is not None else cfg.min_similarity,
              "duplicate_jaccard": duplicate_threshold if duplicate_threshold is not None else cfg.duplicate_threshold,
              "max_days": max_days if max_days is not None else cfg.max_days}
    try:
        return Thresholds(**{k: v for k, v in chosen.items() if v is not None})
    except ValueError as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_INPUT)


def _notices(quiet: bool) -> None:
    """Notices of the job (the one-time compilation of the loops for large inputs) on stderr,
    or none with ``--quiet``."""
    from ..compute import kernels

    kernels.set_notice(None if quiet else kernels._to_stderr)


_STDIN_DIR: list = []


def _stdin_file() -> str:
    """Standard input saved to a temporary file (removed at exit), read as ``stdin``: a job reads
    its input more than once."""
    import atexit
    import shutil
    import tempfile

    from ..io.walk import Labelled

    if not _STDIN_DIR:
        folder = tempfile.mkdtemp(prefix="dedup-stdin-")
        atexit.register(shutil.rmtree, folder, True)
        path = os.path.join(folder, "stdin.jsonl")
        with open(path, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh)
        _STDIN_DIR.append(Labelled(path, "stdin"))
    return _STDIN_DIR[0]


def _inputs(paths: list, fields: FieldMap) -> list[str]:
    """The paths to read, ``-`` as standard input; refused (exit 2), before any work, when a field
    named is in no record (looked for in the first records of each file)."""
    if [str(p) for p in paths].count("-") > 1:
        _err("dedup: - (standard input) given more than once")
        raise typer.Exit(EXIT_INPUT)
    out = [_stdin_file() if str(p) == "-" else str(p) for p in paths]
    try:
        check_fields(out, fields)
    except InputError as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_INPUT)
    return out



def _quiet_stdout() -> None:
    """Point a broken stdout at /dev/null, so that Python's last flush at exit does not fail again."""
    import os

    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (under a test runner)
