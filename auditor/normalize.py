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
_SINGLE_QUOTES_RE = re.compile("[\u2018\u2019\u201a\u201b\u2032\u2035\u02bc]")
_DOUBLE_QUOTES_RE = re.compile("[\u201c\u201d\u201e\u201f\u00ab\u00bb]")


def normalize(text: str) -> str:
    """Return the normalized form of ``text`` used for every feature.

    The function is idempotent (``normalize(normalize(t)) == normalize(t)``)
    and maps texts that differ only in layout (line breaks, indentation,
    repeated spaces, typographic vs ASCII quotes, invisible characters) to the
    same string.
    """
    if text.isascii():
        return " ".join(text.encode("ascii").translate(None, _ASCII_REMOVABLE).decode("ascii").split())
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
        text = _SINGLE_QUOTES_RE.sub("'", text)
        text = _DOUBLE_QUOTES_RE.sub('"', text)
    return " ".join(text.split())


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
