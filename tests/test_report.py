import json

import pytest
from typer.testing import CliRunner

from dedup import Article, cluster
from dedup.cli import app
from dedup.report.html import render as render_html
from dedup.report.markdown import render as render_md
from dedup.report.disagreements import numbers, quotes
from dedup.report.variants import SCHEMA, build, diff, from_result
from dedup.report.wording import word_diff


@pytest.fixture(scope="module")
def seeds_report(seeds_dir):
    result = cluster(str(seeds_dir))
    return result, from_result(result)


def _facts(group, article_prefix, key):
    outlet = next(o for o in group["outlets"] if o["article"].startswith(article_prefix))
    wanted = set(outlet[key])
    return [f for f in group["facts"] if f["id"] in wanted]


def _texts(facts, article_prefix):
    return [s["text"] for f in facts for aid, s in f["sentences"].items() if aid.startswith(article_prefix)]


def _has(texts, *words):
    return any(all(w in t for w in words) for t in texts)


def test_only_the_variant_group_is_reported(seeds_report):
    _, report = seeds_report
    assert report["schema"] == SCHEMA
    assert len(report["groups"]) == 1
    assert sorted(a["id"][:3] for a in report["groups"][0]["articles"]) == ["000", "001", "004"]


def test_seeds_golden_added_facts(seeds_report):
    _, report = seeds_report
    g = report["groups"][0]
    added_000 = _texts(_facts(g, "000", "added"), "000")
    added_001 = _texts(_facts(g, "001", "added"), "001")
    added_004 = _texts(_facts(g, "004", "added"), "004")
    assert _has(added_000, "مسؤول إسرائيلي", "رئيس الموساد")
    assert _has(added_001, "أمير قطر", "مباحثات")
    assert _has(added_001, "بريطانيا")
    assert _has(added_004, "حماس", "بيان")
    assert _has(added_004, "هآرتس")


def test_seeds_golden_shared_facts(seeds_report):
    _, report = seeds_report
    g = report["groups"][0]
    shared = [f for f in g["facts"] if len(f["sentences"]) > 1]

    def shared_by(prefixes, *words):
        return any(
            sorted(a[:3] for a in f["sentences"]) == prefixes and all(_has(_texts([f], p), *words) for p in prefixes)
            for f in shared
        )

    assert shared_by(["000", "001"], "السنوار")
    assert shared_by(["000", "001"], "شريك")
    assert shared_by(["000", "001"], "الأيام المقبلة")


@pytest.mark.xfail(strict=True, reason="004 retells the 'talks will show whether Hamas is serious' fact in other words; "
                   "character and word TF-IDF put it at cosine 0.22, below what separates retellings from noise")
def test_seeds_talks_fact_shared_by_all_three(seeds_report):
    _, report = seeds_report
    g = report["groups"][0]
    assert any(len(f["sentences"]) == 3 and "الأيام المقبلة" in " ".join(s["text"] for s in f["sentences"].values()) for f in g["facts"])


def test_no_boilerplate_in_facts(seeds_report):
    _, report = seeds_report
    texts = [s["text"] for f in report["groups"][0]["facts"] for s in f["sentences"].values()]
    for junk in ("كلمات دلالية", "مقالات ذات صلة", "مقالات مشابهة", "اترك تعليق", "إقرأ أيضاً", "زر الذهاب", "featured"):
        assert not any(junk in t for t in texts), junk


def test_offsets_point_into_the_original_text(seeds_report):
    result, report = seeds_report
    texts = {a.id: a.text for a in result.articles}
    for f in report["groups"][0]["facts"]:
        for aid, s in f["sentences"].items():
            assert texts[aid][s["start"] : s["end"]] == s["text"]


def test_numbers_in_any_script_and_number_words():
    assert numbers("بينهم سبعة أميركيين") == ["7"]
    assert numbers("بينهم 7 أميركيين") == ["7"]
    assert numbers("أصيب ١٢ شخصا") == ["12"]
    assert numbers("ارتفع بنسبة ٣٫٥") == ["3.5"]
    assert numbers("وبثلاثة آلاف") == ["3000"]
    assert numbers("لا أرقام هنا") == []


def test_compound_number_words_scales_and_thousands_separators():
    assert numbers("سقط من الطابق خمسة عشر") == numbers("سقط من الطابق 15") == ["15"]
    assert numbers("عند الساعة الثانية عشرة ظهرا") == ["12"]
    assert numbers("خمسة وعشرون مصابا") == ["25"]
    assert numbers("بلغت 21 مليون ريال") == numbers("بلغت 21,000,000 ريال") == ["21000000"]
    assert numbers("نحو 2.5 مليار") == ["2500000000"]
    assert numbers("أكثر من مليون زائر") == ["1000000"]
    assert numbers("استقبل الملك عبدالله الثاني الضيف") == []  # an ordinal alone is not a figure


def test_a_version_that_only_adds_figures_does_not_disagree():
    a = _art("a", "x", ["سقط العامل من الطابق خمسة عشر في البناية الجديدة بحي العزيزية في مكة."])
    b = _art("b", "y", ["سقط العامل من الطابق 15 في البناية الجديدة بحي العزيزية في مكة عند الساعة 12."])
    c = _art("c", "z", ["سقط العامل من الطابق 14 في البناية الجديدة بحي العزيزية في مكة."])
    (fact,) = [f for f in build([(1, "variant", [a, b])])["groups"][0]["facts"] if len(f["sentences"]) == 2]
    assert fact["disagreements"] == []
    (fact,) = [f for f in build([(1, "variant", [a, c])])["groups"][0]["facts"] if len(f["sentences"]) == 2]
    assert fact["disagreements"][0]["versions"] == {"a": ["15"], "c": ["14"]}
    # a figure each gives about a different thing, and thousands written with a dot, do not disagree
    d = _art("d", "w", ["سقط العامل من الطابق 15 في البناية الجديدة بحي العزيزية وقدم المقاول 58.047 ريالا تعويضا."])
    e = _art("e", "v", ["سقط العامل في البناية الجديدة بحي العزيزية وقدم المقاول 58047 ريالا تعويضا عند الساعة 12."])
    (fact,) = [f for f in build([(1, "variant", [d, e])])["groups"][0]["facts"] if len(f["sentences"]) == 2]
    assert fact["disagreements"] == []


def test_quotes():
    assert quotes("قال «سنعقد الاجتماع قريبا» ثم أضاف “لن نتراجع عن ذلك”") == ["سنعقد الاجتماع قريبا", "لن نتراجع عن ذلك"]


def test_word_diff_marks_insertions_and_deletions():
    ops = word_diff("قال الوزير إن الاجتماع ناجح", "قال الوزير اليوم إن الاجتماع فاشل")
    assert ops == [["=", "قال الوزير"], ["+", "اليوم"], ["=", "إن الاجتماع"], ["-", "ناجح"], ["+", "فاشل"]]
    assert word_diff("أعلنت الوزارة", "اعلنت الوزاره") == [["=", "اعلنت الوزاره"]]


BASE = [
    "أعلنت وزارة الصحة تسجيل إصابات جديدة بالفيروس في مدينة الرياض خلال الأسبوع الماضي.",
    "وقال المتحدث باسم الوزارة إن الفرق الطبية تتابع الحالات عن قرب في المستشفيات.",
    "وأكدت الوزارة أن الوضع تحت السيطرة ولا داعي للقلق بين السكان.",
]


def _art(aid, outlet, sentences):
    return Article(aid, "\n".join(sentences), outlet=outlet)


def test_added_dropped_and_number_disagreement():
    a = _art("a", "sabq", [BASE[0].replace("جديدة", "جديدة عددها 12"), BASE[1], BASE[2]])
    b = _art("b", "okaz", [BASE[0].replace("جديدة", "جديدة عددها 15"), BASE[1], BASE[2], "وأوضح أن المصابين نقلوا إلى مستشفى الملك فهد لتلقي العلاج اللازم."])
    c = _art("c", "was", [BASE[0].replace("جديدة", "جديدة عددها 12"), BASE[1]])
    g = build([(1, "variant", [a, b, c])])["groups"][0]
    by = {o["article"]: o for o in g["outlets"]}
    assert len(by["b"]["added"]) == 1 and by["a"]["added"] == [] and by["c"]["added"] == []
    assert len(by["c"]["dropped"]) == 1  # the "under control" fact that a and b carry
    first = next(f for f in g["facts"] if "إصابات" in next(iter(f["sentences"].values()))["text"])
    assert first["kind"] == "common"
    (dis,) = first["disagreements"]
    assert dis["kind"] == "number" and dis["versions"] == {"a": ["12"], "b": ["15"], "c": ["12"]}


def _quote_fact(qa, qb):
    a = _art("a", "x", [f"وقال الوزير خلال المؤتمر الصحافي في العاصمة «{qa}»."])
    b = _art("b", "y", [f"وقال الوزير خلال المؤتمر الصحافي في العاصمة «{qb}»."])
    g = build([(1, "variant", [a, b])])["groups"][0]
    (fact,) = [f for f in g["facts"] if len(f["sentences"]) == 2]
    return fact


def test_altered_quote_is_a_disagreement():
    fact = _quote_fact("لن نقبل بأي تسوية على حساب حقوق الشعب", "لن نقبل أبدا بأي تسوية على حساب الشعب")
    assert [d["kind"] for d in fact["disagreements"]] == ["quote"]
    assert fact["disagreements"][0]["versions"]["b"] == ["لن نقبل أبدا بأي تسوية على حساب الشعب"]


def test_different_parts_of_a_speech_or_identical_quotes_are_not_disagreements():
    assert _quote_fact("لن نقبل بأي تسوية على حساب الشعب", "المفاوضات ستستأنف الأسبوع المقبل في القاهرة")["disagreements"] == []
    assert _quote_fact("لن نقبل بأي تسوية على حساب الشعب", "لن نقبل بأى تسوية على حساب الشعب")["disagreements"] == []


HOSTILE = '<script>document.title="pwned"</script> قال الوزير <b>إن</b> الاجتماع & النتائج "جيدة".'


def test_html_escapes_article_text_and_is_self_contained():
    a = _art("a", "sabq", [HOSTILE, BASE[1]])
    b = _art("b", "okaz", [HOSTILE, BASE[2]])
    page = render_html(build([(1, "variant", [a, b])]))
    assert "<script" not in page and "<b>إن" not in page
    assert "&lt;/script&gt;" in page and "&lt;b&gt;إن&lt;/b&gt;" in page
    assert '<html lang="ar" dir="rtl">' in page
    assert "http://" not in page and "https://" not in page and "<link" not in page


def test_markdown_escapes_and_wraps_rtl():
    a = _art("a", "sab|q", [HOSTILE, BASE[1]])
    b = _art("b", "okaz", [HOSTILE])
    md = render_md(build([(1, "variant", [a, b])]))
    assert '<div dir="rtl">' in md
    assert "<script>" not in md and "sab&#124;q" in md


def test_cli_report_and_diff(seeds_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(seeds_dir), "--out", str(out)])
    assert res.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    res = runner.invoke(app, ["report", str(seeds_dir), "--format", "json", "--group", "2"])
    assert res.exit_code == 0 and [g["id"] for g in json.loads(res.stdout)["groups"]] == [2]
    res = runner.invoke(app, ["report", str(seeds_dir), "--group", "99"])
    assert res.exit_code == 2 and "no group 99" in res.stderr
    files = sorted(seeds_dir.iterdir())
    res = runner.invoke(app, ["diff", str(files[0]), str(files[1]), "--format", "json"])
    assert res.exit_code == 0
    assert len(json.loads(res.stdout)["groups"][0]["articles"]) == 2


def test_diff_api_on_two_articles(seeds_dir):
    files = sorted(seeds_dir.iterdir())
    from dedup.io.read import read_one

    rep = diff(read_one(files[0]), read_one(files[4]))
    assert rep["groups"][0]["relation"] == "pair"


def test_the_story_header_names_each_outlet_s_title_time_and_who_came_first():
    extra = "وأوضح أن المصابين نقلوا إلى مستشفى الملك فهد لتلقي العلاج اللازم."
    a = Article("a", "\n".join([extra] + BASE[:3]), outlet="sabq", title="إصابات جديدة في الرياض", published="2015-08-02")
    b = Article("b", "\n".join(BASE[:3]), outlet="okaz", title="الصحة تعلن إصابات جديدة", published="2015-08-01")
    c = Article("c", "\n".join(BASE[:2]), outlet="was", title="", published="2015-08-03")
    g = build([(7, "variant", [a, b, c])])["groups"][0]
    assert g["relation_ar"] == "روايات لخبر واحد" and g["first"] == "b"
    assert g["headline"] in {"إصابات جديدة في الرياض", "الصحة تعلن إصابات جديدة"}
    cover = [len(f["sentences"]) for f in g["facts"]]
    assert cover == sorted(cover, reverse=True) and cover[-1] == 1  # most carried first; a's extra fact last
    assert [f["id"] for f in g["facts"]] == [f"7.{k}" for k in range(1, len(cover) + 1)]
    for page in (render_html({"schema": SCHEMA, "groups": [g]}),
                 render_md({"schema": SCHEMA, "groups": [g]}).replace("\\", "")):  # Markdown escapes shown plain
        assert "«الصحة تعلن إصابات جديدة»" in page and "2015-08-01" in page and "نشر أولاً" in page
        assert "روايات لخبر واحد" in page and "variant" not in page
        assert "يضيف 1" in page and "يسقط" in page


def test_an_article_without_a_title_is_headed_by_its_first_line_when_it_is_headline_short():
    from dedup.report.variants import headline

    assert headline(Article("x", "الصحة تعلن إصابات جديدة\n" + BASE[0])) == "الصحة تعلن إصابات جديدة"
    assert headline(Article("y", " ".join(BASE) + "\n" + BASE[1])) == ""  # a paragraph, not a headline


def test_tag_link_and_credit_lines_are_not_facts_but_sentences_that_begin_alike_are():
    from dedup.text.boilerplate import is_chrome_sentence

    for chrome in ("سمات اباتشي الطوال القوات المشتركة", "رابط الخبر بصحيفة الوئام: بيان مشترك", "تصوير: محمد علي",
                   "المصدر: واس", "وصف الصورة غير متوفر"):
        assert is_chrome_sentence(chrome), chrome
    for text in ("سماتها واضحة في كل أحياء المدينة", "الصورة التي نشرتها الوزارة تظهر الحطام",
                 "المصدر أكد أن الاجتماع ناجح: نعم"):
        assert not is_chrome_sentence(text), text
    a = _art("a", "sabq", BASE[:3] + ["سمات الرياض الصحة إصابات", "رابط الخبر بصحيفة الوئام: إصابات جديدة"])
    b = _art("b", "okaz", BASE[:3])
    g = build([(1, "variant", [a, b])])["groups"][0]
    texts = [s["text"] for f in g["facts"] for s in f["sentences"].values()]
    assert texts and not [t for t in texts if t.startswith(("سمات", "رابط"))]
    assert {o["article"]: o["added"] for o in g["outlets"]} == {"a": [], "b": []}


def test_headings_bylines_salutations_and_captions_are_not_facts_but_short_sentences_are():
    from dedup.text.boilerplate import is_label_line

    for line in ("العلاقات الثنائية", "عين اليوم – أبو ظبي", "ملك الأردن يرحب بولي ولي العهد",
                 "السلام عليكم ورحمة الله وبركاته :", "صاحب الجلالة الملك عبدالله الثاني ابن الحسين حفظه الله"):
        assert is_label_line(line), line
    for line in ("وصل الوفد أمس.", "قال الوزير: «لن نتراجع»", "أعلنت وزارة الصحة تسجيل إصابات جديدة بالفيروس في الرياض"):
        assert not is_label_line(line), line
    a = _art("a", "3alyoum", ["عين اليوم – الرياض", BASE[0], "تطورات الحالة الصحية", BASE[1],
                              "وزير الصحة يتفقد أحد المستشفيات في الرياض.", "تصوير: محمد علي", BASE[2],
                              "السلام عليكم ورحمة الله وبركاته :", "وصل الوفد أمس. وبدأ الاجتماع فوراً."])
    b = _art("b", "okaz", BASE[:3])
    g = build([(1, "variant", [a, b])])["groups"][0]
    texts = [s["text"] for f in g["facts"] for s in f["sentences"].values()]
    for chrome in ("عين اليوم", "تطورات الحالة", "يتفقد أحد المستشفيات", "تصوير", "السلام عليكم"):
        assert not [t for t in texts if chrome in t], chrome
    assert "وصل الوفد أمس." in texts  # a short sentence inside a paragraph is a fact
    assert g["articles"][0]["title"] == BASE[0]  # the byline line does not head the article


def test_a_dateline_glued_to_a_sentence_is_not_part_of_the_fact():
    from dedup.text.boilerplate import dateline_length

    for text, dateline in (("واس- الرياض: أعلنت وزارة الصحة تسجيل إصابات", "واس- الرياض: "),
                           ("فهد المنجومي- سبق- مكة المكرمة: لقي عامل حتفه أمس", "فهد المنجومي- سبق- مكة المكرمة: ")):
        assert text[:dateline_length(text)] == dateline
    for text, dateline in (("حامد القرشي - مكة المكرمة تلقى مركز العمليات بلاغا", "حامد القرشي - مكة المكرمة "),
                           ("عين اليوم – أبو ظبي أعلنت النيابة العامة إحالة المتهمين", "عين اليوم – أبو ظبي ")):
        assert text[:dateline_length(text)] == dateline
    for text in ("وقال المتحدث: إن الحالات مستقرة الآن", "الرياض: أعلنت الوزارة اليوم النتائج",
                 "مباراة الهلال - النصر انتهت بالتعادل أمس", "قال الوزير - الذي زار جدة - إن المشروع اكتمل",
                 "1990- الغزو العراقي للكويت: مجلس الأمن يعتمد القرار", "2 - الأكراد: يسكن الأكراد في الشمال"):
        assert dateline_length(text) == 0, text
    a = _art("a", "sabq", ["واس- الرياض: " + BASE[0], BASE[1]])
    b = _art("b", "okaz", BASE[:2])
    g = build([(1, "variant", [a, b])])["groups"][0]
    sent = next(f["sentences"]["a"] for f in g["facts"] if "a" in f["sentences"] and "إصابات" in f["sentences"]["a"]["text"])
    assert sent["text"] == BASE[0] and a.text[sent["start"]:sent["end"]] == BASE[0]


def test_a_fact_told_inside_a_longer_sentence_is_not_called_dropped():
    import importlib

    report_module = importlib.import_module("dedup.report.variants")
    joined = BASE[0].rstrip(".") + " كما " + BASE[1]  # both facts in one sentence of c
    a, b = _art("a", "sabq", BASE[:3]), _art("b", "okaz", BASE[:3])
    c = _art("c", "was", [joined, BASE[2]])
    g = build([(1, "variant", [a, b, c])])["groups"][0]
    assert {o["article"]: o["dropped"] for o in g["outlets"]}["c"] == []
    d = _art("d", "was", [BASE[2]])  # an article that really lacks both
    g = build([(1, "variant", [a, b, d])])["groups"][0]
    assert len({o["article"]: o["dropped"] for o in g["outlets"]}["d"]) == 2
    assert report_module.NEAR == report_module.MATCH


# --- paraphrase alignment with sentence vectors (the semantic extra) ---------------------------------

def test_a_pair_below_the_lexical_match_is_rescued_only_as_each_other_s_best_partner():
    import numpy as np

    from dedup.report.align import MATCH, RESCUE, rescued

    owner = np.array([0, 0, 1, 1, 1])
    lexical = np.full((5, 5), 0.1)
    semantic = np.full((5, 5), 0.1)
    np.fill_diagonal(lexical, 1.0)
    np.fill_diagonal(semantic, 1.0)

    def put(m, i, j, v):
        m[i, j] = m[j, i] = v

    put(lexical, 0, 2, 0.30); put(semantic, 0, 2, 0.60)          # mean 0.45, best for both: rescued
    put(lexical, 1, 3, 0.30); put(semantic, 1, 3, 0.50)          # mean 0.40 ...
    put(lexical, 1, 4, 0.35); put(semantic, 1, 4, 0.55)          # ... but sentence 1 has a better partner
    put(lexical, 0, 1, 0.20); put(semantic, 0, 1, 0.90)          # one article: never a pair
    out = rescued(lexical, semantic, owner)
    assert out[0, 2] and out[2, 0]
    assert out[1, 4] and not out[1, 3]
    assert not out[0, 1]
    assert out.sum() == 4
    put(lexical, 0, 2, MATCH + 0.01)                              # already a lexical match: nothing to rescue
    assert not rescued(lexical, semantic, owner)[0, 2]
    put(semantic, 1, 4, 2 * RESCUE - 0.35 - 0.01)                 # mean just under RESCUE
    assert not rescued(lexical, semantic, owner)[1, 4]


def _semantic_installed():
    from dedup.report import semantic

    return semantic.available()


def test_report_semantic_without_the_extra_is_refused_before_any_work(seeds_dir, tmp_path, monkeypatch):
    from dedup.report import semantic

    monkeypatch.setattr(semantic, "_package_dir", lambda: None)  # as where the extra is not installed

    def no_work(*args, **kwargs):
        raise AssertionError("the job ran before --semantic was refused")

    monkeypatch.setattr("dedup.engine.local.cluster", no_work)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", str(seeds_dir), "--semantic", "--out", str(out)])
    assert result.exit_code == 5
    assert "pip install 'dedup[semantic]'" in result.output
    assert not out.exists()


@pytest.mark.skipif(not _semantic_installed(), reason="needs the semantic extra: pip install 'dedup[semantic]'")
def test_semantic_alignment_links_a_retelling_that_words_alone_miss(seeds_report):
    result, lexical = seeds_report
    semantic = from_result(result, semantic=True)
    texts = lambda rep: [" || ".join(s["text"] for s in f["sentences"].values())
                         for f in rep["groups"][0]["facts"] if len(f["sentences"]) > 1]
    # 000: «ننسق مع مصر بشأن أي مبادرة» — 004: «تعمل عن كثب مع مصر بشأن أي مبادرة»
    told = lambda rep: any("ننسق مع مصر" in t and "عن كثب مع مصر" in t for t in texts(rep))
    assert not told(lexical)
    assert told(semantic)


@pytest.mark.skipif(not _semantic_installed(), reason="needs the semantic extra: pip install 'dedup[semantic]'")
@pytest.mark.xfail(strict=True, reason="the encoder ranks 004's Qatari-PM sentence (same names and venue) above its "
                   "retelling of 'talks will show whether Hamas is serious' (cosine 0.67 vs 0.16), and pairs 000's "
                   "Israeli-official sentence with 004's Haaretz sentence: see docs/report_alignment.md")
def test_seeds_golden_with_semantic_alignment(seeds_report):
    result, _ = seeds_report
    g = from_result(result, semantic=True)["groups"][0]
    assert _has(_texts(_facts(g, "000", "added"), "000"), "مسؤول إسرائيلي", "رئيس الموساد")
    assert any(len(f["sentences"]) == 3 and "الأيام المقبلة" in " ".join(s["text"] for s in f["sentences"].values())
               for f in g["facts"])


def test_a_fact_told_inside_another_outlet_s_longer_sentence_is_not_called_added():
    combined = BASE[0].rstrip(".") + " " + BASE[1]
    a = _art("a", "sabq", BASE[:2] + [BASE[2]])
    b = _art("b", "okaz", [combined, BASE[2]])
    g = build([(1, "pair", [a, b])])["groups"][0]
    by = {o["article"]: o for o in g["outlets"]}
    lone = [f for f in g["facts"] if list(f["sentences"]) == ["a"]]
    assert len(lone) == 1  # b's one sentence joins one of a's two; the other stays alone ...
    assert lone[0]["also_in"] == ["b"]  # ... though b tells it inside that sentence
    assert by["a"]["added"] == [] and by["b"]["dropped"] == []
    md = render_md(build([(1, "pair", [a, b])]))
    assert "◐ ضمن جملة أخرى" in md and "➕" not in md
    # an outlet with nothing like the fact: it is added, and no also_in
    c = _art("c", "was", [BASE[0], BASE[2]])
    g2 = build([(1, "pair", [a, c])])["groups"][0]
    (lone2,) = [f for f in g2["facts"] if list(f["sentences"]) == ["a"]]
    assert lone2["also_in"] == [] and {o["article"]: o["added"] for o in g2["outlets"]}["a"] == [lone2["id"]]


def test_different_weekdays_months_and_nationalities_are_disagreements():
    from dedup.report.disagreements import details

    assert details("وقع الحادث يوم الأربعاء لعامل يمني الجنسية") == {"day": ["الأربعاء"], "nationality": ["يمني"]}
    assert details("التقى الوزير نظيره المصري") == {}  # a nationality counts where nationality is spoken of
    a = _art("a", "x", ["توفي عامل يمني الجنسية إثر سقوطه من الطابق العاشر في مبنى تحت الإنشاء يوم الأربعاء."])
    b = _art("b", "y", ["توفي عامل آسيوي الجنسية إثر سقوطه من الطابق العاشر في مبنى تحت الإنشاء يوم الخميس."])
    c = _art("c", "z", ["توفي عامل إثر سقوطه من الطابق العاشر في مبنى تحت الإنشاء يوم الأربعاء."])
    (fact,) = [f for f in build([(1, "variant", [a, b, c])])["groups"][0]["facts"] if len(f["sentences"]) == 3]
    kinds = {d["kind"]: d["versions"] for d in fact["disagreements"]}
    assert kinds["day"] == {"a": ["الأربعاء"], "b": ["الخميس"], "c": ["الأربعاء"]}
    assert kinds["nationality"] == {"a": ["يمني"], "b": ["آسيوي"]}
    # one day written two ways is no disagreement
    d = _art("d", "w", ["توفي عامل إثر سقوطه من الطابق العاشر في مبنى تحت الإنشاء يوم الإثنين."])
    e = _art("e", "v", ["توفي عامل إثر سقوطه من الطابق العاشر في مبنى تحت الإنشاء يوم الاثنين."])
    (fact,) = [f for f in build([(1, "variant", [d, e])])["groups"][0]["facts"] if len(f["sentences"]) == 2]
    assert fact["disagreements"] == []
    html = render_html(build([(1, "variant", [a, b, c])]))
    assert "اختلاف الجنسية" in html and "اختلاف اليوم" in html


def test_a_column_names_its_article_once_when_the_label_is_the_file_name():
    a = _art("a.txt", "", BASE)
    b = _art("b.txt", "okaz", BASE[:2])
    html = render_html(build([(1, "variant", [a, b])]))
    head = html[html.index("<thead>"):html.index("</thead>")]
    assert head.count("a.txt") == 1  # no outlet: the label is the file name, not repeated below it
    assert "okaz" in head and "<small>b.txt</small>" in head


def test_review_cases_numbers_details_and_datelines():
    from dedup.text.boilerplate import dateline_length, is_label_line
    from dedup.report.disagreements import details

    assert numbers("بلغت 4.1 مليون") == numbers("بلغت 4,100,000") == ["4100000"]
    assert numbers("يوم الاثنين") == []  # a weekday, not the number two
    assert numbers("بنسبة 3,5") == ["3.5"]
    assert numbers("تزن ستمائة وخمسة عشر ونصف جرام") == ["615.5"]
    assert numbers("مائة وخمسون مشاركا") == ["150"]
    assert details("توفيت عاملة يمنية الجنسية") == {"nationality": ["يمنية"]}
    assert details("عامل من الجنسية اليمنية") == {"nationality": ["اليمنية"]}
    assert details("في المعاملات مع الجانب المصري") == {}  # «عامل» inside «المعاملات» is no cue
    assert details("عامل في المملكة العربية السعودية") == {}  # a country's name, not a nationality
    text = "حامد القرشي - مكّة المكرمة تلقى مركز العمليات بلاغا"
    assert text[dateline_length(text):].startswith("تلقى")  # the cut does not land inside a word
    for text in ("وقال الوزير - في تصريح صحفي: إن المشروع اكتمل اليوم", "2 - الرياض تستضيف القمة العربية المقبلة"):
        assert dateline_length(text) == 0, text
    assert is_label_line("الرياض - واس:")
    assert not is_label_line("وقال إن المشروع يأتي بدعم من خادم الحرمين الشريفين حفظه الله.")


def test_one_person_given_two_ranks_is_a_disagreement():
    from dedup.report.disagreements import ranks

    assert ranks("وقال المتحدث الرسمي الرائد نايف الشريف إن الفرق باشرت") == [("الرائد", frozenset({"نايف", "الشريف"}))]
    a = _art("a", "x", ["وقال المتحدث الرسمي للدفاع المدني بالعاصمة المقدسة الرائد نايف الشريف إن الفرق باشرت الحادث."])
    b = _art("b", "y", ["وقال المتحدث الرسمي للدفاع المدني بالعاصمة المقدسة النقيب نايف أحمد الشريف إن الفرق باشرت الحادث."])
    c = _art("c", "z", ["وقال المتحدث الرسمي للدفاع المدني بالعاصمة المقدسة الرائد سعيد الشريف إن الفرق باشرت الحادث."])
    (fact,) = [f for f in build([(1, "variant", [a, b])])["groups"][0]["facts"] if len(f["sentences"]) == 2]
    assert {d["kind"]: d["versions"] for d in fact["disagreements"]}["rank"] == {"a": ["الرائد"], "b": ["النقيب"]}
    (fact,) = [f for f in build([(1, "variant", [a, c])])["groups"][0]["facts"] if len(f["sentences"]) == 2]
    assert not [d for d in fact["disagreements"] if d["kind"] == "rank"]  # two people, one rank each
    d = _art("d", "w", ["وأوضح المتحدث الرسمي للدفاع المدني بمنطقة عسير العقيد محمد عبدالرحيم العاصمي أن الفرق باشرت."])
    e = _art("e", "v", ["وأوضح المتحدث الرسمي للدفاع المدني بمنطقة عسير اللواء محمد بن رافع الشهري أن الفرق باشرت."])
    g = build([(1, "variant", [d, e])])["groups"][0]
    assert not [x for f in g["facts"] for x in f["disagreements"] if x["kind"] == "rank"]  # two men named محمد
