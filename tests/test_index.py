"""The index against a real SQLite file and a real Redis server."""

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from dedup import Article, read
from dedup.cli import app
from dedup.match.compare import compare_articles
from dedup.index.entries import IndexSettings
from dedup.index.index import Index
from dedup.index.store import IndexError_, IndexUnavailable

from .conftest import saudinewsnet_records
from .redis_server import RedisServer

BODY = ("أعلنت وزارة الصحة تسجيل إصابات جديدة بالفيروس في مدينة الرياض خلال الأسبوع الماضي وقال المتحدث باسم الوزارة "
        "إن الفرق الطبية تتابع الحالات عن قرب في المستشفيات وأكدت الوزارة أن الوضع تحت السيطرة ولا داعي للقلق بين السكان "
        "وأضاف أن حملة التطعيم ستبدأ الأسبوع المقبل في جميع المراكز الصحية")


#: The seeds' verdicts added in file order (../shared/seeds/SOURCE.md: 000, 001 and 004 are one
#: story, 002 and 003 two others), as `dedup compare` decides each pair.
SEED_VERDICTS = [("new", None), ("variant", "000_fd40320715479528.txt"), ("new", None), ("new", None),
                 ("variant", "000_fd40320715479528.txt")]


def test_seeds_verdicts(location, seeds_dir):
    arts = list(read([str(seeds_dir)]))
    with Index.open(location, create=True) as ix:
        first = ix.add_many(arts)
        assert [(v.verdict, v.of) for v in first] == SEED_VERDICTS
        again = ix.check_many(list(read([str(seeds_dir)])))
        # the same ids with the same text: their stored verdicts, marked as replays
        assert [(v.verdict, v.of, v.replay) for v in again] == [(*s, True) for s in SEED_VERDICTS]
        copies = ix.check_many([Article(f"copy-{a.id}", a.text) for a in arts])
        assert [(v.verdict, v.of) for v in copies] == [("duplicate", a.id) for a in arts]
        assert ix.stats()["documents"] == 5
    # a repost with other boilerplate and a trimmed tail is a duplicate of the original
    text = (seeds_dir / "001_c3ae010b9f71aa12.txt").read_text(encoding="utf-8")
    repost = Article("repost", "عاجل\n" + text[: int(len(text) * 0.6)] + "\n\nاقرأ أيضا: خبر آخر")
    with Index.open(location) as ix:
        v = ix.check(repost)
        assert (v.verdict, v.of) == ("duplicate", "001_c3ae010b9f71aa12.txt")
        assert ix.stats()["documents"] == 5  # check changes nothing


def test_saudinewsnet_reposts_found(location):
    records = [r for r in saudinewsnet_records(day="2015-07-22") if len(r["content"].split()) > 80][:300]
    arts = [Article(str(r["id"]), r["content"], title=r["title"], outlet=r["source"]) for r in records]
    with Index.open(location, create=True) as ix:
        ix.add_many(arts)
        reposts = [Article(f"re-{a.id}", "المصدر: وكالات\n" + a.text.replace("ة ", "ه "), outlet="other") for a in arts[:50]]
        verdicts = ix.check_many(reposts)
    assert all(v.verdict == "duplicate" for v in verdicts)
    # the original or an identical earlier copy of it (SaudiNewsNet has real cross-outlet reposts)
    same = sum(v.of == a.id for v, a in zip(verdicts, arts[:50]))
    assert same >= 45


#: One report written twice: `dedup compare` calls them variants (facts 0.41, cosine 0.45).
STORY = ("أعلنت وزارة الصحة تسجيل إصابات جديدة بالفيروس في مدينة الرياض خلال الأسبوع الماضي. وقال المتحدث باسم "
         "الوزارة إن الفرق الطبية تتابع الحالات عن قرب في المستشفيات. وأكدت الوزارة أن الوضع تحت السيطرة ولا داعي "
         "للقلق بين السكان. وأضاف أن حملة التطعيم ستبدأ الأسبوع المقبل في جميع المراكز الصحية.")
RETOLD = ("قالت وزارة الصحة إنها سجلت إصابات جديدة بالفيروس في الرياض الأسبوع الماضي. وأكدت أن الوضع تحت "
          "السيطرة وأن الفرق الطبية تتابع الحالات في المستشفيات. وأشارت إلى بدء حملة التطعيم في المراكز الصحية "
          "الأسبوع المقبل.")


def test_variant_joins_the_group(location):
    a = Article("a", STORY, published="2015-08-02")
    b = Article("b", RETOLD, published="2015-08-02")
    far = Article("c", b.text, published="2015-09-20")
    with Index.open(location, create=True) as ix:
        ix.add(a)
        v = ix.check(b)
        assert v.verdict == "variant" and v.of == "a"
        assert v.similarity == pytest.approx(compare_articles(Article("b", RETOLD, published="2015-08-02"),
                                                              Article("a", STORY, published="2015-08-02")).similarity)
        assert ix.check(far).verdict == "new"  # weeks apart: not the same event


def test_incompatible_settings_refused(location):
    Index.open(location, IndexSettings(num_perm=128), create=True).close()
    with pytest.raises(IndexError_, match="num_perm: index has 128, asked for 64"):
        Index.open(location, IndexSettings(num_perm=64))
    with pytest.raises(IndexError_, match="seed"):
        Index.open(location, IndexSettings(seed=7))
    with pytest.raises(IndexError_, match="normalization"):
        Index.open(location, IndexSettings(normalization="0:0000000000000"))
    Index.open(location, IndexSettings()).close()  # the same settings open fine


def test_an_index_made_with_the_earlier_word_hash_is_refused(tmp_path):
    # indexes stored before the word hash was recorded hashed words with xxh3 of their UTF-8
    path = str(tmp_path / "old.sqlite")
    Index.open(path, create=True).close()
    from dedup.index.sqlite import SqliteStore

    store = SqliteStore(path)
    meta = store.get_meta()
    del meta["settings"]["word_hash"]
    store.set_meta(meta)
    store.close()
    with pytest.raises(IndexError_, match="word_hash: index has 'xxh3-utf8'"):
        Index.open(path, IndexSettings())


def test_missing_index(tmp_path):
    with pytest.raises(IndexError_, match="no index here"):
        Index.open(str(tmp_path / "none.sqlite"))


def test_remove_and_prune_by_age(location, monkeypatch):
    import dedup.index.index as index_module

    clock = [1_000_000.0]
    monkeypatch.setattr(index_module.time, "time", lambda: clock[0])
    with Index.open(location, create=True) as ix:
        ix.add(Article("old", BODY))
        clock[0] += 40 * 86400
        ix.add(Article("recent", BODY + " وتابع أن العمل مستمر في كل المناطق بلا توقف حتى انتهاء الأزمة الصحية تماما"))
        assert ix.prune(keep_days=30) == 1
        assert ix.stats()["documents"] == 1
        assert ix.check(Article("x", BODY)).of == "recent"
        assert ix.remove(["recent", "nope"]) == 1
        assert ix.check(Article("x", BODY)).verdict == "new"


def _add_worker(location: str, start: int, n: int, same: bool, out) -> None:
    arts = [Article(f"w{start}-{i}", f"{BODY} رقم {start + i} " + " ".join(f"كلمة{start + i}x{k}" for k in range(40))) for i in range(n)]
    if same:
        arts = [Article(f"w{start}-same", BODY)]
    try:
        with Index.open(location) as ix:
            verdicts = []
            for a in arts:
                verdicts.append(ix.add(a).verdict)
        out.put((start, verdicts, None))
    except Exception as exc:  # reported to the test, which fails on it
        out.put((start, None, repr(exc)))


def _run_workers(location: str, starts, n: int, same: bool) -> list:
    """Run ``_add_worker`` in separate processes at once; every worker must succeed."""
    Index.open(location, create=True).close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_add_worker, args=(location, s, n, same, out)) for s in starts]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    assert all(err is None for _, _, err in results), results
    return results


def test_concurrent_writers(location):
    _run_workers(location, (0, 1000), 40, same=False)
    with Index.open(location) as ix:
        assert ix.stats()["documents"] == 80


@pytest.mark.slow
def test_concurrent_workers_do_not_double_insert_one_story(location):
    results = _run_workers(location, range(4), 1, same=True)
    verdicts = sorted(v for _, vs, _ in results for v in vs)
    assert verdicts == ["duplicate", "duplicate", "duplicate", "new"]


KILL_SCRIPT = """
import sys
from dedup import Article
from dedup.index.index import Index
ix = Index.open(sys.argv[1])
n = 0
while True:
    arts = [Article(f"k{n}-{i}", f"نص رقم {n} {i} " + " ".join(f"كلمة{n}x{i}x{k}" for k in range(30))) for i in range(50)]
    ix.add_many(arts, batch=50)
    n += 1
    print(n * 50, flush=True)
"""


def test_kill_9_during_a_large_add_leaves_a_consistent_index(tmp_path):
    path = str(tmp_path / "crash.sqlite")
    Index.open(path, create=True).close()
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, path], stdout=subprocess.PIPE, text=True)
    acknowledged = 0
    while acknowledged < 600:
        acknowledged = int(proc.stdout.readline())
    time.sleep(0.05)  # let it be in the middle of the next batch
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Index.open(path) as ix:
        docs = ix.stats()["documents"]
        assert docs >= acknowledged and docs % 50 == 0  # every acknowledged batch, no half batch
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        orphans = db.execute("SELECT COUNT(*) FROM bands WHERE rid NOT IN (SELECT rid FROM docs)").fetchone()[0]
        assert orphans == 0
        first = Article("k0-0", "نص رقم 0 0 " + " ".join(f"كلمة0x0x{k}" for k in range(30)))
        assert ix.check(first).as_dict() == {"id": "k0-0", "verdict": "new", "of": None, "group": "k0-0",
                                             "similarity": 0.0, "replay": True}
        assert ix.check(Article("again", first.text)).verdict == "duplicate"


@pytest.mark.redis
def test_redis_restart_mid_run_keeps_acknowledged_writes(tmp_path):
    server = RedisServer(tmp_path / "r").start()
    location = f"{server.url}?prefix=restart"
    try:
        ix = Index.open(location, create=True)
        first = [Article(f"a{i}", f"{BODY} {i} " + " ".join(f"س{i}x{k}" for k in range(30))) for i in range(30)]
        ix.add_many(first)
        server.stop()
        with pytest.raises(IndexUnavailable, match="cannot reach the Redis server"):
            ix.add(Article("lost", BODY + " غير مسجل"))
        server.start()  # same port, same append-only file
        assert ix.stats()["documents"] == 30  # reconnected; nothing acknowledged was lost
        assert ix.check(Article("copy", first[7].text)).of == "a7"
        ix.close()
    finally:
        server.stop()


def test_cli_index_roundtrip_and_filter(tmp_path, seeds_dir, monkeypatch):
    runner = CliRunner()
    path = str(tmp_path / "cli.sqlite")
    assert runner.invoke(app, ["index", "create", path]).exit_code == 0
    res = runner.invoke(app, ["index", "add", path, str(seeds_dir)])
    assert res.exit_code == 0 and [(json.loads(l)["verdict"], json.loads(l)["of"]) for l in res.stdout.splitlines()
                                   ] == SEED_VERDICTS
    res = runner.invoke(app, ["index", "check", path, str(seeds_dir)])
    assert [(json.loads(l)["verdict"], json.loads(l)["replay"]) for l in res.stdout.splitlines()
            ] == [(v, True) for v, _ in SEED_VERDICTS]
    assert json.loads(runner.invoke(app, ["index", "stats", path, "--format", "json"]).stdout)["documents"] == 5
    res = runner.invoke(app, ["index", "create", path, "--num-perm", "64"])
    assert res.exit_code == 3 and "incompatible" in res.stderr
    feed = "\n".join([
        json.dumps({"id": "n1", "text": BODY}, ensure_ascii=False),
        "{broken",
        json.dumps({"id": "n2", "text": BODY}, ensure_ascii=False),
        json.dumps({"id": "n3", "text": (seeds_dir / "003_22d8f778421e0631.txt").read_text(encoding="utf-8")}, ensure_ascii=False),
    ]) + "\n"
    side = tmp_path / "decisions.jsonl"
    res = runner.invoke(app, ["filter", "--index", path, "--decisions", str(side)], input=feed)
    assert res.exit_code == 0, res.output
    assert [json.loads(l)["id"] for l in res.stdout.splitlines()] == ["n1"]
    decisions = [json.loads(l) for l in side.read_text(encoding="utf-8").splitlines()]
    assert [(d["line"], d["verdict"]) for d in decisions] == [(1, "new"), (2, "unreadable"), (3, "duplicate"),
                                                             (4, "duplicate")]
    assert runner.invoke(app, ["index", "remove", path, "n1"]).exit_code == 0
    assert runner.invoke(app, ["index", "prune", path, "--keep-days", "0"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["index", "stats", path, "--format", "json"]).stdout)["documents"] == 0
    res = runner.invoke(app, ["index", "stats", "redis://127.0.0.1:1/0"])
    assert res.exit_code in (3, 4)


def test_candidates_capped_to_those_sharing_most_buckets():
    from dedup.index.index import _closest

    buckets = [["a", "b", "c"], ["b", "c"], ["c"], ["d"]]
    assert _closest(buckets, limit=2) == ["b", "c"]  # c in 3 buckets, b in 2
    assert _closest(buckets, limit=10) == ["a", "b", "c", "d"]
    many = [[f"id{k:04d}" for k in range(500)], ["id0499", "id0007"]]
    top = _closest(many, limit=100)
    assert len(top) == 100 and {"id0499", "id0007"} <= set(top)
