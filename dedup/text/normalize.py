"""Arabic text normalization: one small function per rule, composed by a config.

Each rule is a module-level translation table or compiled regex with a tiny
function around it, so it can be tested on its own. :func:`normalize` merges
the character-level tables of the enabled rules into one table and applies it
in a single pass, because a pass over the text per rule would dominate the
run time on a large corpus.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

#: Bumped whenever a rule changes its output; stored in persistent indexes so
#: an index built with other rules is refused instead of silently mismatching.
NORMALIZATION_VERSION = "1"

_DIACRITICS = (
    [chr(c) for c in range(0x064B, 0x0660)]  # harakat, tanwin, shadda, sukun, maddah, hamza marks
    + ["\u0670"]  # dagger alef
    + [chr(c) for c in range(0x0610, 0x061B)]  # Quranic honorifics and small marks
    + [chr(c) for c in range(0x06D6, 0x06DD)]  # Quranic annotation marks
    + [chr(c) for c in range(0x06DF, 0x06E5)]
    + [chr(c) for c in range(0x06E7, 0x06E9)]
    + [chr(c) for c in range(0x06EA, 0x06EE)]
    + [chr(c) for c in range(0x08D3, 0x0900) if c != 0x08E2]  # extended Arabic marks
)
DIACRITICS_TABLE = {ord(c): None for c in _DIACRITICS}
TATWEEL_TABLE = {0x0640: None}
ALEF_TABLE = {ord(c): "\u0627" for c in "\u0623\u0625\u0622\u0671\u0672\u0673"}
ALEF_MAQSURA_TABLE = {0x0649: "\u064A"}
TEH_MARBUTA_TABLE = {0x0629: "\u0647"}
HAMZA_TABLE = {0x0624: "\u0648", 0x0626: "\u064A"}
PERSIAN_TABLE = {
    0x06CC: "\u064A",  # Farsi yeh
    0x06D2: "\u064A",  # yeh barree
    0x06A9: "\u0643",  # keheh
    0x06AA: "\u0643",  # swash kaf
    0x06D5: "\u0647",  # ae
    0x06C1: "\u0647",  # heh goal
    0x06C0: "\u0647",  # heh with yeh above
    0x06BE: "\u0647",  # heh doachashmee
}
DIGITS_TABLE = {
    **{0x0660 + i: str(i) for i in range(10)},  # Arabic-Indic
    **{0x06F0 + i: str(i) for i in range(10)},  # Extended (Persian/Urdu)
}
INVISIBLE_TABLE = {
    c: None
    for c in [0x00AD, 0x061C, 0x180E, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070)]
}

_PUNCT_RE = re.compile(r"[\W_]+")
_ASTRAL_RE = re.compile("[\U00010000-\U0010FFFF]")


def nfkc(text: str) -> str:
    """Unicode NFKC: folds Arabic presentation forms (ﻻ, ﷲ) and compatibility characters."""
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def strip_diacritics(text: str) -> str:
    """Remove harakat, tanwin, shadda, sukun, dagger alef and Quranic marks."""
    return text.translate(DIACRITICS_TABLE)


def strip_tatweel(text: str) -> str:
    """Remove the kashida (tatweel) used to stretch words."""
    return text.translate(TATWEEL_TABLE)


def normalize_alef(text: str) -> str:
    """أ إ آ ٱ → ا."""
    return text.translate(ALEF_TABLE)


def normalize_alef_maqsura(text: str) -> str:
    """ى → ي."""
    return text.translate(ALEF_MAQSURA_TABLE)


def normalize_teh_marbuta(text: str) -> str:
    """ة → ه."""
    return text.translate(TEH_MARBUTA_TABLE)


def normalize_hamza(text: str) -> str:
    """Hamza carriers: ؤ → و, ئ → ي."""
    return text.translate(HAMZA_TABLE)


def normalize_persian(text: str) -> str:
    """Persian and Urdu letter forms: ی → ي, ک → ك, ە/ہ → ه."""
    return text.translate(PERSIAN_TABLE)


def normalize_digits(text: str) -> str:
    """Arabic-Indic (٠-٩) and Persian (۰-۹) digits → ASCII."""
    return text.translate(DIGITS_TABLE)


def strip_invisible(text: str) -> str:
    """Remove zero-width, soft-hyphen and bidi control characters."""
    return text.translate(INVISIBLE_TABLE)


def strip_punctuation(text: str) -> str:
    """Replace every run of non-letters/non-digits (Arabic ، ؛ ؟ « » included) by a space."""
    return _PUNCT_RE.sub(" ", text)


def lower_latin(text: str) -> str:
    """Lower-case Latin (and other cased) letters; Arabic has no case."""
    return text.lower()


def collapse_whitespace(text: str) -> str:
    """Collapse runs of white space to one space and trim the ends."""
    return " ".join(text.split())


@dataclass(frozen=True)
class NormConfig:
    """Which rules :func:`normalize` applies. All on by default."""

    nfkc: bool = True
    invisible: bool = True
    diacritics: bool = True
    tatweel: bool = True
    alef: bool = True
    alef_maqsura: bool = True
    teh_marbuta: bool = True
    hamza: bool = True
    persian: bool = True
    digits: bool = True
    lower: bool = True
    punctuation: bool = True
    whitespace: bool = True

    def key(self) -> str:
        """A compact string naming the enabled rules, stored with persistent indexes."""
        return NORMALIZATION_VERSION + ":" + "".join("1" if getattr(self, f.name) else "0" for f in fields(self))


_TABLES = {
    "invisible": INVISIBLE_TABLE,
    "diacritics": DIACRITICS_TABLE,
    "tatweel": TATWEEL_TABLE,
    "alef": ALEF_TABLE,
    "alef_maqsura": ALEF_MAQSURA_TABLE,
    "teh_marbuta": TEH_MARBUTA_TABLE,
    "hamza": HAMZA_TABLE,
    "persian": PERSIAN_TABLE,
    "digits": DIGITS_TABLE,
}


@lru_cache(maxsize=1)
def _punctuation_table() -> dict[int, str]:
    """Every Basic Multilingual Plane character that is neither a letter nor a digit → space."""
    out = {}
    for c in range(0x10000):
        ch = chr(c)
        if not (ch.isalnum() or ch.isspace()) or ch == "_":
            out[c] = " "
    return out


@lru_cache(maxsize=16)
def _merged_table(config: NormConfig) -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    if config.punctuation:  # folded in here so most texts need no regex pass at all
        table.update(_punctuation_table())
    for name, part in _TABLES.items():
        if getattr(config, name):
            table.update(part)
    return table


DEFAULT = NormConfig()


def normalize(text: str, config: NormConfig = DEFAULT) -> str:
    """Apply the enabled rules in a fixed order. Idempotent for every config.

    >>> normalize("الْعَرَبِيَّةُ  ١٢٣ «أخبار»")
    'العربيه 123 اخبار'
    """
    if config.nfkc:
        text = nfkc(text)
    text = text.translate(_merged_table(config))
    if config.lower:
        lowered = text.lower()
        if lowered != text and config.nfkc:  # lower-casing can leave a string that NFKC would change again
            lowered = nfkc(lowered).translate(_merged_table(config))
        text = lowered
    if config.punctuation and not text.isascii() and _ASTRAL_RE.search(text):
        text = strip_punctuation(text)  # the table covers the BMP; emoji and other astral symbols here
    if config.whitespace:
        text = collapse_whitespace(text)
    return text


_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال")
_CONJ = ("و", "ف")

def light_stem(word: str) -> str:
    """Strip a leading conjunction (و ف) and the definite article or a preposition
    fused with it (ال بال كال لل), keeping at least 3 letters; for normalized words."""
    if len(word) > 4 and word.startswith(_CONJ) and not word[1:].startswith(_CONJ):
        if word[1:].startswith("ال") or word[1:].startswith(("ب", "ل")):
            word = word[1:]
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    return word



_DELETE = np.uint32(0xFFFFFFFF)
_NEIGHBOURS = np.uint32(0xFFFFFFFE)


@lru_cache(maxsize=1)
def _second_of_pairs() -> frozenset[int]:
    """Characters that canonical composition can fuse with the one before (ا + ٓ → آ)."""
    out = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul vowel and final jamo
    for c in range(0x20000):  # astral text takes the slow path anyway; this covers the planes that compose
        d = unicodedata.decomposition(chr(c))
        if d and not d.startswith("<") and len(d.split()) == 2:
            out.add(int(d.split()[1], 16))
    return frozenset(out)


@lru_cache(maxsize=4)
def _code_tables(config: NormConfig) -> tuple[np.ndarray, np.ndarray]:
    """What :func:`normalize` makes of each Basic Multilingual Plane character on its own:
    a code point, ``_DELETE``, or ``_NEIGHBOURS`` where the result depends on the
    characters around it (NFKC composition and mark reordering, the final-sigma rule,
    case mappings to several characters); and which output codes are white space."""
    table = _merged_table(config)
    seconds = _second_of_pairs() if config.nfkc else frozenset()
    out = np.empty(0x10000, dtype=np.uint32)
    for c in range(0x10000):
        ch = chr(c)
        folded = unicodedata.normalize("NFKC", ch) if config.nfkc else ch
        if config.nfkc and any(ord(x) in seconds or (unicodedata.combining(x) and table.get(ord(x), x) is not None)
                               for x in folded):
            out[c] = _NEIGHBOURS  # composes with, or is reordered among, its neighbours
            continue
        mapped = folded.translate(table)
        if config.lower:
            lowered = mapped.lower()
            if lowered != mapped and config.nfkc:
                lowered = nfkc(lowered).translate(table)
            mapped = lowered
        if mapped and mapped.isspace():
            mapped = " "  # white space and punctuation only split words: one space does the same
        if c == 0x03A3 or len(mapped) > 1 or (mapped and ord(mapped) in seconds):
            out[c] = _NEIGHBOURS
        else:
            out[c] = ord(mapped) if mapped else _DELETE
    space = np.array([chr(c).isspace() for c in range(0x10000)], dtype=bool)
    return out, space


def word_spans(text: str, config: NormConfig = DEFAULT) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The words of ``normalize(text, config)`` as code points: the normalized code points
    (uint32), and for each word its first and end index among them and the offset in
    ``text`` where it starts; ``None`` for the rare text whose normalization depends on
    neighbouring characters (callers then normalize piece by piece). A few numpy passes.

    Normalized words never span punctuation, so the words of a sentence of ``text``
    are those starting inside its span.
    """
    try:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    except UnicodeEncodeError:  # lone surrogates
        return None
    if len(codes) == 0:
        empty = np.empty(0, dtype=np.int64)
        return np.empty(0, dtype=np.uint32), empty, empty, empty
    if int(codes.max()) > 0xFFFF:
        return None
    table, space = _code_tables(config)
    mapped = table[codes]
    if (mapped == _NEIGHBOURS).any():
        return None
    keep = np.flatnonzero(mapped != _DELETE)
    kept = mapped[keep]
    word = ~space[kept]
    starts = word.copy()
    starts[1:] &= ~word[:-1]
    ends = word.copy()
    ends[:-1] &= ~word[1:]
    first = np.flatnonzero(starts)
    return kept, first, np.flatnonzero(ends) + 1, keep[first]


def words_at(text: str, config: NormConfig = DEFAULT) -> tuple[list[str], np.ndarray] | None:
    """``normalize(text, config).split()`` and the offset in ``text`` where each word starts
    (see :func:`word_spans`); ``None`` where :func:`word_spans` declines."""
    found = word_spans(text, config)
    if found is None:
        return None
    kept, _, _, at = found
    return kept.tobytes().decode("utf-32-le").split(), at


def tokens(text: str, config: NormConfig = DEFAULT) -> list[str]:
    """Normalized words: ``normalize(text, config).split()``, by the numpy path when it can
    (for a headline, a few numpy calls cost more than they save)."""
    found = words_at(text, config) if len(text) > 256 else None
    return found[0] if found is not None else normalize(text, config).split()
