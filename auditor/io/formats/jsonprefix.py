"""The top-level fields of a JSON object read from the start of a line too long to hold.

A JSONL record of a gigabyte cannot be parsed whole without holding a gigabyte
(and several times that as Python objects). The readers keep only its first
bytes (enough for ``max_doc_chars`` characters of text, escaped) and
:func:`read_prefix` recovers from them what a document needs: the text field's
value, cut where the prefix ends, and the fields that came complete before the
reading stopped (an id written before the text, say). Fields after the text
are out of reach; the readers count such documents as ``truncated``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

_DECODER = json.JSONDecoder()
# scanstring(s, end): the JSON string whose opening quote is at end - 1, decoded, and the position after its closing quote.
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]  # undocumented, so not in typeshed's json.decoder
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# An escape cut by the end of the prefix: a lone backslash, or \u with fewer than four digits.
# What may follow a number that the end of the prefix cut ("10" read as "1", "1e+16" as "1").
_JSON_STARTS = {"[": "array", "{": "object", "t": "boolean", "f": "boolean", "n": "null", "-": "number",
                **{digit: "number" for digit in "0123456789"}}
_NUMBER_TAIL = re.compile(r"[0-9eE+\-.]*")
_CUT_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*(\\|\\u[0-9a-fA-F]{0,3})$")


class PrefixError(ValueError):
    """The prefix is not the start of a JSON object (its detail, for an ``invalid_json`` count)."""


@dataclass
class PrefixRecord:
    """What the prefix of a JSON object holds.

    Attributes:
        text: the text field's value (a string, possibly cut where the prefix ends), its
            complete value if it is not a string, or None when the prefix ends before it.
        text_complete: the whole value of the text field was in the prefix.
        cut_value: the JSON type of a text field's value that is not a string and does
            not end in the prefix (``array``, ``object``, ...; ``text`` is None then).
        fields: the other top-level fields whose values came complete, in order.
    """

    text: object = None
    text_complete: bool = False
    cut_value: str | None = None
    fields: dict[str, object] = field(default_factory=dict)


def _skip(prefix: str, pos: int) -> int:
    return _WHITESPACE.match(prefix, pos).end()  # type: ignore[union-attr]  # never None: the pattern matches the empty string


def _string_start(prefix: str, start: int) -> tuple[str, bool]:
    """The JSON string beginning after the quote at ``start - 1``: its value and whether it ended."""
    try:
        value, _ = _scanstring(prefix, start)
        return value, True
    except json.JSONDecodeError:
        pass  # cut by the end of the prefix (perhaps inside an escape), or invalid: decode what is there
    content = prefix[start:]
    cut = _CUT_ESCAPE.search(content)
    if cut is not None:
        content = content[: cut.start(1)]
    try:
        value, _ = _scanstring(content + '"', 0)
    except json.JSONDecodeError as err:
        raise PrefixError(f"{err.msg} at column {start + err.colno}") from None
    if value and "\ud800" <= value[-1] <= "\udbff":
        value = value[:-1]  # the first half of a surrogate pair whose second half was cut off
    return value, False


def read_prefix(prefix: str, text_field: str) -> PrefixRecord:
    """Read the top-level fields of the JSON object that ``prefix`` begins, up to where it ends.

    Raises :class:`PrefixError` when the prefix is not the start of a JSON object.
    Reading stops at the end of the text field's value if that value is cut, or at the
    first value that does not fit in the prefix.
    """
    record = PrefixRecord()
    pos = _skip(prefix, 0)
    if not prefix.startswith("{", pos):
        raise PrefixError("line is not a JSON object")
    pos += 1
    while True:
        pos = _skip(prefix, pos)
        if pos >= len(prefix) or prefix[pos] == "}":
            return record
        if prefix[pos] != '"':
            raise PrefixError(f"Expecting property name enclosed in double quotes at column {pos + 1}")
        key, ended = _string_start(prefix, pos + 1)
        if not ended:
            return record
        pos = _skip(prefix, _scanstring(prefix, pos + 1)[1])
        if pos >= len(prefix):
            return record
        if prefix[pos] != ":":
            raise PrefixError(f"Expecting ':' delimiter at column {pos + 1}")
        pos = _skip(prefix, pos + 1)
        if pos >= len(prefix):
            return record
        if key == text_field and prefix[pos] == '"':
            record.text, record.text_complete = _string_start(prefix, pos + 1)
            if not record.text_complete:
                return record
            pos = _scanstring(prefix, pos + 1)[1]
        else:
            try:
                value, pos = _DECODER.raw_decode(prefix, pos)
            except (json.JSONDecodeError, RecursionError):
                if key == text_field:
                    record.cut_value = _JSON_STARTS.get(prefix[pos], "invalid value")
                return record  # a value cut by the end of the prefix (or too deep to read): stop here
            if isinstance(value, (int, float)) and not isinstance(value, bool) and _NUMBER_TAIL.fullmatch(prefix, pos):
                return record  # a number running to the end of the prefix may have been cut
            if key == text_field:
                record.text, record.text_complete = value, True
            else:
                record.fields.setdefault(key, value)
        pos = _skip(prefix, pos)
        if pos >= len(prefix) or prefix[pos] == "}":
            return record
        if prefix[pos] != ",":
            raise PrefixError(f"Expecting ',' delimiter at column {pos + 1}")
        pos += 1
