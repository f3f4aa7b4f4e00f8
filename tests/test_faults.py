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
        kids = (task / "children").read_text().split()
        out += [int(k) for k in kids]
    return out


def _write_records(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


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
