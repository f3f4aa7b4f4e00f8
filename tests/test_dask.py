"""The Dask engine on a real LocalCluster (worker processes): the local engine's groups, exactly,
also when a worker is killed mid-run."""

import json
import os
import signal
import subprocess
import sys

import pytest

pytest.importorskip("distributed", reason="the Dask engine tests need the test extra (dask[distributed])")
from distributed import Client, LocalCluster  # noqa: E402

from dedup import cluster  # noqa: E402
from dedup.io.formats import to_json  # noqa: E402
from dedup.io.fields import FieldMap  # noqa: E402

from .conftest import ROOT, saudinewsnet_records  # noqa: E402

FIELDS = FieldMap(date="date_extracted")


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc) as c:
        yield c


@pytest.fixture(scope="module")
def snn_file(tmp_path_factory):
    """Four SaudiNewsNet days as one JSON Lines file (in a temporary folder, deleted after)."""
    path = tmp_path_factory.mktemp("snn") / "days.jsonl"
    rows = [r for day in ("2015-08-02", "2015-08-03", "2015-08-09", "2015-08-10") for r in saudinewsnet_records(day)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def snn_day(tmp_path_factory):
    """One SaudiNewsNet day (about 1,300 articles) as one JSON Lines file: several partitions of 250."""
    path = tmp_path_factory.mktemp("snn_day") / "day.jsonl"
    rows = saudinewsnet_records("2015-08-03")
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _dask(paths, client, **kw):
    from dedup.engine.dask import cluster_dask
    from dedup.engine.local import Settings

    return cluster_dask([str(p) for p in paths], Settings(), kw.pop("fields", FieldMap()), scheduler=client,
                        keep_text=True, **kw)


def _verdicts(result) -> dict:
    """What ``result.verdicts`` holds, as plain values: every pair verified, with its evidence."""
    return {pair: result.verdicts[pair].as_dict() for pair in result.verdicts}


def test_seeds_same_output_as_local_engine_across_partitions(seeds_dir, client):
    local = cluster(str(seeds_dir), jobs=1)
    # two articles per partition, two shuffle reducers: every stage crosses partitions
    dask = _dask([seeds_dir], client, partition_size=2, reducers=2)
    assert to_json(dask, explain=True) == to_json(local, explain=True)
    assert len(dask.groups) == 3
    assert _verdicts(dask) == _verdicts(local)  # every verified pair, not only the groups' edges
    assert len(_verdicts(local)) > sum(len(g.edges) for g in local.groups)


@pytest.mark.slow
def test_saudinewsnet_days_same_groups_and_evidence(snn_file, client, monkeypatch):
    from dedup.engine import dask as dask_engine
    from dedup.io.pieces import plan_pieces

    monkeypatch.setattr(dask_engine, "TASK_PIECE_BYTES", 1 << 20)  # the file read by several tasks
    assert len(plan_pieces([str(snn_file)], dask_engine.TASK_PIECE_BYTES)) > 2
    local = cluster(str(snn_file), fields=FIELDS, jobs=1)
    dask = _dask([snn_file], client, fields=FIELDS, partition_size=300, reducers=3)
    assert sum(len(g.members) > 1 for g in local.groups) > 50  # the days hold many groups
    assert [g.members for g in dask.groups] == [g.members for g in local.groups]
    assert to_json(dask, explain=True) == to_json(local, explain=True)
    assert _verdicts(dask) == _verdicts(local)


def test_unreadable_documents_reported_in_reading_order(tmp_path, seeds_dir, client):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in sorted(seeds_dir.iterdir()):
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n")
    (folder / "bad.jsonl").write_text('{"id": "x", "text": "نص قصير"}\nnot json\n{"id": "x", "text": "نص آخر"}\n')
    local_problems, dask_problems = [], []
    local = cluster(str(folder), on_problem=local_problems.append, jobs=1)
    dask = _dask([folder], client, on_problem=dask_problems.append, partition_size=3)
    assert dask_problems == local_problems
    assert {p.source for p in dask_problems} >= {"empty.txt", "image.png", "bad.jsonl:2"}
    assert [a.id for a in dask.articles] == [a.id for a in local.articles]
    assert "x#2" in [a.id for a in dask.articles]


@pytest.mark.slow
def test_killed_worker_is_retried_and_result_still_exact(snn_day):
    snn_file = snn_day
    local = cluster(str(snn_file), fields=FIELDS, jobs=1)
    killed = []
    with LocalCluster(n_workers=3, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc) as c:
        pids = c.run(os.getpid)

        def kill_one(stage, done, total):
            if stage == "features" and not killed:
                # the worker holding the most results: its features are lost and must be recomputed
                held = c.has_what()
                address = max(held, key=lambda w: len(held[w]))
                os.kill(pids[address], signal.SIGKILL)
                killed.append(address)

        dask = _dask([snn_file], c, fields=FIELDS, partition_size=250, progress=kill_one)
        assert killed and killed[0] not in c.scheduler_info()["workers"]
    assert [g.members for g in dask.groups] == [g.members for g in local.groups]
    assert to_json(dask, explain=True) == to_json(local, explain=True)


@pytest.mark.slow
def test_cli_engine_dask_matches_local(seeds_dir, tmp_path):
    def run(*extra):
        res = subprocess.run([sys.executable, "-m", "dedup", "cluster", str(seeds_dir), "--format", "jsonl", *extra],
                             capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert res.returncode == 0, res.stderr
        return res.stdout

    assert run("--engine", "dask", "--jobs", "2") == run()


def test_parquet_output_and_input_round_trip(seeds_dir, tmp_path):
    import pyarrow.parquet as pq

    from dedup.cli import app
    from typer.testing import CliRunner

    out = tmp_path / "groups.parquet"
    res = CliRunner().invoke(app, ["cluster", str(seeds_dir), "--format", "parquet", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = pq.read_table(out).to_pylist()
    assert sorted(r["id"] for r in rows) == sorted(p.name for p in seeds_dir.iterdir())
    by_group = {}
    for r in rows:
        by_group.setdefault(r["group"], set()).add(r["id"][:3])
    assert sorted(map(sorted, by_group.values())) == [["000", "001", "004"], ["002"], ["003"]]
    # the same articles as a Parquet input file give the same groups
    table = tmp_path / "articles.parquet"
    from dedup.io.parquet import write_rows

    write_rows([{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted(seeds_dir.iterdir())], table,
               ["id", "text"])
    again = cluster(str(table))
    assert [[again.articles[m].id for m in g.members] for g in again.groups] == \
        [[cluster(str(seeds_dir)).articles[m].id for m in g.members] for g in cluster(str(seeds_dir)).groups]


def test_parquet_format_needs_an_output_file(seeds_dir):
    from dedup.cli import app
    from typer.testing import CliRunner

    res = CliRunner().invoke(app, ["cluster", str(seeds_dir), "--format", "parquet"])
    assert res.exit_code == 2
    assert "--out" in res.output


def test_missing_optional_parts_give_a_clear_error_and_exit_5(seeds_dir, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from dedup.cli import app

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    res = CliRunner().invoke(app, ["cluster", str(seeds_dir), "--engine", "dask"])
    assert res.exit_code == 5
    assert "pip install 'dedup[dask]'" in res.output
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    res = CliRunner().invoke(app, ["cluster", str(seeds_dir), "--format", "parquet", "--out", str(tmp_path / "g.parquet")])
    assert res.exit_code == 5
    assert "pip install 'dedup[parquet]'" in res.output
    assert not (tmp_path / "g.parquet").exists()
