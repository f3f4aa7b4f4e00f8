import numpy as np

from dedup.match.term_vectors import TermVectors, document_frequencies, merge_frequencies


def test_frequencies_summed_over_partitions_give_the_corpus_vectors():
    rng = np.random.default_rng(4)
    units = [rng.integers(0, 50, size=rng.integers(0, 12)).astype(np.int64) for _ in range(40)]
    offsets = np.array([0, 10, 25, 40])
    whole_s, whole_d = TermVectors().fit_transform(units, offsets)
    keys, df = merge_frequencies([document_frequencies(units[:17]), document_frequencies(units[17:])])
    vec = TermVectors().from_frequencies(keys, df, len(units))
    part_s, part_d = vec.transform(units[25:], np.array([0, 15]))
    assert (part_s != whole_s[25:]).nnz == 0
    assert (part_d != whole_d[2:]).nnz == 0


def test_fit_transform_equals_fit_then_transform():
    rng = np.random.default_rng(7)
    units = [rng.integers(0, 30, size=rng.integers(0, 9)).astype(np.int64) for _ in range(25)]
    offsets = np.array([0, 5, 5, 25])
    a_s, a_d = TermVectors().fit_transform(units, offsets)
    b_s, b_d = TermVectors().fit(units).transform(units, offsets)
    assert (a_s != b_s).nnz == 0 and (a_d != b_d).nnz == 0
    assert a_d.shape == (3, TermVectors().fit(units).size)
    assert a_d[1].nnz == 0  # a document without units


def test_counts_made_on_slices_give_the_vectors_of_the_whole():
    from dedup.match.term_vectors import TermCounts

    rng = np.random.default_rng(11)
    units = [rng.integers(0, 40, size=rng.integers(0, 10)).astype(np.int64) for _ in range(50)]
    offsets = np.array([0, 12, 12, 30, 50])
    whole_s, whole_d = TermVectors().fit_transform(units, offsets)
    # slices across documents, and slices of whole documents (summed slice by slice), one empty
    for cuts in (((0, 7), (7, 7), (7, 31), (31, 50)), ((0, 12), (12, 12), (12, 30), (30, 50))):
        parts = [TermCounts.of(units[a:b]) for a, b in cuts]
        vec = TermVectors(threads=2)
        part_s, part_d = vec.fit_transform_counts(parts, offsets)
        assert parts == [None] * len(cuts)  # consumed: each released once placed
        assert vec.size == TermVectors().fit(units).size
        for whole, part in ((whole_s, part_s), (whole_d, part_d)):
            assert part.has_sorted_indices and np.array_equal(whole.indptr, part.indptr)
            assert np.array_equal(whole.indices, part.indices) and np.array_equal(whole.data, part.data)
