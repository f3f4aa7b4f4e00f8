"""The loops against plain numpy versions of the same arithmetic, each both ways it runs
(the compiled instance, and the same source as plain Python); the two ways against each other
on the calls of a real job; and which way a call takes."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import sparse

from dedup.compute import kernels

from .conftest import ROOT, SEEDS, saudinewsnet_records


@pytest.fixture(params=["plain", "compiled"])
def way(request, monkeypatch):
    """Every entry point's loop taken plain, or compiled, whatever the size of the call."""
    if request.param == "plain":
        monkeypatch.setattr(kernels, "_pick", lambda name, *arrays: kernels._plain_call(getattr(kernels._plain, name)))
    else:
        monkeypatch.setattr(kernels, "_pick", lambda name, *arrays: getattr(kernels._compiled_loops(), name))
    return request.param


def _matrix(seed: int, rows: int = 60, cols: int = 400) -> sparse.csr_matrix:
    m = sparse.random(rows, cols, density=0.05, format="csr", dtype=np.float32, random_state=seed)
    m.data[m.indptr[5] : m.indptr[6]] = 0  # an empty row
    m.eliminate_zeros()
    m.sort_indices()
    return m


def test_intersections_count_the_common_ids_of_sorted_sets(way):
    rng = np.random.default_rng(1)
    sets = [np.unique(rng.integers(0, 300, size=rng.integers(0, 120))).astype(np.uint32) for _ in range(30)]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sets])]).astype(np.int64)
    pairs = rng.integers(0, 30, size=(400, 2)).astype(np.int64)
    got = kernels.intersections(offsets, np.concatenate(sets), pairs)
    want = [len(np.intersect1d(sets[i], sets[j])) for i, j in pairs]
    assert got.tolist() == want
    assert any(w == 0 for w in want) and any(w > 10 for w in want)


def test_row_cosines_equal_dense_products(way):
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


def test_alignments_match_the_dense_similarity_matrix(way):
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


def test_posting_pair_codes_are_the_close_pairs_of_each_posting_list(way):
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


def test_heaviest_columns_break_ties_toward_the_lower_column(way):
    m = _matrix(5, rows=40, cols=200)
    m.data = np.round(m.data * 4).astype(np.float32) / 4  # many ties
    starts, cols = kernels.heaviest_columns(m.indptr, m.indices, m.data, 5)
    for r in range(m.shape[0]):
        idx, val = m.indices[m.indptr[r] : m.indptr[r + 1]], m.data[m.indptr[r] : m.indptr[r + 1]]
        want = np.sort(idx[np.lexsort((idx, -val))[:5]])
        assert cols[starts[r] : starts[r + 1]].tolist() == want.tolist()


def test_heaviest_allowed_columns_are_those_of_the_allowed_columns_selected_first(way):
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


def test_row_sums_add_each_documents_rows_column_by_column(way):
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


def test_the_loops_give_the_same_results_in_any_number_of_threads(way, monkeypatch):
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


def test_agreements_are_the_share_of_equal_slots(way):
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 4, size=(40, 128)).astype(np.uint32)
    pairs = rng.integers(0, 40, size=(500, 2)).astype(np.int64)
    want = (sigs[pairs[:, 0]] == sigs[pairs[:, 1]]).mean(axis=1)
    assert np.array_equal(kernels.agreements(sigs, pairs), want)
    assert kernels.agreements(sigs, np.array([[3, 3]]))[0] == 1.0


def test_bucket_pairs_follow_the_bucket_rule_for_small_and_large_buckets(way):
    from dedup.match.candidates import MAX_BUCKET_PAIRS, bucket_pairs

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


def test_sentence_numbers_widen_for_a_document_of_many_sentences(way):
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


def test_cross_links_checks_the_pairs_the_linkage_rule_names(way):
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


def test_pairs_made_range_by_range_are_the_pairs_made_at_once(way, monkeypatch):
    from dedup.match import candidates

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


def test_weigh_rows_gives_numpy_and_scipy_s_weights_to_the_last_bit(way, monkeypatch):
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


def test_heads_are_the_cosines_of_the_first_units(way):
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


# -- plain and compiled: the same results; which one a call takes -------------------------

ENTRIES = ["_agreements", "_alignments", "_by_column", "_heads", "_heaviest_columns", "_intersections", "_marked",
           "_row_cosines", "_row_sums", "_weigh_rows", "bucket_pair_codes", "code_hashes", "cross_links",
           "posting_pair_codes", "table_find", "table_insert"]


def _copied(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _same(a, b, what: str) -> None:
    """Equal to the last bit: arrays of the same type and shape and bytes, scalars of the same value."""
    if isinstance(a, tuple | list):
        assert isinstance(b, tuple | list) and len(a) == len(b), what
        for k, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{what}[{k}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and (a.dtype, a.shape) == (b.dtype, b.shape), what
        assert a.tobytes() == b.tobytes(), what
    elif a is None:
        assert b is None, what
    else:
        x, y = np.asarray(a), np.asarray(b)  # numba returns Python scalars, numpy its own
        assert x.dtype.kind == y.dtype.kind and x.astype(np.float64).tobytes() == y.astype(np.float64).tobytes(), what


@pytest.fixture(scope="module")
def job_calls():
    """The first 12 calls of each loop in a real job (the seeds and 150 articles of a SaudiNewsNet
    day, in one process), each loop's arguments as they were before the call."""
    from dedup import Article, Settings, cluster_articles, read

    articles = list(read([SEEDS])) + [
        Article(str(r["id"]), r["content"], title=r["title"], published=r["date_extracted"][:10])
        for r in saudinewsnet_records("2015-08-02", limit=160) if r["content"].strip()][:150]
    calls: dict[str, list[tuple]] = {}
    pick = kernels._pick

    def recording(name, *arrays):
        loop = pick(name, *arrays)

        def call(*args):
            kept = calls.setdefault(name, [])
            if len(kept) < 12:
                kept.append(_copied(args))
            return loop(*args)

        return call

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernels, "_pick", recording)
        cluster_articles(articles, Settings(), jobs=1)
        if "table_insert" not in calls:  # the process's lexicon knew every word (read by earlier tests):
            from dedup.text.lexicon import Lexicon  # a new one learns them

            Lexicon().term_ids([w for a in articles[:20] for w in a.text.split()])
    return calls


def test_the_job_calls_every_loop(job_calls):
    assert sorted(job_calls) == ENTRIES
    assert max(sum(np.size(a) for a in args) for args in job_calls["_alignments"]) > kernels.SMALL  # not only small


@pytest.mark.parametrize("name", ENTRIES)
def test_plain_and_compiled_loops_give_the_same_results_on_a_real_job(job_calls, name):
    plain = kernels._plain_call(getattr(kernels._plain, name))
    compiled = getattr(kernels._compiled_loops(), name)
    assert plain is not compiled and hasattr(compiled, "signatures")  # the numba dispatcher
    for n, args in enumerate(job_calls.get(name, [])):
        a, b = _copied(args), _copied(args)
        _same(plain(*a), compiled(*b), f"{name} call {n}: result")
        _same(a, b, f"{name} call {n}: arguments after")  # what it writes in place: weights, columns, the table


def test_plain_loops_call_plain_loops_and_say_nothing():
    import warnings

    plain = kernels._plain
    assert plain.__name__ == "dedup.compute._plain_loops" and sys.modules[plain.__name__] is plain
    assert all(not hasattr(getattr(plain, name), "signatures") for name in dir(plain)
               if callable(getattr(plain, name)) and getattr(getattr(plain, name), "__module__", "") == plain.__name__)
    assert plain._row_cosines.__globals__["_row_dot"] is plain._row_dot  # the nested calls are plain too
    codes = np.frombuffer("أعلنت وزارة الصحة السعودية".encode("utf-32-le"), dtype=np.uint32)
    words = np.array([[0, 5], [6, 11], [12, 17], [18, 26]], dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the hashes' wrapping multiplications: no overflow warning
        got = kernels.code_hashes(codes, words[:, 0].copy(), words[:, 1].copy())
    from dedup.text.lexicon import word_hashes

    assert got.tolist() == word_hashes("أعلنت وزارة الصحة السعودية".split()).tolist()


def test_a_loop_runs_plain_until_its_calls_add_up_past_SMALL(monkeypatch):
    used = []

    def compiled_hashes(*args):
        used.append("compiled")
        return kernels._plain_call(kernels._plain.code_hashes)(*args)

    monkeypatch.setattr(kernels, "_compiled_loops", lambda: SimpleNamespace(code_hashes=compiled_hashes))
    monkeypatch.setattr(kernels, "_compiled", None)  # nothing compiled in this process, as far as it knows
    monkeypatch.setattr(kernels, "_ready", {})
    monkeypatch.setattr(kernels, "_spent", {})
    monkeypatch.setattr(kernels, "SMALL", 1000)
    codes = np.arange(100, dtype=np.uint32) + 0x627
    first = np.arange(0, 100, 2, dtype=np.int64)
    want = kernels._plain_call(kernels._plain.code_hashes)(codes, first, first + 2)
    for call in range(7):  # 200 elements a call
        assert np.array_equal(kernels.code_hashes(codes, first, first + 2), want)
        assert len(used) == max(0, call - 4), call  # five calls plain (1,000 elements), then compiled
    monkeypatch.setattr(kernels, "_spent", {})
    big = np.tile(codes, 20)
    kernels.code_hashes(big, first, first + 2)  # one call past SMALL: compiled at once
    assert len(used) == 3


def _python(code: str, cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, *args] if not code else [sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)


_SMALL_THEN_LARGE = """
import sys
import numpy as np
from dedup.compute import kernels
rng = np.random.default_rng(0)
pairs = rng.integers(0, 100, (50, 2)).astype(np.int64)
small = kernels.agreements(rng.integers(0, 4, (100, 128)).astype(np.uint32), pairs)  # 12,900 elements
print("after the small call, compiled loops imported:", "dedup.compute.loops" in sys.modules)
large = kernels.agreements(rng.integers(0, 4, (1000, 128)).astype(np.uint32), pairs)  # 128,100 elements
loop = sys.modules["dedup.compute.loops"]._agreements
print("after the large call:", len(loop.signatures), "compiled,", sum(loop.stats.cache_hits.values()), "from the cache")
"""


def test_a_small_call_runs_plain_and_a_large_one_compiled_then_cached(tmp_path):
    first = _python(_SMALL_THEN_LARGE, tmp_path)
    assert first.stdout.splitlines() == ["after the small call, compiled loops imported: False",
                                         "after the large call: 1 compiled, 0 from the cache"]
    assert first.stderr.splitlines() == [kernels.NOTICE]  # compiled: said once
    assert any(p.suffix == ".nbi" for p in tmp_path.rglob("*"))  # numba's cache written
    second = _python(_SMALL_THEN_LARGE, tmp_path)
    assert second.stdout.splitlines()[-1] == "after the large call: 1 compiled, 1 from the cache"
    assert second.stderr == ""  # loaded from the cache: nothing to say


def test_a_few_articles_are_grouped_without_compiling_and_as_the_compiled_loops_group_them(tmp_path):
    command = ["-m", "dedup", "cluster", "seeds/", "--explain", "-f", "json"]
    plain = _python("", tmp_path / "cache", *command)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing compiled, nothing cached
    assert kernels.NOTICE not in plain.stderr and "Warning" not in plain.stderr  # no overflow warnings either
    compiled = subprocess.run(  # every loop compiled (numba's cache where the test session keeps it)
        [sys.executable, "-c", "import sys; from dedup.compute import kernels; kernels.SMALL = -1; from dedup.cli import app; "
         "app(prog_name='dedup', args=sys.argv[1:])", *command[2:]], cwd=ROOT, capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    assert plain.stdout == compiled.stdout and '"groups"' in plain.stdout


def test_the_notice_is_said_once_where_set_notice_sends_it(monkeypatch):
    import mmap

    said = []
    monkeypatch.setattr(kernels, "_noticed", mmap.mmap(-1, 1))
    previous = kernels.set_notice(said.append)
    try:
        kernels._compiling()
        kernels._compiling()
        assert said == [kernels.NOTICE]
        monkeypatch.setattr(kernels, "_noticed", mmap.mmap(-1, 1))
        assert kernels.set_notice(None) == said.append
        kernels._compiling()  # silenced
        assert said == [kernels.NOTICE] and kernels._noticed[0] == 1
    finally:
        kernels.set_notice(previous)
    by_default = subprocess.run([sys.executable, "-c", "from dedup.compute import kernels; print(kernels._notice is kernels._to_stderr)"],
                                capture_output=True, text=True, cwd=ROOT)
    assert by_default.stdout.strip() == "True"  # on stderr unless told otherwise


def test_a_forked_worker_s_notice_counts_for_its_parent(monkeypatch):
    import mmap
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    said = []
    monkeypatch.setattr(kernels, "_noticed", mmap.mmap(-1, 1))
    previous = kernels.set_notice(said.append)
    try:
        worker = multiprocessing.get_context("fork").Process(target=kernels._compiling)
        worker.start()
        worker.join()
        kernels._compiling()  # the worker said it (into its own copy of ``said``)
    finally:
        kernels.set_notice(previous)
    assert worker.exitcode == 0 and said == []
