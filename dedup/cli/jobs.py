"""The grouping commands: ``cluster``, ``compare``, ``report``, ``diff`` and ``evaluate``.

The top floor: each command reads its options (defaults from :mod:`dedup.config`), runs the job
through :mod:`dedup.engine` or one pair through :mod:`dedup.match.compare`, and writes what it
found with :mod:`dedup.io.formats` or :mod:`dedup.report`. What the commands share (outputs,
progress, exit codes, the record-field options) is in :mod:`dedup.cli.common`.
"""

from __future__ import annotations

import json
import logging
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..io.formats import terminal_safe
from ..io.read import read_one
from ..io.walk import InputError
from ..job import Settings
from .common import (ClusterFormat, CompareFormat, ConfigOpt, DateField, DuplicateThreshold, EXIT_DUPLICATE,
                     EXIT_ENGINE, EXIT_INPUT, EXIT_VARIANT, Engine, IdField, MaxDays,
                     MinSimilarity, OutletField, PathsArg, Quiet, TextField, TitleField,
                     _Progress, _check_out, _config, _err, _fields, _inputs, _job_errors,
                     _need_semantic, _notices, _problem, _replacing, _thresholds, _write,
                     app)


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
    from ..io.formats import WRITERS, write_parquet
    from ..engine.local import cluster as run

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="dedup: %(message)s")
    cfg = _config(config)
    fields = _fields(cfg, id_field, text_field, title_field, outlet_field, date_field)
    thresholds = _thresholds(cfg, min_similarity, duplicate_threshold, max_days)
    _check_out(out)
    if format is ClusterFormat.parquet:
        from ..io.parquet import MissingPyArrow, require

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
    from ..match.compare import compare_articles

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
    from ..engine.local import cluster as run
    from ..report.variants import from_result, render

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
    from ..report.variants import diff as run, render

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
    from ..metrics import evaluate as score, pair_scores, read_labels
    from ..engine.local import cluster as run

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
