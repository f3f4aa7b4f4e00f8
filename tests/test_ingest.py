"""Ingestion that survives interruptions: replays, conflicts, kill -9 of real `dedup` processes,
broken pipes, full disks, read-only and foreign files, and clear errors from Redis."""

import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dedup import Article
from dedup.cli import app
from dedup.index.index import Index
from dedup.index.store import IndexFull, IndexReadOnly

from .conftest import saudinewsnet_records
from .redis_server import RedisServer

DEDUP = [sys.executable, "-m", "dedup"]
BODY = ("أعلنت وزارة الصحة تسجيل إصابات جديدة بالفيروس في مدينة الرياض خلال الأسبوع الماضي وقال المتحدث باسم الوزارة "
        "إن الفرق الطبية تتابع الحالات عن قرب في المستشفيات وأكدت الوزارة أن الوضع تحت السيطرة ولا داعي للقلق بين السكان")
OTHER = "هطلت أمطار غزيرة على مدينة جدة صباح اليوم وأعلنت الأرصاد الجوية استمرار الحالة الماطرة حتى نهاية الأسبوع المقبل"


def _records(n: int, day: str = "2015-08-06") -> list[dict]:
    return [r for r in saudinewsnet_records(day=day) if r["content"].strip()][:n]


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _articles(records: list[dict]) -> list[Article]:
    return [Article(str(r["id"]), r["content"], title=r["title"], outlet=r["source"]) for r in records]


def _decision(d: dict) -> tuple:
    return d["id"], d["verdict"], d["of"], d["group"], d["similarity"]


def _contents(path: str) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return sorted(db.execute("SELECT id, grp, content, verdict FROM docs"))
    finally:
        db.close()


# -- replay and conflict ------------------------------------------------------------------

def test_a_replay_gets_the_stored_verdicts_and_writes_nothing(location):
    arts = _articles(_records(300))
    with Index.open(location, create=True) as ix:
        first = ix.add_many(arts, batch=100)
        assert {v.verdict for v in first} >= {"new", "duplicate"}
        docs = ix.stats()["documents"]
        again = ix.add_many(_articles(_records(300)), batch=70)  # other batches, same articles
        assert [v.as_dict() for v in again] == [{**v.as_dict(), "replay": True} for v in first]
        assert not any(v.of == v.id for v in again)  # never "a duplicate of itself"
        assert ix.stats()["documents"] == docs
        # the same within one batch: the second sighting is the first's verdict
        pair = ix.add_many([Article("twice", OTHER), Article("twice", " ".join(OTHER.split()) + "\n")])
        assert [(v.verdict, v.replay) for v in pair] == [("new", False), ("new", True)]


def test_another_text_under_a_recorded_id_is_a_conflict_never_recorded(location):
    with Index.open(location, create=True) as ix:
        ix.add(Article("x", BODY))
        v = ix.add(Article("x", OTHER))
        assert (v.verdict, v.group) == ("conflict", "x")
        assert ix.stats()["documents"] == 1
        assert ix.add(Article("x", BODY)).as_dict()["replay"] is True  # the recorded one still replays
        # in one batch too: the first is recorded, the second is a conflict
        vs = ix.add_many([Article("y", OTHER), Article("y", BODY + " وتابع")])
        assert [v.verdict for v in vs] == ["new", "conflict"]


def test_an_index_of_format_1_opens_and_is_migrated(tmp_path):
    path = str(tmp_path / "old.sqlite")
    with Index.open(path, create=True) as ix:
        ix.add_many([Article("a", BODY), Article("b", BODY), Article("c", OTHER)])
    db = sqlite3.connect(path, isolation_level=None)  # what a format 1 index holds
    db.execute("ALTER TABLE docs DROP COLUMN content")
    db.execute("ALTER TABLE docs DROP COLUMN verdict")
    meta = json.loads(db.execute("SELECT value FROM meta").fetchone()[0])
    db.execute("UPDATE meta SET value=?", (json.dumps({**meta, "format": 1}),))
    db.close()
    with Index.open(path, write=False) as ix:  # read-only: not migrated, still answers
        assert ix.check(Article("a", BODY)).verdict == "new"
    assert "content" not in {r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(docs)")}
    with Index.open(path) as ix:
        vs = ix.add_many([Article("a", BODY), Article("b", BODY), Article("d", OTHER + " وأضاف")])
        assert [(v.verdict, v.of, v.replay) for v in vs] == [("new", None, True), ("recorded", "a", True),
                                                              ("duplicate", "c", False)]
        assert ix.add(Article("d", OTHER + " وأضاف")).replay
    db = sqlite3.connect(path)
    assert json.loads(db.execute("SELECT value FROM meta").fetchone()[0])["format"] == 3  # migrated to the current format


# -- kill -9 and re-run, real processes -------------------------------------------------------

def _kill_after(cmd: list[str], lines: int, **kw) -> tuple[list[str], subprocess.Popen]:
    """Start ``cmd``, read ``lines`` lines of its stdout, kill it with SIGKILL; every line it printed."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    got = []
    while len(got) < lines:
        line = proc.stdout.readline()
        assert line, f"ended before {lines} lines: {proc.stderr.read().decode()}"
        got.append(line.decode())
    os.kill(proc.pid, signal.SIGKILL)
    rest = list(proc.stdout)  # what it had written before dying
    if rest and not rest[-1].endswith(b"\n"):
        rest.pop()  # killed in the middle of a write: a last line cut short (maybe inside a character)
    got += [line.decode() for line in rest]
    proc.wait()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return got, proc


@pytest.mark.slow
def test_index_add_killed_then_rerun_gives_the_uninterrupted_verdicts(tmp_path):
    n = 600
    feed = _jsonl(tmp_path / "feed.jsonl", _records(n))
    fresh, crashed = str(tmp_path / "fresh.sqlite"), str(tmp_path / "crashed.sqlite")
    for path in (fresh, crashed):
        subprocess.run(DEDUP + ["index", "create", path], check=True, capture_output=True)
    cmd = ["index", "add", "--batch", "100"]
    whole = subprocess.run(DEDUP + cmd + [fresh, str(feed)], capture_output=True, check=True).stdout.decode()
    expected = {d["id"]: _decision(d) for d in map(json.loads, whole.splitlines())}
    assert len(expected) == n

    first, _ = _kill_after(DEDUP + cmd + [crashed, str(feed)], lines=300)  # 3 batches printed
    assert 300 <= len(first) < n
    second = subprocess.run(DEDUP + cmd + [crashed, str(feed)], capture_output=True, check=True).stdout.decode()
    printed = [json.loads(l) for l in first] + [json.loads(l) for l in second.splitlines()]
    combined = {d["id"]: _decision(d) for d in printed}  # the later run wins
    assert combined == expected
    rerun = [json.loads(l) for l in second.splitlines()]
    assert sum(d.get("replay", False) for d in rerun) >= 300  # the recorded batches were replayed
    assert not any(d["of"] == d["id"] for d in printed)
    assert _contents(crashed) == _contents(fresh)


@pytest.mark.slow
def test_filter_killed_then_rerun_passes_on_every_new_record(tmp_path):
    n = 500
    records = _records(n)
    feed = tmp_path / "feed.jsonl"
    _jsonl(feed, records)
    with feed.open("ab") as fh:  # and two lines no run can read
        fh.write(b"{broken\n" + b"[" * 200_000 + b"\n")

    def run(index: str, side: Path):
        return DEDUP + ["filter", "--index", index, "--decisions", str(side), "--batch", "100"], feed.open("rb")

    cmd, stdin = run(str(tmp_path / "fresh.sqlite"), tmp_path / "fresh.jsonl")
    whole = subprocess.run(cmd, stdin=stdin, capture_output=True, check=True).stdout.decode().splitlines()
    assert 0 < len(whole) < n
    cmd, stdin = run(str(tmp_path / "crashed.sqlite"), tmp_path / "crashed.jsonl")
    first, _ = _kill_after(cmd, lines=len(whole) // 3, stdin=stdin)
    cmd, stdin = run(str(tmp_path / "crashed.sqlite"), tmp_path / "crashed.jsonl")
    second = subprocess.run(cmd, stdin=stdin, capture_output=True, check=True).stdout.decode().splitlines()
    assert set(l.rstrip("\n") for l in first) | set(second) == set(whole)
    assert second == whole  # the re-run passes on every new one again (at least once)

    expected = {}
    for d in map(json.loads, (tmp_path / "fresh.jsonl").read_text(encoding="utf-8").splitlines()):
        expected[d["line"]] = (d["verdict"], d.get("of"), d.get("group"))
    decided = {}
    for d in map(json.loads, (tmp_path / "crashed.jsonl").read_text(encoding="utf-8").splitlines()):
        decided[d["line"]] = (d["verdict"], d.get("of"), d.get("group"))
    assert decided == expected and sorted(decided) == list(range(1, n + 3))
    assert expected[n + 1][0] == expected[n + 2][0] == "unreadable"
    assert _contents(str(tmp_path / "crashed.sqlite")) == _contents(str(tmp_path / "fresh.sqlite"))


@pytest.mark.slow
def test_filter_with_stdout_closed_fails_clearly_and_the_rerun_passes_the_batch_on(tmp_path):
    n = 600
    feed = _jsonl(tmp_path / "feed.jsonl", _records(n))
    index, side = str(tmp_path / "i.sqlite"), tmp_path / "side.jsonl"
    cmd = DEDUP + ["filter", "--index", index, "--decisions", str(side), "--batch", "50"]
    with feed.open("rb") as stdin:
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()
        proc.stdout.close()  # the reader goes away
        err = proc.stderr.read().decode()
        proc.wait(60)
    assert proc.returncode == 1, err
    assert "cannot write to standard output (Broken pipe)" in err and "re-run the same input" in err
    assert "Traceback" not in err
    decided = [json.loads(l) for l in side.read_text(encoding="utf-8").splitlines()]
    lost = [d["id"] for d in decided[-50:] if d["verdict"] == "new"]  # the batch recorded, never received
    assert lost and len(decided) < n
    with Index.open(index, write=False) as ix:
        assert ix.stats()["documents"] >= len(decided)
    with feed.open("rb") as stdin:
        again = subprocess.run(cmd, stdin=stdin, capture_output=True, check=True).stdout.decode().splitlines()
    passed = {str(json.loads(l)["id"]) for l in again}
    assert set(lost) <= passed and str(json.loads(first)["id"]) in passed


def test_filter_reads_a_bad_byte_and_a_deep_line_and_goes_on(tmp_path):
    lines = [json.dumps({"id": "a", "text": BODY}, ensure_ascii=False).encode(),
             b'{"id": "b", "text": "\xff ' + OTHER.encode() + b'"}',
             b"[" * 200_000,
             json.dumps({"id": "c", "text": OTHER + " وتابع الناطق أن الأمطار ستستمر"}, ensure_ascii=False).encode()]
    side = tmp_path / "side.jsonl"
    res = subprocess.run(DEDUP + ["filter", "-i", str(tmp_path / "i.sqlite"), "--decisions", str(side)],
                         input=b"\n".join(lines) + b"\n", capture_output=True)
    assert res.returncode == 0, res.stderr.decode()
    out = [json.loads(l) for l in res.stdout.decode().splitlines()]
    assert [o["id"] for o in out] == ["a", "b"] and out[1]["text"].startswith("\ufffd ")
    decisions = [json.loads(l) for l in side.read_text(encoding="utf-8").splitlines()]
    assert [(d["line"], d["verdict"]) for d in decisions] == [(1, "new"), (2, "new"), (3, "unreadable"), (4, "duplicate")]
    assert decisions[1]["repaired"] == ["invalid UTF-8 bytes replaced by U+FFFD"]
    assert "nested more than 64 levels" in decisions[2]["problem"]
    assert "stdin:2 with a fault repaired" in res.stderr.decode()


def test_filter_reports_a_conflict_and_does_not_pass_it_on(tmp_path):
    feed = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in
                   [{"id": "x", "text": BODY}, {"id": "x", "text": OTHER}, {"id": "y", "text": OTHER}])
    side = tmp_path / "side.jsonl"
    res = CliRunner().invoke(app, ["filter", "-i", str(tmp_path / "i.sqlite"), "--decisions", str(side)], input=feed)
    assert res.exit_code == 0, res.output
    assert [json.loads(l)["id"] for l in res.stdout.splitlines()] == ["x", "y"]
    assert [json.loads(l)["verdict"] for l in side.read_text().splitlines()] == ["new", "conflict", "new"]
    assert "id x is already recorded with other text (conflict)" in res.stderr


@pytest.mark.slow
def test_index_add_prints_each_batch_as_it_is_committed(tmp_path):
    n = 600
    feed = _jsonl(tmp_path / "feed.jsonl", _records(n))
    index = str(tmp_path / "i.sqlite")
    subprocess.run(DEDUP + ["index", "create", index], check=True, capture_output=True)
    proc = subprocess.Popen(DEDUP + ["index", "add", "--batch", "100", index, str(feed)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    ids = [json.loads(proc.stdout.readline())["id"] for _ in range(100)]
    running = proc.poll() is None  # the first batch came while 5 were still to do
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    committed = db.execute(f"SELECT COUNT(*) FROM docs WHERE id IN ({','.join('?' * 100)})", ids).fetchone()[0]
    db.close()
    rest = proc.stdout.read().splitlines()
    proc.wait(60)
    assert running and committed == 100 and len(rest) == n - 100


# -- clear failures; nothing written to what is not ours ------------------------------------------

@contextmanager
def _tmpfs(folder: Path, size: str):
    folder.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a small file system here ({res.stderr.decode().strip()}); needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.mark.slow
def test_a_full_disk_is_said_and_keeps_what_was_recorded(tmp_path):
    records = _records(3000)
    with _tmpfs(tmp_path / "small", "1m") as disk:
        index = str(disk / "i.sqlite")
        feed = _jsonl(tmp_path / "feed.jsonl", records)  # the input on the big disk
        subprocess.run(DEDUP + ["index", "create", index], check=True, capture_output=True)
        res = subprocess.run(DEDUP + ["index", "add", "--batch", "50", index, str(feed)], capture_output=True)
        err = res.stderr.decode()
        assert res.returncode == 7, err
        assert "disk full; nothing of this batch was recorded" in err and "Traceback" not in err
        printed = res.stdout.decode().splitlines()
        assert 0 < len(printed) < 3000 and len(printed) % 50 == 0
        db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM docs").fetchone()[0] == len(printed)
        db.close()
        with pytest.raises(IndexFull, match="disk full"):
            with Index.open(index) as ix:
                ix.add_many(_articles(records[len(printed):]), batch=50)


def test_a_read_only_index_is_read_for_check_and_stats_and_said_read_only_for_add(tmp_path, seeds_dir):
    with _tmpfs(tmp_path / "ro", "4m") as folder:
        index = str(folder / "i.sqlite")
        runner = CliRunner()
        assert runner.invoke(app, ["index", "add", index, str(seeds_dir)]).exit_code == 3  # not created
        assert runner.invoke(app, ["index", "create", index]).exit_code == 0
        assert runner.invoke(app, ["index", "add", index, str(seeds_dir)]).exit_code == 0
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        res = runner.invoke(app, ["index", "stats", index, "--format", "json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["documents"] == 5 and json.loads(res.stdout)["read_only"] is True
        res = runner.invoke(app, ["index", "check", index, str(seeds_dir)])
        assert res.exit_code == 0 and len(res.stdout.splitlines()) == 5
        for args in (["index", "add", index, str(seeds_dir)], ["index", "prune", index, "--keep-days", "1"],
                     ["index", "remove", index, "x"]):
            res = runner.invoke(app, args)
            assert res.exit_code == 3 and "read-only" in res.stderr, (args, res.output)
        res = runner.invoke(app, ["filter", "-i", index, "--decisions", str(tmp_path / "d.jsonl")], input="")
        assert res.exit_code == 3 and "read-only" in res.stderr
        with pytest.raises(IndexReadOnly):
            Index.open(index)


def test_another_applications_database_is_refused_untouched(tmp_path, seeds_dir):
    path = tmp_path / "app.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (name TEXT)")
    db.execute("INSERT INTO users VALUES ('x')")
    db.commit()
    db.close()
    before = path.read_bytes()
    runner = CliRunner()
    for args in (["index", "add", str(path), str(seeds_dir)], ["index", "check", str(path), str(seeds_dir)],
                 ["index", "stats", str(path)], ["index", "create", str(path)], ["index", "prune", str(path), "--keep-days", "1"],
                 ["filter", "-i", str(path), "--decisions", str(tmp_path / "d.jsonl")]):
        res = runner.invoke(app, args, input="")
        assert res.exit_code == 3, (args, res.output)
        assert "not a dedup index: an SQLite database of another application (tables users)" in res.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]  # no -wal, no -shm, no decisions
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_mistyped_index_path_creates_nothing(tmp_path, seeds_dir):
    runner = CliRunner()
    missing = tmp_path / "typo.sqlite"
    for args in (["index", "add", str(missing), str(seeds_dir)], ["index", "check", str(missing), str(seeds_dir)],
                 ["index", "stats", str(missing)], ["index", "remove", str(missing), "x"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 3 and "no index here" in res.stderr, res.output
    assert list(tmp_path.iterdir()) == []
    assert runner.invoke(app, ["filter", "-i", str(missing), "--decisions", str(tmp_path / "d")], input="").exit_code == 0
    assert missing.exists()  # filter creates its index


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "-inf"])
def test_keep_days_must_be_a_number_of_days(tmp_path, seeds_dir, value):
    index = str(tmp_path / "i.sqlite")
    runner = CliRunner()
    runner.invoke(app, ["index", "create", index])
    for args in (["index", "prune", index, "--keep-days", value], ["index", "add", index, str(seeds_dir), "--keep-days", value]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert f"got {float(value)}" in res.stderr and "Traceback" not in res.output
    with Index.open(index) as ix:
        assert ix.stats()["documents"] == 0  # add refused before adding
        with pytest.raises(ValueError, match="keep_days must be a number of days >= 0, got nan"):
            ix.prune(math.nan)


# -- Redis: clear errors -----------------------------------------------------------------

@pytest.mark.redis
def test_redis_out_of_memory_is_said_with_its_exit_code(tmp_path):
    server = RedisServer(tmp_path / "r")
    server.start()
    try:
        import redis

        r = redis.Redis(port=server.port)
        r.config_set("maxmemory", r.info("memory")["used_memory"] + 2_000_000)
        r.config_set("maxmemory-policy", "noeviction")
        feed = _jsonl(tmp_path / "feed.jsonl", _records(1500))
        url = f"{server.url}?prefix=oom"
        subprocess.run(DEDUP + ["index", "create", url], check=True, capture_output=True)
        res = subprocess.run(DEDUP + ["index", "add", "--batch", "50", url, str(feed)], capture_output=True)
        err = res.stderr.decode()
        assert res.returncode == 7, err
        assert "the Redis server is out of memory (maxmemory); nothing of this batch was recorded" in err
        assert "Traceback" not in err
        printed = len(res.stdout.decode().splitlines())
        assert 0 < printed < 1500 and r.zcard("oom:added") == printed  # whole batches only
    finally:
        server.stop()


def test_redis_wrong_database_or_not_a_redis_server(redis_server):
    res = CliRunner().invoke(app, ["index", "stats", redis_server.url.rsplit("/", 1)[0] + "/99"])
    assert res.exit_code == 3 and "has no database 99" in res.stderr, res.output
    with socket.socket() as listener:  # a server that speaks something else
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def answer():
            conn, _ = listener.accept()
            conn.recv(1000)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            conn.close()

        threading.Thread(target=answer, daemon=True).start()
        res = CliRunner().invoke(app, ["index", "stats", f"redis://127.0.0.1:{listener.getsockname()[1]}/0"])
    assert res.exit_code == 4, res.output
    assert "not a Redis server" in res.stderr or "cannot reach the Redis server" in res.stderr
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_a_redis_index_of_format_1_opens_and_replays(redis_server):
    url = f"{redis_server.url}?prefix=old{time.time_ns()}"
    with Index.open(url, create=True) as ix:
        ix.add_many([Article("a", BODY), Article("b", BODY)])
        r, prefix = ix.store.r, ix.store.prefix
    for ident in ("a", "b"):  # what format 1 kept of an article
        r.hdel(f"{prefix}:doc:{ident}", "content", "verdict")
    meta = json.loads(r.get(f"{prefix}:meta"))
    r.set(f"{prefix}:meta", json.dumps({**meta, "format": 1}))
    with Index.open(url) as ix:
        vs = ix.add_many([Article("a", BODY), Article("b", BODY), Article("c", OTHER)])
        assert [(v.verdict, v.of, v.replay) for v in vs] == [("new", None, True), ("recorded", "a", True),
                                                              ("new", None, False)]
    assert json.loads(r.get(f"{prefix}:meta"))["format"] == 3  # migrated to the current format
    r.set(f"{prefix}:meta", "not json")
    res = CliRunner().invoke(app, ["index", "stats", url])
    assert res.exit_code == 3 and "not a dedup index" in res.stderr


@pytest.mark.slow
def test_filter_with_a_full_decisions_disk_fails_clearly_and_the_rerun_passes_on(tmp_path):
    feed = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records(200))
    index = str(tmp_path / "i.sqlite")
    with _tmpfs(tmp_path / "small", "64k") as disk:
        (disk / "filler").write_bytes(b"x" * (60 << 10))
        res = subprocess.run(DEDUP + ["filter", "-i", index, "--decisions", str(disk / "d.jsonl"), "--batch", "50"],
                             input=feed.encode(), capture_output=True)
    err = res.stderr.decode()
    assert res.returncode == 6, err
    assert "cannot write to the decisions file (No space left on device)" in err and "Traceback" not in err
    assert res.stdout == b""  # decisions first: nothing passed on without its decision
    with Index.open(index, write=False) as ix:
        assert ix.stats()["documents"] == 50  # the first batch, recorded
    again = subprocess.run(DEDUP + ["filter", "-i", index, "--decisions", str(tmp_path / "d.jsonl"), "--batch", "50"],
                           input=feed.encode(), capture_output=True, check=True).stdout.decode().splitlines()
    fresh = subprocess.run(DEDUP + ["filter", "-i", str(tmp_path / "f.sqlite"), "--decisions", str(tmp_path / "f.jsonl")],
                           input=feed.encode(), capture_output=True, check=True).stdout.decode().splitlines()
    assert again == fresh
