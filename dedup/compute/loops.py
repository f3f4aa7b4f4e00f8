"""The loops of :mod:`dedup.compute.kernels` themselves: one source, two instances.

Imported as ``dedup.compute.loops``, each function here is compiled by numba on first use
(``@njit(cache=True, nogil=True)``) and cached beside the module (or in numba's user
cache when the package folder is read-only, or in ``NUMBA_CACHE_DIR``). :mod:`dedup.compute.kernels`
also loads this same file a second time as ``dedup.compute._plain_loops`` with ``_PLAIN`` set
before it runs: there :func:`_loop` leaves every function plain Python, so a plain loop's
calls of other loops (``_row_dot`` in ``_row_cosines``, ``_sentence_products`` in
``_alignments``...) are plain too and nothing is compiled. Both instances give the same
results; :mod:`dedup.compute.kernels` chooses one per call. Call the loops through
:mod:`dedup.compute.kernels`, not from here.

The code keeps to what numba compiles and numpy runs alike: numpy scalars of the sizes
numba would use (``np.float32(...)`` around each float32 sum, ``np.uint64`` for the
hashes, whose multiplications wrap on purpose: numpy warns of that overflow, so the
plain instance runs under ``np.errstate(over="ignore")``).
"""

from __future__ import annotations

import numpy as np

if globals().get("_PLAIN"):  # set by dedup.compute.kernels before it runs this source as dedup.compute._plain_loops

    def _loop(function):
        return function

else:
    from numba import njit

    _PLAIN = False
    _loop = njit(cache=True, nogil=True)


@_loop
def _intersections(offsets: np.ndarray, ids: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Size of the intersection of the sorted, distinct id sets ``i`` and ``j`` of each pair,
    set ``d`` being ``ids[offsets[d]:offsets[d + 1]]``."""
    out = np.zeros(len(pairs), dtype=np.int64)
    for k in range(len(pairs)):
        a, a_end = offsets[pairs[k, 0]], offsets[pairs[k, 0] + 1]
        b, b_end = offsets[pairs[k, 1]], offsets[pairs[k, 1] + 1]
        n = 0
        while a < a_end and b < b_end:
            x, y = ids[a], ids[b]
            if x == y:
                n += 1
                a += 1
                b += 1
            elif x < y:
                a += 1
            else:
                b += 1
        out[k] = n
    return out


@_loop
def _agreements(signatures: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    out = np.empty(len(pairs), dtype=np.float64)
    width = signatures.shape[1]
    for k in range(len(pairs)):
        a, b = signatures[pairs[k, 0]], signatures[pairs[k, 1]]
        same = 0
        for x in range(width):
            if a[x] == b[x]:
                same += 1
        out[k] = same / width
    return out


@_loop
def _row_dot(indptr, indices, data, r: int, q: int) -> float:
    """Dot product of rows ``r`` and ``q``: products in float64, summed in column order."""
    a, a_end = indptr[r], indptr[r + 1]
    b, b_end = indptr[q], indptr[q + 1]
    acc = 0.0
    while a < a_end and b < b_end:
        x, y = indices[a], indices[b]
        if x == y:
            acc += np.float64(data[a]) * np.float64(data[b])
            a += 1
            b += 1
        elif x < y:
            a += 1
        else:
            b += 1
    return acc


@_loop
def _row_cosines(indptr, indices, data, pairs: np.ndarray) -> np.ndarray:
    """Dot products of row pairs of an L2-normalized CSR matrix (their cosines), as float32."""
    out = np.empty(len(pairs), dtype=np.float32)
    for k in range(len(pairs)):
        out[k] = np.float32(_row_dot(indptr, indices, data, pairs[k, 0], pairs[k, 1]))
    return out


@_loop
def _marked(indptr, indices, pairs: np.ndarray, rare: int, number: int) -> np.ndarray:
    """For each pair of rows of a CSR matrix (column indices sorted), the rare-word and number
    columns (``rare <= c < number``; ``c >= number``) of each row and those both rows have:
    columns (a's rare, b's rare, shared rare, a's numbers, b's numbers, shared numbers)."""
    out = np.zeros((len(pairs), 6), dtype=np.int32)
    for k in range(len(pairs)):
        i, j = pairs[k, 0], pairs[k, 1]
        x, x_end = indptr[i], indptr[i + 1]
        y, y_end = indptr[j], indptr[j + 1]
        x = x + np.searchsorted(indices[x:x_end], rare)
        y = y + np.searchsorted(indices[y:y_end], rare)
        for c in indices[x:x_end]:
            out[k, 0 if c < number else 3] += 1
        for c in indices[y:y_end]:
            out[k, 1 if c < number else 4] += 1
        while x < x_end and y < y_end:
            cx, cy = indices[x], indices[y]
            if cx == cy:
                out[k, 2 if cx < number else 5] += 1
                x += 1
                y += 1
            elif cx < cy:
                x += 1
            else:
                y += 1
    return out


@_loop
def _top3_mean(values: np.ndarray) -> float:
    """Sum of the three largest values divided by 3 (missing ones count 0), summed in float32."""
    top = np.sort(values)[::-1][:3]
    acc = np.float32(0.0)
    for v in top:
        acc += v
    return np.float64(acc) / 3


@_loop
def _best_per_row(sim: np.ndarray):
    """Each row's best column (the first one on ties) and its value."""
    n_rows, n_cols = sim.shape
    best = np.zeros(n_rows, dtype=np.int64)
    top = np.empty(n_rows, dtype=np.float32)
    for x in range(n_rows):
        for y in range(1, n_cols):
            if sim[x, y] > sim[x, best[x]]:
                best[x] = y
        top[x] = sim[x, best[x]]
    return best, top


@_loop
def _row_sums(indptr, indices, data, offsets: np.ndarray):
    """The rows ``offsets[d]..offsets[d + 1]`` of a CSR matrix summed into row ``d``: a CSR
    matrix as ``(indptr, indices, data)``, columns sorted in each row. One document at a
    time, so only the result is held (scipy's route through coordinates held each entry's
    row and column as int64 besides)."""
    n_docs = len(offsets) - 1
    out_ptr = np.zeros(n_docs + 1, dtype=np.int64)
    base = indptr[offsets[0]]
    total = indptr[offsets[n_docs]] - base
    cols = np.empty(total, dtype=indices.dtype)
    vals = np.empty(total, dtype=data.dtype)
    k = 0
    for d in range(n_docs):
        lo, hi = indptr[offsets[d]], indptr[offsets[d + 1]]
        order = np.argsort(indices[lo:hi], kind="mergesort")
        for n in range(hi - lo):
            e = lo + order[n]
            if k > out_ptr[d] and cols[k - 1] == indices[e]:
                vals[k - 1] += data[e]
            else:
                cols[k] = indices[e]
                vals[k] = data[e]
                k += 1
        out_ptr[d + 1] = k
    return out_ptr, cols[:k], vals[:k]  # views: the caller's concatenation copies them


@_loop
def _sum_of_squares(data, lo: int, n: int):
    """The sum of the squares of ``data[lo:lo + n]`` in float32, added in numpy's pairwise
    order (eight running sums in blocks of up to 128, halves beyond), so the norms are the
    ones ``np.add.reduceat`` (scipy's row sums) gives, to the last bit."""
    if n < 8:
        total = np.float32(-0.0)
        for i in range(n):
            total = np.float32(total + np.float32(data[lo + i] * data[lo + i]))
        return total
    if n <= 128:
        r = np.empty(8, dtype=np.float32)
        for j in range(8):
            r[j] = np.float32(data[lo + j] * data[lo + j])
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] = np.float32(r[j] + np.float32(data[lo + i + j] * data[lo + i + j]))
            i += 8
        total = np.float32(np.float32(np.float32(r[0] + r[1]) + np.float32(r[2] + r[3]))
                           + np.float32(np.float32(r[4] + r[5]) + np.float32(r[6] + r[7])))
        while i < n:
            total = np.float32(total + np.float32(data[lo + i] * data[lo + i]))
            i += 1
        return total
    half = n // 2
    half -= half % 8
    return np.float32(_sum_of_squares(data, lo, half) + _sum_of_squares(data, lo + half, n - half))


@_loop
def _weigh_rows(indptr, indices, data, idf) -> None:
    """Each entry of rows ``indptr[0]..`` times its column's ``idf``, then each row scaled to
    unit length, in place, in float32: the values of ``data *= idf[indices]`` and of dividing
    by the norms scipy's row sums give, without their temporaries of every entry (at a
    million articles, a third of the job's peak)."""
    for r in range(len(indptr) - 1):
        lo, hi = indptr[r], indptr[r + 1]
        if hi == lo:
            continue
        for k in range(lo, hi):
            data[k] = np.float32(data[k] * idf[indices[k]])
        total = np.float32(np.float32(data[lo] * data[lo]) + _sum_of_squares(data, lo + 1, hi - lo - 1))
        norm = np.float32(np.sqrt(total))
        if norm == 0:
            continue
        inverse = np.float32(np.float32(1.0) / norm)
        for k in range(lo, hi):
            data[k] = np.float32(data[k] * inverse)


@_loop
def _by_column(indptr, indices, data, offsets: np.ndarray, cols, rows, vals) -> None:
    """Each article's sentence entries sorted by column, then sentence, written to ``cols``
    (columns), ``rows`` (sentence number within the article) and ``vals``, which start at
    the first entry of article ``offsets[0]``."""
    base = indptr[offsets[0]]
    for d in range(len(offsets) - 1):
        lo, hi = indptr[offsets[d]] - base, indptr[offsets[d + 1]] - base
        if hi == lo:
            continue
        local_rows = np.empty(hi - lo, dtype=np.int64)
        for r in range(offsets[d], offsets[d + 1]):
            for e in range(indptr[r], indptr[r + 1]):
                local_rows[e - base - lo] = r - offsets[d]
        order = np.argsort(indices[base + lo : base + hi].astype(np.int64), kind="mergesort")  # stable: rows stay in order
        for n in range(hi - lo):
            e = base + lo + order[n]
            cols[lo + n] = indices[e]
            rows[lo + n] = local_rows[order[n]]
            vals[lo + n] = data[e]


@_loop
def _sentence_products(starts, cols, rows, vals, i: int, j: int, acc: np.ndarray) -> None:
    """Add to ``acc[x, y]`` the dot product of sentence ``x`` of article ``i`` and sentence ``y``
    of ``j``, for the sentences within ``acc``'s shape: one merge of the two articles' entries by
    column (:func:`dedup.compute.kernels.by_column`), each product summed in column order, in float64."""
    n_x, n_y = acc.shape
    a, a_end = starts[i], starts[i + 1]
    b, b_end = starts[j], starts[j + 1]
    while a < a_end and b < b_end:
        if cols[a] < cols[b]:
            a += 1
        elif cols[a] > cols[b]:
            b += 1
        else:  # a column both use: every sentence pair holding it gets its product
            a2, b2 = a, b
            while a2 < a_end and cols[a2] == cols[a]:
                a2 += 1
            while b2 < b_end and cols[b2] == cols[b]:
                b2 += 1
            for p in range(a, a2):
                if rows[p] < n_x:
                    for q in range(b, b2):
                        if rows[q] < n_y:
                            acc[rows[p], rows[q]] += np.float64(vals[p]) * np.float64(vals[q])
            a, b = a2, b2


@_loop
def _alignments(starts, cols, rows, vals, offsets: np.ndarray, pairs: np.ndarray, min_sim: float):
    """Sentence alignment of each pair: its fact score and its mutual best matches.

    For the sentences ``offsets[i]..offsets[i + 1]`` of ``i`` against those of ``j``,
    the similarity matrix holds the cosine of each sentence pair, made in one merge
    of the two articles' entries by column (:func:`dedup.compute.kernels.by_column`); each cosine sums its
    products in column order, in float64. The fact score is the mean of the three
    best matches seen from each side, averaged over both sides; a mutual best match
    (each sentence the other's best, the first one on ties) at or above ``min_sim``
    is a shared sentence.

    Returns the scores and the matches as flat arrays: pair index, sentence of
    ``i``, sentence of ``j``, similarity (in row order within a pair).
    """
    scores = np.zeros(len(pairs), dtype=np.float64)
    room = 0  # at most one match per sentence of i
    for k in range(len(pairs)):
        room += offsets[pairs[k, 0] + 1] - offsets[pairs[k, 0]]
    m_pair = np.empty(room, dtype=np.int64)
    m_a = np.empty(room, dtype=np.int64)
    m_b = np.empty(room, dtype=np.int64)
    m_sim = np.empty(room, dtype=np.float64)
    found = 0
    for k in range(len(pairs)):
        i, j = pairs[k, 0], pairs[k, 1]
        n_a, n_b = offsets[i + 1] - offsets[i], offsets[j + 1] - offsets[j]
        if n_a == 0 or n_b == 0:
            continue
        acc = np.zeros((n_a, n_b), dtype=np.float64)
        _sentence_products(starts, cols, rows, vals, i, j, acc)
        sim = acc.astype(np.float32)
        row_best, row_max = _best_per_row(sim)
        col_best, col_max = _best_per_row(sim.T)
        scores[k] = (_top3_mean(row_max) + _top3_mean(col_max)) / 2
        for x in range(n_a):
            y = row_best[x]
            if col_best[y] == x and row_max[x] >= min_sim:
                m_pair[found], m_a[found], m_b[found], m_sim[found] = k, x, y, row_max[x]
                found += 1
    return scores, m_pair[:found], m_a[:found], m_b[:found], m_sim[:found]


#: Units at the head of an article whose similarities :func:`dedup.compute.kernels.heads` measures: the headline
#: (the title, or the first sentence of an article without one) and the two that follow (the lead).
HEAD_UNITS = 3


@_loop
def _heads(starts, cols, rows, vals, offsets: np.ndarray, pairs: np.ndarray):
    """For each pair ``(i, j)``, the cosines between the units at the head of each article:
    headline against headline, the best of each headline against the other's lead, and the best
    lead sentence against lead sentence (0 where a unit is missing). One merge of the two
    articles' entries by column (:func:`_sentence_products`), the first :data:`HEAD_UNITS` rows kept."""
    out = np.zeros((len(pairs), 3), dtype=np.float64)
    for k in range(len(pairs)):
        i, j = pairs[k, 0], pairs[k, 1]
        n_a = min(offsets[i + 1] - offsets[i], HEAD_UNITS)
        n_b = min(offsets[j + 1] - offsets[j], HEAD_UNITS)
        if n_a == 0 or n_b == 0:
            continue
        acc = np.zeros((HEAD_UNITS, HEAD_UNITS), dtype=np.float64)
        _sentence_products(starts, cols, rows, vals, i, j, acc)
        out[k, 0] = acc[0, 0]
        best = 0.0
        for x in range(1, n_b):
            best = max(best, acc[0, x])
        for x in range(1, n_a):
            best = max(best, acc[x, 0])
        out[k, 1] = best
        best = 0.0
        for x in range(1, n_a):
            for y in range(1, n_b):
                best = max(best, acc[x, y])
        out[k, 2] = best
    return out


@_loop
def _find_codes(codes: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    at = np.searchsorted(codes, wanted)
    for k in range(len(wanted)):
        if at[k] >= len(codes) or codes[at[k]] != wanted[k]:
            at[k] = -1
    return at


@_loop
def cross_links(a: np.ndarray, b: np.ndarray, max_checks: int, base: int, codes: np.ndarray, related: np.ndarray,
                more_codes: np.ndarray, more_related: np.ndarray):
    """The average-linkage check of two groups ``a`` and ``b`` (members ascending): the pairs
    across them (all, or ``max_checks`` spread evenly), looked up among verdicts ``codes``
    (sorted pair codes ``i * base + j``, ``i < j``) and then ``more_codes``. Returns how many
    found are related, the rows of ``more_codes`` found, and the codes found in neither
    (in the order of the pairs)."""
    total = len(a) * len(b)
    n = total if total <= max_checks else max_checks
    keys = np.empty(n, dtype=np.int64)
    for k in range(n):
        p = k if total <= max_checks else int(k * total / max_checks)
        x, y = a[p // len(b)], b[p % len(b)]
        keys[k] = min(x, y) * base + max(x, y)
    count = 0
    at = _find_codes(codes, keys)
    rest = np.empty(n, dtype=np.int64)
    nrest = 0
    for k in range(n):
        if at[k] >= 0:
            count += related[at[k]] != 0
        else:
            rest[nrest] = keys[k]
            nrest += 1
    rest = rest[:nrest]
    hit = np.empty(nrest, dtype=np.int64)
    nhit = 0
    if len(more_codes) and nrest:
        at = _find_codes(more_codes, rest)
        missing = 0
        for k in range(nrest):
            if at[k] >= 0:
                hit[nhit] = at[k]
                nhit += 1
                count += more_related[at[k]] != 0
            else:
                rest[missing] = rest[k]
                missing += 1
        rest = rest[:missing]
    return count, hit[:nhit], rest


@_loop
def _bucket_pairs(bounds, docs, base, max_all, lo, hi, out):
    """Count (``out`` empty) or write the bucket pairs whose first document is in ``[lo, hi)``."""
    k = 0
    fill = len(out) > 0
    for b in range(len(bounds) - 1):
        start, end = bounds[b], bounds[b + 1]
        if end - start <= max_all:
            for x in range(start, end):
                if docs[x] < lo or docs[x] >= hi:
                    continue
                for y in range(x + 1, end):
                    if fill:
                        out[k] = docs[x] * base + docs[y]
                    k += 1
            continue
        for x in range(start, end):
            for h in range(start, start + 8):
                if docs[h] < docs[x] and lo <= docs[h] < hi:
                    if fill:
                        out[k] = docs[h] * base + docs[x]
                    k += 1
            if x + 1 < end and lo <= docs[x] < hi:
                if fill:
                    out[k] = docs[x] * base + docs[x + 1]
                k += 1
    return k


@_loop
def bucket_pair_codes(bounds: np.ndarray, docs: np.ndarray, base: int, max_all: int, lo: int = 0,
                      hi: int = 2**62) -> np.ndarray:
    """Codes ``i * base + j`` of the pairs of each bucket ``docs[bounds[b]:bounds[b + 1]]``
    (ascending documents): all pairs of a bucket of at most ``max_all`` documents; in a larger
    one each document with the bucket's first 8 before it and with its next neighbour. With
    repeats. Only pairs whose first document ``i`` is in ``[lo, hi)``."""
    out = np.empty(_bucket_pairs(bounds, docs, base, max_all, lo, hi, np.empty(0, dtype=np.int64)), dtype=np.int64)
    if len(out):
        _bucket_pairs(bounds, docs, base, max_all, lo, hi, out)
    return out


@_loop
def _posting_pairs(starts, docs, days, n, max_days, lo, hi, out):
    """Count (``out`` empty) or write the close posting pairs whose first document is in ``[lo, hi)``."""
    found = 0
    fill = len(out) > 0
    for t in range(len(starts) - 1):
        for x in range(starts[t], starts[t + 1]):
            if docs[x] < lo or docs[x] >= hi:
                continue
            for y in range(x + 1, starts[t + 1]):
                if not (abs(days[x] - days[y]) > max_days):
                    if fill:
                        out[found] = docs[x] * n + docs[y]
                    found += 1
    return found


@_loop
def posting_pair_codes(starts: np.ndarray, docs: np.ndarray, days: np.ndarray, n: int, max_days: float,
                       lo: int = 0, hi: int = 2**62) -> np.ndarray:
    """For each posting list ``docs[starts[t]:starts[t + 1]]`` (ascending documents), the code
    ``i * n + j`` of every pair ``i < j`` in it at most ``max_days`` apart (a NaN day keeps the
    pair), for ``i`` in ``[lo, hi)``."""
    out = np.empty(_posting_pairs(starts, docs, days, n, max_days, lo, hi, np.empty(0, dtype=np.int64)),
                   dtype=np.int64)
    if len(out):
        _posting_pairs(starts, docs, days, n, max_days, lo, hi, out)
    return out


@_loop
def _heaviest_columns(indptr, indices, data, k: int, allowed):
    """Column indices of each row's ``k`` largest values among the columns ``allowed`` (a
    boolean per column), ties to the lower column, each row's choice in ascending column
    order. Returns (start of each row, columns)."""
    n = len(indptr) - 1
    starts = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        m = 0
        for e in range(indptr[r], indptr[r + 1]):
            if allowed[indices[e]]:
                m += 1
        starts[r + 1] = starts[r] + min(k, m)
    out = np.empty(starts[n], dtype=np.uint32)
    for r in range(n):
        lo, hi = indptr[r], indptr[r + 1]
        m = 0
        for e in range(lo, hi):
            if allowed[indices[e]]:
                m += 1
        cols = np.empty(m, dtype=np.int64)
        vals = np.empty(m, dtype=np.float64)
        m = 0
        for e in range(lo, hi):
            if allowed[indices[e]]:
                cols[m] = indices[e]
                vals[m] = data[e]
                m += 1
        if m > k:
            by_col = np.argsort(cols, kind="mergesort")
            neg = np.empty(m, dtype=np.float64)
            for e in range(m):
                neg[e] = -vals[by_col[e]]
            order = np.argsort(neg, kind="mergesort")  # stable: ties stay in column order
            chosen = np.empty(k, dtype=np.int64)
            for e in range(k):
                chosen[e] = cols[by_col[order[e]]]
            cols = chosen
        cols = np.sort(cols)
        for e in range(len(cols)):
            out[starts[r] + e] = cols[e]
    return starts, out


# -- words: hashes of code points, and the lexicon's table -------------------------------

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_SHIFT = np.uint64(33)


@_loop
def code_hashes(codes: np.ndarray, first: np.ndarray, end: np.ndarray) -> np.ndarray:
    """64-bit hash of each word ``codes[first[w]:end[w]]`` (code points): FNV-1a over the
    code points, then murmur3's finalizer so every bit depends on every code point."""
    out = np.empty(len(first), dtype=np.uint64)
    for w in range(len(first)):
        h = _FNV_OFFSET
        for p in range(first[w], end[w]):
            h = (h ^ np.uint64(codes[p])) * _FNV_PRIME
        h ^= h >> _SHIFT
        h *= _MIX1
        h ^= h >> _SHIFT
        h *= _MIX2
        h ^= h >> _SHIFT
        out[w] = h
    return out


@_loop
def table_find(keys: np.ndarray, values: np.ndarray, used: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The value of each query key in an open-addressing table (linear probing, capacity a
    power of two, keys already well mixed), -1 where absent."""
    mask = np.uint64(len(keys) - 1)
    out = np.empty(len(queries), dtype=np.int64)
    for k in range(len(queries)):
        q = queries[k]
        slot = np.int64(q & mask)
        out[k] = -1
        while used[slot]:
            if keys[slot] == q:
                out[k] = values[slot]
                break
            slot = np.int64(np.uint64(slot + 1) & mask)
    return out


@_loop
def table_insert(keys: np.ndarray, values: np.ndarray, used: np.ndarray, new_keys: np.ndarray,
                 new_values: np.ndarray) -> int:
    """Put ``new_keys`` (distinct) with their values in the table; returns how many were not there
    before. The caller keeps the table at most half full."""
    mask = np.uint64(len(keys) - 1)
    added = 0
    for k in range(len(new_keys)):
        q = new_keys[k]
        slot = np.int64(q & mask)
        while used[slot] and keys[slot] != q:
            slot = np.int64(np.uint64(slot + 1) & mask)
        if not used[slot]:
            added += 1
        used[slot] = True
        keys[slot] = q
        values[slot] = new_values[k]
    return added
