"""Faults in the input: each is repaired and reported, or the one document reported and skipped;
never a whole file lost, silently changed, or a read that does not end."""

import gzip
import io
import json
import os
import pickle
import threading

from typer.testing import CliRunner

import dedup.io.files
from dedup import cluster
from dedup.cli import app
from dedup.io.encoding import decode_report
from dedup.io.fields import FieldMap
from dedup.io.pieces import plan_pieces, read_piece
from dedup.io.read import UniqueIds, read

from .conftest import saudinewsnet_records

ARABIC = "قال وزير الخارجية إن المفاوضات ستعقد في الدوحة خلال أيام."
STORY = (
    "أعلن الدفاع المدني انتشال جثة شاب سقط في بئر مهجورة شرقي المدينة بعد ساعات من البحث المتواصل. "
    "وقال المتحدث الرسمي إن فرق الإنقاذ تلقت بلاغا مساء أمس وتوجهت إلى الموقع على الفور. "
    "وأضاف أن الشاب يبلغ من العمر خمسة وعشرين عاما وأن التحقيقات جارية لمعرفة ملابسات الحادث. "
    "ودعا الأهالي إلى الإبلاغ عن الآبار المكشوفة وعدم الاقتراب منها حفاظا على سلامة الجميع."
)


def _read(paths, **kw):
    problems = []
    arts = list(read([str(p) for p in paths], on_problem=problems.append, **kw))
    return arts, problems


def _records(rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def _within(seconds, call):
    """``call()``'s value, failing the test (instead of hanging it) if it takes longer."""
    out = []
    worker = threading.Thread(target=lambda: out.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert out, f"still reading after {seconds} s"
    return out[0]


def _multi_groups(result):
    return sorted(sorted(result.articles[m].id for m in g.members) for g in result.groups if len(g.members) > 1)


# -- 1. one bad byte: the file stays UTF-8, the spot is repaired and reported by its line --------


def test_one_bad_byte_in_saudinewsnet_records_leaves_them_apart_and_is_reported_by_line(tmp_path):
    records = [r for r in saudinewsnet_records(day="2015-07-22") if len(r["content"].split()) > 80][:10]
    rows = [{"id": f"r{k}", "text": r["content"], "outlet": r["source"]} for k, r in enumerate(records)]
    clean, dirty = tmp_path / "clean.jsonl", tmp_path / "dirty.jsonl"
    clean.write_bytes(_records(rows))
    lines = _records(rows).split(b"\n")
    lines[4] = lines[4].replace("الم".encode(), b"\xff" + "الم".encode(), 1)  # line 5
    dirty.write_bytes(b"\n".join(lines))
    want, got = cluster(str(clean)), cluster(str(dirty))
    assert _multi_groups(got) == _multi_groups(want) == []
    assert [a.text for a in got.articles if a.id != "r4"] == [r["text"] for r in rows if r["id"] != "r4"]
    assert "\ufffd" in got.articles[4].text
    assert [(p.source, p.kept) for p in got.problems] == [(f"{dirty}:5", True)]
    assert "invalid UTF-8" in got.problems[0].problem


def test_a_text_with_three_bad_bytes_still_groups_with_its_clean_copy(tmp_path):
    data = STORY.encode("utf-8")
    (tmp_path / "a.txt").write_bytes(data)
    cuts = [100, 301, 502]
    cuts = [next(k for k in range(c, len(data)) if data[k] & 0xC0 != 0x80) for c in cuts]  # a letter's start
    bad = b"".join(data[a:b] + b"\xff" for a, b in zip([0] + cuts, cuts)) + data[cuts[-1]:]
    (tmp_path / "b.txt").write_bytes(bad)
    res = CliRunner().invoke(app, ["cluster", str(tmp_path), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [sorted(m["id"] for m in g["members"]) for g in doc["groups"]] == [["a.txt", "b.txt"]]
    assert doc["groups"][0]["relation"] == "duplicate"
    assert doc["unreadable"] == [] and doc["repaired"] == [
        {"source": "b.txt", "problem": "line 1: invalid UTF-8 byte(s) replaced by U+FFFD"}]
    assert "read b.txt with a fault repaired: line 1: invalid UTF-8" in res.stderr


def test_windows_1256_is_still_read_as_such_and_mixed_evidence_is_not():
    assert decode_report(STORY.encode("cp1256")).encoding == "cp1256"
    assert decode_report(STORY.encode("cp1256")).faults == []
    # a short line of cp1256 among UTF-8 lines: UTF-8, the cp1256 line reported
    mixed = (STORY + "\n").encode() * 3 + "سطر قديم\n".encode("cp1256") + (STORY + "\n").encode()
    decoded = decode_report(mixed)
    assert decoded.encoding == "utf-8" and [line for line, _ in decoded.faults] == [4, 4]
    assert decoded.text.splitlines()[4] == STORY


def test_faults_of_a_records_file_are_reported_line_by_line_up_to_a_bound(tmp_path):
    rows = [{"id": k, "text": f"{ARABIC} {k}"} for k in range(30)]
    lines = _records(rows).split(b"\n")
    for k in range(3, 28, 2):  # 13 faulty lines: 4, 6, … 28
        lines[k] = lines[k].replace(b"\xd9\x84", b"\xd9", 1)
    f = tmp_path / "feed.jsonl"
    f.write_bytes(b"\n".join(lines))
    arts, problems = _read([f])
    assert len(arts) == 30
    assert [p.source for p in problems] == [f"{f}:{k}" for k in range(4, 24, 2)] + [str(f)]
    assert all(p.kept for p in problems)
    assert "3 more line(s)" in problems[-1].problem
    with dedup.io.files._open_records(f) as handle:  # streamed, not held whole
        assert isinstance(handle, io.TextIOWrapper) and handle.errors == "surrogateescape"


# -- 2. one fault costs one record, not the file -----------------------------------------------


def test_a_nul_byte_in_one_record_is_removed_and_reported_the_rest_read(tmp_path):
    rows = [{"id": k, "text": f"{ARABIC} {k}"} for k in range(5)]
    f = tmp_path / "feed.jsonl"
    f.write_bytes(_records(rows).replace(b'"id": 2, "text": "', b'"id": 2, "text": "\x00'))
    c = tmp_path / "feed.csv"
    c.write_bytes(("id,text\n" + "".join(f"{k},{ARABIC} {k}\n" for k in range(5))).encode().replace(b"2,", b"2,\x00"))
    for path in (f, c):
        arts, problems = _read([path])
        assert [a.text for a in arts] == [f"{ARABIC} {k}" for k in range(5)]
        assert [(p.source, p.problem, p.kept) for p in problems] == [(f"{path}:{3 if path is f else 4}",
                                                                      "NUL byte(s) removed", True)]


def test_a_truncated_gzip_stream_gives_the_records_up_to_the_cut(tmp_path):
    rows = [{"id": k, "text": f"{ARABIC} {k} " + os.urandom(40).hex()} for k in range(300)]
    for encoding in ("utf-8", "cp1256"):
        data = _records(rows).decode().encode(encoding)
        packed = gzip.compress(data)
        f = tmp_path / f"feed-{encoding}.jsonl.gz"
        f.write_bytes(packed[: len(packed) // 2])
        arts, problems = _read([f])
        assert 50 < len(arts) < 300
        assert [a.id for a in arts] == [str(k) for k in range(len(arts))]
        assert [(p.source, p.problem.split(":")[0]) for p in problems] == [
            (str(f), f"truncated gzip stream after line {len(arts)}")]
    res = CliRunner().invoke(app, ["cluster", str(f), "-f", "jsonl"])
    assert res.exit_code == 0 and f"truncated gzip stream after line {len(arts)}" in res.stderr
    assert len(res.stdout.splitlines()) == len(arts)


def test_an_unclosed_csv_quote_is_reported_where_it_opened_and_the_rows_after_are_read(tmp_path):
    f = tmp_path / "feed.csv"
    f.write_text('id,text\n1,"' + ARABIC + ' أول\n2,' + ARABIC + ' ثان\n3,"' + ARABIC + '\nسطر ثان"\n4,'
                 + ARABIC + " رابع\n", encoding="utf-8")
    arts, problems = _read([f])
    assert [a.id for a in arts] == ["2", "3", "4"]
    assert arts[1].text == ARABIC + "\nسطر ثان"  # a quoted field over two lines, closed: read as is
    assert [(p.source, p.problem) for p in problems] == [(f"{f}:2", (
        "CSV quoting error: the quote opened on line 2 runs on to line 4, where ',' expected after '\"'; the record "
        "from line 2 is skipped and the lines after line 2 are read as rows"))]
    f.write_text('id,text\n1,' + ARABIC + '\n2,' + ARABIC + ' ثان\n3,"' + ARABIC + ' أول\n4,' + ARABIC + ' رابع\n',
                 encoding="utf-8")
    arts, problems = _read([f])
    assert [a.id for a in arts] == ["1", "2", "4"]
    assert [p.source for p in problems] == [f"{f}:4"]
    assert "CSV quoting error: the quote opened on line 4 is never closed" in problems[0].problem
    res = CliRunner().invoke(app, ["cluster", str(f), "-f", "jsonl"])
    assert res.exit_code == 0 and "quote opened on line 4 is never closed" in res.stderr


def test_a_csv_record_with_a_stray_quote_is_reported_alone(tmp_path):
    f = tmp_path / "feed.csv"
    f.write_text(f'id,text\n1,"{ARABIC}" x\n2,{ARABIC}\n', encoding="utf-8")
    arts, problems = _read([f])
    assert [a.id for a in arts] == ["2"]
    assert [p.source for p in problems] == [f"{f}:2"] and "CSV quoting error" in problems[0].problem


# -- 3. nothing skipped without a word -----------------------------------------------------------


def _walked(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub" / ".git").mkdir(parents=True)
    (folder / "sub" / ".git" / "x.txt").write_text(ARABIC, encoding="utf-8")
    (folder / "a.txt").write_text(ARABIC, encoding="utf-8")
    (folder / ".hidden.txt").write_text(ARABIC, encoding="utf-8")
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "blank.jsonl").write_bytes(b"\n  \n\r\n")
    (folder / "sub" / "b.txt").write_text(ARABIC + " ثانية", encoding="utf-8")
    (folder / "alias").symlink_to(folder / "sub")
    (folder / "copy.txt").symlink_to(folder / "a.txt")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "c.txt").write_text(ARABIC, encoding="utf-8")
    (folder / "away").symlink_to(outside)
    (folder / "loop").symlink_to(folder)
    return folder


def test_hidden_entries_symlinks_and_empty_records_files_are_reported(tmp_path):
    folder = _walked(tmp_path)
    arts, problems = _read([folder])
    assert [a.id for a in arts] == ["a.txt", "sub/b.txt"]
    reported = {p.source: p.problem for p in problems}
    assert reported == {
        ".hidden.txt": "hidden file skipped (names starting with '.' are not read inside a folder)",
        "alias": "symbolic link skipped: it points to sub, read there",
        "away": f"symbolic link to outside the folder skipped ({tmp_path / 'outside'})",
        "blank.jsonl": "no records (the file is empty or holds only blank lines)",
        "copy.txt": "symbolic link skipped: it points to a.txt, read there",
        "empty.jsonl": "no records (the file is empty or holds only blank lines)",
        "loop": "symbolic link skipped: it points to ., read there",
        "sub/.git": "hidden folder skipped (names starting with '.' are not read inside a folder)",
    }
    res = CliRunner().invoke(app, ["cluster", str(folder), "-f", "jsonl"])
    assert res.exit_code == 0
    assert "dedup: away: symbolic link to outside the folder skipped" in res.stderr
    assert "dedup: .hidden.txt: hidden file skipped" in res.stderr


def test_pieces_report_the_skipped_entries_as_a_reading_whole_does(tmp_path):
    folder = _walked(tmp_path)
    want, want_problems = _read([folder])
    got, problems, ids = [], [], UniqueIds()
    pieces = plan_pieces([str(folder)], 64)
    assert pickle.loads(pickle.dumps(pieces)) == pieces  # as sent to other processes, reasons included
    for piece in pickle.loads(pickle.dumps(pieces)):
        for a in read_piece(piece, FieldMap(), problems.append):
            ids.assign(a, problems.append)
            got.append(a)
    assert [a.id for a in got] == [a.id for a in want] and problems == want_problems


# -- 4. only regular files are opened, and no document without bound ---------------------------


def test_fifos_devices_and_huge_documents_are_reported_not_read(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(ARABIC, encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    os.mkfifo(folder / "pipe.jsonl")
    (folder / "big.txt").write_bytes(STORY.encode() * 4)
    zero = tmp_path / "zero.txt"
    zero.symlink_to("/dev/zero")
    monkeypatch.setattr(dedup.io.files, "MAX_DOCUMENT_BYTES", len(STORY.encode()) * 3)
    arts, problems = _within(10, lambda: _read([folder, zero, folder / "pipe.jsonl"]))
    assert [a.id for a in arts] == ["a.txt"]
    assert [(p.source, p.problem) for p in problems] == [
        ("big.txt", f"document file of {len(STORY.encode()) * 4:,} bytes skipped: larger than "
                    f"{len(STORY.encode()) * 3:,} (a news article is a few kilobytes)"),
        ("pipe.jsonl", "not a regular file (a FIFO), skipped"),
        ("pipe.txt", "not a regular file (a FIFO), skipped"),
        (str(zero), "not a regular file (a character device), skipped"),
        (str(folder / "pipe.jsonl"), "not a regular file (a FIFO), skipped"),
    ]
    assert _within(10, lambda: plan_pieces([str(folder)], 64)) is not None  # planning opens none of them
    res = _within(30, lambda: CliRunner().invoke(app, ["cluster", str(folder / "pipe.txt"), str(zero)]))
    assert res.exit_code != 0 and "no readable articles" in res.stderr
    assert "not a regular file (a FIFO)" in res.stderr and "not a regular file (a character device)" in res.stderr


# -- 5. ids made unique never collide with ids given --------------------------------------------


def test_renamed_ids_never_take_an_id_of_the_input(tmp_path):
    f = tmp_path / "feed.jsonl"
    ids = ["a1", "a1", "a1#2", "a1", "a1#2", "b"]
    f.write_bytes(_records([{"id": i, "text": f"{ARABIC} {k}"} for k, i in enumerate(ids)]))
    arts, problems = _read([f])
    assert [a.id for a in arts] == ["a1", "a1#2", "a1#2#2", "a1#3", "a1#2#3", "b"]
    assert [p.problem for p in problems] == [
        "id 'a1' seen before; renamed 'a1#2'", "id 'a1#2' seen before; renamed 'a1#2#2'",
        "id 'a1' seen before; renamed 'a1#3'", "id 'a1#2' seen before; renamed 'a1#2#3'"]
    res = CliRunner().invoke(app, ["cluster", str(f), "-f", "jsonl"])
    assert res.exit_code == 0
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert len({r["id"] for r in out}) == len(ids) == len(out)
