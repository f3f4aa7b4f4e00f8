"""The command line as a corpus builder and a pipeline step uses it: the deduplicated corpus out of
`filter`, decision settings and the configuration file, field options, standard input, machine
outputs that agree, `compare --exit-code`, `--version`, `--quiet`."""

import csv
import io
import json
import shutil

import pytest
from typer.testing import CliRunner

from dedup.cli import EXIT_DUPLICATE, EXIT_VARIANT, app
from dedup.config import ConfigError, load

SEEDS = ["000_fd40320715479528.txt", "001_c3ae010b9f71aa12.txt", "002_e30e650dcdf6ad1b.txt",
         "003_22d8f778421e0631.txt", "004_fd20d3b24343bf30.txt"]


def _records(seeds_dir, field="text"):
    """The seeds as records, with an exact copy of 000 (published earlier) and of 001 (later), and
    a line that is not a record."""
    text = {s: (seeds_dir / s).read_text(encoding="utf-8") for s in SEEDS}
    rows = [{"id": s[:3], field: text[s], "published": f"2024-10-20T0{k}:00", "url": f"https://x/{k}"}
            for k, s in enumerate(SEEDS)]
    rows.insert(2, {"id": "000-copy", field: text[SEEDS[0]], "published": "2024-10-19T23:00", "url": "https://y/0"})
    rows.append({"id": "001-copy", field: text[SEEDS[1]], "published": "2024-10-20T09:00", "url": "https://y/1"})
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(4, "{not json")
    return rows, "\n".join(lines) + "\n"


def _jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_filter_writes_the_deduplicated_corpus_and_a_decision_per_input_line(tmp_path, seeds_dir):
    rows, feed = _records(seeds_dir)
    day = tmp_path / "day.jsonl"
    day.write_text(feed, encoding="utf-8")
    res = CliRunner().invoke(app, ["filter", str(day), "--out", str(tmp_path / "kept.jsonl"), "-q"])
    assert res.exit_code == 0, res.output
    kept = _jsonl(tmp_path / "kept.jsonl")
    # one per duplicate set, in input order; of 000 and its copy, the copy was published first
    assert [r["id"] for r in kept] == ["001", "000-copy", "002", "003", "004"]
    assert kept[1]["url"] == "https://y/0" and kept[1]["text"] == rows[2]["text"]  # the record's fields kept
    decisions = _jsonl(tmp_path / "kept.decisions.jsonl")  # beside --out
    assert [d["line"] for d in decisions] == list(range(1, 9))  # every input line, in input order
    keys = ("group", "id", "line", "of", "similarity", "source", "verdict")
    assert {tuple(sorted(d)) for d in decisions if d["verdict"] != "unreadable"} == {keys}  # one schema ...
    assert {tuple(sorted(d)) for d in decisions if d["verdict"] == "unreadable"} == {tuple(sorted(keys + ("problem",)))}
    assert all(isinstance(d["group"], str) for d in decisions if d["verdict"] != "unreadable")  # ... one type a key
    assert all(d["similarity"] is None for d in decisions if d["verdict"] == "kept")
    by_id = {d["id"]: d for d in decisions}
    assert by_id["000"]["verdict"] == "duplicate" and by_id["000"]["of"] == "000-copy"
    assert by_id["001-copy"]["verdict"] == "duplicate" and by_id["001-copy"]["of"] == "001"
    assert by_id[None]["verdict"] == "unreadable" and by_id[None]["line"] == 5 and "invalid JSON" in by_id[None]["problem"]
    assert sum(d["verdict"] == "kept" for d in decisions) == len(kept)


def test_filter_prefers_and_drops_as_asked(tmp_path, seeds_dir):
    rows, feed = _records(seeds_dir)
    rows[2]["text"] += "\n\nسطر أخير أضافه موقع آخر إلى النص نفسه."  # 000's copy, read after it, is longer
    day = tmp_path / "day.jsonl"
    day.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "first.jsonl"
    assert runner.invoke(app, ["filter", str(day), "-o", str(out), "--prefer", "first", "-q"]).exit_code == 0
    assert [r["id"] for r in _jsonl(out)][:2] == ["000", "001"]
    out = tmp_path / "long.jsonl"
    assert runner.invoke(app, ["filter", str(day), "-o", str(out), "--prefer", "longest", "-q"]).exit_code == 0
    assert "000-copy" in [r["id"] for r in _jsonl(out)] and "000" not in [r["id"] for r in _jsonl(out)]
    out = tmp_path / "stories.jsonl"
    res = runner.invoke(app, ["filter", str(day), "-o", str(out), "--drop", "variants", "-q"])
    assert res.exit_code == 0, res.output
    kept = [r["id"] for r in _jsonl(out)]
    decisions = {d["id"]: d for d in _jsonl(tmp_path / "stories.decisions.jsonl")}
    stories: dict = {}
    for row in map(json.loads, runner.invoke(app, ["cluster", str(day), "-f", "jsonl", "-q"]).stdout.splitlines()):
        stories.setdefault(row["group"], []).append(row)
    assert any(len(g) >= 3 for g in stories.values())  # a story told three times, one of them copied
    # one article per story, the earliest published, in input order
    first = {min(g, key=lambda r: r["published"])["id"] for g in stories.values()}
    assert kept == [r["id"] for r in rows if r["id"] in first]
    for g in stories.values():
        keeper = min(g, key=lambda r: r["published"])
        original = lambda r: r["duplicate_of"] or r["id"]
        for r in g:
            if r is not keeper:
                assert decisions[r["id"]]["of"] == keeper["id"]
                same = original(r) == original(keeper)
                assert decisions[r["id"]]["verdict"] == ("duplicate" if same else "variant")


def test_filter_needs_a_place_for_its_decisions_and_an_input(tmp_path, seeds_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(app, ["filter", str(seeds_dir)])
    assert res.exit_code == 2 and "--decisions" in res.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere unasked
    res = runner.invoke(app, ["filter", "--out", str(tmp_path / "k.jsonl")])
    assert res.exit_code == 2 and "give the input" in res.stderr
    # documents in, records out: a folder is a corpus too
    res = runner.invoke(app, ["filter", str(seeds_dir), "--decisions", str(tmp_path / "d.jsonl"), "-q"])
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 5
    assert [d["verdict"] for d in _jsonl(tmp_path / "d.jsonl")] == ["kept"] * 5


def test_a_field_no_record_has_is_one_error_naming_the_fields_that_exist(tmp_path, seeds_dir):
    _, feed = _records(seeds_dir, field="article_body")
    day = tmp_path / "feed.jsonl"
    day.write_text(feed, encoding="utf-8")
    runner = CliRunner()
    labels = _write(tmp_path / "labels.jsonl", '{"id": "000", "group": 1}\n{"id": "001", "group": 1}\n')
    for args in (["cluster", str(day)], ["report", str(day)], ["filter", str(day), "-o", str(tmp_path / "k.jsonl")],
                 ["index", "add", str(tmp_path / "i.sqlite"), str(day)], ["evaluate", str(day), "--labels", str(labels)],
                 ["filter", "--index", str(tmp_path / "i.sqlite"), "--decisions", str(tmp_path / "d.jsonl"), str(day)]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert res.stderr.count("\n") == 1 and "no record has a text field" in res.stderr and "article_body" in res.stderr
    res = runner.invoke(app, ["cluster", str(day), "--text-field", "body_text"])
    assert res.exit_code == 2 and "'body_text'" in res.stderr and "article_body" in res.stderr
    res = runner.invoke(app, ["filter", "-i", str(tmp_path / "j.sqlite"), "--decisions", str(tmp_path / "e.jsonl"),
                              "--text-field", "body_text"], input=feed)
    assert res.exit_code == 2 and "stdin" in res.stderr and "article_body" in res.stderr
    # named, the field is read everywhere
    res = runner.invoke(app, ["cluster", str(day), "--text-field", "article_body", "-f", "json", "-q"])
    assert res.exit_code == 0 and json.loads(res.stdout)["summary"]["articles"] == 7
    res = runner.invoke(app, ["index", "add", str(tmp_path / "i.sqlite"), str(day), "--text-field", "article_body"])
    assert res.exit_code == 3  # no index there: the fields were accepted, the index is the problem
    assert runner.invoke(app, ["index", "create", str(tmp_path / "i.sqlite")]).exit_code == 0
    res = runner.invoke(app, ["index", "add", str(tmp_path / "i.sqlite"), str(day), "--text-field", "article_body"])
    assert res.exit_code == 0 and [json.loads(l)["verdict"] for l in res.stdout.splitlines()].count("duplicate") == 2


def test_standard_input_is_a_path_for_cluster_filter_and_index(tmp_path, seeds_dir):
    _, feed = _records(seeds_dir)
    runner = CliRunner()
    res = runner.invoke(app, ["cluster", "-", "-f", "jsonl", "-q"], input=feed)
    assert res.exit_code == 0, res.output
    assert sorted(r["id"] for r in map(json.loads, res.stdout.splitlines())) == sorted(
        ["000", "000-copy", "001", "001-copy", "002", "003", "004"])
    assert "stdin:5" in res.stderr  # the line that is not a record, named by its place
    res = runner.invoke(app, ["filter", "-", "-o", str(tmp_path / "k.jsonl"), "-q"], input=feed)
    assert res.exit_code == 0 and len(_jsonl(tmp_path / "k.jsonl")) == 5
    assert _jsonl(tmp_path / "k.decisions.jsonl")[0]["source"] == "stdin:1"
    path = str(tmp_path / "i.sqlite")
    assert runner.invoke(app, ["index", "create", path]).exit_code == 0
    res = runner.invoke(app, ["index", "add", path, "-"], input=feed)
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 7
    res = runner.invoke(app, ["index", "check", path, "-"], input=feed)
    assert res.exit_code == 0 and all(json.loads(l)["replay"] for l in res.stdout.splitlines())


def test_decision_settings_from_options_and_from_a_configuration_file(tmp_path, seeds_dir, monkeypatch):
    runner = CliRunner()
    summary = lambda *extra: json.loads(runner.invoke(app, ["cluster", str(seeds_dir), "-f", "json", "-q", *extra]
                                                      ).stdout)["summary"]
    assert summary()["variant_groups"] == 1
    assert summary("--min-similarity", "0.99")["variant_groups"] == 0
    assert summary("--max-days", "0")["variant_groups"] == 1  # files have no dates: nothing is too far apart
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dedup.toml").write_text("min_similarity = 0.99\n", encoding="utf-8")
    assert summary()["variant_groups"] == 0  # found in the working folder
    assert summary("--min-similarity", "0.3")["variant_groups"] == 1  # the command line wins
    (tmp_path / "dedup.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.dedup]\nmin_similarity = 0.99\n')
    assert summary()["variant_groups"] == 0
    other = tmp_path / "other.toml"
    other.write_text("min_similarity = 0.3\nduplicate_threshold = 0.6\n", encoding="utf-8")
    assert summary("--config", str(other))["variant_groups"] == 1
    other.write_text("min_similarty = 0.3\n", encoding="utf-8")
    res = runner.invoke(app, ["cluster", str(seeds_dir), "--config", str(other)])
    assert res.exit_code == 2 and "unknown key 'min_similarty'" in res.stderr and str(other) in res.stderr
    with pytest.raises(ConfigError, match="between 0 and 1"):
        load(_write(tmp_path / "bad.toml", "duplicate_threshold = 2\n"))
    assert load(_write(tmp_path / "f.toml", 'text_field = "article_body"\n')).text_field == "article_body"


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_the_index_decides_with_the_settings_given(tmp_path, seeds_dir):
    runner = CliRunner()
    path = str(tmp_path / "i.sqlite")
    assert runner.invoke(app, ["index", "create", path]).exit_code == 0
    verdicts = lambda *extra: [json.loads(l)["verdict"] for l in runner.invoke(
        app, ["index", "check", path, str(seeds_dir), *extra]).stdout.splitlines()]
    assert runner.invoke(app, ["index", "add", path, str(seeds_dir / SEEDS[0])]).exit_code == 0
    assert verdicts()[1] == "variant"  # 001 against the stored 000
    assert verdicts("--min-similarity", "0.99")[1] == "new"


def test_compare_exit_code_tells_the_verdict_apart_from_errors(tmp_path, seeds_dir):
    runner = CliRunner()
    a, b, c = (str(seeds_dir / s) for s in (SEEDS[0], SEEDS[1], SEEDS[3]))
    copy = tmp_path / "copy.txt"
    shutil.copy(a, copy)
    assert runner.invoke(app, ["compare", a, b]).exit_code == 0  # without the option: 0 whatever the verdict
    assert runner.invoke(app, ["compare", a, b, "--exit-code"]).exit_code == EXIT_VARIANT == 10
    assert runner.invoke(app, ["compare", a, str(copy), "--exit-code", "-f", "json"]).exit_code == EXIT_DUPLICATE == 11
    assert runner.invoke(app, ["compare", a, c, "--exit-code"]).exit_code == 0
    assert runner.invoke(app, ["compare", a, str(tmp_path / "none.txt"), "--exit-code"]).exit_code == 2


def test_version_and_outputs_that_agree(tmp_path, seeds_dir):
    from importlib.metadata import version

    runner = CliRunner()
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"dedup {version('dedup')}"
    rows, feed = _records(seeds_dir)
    day = tmp_path / "day.jsonl"
    day.write_text(feed, encoding="utf-8")
    as_json = json.loads(runner.invoke(app, ["cluster", str(day), "-f", "json", "-q"]).stdout)
    assert as_json["summary"]["articles"] == 7 and as_json["summary"]["unique_articles"] == 5
    lines = [json.loads(l) for l in runner.invoke(app, ["cluster", str(day), "-f", "jsonl", "-q"]).stdout.splitlines()]
    table = list(csv.DictReader(io.StringIO(runner.invoke(app, ["cluster", str(day), "-f", "csv", "-q"]).stdout)))
    assert list(table[0]) == list(lines[0]) and "published" in lines[0]  # the same columns
    assert [r["id"] for r in table] == [r["id"] for r in lines]
    assert [r["published"] for r in table] == [r["published"] or "" for r in lines]
    index = str(tmp_path / "i.sqlite")
    runner.invoke(app, ["index", "create", index])
    runner.invoke(app, ["index", "add", index, str(day)])
    text = runner.invoke(app, ["index", "stats", index]).stdout
    stats = json.loads(runner.invoke(app, ["index", "stats", index, "--format", "json"]).stdout)
    assert stats["documents"] == 7 and stats["oldest_added"][:2] == "20" and "T" in stats["oldest_added"]
    assert f"documents" in text and stats["oldest_added"] in text  # ISO dates for people too


def test_the_help_keeps_its_brackets_and_every_long_command_has_quiet():
    res = CliRunner().invoke(app, ["cluster", "--help"])
    shown = " ".join(res.stdout.split())
    assert "dedup[dask]" in shown and ".parquet" in shown and "- for JSON Lines on standard input" in shown
    for command in (["cluster"], ["report"], ["filter"], ["evaluate"]):
        assert "--quiet" in CliRunner().invoke(app, [*command, "--help"]).stdout


def _stderr_on_a_terminal(args, cwd):
    """What a command writes to stderr when stderr is a terminal (a pseudo-terminal here)."""
    import os
    import pty
    import subprocess
    import sys

    main, side = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "dedup", *args], stdout=subprocess.DEVNULL, stderr=side, cwd=cwd)
    os.close(side)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the terminal's other end closed
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=300)
    os.close(main)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_progress_by_stage_on_a_terminal_and_none_when_quiet_or_piped(tmp_path, seeds_dir):
    import subprocess
    import sys

    code, shown = _stderr_on_a_terminal(["cluster", str(seeds_dir)], tmp_path)
    assert code == 0
    for stage in ("sign", "candidates", "verify", "group"):
        assert stage in shown
    assert "5/5" in shown  # counts
    code, quiet = _stderr_on_a_terminal(["cluster", str(seeds_dir), "--quiet"], tmp_path)
    assert code == 0 and "verify" not in quiet and "5/5" not in quiet
    piped = subprocess.run([sys.executable, "-m", "dedup", "cluster", str(seeds_dir)], capture_output=True, text=True)
    assert piped.returncode == 0 and "verify" not in piped.stderr  # not a terminal: no bars in logs


def test_outputs_that_would_destroy_an_input_are_refused(tmp_path, seeds_dir):
    _, feed = _records(seeds_dir)
    day = _write(tmp_path / "day.jsonl", feed)
    runner = CliRunner()
    for args, said in ((["filter", "--index", str(tmp_path / "i.sqlite"), str(day), "--out", str(day)], "input file"),
                       (["filter", str(day), "--out", str(day)], "input file"),
                       (["filter", str(day), "--out", str(tmp_path / "k.jsonl"), "--decisions", str(day)], "input file"),
                       (["filter", str(day), "--out", str(tmp_path / "k.jsonl"), "--decisions", str(tmp_path / "k.jsonl")],
                        "same file"),
                       (["filter", "-", "-", "--out", str(tmp_path / "k.jsonl")], "more than once"),
                       (["index", "add", str(tmp_path / "i.sqlite"), "-", "-"], "more than once"),
                       (["filter", "--index", str(tmp_path / "i.sqlite"), "--prefer", "longest", "--decisions",
                         str(tmp_path / "d.jsonl")], "without --index"),
                       (["filter", str(day), "--batch", "5", "--out", str(tmp_path / "k.jsonl")], "--index")):
        res = runner.invoke(app, args, input=feed)
        assert res.exit_code == 2 and said in res.stderr, (args, res.output)
        assert day.read_text(encoding="utf-8") == feed
    assert not (tmp_path / "k.jsonl").exists()


def test_nothing_readable_leaves_the_previous_outputs(tmp_path):
    bad = _write(tmp_path / "bad.jsonl", "{not json\n[1, 2]\n")
    previous = _write(tmp_path / "prev.jsonl", "previous\n")
    res = CliRunner().invoke(app, ["filter", str(bad), "--out", str(previous), "-q"])
    assert res.exit_code == 2 and "no readable articles" in res.stderr
    assert previous.read_text() == "previous\n" and not (tmp_path / "prev.decisions.jsonl").exists()


def test_a_pipe_given_as_the_decisions_file_is_written_not_replaced(tmp_path, seeds_dir):
    import os
    import stat
    import threading

    fifo = tmp_path / "decisions.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    res = CliRunner().invoke(app, ["filter", str(seeds_dir), "--decisions", str(fifo), "-q"])
    reader.join(timeout=60)
    assert res.exit_code == 0, res.output
    assert len(got[0].splitlines()) == 5 and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_kept_records_are_written_as_they_were_read(tmp_path, seeds_dir):
    text = (seeds_dir / SEEDS[0]).read_text(encoding="utf-8")
    rows = [{"uid": 7, "content": text, "site": "a", "date_extracted": "Mon, 20 Jul 2015 10:00:00 +0300",
             "headline": "h", "extra": {"tags": [1, 2]}},
            {"uid": 8, "content": text, "site": "b", "date_extracted": "Tue, 14 Jul 2015 09:00:00 +0000"},
            {"uid": 7, "content": (seeds_dir / SEEDS[2]).read_text(encoding="utf-8"), "site": "c"}]
    day = _write(tmp_path / "odd.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    res = CliRunner().invoke(app, ["filter", str(day), "--out", str(tmp_path / "k.jsonl"), "-q"])
    assert res.exit_code == 0, res.output
    kept = _jsonl(tmp_path / "k.jsonl")
    assert kept[0] == rows[1]  # the earlier of the copies by the date read, every field as it was
    assert kept[1] == {**rows[2], "uid": "7#2"}  # an id met twice is renamed, and says so
    decisions = _jsonl(tmp_path / "k.decisions.jsonl")
    assert decisions[0]["verdict"] == "duplicate" and decisions[0]["of"] == "8"
    assert "renamed" in decisions[2]["repaired"][0]


def test_record_values_json_does_not_hold_are_written_as_text(tmp_path, seeds_dir):
    import datetime

    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    texts = [(seeds_dir / s).read_text(encoding="utf-8") for s in SEEDS[:2]]
    table = pa.table({"id": ["a", "b"], "text": texts,
                      "at": [datetime.datetime(2024, 10, 20, 8), datetime.datetime(2024, 10, 20, 9)]})
    pq.write_table(table, tmp_path / "t.parquet")
    res = CliRunner().invoke(app, ["filter", str(tmp_path / "t.parquet"), "--out", str(tmp_path / "k.jsonl"), "-q"])
    assert res.exit_code == 0, res.output
    assert [r["at"] for r in _jsonl(tmp_path / "k.jsonl")] == ["2024-10-20 08:00:00", "2024-10-20 09:00:00"]


def test_dates_are_compared_as_moments():
    from dedup.corpus import when

    assert when("2015-07-21T01:00:00+03:00") < when("2015-07-20T23:00:00Z")
    assert when("Tue, 14 Jul 2015 09:00:00 +0000") < when("Mon, 20 Jul 2015 10:00:00 +0300")
    assert when("2015-07-20") == when("2015-07-20T00:00:00+00:00") == when("1437350400")
    assert when("") is None and when("yesterday") is None and when("2015") is None


def test_hidden_files_are_said_skipped_in_the_decisions(tmp_path, seeds_dir):
    import shutil as sh

    folder = tmp_path / "in"
    sh.copytree(seeds_dir, folder)
    (folder / ".DS_Store").write_bytes(b"\0\1")
    res = CliRunner().invoke(app, ["filter", str(folder), "--decisions", str(tmp_path / "d.jsonl"), "-q"])
    assert res.exit_code == 0
    decisions = _jsonl(tmp_path / "d.jsonl")
    assert [d["verdict"] for d in decisions].count("skipped") == 1 and len(decisions) == 6
    assert {d["source"] for d in decisions} == {".DS_Store", *SEEDS}  # one kind of source: the id in the folder
