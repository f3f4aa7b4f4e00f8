"""Command-line interface: each command calls the library and prints; results on stdout,
diagnostics and progress on stderr."""

from __future__ import annotations

import json
import logging
import os
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .article import ReadProblem
from .formats import terminal_safe
from .config import ConfigError, load as load_config
from .io import FieldMap, InputError, check_fields, read_one
from .pipeline import EngineError, Settings
from .verify import Thresholds

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
    from . import semantic

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
    from .parallel import WorkerLost
    from .spill import SpillError

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
    from . import kernels

    kernels.set_notice(None if quiet else kernels._to_stderr)


_STDIN_DIR: list = []


def _stdin_file() -> str:
    """Standard input saved to a temporary file (removed at exit), read as ``stdin``: a job reads
    its input more than once."""
    import atexit
    import shutil
    import tempfile

    from .walk import Labelled

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


@app.command()
def cluster(
    paths: PathsArg,
    format: Annotated[ClusterFormat, typer.Option("--format", "-f", help="Output format.")] = ClusterFormat.table,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
    explain: Annotated[bool, typer.Option(help="Show why each group holds together: figures, shared sentences, boilerplate removed.")] = False,
    id_field: IdField = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    outlet_field: OutletField = None,
    date_field: DateField = None,
    min_similarity: MinSimilarity = None,
    duplicate_threshold: DuplicateThreshold = None,
    max_days: MaxDays = None,
    config: ConfigOpt = None,
    shingle_size: Annotated[int, typer.Option(help="Words per shingle for near-duplicate detection.")] = 5,
    num_perm: Annotated[int, typer.Option(help="MinHash permutations.")] = 128,
    seed: Annotated[int, typer.Option(help="MinHash seed (same seed, same signatures).")] = 1,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Processes for stripping and analyzing (default: all cores); with --engine dask and no --scheduler, local Dask workers. The groups do not depend on it.")] = None,
    engine: Annotated[Engine, typer.Option(help="Where the job runs: this process (and --jobs processes), or a Dask cluster (pip install 'dedup[dask]'). Same groups.")] = Engine.local,
    scheduler: Annotated[Optional[str], typer.Option(help="Dask scheduler address for --engine dask (default: a local cluster).", metavar="ADDRESS")] = None,
    spill_dir: Annotated[Optional[Path], typer.Option(help="Keep the job's largest arrays (about 10 KB an article: term counts, vectors, shingle sets) in files in this folder, mapped into memory, so that a corpus larger than memory can be grouped: the system pages them in and out. The files are deleted as the job goes. Same groups.", exists=True, file_okay=False, dir_okay=True, metavar="FOLDER")] = None,
    quiet: Quiet = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log stage timings on stderr.")] = False,
) -> None:
    """Group articles into near-duplicates and same-story variants.

    Every article appears in exactly one group; singletons are "unique".
    Inputs: folders (walked recursively), .jsonl/.csv (optionally .gz) and .parquet files, or patterns such as 'shards/*.jsonl'.

    Example: dedup cluster seeds/ --explain
    """
    from .formats import WRITERS, write_parquet
    from .pipeline import cluster as run

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="dedup: %(message)s")
    cfg = _config(config)
    fields = _fields(cfg, id_field, text_field, title_field, outlet_field, date_field)
    thresholds = _thresholds(cfg, min_similarity, duplicate_threshold, max_days)
    _check_out(out)
    if format is ClusterFormat.parquet:
        from .parquet import MissingPyArrow, require

        if out is None:
            _err("dedup: --format parquet writes a file: give it with --out FILE")
            raise typer.Exit(EXIT_INPUT)
        try:
            require()
        except MissingPyArrow as exc:
            _err(f"dedup: {exc}")
            raise typer.Exit(EXIT_ENGINE)
    if scheduler and engine is not Engine.dask:
        _err("dedup: --scheduler is for --engine dask")
        raise typer.Exit(EXIT_INPUT)
    inputs = _inputs(paths, fields)
    _notices(quiet)
    with _job_errors():
        settings = Settings(shingle_size=shingle_size, num_perm=num_perm, seed=seed, thresholds=thresholds)
        with _Progress(not quiet) as progress:
            result = run(inputs, settings, fields, on_problem=_problem, progress=progress, jobs=jobs,
                         engine=engine.value, scheduler=scheduler, keep_text=explain,
                         spill_dir=None if spill_dir is None else str(spill_dir))
    if not result.articles:
        _err("dedup: no readable articles in the input")
        raise typer.Exit(EXIT_INPUT)
    if format is ClusterFormat.parquet:
        with _replacing(out) as tmp:
            write_parquet(result, tmp)
    else:
        _write(WRITERS[format.value](result, explain), out)
    unread = sum(not p.kept for p in result.problems)
    if unread:
        _err(f"dedup: {unread} document(s) not read: unreadable or skipped (listed above)")


@app.command()
def compare(
    file_a: Annotated[Path, typer.Argument(help="First article (.txt, .md or .html).")],
    file_b: Annotated[Path, typer.Argument(help="Second article.")],
    format: Annotated[CompareFormat, typer.Option("--format", "-f", help="Output format.")] = CompareFormat.text,
    exit_code: Annotated[bool, typer.Option("--exit-code", help=f"Exit with the verdict: 0 distinct, {EXIT_VARIANT} variant, {EXIT_DUPLICATE} duplicate (errors keep their codes, 1-7).")] = False,
    min_similarity: MinSimilarity = None,
    duplicate_threshold: DuplicateThreshold = None,
    max_days: MaxDays = None,
    config: ConfigOpt = None,
) -> None:
    """Say whether two articles are duplicates, variants of one story, or distinct.

    Example: dedup compare seeds/000_fd40320715479528.txt seeds/001_c3ae010b9f71aa12.txt
    """
    thresholds = _thresholds(_config(config), min_similarity, duplicate_threshold, max_days)
    from .compare import compare_articles

    try:
        a, b = read_one(file_a, _problem), read_one(file_b, _problem)
    except InputError as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_INPUT)
    verdict = compare_articles(a, b, Settings(thresholds=thresholds))
    status = {"variant": EXIT_VARIANT, "duplicate": EXIT_DUPLICATE}.get(verdict.relation, 0) if exit_code else 0
    if format is CompareFormat.json:
        typer.echo(json.dumps({"a": str(file_a), "b": str(file_b), **verdict.as_dict()}, ensure_ascii=False, indent=2))
        raise typer.Exit(status)
    e = verdict.as_dict()["evidence"]
    typer.echo(f"{verdict.relation}  similarity {verdict.similarity:.2f}")
    typer.echo(
        f"  word 5-gram jaccard {e['shingle_jaccard']:.2f}, containment {e['containment']:.2f}, "
        f"tf-idf cosine {e['tfidf_cosine']:.2f}, fact score {e['fact_score']:.2f}"
    )
    for s in e["shared_sentences"][:5]:
        typer.echo(terminal_safe(f"  shared ({s['similarity']:.2f}): {s['a'][:120]}"))
        typer.echo(terminal_safe(f"                  {s['b'][:120]}"))
    raise typer.Exit(status)


class ReportFormat(str, Enum):
    html = "html"
    md = "md"
    json = "json"


@app.command()
def report(
    paths: PathsArg,
    group: Annotated[Optional[list[int]], typer.Option("--group", "-g", help="Report only this group id (repeatable); default: every group of two or more.")] = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="html (self-contained, right to left), md or json.")] = ReportFormat.html,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
    semantic: Annotated[bool, typer.Option("--semantic", help="Also align sentences that say the same in other words, with sentence vectors (needs pip install 'dedup[semantic]').")] = False,
    id_field: IdField = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    outlet_field: OutletField = None,
    date_field: DateField = None,
    min_similarity: MinSimilarity = None,
    duplicate_threshold: DuplicateThreshold = None,
    max_days: MaxDays = None,
    config: ConfigOpt = None,
    quiet: Quiet = False,
) -> None:
    """Show, for each group, which facts each outlet added or dropped, and where they disagree.

    Example: dedup report seeds/ --format html --out report.html
    """
    from .pipeline import cluster as run
    from .report import from_result, render

    cfg = _config(config)
    fields = _fields(cfg, id_field, text_field, title_field, outlet_field, date_field)
    settings = Settings(thresholds=_thresholds(cfg, min_similarity, duplicate_threshold, max_days))
    _check_out(out)
    if semantic:
        _need_semantic()
    inputs = _inputs(paths, fields)
    _notices(quiet)
    with _job_errors(), _Progress(not quiet) as progress:
        result = run(inputs, settings, fields, on_problem=_problem, progress=progress)
    if group:
        unknown = [g for g in group if not 1 <= g <= len(result.groups)]
        if unknown:
            _err(f"dedup: no group {unknown[0]} (there are {len(result.groups)} groups; see `dedup cluster`)")
            raise typer.Exit(EXIT_INPUT)
    _write(render(from_result(result, group or None, semantic=semantic), format.value), out)


@app.command()
def diff(
    file_a: Annotated[Path, typer.Argument(help="First article.")],
    file_b: Annotated[Path, typer.Argument(help="Second article.")],
    format: Annotated[ReportFormat, typer.Option("--format", "-f", help="html, md or json.")] = ReportFormat.md,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Fact-by-fact differences between any two articles.

    Example: dedup diff seeds/000_fd40320715479528.txt seeds/001_c3ae010b9f71aa12.txt --format md
    """
    from .report import diff as run, render

    _check_out(out)
    try:
        a, b = read_one(file_a, _problem), read_one(file_b, _problem)
    except InputError as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_INPUT)
    _write(render(run(a, b), format.value), out)


@app.command()
def evaluate(
    paths: PathsArg,
    labels: Annotated[Path, typer.Option(help="JSONL/CSV of id + group (true grouping) or a, b, label (same 1/0) pairs.")],
    format: Annotated[CompareFormat, typer.Option("--format", "-f", help="text or json.")] = CompareFormat.text,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", help="Processes (default: all cores).")] = None,
    id_field: IdField = None,
    text_field: TextField = None,
    title_field: TitleField = None,
    outlet_field: OutletField = None,
    date_field: DateField = None,
    min_similarity: MinSimilarity = None,
    duplicate_threshold: DuplicateThreshold = None,
    max_days: MaxDays = None,
    config: ConfigOpt = None,
    quiet: Quiet = False,
) -> None:
    """Measure dedup on your own labelled data: pairwise and B-cubed precision/recall/F1 and ARI
    (grouping labels), or pair accuracy, precision, recall and ROC AUC (pair labels).

    Articles without a label are grouped with the others but not scored.

    Example: dedup evaluate seeds/ --labels truth.jsonl
    """
    from .metrics import evaluate as score, pair_scores, read_labels
    from .pipeline import cluster as run

    try:
        groups, pairs = read_labels(str(labels))
    except (OSError, ValueError) as exc:
        _err(f"dedup: {exc}")
        raise typer.Exit(EXIT_INPUT)
    cfg = _config(config)
    fields = _fields(cfg, id_field, text_field, title_field, outlet_field, date_field)
    settings = Settings(thresholds=_thresholds(cfg, min_similarity, duplicate_threshold, max_days))
    inputs = _inputs(paths, fields)
    _notices(quiet)
    with _job_errors(), _Progress(not quiet) as progress:
        result = run(inputs, settings, fields, on_problem=_problem, progress=progress, jobs=jobs, keep_text=False)
    predicted = {result.articles[m].id: n for n, g in enumerate(result.groups) for m in g.members}
    if groups is not None:
        missing = sorted(set(groups) - set(predicted))
        if missing:
            _err(f"dedup: {len(missing)} labelled id(s) not among the articles read, e.g. {missing[0]!r}; not scored")
        scored = [i for i in groups if i in predicted]
        out = score({i: groups[i] for i in scored}, {i: predicted[i] for i in scored})
    else:
        known = [(a, b, y) for a, b, y in pairs if a in predicted and b in predicted]
        if len(known) < len(pairs):
            _err(f"dedup: {len(pairs) - len(known)} pair(s) name ids not among the articles read; not scored")
        said = [int(predicted[a] == predicted[b]) for a, b, _ in known]
        truth = [y for _, _, y in known]
        tp = sum(1 for s, y in zip(said, truth) if s and y)
        out = {"pairs": len(known), "accuracy": sum(s == y for s, y in zip(said, truth)) / max(len(known), 1),
               "precision": tp / max(sum(said), 1), "recall": tp / max(sum(truth), 1), **pair_scores(truth, said)}
    if format is CompareFormat.json:
        typer.echo(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            typer.echo(f"{k:>22}  {v:.4f}" if isinstance(v, float) else f"{k:>22}  {v}")


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
def _index_errors():
    from .index import IndexBusy, IndexError_, IndexFull, IndexUnavailable
    from .ingest import OutputError

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


def _quiet_stdout() -> None:
    """Point a broken stdout at /dev/null, so that Python's last flush at exit does not fail again."""
    import os

    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (under a test runner)


def _keep_days(value: Optional[float]) -> None:
    from .index import check_keep_days

    if value is not None:
        try:
            check_keep_days(value)
        except ValueError as exc:
            _err(f"dedup: --keep-days: {exc}")
            raise typer.Exit(EXIT_INPUT)


def _verdict_lines(batches) -> None:
    """Each batch's verdicts on stdout as soon as it is committed; conflicts also on stderr."""
    from .ingest import print_batches

    def conflict(v) -> None:
        if v.verdict == "conflict":
            _err(f"dedup: {v.id}: already recorded with other text (conflict): not recorded")

    counts = print_batches(batches, sys.stdout, conflict)
    if counts["conflict"]:
        _err(f"dedup: {counts['conflict']} article(s) in conflict with a recorded article of the same id")


def _read_inputs(inputs: list[str], fields: FieldMap):
    from .io import read

    return read(inputs, fields, on_problem=_problem)


def _decide(ix, cfg, min_similarity, duplicate_threshold, max_days) -> None:
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
    from .index import Index, IndexSettings

    with _index_errors():
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
    from .index import Index

    _keep_days(keep_days)
    cfg = _config(config)
    fields = _fields(cfg, id_field, text_field, title_field, outlet_field, date_field)
    paths = _inputs(inputs, fields)
    with _index_errors():
        with Index.open(path) as ix:
            _decide(ix, cfg, min_similarity, duplicate_threshold, max_days)
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
    from .index import Index

    cfg = _config(config)
    fields = _fields(cfg, id_field, text_field, title_field, outlet_field, date_field)
    paths = _inputs(inputs, fields)
    with _index_errors():
        with Index.open(path, write=False) as ix:
            _decide(ix, cfg, min_similarity, duplicate_threshold, max_days)
            _verdict_lines(ix.check_batches(_read_inputs(paths, fields), batch))


@index_app.command("stats")
def index_stats(
    path: Annotated[str, typer.Argument(help="The index.")],
    format: Annotated[CompareFormat, typer.Option("--format", "-f", help="text or json.")] = CompareFormat.text,
) -> None:
    """Settings, number of articles and groups, age range (ISO dates, UTC) and size.

    Example: dedup index stats news.sqlite
    """
    from .index import Index

    with _index_errors(), Index.open(path, write=False) as ix:
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
    from .index import Index

    with _index_errors(), Index.open(path) as ix:
        typer.echo(json.dumps({"removed": ix.remove(ids)}))


@index_app.command("prune")
def index_prune(
    path: Annotated[str, typer.Argument(help="The index.")],
    keep_days: Annotated[float, typer.Option(help="Keep articles added in the last N days (a number >= 0); forget the rest.")],
) -> None:
    """Evict articles by age, so an index that lives for years does not grow forever.

    Example: dedup index prune news.sqlite --keep-days 30
    """
    from .index import Index

    _keep_days(keep_days)
    with _index_errors(), Index.open(path) as ix:
        typer.echo(json.dumps({"pruned": ix.prune(keep_days)}))


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
    from . import corpus
    from .pipeline import cluster as run

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
    from .io import sources

    if out is not None and side is not None and _same_file(out, side):
        _err(f"dedup: --out and --decisions are the same file ({out}): give two files")
        raise typer.Exit(EXIT_INPUT)
    files = [path for path, _ in sources(inputs)]
    for given, what in ((out, "--out"), (side, "--decisions")):
        if given is not None and given.exists() and given.is_file() and any(_same_file(given, f) for f in files):
            _err(f"dedup: {what} {given} is an input file: it would be overwritten while it is read")
            raise typer.Exit(EXIT_INPUT)


def _filter_index(index, paths, out, side, batch, fields, cfg, decide, quiet=False) -> None:
    from .index import Index
    from .ingest import filter_lines, read_lines

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
    with _index_errors(), Index.open(index, create=True) as ix:
        _decide(ix, cfg, *decide)
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

    from .io import FIELD_SAMPLE, missing_field

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


def main() -> None:  # pragma: no cover
    app()
