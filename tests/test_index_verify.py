"""The index decides as `dedup compare` does: each (incoming, candidate) pair verified by
dedup.match.compare.compare_many, on SQLite and Redis alike; indexes of format 2 still answer."""

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dedup import Article, read
from dedup.cli import app
from dedup.match.compare import compare_articles, compare_many
from dedup.index.entries import FORMAT, IndexSettings, prepare
from dedup.index.index import Index

from .conftest import saudinewsnet_records
from .test_index import RETOLD, STORY

S000, S001, S002, S004 = ("000_fd40320715479528.txt", "001_c3ae010b9f71aa12.txt", "002_e30e650dcdf6ad1b.txt",
                          "004_fd20d3b24343bf30.txt")


def _seeds(seeds_dir) -> dict[str, Article]:
    return {a.id: a for a in read([str(seeds_dir)])}


def _fresh(a: Article, ident: str | None = None) -> Article:
    """A copy as read: nothing stripped."""
    return Article(ident or a.id, a.text, title=a.title, outlet=a.outlet, published=a.published)


def _cp1256_repost(seeds_dir, folder: Path) -> Path:
    """002 as a Windows-1256 site would serve it: re-encoded (its Persian yeh, which Windows-1256
    lacks, written as the Arabic one) under a line with the site's name."""
    text = (seeds_dir / S002).read_text(encoding="utf-8")
    path = folder / "site_002.txt"
    path.write_bytes(("شبكة الأخبار العربية\n" + text.replace("ی", "ي")).encode("cp1256"))
    return path


def _synthetic() -> list[tuple[Article, Article]]:
    """Pairs with known relations: a retelling, a repost with a header and a cut tail, a lead
    alone, another story of the same day, and a retelling weeks later."""
    recs = [r for r in saudinewsnet_records(day="2015-08-02") if len(r["content"].split()) > 150][:2]
    a, other = (Article(str(r["id"]), r["content"], title=r["title"], published="2015-08-02") for r in recs)
    words = a.text.split(" ")
    return [
        (Article("retold", RETOLD, published="2015-08-02"), Article("story", STORY, published="2015-08-02")),
        (Article("repost", "الرئيسية | أخبار محلية\n" + " ".join(words[: int(len(words) * 0.7)]), published="2015-08-02"), a),
        (Article("lead", " ".join(words[:60]), published="2015-08-03"), a),
        (other, a),
        (Article("late", RETOLD, published="2015-09-20"), Article("story", STORY, published="2015-08-02")),
    ]


def _index_relation(ix: Index, x: Article, y: Article):
    """The index's verdict on ``x`` with only ``y`` stored."""
    ix.add(_fresh(y))
    try:
        return ix.check(_fresh(x))
    finally:
        ix.remove([y.id])


def _assert_same_as_compare(v, x: Article, y: Article) -> None:
    c = compare_articles(_fresh(x), _fresh(y))
    assert {"new": "distinct"}.get(v.verdict, v.verdict) == c.relation, (x.id, y.id, v, c.relation, c.similarity)
    if c.relation == "duplicate":
        assert v.of == y.id
    if c.relation == "variant":
        assert v.of == y.id  # y began its group
    if c.relation != "distinct":
        assert v.similarity == pytest.approx(c.similarity, abs=1e-12)


def test_seeds_001_is_a_variant_of_000_and_004_of_their_group(location, seeds_dir):
    seeds = _seeds(seeds_dir)
    with Index.open(location, create=True) as ix:
        assert ix.add(seeds[S000]).verdict == "new"
        v = ix.check(_fresh(seeds[S001]))
        assert (v.verdict, v.of, v.group) == ("variant", S000, S000)
        assert v.similarity == pytest.approx(compare_articles(_fresh(seeds[S001]), _fresh(seeds[S000])).similarity,
                                             abs=1e-12)
        for ident in ("002_e30e650dcdf6ad1b.txt", "003_22d8f778421e0631.txt"):  # other events
            assert ix.check(_fresh(seeds[ident])).verdict == "new"
        ix.add(_fresh(seeds[S001]))
        v = ix.check(_fresh(seeds[S004]))  # a variant of 001, so of the story 000 began
        assert (v.verdict, v.of, v.group) == ("variant", S000, S000)
        assert ix.stats()["documents"] == 2


@pytest.mark.xfail(strict=True, reason="the same-story model gives seeds 000 and 004 (two tellings of one press "
                   "conference from different angles) a probability of 0.14: compare calls the pair distinct")
def test_seeds_004_alone_is_a_variant_of_000(location, seeds_dir):
    seeds = _seeds(seeds_dir)
    with Index.open(location, create=True) as ix:
        ix.add(seeds[S000])
        assert ix.check(_fresh(seeds[S004])).verdict == "variant"


def test_a_cp1256_repost_with_a_header_is_a_duplicate(location, seeds_dir, tmp_path):
    path = _cp1256_repost(seeds_dir, tmp_path)
    (repost,) = read([str(path)])
    assert repost.meta.get("encoding") == "cp1256" and repost.text.startswith("شبكة")
    with Index.open(location, create=True) as ix:
        ix.add(_seeds(seeds_dir)[S002])
        v = ix.check(repost)
    assert (v.verdict, v.of) == ("duplicate", S002)
    assert v.similarity == pytest.approx(compare_articles(_fresh(repost), _seeds(seeds_dir)[S002]).similarity, abs=1e-12)


def test_each_verdict_is_compare_s_verdict_of_the_pair(location, seeds_dir):
    seeds = list(_seeds(seeds_dir).values())
    pairs = [(x, y) for x in seeds for y in seeds if x is not y] + _synthetic()
    relations = set()
    with Index.open(location, create=True) as ix:
        for x, y in pairs:
            v = _index_relation(ix, x, y)
            _assert_same_as_compare(v, x, y)
            relations.add(v.verdict)
    assert relations == {"new", "variant", "duplicate"}


def test_the_best_candidate_is_chosen_by_compare_s_similarity(location, seeds_dir):
    seeds = _seeds(seeds_dir)
    with Index.open(location, create=True) as ix:
        ix.add_many([seeds[i] for i in (S000, S001)], batch=1)  # 001: a variant of 000, in 000's group
        v = ix.check(_fresh(seeds[S004]))
    to = {i: compare_articles(_fresh(seeds[S004]), _fresh(seeds[i])) for i in (S000, S001)}
    assert to[S001].relation == "variant"
    assert v.verdict == "variant" and v.group == S000
    assert v.similarity == pytest.approx(max(c.similarity for c in to.values() if c.relation == "variant"), abs=1e-12)


def test_compare_many_is_compare_articles_on_copies(seeds_dir):
    seeds = list(_seeds(seeds_dir).values())
    first, others = seeds[0], seeds[1:]
    got = compare_many(first, others)
    assert first.clean is None and all(o.clean is None and not o.removed for o in others)  # not stripped
    want = [compare_articles(_fresh(first), _fresh(o)) for o in others]
    assert [(v.relation, v.similarity, v.cosine, v.fact_score) for v in got] == \
        [(v.relation, v.similarity, v.cosine, v.fact_score) for v in want]


def _mixed() -> list[Article]:
    records = saudinewsnet_records(day="2015-08-02")[:120]
    arts = [Article(str(r["id"]), r["content"], title=r["title"], published="2015-08-02") for r in records
            if r["content"].strip()]
    reposts = [Article(f"re-{a.id}", "عاجل\n" + a.text[: int(len(a.text) * 0.8)], published="2015-08-02")
               for a in arts[:120:6]]
    return arts + reposts


def test_sqlite_and_redis_agree(tmp_path, redis_server, seeds_dir):
    arts = _mixed() + list(_seeds(seeds_dir).values())
    out = {}
    for name, location in (("sqlite", str(tmp_path / "a.sqlite")),
                           ("redis", f"{redis_server.url}?prefix=agree{tmp_path.name}")):
        with Index.open(location, create=True) as ix:
            added = [v.as_dict() for v in ix.add_many([_fresh(a) for a in arts], batch=37)]
            checked = [v.as_dict() for v in ix.check_many([_fresh(a, f"probe-{a.id}") for a in arts[::5]])]
        out[name] = (added, checked)
    assert out["sqlite"] == out["redis"]
    verdicts = [d["verdict"] for d in out["sqlite"][0]]
    assert verdicts.count("duplicate") >= 15 and "variant" in verdicts


def test_cli_check_says_variant_and_duplicate(tmp_path, seeds_dir):
    runner = CliRunner()
    path = str(tmp_path / "cli.sqlite")
    assert runner.invoke(app, ["index", "create", path]).exit_code == 0
    res = runner.invoke(app, ["index", "add", path, str(seeds_dir / S000), str(seeds_dir / S002)])
    assert res.exit_code == 0, res.output
    repost = _cp1256_repost(seeds_dir, tmp_path)
    res = runner.invoke(app, ["index", "check", path, str(seeds_dir / S001), str(repost)])
    assert res.exit_code == 0, res.output
    lines = [json.loads(l) for l in res.stdout.splitlines()]
    of = {Path(d["id"]).name: (d["verdict"], Path(d["of"]).name) for d in lines}
    assert of == {S001: ("variant", S000), "site_002.txt": ("duplicate", S002)}
    assert runner.invoke(app, ["index", "add", path, str(seeds_dir / S001)]).exit_code == 0
    res = runner.invoke(app, ["index", "check", path, str(seeds_dir / S004), str(seeds_dir / S001)])
    assert res.exit_code == 0, res.output
    lines = [json.loads(l) for l in res.stdout.splitlines()]
    of = {Path(d["id"]).name: (d["verdict"], Path(d["of"]).name) for d in lines}
    assert of == {S004: ("variant", S000), S001: ("variant", S000)}  # 004: a variant of 001, in 000's story
    # the similarity printed is dedup compare's
    res = runner.invoke(app, ["compare", str(seeds_dir / S001), str(seeds_dir / S000), "--format", "json"])
    assert json.loads(res.stdout)["similarity"] == lines[1]["similarity"]


def test_batch_mates_count_as_stored_and_replays_are_unchanged(location, seeds_dir):
    seeds = _seeds(seeds_dir)
    batch = [_fresh(seeds[i]) for i in (S000, S001, S004)] + [Article("copy", seeds[S001].text)]
    with Index.open(location, create=True) as ix:
        vs = ix.add_many(batch)
        assert [(v.verdict, v.of) for v in vs] == [("new", None), ("variant", S000), ("variant", S000),
                                                  ("duplicate", S001)]
        again = ix.add_many([_fresh(a) for a in batch])
        assert [(v.verdict, v.of, v.similarity, v.replay) for v in again] == \
            [(v.verdict, v.of, round(v.similarity, 4), True) for v in vs]
        assert ix.add(Article(S001, seeds[S002].text)).verdict == "conflict"
        assert ix.stats()["documents"] == 4


# -- an index of format 2 (no text stored) -------------------------------------------------------

def _as_format_2(location: str, ix: Index, arts: list[Article]) -> None:
    """Make the index what format 2 kept: each article's signatures and no text; the content
    words banded at the variant threshold, which its settings did not name apart."""
    settings = ix.settings
    sigs = {p.article.id: p for p in prepare([_fresh(a) for a in arts], settings, ix.signer)}
    meta = ix.store.get_meta()
    del meta["settings"]["candidate_threshold"]
    meta["format"] = 2
    if location.startswith("redis://"):
        r, prefix = ix.store.r, ix.store.prefix
        for i, p in sigs.items():
            r.hset(f"{prefix}:doc:{i}", mapping={"text_sig": p.text_sig.astype("<u4").tobytes(),
                                                 "terms_sig": p.terms_sig.astype("<u4").tobytes()})
            r.hdel(f"{prefix}:doc:{i}", "body")
        r.set(f"{prefix}:meta", json.dumps(meta))
        return
    db = sqlite3.connect(location, isolation_level=None)
    for i, p in sigs.items():
        db.execute("UPDATE docs SET text_sig=?, terms_sig=? WHERE id=?",
                   (p.text_sig.astype("<u4").tobytes(), p.terms_sig.astype("<u4").tobytes(), i))
    db.execute("ALTER TABLE docs DROP COLUMN body")
    db.execute("UPDATE meta SET value=?", (json.dumps(meta),))
    db.close()


def test_an_index_of_format_2_opens_and_decides_its_articles_by_the_estimates(location, seeds_dir):
    seeds = _seeds(seeds_dir)
    old = [seeds[S000], seeds[S002]]
    with Index.open(location, IndexSettings(candidate_threshold=0.3), create=True) as ix:
        ix.add_many([_fresh(a) for a in old])
        _as_format_2(location, ix, old)
    with Index.open(location, write=False) as ix:  # read-only: not migrated, still answers
        assert ix.settings.candidate_threshold == ix.settings.variant_threshold == 0.3
        copy = ix.check(Article("copy", seeds[S002].text))
        assert (copy.verdict, copy.of) == ("duplicate", S002)
        assert copy.similarity == pytest.approx(1.0)  # the MinHash estimate, not compare's measures
        assert ix.check(_fresh(seeds[S001])).verdict == "new"  # estimates: 000 and 001 share few words
    if not location.startswith("redis://"):
        assert "body" not in {r[1] for r in sqlite3.connect(location).execute("PRAGMA table_info(docs)")}
    with Index.open(location) as ix:  # for writing: migrated to format 3
        assert ix.store.get_meta()["format"] == FORMAT == 3
        replay = ix.add(_fresh(seeds[S000]))
        assert (replay.verdict, replay.replay) == ("new", True)
        text = seeds[S001].text
        repost = Article("repost", "عاجل\n" + text[: len(text) // 2])  # 5-gram Jaccard estimate 0.70
        assert ix.add(_fresh(seeds[S001])).verdict == "new"  # stored with its text now
        v = ix.check(repost)  # verified against 001, which has its text
        c = compare_articles(Article("repost", repost.text), _fresh(seeds[S001]))
        assert (v.verdict, v.of, c.relation) == ("duplicate", S001, "duplicate")
        assert v.similarity == pytest.approx(c.similarity, abs=1e-12) and c.similarity > 0.95  # containment
        assert ix.check(Article("copy", seeds[S002].text)).of == S002  # the old article, by its estimate
