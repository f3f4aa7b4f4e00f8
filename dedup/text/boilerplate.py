"""Boilerplate removal for scraped Arabic news pages.

Three rules, each recording what it removed as ``(start, end, reason)`` spans
of the original text so reports and ``--explain`` can show them:

* ``tail``: everything after a well-known closing marker (كلمات دلالية,
  مقالات ذات صلة, اترك تعليقا, المصدر: …), where enough article precedes it;
* ``read-also``: an inline "read also" marker and the headline lines after it;
* ``repeated``: short lines that recur across many documents of the corpus
  (site templates), the way large web-text pipelines drop repeated lines, and
  lines that recur inside one document (card lists);
* ``junk``: lines with no letters, font-size buttons, CSS rules;
* ``chrome``: a page's furniture standing on a line of its own: image placeholders and credits
  (وصف الصورة غير متوفر, صورة أرشيفية), section labels (الأخبار, أخبار دولية), share and print
  buttons; and, among the first lines, a dateline or byline (عين اليوم – أبو ظبي: a few words,
  a dash, a place) standing before a longer line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ..article import Article
from .normalize import normalize

#: Closing markers: the article is over once one of these opens a line.
TAIL_MARKERS = tuple(
    normalize(m)
    for m in (
        "كلمات دلالية",
        "الكلمات الدلالية",
        "الوسوم",
        "وسوم",
        "مقالات ذات صلة",
        "مقالات مشابهة",
        "مقالات متعلقة",
        "أخبار ذات صلة",
        "أخبار متعلقة",
        "مواضيع ذات صلة",
        "موضوعات ذات صلة",
        "قد يهمك أيضا",
        "قد يهمكم أيضا",
        "قد يعجبك أيضا",
        "اترك تعليقا",
        "اترك تعليقاً",
        "أضف تعليق",
        "اضف تعليقك",
        "التعليقات",
        "الأكثر قراءة",
        "الأكثر مشاهدة",
        "شارك هذا المقال",
        "شارك الخبر",
        "تابعونا على",
        "تابعنا على",
    )
)
#: A short attribution line (المصدر: رويترز) closes the article too.
SOURCE_MARKERS = tuple(normalize(m) for m in ("المصدر", "مصدر الخبر"))
#: Inline "read also" markers: the marker line and the headlines after it go.
READ_ALSO_MARKERS = tuple(
    normalize(m) for m in ("اقرأ أيضا", "إقرأ أيضا", "اقرأ ايضا", "اقرأ المزيد", "طالع أيضا", "شاهد أيضا", "اقرأ كذلك")
)

#: Lines that are page furniture when they stand alone (compared normalized, end punctuation dropped).
CHROME_LINES = frozenset(
    normalize(m)
    for m in (
        "وصف الصورة غير متوفر", "الصورة غير متوفرة", "صورة أرشيفية", "صورة ارشيفية", "صورة تعبيرية",
        "صورة من الأرشيف", "الصورة من المصدر", "أرشيفية", "تعبيرية",
        "الأخبار", "الاخبار", "أخبار", "اخبار", "آخر الأخبار", "أخبار دولية", "أخبار عربية", "أخبار محلية",
        "أخبار عالمية", "أخبار اقتصادية", "أخبار رياضية", "أخبار السعودية", "أخبار الخليج", "محليات", "دوليات",
        "عربي ودولي", "عربي وعالمي", "عربي", "دولي", "عالمي", "سياسة", "اقتصاد", "رياضة", "منوعات", "ثقافة",
        "مجتمع", "تقارير", "الرئيسية", "الصفحة الرئيسية", "طباعة", "مشاركة", "شارك", "أرسل", "ارسال", "حفظ",
        "نسخ الرابط", "تكبير الخط", "تصغير الخط", "حجم الخط",
    )
)
#: A dateline or byline: at most :data:`DATELINE_WORDS` words around a dash, no sentence punctuation.
DATELINE_WORDS = 6
_DATELINE_RE = re.compile(r"^[^.:!؟?،,«»\"“”]{2,60}\s[-–—]\s?[^.:!؟?،,«»\"“”]{2,40}$|^[^.:!؟?،,«»\"“”]{2,60}[-–—]\s[^.:!؟?،,«»\"“”]{2,40}$")
_END_PUNCT = ".:!؟?،,"

_CSS_RE = re.compile(r"[{};]\s*$|^\s*[.#@]?[\w-]+(\s*[.#:][\w-]+)*\s*\{")
_LETTER_RE = re.compile(r"[^\W\d_]")
_LINE_RE = re.compile(r"[^\n]*\n?")


class _Line:
    """A line of a page. Only its first characters are normalized (for the markers):
    normalizing every line of a large corpus twice would cost more than the rest."""

    __slots__ = ("start", "end", "raw", "key", "words", "_prefix")

    def __init__(self, start: int, raw: str) -> None:
        self.start, self.end, self.raw = start, start + len(raw), raw
        parts = raw.split()
        self.key = " ".join(parts)  # what "the same line" means across pages
        self.words = len(parts)
        self._prefix: str | None = None

    @property
    def blank(self) -> bool:
        return not self.key

    @property
    def prefix(self) -> str:
        if self._prefix is None:
            self._prefix = normalize(self.key[:48])
        return self._prefix


def _lines(text: str) -> list[_Line]:
    out = []
    for m in _LINE_RE.finditer(text):
        if m.start() == m.end():
            break
        out.append(_Line(m.start(), m.group().rstrip("\n")))
    return out


def _is_junk(line: _Line) -> bool:
    if line.blank:
        return False  # blank lines are kept (they separate paragraphs)
    if not _LETTER_RE.search(line.raw):
        return True
    return line.key in {"A+", "A-", "A+ A-", "a+", "a-"} or bool(_CSS_RE.search(line.key))


def _is_chrome_line(text: str) -> bool:
    """Whether a line, end punctuation aside, is one of :data:`CHROME_LINES`."""
    return normalize(text.strip(_END_PUNCT + " ")) in CHROME_LINES


#: A first line of at least this many words is taken for a headline (:meth:`Boilerplate.strip_text`).
HEADLINE_WORDS = 5


class Boilerplate:
    """Learns a corpus's repeated template lines, then strips boilerplate from articles.

    Parameters
    ----------
    min_docs:
        A line seen in at least this many documents is a template line...
    max_words:
        ...if it has at most this many words (reposted news paragraphs are long;
        template lines are short, so reposts keep their text).
    min_kept_words:
        A closing marker only cuts if at least this many words precede it.
    """

    def __init__(self, min_docs: int = 4, max_words: int = 12, min_kept_words: int = 30) -> None:
        if min_docs < 2:
            raise ValueError(f"min_docs must be at least 2, got {min_docs}")
        self.min_docs = min_docs
        self.max_words = max_words
        self.min_kept_words = min_kept_words
        self.repeated_: set[str] = set()

    def count(self, texts: Iterable[str]) -> Counter[str]:
        """In how many of ``texts`` each short line occurs (mergeable across processes)."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update({ln.key for ln in _lines(text) if not ln.blank and ln.words <= self.max_words})
        return counts

    def fit_counts(self, counts: Counter[str]) -> Boilerplate:
        self.repeated_ = {line for line, n in counts.items() if n >= self.min_docs}
        return self

    def fit(self, texts: Iterable[str]) -> Boilerplate:
        return self.fit_counts(self.count(texts))

    def strip(self, article: Article) -> Article:
        """Set ``article.clean`` and ``article.removed``; returns the article."""
        article.clean, article.removed, article.kept = self.strip_text(article.text)
        return article

    def strip_text(self, text: str) -> tuple[str, list[tuple[int, int, str]], list[tuple[int, int, int]]]:
        """Clean text, removed spans ``(start, end, reason)`` and kept segments
        ``(clean_start, original_start, length)`` mapping clean offsets back to ``text``."""
        lines = _lines(text)
        drop: dict[int, str] = {}
        self._cut_tail(lines, drop)
        self._cut_read_also(lines, drop)
        self._cut_chrome(lines, drop)
        within = Counter(ln.key for ln in lines if not ln.blank)
        # the first line of the text, when it has the length of a headline, is kept however often
        # it is repeated: reposts of one story share their headline line, which is no template
        head = next((i for i, ln in enumerate(lines) if not ln.blank and i not in drop), -1)
        for i, ln in enumerate(lines):
            if i in drop or ln.blank:
                continue
            if _is_junk(ln):
                drop[i] = "junk"
            elif ln.words <= self.max_words and (ln.key in self.repeated_ or within[ln.key] >= 3):
                if not (i == head and ln.words >= HEADLINE_WORDS and within[ln.key] == 1):
                    drop[i] = "repeated"
        kept: list[_Line] = []
        for i, ln in enumerate(lines):
            if i in drop or (ln.blank and (not kept or kept[-1].blank)):
                continue  # dropped, or a blank line after a blank line
            kept.append(ln)
        while kept and kept[-1].blank:
            kept.pop()
        if not kept:  # never strip an article to nothing
            body = text.strip()
            lead = text.index(body[:1]) if body else 0
            return body, [], [(0, lead, len(body))]
        parts, segments, pos = [], [], 0
        for ln in kept:
            raw = ln.raw.strip() if ln.blank else ln.raw
            parts.append(raw)
            segments.append((pos, ln.start + (ln.raw.index(raw[:1]) if raw else 0), len(raw)))
            pos += len(raw) + 1
        return "\n".join(parts), _spans(lines, drop), segments

    def _cut_tail(self, lines: list[_Line], drop: dict[int, str]) -> None:
        words = 0
        for i, ln in enumerate(lines):
            if ln.blank:
                continue
            is_tail = ln.prefix.startswith(TAIL_MARKERS) or (ln.words <= 6 and ln.prefix.startswith(SOURCE_MARKERS))
            if is_tail and words >= self.min_kept_words:
                for j in range(i, len(lines)):
                    drop[j] = "tail"
                return
            words += ln.words

    def _cut_chrome(self, lines: list[_Line], drop: dict[int, str]) -> None:
        seen = 0  # non-blank lines met so far
        for i, ln in enumerate(lines):
            if ln.blank or i in drop:
                continue
            seen += 1
            if ln.words <= 5 and _is_chrome_line(ln.key):
                drop[i] = "chrome"
            elif seen <= 3 and ln.words <= DATELINE_WORDS and _DATELINE_RE.match(ln.key) and self._longer_after(lines, i):
                drop[i] = "chrome"

    @staticmethod
    def _longer_after(lines: list[_Line], i: int) -> bool:
        """Whether the next non-blank line after ``i`` is longer than a dateline (the story goes on)."""
        for ln in lines[i + 1 :]:
            if not ln.blank:
                return ln.words > DATELINE_WORDS
        return False

    def _cut_read_also(self, lines: list[_Line], drop: dict[int, str]) -> None:
        i = 0
        while i < len(lines):
            ln = lines[i]
            if i not in drop and not ln.blank and ln.words <= 25 and ln.prefix.startswith(READ_ALSO_MARKERS):
                drop[i] = "read-also"
                j = i + 1
                # the headlines that follow: short lines, blank lines between them
                while j < len(lines) and j not in drop and (lines[j].blank or lines[j].words <= 16):
                    if not lines[j].blank:
                        drop[j] = "read-also"
                    j += 1
                i = j
            else:
                i += 1


def _spans(lines: list[_Line], drop: dict[int, str]) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for i in sorted(drop):
        ln = lines[i]
        if spans and spans[-1][2] == drop[i] and _only_blank_between(lines, spans[-1][1], ln.start):
            spans[-1] = (spans[-1][0], ln.end, drop[i])
        else:
            spans.append((ln.start, ln.end, drop[i]))
    return spans


def _only_blank_between(lines: list[_Line], end: int, start: int) -> bool:
    return all(ln.blank for ln in lines if ln.start >= end and ln.end <= start and ln.start < start)


def rebuild_clean(text: str, kept: list[tuple[int, int, int]]) -> str:
    """The clean text :meth:`Boilerplate.strip_text` made, from the original and its kept segments."""
    return "\n".join(text[start : start + length] for _, start, length in kept)


#: Sentences that are page furniture, not facts, though the text around them is kept for matching:
#: a tag line («سمات …», «الوسوم …»), a link back to the story («رابط الخبر …»); and, with a colon, a
#: photo credit («تصوير: …») or a source line («المصدر: …»). The report leaves them out of its facts;
#: verification still reads them.
REPORT_CHROME = tuple(normalize(m) + " " for m in ("سمات", "رابط الخبر", "رابط المقال", "كلمات دلالية", "الوسوم", "وسوم"))
REPORT_CHROME_COLON = tuple(normalize(m) for m in ("تصوير", "المصدر", "مصدر الصورة"))


def _colon_head(text: str) -> str | None:
    """The normalized words before a colon in a sentence's first 40 characters («تصوير: …» -> تصوير)."""
    head, colon, _ = text.strip()[:40].partition(":")
    return normalize(head).strip() if colon else None


def is_chrome_sentence(text: str) -> bool:
    """Whether a sentence is page furniture (:data:`REPORT_CHROME`, :data:`REPORT_CHROME_COLON`, or a
    :data:`CHROME_LINES` line)."""
    raw = text.strip()
    if _is_chrome_line(raw) or (normalize(raw) + " ").startswith(REPORT_CHROME):
        return True
    return _colon_head(raw) in REPORT_CHROME_COLON


#: A line standing alone inside an article with at most this many words and no closing punctuation is
#: a crosshead («العلاقات الثنائية»), a caption label or a byline/dateline («عين اليوم – أبو ظبي»),
#: not a fact.
LABEL_LINE_WORDS = 6
_CLOSING = tuple(".!?؟…:;؛\"'”»)")
#: A letter's salutation lines, quoted in full in official statements: not facts.
SALUTATION_OPENINGS = tuple(normalize(m) for m in ("السلام عليكم", "تحية طيبة", "وعليكم السلام"))
SALUTATION_ENDINGS = tuple(normalize(m) for m in ("حفظه الله", "حفظه الله ورعاه", "يحفظه الله", "رعاه الله"))
SALUTATION_WORDS = 12


#: Photo credit openings («تصوير: …»): the sentence just before a credit is the photo's caption.
PHOTO_CREDITS = tuple(normalize(m) for m in ("تصوير", "عدسة", "الصورة", "مصدر الصورة", "صورة"))
#: A caption is at most this many words (longer, it is body text the credit happened to follow).
CAPTION_WORDS = 20


def is_photo_credit(text: str) -> bool:
    """Whether a sentence is a photo credit: «تصوير: …», «عدسة: …»."""
    return _colon_head(text) in PHOTO_CREDITS


_DASH = re.compile(r"\s[-–—]\s")


def is_byline(text: str) -> bool:
    """Whether a line is a byline or dateline: a few words either side of a dash, «عين اليوم – أبو ظبي»,
    «الرياض - واس», «الرياض - واس:»."""
    raw = text.strip()
    body = raw[:-1].rstrip() if raw.endswith(":") else raw
    return (len(body.split()) <= LABEL_LINE_WORDS and bool(_DASH.search(body)) and not body.endswith(_CLOSING)
            and not re.search(r"\d", body))


_DATELINE = re.compile(r"\s*([^:\n]{3,80}?)\s*:\s*")


#: Places and agencies that end a dateline with no colon after it («حامد القرشي - مكة المكرمة تلقى …»),
#: each as its normalized words.
DATELINE_PLACES = sorted({tuple(normalize(p).split()) for p in (
    "الرياض", "جدة", "مكة المكرمة", "مكة", "المدينة المنورة", "المدينة", "الدمام", "الخبر", "الظهران", "الأحساء",
    "القطيف", "الطائف", "أبها", "جازان", "جيزان", "نجران", "تبوك", "حائل", "القصيم", "بريدة", "عنيزة", "الباحة",
    "الجوف", "سكاكا", "عرعر", "الجبيل", "ينبع", "خميس مشيط", "حفر الباطن", "القريات", "المنطقة الشرقية",
    "القاهرة", "دبي", "أبو ظبي", "أبوظبي", "الدوحة", "الكويت", "المنامة", "مسقط", "عمان", "بيروت", "دمشق",
    "بغداد", "صنعاء", "عدن", "الخرطوم", "تونس", "الرباط", "الجزائر", "طرابلس", "القدس", "غزة", "رام الله",
    "أنقرة", "إسطنبول", "طهران", "لندن", "باريس", "واشنطن", "نيويورك", "موسكو", "بكين", "برلين", "جنيف",
    "واس", "سبق", "متابعات", "وكالات", "رويترز", "الأناضول", "عين اليوم")}, key=lambda p: -len(p))
_BYLINE_HEAD = re.compile(r"\s*(?:[^\s:.،,«»\"]+\s+){0,3}?[^\s:.،,«»\"]+\s*[-–—]\s*")
_WORD = re.compile(r"[^\s\-–—:]+")


#: Verbs of saying: a head holding one is the story's own clause («وقال الوزير - في تصريح صحفي: …»).
_SAYING = frozenset(normalize(w) for w in (
    "قال", "قالت", "أضاف", "أضافت", "أكد", "أكدت", "أوضح", "أوضحت", "أشار", "أشارت", "ذكر", "ذكرت", "صرح",
    "صرحت", "أعلن", "أعلنت", "لفت", "لفتت", "بين", "بينت", "تابع", "تابعت", "قائلا", "مضيفا", "مؤكدا"))


def _dateline_head(head: str) -> bool:
    """Whether the words before a dateline's end can be a byline: a dash, Arabic letters, no digits (not
    a numbered item «2 - الأكراد:» nor a dated entry «1990- الغزو …:»), and no verb of saying (not the
    story's own clause «وقال الوزير - في تصريح صحفي: …»)."""
    head = head.strip()
    words = {w.lstrip("وف") if len(w) > 3 else w for w in normalize(head).split()} | set(normalize(head).split())
    return (bool(re.search(r"[-–—]", head)) and not re.search(r"\d", head) and not head.startswith(("-", "–", "—"))
            and bool(re.search("[\u0621-\u064a]", head)) and not words & _SAYING)


def dateline_length(text: str) -> int:
    """Characters of a byline or dateline glued to the start of a sentence: a few words holding a dash
    up to a colon («واس- الرياض: …», «فهد المنجومي- سبق- مكة المكرمة: …»), or a name, a dash and a
    known place or agency («حامد القرشي - مكة المكرمة تلقى …»); 0 when none."""
    m = _DATELINE.match(text)
    if m and len(m.group(1).split()) <= LABEL_LINE_WORDS + 2 and _dateline_head(m.group(1)):
        return m.end() if len(text[m.end():].split()) >= 3 else 0
    m = _BYLINE_HEAD.match(text)
    if not m or not _dateline_head(text[:m.end()]):
        return 0
    end = m.end()
    while True:  # one or more «place -» after the name, matched word by word on the raw text
        words = list(_WORD.finditer(text, end, min(len(text), end + 60)))
        place = next((p for p in DATELINE_PLACES if len(words) > len(p)
                      and tuple(normalize(w.group()) for w in words[:len(p)]) == p), None)
        if place is None:
            return 0
        end = words[len(place) - 1].end()
        more = re.match(r"\s*[-–—]\s*", text[end:])
        if not more:
            break
        end += more.end()
    while end < len(text) and text[end] == " ":
        end += 1
    return end if len(text[end:].split()) >= 3 else 0


def is_label_line(text: str) -> bool:
    """Whether a line (the whole of it) is a heading, a caption label, a byline or a salutation."""
    raw = text.strip()
    words = len(raw.split())
    if (words <= LABEL_LINE_WORDS and not raw.endswith(_CLOSING)) or is_byline(raw):
        return True
    if words <= SALUTATION_WORDS and not raw.endswith(tuple(".!?؟")):
        norm = normalize(raw).strip(" :.،,")
        return norm.startswith(SALUTATION_OPENINGS) or norm.endswith(SALUTATION_ENDINGS)
    return False


def strip_corpus(articles: list[Article], cleaner: Boilerplate | None = None) -> Boilerplate:
    """Fit a :class:`Boilerplate` on ``articles`` (unless given one) and strip each in place."""
    cleaner = cleaner or Boilerplate().fit(a.text for a in articles)
    for article in articles:
        cleaner.strip(article)
    return cleaner
