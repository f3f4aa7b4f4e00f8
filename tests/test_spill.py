"""The job's largest arrays in files mapped into memory (``--spill-dir``): the same groups,
the arrays really in files, nothing left behind, a full or missing folder reported."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from dedup.compute import spill as spill_module
from dedup.cli import app
from dedup.io.formats import to_json
from dedup.engine.local import cluster
from dedup.compute.spill import Spill

from .conftest import saudinewsnet_records


def _mapped_from(folder) -> list[str]:
    """Lines of this process's memory map naming files in ``folder`` (deleted ones included)."""
    with open("/proc/self/maps") as fh:
        return [line for line in fh if str(folder) in line]


def _in_file_of(array: np.ndarray, folder) -> bool:
    """Whether ``array``'s bytes lie in a file of ``folder`` mapped into this process."""
    at = array.__array_interface__["data"][0]
    for line in _mapped_from(folder):
        start, end = (int(x, 16) for x in line.split()[0].split("-"))
        if start <= at < end:
            return True
    return False


def test_arrays_are_made_in_unlinked_files_in_the_folder(tmp_path):
    spill = Spill(tmp_path, min_bytes=0)
    a = spill.empty((1000, 2), np.int64)
    a[:] = 7
    assert a.shape == (1000, 2) and a.flags.writeable and int(a.sum()) == 14000
    assert list(tmp_path.iterdir()) == []  # unlinked as soon as made
    assert any("(deleted)" in line for line in _mapped_from(tmp_path)) and _in_file_of(a, tmp_path)
    assert not _in_file_of(np.zeros(10 ** 6), tmp_path)
    assert (spill.files, spill.bytes) == (1, 16000)
    del a
    assert _mapped_from(tmp_path) == []  # released with its array


def test_small_arrays_and_no_folder_stay_in_memory(tmp_path):
    assert Spill(tmp_path).empty(10, np.float32).base is None  # under MIN_BYTES
    assert Spill(None, min_bytes=0).empty(10 ** 6, np.float32).base is None
    assert Spill(tmp_path).files == 0


@pytest.mark.parametrize("shape", [(0,), (9,), (9, 2)])
def test_keep_concatenate_and_insert_are_numpy_s(tmp_path, shape):
    rng = np.random.default_rng(3)
    spill = Spill(tmp_path, min_bytes=0)
    a = rng.integers(0, 100, size=shape)
    b = rng.integers(0, 100, size=(4,) + shape[1:])
    assert np.array_equal(spill.keep(a), a)
    joined = spill.concatenate([a, b, a])
    assert np.array_equal(joined, np.concatenate([a, b, a])) and joined.dtype == a.dtype
    at = np.sort(rng.integers(0, len(a) + 1, size=4))
    inserted = spill.insert(a.astype(np.float32), at, b)
    expected = np.insert(a.astype(np.float32), at, b, axis=0)
    assert np.array_equal(inserted, expected) and inserted.dtype == expected.dtype


def test_a_missing_folder_is_named():
    with pytest.raises(NotADirectoryError, match="no-such-folder"):
        Spill("/tmp/no-such-folder/x")


def test_a_folder_that_cannot_hold_an_array_is_a_clear_error(tmp_path):
    # a file size limit stands in for a full disk: the space is reserved when the array is made
    code = f"""
import resource, signal, numpy as np
from dedup.compute.spill import Spill, SpillError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, 1 << 16))
try:
    Spill({str(tmp_path)!r}, min_bytes=0).empty(1 << 20, np.uint8)
except SpillError as exc:
    print("refused:", exc)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("refused:") and str(tmp_path) in out.stdout and "1,048,576 bytes" in out.stdout


def _feed(tmp_path, n: int):
    records = [r for r in saudinewsnet_records() if r["content"].strip()][:n]
    path = tmp_path / "feed.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps({"id": r["id"], "content": r["content"], "title": r["title"], "source": r["source"],
                                 "date": r["date_extracted"]}, ensure_ascii=False) + "\n")
    return path


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.slow
def test_a_job_spilled_to_files_groups_as_one_in_memory(tmp_path, monkeypatch, jobs):
    from dedup.engine import processes as parallel

    path = _feed(tmp_path, 2400)  # past MIN_PARALLEL: with two jobs the input is streamed
    monkeypatch.setattr(parallel, "STREAM_BATCH", 200)
    folder = tmp_path / "spill"
    folder.mkdir()
    in_memory = cluster(str(path), jobs=jobs, keep_text=False)
    made: list[Spill] = []
    monkeypatch.setattr(spill_module, "MIN_BYTES", 0)  # every array in a file, however small
    real_init = Spill.__init__

    def recording_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Spill, "__init__", recording_init)
    spilled = cluster(str(path), jobs=jobs, keep_text=False, spill_dir=str(folder))
    assert to_json(spilled) == to_json(in_memory)
    assert _in_file_of(spilled.verdicts.columns["cosine"], folder)  # the verdicts' store is in a file
    assert not _in_file_of(in_memory.verdicts.columns["cosine"], folder)
    files = sum(s.files for s in made if s.folder == str(folder))
    assert files > 10  # counts, vectors, shingle sets, verdicts: each its own file
    assert list(folder.iterdir()) == []


def test_the_command_takes_a_spill_folder_and_refuses_a_missing_one(tmp_path, seeds_dir):
    runner = CliRunner()
    plain = runner.invoke(app, ["cluster", str(seeds_dir), "--format", "json"])
    folder = tmp_path / "spill"
    folder.mkdir()
    spilled = runner.invoke(app, ["cluster", str(seeds_dir), "--format", "json", "--spill-dir", str(folder)])
    assert plain.exit_code == spilled.exit_code == 0
    assert spilled.stdout == plain.stdout
    missing = runner.invoke(app, ["cluster", str(seeds_dir), "--spill-dir", str(tmp_path / "absent")])
    assert missing.exit_code == 2 and "absent" in missing.output
    assert os.listdir(folder) == []


def test_pairs_verified_block_by_block_get_the_verdicts_of_pair_order(tmp_path, monkeypatch):
    from dedup.match import verify
    from dedup.article import Article
    from dedup.match.features import Corpus
    from dedup.engine.local import Settings, find_candidates

    records = [r for r in saudinewsnet_records(day="2015-08-0") if r["content"].strip()][:800]
    articles = [Article(str(r["id"]), r["content"], title=r["title"], published=r["date_extracted"][:10])
                for r in records]
    spill = Spill(tmp_path, min_bytes=0)
    in_memory = Corpus(articles, keep_rows=False).fit()
    in_files = Corpus(articles, keep_rows=False, spill=spill).fit()
    _, _, pairs = find_candidates(in_memory, Settings())
    assert len(pairs) > 100
    want = verify.Verifier(in_memory, quote=True).verify_many(pairs)
    monkeypatch.setattr(verify, "BLOCK_BYTES", 60_000)
    monkeypatch.setattr(verify, "MIN_BLOCKED", 50)
    verifier = verify.Verifier(in_files, quote=True, spill=spill)
    assert 1 < verifier._block_size() < len(articles) // 4  # several blocks
    rng = np.random.default_rng(5)
    shuffled = np.concatenate([pairs, pairs[: len(pairs) // 3]])[rng.permutation(len(pairs) + len(pairs) // 3)]
    got = verifier.verify_many(shuffled)  # out of order, some pairs twice: one verdict each, in pair order
    assert np.array_equal(got.codes, want.codes) and np.array_equal(got.relation, want.relation)
    assert (want.relation > 0).sum() > 20 and len(want.shared[0]) > 20
    for name, values in want.columns.items():
        assert np.array_equal(got.columns[name], values, equal_nan=True), name
    for a, b in zip(got.shared, want.shared):
        assert np.array_equal(a, b)
    assert _in_file_of(got.columns["similarity"], tmp_path)
    related = int(np.flatnonzero(want.relation > 0)[0])
    assert got.at(related) == want.at(related)  # shared sentences quoted alike
    few = verifier.verify_many(pairs[:20])  # a few pairs: in the order given, each article read alone
    assert _read_alone(in_files.doc_vectors_.data)
    assert np.array_equal(few.relation, want.relation[:20]) and np.array_equal(few.codes, want.codes[:20])
    verifier.verify_many(pairs)
    assert not _read_alone(in_files.doc_vectors_.data)  # many: read ahead again, block by block


def _read_alone(array: np.ndarray) -> bool:
    """Whether the mapping holding ``array`` is marked for random reads (``rr`` in its VmFlags)."""
    at = array.__array_interface__["data"][0]
    inside = False
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
                start, end = (int(x, 16) for x in head[0].split("-"))
                inside = start <= at < end
            elif inside and line.startswith("VmFlags:"):
                return "rr" in head[1:]
    raise AssertionError("the array is not in a mapping of this process")
