from dedup.article import Article
from dedup.text.boilerplate import Boilerplate, strip_corpus
from dedup.io.read import read
from dedup.text.normalize import normalize

BODY = "\n\n".join(
    [
        "قال وزير الخارجية الأميركي اليوم الخميس إن جلسة مفاوضات حول وقف إطلاق النار ستعقد خلال أيام في الدوحة.",
        "وأضاف خلال مؤتمر صحافي مع رئيس الوزراء القطري أن المفاوضات ستحدد إن كانت الحركة جادة في التوصل إلى اتفاق.",
        "وأعرب عن تقديره لدور قطر بوصفها شريكا في إيجاد السلام في المنطقة وفي الإفراج عن الرهائن.",
    ]
)


def test_tail_after_closing_marker_is_removed_and_recorded():
    text = BODY + "\n\nكلمات دلالية: غزة الدوحة\n\nمقالات ذات صلة\n\nخبر آخر لا علاقة له"
    clean, removed, _ = Boilerplate().strip_text(text)
    assert clean == BODY
    assert removed and removed[-1][2] == "tail"
    assert text[removed[-1][0] :].startswith("كلمات دلالية")


def test_source_line_closes_the_article():
    clean, _, _ = Boilerplate().strip_text(BODY + "\n\nالمصدر: رويترز\n\nاترك تعليقاً")
    assert clean == BODY


def test_marker_too_early_does_not_cut_the_article():
    text = "المصدر: وكالة الأنباء\n\n" + BODY
    clean, _, _ = Boilerplate().strip_text(text)
    assert "وزير الخارجية" in clean


def test_read_also_block_inside_the_article():
    text = BODY + "\n\nاقرأ أيضاًالرئيس يستقبل وزير الخارجية\n\nعنوان خبر آخر قصير\n\n" + "وتابع الوزير حديثه عن الأوضاع الإنسانية الصعبة في القطاع وعن ضرورة إدخال المساعدات دون تأخير ولا شروط مسبقة من أي طرف."
    clean, removed, _ = Boilerplate().strip_text(text)
    assert "الرئيس يستقبل" not in clean and "عنوان خبر آخر" not in clean
    assert "وتابع الوزير" in clean
    assert {r for _, _, r in removed} == {"read-also"}


def test_junk_lines():
    clean, _, _ = Boilerplate().strip_text(".tie-icon-fire { display:none; }\nA+\nA-\n" + BODY)
    assert clean == BODY


def test_lines_repeated_across_the_corpus_are_template():
    template = "تابعوا آخر الأخبار عبر تطبيقنا"
    texts = [f"خبر رقم {i} عن موضوع مختلف تماما في مدينة مختلفة\n{template}" for i in range(5)]
    cleaner = Boilerplate(min_docs=4).fit(texts)
    assert cleaner.strip_text(texts[0])[0] == "خبر رقم 0 عن موضوع مختلف تماما في مدينة مختلفة"


def test_long_reposted_paragraphs_are_not_template():
    texts = [BODY] * 6  # six reposts of one agency text keep their words
    cleaner = Boilerplate(min_docs=4).fit(texts)
    assert cleaner.strip_text(BODY)[0] == BODY


def test_a_headline_line_reposted_many_times_is_kept_where_it_opens_a_text():
    headline = "وزير الصحة يفتتح مستشفى جديدا في جازان"
    texts = [f"{headline}\n{BODY}"] * 5 + [f"خبر آخر عن موضوع مختلف تماما في مدينة أخرى\n{headline}\n{BODY}"]
    cleaner = Boilerplate(min_docs=4).fit(texts)
    assert cleaner.strip_text(texts[0])[0].startswith(headline)  # the first line: the headline, kept
    assert headline not in cleaner.strip_text(texts[-1])[0]  # further down, a line repeated across the corpus
    short = "الرئيسية"  # a repeated first line of fewer than five words is still a template line
    assert cleaner.fit([f"{short}\n{BODY}"] * 5).strip_text(f"{short}\n{BODY}")[0] == BODY


def _lines(text):
    return {normalize(ln) for ln in text.splitlines()} - {""}


def test_shared_site_templates_do_not_make_seeds_alike(seeds_dir):
    arts = {a.id[:3]: a for a in read([str(seeds_dir)])}
    raw = {k: _lines(a.text) for k, a in arts.items()}
    strip_corpus(list(arts.values()))
    for a, b in (("001", "002"), ("003", "004")):
        assert raw[a] & raw[b], "the seeds share template lines before stripping"
        assert not (_lines(arts[a].body) & _lines(arts[b].body))
    assert "مقالات مشابهة" not in arts["002"].body and "اترك تعليقاً" not in arts["004"].body
    assert "display:none" not in arts["003"].body


def test_strip_sets_clean_and_removed():
    a = Article("x", BODY + "\n\nمقالات ذات صلة\nخبر")
    Boilerplate().strip(a)
    assert a.clean == BODY and a.body == BODY and a.removed


def test_clean_offsets_map_back_to_the_original_text():
    text = ".tie { display:none; }\n\n" + BODY + "\n\n\n\nمقالات ذات صلة\nخبر"
    a = Boilerplate().strip(Article("x", text))
    for word in ("وأضاف خلال", "شريكا في إيجاد"):
        pos = a.body.index(word)
        start = a.original_offset(pos)
        assert text[start : start + len(word)] == word


def test_clean_text_is_rebuilt_from_its_kept_segments(seeds_dir):
    from dedup.text.boilerplate import Boilerplate, rebuild_clean

    from .conftest import saudinewsnet_records

    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    texts += [r["content"] for r in saudinewsnet_records(limit=400)] + ["", "   \n  ", "\n\nA+ A-\n"]
    cleaner = Boilerplate().fit(texts)
    stripped = [cleaner.strip_text(t) for t in texts]
    assert any(removed for _, removed, _ in stripped)  # something was stripped: the rebuild is not trivial
    for text, (clean, _, kept) in zip(texts, stripped):
        assert rebuild_clean(text, kept) == clean
