import io
import json

import pytest

from dedup.io.encoding import decode
from dedup.io.fields import FieldMap
from dedup.io.read import read, read_one
from dedup.io.walk import InputError

ARABIC = "قال وزير الخارجية إن المفاوضات ستعقد في الدوحة خلال أيام."


def _read(paths, **kw):
    problems = []
    arts = list(read([str(p) for p in paths], on_problem=problems.append, **kw))
    return arts, problems


@pytest.mark.parametrize(
    "encoding,prefix",
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("utf-16-le", b""), ("cp1256", b"")],
)
def test_encodings_met_in_arabic_archives(tmp_path, encoding, prefix):
    f = tmp_path / "a.txt"
    f.write_bytes(prefix + ARABIC.encode(encoding))
    arts, problems = _read([tmp_path])
    assert problems == []
    assert arts[0].text == ARABIC


def test_decode_names_the_encoding():
    assert decode(ARABIC.encode("cp1256"))[1] == "cp1256"
    assert decode(b"\xef\xbb\xbf" + ARABIC.encode())[1] == "utf-8-sig"


def test_binary_empty_and_unsupported_files_are_reported_not_dropped(tmp_path):
    (tmp_path / "good.txt").write_text(ARABIC, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n ", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4 ...")
    arts, problems = _read([tmp_path])
    assert [a.id for a in arts] == ["good.txt"]
    reported = {p.source: p.problem for p in problems}
    assert set(reported) == {"empty.txt", "blank.md", "image.txt", "scan.pdf"}
    assert "binary" in reported["image.txt"]
    assert "empty" in reported["empty.txt"]
    assert "unsupported" in reported["scan.pdf"]


def test_folder_ids_are_relative_paths_and_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.txt").write_text(ARABIC, encoding="utf-8")
    (tmp_path / "a.md").write_text(ARABIC, encoding="utf-8")
    arts, _ = _read([tmp_path])
    assert [a.id for a in arts] == ["a.md", "b/x.txt"]


def test_jsonl_fields_and_bad_lines(tmp_path):
    f = tmp_path / "feed.jsonl"
    rows = [
        json.dumps({"doc": "n1", "body": ARABIC, "site": "sabq", "when": "2015-08-02"}, ensure_ascii=False),
        "{not json",
        json.dumps({"doc": "n2", "body": ""}),
        json.dumps({"doc": "n3", "body": ARABIC + " ثانية", "site": "okaz"}, ensure_ascii=False),
    ]
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    arts, problems = _read([f], fields=FieldMap(id="doc", text="body", outlet="site", date="when"))
    assert [(a.id, a.outlet) for a in arts] == [("n1", "sabq"), ("n3", "okaz")]
    assert arts[0].published == "2015-08-02"
    assert [p.source for p in problems] == [f"{f}:2", f"{f}:3"]
    assert "invalid JSON" in problems[0].problem


def test_jsonl_default_field_names(tmp_path):
    f = tmp_path / "feed.jsonl"
    f.write_text(json.dumps({"id": 7, "content": ARABIC, "source": "was", "title": "عنوان"}, ensure_ascii=False), encoding="utf-8")
    (a,), _ = _read([f])
    assert (a.id, a.outlet, a.title) == ("7", "was", "عنوان")


def test_csv_in_windows_1256(tmp_path):
    f = tmp_path / "feed.csv"
    f.write_bytes(("id,text,outlet\n1,\"" + ARABIC + "\",okaz\n2,,okaz\n").encode("cp1256"))
    arts, problems = _read([f])
    assert [a.id for a in arts] == ["1"] and arts[0].text == ARABIC
    assert len(problems) == 1 and "no text" in problems[0].problem


def test_html_main_text_by_trafilatura(tmp_path):
    body = "".join(f"<p>{ARABIC} فقرة رقم {i}.</p>" for i in range(6))
    html = (
        "<html><head><title>عنوان الخبر</title></head><body><nav><a href='/'>الرئيسية</a> <a>رياضة</a></nav>"
        f"<article><h1>عنوان الخبر</h1>{body}</article><footer>جميع الحقوق محفوظة</footer></body></html>"
    )
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    (a,), problems = _read([tmp_path])
    assert problems == []
    assert "فقرة رقم 5" in a.text
    assert "الرئيسية" not in a.text and "<p>" not in a.text
    assert a.title == "عنوان الخبر"


def test_duplicate_ids_are_renamed_and_reported(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text("\n".join(json.dumps({"id": "x", "text": t}, ensure_ascii=False) for t in (ARABIC, ARABIC)), encoding="utf-8")
    arts, problems = _read([f])
    assert [a.id for a in arts] == ["x", "x#2"]
    assert len(problems) == 1


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(read([str(tmp_path / "nope")]))
    with pytest.raises(InputError):
        read_one(tmp_path / "nope.txt")


@pytest.mark.parametrize("encoding,bom,gz", [("utf-8", b"", False), ("utf-8", b"\xef\xbb\xbf", False),
                                              ("utf-8", b"", True), ("utf-16", b"", False), ("cp1256", b"", False)])
def test_records_files_read_alike_streamed_or_whole(tmp_path, monkeypatch, encoding, bom, gz):
    # UTF-8 is decoded as it is read, in chunks; a 7-byte chunk cuts Arabic letters in two
    import gzip

    import dedup.io.files

    monkeypatch.setattr(dedup.io.files, "_CHUNK", 7)
    rows = [{"id": k, "content": f"{ARABIC} رقم {k}\r\nسطر ثان", "title": "عنوان"} for k in range(40)]
    data = bom + "\r\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode(encoding)
    f = tmp_path / ("feed.jsonl.gz" if gz else "feed.jsonl")
    f.write_bytes(gzip.compress(data) if gz else data)
    arts, problems = _read([f])
    assert problems == []
    assert [(a.id, a.text, a.title) for a in arts] == [(str(r["id"]), r["content"], r["title"]) for r in rows]
    with dedup.io.files._open_records(f) as handle:
        assert isinstance(handle, io.TextIOWrapper) == (encoding == "utf-8")  # streamed, not held whole


def test_the_utf8_check_of_a_file_is_made_once_until_the_file_changes(tmp_path, monkeypatch):
    import os

    import dedup.io.files

    checks = []
    real = dedup.io.files._check_utf8
    monkeypatch.setattr(dedup.io.files, "_check_utf8", lambda path, opener: checks.append(path) or real(path, opener))
    f = tmp_path / "feed.jsonl"
    f.write_text(json.dumps({"id": 1, "content": ARABIC}, ensure_ascii=False) + "\n", encoding="utf-8")
    for _ in range(3):  # a large input is read twice (and its start once more)
        assert len(_read([f])[0]) == 1
    assert len(checks) == 1
    f.write_bytes(json.dumps({"id": 1, "content": ARABIC}, ensure_ascii=False).encode("cp1256") + b"\n")
    os.utime(f, ns=(os.stat(f).st_atime_ns, os.stat(f).st_mtime_ns + 10**9))
    arts, problems = _read([f])
    assert len(checks) == 2 and problems == [] and arts[0].text == ARABIC
    with dedup.io.files._open_records(f) as handle:  # no longer UTF-8: decoded whole
        assert not isinstance(handle, io.TextIOWrapper)


def _mixed_input(tmp_path):
    """A folder of every kind of input, with the awkward lines a JSON Lines file can hold."""
    import gzip

    folder = tmp_path / "in"
    folder.mkdir()
    rec = lambda i, text, **more: json.dumps({"id": i, "text": text, **more}, ensure_ascii=False)  # noqa: E731
    lines = [rec("a", ARABIC, title="عنوان"), "", rec("b", ARABIC + " ثانية"), "{not json", rec("c", ""),
             rec("a", ARABIC + " مكرر", url="http://x")]
    body = "\r\n".join(lines[:3]) + "\r" + "\n".join(lines[3:]) + "\n" + rec("d", "آخر سطر بلا نهاية")
    (folder / "1-feed.jsonl").write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))  # BOM, CRLF, a lone CR
    (folder / "2-doc.txt").write_text(ARABIC, encoding="utf-8")
    (folder / "3-empty.txt").write_bytes(b"")
    (folder / "4-old.txt").write_bytes(ARABIC.encode("cp1256"))
    (folder / "5-table.csv").write_text("id,text\nb,نص الجدول\n", encoding="utf-8")
    with gzip.open(folder / "6-packed.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(rec("e", ARABIC) + "\n")
    (folder / "7-more.jsonl").write_text("\n".join(rec(f"m{k}", f"{ARABIC} {k}") for k in range(40)), encoding="utf-8")
    return folder


@pytest.mark.parametrize("size", [160, 300, 1 << 20])  # the packed file (150 bytes) is one piece
def test_pieces_read_in_order_are_the_input_as_read_whole(tmp_path, size):
    from dedup.io.pieces import plan_pieces, read_piece
    from dedup.io.read import UniqueIds

    folder = _mixed_input(tmp_path)
    want, want_problems = _read([folder])
    pieces = plan_pieces([str(folder)], size)
    assert pieces is not None
    if size == 160:
        assert sum(p.lines is not None and "7-more" in p.lines[1] for p in pieces) > 5  # the file was cut
        assert sum(p.lines is not None and "1-feed" in p.lines[1] for p in pieces) > 2
    got, problems, ids = [], [], UniqueIds()
    for piece in pieces:
        for a in read_piece(piece, FieldMap(), problems.append):
            ids.assign(a, problems.append)
            got.append(a)
    assert [(a.id, a.text, a.title, a.path, a.meta) for a in got] == [(a.id, a.text, a.title, a.path, a.meta) for a in want]
    assert problems == want_problems
    assert any(":4" in p.source and "invalid JSON" in p.problem for p in problems)  # line numbers past a lone CR
    assert any("renamed 'a#2'" in p.problem for p in problems)
    assert sum(p.size for p in pieces) == sum(f.stat().st_size for f in folder.iterdir())


def test_a_large_records_file_that_cannot_be_cut_is_not_given_in_pieces(tmp_path):
    from dedup.io.pieces import plan_pieces

    folder = _mixed_input(tmp_path)
    assert plan_pieces([str(folder)], 150) is not None  # the CSV and the packed file fit in a piece
    assert plan_pieces([str(folder)], 149) is None  # the packed file (150 bytes) does not
    (tmp_path / "cp.jsonl").write_bytes(('{"id": 1, "text": "%s"}\n' % ARABIC).encode("cp1256") * 3)
    assert plan_pieces([str(tmp_path / "cp.jsonl")], 1 << 20) is not None  # read whole by one process
    assert plan_pieces([str(tmp_path / "cp.jsonl")], 20) is None  # not UTF-8: not cut
    with pytest.raises(InputError):
        plan_pieces([str(tmp_path / "missing.jsonl")], 64)
