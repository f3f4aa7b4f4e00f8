import pytest

from dedup.text.segment import sentences

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
    from dedup.text.segment import statements

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
    # vowel marks and tatweel in the participle; a noun of the same root is no cut
    marked = sentences("قال الوزير إن المفاوضات ستستأنف الأسبوع المقبل في الدوحة، مُؤكِّداً أن بلاده تدعم الوساطة.")[0]
    assert len(statements(marked)) == 2
    noun = sentences("استمع المجلس إلى عرض مفصل عن أوضاع الأحياء، مطالب المواطنين في الأحياء الجنوبية.")[0]
    assert statements(noun) == [noun]


def test_a_quotation_never_closed_does_not_glue_the_rest_of_its_line_for_the_report():
    text = ('وأضافت: "نظرا لما للأمر من تبعات فإنها تؤكد على المواطنين. من ناحيته، أيد المحامي ما حذرت منه الوزارة.\n'
            'وقال: "هذه خطوة مهمة. ونحن ندعمها" ثم غادر.')
    plain = [s.text for s in sentences(text)]
    mended = [s.text for s in sentences(text, unclosed_quotes=True)]
    assert plain[0].endswith("حذرت منه الوزارة.")  # by default the open quotation runs to the line's end
    assert mended[:2] == ['وأضافت: "نظرا لما للأمر من تبعات فإنها تؤكد على المواطنين.',
                          "من ناحيته، أيد المحامي ما حذرت منه الوزارة."]
    assert mended[2:] == plain[1:]  # a closed quotation is still not split
    for s in sentences(text, unclosed_quotes=True):
        assert text[s.start:s.end] == s.text


def test_a_closed_quotation_before_a_forgotten_one_stays_whole():
    text = 'قال «هذه خطوة. وهي مهمة» ثم أضاف: "نظرا لما للأمر من تبعات فإنها تؤكد ذلك. من ناحيته، أيد المحامي القرار.'
    mended = [s.text for s in sentences(text, unclosed_quotes=True)]
    assert mended == ['قال «هذه خطوة. وهي مهمة» ثم أضاف: "نظرا لما للأمر من تبعات فإنها تؤكد ذلك.',
                      "من ناحيته، أيد المحامي القرار."]
