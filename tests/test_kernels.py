"""The compiled verification loops against plain numpy versions of the same arithmetic."""

import numpy as np
from scipy import sparse

from dedup import kernels


def _matrix(seed: int, rows: int = 60, cols: int = 400) -> sparse.csr_matrix:
    m = sparse.random(rows, cols, density=0.05, format="csr", dtype=np.float32, random_state=seed)
    m.data[m.indptr[5] : m.indptr[6]] = 0  # an empty row
    m.eliminate_zeros()
    m.sort_indices()
    return m


def test_intersections_count_the_common_ids_of_sorted_sets():
    rng = np.random.default_rng(1)
    sets = [np.unique(rng.integers(0, 300, size=rng.integers(0, 120))).astype(np.uint32) for _ in range(30)]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])]).astype(np.int64)
    pairs = rng.integers(0, 30, size=(400, 2)).astype(np.int64)
    got = kernels.intersections(offsets, np.concatenate(sets), pairs)
    want = [len(np.intersect1d(sets[i], sets[j])) for i, j in pairs]
    assert got.tolist() == want
    assert any(w == 0 for w in want) and any(w > 10 for w in want)


def test_row_cosines_equal_dense_products():
    for seed in range(3):
        m = _matrix(seed)
        pairs = np.random.default_rng(seed).integers(0, 60, size=(300, 2)).astype(np.int64)
        pairs[:3, 0] = 5
        dense = m.toarray().astype(np.float64)
        want = (dense[pairs[:, 0]] * dense[pairs[:, 1]]).sum(axis=1)
        got = kernels.row_cosines(m.indptr, m.indices, m.data, pairs)
        assert got.dtype == np.float32
        assert np.allclose(got, want, rtol=1e-6, atol=1e-7)
        assert np.all(got[:3] == 0)


def _reference_alignment(sim: np.ndarray, min_sim: float):
    """The fact score and mutual best matches, as numpy states them."""
    if sim.size == 0:
        return 0.0, []
    top_a = np.sort(sim.max(axis=1))[::-1][:3]
    top_b = np.sort(sim.max(axis=0))[::-1][:3]
    score = (float(top_a.sum()) / 3 + float(top_b.sum()) / 3) / 2
    best_b, best_a = sim.argmax(axis=1), sim.argmax(axis=0)
    mutual = [(x, int(best_b[x]), float(sim[x, best_b[x]])) for x in range(sim.shape[0])
              if best_a[best_b[x]] == x and sim[x, best_b[x]] >= min_sim]
    return score, mutual


def test_alignments_match_the_dense_similarity_matrix():
    m = _matrix(7, rows=80, cols=60)  # few columns: sentences share terms, and some tie
    m.data[: m.indptr[3]] = 1.0
    offsets = np.array([0, 3, 3, 20, 21, 45, 80], dtype=np.int64)  # article 1 has no sentences
    pairs = np.array([[0, 2], [1, 2], [2, 4], [3, 5], [0, 0], [4, 5]], dtype=np.int64)
    scores, m_pair, m_a, m_b, m_sim = kernels.alignments(*kernels.by_column(m.indptr, m.indices, m.data, offsets),
                                                         offsets, pairs, 0.05)
    dense = m.toarray().astype(np.float64)
    matched = 0
    for k, (i, j) in enumerate(pairs):
        a, b = dense[offsets[i] : offsets[i + 1]], dense[offsets[j] : offsets[j + 1]]
        score, mutual = _reference_alignment((a @ b.T).astype(np.float32), 0.05)
        assert abs(scores[k] - score) < 1e-6
        got = [(int(x), int(y), float(s)) for p, x, y, s in zip(m_pair, m_a, m_b, m_sim) if p == k]
        assert [(x, y) for x, y, _ in got] == [(x, y) for x, y, _ in mutual]
        assert np.allclose([s for *_, s in got], [s for *_, s in mutual], rtol=1e-6)
        matched += len(got)
    assert matched > 5
    assert scores[1] == 0  # no sentences on one side


def test_posting_pair_codes_are_the_close_pairs_of_each_posting_list():
    rng = np.random.default_rng(3)
    lists = [np.sort(rng.choice(500, size=rng.integers(2, 30), replace=False)) for _ in range(40)]
    days = rng.choice([1.0, 2.0, 9.0, np.nan], size=500)
    starts = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
    docs = np.concatenate(lists).astype(np.int64)
    got = kernels.posting_pair_codes(starts, docs, days[docs], 500, 3.0)
    want = []
    for posting in lists:
        iu, ju = np.triu_indices(len(posting), k=1)
        close = ~(np.abs(days[posting[iu]] - days[posting[ju]]) > 3.0)  # NaN keeps the pair
        want.extend((posting[iu[close]] * 500 + posting[ju[close]]).tolist())
    assert got.tolist() == want
    assert 0 < len(want) < sum(len(x) * (len(x) - 1) // 2 for x in lists)  # some pairs were too far apart


def test_heaviest_columns_break_ties_toward_the_lower_column():
    m = _matrix(5, rows=40, cols=200)
    m.data = np.round(m.data * 4).astype(np.float32) / 4  # many ties
    starts, cols = kernels.heaviest_columns(m.indptr, m.indices, m.data, 5)
    for r in range(m.shape[0]):
        idx, val = m.indices[m.indptr[r] : m.indptr[r + 1]], m.data[m.indptr[r] : m.indptr[r + 1]]
        want = np.sort(idx[np.lexsort((idx, -val))[:5]])
        assert cols[starts[r] : starts[r + 1]].tolist() == want.tolist()


def test_heaviest_allowed_columns_are_those_of_the_allowed_columns_selected_first():
    m = _matrix(6, rows=40, cols=200)
    m.data = np.round(m.data * 4).astype(np.float32) / 4  # many ties
    allowed = np.random.default_rng(2).random(200) < 0.6
    kept = np.flatnonzero(allowed)
    sub = m[:, kept].tocsr()
    sub.sort_indices()
    s1, c1 = kernels.heaviest_columns(sub.indptr, sub.indices, sub.data, 5)
    s2, c2 = kernels.heaviest_columns(m.indptr, m.indices, m.data, 5, allowed=allowed)
    assert np.array_equal(s1, s2) and np.array_equal(kept[c1], c2)
    assert allowed[c2].all() and len(c2) < len(kernels.heaviest_columns(m.indptr, m.indices, m.data, 5)[1])


def test_row_sums_add_each_documents_rows_column_by_column():
    m = _matrix(4)
    m.data = np.round(m.data * 5) + 1  # counts: sums are exact in any order
    offsets = np.array([0, 3, 3, 10, 6 + 10, 60], dtype=np.int64)  # one document without rows
    indptr, indices, data = kernels.row_sums(m.indptr, m.indices, m.data, offsets)
    got = sparse.csr_matrix((data, indices, indptr), shape=(5, m.shape[1]))
    dense = m.toarray()
    want = np.stack([dense[a:b].sum(axis=0) for a, b in zip(offsets[:-1], offsets[1:])])
    assert np.array_equal(got.toarray(), want)
    assert got.nnz == np.count_nonzero(want)  # each column once per document
    assert all(np.all(np.diff(indices[indptr[d] : indptr[d + 1]]) > 0) for d in range(5))


def test_the_loops_give_the_same_results_in_any_number_of_threads(monkeypatch):
    monkeypatch.setattr(kernels, "MIN_THREADED", 1)
    m = _matrix(7, rows=90)
    rng = np.random.default_rng(7)
    pairs = rng.integers(0, 30, size=(301, 2)).astype(np.int64)
    offsets = np.array([0, 4, 4, 9, 15, 30, 31, 45, 60, 75, 90], dtype=np.int64)
    doc_pairs = rng.integers(0, 10, size=(77, 2)).astype(np.int64)
    sets = [np.unique(rng.integers(0, 200, size=50)).astype(np.uint32) for _ in range(30)]
    set_offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])]).astype(np.int64)

    def run(threads):
        cols = kernels.by_column(m.indptr, m.indices, m.data, offsets, threads)
        return [kernels.intersections(set_offsets, np.concatenate(sets), pairs, threads),
                kernels.row_cosines(m.indptr, m.indices, m.data, pairs, threads),
                *kernels.row_sums(m.indptr, m.indices, m.data, offsets, threads), *cols,
                *kernels.alignments(*cols, offsets, doc_pairs, 0.05, threads),
                *kernels.heaviest_columns(m.indptr, m.indices, m.data, 4, threads),
                kernels.agreements((m.toarray() > 0.5).astype(np.uint32), pairs, threads)]

    one = run(1)
    assert len(one[-5]) > 0  # some matches found (the alignments' pair numbers are offset per slice)
    for threads in (2, 3, 7):
        got = run(threads)
        assert all(np.array_equal(a, b) for a, b in zip(one, got)), threads


def test_agreements_are_the_share_of_equal_slots():
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 4, size=(40, 128)).astype(np.uint32)
    pairs = rng.integers(0, 40, size=(500, 2)).astype(np.int64)
    want = (sigs[pairs[:, 0]] == sigs[pairs[:, 1]]).mean(axis=1)
    assert np.array_equal(kernels.agreements(sigs, pairs), want)
    assert kernels.agreements(sigs, np.array([[3, 3]]))[0] == 1.0


def test_bucket_pairs_follow_the_bucket_rule_for_small_and_large_buckets():
    from dedup.candidates import MAX_BUCKET_PAIRS, bucket_pairs

    rng = np.random.default_rng(9)
    docs = np.arange(300, dtype=np.int64)
    band = np.zeros(300, dtype=np.int64)
    key = rng.integers(0, 40, size=300).astype(np.uint64)
    key[:150] = 7  # one bucket of 150+ documents: not expanded to all its pairs
    want = set()
    for k in np.unique(key):
        members = sorted(docs[key == k].tolist())
        if len(members) <= MAX_BUCKET_PAIRS:
            want |= {(a, b) for x, a in enumerate(members) for b in members[x + 1 :]}
        else:
            for x, m in enumerate(members):
                want |= {(h, m) for h in members[:8] if h < m}
                if x + 1 < len(members):
                    want.add((m, members[x + 1]))
    shuffled = rng.permutation(300)  # postings in any order
    got = bucket_pairs(band[shuffled], key[shuffled], docs[shuffled])
    assert list(map(tuple, got.tolist())) == sorted(want)
    assert len(want) < 150 * 149 // 2


def test_sentence_numbers_widen_for_a_document_of_many_sentences():
    from scipy import sparse

    rng = np.random.default_rng(3)
    for n_sentences, wanted in ((40, np.int16), (2**15 + 5, np.int32)):
        rows = n_sentences + 3  # a second document of 3 sentences after the long one
        m = sparse.random(rows, 50, density=0.1, format="csr", dtype=np.float32, random_state=rng)
        m.sort_indices()
        offsets = np.array([0, n_sentences, rows], dtype=np.int64)
        starts, cols, numbers, vals = kernels.by_column(m.indptr, m.indices, m.data, offsets)
        assert numbers.dtype == wanted
        # every entry kept with its own sentence number (no wrap past 32767)
        got = sparse.csr_matrix((vals[: starts[1]], (numbers[: starts[1]].astype(np.int64), cols[: starts[1]])),
                                shape=(n_sentences, 50))
        assert (got != m[:n_sentences]).nnz == 0


def test_cross_links_checks_the_pairs_the_linkage_rule_names():
    rng = np.random.default_rng(5)
    base = 1 << 32
    for _ in range(200):
        people = rng.permutation(400)[: rng.integers(2, 120)]
        cut = int(rng.integers(1, len(people)))
        a, b = np.sort(people[:cut]).astype(np.int64), np.sort(people[cut:]).astype(np.int64)
        total = len(a) * len(b)
        picks = range(total) if total <= 64 else [int(k * total / 64) for k in range(64)]
        cross = [(min(a[p // len(b)], b[p % len(b)]), max(a[p // len(b)], b[p % len(b)])) for p in picks]
        codes_all = np.array([i * base + j for i, j in cross], dtype=np.int64)
        # some pairs verified before, some verified ahead, the rest in neither
        where = rng.integers(0, 3, len(cross))
        known = np.unique(np.concatenate([codes_all[where == 0], rng.integers(0, 400 * base, 50)]))
        ahead = np.unique(codes_all[where == 1])
        rel_known = rng.integers(0, 3, len(known)).astype(np.int8)
        rel_ahead = rng.integers(0, 3, len(ahead)).astype(np.int8)
        count, hit, rest = kernels.cross_links(a, b, 64, base, known, rel_known, ahead, rel_ahead)
        want_count, want_hit, want_rest = 0, [], []
        for c in codes_all.tolist():
            k = np.searchsorted(known, c)
            if k < len(known) and known[k] == c:
                want_count += rel_known[k] != 0
                continue
            k = np.searchsorted(ahead, c)
            if k < len(ahead) and ahead[k] == c:
                want_hit.append(k)
                want_count += rel_ahead[k] != 0
            else:
                want_rest.append(c)
        assert count == want_count and hit.tolist() == want_hit and rest.tolist() == want_rest


def test_pairs_made_range_by_range_are_the_pairs_made_at_once(monkeypatch):
    from dedup import candidates

    rng = np.random.default_rng(9)
    # 300 documents in 40 stories of many near-identical copies: big buckets, shared keywords
    story = rng.integers(0, 40, 300)
    base_sigs = rng.integers(0, 2**32 - 1, (40, 128), dtype=np.uint64).astype(np.uint32)
    sigs = base_sigs[story].copy()
    noise = rng.random(sigs.shape) < 0.3
    sigs[noise] = rng.integers(0, 2**32 - 1, int(noise.sum()), dtype=np.uint64).astype(np.uint32)
    words = [np.unique(np.r_[rng.choice(8, 6, replace=False) + 1000 * s, rng.integers(0, 5000, 4)])
             for s in story.tolist()]
    days = [f"2015-07-{int(d):02d}" for d in rng.integers(1, 9, 300)]  # some pairs over 3 days apart
    at_once = (candidates.candidate_pairs(sigs, 0.5), candidates.keyword_pairs(words, 3, 200, days, 3.0))
    assert len(at_once[0]) > 500 and len(at_once[1]) > 100
    monkeypatch.setattr(candidates, "PAIR_BUDGET", 97)  # many ranges
    by_range = (candidates.candidate_pairs(sigs, 0.5), candidates.keyword_pairs(words, 3, 200, days, 3.0))
    for got, want in zip(by_range, at_once):
        assert np.array_equal(got, want)


def test_weigh_rows_gives_numpy_and_scipy_s_weights_to_the_last_bit(monkeypatch):
    rng = np.random.default_rng(4)
    lengths = [0, 1, 2, 7, 8, 9, 15, 16, 17, 128, 129, 300, 1000]  # the pairwise sum's block edges
    cols = 2000
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = np.concatenate([np.sort(rng.choice(cols, n, replace=False)) for n in lengths]).astype(np.int32)
    counts = rng.integers(1, 9, size=len(indices)).astype(np.float32)
    idf = (rng.random(cols) * 9 + 1).astype(np.float32)
    m = sparse.csr_matrix((np.log(counts) + 1, indices, indptr), shape=(len(lengths), cols))
    # the rule as numpy and scipy state it: weights, their rows' norms, each row divided
    want = m.copy()
    want.data *= idf[want.indices]
    norms = np.sqrt(np.asarray(want.multiply(want).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    want.data *= np.repeat(1 / norms, np.diff(want.indptr))
    monkeypatch.setattr(kernels, "MIN_THREADED", 1)
    for threads in (1, 2):
        got = np.log(counts) + 1
        kernels.weigh_rows(indptr, indices, got, idf, threads)
        assert np.array_equal(got.view(np.uint32), want.data.view(np.uint32))
    lengths_of = np.sqrt(np.add.reduceat(want.data.astype(np.float64) ** 2, indptr[1:-1]))
    assert np.allclose(lengths_of, 1, atol=1e-6)  # every row but the empty one at unit length


def test_heads_are_the_cosines_of_the_first_units():
    m = _matrix(11, rows=60, cols=40)
    offsets = np.array([0, 1, 1, 9, 12, 30, 60], dtype=np.int64)  # one article of one unit, one of none
    pairs = np.array([[0, 2], [1, 2], [2, 3], [3, 4], [4, 5], [2, 2]], dtype=np.int64)
    got = kernels.heads(*kernels.by_column(m.indptr, m.indices, m.data, offsets), offsets, pairs)
    dense = m.toarray().astype(np.float64)
    for k, (i, j) in enumerate(pairs):
        a = dense[offsets[i] : offsets[i] + min(3, offsets[i + 1] - offsets[i])]
        b = dense[offsets[j] : offsets[j] + min(3, offsets[j + 1] - offsets[j])]
        if not len(a) or not len(b):
            assert got[k].tolist() == [0.0, 0.0, 0.0]
            continue
        s = a @ b.T
        cross = [s[0, y] for y in range(1, len(b))] + [s[x, 0] for x in range(1, len(a))]
        lead = [s[x, y] for x in range(1, len(a)) for y in range(1, len(b))]
        assert np.allclose(got[k], [s[0, 0], max(cross, default=0.0), max(lead, default=0.0)], atol=1e-9)
    assert got[1].tolist() == [0.0, 0.0, 0.0] and got[5, 0] > 0  # no units; an article against itself
