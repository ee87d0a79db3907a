"""The one escaping of text shown to people: terminal lines, error messages, ``report.md``, ``report.html``.

File names, ids, model names and document text come from data that nobody has
looked at yet. Printed raw, an ESC sequence recolours or retitles a terminal (or
writes its clipboard), a CR or LF forges a line of output, and a bidirectional
override (U+202E) makes ``gpj.exe`` read as ``exe.jpg``. :func:`visible` shows
every such character as a Python-style escape (``\\n``, ``\\x1b``, ``\\u202e``).
Backslashes stay as they are: doubling them would make the result reversible, but
every Windows path, regular expression and LaTeX formula in a report excerpt would
then read wrong, while a literal ``\\x1b`` typed into a name can only spoof how
the name looks, never act on the terminal. Reports apply their own HTML or Markdown escaping on top of it.
JSON outputs (``--json``, ``summary.json``) keep the exact strings: JSON escapes
them itself.
"""

from __future__ import annotations

import re
import unicodedata

# Other (C*: controls, formats such as bidi overrides, zero-width and directional marks,
# surrogates, private use, unassigned) and line / paragraph separators (Zl, Zp).
_SHOWN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Printable ASCII never needs a look; runs of anything else do.
_CANDIDATES = re.compile(r"[^\x20-\x7e]+")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str, keep: str) -> str:
    if char in keep:
        return char
    if char in _SHORT:
        return _SHORT[char]
    if unicodedata.category(char) not in _SHOWN_CATEGORIES:
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: object, keep_newlines: bool = False) -> str:
    """``str(text)`` with control, format (bidi, zero-width), separator and unassigned characters
    shown as ``\\t`` ``\\n`` ``\\r`` / ``\\xNN`` / ``\\uNNNN`` / ``\\UNNNNNNNN``.

    With ``keep_newlines``, LF and TAB stay as they are (a document excerpt laid out on
    several lines); CR and everything else is still escaped. Nothing but those two can
    then reach the output raw.
    """
    keep = "\n\t" if keep_newlines else ""
    return _CANDIDATES.sub(lambda run: "".join(_escape(char, keep) for char in run.group()), str(text))
