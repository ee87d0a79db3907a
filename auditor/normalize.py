"""Text normalization applied before any feature is computed.

Features and scores must describe *what* a document says, not how it was laid
out: the training pool's sources differ in line breaks, blank lines and quote
styles, and a detector that sees those learns the source instead of the author.
So every feature is computed on :func:`normalize` output, which folds away:

- Unicode compatibility forms (NFKC: full-width letters, ligatures, non-breaking
  and other exotic spaces become their plain equivalents);
- zero-width, bidirectional-control and other invisible format characters, and
  C0/C1 control characters (they carry no text and are a known evasion trick);
- Cyrillic and Greek letters that look Latin, in Latin words (folded to Latin);
- combining marks that no Latin spelling puts where they are (:func:`_fold_stray_marks`);
- typographic quotes and apostrophes (folded to ASCII ``'`` and ``"``);
- all runs of whitespace, including line breaks and tabs (folded to one space,
  stripped at both ends).

Case and punctuation other than quotes are kept: they are content.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# Invisible characters a reader cannot see. Removing them keeps features and
# signatures stable; inserting them is a cheap way to perturb a detector, so
# the suspicious ones are also counted (``evasion_chars``). Zero-width
# (non-)joiners and variation selectors have legitimate uses (Persian and Indic
# scripts, emoji), so they are removed for matching but not counted.
_SUSPICIOUS = (
    "\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\u3164\ufeff\uffa0"
)
_BENIGN = "\u200c\u200d"
# C0 controls except the whitespace ones (tab, LF, VT, FF, CR are folded as
# whitespace), DEL and the C1 block.
_CONTROLS = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\x0b\x0c\r")
_CONTROLS += "".join(chr(c) for c in range(0x7F, 0xA0) if chr(c) not in "\x85")
# Tag characters (U+E0000-E007F) and variation selectors, as ranges.
_SUSPICIOUS_RANGES = "\U000e0000-\U000e007f"
_BENIGN_RANGES = "\ufe00-\ufe0f\U000e0100-\U000e01ef"

_SUSPICIOUS_RE = re.compile("[" + re.escape(_SUSPICIOUS + _CONTROLS) + _SUSPICIOUS_RANGES + "]")
_REMOVE_RE = re.compile("[" + re.escape(_SUSPICIOUS + _BENIGN + _CONTROLS) + _SUSPICIOUS_RANGES + _BENIGN_RANGES + "]")
_SURROGATES_RE = re.compile("[\ud800-\udfff]")
# For ASCII text only the C0 controls and DEL can be removable; bytes.translate
# deletes them an order of magnitude faster than the regex.
_ASCII_REMOVABLE = bytes(ord(c) for c in _CONTROLS if c < "\x80")
# Cyrillic and Greek letters that render like Latin ones (the Unicode confusables that matter in
# practice). Swapped into Latin words they change every token, n-gram and signature of a text
# while a reader sees the same words, so they are folded to Latin, and counted. Only the Greek
# capitals and omicron: Greek lowercase letters such as alpha, iota and nu are ordinary Greek
# spelling far more often than a disguise.
_HOMOGLYPHS = {
    **dict(zip("\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u04bb\u0501\u04cf\u051b\u051d", "aeopcyxijshdlqw")),
    **dict(zip("\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423\u0406\u0408\u0405", "ABEKMHOPCTXYIJS")),
    **dict(zip("\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf", "ABEZHIKMNOPTYXo")),
}
_HOMOGLYPH_TABLE = str.maketrans(_HOMOGLYPHS)
# Zero-width (non-)joiners between two Latin letters (or look-alikes): never part of a Latin
# spelling (Persian and Indic scripts and emoji sequences need them elsewhere), so counted there.
_LATIN_LETTER = "[A-Za-z" + "".join(_HOMOGLYPHS) + "]"
_LATIN_JOINERS_RE = re.compile(f"(?<={_LATIN_LETTER})[\u200c\u200d]+(?={_LATIN_LETTER})")
_HOMOGLYPH_RE = re.compile("[" + "".join(_HOMOGLYPHS) + "]")
_SINGLE_QUOTES_RE = re.compile("[\u2018\u2019\u201a\u201b\u2032\u2035\u02bc]")
_DOUBLE_QUOTES_RE = re.compile("[\u201c\u201d\u201e\u201f\u00ab\u00bb]")


def normalize(text: str) -> str:
    """Return the normalized form of ``text`` used for every feature.

    The function is idempotent (``normalize(normalize(t)) == normalize(t)``)
    and maps texts that differ only in layout (line breaks, indentation,
    repeated spaces, typographic vs ASCII quotes, invisible characters), in
    Latin look-alike letters or in stray combining marks to the same string.
    """
    return normalize_counted(text)[0]


def count_evasion(text: str) -> int:
    """Characters of ``text`` that look like nothing or like something else (``evasion_chars``).

    The suspicious invisible characters (:func:`count_invisible`), zero-width joiners between
    Latin letters, Cyrillic / Greek look-alikes that :func:`normalize` folds into Latin, and
    the combining marks it removes from Latin words (:func:`_fold_stray_marks`).
    """
    return normalize_counted(text)[1]


def _word_script(word: str) -> str:
    """``latin`` (Latin letters, perhaps with look-alikes), ``lookalike`` (only look-alike
    letters), ``foreign`` (another script's letters) or ``neutral`` (no letter)."""
    other = [c for c in word if c.isalpha() and not _is_latin(c)]
    if any(c not in _HOMOGLYPHS for c in other):
        return "foreign"
    if any(c.isalpha() and _is_latin(c) for c in word):
        return "latin"
    return "lookalike" if other else "neutral"


def _is_latin(letter: str) -> bool:
    # ASCII, Latin-1 Supplement, Latin Extended-A/B and Latin Extended Additional letters:
    # "café", "Việt" and "ṭīkā" are Latin words. IPA letters (U+0250-02AF) are not: a
    # transcription keeps its diacritics.
    return letter < "\u0250" or "\u1e00" <= letter <= "\u1eff"


def _fold_homoglyphs(text: str) -> tuple[str, int]:
    """Fold look-alike letters in Latin words; the text and how many letters were folded.

    A word is folded when every non-ASCII letter in it is a look-alike and either it has
    a Latin letter too (``pаypal`` with a Cyrillic a) or the text has more Latin words than
    words of other scripts (a whole word spelled in look-alikes). Russian or Greek text keeps
    its spelling. Folding turns words the rule counts as Latin into Latin words and leaves
    the others alone, so the rule's outcome never changes and normalization stays idempotent.
    """
    if _HOMOGLYPH_RE.search(text) is None:
        return text, 0
    # Words with their combining marks: composing a folded letter with its accent afterwards
    # must not join two words into one (the next pass would decide differently).
    word_re = _mark_patterns().word
    words = word_re.findall(text)
    scripts = [_word_script(word) for word in words]
    fold_lookalike_words = scripts.count("latin") > scripts.count("foreign")
    folded = 0
    kinds = iter(scripts)

    def fold(match: re.Match[str]) -> str:
        nonlocal folded
        word, script = match.group(), next(kinds)
        if script == "latin" or (script == "lookalike" and fold_lookalike_words):
            changed = len(_HOMOGLYPH_RE.findall(word))
            if changed:
                folded += changed
                return word.translate(_HOMOGLYPH_TABLE)
        return word

    return word_re.sub(fold, text), folded


# A document with stray marks whose Latin letters are this marked (composed accents included)
# has had a mark put on (nearly) every letter: all of its marks are folded. No spelling comes
# close: Vietnamese marks about a third of its letters, Yoruba (tones on dotted vowels) half.
_DISGUISED_SHARE = 0.75
# Latin letters as _is_latin has them, for a regex character class.
_LATIN_CLASS = "A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"


@dataclass(frozen=True)
class _MarkPatterns:
    mark: re.Pattern[str]  # one combining mark
    stray: re.Pattern[str]  # a Latin letter still followed by a mark (after composition)
    word: re.Pattern[str]  # a word, marks included (\w stops at a mark; t + U+0301 + "he" is one word)
    letter: re.Pattern[str]  # a character and the marks after it


@functools.cache
def _mark_ranges(first: int, last: int) -> str:
    """The combining marks (categories Mn, Mc, Me) in ``first..last`` as ranges of a regex class,
    from this Python's Unicode tables (a scan of 64k code points takes ~20 ms, once)."""
    ranges: list[list[int]] = []
    for code in range(first, last + 1):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


@functools.cache
def _mark_patterns() -> _MarkPatterns:
    # Built on first use: ASCII text never needs them. The marks beyond the BMP (Brahmi,
    # musical symbols...) are a class of many ranges, slow to test: it is only tried on a
    # character beyond the BMP, so text without one matches at the speed of a BMP class.
    bmp, astral = _mark_ranges(0x300, 0xFFFF), _mark_ranges(0x10000, 0x1FFFF) + "\U000e0100-\U000e01ef"
    beyond = f"(?=[\U00010000-\U0010ffff])[{astral}]"
    mark = f"(?:[{bmp}]|{beyond})"
    return _MarkPatterns(
        mark=re.compile(mark),
        stray=re.compile(f"[{_LATIN_CLASS}]{mark}"),
        word=re.compile(f"(?:[\\w{bmp}]|{beyond})+"),
        letter=re.compile(f"(.)({mark}*)", re.S),
    )


# The marks Latin orthographies stack on a letter (Combining Diacritical Marks): one of these after a
# letter that composition left as it was may be a spelling (Yoruba e + dot below + acute).
_LATIN_DIACRITICS = ("\u0300", "\u036f")
_ASCII_LETTER = re.compile("[A-Za-z]")


@dataclass(frozen=True)
class _WordMarks:
    """What the marks of a Latin word say: its letters, those carrying a mark (composed or not), and its marks left after composition."""

    letters: int
    marked: int
    loose: bool  # a mark is left after composition, in a word of two letters or more
    tampered: bool  # ... and no orthography writes it there (see _fold_stray_marks)


def _word_marks(word: str) -> _WordMarks | None:
    """The marks of ``word`` (composed, NFC), None when it is not a Latin word."""
    bases = [(base, after) for base, after in _mark_patterns().letter.findall(word) if base.isalpha()]
    if not bases or not all(_is_latin(base) for base, _ in bases):
        return None
    marked = bare = 0
    foreign = False
    for base, after in bases:
        own = unicodedata.normalize("NFD", base)[1:]  # the accents composed into the letter
        marked += bool(after or own)
        if not after:
            continue
        if len(after) != 1 or not _LATIN_DIACRITICS[0] <= after <= _LATIN_DIACRITICS[1] or unicodedata.combining(after) <= 1 \
                or after in own:
            foreign = True  # another script's mark, an overlay, two marks, the letter's own accent again
        elif not own:
            bare += 1
    loose = len(bases) >= 2 and any(after for _, after in bases)
    return _WordMarks(len(bases), marked, loose, loose and (foreign or bare >= 2))


def _strip_marks(word: str, every_letter: bool) -> tuple[str, int]:
    """``word`` without the marks of its letters that carry a mark left after composition (all its letters'
    marks with ``every_letter``), their own accents included; and how many marks went."""
    patterns = _mark_patterns()
    removed = 0

    def fold_letter(match: re.Match[str]) -> str:
        nonlocal removed
        if not (match.group(2) or (every_letter and match.group(1).isalpha())):
            return match.group()
        decomposed = unicodedata.normalize("NFD", match.group())
        bare = patterns.mark.sub("", decomposed)
        removed += len(decomposed) - len(bare)
        return bare

    return patterns.letter.sub(fold_letter, word), removed


def _fold_stray_marks(text: str) -> tuple[str, int]:
    """Remove the combining marks that no Latin spelling has, from Latin words; the text and how many.

    ``text`` is composed (NFC). A mark still following a Latin letter then is one that
    composition could not absorb into a precomposed letter. Some orthographies write such
    marks: a tone stacked on a letter that carries another accent (Yoruba \u1eb9\u0301 \u1ecd\u0300,
    Igbo \u1ecb\u0301, Navajo \u0105\u0301, Lithuanian \u0105\u0303) and a diacritic on a letter
    that has no precomposed form with it (Guarani g\u0303, Marshallese m\u0327, a transliterated
    r\u0325). No orthography writes a mark of another script (U+093C), an overlay (U+0336), two
    marks after one letter, a letter's own accent again (U+00E1 + U+0301), or diacritics on
    several letters of a word none of which could take them (t\u0301h\u0301e). Put after the
    letters of a word, such marks change every token and n-gram while a reader still reads the
    word: in a word of two or more Latin letters holding one, the marks left after composition
    are removed, with the accents of the letters they sit on (those letters were tampered
    with), and counted. Accents that compose (French, German, Polish, Vietnamese) are left
    alone, and so are words with letters of other scripts (Devanagari, Thai, Arabic, Hebrew and
    IPA have their own marks) and one-letter words (x + U+0304, x-bar). When a document has
    marks left after composition and at least :data:`_DISGUISED_SHARE` of its Latin letters
    carry a mark, a mark was put on every letter, also where it composes (a + U+0301 is
    U+00E1): every mark of its Latin words is removed. The output has no such mark left but
    orthographies', so a second pass changes nothing.

    Plain ASCII words never change and are only counted; every other word is looked at once however often it recurs.
    """
    patterns = _mark_patterns()
    if patterns.stray.search(text) is None:
        return text, 0
    words = patterns.word.findall(text)
    letters = len(_ASCII_LETTER.findall("".join(word for word in words if word.isascii())))
    marked = loose = 0
    latin: dict[str, _WordMarks] = {}
    seen: set[str] = set()
    for word in words:
        if word.isascii():
            continue
        found = latin.get(word)
        if found is None:
            if word in seen:
                continue
            seen.add(word)
            found = _word_marks(word)
            if found is None:
                continue
            latin[word] = found
        letters, marked, loose = letters + found.letters, marked + found.marked, loose + found.loose
    if not loose:
        return text, 0
    disguised = marked >= _DISGUISED_SHARE * letters
    folded = {word: _strip_marks(word, disguised) for word, found in latin.items() if disguised or found.tampered}
    if not folded:
        return text, 0
    removed = 0

    def fold_word(match: re.Match[str]) -> str:
        nonlocal removed
        word = match.group()
        if word not in folded:
            return word
        removed += folded[word][1]
        return folded[word][0]

    return patterns.word.sub(fold_word, text), removed


def normalize_counted(text: str) -> tuple[str, int]:
    """:func:`normalize` of ``text`` and :func:`count_evasion` of it, in one pass."""
    if text.isascii():
        kept = text.encode("ascii").translate(None, _ASCII_REMOVABLE)
        return " ".join(kept.decode("ascii").split()), len(text) - len(kept)
    evasion = len(_SUSPICIOUS_RE.findall(text)) + sum(map(len, _LATIN_JOINERS_RE.findall(_SUSPICIOUS_RE.sub("", text))))
    # Removal runs first: an invisible character between a letter and a
    # combining accent would otherwise stop NFKC from composing them.
    text = _REMOVE_RE.sub("", text)
    if not text.isascii():
        # Lone surrogates (e.g. from JSON "\ud800") cannot be encoded: they
        # become U+FFFD, as the readers do, so library callers get the same.
        text = _SURROGATES_RE.sub("\ufffd", text)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
            text = _REMOVE_RE.sub("", text)  # NFKC can map a character onto a removable one
        text, folded = _fold_homoglyphs(text)
        if folded and not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)  # a folded letter composes with its accent (Cyrillic a + U+0301)
        text, stray = _fold_stray_marks(text)
        evasion += folded + stray
        text = _SINGLE_QUOTES_RE.sub("'", text)
        text = _DOUBLE_QUOTES_RE.sub('"', text)
    return " ".join(text.split()), evasion


def count_invisible(text: str) -> int:
    """Number of suspicious invisible / control characters in ``text``.

    Reported per document (``evasion_chars``) because inserting such characters
    is a cheap way to perturb a detector without changing what a reader sees.
    Joiners and variation selectors, which real scripts and emoji need, are
    removed by :func:`normalize` but not counted.
    """
    if text.isascii():
        return len(text) - len(text.encode("ascii").translate(None, _ASCII_REMOVABLE))
    return len(_SUSPICIOUS_RE.findall(text))


def is_blank(text: str) -> bool:
    """True when nothing visible is left: only whitespace, control and invisible characters.

    Such a record is skipped as ``empty_text`` by the readers rather than scored: a detector's
    score of nothing is meaningless. Cheaper than ``not normalize(text)`` (no NFKC).
    """
    if text.isascii():
        return not text.encode("ascii").translate(None, _ASCII_REMOVABLE).strip()
    return not _REMOVE_RE.sub("", text).strip()
