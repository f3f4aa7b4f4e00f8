import pytest

from dedup.segment import sentences

CASES = [
    ("ذهب الوزير. ثم عاد!", ["ذهب الوزير.", "ثم عاد!"]),
    ("هل ستأتي؟ نعم؛ سأحضر", ["هل ستأتي؟", "نعم؛", "سأحضر"]),
    ("سطر أول\nسطر ثان", ["سطر أول", "سطر ثان"]),
    ("بلغ النمو 3.5 في المئة.", ["بلغ النمو 3.5 في المئة."]),
    ("بلغ النمو ٣٫٥ في المئة. وارتفع.", ["بلغ النمو ٣٫٥ في المئة.", "وارتفع."]),
    ("وقع ذلك في 2024/10/24 صباحا.", ["وقع ذلك في 2024/10/24 صباحا."]),
    ("قال د. محمد إن الوضع مستقر.", ["قال د. محمد إن الوضع مستقر."]),
    ("قال: «سنعقد الاجتماع. ثم نقرر». وغادر.", ["قال: «سنعقد الاجتماع. ثم نقرر».", "وغادر."]),
    ("قال “هذا صحيح. تماما” ثم سكت.", ["قال “هذا صحيح. تماما” ثم سكت."]),
    ('قال "انتهى الأمر." وغادر القاعة.', ['قال "انتهى الأمر."', "وغادر القاعة."]),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_sentences(text, expected):
    assert [s.text for s in sentences(text)] == expected


def test_offsets_point_into_the_text():
    text = "  أولا هنا.  ثانيا هناك؟\n\nثالثا"
    for s in sentences(text):
        assert text[s.start : s.end] == s.text


def test_long_comma_chained_sentence_splits_at_clause_boundaries():
    clause = "أعلن المتحدث باسم الوزارة أن الاجتماع الذي عقد اليوم ناقش عددا من الملفات المهمة"
    text = "، وأضاف ".join([clause] * 4) + "، فيما أكد أن العمل مستمر في كل المجالات دون توقف حتى النهاية."
    parts = [s.text for s in sentences(text)]
    assert len(parts) >= 3
    assert parts[1].startswith("وأضاف")
    assert "".join(p.replace(" ", "") for p in parts) == text.replace(" ", "")


def test_short_comma_sentence_is_not_split():
    text = "قال الوزير، وأضاف أن الأمر انتهى."
    assert len(sentences(text)) == 1


def test_statements_cut_a_sentence_before_each_reporting_participle_clause():
    from dedup.segment import statements

    text = ("قال الوزير إن المفاوضات ستستأنف الأسبوع المقبل في الدوحة، مؤكداً أن بلاده تدعم الوساطة القطرية، "
            "ومشيراً إلى أن وفداً سيصل غداً.")
    (whole,) = sentences(text)
    parts = statements(whole)
    assert [p.text.split()[0] for p in parts] == ["قال", "مؤكداً", "ومشيراً"]
    for p in parts:
        assert text[p.start:p.end] == p.text
    # a participle piece too short to be a statement stays with the sentence
    short = sentences("أعلنت الوزارة افتتاح المستشفى الجديد في المدينة، مؤكدة ذلك.")[0]
    assert statements(short) == [short]
    # a sentence with no such clause is itself
    plain = sentences("وصل الوفد إلى العاصمة، وبدأ اجتماعاته مع المسؤولين.")[0]
    assert statements(plain) == [plain]
