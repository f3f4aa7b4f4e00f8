import xxhash

from dedup import lexicon
from dedup.lexicon import Lexicon
from dedup.normalize import light_stem

WORDS = ["والحكومة", "الحكومة", "حكومة", "قال", "وزير", "الخارجية", "2024", "وزير"]


def test_ids_are_hashes_of_the_word_and_of_its_stem():
    lex = Lexicon()
    terms, hashes = lex.term_ids(WORDS), lex.word_hashes(WORDS)
    for w, t, h in zip(WORDS, terms.tolist(), hashes.tolist()):
        assert h == xxhash.xxh3_64_intdigest(w.encode("utf-8"))
        assert t == xxhash.xxh3_64_intdigest(light_stem(w).encode("utf-8")) >> 2
    assert terms[0] == terms[1] == terms[2]  # one stem: والحكومة, الحكومة, حكومة
    assert len(lex) == len(set(WORDS))


def test_columns_grow_past_their_first_capacity_during_one_lookup():
    lex = Lexicon()
    words = [f"كلمة{k}" for k in range(10_000)]
    hashes = lex.word_hashes(words)  # grows the columns mid-lookup
    assert hashes.tolist() == [xxhash.xxh3_64_intdigest(w.encode("utf-8")) for w in words]
    assert lex.term_ids(words[:3]).tolist() == Lexicon().term_ids(words[:3]).tolist()


def test_a_full_lexicon_starts_afresh_between_lookups_never_inside_one(monkeypatch):
    monkeypatch.setattr(lexicon, "MAX_WORDS", 5)
    lex = Lexicon()
    first = lex.word_hashes([f"w{k}" for k in range(8)])  # more than the limit in one call: kept whole
    assert len(lex) == 8
    again = lex.word_hashes(["w0", "w7"])  # the next call starts afresh, with the same ids
    assert len(lex) == 2
    assert again.tolist() == [first[0], first[7]]
