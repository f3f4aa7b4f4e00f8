import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import importlib

n = importlib.import_module("dedup.text.normalize")  # the package re-exports the function under the same name
from dedup.text.normalize import NormConfig, normalize, words_at

RULES = [
    (n.nfkc, "ﻻ ﷲ", "لا الله"),
    (n.strip_diacritics, "الْعَرَبِيَّةُ", "العربية"),
    (n.strip_diacritics, "رَحْمٰن", "رحمن"),  # dagger alef
    (n.strip_diacritics, "صلى الله عليه وسلمﷺ"[:-1] + "\u0610", "صلى الله عليه وسلم"),
    (n.strip_tatweel, "العـــربية", "العربية"),
    (n.normalize_alef, "أإآٱ", "اااا"),
    (n.normalize_alef_maqsura, "مستشفى", "مستشفي"),
    (n.normalize_teh_marbuta, "مدرسة", "مدرسه"),
    (n.normalize_hamza, "مؤتمر رئيس", "موتمر رييس"),
    (n.normalize_persian, "وزیر کتاب ە ہ", "وزير كتاب ه ه"),
    (n.normalize_digits, "٢٠٢٤ ۱۲۳", "2024 123"),
    (n.strip_invisible, "غ\u200cز\u200fة\u202b\ufeff", "غزة"),
    (n.strip_punctuation, "قال، «نعم»؛ لماذا؟", "قال نعم لماذا "),
    (n.lower_latin, "CIA و FBI", "cia و fbi"),
    (n.collapse_whitespace, "  غزة \n\t الدوحة  ", "غزة الدوحة"),
]


@pytest.mark.parametrize("rule,given,expected", RULES)
def test_rule(rule, given, expected):
    assert rule(given) == expected


def test_full_normalization_of_a_headline():
    text = "وزیرُ الخارجیة الأمریکی یصل إلى الدوحة، ٢٤ أکتوبر «عاجل»"
    assert normalize(text) == "وزير الخارجيه الامريكي يصل الي الدوحه 24 اكتوبر عاجل"


def test_rules_can_be_switched_off():
    cfg = NormConfig(teh_marbuta=False, alef=False, punctuation=False)
    assert normalize("أسامة، مدرسة", cfg) == "أسامة، مدرسة"


def test_word_split_survives_diacritics():
    # re's \w splits words at harakat; normalizing first keeps words whole
    assert n.tokens("كَتَبَ الطَّالِبُ") == ["كتب", "الطالب"]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىةًٌٍَُِّْـ٠١٢۳ ،؛؟«»ی")), max_size=80))
def test_normalize_is_idempotent_on_arabic(text):
    once = normalize(text)
    assert normalize(once) == once
    assert "ـ" not in once and "ة" not in once and "ى" not in once


@pytest.mark.parametrize(
    "word,stem",
    [("الدوحه", "دوحه"), ("بالدوحه", "دوحه"), ("والدوحه", "دوحه"), ("للمفاوضات", "مفاوضات"), ("فالقرار", "قرار"),
     ("وزير", "وزير"), ("الا", "الا"), ("ولد", "ولد")],
)
def test_light_stem(word, stem):
    assert n.light_stem(word) == stem


# Characters whose normalization depends on their neighbours (composition, mark
# order, final sigma, ligatures that fold to two letters) beside plain Arabic.
TRICKY = list("ابتلمهويءآأإؤئىة ًٌٍَُِّْٰـ٠١٢۳،؛؟«».\n\t\u00a0\u200b\u200f") + [
    "\u0653", "\u0654", "\u0655", "\ufefb", "\ufef7", "\ufe8d", "\u2026", "\u2033", "Σ", "ΣΑ", "İ", "e\u0301",
    "\u1100\u1161", "😀", "𝐀", "Ａ", "ﷲ", "\ud800", "x", "_", "-",
]


@given(st.lists(st.sampled_from(TRICKY), max_size=60).map("".join))
@settings(max_examples=400)
def test_words_at_gives_the_words_of_normalize_or_declines(text):
    found = words_at(text)
    if found is None:
        return  # the caller normalizes piece by piece
    words, starts = found
    assert words == normalize(text).split()
    assert len(starts) == len(words) and list(starts) == sorted(starts)


def test_words_at_declines_where_neighbours_matter_and_reads_offsets():
    assert words_at("ا\u0653") is None  # ا + madda above compose to آ
    assert words_at("ΟΔΟΣ") is None  # final sigma depends on the next character
    assert words_at("قال 😀") is None  # astral symbols: the slow path
    assert words_at("ﻻ") is None  # one ligature, two letters: the slow path
    words, starts = words_at("الْعَرَبِيَّةُ  ١٢٣ «أخبار»\u00a0ﺍ")
    assert words == ["العربيه", "123", "اخبار", "ا"]
    assert starts.tolist() == [0, 16, 21, 28]


def test_words_of_each_sentence_are_the_words_starting_inside_it(seeds_dir):
    import numpy as np

    from .conftest import saudinewsnet_records
    from dedup.text.segment import sentences

    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    texts += [r["content"] for r in saudinewsnet_records(limit=300)]
    checked = 0
    for text in texts:
        found = words_at(text)
        if found is None:
            continue
        words, starts = found
        for s in sentences(text):
            lo, hi = np.searchsorted(starts, [s.start, s.end])
            assert words[lo:hi] == normalize(s.text).split()
            checked += 1
    assert checked > 50
