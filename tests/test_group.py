"""Grouping verified pairs, and the columnar verdict store it reads."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.match.group import group, group_verdicts
from dedup.engine.local import Settings
from dedup.match.verdict import Measures, Verdict
from dedup.match.verdicts import Verdicts
from dedup.match.verify import Verifier


def _v(relation: str, similarity: float) -> Verdict:
    return Verdict(relation, similarity, 0.0, 0.0, 0.0, 0.0, [], Measures(0, 0, 0, 0, 0, 0, None))


def test_a_chain_of_variants_does_not_join_its_ends():
    # 0, 1, 2 tell one story; 3 is close to 2 only: fewer than half the pairs across
    # {0, 1, 2} and {3} are related, so 3 stays out
    verdicts = {(0, 1): _v("variant", 0.9), (0, 2): _v("variant", 0.8), (1, 2): _v("variant", 0.7),
                (2, 3): _v("variant", 0.5)}
    asked = []

    def verify_many(pairs):
        asked.extend(pairs)
        return {p: _v("distinct", 0.0) for p in pairs}

    groups = group(4, verdicts, verify_many)
    assert [g.members for g in groups] == [[0, 1, 2], [3]]
    assert asked == [(0, 3), (1, 3)]  # the missing cross pairs, verified once
    assert [(i, j) for i, j, _ in groups[0].edges] == [(0, 1), (0, 2), (1, 2)]
    verdicts[(0, 3)] = _v("variant", 0.3)  # now half the cross pairs are related: 3 joins
    assert [g.members for g in group(4, verdicts, verify_many)] == [[0, 1, 2, 3]]


def test_duplicates_join_transitively_and_name_their_original():
    verdicts = {(0, 3): _v("duplicate", 1.0), (3, 5): _v("duplicate", 0.95)}
    groups = group(6, verdicts, lambda pairs: {p: _v("distinct", 0.0) for p in pairs})
    assert groups[0].members == [0, 3, 5] and groups[0].relation == "duplicate"
    assert groups[0].duplicate_of == {3: 0, 5: 0}
    assert sorted(len(g.members) for g in groups) == [1, 1, 1, 3]


@pytest.fixture(scope="module")
def seeds_verified(seeds_corpus):
    corpus, articles, settings = seeds_corpus, seeds_corpus.articles, Settings()
    everything = np.array([(i, j) for i in range(len(articles)) for j in range(i + 1, len(articles))])
    verifier = Verifier(corpus, settings.thresholds)
    return articles, verifier, verifier.verify_many(everything[::-1].copy())


def test_the_store_gives_the_verdict_of_each_pair_verified_alone(seeds_verified):
    _, verifier, store = seeds_verified
    assert list(store) == sorted(store)  # rows in (i, j) order, whatever order they were asked in
    assert len(store) == 10
    for i, j in store:
        alone = verifier.verify(i, j)
        assert store[(i, j)] == alone
        assert (i, j) in store and (j, i) not in store
    related = [v for v in store.values() if v.relation != "distinct"]
    assert related and any(v.shared for v in related)  # shared sentences come back as text
    shared = [s.similarity for v in related for s in v.shared]
    assert all(0.0 < s <= 1.0 + 1e-9 for s in shared)
    with pytest.raises(KeyError):
        store[(0, 99)]


def test_store_rows_and_concat_keep_the_first_verdict_of_a_pair(seeds_verified):
    _, verifier, store = seeds_verified
    assert store.rows(np.array([[0, 1], [7, 8], [3, 4]])).tolist() == [0, -1, 9]
    part = verifier.verify_many(np.array([[3, 4], [0, 1]]))
    other = Verdicts.of({(0, 1): _v("duplicate", 1.0), (8, 9): _v("variant", 0.5)})
    both = Verdicts.concat([part, store])
    assert len(both) == 10 and both[(3, 4)] == store[(3, 4)]
    mixed = Verdicts.concat([other, part])
    assert sorted(mixed) == [(0, 1), (3, 4), (8, 9)]
    assert mixed[(0, 1)].relation == "duplicate" and mixed[(3, 4)] == part[(3, 4)]


def test_grouping_a_store_equals_grouping_its_verdicts_as_objects(seeds_verified):
    articles, verifier, store = seeds_verified

    def verify_many(pairs):
        return verifier.verify_many(np.array(pairs, dtype=np.int64))

    from_store, used = group_verdicts(len(articles), store, verify_many)
    from_dict = group(len(articles), dict(store.items()), lambda p: dict(verify_many(p).items()))
    assert [(g.members, g.relation, g.duplicate_of) for g in from_store] == \
        [(g.members, g.relation, g.duplicate_of) for g in from_dict]
    assert [list(g.edges) for g in from_store] == [list(g.edges) for g in from_dict]
    assert any(len(g.edges) for g in from_store)
    assert len(used) == len(store)  # every pair was given: nothing verified on demand


def test_verifying_in_chunks_gives_the_verdicts_of_one_batch(seeds_verified, monkeypatch):
    from dedup.match import verify

    _, verifier, store = seeds_verified
    monkeypatch.setattr(verify, "CHUNK", 3)
    chunked = verifier.verify_many(np.array(list(store))[::-1].copy())
    assert list(chunked) == list(store) and list(chunked.values()) == list(store.values())


def test_chunks_in_order_are_joined_without_dropping_rows(seeds_verified, monkeypatch):
    from dedup.match import verify

    _, verifier, store = seeds_verified
    monkeypatch.setattr(verify, "CHUNK", 3)
    joined = []
    real = Verdicts._joined
    monkeypatch.setattr(Verdicts, "_joined", staticmethod(lambda parts: joined.append(len(parts)) or real(parts)))
    chunked = verifier.verify_many(np.array(list(store)))  # pairs in order: chunks in order
    assert joined == [4]
    assert list(chunked) == list(store) and list(chunked.values()) == list(store.values())
    assert any(v.shared for v in chunked.values())  # shared sentences renumbered across the chunks


def test_merging_a_small_store_into_a_large_one_equals_joining_them(seeds_verified):
    _, verifier, store = seeds_verified
    pairs = np.array(list(store))
    big = verifier.verify_many(pairs[::2].copy())
    small = verifier.verify_many(pairs[[0, 1, 3, 5, 9]].copy())  # some in big, some not
    merged, joined = big.merged(small), Verdicts.concat([big, small])
    assert list(merged) == list(joined)
    assert len(merged) == len(set(map(tuple, np.r_[pairs[::2], pairs[[0, 1, 3, 5, 9]]].tolist())))
    assert list(merged.values()) == list(joined.values())
    assert any(v.shared for v in merged.values())


def test_duplicate_sets_are_named_by_their_lowest_member():
    from dedup.match.group import UnionFind, duplicate_roots

    rng = np.random.default_rng(8)
    n = 300
    pairs = np.sort(rng.integers(0, n, size=(120, 2)), axis=1)
    pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    sets = UnionFind(n)
    for i, j in pairs.tolist():
        sets.union(i, j)
    roots = duplicate_roots(n, pairs)
    for i in range(n):
        mine = [k for k in range(n) if sets.find(k) == sets.find(i)]
        assert roots[i] == min(mine)
    assert len(set(roots)) < n - 50  # many articles joined
    assert duplicate_roots(4, np.empty((0, 2), dtype=np.int64)) == [0, 1, 2, 3]
