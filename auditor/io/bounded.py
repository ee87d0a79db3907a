"""Reading documents longer than ``max_doc_chars`` without holding them.

Features are computed on the first ``max_doc_chars`` characters of a document
(:attr:`auditor.io.reading.ReaderOptions.max_doc_chars`), so the readers never
need more: a ``.txt`` file is read up to as many bytes as that many characters
can take, a JSONL line up to :func:`line_cap` bytes, and the rest is read in
small chunks and dropped (read, not skipped: compressed streams must be
decompressed to find where a line ends, and a corrupt tail is still reported).
Memory stays bounded on a one-gigabyte single-document file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

_CHUNK = 1 << 20
UTF8_MAX_BYTES = 4  # per character
# A JSON string may spell a character as a \uXXXX escape (6 bytes); the other fields of the
# record (an id, a source) get 64 KiB before the text.
_JSON_BYTES_PER_CHAR = 6
_OTHER_FIELDS_BYTES = 1 << 16


def line_cap(max_doc_chars: int) -> int:
    """Bytes of a JSONL line kept when it is longer: enough for ``max_doc_chars`` escaped characters."""
    return _JSON_BYTES_PER_CHAR * max_doc_chars + _OTHER_FIELDS_BYTES


def head_bytes(max_doc_chars: int) -> int:
    """Bytes of a text file kept when it is longer: enough for ``max_doc_chars`` characters (and a BOM)."""
    return UTF8_MAX_BYTES * max_doc_chars + 3


def bounded_lines(stream: io.BufferedIOBase, cap: int) -> Iterator[tuple[bytes, int]]:
    """``(line, length)`` for every line of ``stream``; a line longer than ``cap`` bytes comes as
    its first ``cap`` bytes with its full length (the rest is read in chunks and dropped)."""
    while True:
        line = stream.readline(cap)
        if not line:
            return
        length = len(line)
        if length == cap and not line.endswith(b"\n"):
            while more := stream.readline(_CHUNK):
                length += len(more)
                if more.endswith(b"\n"):
                    break
        yield line, length


def read_head(stream: io.BufferedIOBase, size: int) -> tuple[bytes, int]:
    """The first ``size`` bytes of ``stream`` and its whole length (the rest is read in chunks and dropped)."""
    head = stream.read(size)
    length = len(head)
    while chunk := stream.read(_CHUNK):
        length += len(chunk)
    return head, length
