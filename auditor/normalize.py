"""Text normalization applied before any feature is computed.

Features and scores must describe *what* a document says, not how it was laid
out: the training pool's sources differ in line breaks, blank lines and quote
styles, and a detector that sees those learns the source instead of the author.
So every feature is computed on :func:`normalize` output, which folds away:

- Unicode compatibility forms (NFKC: full-width letters, ligatures, non-breaking
  and other exotic spaces become their plain equivalents);
- zero-width, bidirectional-control and other invisible format characters, and
  C0/C1 control characters (they carry no text and are a known evasion trick);
- typographic quotes and apostrophes (folded to ASCII ``'`` and ``"``);
- all runs of whitespace, including line breaks and tabs (folded to one space,
  stripped at both ends).

Case and punctuation other than quotes are kept: they are content.
"""

from __future__ import annotations

import re
import unicodedata

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
_WORD_RE = re.compile(r"\w+")
_SINGLE_QUOTES_RE = re.compile("[\u2018\u2019\u201a\u201b\u2032\u2035\u02bc]")
_DOUBLE_QUOTES_RE = re.compile("[\u201c\u201d\u201e\u201f\u00ab\u00bb]")


def normalize(text: str) -> str:
    """Return the normalized form of ``text`` used for every feature.

    The function is idempotent (``normalize(normalize(t)) == normalize(t)``)
    and maps texts that differ only in layout (line breaks, indentation,
    repeated spaces, typographic vs ASCII quotes, invisible characters) or in
    Latin look-alike letters to the same string.
    """
    return normalize_counted(text)[0]


def count_evasion(text: str) -> int:
    """Characters of ``text`` that look like nothing or like something else (``evasion_chars``).

    The suspicious invisible characters (:func:`count_invisible`), zero-width joiners between
    Latin letters, and Cyrillic / Greek look-alikes that :func:`normalize` folds into Latin.
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
    # ASCII, Latin-1 Supplement and Latin Extended-A/B letters: "café" is a Latin word.
    return letter < "\u0250"


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
    words = _WORD_RE.findall(text)
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

    return _WORD_RE.sub(fold, text), folded


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
        evasion += folded
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
