"""The same-story model: its shipped parameters, its probabilities, and the one decision rule
that verification, compare and calibration share."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from dedup.match.model import EVIDENCE, MODEL_FILE, SameStoryModel, load
from dedup.match.verdict import Thresholds, classify, similarity
from dedup.match.verify import Verifier


def test_the_shipped_model_is_readable_and_was_never_fitted_on_a_test_day():
    raw = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    model = load()
    assert model.features == tuple(raw["features"]) and set(model.features) <= set(EVIDENCE)
    assert 0.0 < model.threshold < 1.0
    trained = raw["trained"]
    assert trained["command"] == "python -m benchmarks train-verifier"
    from benchmarks.datasets import DEV_EVENT_DAY, TEST_EVENT_DAYS, TRAIN_EVENT_DAYS

    assert trained["train_days"] == list(TRAIN_EVENT_DAYS) and trained["dev_day"] == DEV_EVENT_DAY
    assert not set(TEST_EVENT_DAYS) & set(trained["train_days"] + [trained["dev_day"]])
    assert trained["chosen"]["threshold"] == model.threshold


def test_a_model_file_with_unknown_evidence_or_wrong_shapes_is_refused():
    good = load().as_dict()
    with pytest.raises(ValueError, match="evidence this version does not make"):
        SameStoryModel.from_dict({**good, "features": good["features"][:-1] + ["telepathy"]})
    with pytest.raises(ValueError, match="one value per feature"):
        SameStoryModel.from_dict({**good, "weights": good["weights"][:-1]})


def test_a_pairs_probability_does_not_depend_on_the_others_scored_with_it():
    model = load()
    rng = np.random.default_rng(3)
    evidence = {f: rng.random(257) for f in model.features}
    many = model.probability(evidence)
    alone = [model.probability({f: v[k : k + 1] for f, v in evidence.items()})[0] for k in range(0, 257, 16)]
    assert many[::16].tolist() == alone
    assert ((many > 0) & (many < 1)).all()


@pytest.mark.parametrize("thresholds", [Thresholds(), Thresholds.calibrated(), Thresholds(variant_probability=0.1)],
                         ids=["fact-and-cosine", "model", "model-at-0.1"])
def test_the_scalar_rule_is_the_rule_verification_applies(seeds_corpus, thresholds):
    """classify/similarity (what calibration relabels with) give every verified pair the relation
    and the similarity that the verifier's arrays gave it."""
    n = len(seeds_corpus.articles)
    pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, n)])
    store = Verifier(seeds_corpus, thresholds).verify_many(pairs)
    relations = set()
    for v in store.values():
        if v.measures.days_apart is None and v.relation == "distinct" and v.measures.fact_score == 0:
            continue  # decided by the quick look, before the measures the rule reads
        assert classify(v.measures, thresholds) == v.relation
        assert similarity(v.relation, v.measures, thresholds) == pytest.approx(v.similarity, abs=1e-12)
        relations.add(v.relation)
    assert "variant" in relations


def test_the_probability_is_kept_with_each_verdict_and_orders_the_seeds_pairs(seeds_corpus):
    n = len(seeds_corpus.articles)
    pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, n)])
    store = Verifier(seeds_corpus, Thresholds.calibrated()).verify_many(pairs)
    ids = [a.id[:3] for a in seeds_corpus.articles]
    p = {(ids[i], ids[j]): v.measures.probability for (i, j), v in store.items()}
    assert p[("000", "001")] > p[("000", "003")] and p[("001", "004")] > p[("002", "003")]
    assert all(0.0 <= x <= 1.0 for x in p.values())
    assert dataclasses.asdict(store[(0, 1)].measures)["probability"] == p[(ids[0], ids[1])]


def test_cluster_takes_the_operating_point_on_the_command_line(seeds_dir):
    from typer.testing import CliRunner

    from dedup.cli import app

    def groups(*extra):
        res = CliRunner().invoke(app, ["cluster", str(seeds_dir), "--format", "json", *extra])
        assert res.exit_code == 0, res.output
        return sorted(sorted(m["id"][:3] for m in g["members"]) for g in json.loads(res.stdout)["groups"])

    default = groups()
    assert default == [["000", "001", "004"], ["002"], ["003"]]  # the model's operating point: the seeds exactly
    stricter, strict = groups("--min-similarity", "0.35"), groups("--min-similarity", "0.9")
    assert stricter != default and all(len(g) == 1 for g in strict)
    assert CliRunner().invoke(app, ["cluster", str(seeds_dir), "--min-similarity", "1.5"]).exit_code == 2


def _stories(n: int = 2) -> list:
    """``n`` SaudiNewsNet articles of different days, each of three paragraphs or more."""
    from .conftest import saudinewsnet_records

    out, days = [], set()
    for r in saudinewsnet_records(limit=3000):
        paras = [p.strip() for p in r["content"].split("\n") if len(p.split()) >= 12]
        if len(paras) >= 4 and r["date_extracted"][:10] not in days and r["title"].strip():
            out.append((r["title"].strip(), paras))
            days.add(r["date_extracted"][:10])
        if len(out) == n:
            return out
    raise AssertionError("too few articles of four paragraphs")


@pytest.mark.parametrize("marker", ["إقرأ أيضاً:", ""])
@pytest.mark.parametrize("at", [1, 2, None])
def test_a_read_also_block_of_another_story_does_not_make_them_one_story(marker, at):
    from dedup import Article
    from dedup.match.compare import compare_articles

    (title_a, a), (title_b, b) = _stories()
    block = ([marker] if marker else []) + [title_b] + b[:2]
    at = len(a) if at is None else at
    carrier = Article("a2", "\n\n".join(a[:at] + block + a[at:]), title=title_a)
    other = Article("b", "\n\n".join(b), title=title_b)
    own = Article("a", "\n\n".join(a), title=title_a)
    glued = compare_articles(carrier, other)
    assert glued.relation == "distinct" and glued.similarity == 0.0, glued.as_dict()
    assert compare_articles(Article("a2", carrier.text, title=title_a), own).relation != "distinct"


def test_a_rewrite_that_quotes_the_others_opening_is_not_taken_for_a_carried_block():
    """The same sentences, not word for word (one word of each changed): a rewrite, not a block."""
    from dedup.match.verdict import embedded_blocks

    m_pair, m_a, m_b = np.zeros(3, dtype=np.int64), np.array([3, 4, 5]), np.array([0, 1, 2])
    units = np.array([12]), np.array([8])
    assert embedded_blocks(1, m_pair, m_a, m_b, np.array([1.0, 0.97, 1.0]), *units).tolist() == [True]
    assert embedded_blocks(1, m_pair, m_a, m_b, np.array([1.0, 0.7, 1.0]), *units).tolist() == [False]
    # not in one piece in the carrier, or beginning past the other's opening, or at the carrier's own head
    assert embedded_blocks(1, m_pair, np.array([3, 5, 6]), m_b, np.ones(3), *units).tolist() == [False]
    assert embedded_blocks(1, m_pair, m_a, m_b + 2, np.ones(3), *units).tolist() == [False]
    assert embedded_blocks(1, m_pair, m_a - 2, m_b, np.ones(3), *units).tolist() == [False]
    # the other way round: the second article carries the first's opening
    assert embedded_blocks(1, m_pair, m_b, m_a, np.ones(3), units[1], units[0]).tolist() == [True]
