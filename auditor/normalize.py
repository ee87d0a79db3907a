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

# Invisible characters: zero-width space/joiners, word joiner and invisible
# operators, BOM, soft hyphen, Mongolian vowel separator, bidi controls.
_INVISIBLE = (
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\ufeff"
)
# C0 controls except the whitespace ones (tab, LF, VT, FF, CR are folded as
# whitespace), DEL and the C1 block.
_CONTROLS = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\x0b\x0c\r")
_CONTROLS += "".join(chr(c) for c in range(0x7F, 0xA0) if chr(c) not in "\x85")

_REMOVE_RE = re.compile("[" + re.escape(_INVISIBLE + _CONTROLS) + "]")
_SINGLE_QUOTES_RE = re.compile("[\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u00b4]")
_DOUBLE_QUOTES_RE = re.compile("[\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb]")


def normalize(text: str) -> str:
    """Return the normalized form of ``text`` used for every feature.

    The function is idempotent (``normalize(normalize(t)) == normalize(t)``)
    and maps texts that differ only in layout (line breaks, indentation,
    repeated spaces, typographic vs ASCII quotes, invisible characters) to the
    same string.
    """
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = _SINGLE_QUOTES_RE.sub("'", text)
        text = _DOUBLE_QUOTES_RE.sub('"', text)
    # Removal runs after NFKC because NFKC never introduces these characters,
    # and before whitespace folding so "a\u200b b" and "a b" end up equal.
    text = _REMOVE_RE.sub("", text)
    return " ".join(text.split())


def count_invisible(text: str) -> int:
    """Number of invisible / control characters :func:`normalize` removes.

    Reported per document (``evasion_chars``) because inserting such characters
    is a cheap way to perturb a detector without changing what a reader sees.
    """
    return len(_REMOVE_RE.findall(text))
