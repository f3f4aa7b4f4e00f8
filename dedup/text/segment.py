"""Arabic sentence segmentation that holds up on scraped news.

Splits at . ! ? ؟ ؛ and line breaks (always: scraped quotes are too often
unbalanced to let one run across lines), keeps closing quotes and brackets with
their sentence, never splits inside numbers (3.5, ٣٫٥, 2024/10/24), after
single-letter or common abbreviations (د. م. ص.), or inside a quotation; and
cuts very long comma-chained sentences at clause boundaries (، followed by و
or ف) so each piece carries one fact. Each sentence keeps its character
offsets into the original text.

:func:`statements` cuts a sentence further, before each participle clause that
adds another statement of the speaker («…، مشيراً إلى أن …», «…، مؤكداً أن …»):
the report aligns these pieces, so that a sentence packing two facts can share
each with a different article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Characters that end a sentence.
_ENDERS = ".!?؟؛;…"
_CLOSERS = "\"'”’»)]}›"
_OPENERS = {"«": "»", "“": "”", "‹": "›", "(": ")", "[": "]"}
_ABBREVIATIONS = {"د", "م", "ص", "ق", "ه", "هـ", "ج", "ت", "أ", "ش", "س", "dr", "mr", "mrs", "no", "st", "vs", "etc", "ib"}
_WORD_BEFORE = re.compile(r"(\w+)\W*$")
_ALNUM = re.compile(r"[^\W_]")
_CLAUSE = re.compile(r"،\s*(?=[وف]\w{2,})")

#: A comma before a circumstantial participle of reporting (with or without و) opens another statement.
_PARTICIPLES = ("مشير", "مؤكد", "مضيف", "مجدد", "لافت", "موضح", "معرب", "مبين", "منوه", "كاشف", "مشدد",
                "معتبر", "مطالب", "داعي", "محذر", "متوقع", "مستدرك", "منبه")
_MARKS = "[\u064b-\u0652\u0640]*"  # short vowels and tatweel, as in «مُؤكِّداً» or «مؤكـداً»


def _spelled(word: str) -> str:
    return _MARKS.join(re.escape(ch) for ch in word) + _MARKS


#: (the ending is required: «مطالباً» opens a statement, «مطالب المواطنين» is a noun phrase)
_STATEMENT = re.compile(r"[،,]\s*(?=و?" + _MARKS + "(?:" + "|".join(_spelled(p) for p in _PARTICIPLES)
                        + r")(?:ا|ة)" + _MARKS + r"(?:\s|$))")
#: A statement piece of fewer words stays with its neighbour.
MIN_STATEMENT_WORDS = 4

#: Sentences longer than this many words are cut at clause boundaries.
LONG_SENTENCE_WORDS = 45
#: ...into pieces of at least this many words.
MIN_CLAUSE_WORDS = 8


@dataclass(frozen=True)
class Sentence:
    """A sentence and its ``[start, end)`` offsets in the text it came from."""

    text: str
    start: int
    end: int


def _is_number_dot(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


def _is_abbreviation(text: str, i: int) -> bool:
    m = _WORD_BEFORE.search(text[max(0, i - 12) : i])
    return bool(m) and m.group(1).lower() in _ABBREVIATIONS and text[i] == "."


_EVENTS = re.compile(r"[.!?؟؛;…\n«»“”‹›()\[\]\"]")


def _raw_spans(text: str, lo: int = 0, hi: int | None = None, quotes: bool = True,
               unclosed: bool = False) -> list[tuple[int, int]]:
    """Sentence spans of ``text[lo:hi]``, visiting only the characters that can open, close or end one.

    ``quotes``: no split inside a quotation. ``unclosed``: a line whose quotation is never closed
    (a quote mark the outlet forgot) is split again as if it had no quotation, so that the
    sentences after the opening mark are not glued into one.
    """
    spans: list[tuple[int, int]] = []
    n = len(text) if hi is None else hi
    start = lo
    quote_stack: list[str] = []
    resume = opened = 0  # opened: where the outermost quotation still open began

    def close_line(end: int) -> None:
        if unclosed and quote_stack:
            # split again from the quotation never closed; what comes before it (a quotation that
            # was closed among it) stays as it was, at the head of the first piece
            again = _raw_spans(text, opened, end, quotes=False)
            spans.extend([(start, again[0][1]), *again[1:]])
        else:
            spans.append((start, end))

    for m in _EVENTS.finditer(text, lo, n):
        i = m.start()
        if i < resume:
            continue
        ch = text[i]
        if not quotes and ch != "\n" and ch not in _ENDERS:
            continue
        if ch in _OPENERS or (ch == '"' and not (quote_stack and quote_stack[-1] == '"')):
            if not quote_stack:
                opened = i
            quote_stack.append(_OPENERS.get(ch, '"'))  # straight quotes open and close alike
            continue
        if quote_stack and ch == quote_stack[-1]:
            quote_stack.pop()
            continue
        if ch == "\n":  # scraped quotes are too often unbalanced to let them span lines
            close_line(i)
            start, quote_stack = i + 1, []
            continue
        if ch in _CLOSERS:
            continue
        # a sentence ender
        if ch == "." and (_is_number_dot(text, i) or _is_abbreviation(text, i)):
            continue
        if quote_stack and not (i + 1 < n and text[i + 1] in _CLOSERS):
            continue  # inside a quotation that goes on
        j = i + 1
        while j < n and (text[j] in _ENDERS or text[j] in _CLOSERS):
            j += 1
        quote_stack = []
        spans.append((start, j))
        start = resume = j
    close_line(n)
    return spans


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if end - start <= 2 * LONG_SENTENCE_WORDS:  # too short to hold that many words: no need to count them
        return [(start, end)]
    piece = text[start:end]
    if len(piece.split()) <= LONG_SENTENCE_WORDS:
        return [(start, end)]
    cuts = [m.start() + 1 for m in _CLAUSE.finditer(piece)]
    out, last = [], 0
    for cut in cuts:
        if len(piece[last:cut].split()) >= MIN_CLAUSE_WORDS and len(piece[cut:].split()) >= MIN_CLAUSE_WORDS:
            out.append((start + last, start + cut))
            last = cut
    out.append((start + last, end))
    return out


def sentences(text: str, min_words: int = 1, unclosed_quotes: bool = False) -> list[Sentence]:
    """Sentences of ``text`` with offsets, white space trimmed, empty pieces dropped.

    ``unclosed_quotes``: split again a line whose quotation is never closed (see :func:`_raw_spans`);
    the report's alignment does, the verification features keep the splitting their model was fit on.
    """
    out = []
    for s, e in _raw_spans(text, unclosed=unclosed_quotes):
        for s2, e2 in _split_long(text, s, e):
            raw = text[s2:e2]
            body = raw.strip()
            if not body or (min_words > 1 and len(body.split()) < min_words) or not _ALNUM.search(body):
                continue
            lead = raw.index(body[0])  # the first character that strip() kept
            out.append(Sentence(body, s2 + lead, s2 + lead + len(body)))
    return out


def statements(sentence: Sentence) -> list[Sentence]:
    """``sentence`` cut before each participle clause that adds another statement, pieces of fewer than
    :data:`MIN_STATEMENT_WORDS` words kept with their neighbour; offsets into the same text."""
    text = sentence.text
    cuts = [m.end() for m in _STATEMENT.finditer(text)]
    if not cuts:
        return [sentence]
    spans: list[tuple[int, int]] = []
    last = 0
    for cut in [*cuts, len(text)]:
        if spans and (len(text[last:cut].split()) < MIN_STATEMENT_WORDS
                      or len(text[spans[-1][0]:spans[-1][1]].split()) < MIN_STATEMENT_WORDS):
            spans[-1] = (spans[-1][0], cut)
        else:
            spans.append((last, cut))
        last = cut
    out = []
    for a, b in spans:
        raw = text[a:b]
        body = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        out.append(Sentence(body, sentence.start + a + lead, sentence.start + a + lead + len(body)))
    return out
