import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.metrics import (
    adjusted_rand, bcubed, clustering_from_groups, clustering_from_pairs, evaluate, pair_scores, pairwise,
)

TRUTH = clustering_from_groups([["a", "b", "c"], ["d", "e"], ["f"]])


def test_perfect_clustering():
    m = evaluate(TRUTH, dict(TRUTH))
    assert m["pairwise_f1"] == m["bcubed_f1"] == m["ari"] == 1.0


def test_pairwise_by_hand():
    pred = clustering_from_groups([["a", "b"], ["c", "d", "e"], ["f"]])
    # predicted pairs: ab, cd, ce, de (4); true pairs: ab, ac, bc, de (4); both: ab, de
    pw = pairwise(TRUTH, pred)
    assert (pw.precision, pw.recall) == (0.5, 0.5)


def test_bcubed_by_hand():
    pred = clustering_from_groups([["a", "b", "c", "d", "e", "f"]])
    b3 = bcubed(TRUTH, pred)
    # precision per item: a,b,c 3/6; d,e 2/6; f 1/6 -> (9+4+1)/36 / ... averaged over 6 items
    assert b3.precision == pytest.approx((3 * 3 / 6 + 2 * 2 / 6 + 1 / 6) / 6)
    assert b3.recall == 1.0


def test_all_singletons_have_perfect_precision_and_no_recall():
    pred = clustering_from_groups([[x] for x in TRUTH])
    assert pairwise(TRUTH, pred).precision == 1.0 and pairwise(TRUTH, pred).recall == 0.0
    assert bcubed(TRUTH, pred).precision == 1.0


def test_items_must_match():
    with pytest.raises(ValueError, match="different items"):
        pairwise(TRUTH, {"a": 1})


def test_clustering_from_pairs_is_connected_components():
    c = clustering_from_pairs(list("abcde"), [("a", "b"), ("b", "c")])
    assert c["a"] == c["b"] == c["c"] and len({c["a"], c["d"], c["e"]}) == 3


def test_pair_scores():
    s = pair_scores([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert s["roc_auc"] == 1.0
    assert s["spearman"] == pytest.approx(math.sqrt(0.8), rel=1e-6)


labels = st.dictionaries(st.integers(0, 30), st.integers(0, 5), min_size=1)


@given(labels, st.data())
def test_metrics_in_unit_interval_and_symmetric_f1(truth, data):
    pred = {k: data.draw(st.integers(0, 5)) for k in truth}
    for prf in (pairwise(truth, pred), bcubed(truth, pred)):
        assert 0.0 <= prf.precision <= 1.0 and 0.0 <= prf.recall <= 1.0
    # swapping truth and prediction swaps precision and recall
    a, b = bcubed(truth, pred), bcubed(pred, truth)
    assert a.precision == pytest.approx(b.recall) and a.recall == pytest.approx(b.precision)
    assert -1.0 <= adjusted_rand(truth, pred) <= 1.0


def test_cli_evaluate_groups_and_pairs(tmp_path, seeds_dir):
    import json

    from typer.testing import CliRunner

    from dedup.cli import app

    names = sorted(p.name for p in seeds_dir.iterdir())
    truth = {"000": "a", "001": "a", "004": "a", "002": "b", "003": "c"}
    groups = tmp_path / "groups.jsonl"
    groups.write_text("\n".join(json.dumps({"id": n, "group": truth[n[:3]]}) for n in names), encoding="utf-8")
    res = CliRunner().invoke(app, ["evaluate", str(seeds_dir), "--labels", str(groups), "--format", "json"])
    assert res.exit_code == 0, res.output
    m = json.loads(res.stdout)
    assert m["pairwise_f1"] == 1.0 and m["bcubed_f1"] == 1.0 and m["items"] == 5
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"a,b,label\n{names[0]},{names[1]},1\n{names[0]},{names[2]},0\n{names[2]},{names[3]},same\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["evaluate", str(seeds_dir), "--labels", str(pairs), "--format", "json"])
    m = json.loads(res.stdout)
    assert m["pairs"] == 3 and m["precision"] == 1.0 and m["recall"] == 0.5
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    res = CliRunner().invoke(app, ["evaluate", str(seeds_dir), "--labels", str(bad)])
    assert res.exit_code == 2 and "bad.jsonl" in res.stderr


def test_components_are_labelled_by_their_first_item():
    c = clustering_from_pairs([1, 3, 5, 7, 9], [(9, 3), (7, 5)])
    assert c == {1: 1, 3: 3, 9: 3, 5: 5, 7: 5}
