"""Faults of the job's own making: a lost worker process, an output that cannot be written,
hostile text in the outputs. Real processes, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import saudinewsnet_records

DEDUP = [sys.executable, "-m", "dedup"]


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(k) for k in (task / "children").read_text().split()]
        except FileNotFoundError:  # a thread that ended while it was listed
            continue
    return out


def _state(pid: int) -> str:
    """A process's state letter (R, S, D, Z...), or "-" when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return "-"


def _write_records(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


@pytest.mark.slow
def test_lost_worker_fails_the_job_with_a_hint(tmp_path):
    """A worker killed with SIGKILL (as the out-of-memory killer does) ends the job with a clear
    message and the --spill-dir hint, instead of the job waiting forever for its part."""
    src = tmp_path / "big.jsonl"
    _write_records(src, saudinewsnet_records()[:12000])
    proc = subprocess.Popen([*DEDUP, "cluster", str(src), "--jobs", "2", "--format", "json", "--out",
                             str(tmp_path / "out.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    killed = None
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        kids = _children(proc.pid)
        if len(kids) >= 2:  # the analysis processes are up
            time.sleep(0.3)
            os.kill(kids[-1], signal.SIGKILL)
            killed = kids[-1]
        time.sleep(0.05)
    assert killed is not None, "no worker process was seen"
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the job hung after a worker was killed")
    assert proc.returncode == 5, err
    assert "worker process ended" in err and "--spill-dir" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.json").exists()


# -- outputs -------------------------------------------------------------------------------------

def _run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*DEDUP, *args], capture_output=True, text=True, timeout=300, **kw)


def _records(day: str = "2015-07-22", n: int = 40) -> list[dict]:
    return [r for r in saudinewsnet_records(day=day) if len(r["content"]) > 400][:n]


def test_out_into_a_missing_folder_is_refused_before_the_job(tmp_path):
    src = tmp_path / "in.jsonl"
    _write_records(src, _records())
    res = _run("cluster", str(src), "--out", str(tmp_path / "nope" / "out.json"))
    assert res.returncode == 2
    assert f"folder {tmp_path / 'nope'} does not exist" in res.stderr
    assert "cannot read" not in res.stderr  # refused before any reading
    res = _run("report", str(src), "--out", str(tmp_path))
    assert res.returncode == 2 and "it is a folder" in res.stderr


def _limit_file_size(limit: int):
    def apply() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.slow
def test_an_output_that_cannot_be_written_leaves_the_old_file(tmp_path):
    """A write that fails part way (a full disk; here a file-size limit standing in for one) leaves
    the previous output as it was and no partial file, with a message and exit 6, no traceback."""
    src = tmp_path / "in.jsonl"
    _write_records(src, _records())
    out = tmp_path / "out.json"
    out.write_text("previous output\n", encoding="utf-8")
    res = _run("cluster", str(src), "--format", "json", "--out", str(out), preexec_fn=_limit_file_size(2000))
    assert res.returncode == 6, res.stderr
    assert f"cannot write {out}" in res.stderr and "left as it was" in res.stderr
    assert "Traceback" not in res.stderr
    assert out.read_text(encoding="utf-8") == "previous output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.json"]
    res = _run("cluster", str(src), "--format", "json", "--out", str(out))  # without the limit: written whole
    assert res.returncode == 0 and json.loads(out.read_text(encoding="utf-8"))["summary"]["articles"] == 40


def test_hostile_records_do_not_end_the_run(tmp_path):
    """A record nested 200,000 deep and a title with a lone surrogate: the first is reported and
    skipped, the second read with the surrogate replaced; the output is complete."""
    records = _records()
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines.insert(5, "[" * 200_000)
    lines[10] = lines[10].replace('"title": "', '"title": "\\ud800', 1)
    assert "\\ud800" in lines[10]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.json"
    res = _run("cluster", str(src), "--format", "json", "--out", str(out))
    assert res.returncode == 0, res.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["summary"]["articles"] == 40
    assert [p["source"] for p in doc["unreadable"]] == [f"{src}:6"]
    assert "nested more than 64 levels" in doc["unreadable"][0]["problem"]
    assert [p["source"] for p in doc["repaired"]] == [f"{src}:11"]
    titles = [m.get("title", "") for g in doc["groups"] for m in g["members"]]
    assert any(t.startswith("\ufffd") for t in titles)


def test_csv_cells_are_not_formulas(tmp_path):
    records = _records(n=6)
    for r, title in zip(records, ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-3", "@SUM(A1)", "\tx", "عنوان"]):
        r["title"] = title
    src = tmp_path / "in.jsonl"
    _write_records(src, records)
    res = _run("cluster", str(src), "--format", "csv")
    assert res.returncode == 0, res.stderr
    import csv
    import io

    titles = [row["title"] for row in csv.DictReader(io.StringIO(res.stdout))]
    assert sorted(titles) == sorted(["'=HYPERLINK(\"http://x\",\"y\")", "'+1+2", "'-3", "'@SUM(A1)", "'\tx", "عنوان"])


def test_table_output_escapes_terminal_control_characters(tmp_path):
    records = _records(n=3)
    records[1] = dict(records[0], id="copy", title="\x1b[2J\x1b]0;owned\x07عنوان")  # a repost: shown in a group
    src = tmp_path / "in.jsonl"
    _write_records(src, records)
    res = _run("cluster", str(src), "--explain")
    assert res.returncode == 0, res.stderr
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout
    assert "\\x1b[2J\\x1b]0;owned\\x07عنوان" in res.stdout
    (tmp_path / "evil\x1b[31m.txt").write_text("", encoding="utf-8")  # unreadable: its name is printed
    res = _run("cluster", str(tmp_path / "evil\x1b[31m.txt"))
    assert "\x1b" not in res.stderr and "evil\\x1b[31m.txt" in res.stderr


def test_markdown_report_brings_in_no_remote_image_or_link(tmp_path):
    from markdown_it import MarkdownIt

    hostile = ("![x](http://evil.example/pixel.png) و [اضغط](https://evil.example) <img src=http://evil.example/a> "
               "<http://evil.example/b> www.evil.example")
    text = (tmp_path / "a.txt")
    body = _records(n=1)[0]["content"]
    text.write_text(body + "\n" + hostile, encoding="utf-8")
    (tmp_path / "b.txt").write_text(body, encoding="utf-8")
    res = _run("diff", str(text), str(tmp_path / "b.txt"), "--format", "md")
    assert res.returncode == 0, res.stderr
    assert "evil" in res.stdout  # the text is shown ...
    html = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "linkify"]).render(res.stdout)
    assert "<img" not in html and "<a href" not in html  # ... but brings in nothing
    assert "<a href" in MarkdownIt("commonmark", {"linkify": True}).enable(["table", "linkify"]).render(hostile)


def test_killed_job_leaves_no_workers_behind(tmp_path):
    """The job's own process killed with SIGKILL (the out-of-memory killer picks the largest):
    its workers end too, with the hint, instead of waiting for work forever."""
    src = tmp_path / "big.jsonl"
    _write_records(src, saudinewsnet_records()[:12000])
    proc = subprocess.Popen([*DEDUP, "cluster", str(src), "--jobs", "2", "--format", "json", "--out",
                             str(tmp_path / "out.json")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    kids: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        kids = [k for k in _children(proc.pid) if _state(k) in "RSD"]
        if len(kids) >= 2 and all(_state(k) in "RSD" for k in kids):  # workers at work, not between stages
            os.kill(proc.pid, signal.SIGKILL)
            break
    assert len(kids) >= 2, "no worker processes were seen"
    err = proc.communicate(timeout=30)[1]  # the pipe closes once the workers, which share it, have gone
    end = time.monotonic() + 5  # a worker closes its files before it is seen dead
    while any(_state(k) not in "Z-" for k in kids) and time.monotonic() < end:
        time.sleep(0.05)
    states = {k: _state(k) for k in kids}
    assert all(s in "Z-" for s in states.values()), states  # gone, or dead and not yet reaped
    assert "main process ended before its workers" in err and "--spill-dir" in err
    assert "Traceback" not in err


def test_closed_standard_output_is_an_exit_1_without_traceback(tmp_path):
    src = tmp_path / "in.jsonl"
    _write_records(src, _records())
    r, w = os.pipe()
    os.close(r)  # nobody reads: the first write fails with EPIPE
    res = subprocess.run([*DEDUP, "cluster", str(src), "--format", "json"], stdout=w, stderr=subprocess.PIPE,
                         text=True, timeout=300)
    os.close(w)
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
