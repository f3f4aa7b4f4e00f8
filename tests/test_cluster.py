import json
import random

import numpy as np

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dedup import Article, cluster, cluster_articles, compare
from dedup.cli import app

from .conftest import saudinewsnet_records

EXPECTED_SEEDS = [{"000", "001", "004"}, {"002"}, {"003"}]

SNIPPETS = [
    "قال وزير الخارجية إن المفاوضات ستعقد في الدوحة خلال أيام",
    "أعلن الدفاع المدني انتشال جثة شاب سقط في بئر شرقي المدينة",
    "ارتفع مؤشر السوق المالية السعودية بنسبة طفيفة في ختام تداولات الشهر",
    "افتتح أمير المنطقة مهرجان الصيف بحضور عدد من المسؤولين",
]


def _groups(result):
    return [{result.articles[m].id for m in g.members} for g in result.groups]


def test_seeds_golden_grouping(seeds_dir):
    result = cluster(str(seeds_dir))
    got = sorted(({i[:3] for i in g} for g in _groups(result)), key=lambda s: sorted(s))
    assert got == sorted(EXPECTED_SEEDS, key=lambda s: sorted(s))
    big = next(g for g in result.groups if len(g.members) == 3)
    assert big.relation == "variant"


def test_cli_cluster_json_on_seeds(seeds_dir):
    res = CliRunner().invoke(app, ["cluster", str(seeds_dir), "--format", "json", "--explain"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    members = [m["id"] for g in doc["groups"] for m in g["members"]]
    assert sorted(members) == sorted(p.name for p in seeds_dir.iterdir())
    group = next(g for g in doc["groups"] if g["size"] == 3)
    assert group["relation"] == "variant" and {"id", "relation", "members"} <= set(group)
    shared = [s for p in group["explain"]["pairs"] for s in p["evidence"]["shared_sentences"]]
    assert any("بلينكن" in s["a"] and "بلينكن" in s["b"] for s in shared)


def test_cli_reports_unreadable_files_and_goes_on(tmp_path, seeds_dir):
    for p in seeds_dir.iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "broken.txt").write_bytes(b"\x00\x01\x02\xff" * 50)
    res = CliRunner().invoke(app, ["cluster", str(tmp_path), "-f", "jsonl"])
    assert res.exit_code == 0
    assert "broken.txt" in res.stderr and "binary" in res.stderr
    assert len(res.stdout.strip().splitlines()) == 5


def test_cli_missing_input_exits_non_zero(tmp_path):
    res = CliRunner().invoke(app, ["cluster", str(tmp_path / "missing")])
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_cli_compare(seeds_dir):
    a, b = sorted(seeds_dir.iterdir())[:2]
    res = CliRunner().invoke(app, ["compare", str(a), str(b), "--format", "json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["relation"] == "variant" and 0 <= doc["similarity"] <= 1
    res = CliRunner().invoke(app, ["compare", str(seeds_dir / "002_e30e650dcdf6ad1b.txt"), str(seeds_dir / "003_22d8f778421e0631.txt")])
    assert res.stdout.startswith("distinct")


def test_every_command_has_help_and_an_example():
    runner = CliRunner()
    for name, cmd in [(c.name or c.callback.__name__, c) for c in app.registered_commands]:
        res = runner.invoke(app, [name, "--help"])
        assert res.exit_code == 0
        assert "Example" in (cmd.callback.__doc__ or ""), name


def test_compare_duplicate_distinct():
    text = " ".join(SNIPPETS)
    assert compare(text, text).relation == "duplicate"
    assert compare(text, text + " وأضاف أن العمل مستمر").relation == "duplicate"
    assert compare(SNIPPETS[0] * 3, SNIPPETS[3] * 3).relation == "distinct"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6), st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6))
def test_compare_is_symmetric_and_bounded(xs, ys):
    a, b = "\n".join(xs), "\n".join(ys)
    ab, ba = compare(a, b), compare(b, a)
    assert ab.relation == ba.relation
    assert abs(ab.similarity - ba.similarity) < 1e-6
    assert 0.0 <= ab.similarity <= 1.0


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS + ["خبر قصير", ""]), min_size=1, max_size=12))
def test_groups_partition_the_input(texts):
    arts = [Article(str(i), t or "نص") for i, t in enumerate(texts)]
    result = cluster_articles(arts)
    members = [m for g in result.groups for m in g.members]
    assert sorted(members) == list(range(len(arts)))


def test_planted_reposts_recovered_exactly_on_saudinewsnet():
    records = [r for r in saudinewsnet_records(day="2015-07-23") if len(r["content"].split()) > 150]
    rng = random.Random(7)
    originals = rng.sample(records, 40)
    arts = []
    for k, rec in enumerate(originals):
        body = rec["content"]
        arts.append(Article(f"{k}/orig", body, outlet=rec["source"]))
        paras = [p for p in body.split("\n") if p.strip()]
        trimmed = "\n".join(paras[: max(1, int(len(paras) * 0.85))])
        arts.append(Article(f"{k}/repost", "عاجل\n" + trimmed + "\n\nاقرأ أيضا: خبر آخر\n\nكلمات دلالية: " + rec["source"]))
        arts.append(Article(f"{k}/noisy", body.replace("ة", "ه").replace("أ", "ا").replace("ي ", "ى ")))
    result = cluster_articles(arts)
    by_story = {}
    for g in result.groups:
        for m in g.members:
            by_story.setdefault(arts[m].id.split("/")[0], set()).add(tuple(g.members))
    # every planted trio lands in one group, and that group holds nothing else
    for story, groups in by_story.items():
        assert len(groups) == 1, story
        (members,) = groups
        assert {arts[m].id.split("/")[0] for m in members} == {story}


@pytest.mark.slow
def test_same_groups_and_evidence_for_any_number_of_jobs():
    from dedup.engine import processes as parallel
    from dedup.io.formats import to_json

    records = saudinewsnet_records(limit=2600)
    assert len(records) >= parallel.MIN_PARALLEL  # the pool is used for stripping and analyzing

    def articles():
        return [Article(r["id"], r["content"], title=r["title"], outlet=r["source"], published=r["date_extracted"])
                for r in records if r["content"].strip()]

    one, two = cluster_articles(articles(), jobs=1), cluster_articles(articles(), jobs=2)
    assert sum(len(g.members) > 1 for g in one.groups) > 100
    assert to_json(two, explain=True) == to_json(one, explain=True)
    # without the text (what `dedup cluster` does unless --explain): the same groups and
    # pairs, articles keep their metadata and the first line of the clean body
    from dedup.io.formats import to_table

    for jobs in (1, 2):
        light = cluster_articles(articles(), jobs=jobs, keep_text=False)
        assert to_json(light) == to_json(one) and to_table(light) == to_table(one)
        assert all(a.text == "" and not a.kept and not a.removed for a in light.articles)
        assert [a.clean for a in light.articles] == [a.clean.strip().split("\n", 1)[0][:200] for a in one.articles]
        assert not any(v.shared for v in light.verdicts.values() if v.relation != "distinct")
    assert any(v.shared for v in one.verdicts.values() if v.relation != "distinct")


def test_the_garbage_collector_is_off_during_a_job_and_restored_after(seeds_dir):
    import gc

    from dedup.engine import local as pipeline

    seen = []
    real = pipeline._cluster_articles

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    pipeline._cluster_articles = spy
    try:
        assert gc.isenabled()
        cluster(str(seeds_dir))
        assert seen == [False] and gc.isenabled()
        gc.disable()  # a caller that keeps it off finds it off
        cluster(str(seeds_dir))
        assert not gc.isenabled()
    finally:
        gc.enable()
        pipeline._cluster_articles = real


def _records_file(tmp_path, n: int, bad_at: tuple[int, ...]) -> tuple:
    """``n`` SaudiNewsNet records as JSON Lines, with an unreadable line before each of ``bad_at``."""
    records = [r for r in saudinewsnet_records() if r["content"].strip()][:n]
    path = tmp_path / "feed.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for k, r in enumerate(records):
            if k in bad_at:
                fh.write("{not json\n")
            fh.write(json.dumps({"id": r["id"], "content": r["content"], "title": r["title"], "source": r["source"],
                                 "date": r["date_extracted"]}, ensure_ascii=False) + "\n")
    return path, records


@pytest.mark.parametrize("reader", ["processes", "processes, read twice", "this process, read twice"])
@pytest.mark.slow
def test_a_large_input_is_read_twice_in_batches_with_the_same_groups(tmp_path, monkeypatch, reader):
    from dedup.engine import processes as parallel
    from dedup.engine import local as pipeline
    from dedup.io.formats import to_json

    path, records = _records_file(tmp_path, 2600, bad_at=(10, 2300))
    assert len(records) > parallel.MIN_PARALLEL
    monkeypatch.setattr(parallel, "STREAM_BATCH", 50)
    monkeypatch.setattr(pipeline, "PROCESS_PIECE_BYTES", 1 << 18)  # about 80 records a piece
    if "twice" in reader:
        monkeypatch.setattr(parallel, "HOLD_CHARS", 0)
    if reader.startswith("this process"):  # as for a file that cannot be cut in pieces
        monkeypatch.setattr(pipeline, "plan_pieces", lambda paths, size: None)
    in_pieces = []
    monkeypatch.setattr(pipeline, "read_and_analyze", lambda *a, **k: in_pieces.append(1) or parallel.read_and_analyze(*a, **k))
    seen_one, seen_two = [], []
    one = cluster(str(path), jobs=1, keep_text=False, on_problem=seen_one.append)
    ticks: list = []
    # paths given as an iterator: read more than once all the same
    two = cluster(iter([str(path)]), jobs=2, keep_text=False, on_problem=seen_two.append,
                  progress=lambda stage, k, total: ticks.append((stage, k, total)))
    assert "read+strip+analyze+sign" in two.timings and "read+strip+analyze+sign" not in one.timings
    # progress: the first reading counts up (its total unknown), the second toward the total it found
    assert sum(k for stage, k, _ in ticks if stage == "read") == len(records)
    assert {t for stage, _, t in ticks if stage == "analyze"} == {len(records)}
    assert sum(k for stage, k, _ in ticks if stage == "analyze") == len(records)
    assert to_json(two) == to_json(one)
    # each unreadable line reported once, the one past the first batch read included
    assert seen_two == seen_one == two.problems == one.problems
    assert len(two.problems) == 2 and all("feed.jsonl" in p.source for p in two.problems)
    assert [a.id for a in two.articles] == [str(r["id"]) for r in records]
    assert all(a.text == "" for a in two.articles)
    assert in_pieces == ([1] if reader.startswith("processes") else [])


def test_the_second_reading_holds_few_texts_at_once(tmp_path, monkeypatch):
    from dedup.engine import processes as parallel
    from dedup.text.boilerplate import Boilerplate
    from dedup.io.read import read
    from dedup.match.signature import Signer

    path, _ = _records_file(tmp_path, 2400, bad_at=())
    monkeypatch.setattr(parallel, "STREAM_BATCH", 50)
    readings: list[list] = []
    most = [0, 0]

    def reader():
        readings.append([])
        mine, k = readings[-1], len(readings) - 1
        for a in read([str(path)]):
            mine.append(a)  # kept here: an article whose text is still set is held by the job
            most[k] = max(most[k], sum(1 for x in mine if x.text))
            yield a

    articles, done = parallel.stream_and_analyze(reader, Boilerplate(), 5, 4, Signer(128, 1), 2, hold_chars=0)
    assert len(articles) == len(done.analyses) == 2400
    assert most[0] == 2400  # the first reading's texts are never dropped (this test holds them)
    # the second: the batch being read and the batches in flight, no more
    assert 50 <= most[1] <= 2 * parallel.IN_FLIGHT * 50 + 50
    assert all(a.text == "" for a in readings[1]) and articles == readings[1]


def test_an_input_that_changes_between_readings_is_refused(tmp_path):
    import pytest

    from dedup.engine import processes as parallel
    from dedup.text.boilerplate import Boilerplate
    from dedup.io.read import read
    from dedup.io.walk import InputError
    from dedup.match.signature import Signer

    path, _ = _records_file(tmp_path, 300, bad_at=())
    readings = iter([list(read([str(path)])), list(read([str(path)]))[:-1]])
    with pytest.raises(InputError, match="changed while it was read"):
        parallel.stream_and_analyze(lambda: iter(next(readings)), Boilerplate(), 5, 4, Signer(128, 1), 2,
                                    hold_chars=0)


def test_an_input_that_fits_the_hold_is_read_once_with_the_same_analyses(tmp_path, monkeypatch):
    from dedup.engine import processes as parallel
    from dedup.text.boilerplate import Boilerplate
    from dedup.io.read import read
    from dedup.match.signature import Signer

    path, _ = _records_file(tmp_path, 2400, bad_at=())
    monkeypatch.setattr(parallel, "STREAM_BATCH", 50)
    chars = sum(len(a.text) + len(a.title) for a in read([str(path)]))
    results = {}
    for hold in (chars, chars - 1):  # the whole input fits; one character too many: read again
        readings = []

        def reader():
            readings.append(1)
            return read([str(path)])

        articles, done = parallel.stream_and_analyze(reader, Boilerplate(), 5, 4, Signer(128, 1), 2, hold_chars=hold)
        assert len(readings) == (1 if hold == chars else 2)
        assert [a.id for a in articles] == [a.id for a in read([str(path)])]
        assert all(a.text == "" and a.clean for a in articles)  # dropped once analyzed, either way
        results[hold] = (articles, done)
    (a1, d1), (a2, d2) = results[chars], results[chars - 1]
    assert [a.clean for a in a1] == [a.clean for a in a2]  # the same heads kept
    assert np.array_equal(d1.signatures, d2.signatures)
    assert all(np.array_equal(x, y) for x, y in zip(d1.sets, d2.sets))
    assert [an.spans.tolist() for an in d1.analyses] == [an.spans.tolist() for an in d2.analyses]
    assert parallel._FirstReading(10).articles() == []  # nothing read, nothing held


class _ChangesTheInput:
    """A boilerplate cleaner that, once fitted (between the two readings), rewrites the input."""

    def __init__(self, path, change) -> None:
        from dedup.text.boilerplate import Boilerplate

        self.inner, self.path, self.change = Boilerplate(), path, change

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def fit_counts(self, counts):
        self.change(self.path)
        self.inner.fit_counts(counts)
        return self


@pytest.mark.parametrize("change", ["drop a line", "rename an id"])
def test_an_input_read_in_pieces_that_changes_between_readings_is_refused(tmp_path, change):
    from dedup.engine import processes as parallel
    from dedup.io.fields import FieldMap
    from dedup.io.pieces import plan_pieces
    from dedup.io.walk import InputError
    from dedup.match.signature import Signer

    path, records = _records_file(tmp_path, 300, bad_at=())
    original = path.read_bytes()

    def rewrite(p):
        lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
        if change == "drop a line":
            lines = lines[:-1]
        else:  # the same number of bytes: the pieces' ranges still fall on whole lines
            r = json.loads(lines[5])
            lines[5] = json.dumps({**r, "id": int("9" * len(str(r["id"])))}, ensure_ascii=False) + "\n"
        p.write_text("".join(lines), encoding="utf-8")

    def run(**kw):
        pieces = plan_pieces([str(path)], 1 << 16)
        assert len(pieces) > 3
        return parallel.read_and_analyze(pieces, FieldMap(), lambda p: None, _ChangesTheInput(path, rewrite), 5, 4,
                                         Signer(128, 1), 2, **kw)

    held, _ = run()  # held (the default for an input this small): read once, the change not seen
    assert [a.id for a in held] == [str(r["id"]) for r in records] and path.read_bytes() != original
    path.write_bytes(original)
    with pytest.raises(InputError, match="changed while it was read"):
        run(hold_chars=0)


@pytest.mark.slow
def test_a_large_folder_read_in_pieces_by_the_processes_gives_the_one_job_groups(tmp_path, monkeypatch):
    from dedup.engine import processes as parallel
    from dedup.engine import local as pipeline
    from dedup.io.formats import to_json

    folder = tmp_path / "articles"
    folder.mkdir()
    records = [r for r in saudinewsnet_records() if r["content"].strip()][:2300]
    for k, r in enumerate(records):
        (folder / f"{k:05d}.txt").write_text(r["content"], encoding="utf-8")
    (folder / "00100-empty.txt").write_bytes(b"")  # reported by the process that reads it, in order
    in_pieces = []
    monkeypatch.setattr(pipeline, "read_and_analyze", lambda *a, **k: in_pieces.append(1) or parallel.read_and_analyze(*a, **k))
    seen_one, seen_two = [], []
    one = cluster(str(folder), jobs=1, keep_text=False, on_problem=seen_one.append)
    two = cluster(str(folder), jobs=2, keep_text=False, on_problem=seen_two.append)
    assert in_pieces == [1]  # only the two-job run, in pieces of 200 files
    assert to_json(two) == to_json(one)
    assert seen_two == seen_one and [p.source for p in seen_two] == ["00100-empty.txt"]
    assert [a.id for a in two.articles] == [a.id for a in one.articles] and len(two.articles) == 2300
