"""Where outlets disagree: what a sentence states that two retellings can give differently, and
the facts on which they do.

Read from each aligned sentence: figures (digits and Arabic number words, «خمسة عشر» as 15),
days and months, nationalities, military and police ranks before a name, and quotes. Two
versions of a fact disagree when each gives a value the other lacks in the same place (a figure
only one of them gives adds, it does not contradict). Used by :mod:`dedup.report.variants`, per
fact of the report.
"""

from __future__ import annotations

import difflib
import re

from ..text.normalize import DIGITS_TABLE, normalize
from .wording import word_diff


def _words(table: dict[str, int]) -> dict[str, int]:
    return {normalize(w): v for w, v in table.items()}


#: Units, tens and hundreds as words (both genders, both cases).
_NUMBER_WORDS = _words({
    "واحد": 1, "واحدة": 1, "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2, "ثلاث": 3, "ثلاثة": 3,
    "أربع": 4, "أربعة": 4, "خمس": 5, "خمسة": 5, "ست": 6, "ستة": 6, "سبع": 7, "سبعة": 7,
    "ثمان": 8, "ثماني": 8, "ثمانية": 8, "تسع": 9, "تسعة": 9, "عشر": 10, "عشرة": 10,
    "عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "أربعون": 40, "أربعين": 40,
    "خمسون": 50, "خمسين": 50, "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70,
    "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90, "مئة": 100, "مائة": 100,
    "مئتين": 200, "مئتان": 200, "مائتين": 200, "مائتان": 200,
    **{unit + hundred: value * 100 for unit, value in (("ثلاث", 3), ("أربع", 4), ("خمس", 5), ("ست", 6), ("سبع", 7),
                                                       ("ثمان", 8), ("تسع", 9)) for hundred in ("مائة", "مئة")},
})
#: Fractions that end a number in words («ستمائة وخمسة عشر ونصف» = 615.5).
_FRACTIONS = _words({"نصف": 0.5, "ربع": 0.25})
#: The first word of 11-19 («أحد عشر», «اثنا عشر», «الثانية عشرة»): units and ordinals.
_TEEN_HEADS = {**_NUMBER_WORDS, **_words({
    "أحد": 1, "إحدى": 1, "حادي": 1, "حادية": 1, "اثنا": 2, "اثني": 2, "اثنتا": 2, "اثنتي": 2, "ثاني": 2,
    "ثانية": 2, "ثالث": 3, "ثالثة": 3, "رابع": 4, "رابعة": 4, "خامس": 5, "خامسة": 5, "سادس": 6,
    "سادسة": 6, "سابع": 7, "سابعة": 7, "ثامن": 8, "ثامنة": 8, "تاسع": 9, "تاسعة": 9})}
_TEN = {normalize("عشر"), normalize("عشرة")}
#: Scale words: after a number they multiply it («ثلاثة آلاف», «2.5 مليون»); alone they are the number.
_SCALES = _words({"ألف": 1000, "آلاف": 1000, "ألفا": 1000, "ألفين": 2000, "ألفان": 2000, "مليون": 10**6,
                  "ملايين": 10**6, "مليونا": 10**6, "مليار": 10**9, "مليارات": 10**9, "مليارا": 10**9})
_MULTIPLIERS = (1000, 10**6, 10**9)
_NUMBER_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:[.,٫]\d+)?")
_QUOTE_RE = re.compile(r"«([^»]{6,})»|“([^”]{6,})”|\"([^\"]{6,})\"")
_PROCLITICS = ("و", "ب", "ل", "ف", "ك")
_ARTICLE = normalize("ال")


def _bare(word: str, article: bool = False) -> list[str]:
    """``word`` and its forms without up to two proclitics (و، ب، ل، ف، ك), and without the article
    when ``article``."""
    forms = [word]
    while len(forms) < 3 and forms[-1].startswith(_PROCLITICS) and len(forms[-1]) > 3:
        forms.append(forms[-1][1:])
    return forms + ([f[2:] for f in forms if f.startswith(_ARTICLE) and len(f) > 4] if article else [])


def _lookup(word: str, table: dict[str, int], article: bool = False) -> int | None:
    return next((table[f] for f in _bare(word, article) if f in table), None)


def _format(value: float) -> str:
    value = round(float(value), 6)  # 4.1 مليون is 4100000, not 4099999.9999999995
    if value.is_integer():
        return str(int(value))
    return repr(value)


def _digits(text: str) -> float:
    """A number written in digits: «1,250,000» (thousands), «3,5» and «3.5» (decimals)."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        return float(text.replace(",", ""))
    return float(text.replace(",", "."))


def _word_number(tokens: list[tuple[str, float | None]], i: int) -> tuple[float | None, int]:
    """The number written in words at ``tokens[i]`` (11-19 and units with tens included) and the
    tokens it takes; ``(None, 1)`` when there is none."""
    word = tokens[i][0]
    if not word:
        return None, 1
    head = _lookup(word, _TEEN_HEADS, article=True)  # «الثانية عشرة»
    nxt = tokens[i + 1][0] if i + 1 < len(tokens) else ""
    if head is not None and head < 10 and nxt in _TEN:
        return 10 + head, 2
    value = _lookup(word, _NUMBER_WORDS)
    if value is not None and value < 10 and nxt.startswith("و"):
        tens = _lookup(nxt, _NUMBER_WORDS)
        if tens is not None and 20 <= tens < 100 and tens % 10 == 0:
            return value + tens, 2
    return value, 1


def numbers(sentence: str) -> list[str]:
    """Numbers in a sentence: digits in any script (1,250 and ٣٫٥ included), Arabic number words
    with their compounds (خمسة عشر = 15, خمسة وعشرون = 25), scale words after a number (ثلاثة آلاف =
    3000, 2.5 مليون = 2500000); ordinals only inside 11-19 (الساعة الثانية عشرة = 12).

    >>> numbers("أفرج عن سبعة رهائن و١٢ معتقلا بنسبة 3.5")
    ['3.5', '7', '12']
    """
    text = sentence.translate(DIGITS_TABLE).replace("٫", ".").replace("٬", ",")
    tokens: list[tuple[str, float | None]] = []  # (normalized word, digit value if it is digits)
    for raw in text.split():
        m = _NUMBER_RE.search(raw)
        if m and m.group() and not raw.replace(m.group(), "").strip("()[]«»\"'.,:؛،%$+-"):
            tokens.append(("", _digits(m.group())))
        else:
            for m in _NUMBER_RE.finditer(raw):  # digits glued to letters or signs
                tokens.append(("", _digits(m.group())))
            word = normalize(raw).strip("()[]«»\"'.,:؛،")
            if word:
                tokens.append((word, None))
    found: set[str] = set()
    i = 0
    while i < len(tokens):
        word, digits = tokens[i]
        value: float | None = digits
        used = 1
        if value is None:
            value, used = _word_number(tokens, i)
            # «ستمائة وخمسة عشر ونصف»: smaller parts joined by و add up
            while value is not None and i + used < len(tokens) and tokens[i + used][0].startswith("و"):
                part, more = _word_number(tokens, i + used)
                if part is None:
                    part, more = _lookup(tokens[i + used][0], _FRACTIONS), 1
                if part is None or part >= value:
                    break
                value, used = value + part, used + more
        if value is not None and i + used < len(tokens):
            scale = _lookup(tokens[i + used][0], _SCALES)
            if scale in _MULTIPLIERS and tokens[i + used][1] is None:
                value, used = value * scale, used + 1
        if value is None:
            value = _lookup(word, _SCALES) if digits is None else None
        if value is not None:
            found.add(_format(value))
        i += used
    return sorted(found, key=lambda x: (float(x), x))


#: Closed classes of details whose members exclude each other: two versions naming different members
#: disagree (a weekday, a month, a nationality where the sentence speaks of one).
_DETAILS = {
    "day": _words({"الأحد": 1, "الاثنين": 2, "الإثنين": 2, "الثلاثاء": 3, "الأربعاء": 4, "الخميس": 5,
                   "الجمعة": 6, "السبت": 7}),
    "month": _words({"يناير": 1, "فبراير": 2, "أبريل": 4, "ابريل": 4, "مايو": 5, "يونيو": 6, "يوليو": 7,
                     "أغسطس": 8, "سبتمبر": 9, "أكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12}),
    "nationality": _words({w: i for i, w in enumerate((
        "سعودي", "يمني", "مصري", "سوري", "سوداني", "أردني", "فلسطيني", "لبناني", "عراقي", "كويتي", "إماراتي",
        "قطري", "بحريني", "عماني", "مغربي", "جزائري", "تونسي", "ليبي", "إثيوبي", "إريتري", "صومالي",
        "تشادي", "نيجيري", "باكستاني", "هندي", "بنغلاديشي", "أفغاني", "إندونيسي", "فلبيني", "نيبالي",
        "سريلانكي", "إيراني", "تركي", "آسيوي", "أفريقي", "عربي", "خليجي"))}),
}
#: A nationality counts only in a sentence that speaks of nationality (or of a resident or worker), word for word.
_NATIONALITY_CUES = frozenset(normalize(w) for w in (
    "الجنسية", "الجنسيات", "جنسية", "جنسيته", "جنسيتها", "مقيم", "مقيما", "مقيمة", "المقيم", "وافد", "وافدا",
    "الوافد", "عامل", "عاملا", "عاملة", "العامل", "العاملة", "عمال", "العمال", "العمالة"))
_NATIONALITY_AFTER = normalize("الجنسية")
#: Each kind of disagreement as the report names it.
def _details(sentence: str) -> dict[str, dict[int, str]]:
    """Weekdays, months and nationalities named in a sentence: by class, each one's value (so that
    «الإثنين» and «الاثنين» are one day) and the word as written."""
    raw = [w.strip("()[]«»\"'.,:؛،“”") for w in sentence.split()]
    words = [normalize(w) for w in raw]
    cue = any(f in _NATIONALITY_CUES for w in words for f in _bare(w))
    found: dict[str, dict[int, str]] = {}
    for kind, table in _DETAILS.items():
        if kind == "nationality" and not cue:
            continue
        for k, w in enumerate(words):
            # a weekday or month with or without the article; a nationality without it («يمني»,
            # «يمنية», «يمنيين»), or with it only after «الجنسية» («من الجنسية اليمنية»): «المملكة
            # العربية السعودية» names a country, not a nationality
            article = kind != "nationality" or (k > 0 and words[k - 1] == _NATIONALITY_AFTER)
            forms = [f for f in _bare(w, article) if f in table]
            if not forms and kind == "nationality":
                forms = [f[:-len(end)] for f in _bare(w, article) for end in ("ه", "ين", "ون", "يه")
                         if f.endswith(end) and f[:-len(end)] in table]
            if forms:
                found.setdefault(kind, {}).setdefault(table[forms[0]], raw[k])
    return found


#: Military and police ranks, lowest first.
_RANKS = _words({"ملازم": 1, "نقيب": 2, "رائد": 3, "مقدم": 4, "عقيد": 5, "عميد": 6, "لواء": 7, "فريق": 8})


_NAME_LINKS = frozenset(normalize(w) for w in ("بن", "ابن", "بنت", "آل", "أبو", "عبد"))


def ranks(sentence: str) -> list[tuple[str, frozenset[str]]]:
    """Ranks given to people in a sentence: each rank as written, with the words of the name after
    it (up to three, normalized; «بن», «آل» … left out).

    >>> [(rank, sorted(name)) for rank, name in ranks("وقال المتحدث الرائد نايف الشريف إن …")]
    [('الرائد', ['الشريف', 'نايف'])]
    """
    raw = [w.strip("()[]«»\"'.,:؛،“”") for w in sentence.split()]
    words = [normalize(w) for w in raw]
    out = []
    for k, w in enumerate(words[:-1]):
        if _lookup(w, _RANKS, article=True) is not None and words[k + 1] not in _RANKS:
            name = frozenset(x for x in words[k + 1:k + 4] if x and x not in _NAME_LINKS and x not in ("ان", "إن", "أن"))
            out.append((raw[k], name))
    return out


def _rank_conflicts(texts: dict[str, str]) -> dict[str, list[str]]:
    """Versions giving one person two ranks: the same first name and one more word of the name
    after different ranks («الرائد نايف الشريف», «النقيب نايف أحمد الشريف»; two men named محمد with
    no other name in common are two people). «فريق» and «لواء» are a team and a brigade too: a rank
    counts only beside another version's rank for the same name."""
    given = {k: ranks(t) for k, t in texts.items()}
    conflict: dict[str, list[str]] = {}
    keys = list(given)
    for x, ka in enumerate(keys):
        for kb in keys[x + 1:]:
            for ra, na in given[ka]:
                for rb, nb in given[kb]:
                    same = len(na & nb) >= 2
                    if same and _lookup(normalize(ra), _RANKS, True) != _lookup(normalize(rb), _RANKS, True):
                        for key, r in ((ka, ra), (kb, rb)):
                            if r not in conflict.setdefault(key, []):
                                conflict[key].append(r)
    return conflict


def details(sentence: str) -> dict[str, list[str]]:
    """Weekdays, months and nationalities named in a sentence, by class, as written.

    >>> details("وقع الحادث يوم الأربعاء لعامل يمني الجنسية")
    {'day': ['الأربعاء'], 'nationality': ['يمني']}
    """
    return {kind: list(named.values()) for kind, named in _details(sentence).items()}


def quotes(sentence: str) -> list[str]:
    """Quoted passages of a sentence («…», “…”, "…")."""
    return [next(g for g in m.groups() if g) for m in _QUOTE_RE.finditer(sentence)]


#: Two quotes are one quote, altered, when their word sequences match at least
#: this much (and are not identical up to spelling)...
QUOTE_SAME = 0.5
#: ...and at most this much: above it they are the same words.
QUOTE_IDENTICAL = 0.95


def _altered_quotes(quoted: dict[str, list[str]]) -> dict[str, list[str]]:
    """Quotes that are the same quote in another's words: versions to show, by article.

    Outlets quoting different parts of a speech is not a disagreement; the same
    quote with words changed is.
    """
    usable = {k: [(normalize(q).split(), q) for q in v if len(q.split()) >= 4] for k, v in quoted.items()}
    keys = [k for k, v in usable.items() if v]
    found: dict[str, list[str]] = {}
    for x, ka in enumerate(keys):
        for kb in keys[x + 1 :]:
            for qa, ra in usable[ka]:
                for qb, rb in usable[kb]:
                    ratio = difflib.SequenceMatcher(None, qa, qb, autojunk=False).ratio()
                    if QUOTE_SAME <= ratio < QUOTE_IDENTICAL:
                        for key, raw in ((ka, ra), (kb, rb)):
                            if raw not in found.setdefault(key, []):
                                found[key].append(raw)
    return found


def _figures_differ(a: str, b: str) -> bool:
    """Whether one sentence gives a figure where the other gives another: in the word-level alignment
    of the two, a passage replaced by another in which each side has a number the other lacks
    («عددها 12» against «عددها 15»). A figure only one of them gives (the time in one, the number of
    floors in the other) adds; it does not contradict; nor does one figure written two ways
    («خمسة عشر» against «15», «الثانية عشرة والدقيقة الثامنة» against «12:08»)."""
    ops = word_diff(a, b)
    for (tag, removed), (tag2, inserted) in zip(ops, ops[1:]):
        if tag == "-" and tag2 == "+":
            old, new = set(numbers(removed)), set(numbers(inserted))
            if _unmatched(old, new) and _unmatched(new, old):
                return True
    return False


def _unmatched(these: set[str], others: set[str]) -> set[str]:
    """Numbers of ``these`` that ``others`` lacks, a dot before three digits read either way
    («58.047» may be 58047, as Arabic sources often write thousands)."""
    def readings(x: str) -> set[str]:
        whole, _, frac = x.partition(".")
        return {x, whole + frac} if len(frac) == 3 else {x}
    return {x for x in these if not readings(x) & others}


def find_disagreements(texts: dict[str, str]) -> list[dict]:
    out = []
    nums = {k: numbers(t) for k, t in texts.items()}
    with_numbers = {k: v for k, v in nums.items() if v}
    keys = list(with_numbers)
    if any(_figures_differ(texts[a], texts[b]) for x, a in enumerate(keys) for b in keys[x + 1:]):
        out.append({"kind": "number", "versions": with_numbers})
    found = {k: _details(t) for k, t in texts.items()}
    for kind in _DETAILS:
        named = {k: v[kind] for k, v in found.items() if v.get(kind)}
        sets = [set(v) for v in named.values()]
        if any(a - b and b - a for x, a in enumerate(sets) for b in sets[x + 1:]):
            out.append({"kind": kind, "versions": {k: list(v.values()) for k, v in named.items()}})
    conflict = _rank_conflicts(texts)
    if conflict:
        out.append({"kind": "rank", "versions": conflict})
    altered = _altered_quotes({k: quotes(t) for k, t in texts.items()})
    if altered:
        out.append({"kind": "quote", "versions": altered})
    return out
