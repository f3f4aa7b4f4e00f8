import numpy as np
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.compute import kernels
from dedup.text import lexicon
import pytest

from dedup.text.lexicon import KIND_SHIFT, NUMBER, RARE, Lexicon, _kind_and_stem, kind_starts, stem_id, word_hashes
from dedup.text.normalize import light_stem, normalize, word_spans
from dedup.match.shingle import text_shingles, word_shingles

WORDS = ["والحكومة", "الحكومة", "حكومة", "قال", "وزير", "الخارجية", "2024", "وزير"]


def _fnv_fmix(word: str) -> int:
    """The word hash written out in Python, to check the compiled one against."""
    h, mask = 0xCBF29CE484222325, (1 << 64) - 1
    for c in word:
        h = ((h ^ ord(c)) * 0x100000001B3) & mask
    for m in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53):
        h ^= h >> 33
        h = (h * m) & mask
    return h ^ (h >> 33)


def test_term_ids_are_hashes_of_the_stem_and_word_hashes_of_the_code_points():
    lex = Lexicon()
    terms, hashes = lex.term_ids(WORDS), word_hashes(WORDS)
    for w, t, h in zip(WORDS, terms.tolist(), hashes.tolist()):
        assert h == _fnv_fmix(w)
        kind, stem = _kind_and_stem(w)
        assert t == (kind << KIND_SHIFT) | ((xxhash.xxh3_64_intdigest(stem.encode("utf-8")) >> 2) & ((1 << KIND_SHIFT) - 1))
        # the low 32 bits (what the index's content-word signatures keep) are the stem's hash
        assert t & 0xFFFFFFFF == (xxhash.xxh3_64_intdigest(stem.encode("utf-8")) >> 2) & 0xFFFFFFFF
    assert terms[0] == terms[1] == terms[2]  # one stem: والحكومة, الحكومة, حكومة
    assert len(lex) == len(set(WORDS))


def test_the_table_grows_past_its_first_capacity_during_one_lookup_and_keeps_every_word():
    lex = Lexicon()
    words = [f"كلمة{k}" for k in range(100_000)]  # the table starts with room for 32,768
    first = lex.term_ids(words)
    assert len(lex) == 100_000 and len(lex.keys) >= 200_000
    assert np.array_equal(lex.term_ids(words[::-1]), first[::-1])  # found again, not stemmed again
    assert first[:3].tolist() == Lexicon().term_ids(words[:3]).tolist()


def test_only_words_not_met_before_are_read_and_stemmed():
    lex = Lexicon()
    asked = []
    hashes = word_hashes(WORDS)
    lex.term_ids_of(hashes, lambda k: asked.append(k) or WORDS[k])
    assert sorted(WORDS[k] for k in asked) == sorted(set(WORDS))  # each distinct word once
    asked.clear()
    lex.term_ids_of(hashes, lambda k: asked.append(k) or WORDS[k])
    assert asked == []


def test_a_full_lexicon_starts_afresh_between_lookups_never_inside_one(monkeypatch):
    monkeypatch.setattr(lexicon, "MAX_WORDS", 5)
    lex = Lexicon()
    first = lex.term_ids([f"w{k}" for k in range(8)])  # more than the limit in one call: kept whole
    assert len(lex) == 8
    again = lex.term_ids(["w0", "w7"])  # the next call starts afresh, with the same ids
    assert len(lex) == 2
    assert again.tolist() == [first[0], first[7]]


TRICKY = st.sampled_from(list("قال وزير الخارجيةأإآٱىةـًٌٍَُِّْ٠١٢٣abcDEF  \n\t.،؛!?-") + ["\u200c", "\u200f", "ﻻ", "ß", "Σ", "ﷲ"])


@settings(max_examples=300, deadline=None)
@given(st.lists(TRICKY, max_size=80).map("".join))
def test_words_hashed_from_code_points_equal_words_hashed_as_strings(text):
    words = normalize(text).split()
    found = word_spans(text)
    if found is not None:
        codes, first, end, _ = found
        assert kernels.code_hashes(codes, first, end).tolist() == word_hashes(words).tolist()
    assert text_shingles(text).tolist() == word_shingles(words).tolist()


@pytest.mark.parametrize("word, kind, key", [
    ("2015", NUMBER, "2015"), ("و2015", NUMBER, "2015"), ("42", NUMBER, "42"), ("5", 0, "5"),
    ("بلينكن", RARE, "بلينكن"), ("الوزير", 0, "وزير"), ("في", 0, "في"),
])
def test_a_term_id_carries_its_kind_numbers_rare_words_or_plain_words(word, kind, key):
    assert _kind_and_stem(word) == (kind, key)
    assert stem_id(word) >> KIND_SHIFT == kind


def test_rare_words_and_numbers_are_the_last_columns_of_sorted_keys():
    words = ["2015", "بلينكن", "الوزير", "42", "الحكومة", "ريفلين"]
    keys = np.sort(np.concatenate([Lexicon().term_ids(words), [-5, -1]]))
    rare, number = kind_starts(keys)
    kinds = [_kind_and_stem(w)[0] for w in words]
    assert number - rare == kinds.count(RARE) and len(keys) - number == kinds.count(NUMBER)
    assert rare == 2 + kinds.count(0)  # the two bigram keys, then the plain words
