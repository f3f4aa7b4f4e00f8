import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.match.candidates import candidate_pairs, optimal_bands
from dedup.match.shingle import as_set, char_shingles, jaccard, word_shingles
from dedup.match.signature import Signer, estimate_jaccard

WORDS = "قال وزير الخارجية إن المفاوضات ستعقد في الدوحة خلال أيام لبحث وقف إطلاق النار وتبادل الأسرى".split()


@pytest.mark.parametrize("seed,num_perm", [(1, 128), (42, 64), (7, 256)])
def test_signatures_identical_to_datasketch_affine32(seed, num_perm):
    ids = word_shingles(WORDS, 3)
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=int)
    m.update_batch([int(x) for x in ids])
    assert np.array_equal(Signer(num_perm, seed).sign(ids), m.hashvalues)


def test_batched_signing_equals_one_by_one():
    rng = np.random.default_rng(0)
    docs = [rng.integers(0, 2**32, size=int(rng.integers(0, 3000)), dtype=np.uint32) for _ in range(60)]
    signer = Signer(128, 3)
    batch = signer.sign_many(docs)
    for doc, sig in zip(docs, batch):
        assert np.array_equal(sig, signer.sign(doc))
    assert np.all(batch[[len(d) == 0 for d in docs]] == 0xFFFFFFFF)


def test_datasketch_lsh_indexes_our_signatures():
    signer = Signer(128, 1)
    a = signer.sign(word_shingles(WORDS, 2))
    b = signer.sign(word_shingles(WORDS[:-1], 2))
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh.insert("a", MinHash(seed=1, scheme="affine32", hashvalues=a))
    assert lsh.query(MinHash(seed=1, scheme="affine32", hashvalues=b)) == ["a"]


def test_band_choice_is_datasketch_s():
    from dedup.match.candidates import optimal_bands

    compared = 0
    for num_perm in (16, 64, 128):
        for threshold in np.round(np.arange(0.05, 1.0, 0.05), 2).tolist():
            try:
                lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
            except ValueError:  # datasketch refuses a choice of one band (high thresholds, few permutations)
                continue
            assert optimal_bands(threshold, num_perm) == (lsh.b, lsh.r), (threshold, num_perm)
            compared += 1
    assert compared >= 50
    with pytest.raises(ValueError, match="threshold"):
        optimal_bands(1.0, 128)


def test_estimate_tracks_exact_jaccard():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 2**32, 4000, dtype=np.uint32)
    other = np.concatenate([base[:2000], rng.integers(0, 2**32, 2000, dtype=np.uint32)])
    sa, sb = as_set(base), as_set(other)
    signer = Signer(512, 1)
    est = estimate_jaccard(signer.sign(sa), signer.sign(sb))
    assert abs(est - jaccard(sa, sb)) < 0.08  # 512 permutations: std error about 0.02


def test_short_text_still_has_a_shingle():
    assert len(word_shingles(["غزة"], 5)) == 1
    assert len(word_shingles([], 5)) == 0
    assert len(char_shingles("غزة", 5)) == 1


def test_lsh_finds_near_duplicates_and_not_strangers():
    signer = Signer(128, 1)
    docs = [as_set(word_shingles(WORDS * 3, 5)), as_set(word_shingles(WORDS * 3 + ["جديد"], 5)),
            as_set(word_shingles([f"كلمة{i}" for i in range(60)], 5))]
    pairs = candidate_pairs(signer.sign_many(docs), 0.5)
    assert pairs.tolist() == [[0, 1]]


def test_band_parameters_match_datasketch():
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    assert optimal_bands(0.5, 128) == (lsh.b, lsh.r)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**32 - 1), max_size=300), st.integers(0, 1000))
def test_signature_is_deterministic_and_order_free(ids, seed):
    arr = np.array(ids, dtype=np.uint32)
    s = Signer(64, seed)
    assert np.array_equal(s.sign(arr), s.sign(arr[::-1]))


def test_same_story_candidates_far_apart_in_time_are_dropped():
    from dedup.match.candidates import keyword_pairs

    keywords = [np.array([5, 9, 12], dtype=np.uint32)] * 4
    dates = ["2015-08-01", "2015-08-03", "2015-08-20", ""]
    assert keyword_pairs(keywords, 3, published=dates, max_days=3).tolist() == [[0, 1], [0, 3], [1, 3], [2, 3]]
    assert len(keyword_pairs(keywords, 3)) == 6
    assert len(keyword_pairs(keywords, 4)) == 0
