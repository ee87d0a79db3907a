"""The input formats, one module each behind :class:`~auditor.io.formats.interface.RecordFormat`.

``FORMATS`` maps a ``--format`` name to its format; :func:`format_for` picks one by a file's
extension (``--format auto``). Adding a format is one module with a ``FORMAT`` object, listed here.
"""

from __future__ import annotations

import os

from auditor.io.formats import csv, jsonl, parquet, text
from auditor.io.formats.interface import RecordFormat
from auditor.io.source import COMPRESSION_SUFFIXES, split_compression

FORMATS: dict[str, RecordFormat] = {module.FORMAT.name: module.FORMAT for module in (jsonl, parquet, csv, text)}

_BY_EXTENSION = {extension: fmt for fmt in FORMATS.values() for extension in fmt.extensions}
_compressible = [ext for fmt in FORMATS.values() if fmt.compressible for ext in fmt.extensions]
SUPPORTED_EXTENSIONS = (
    ", ".join(_BY_EXTENSION) + f" ({'/'.join(_compressible)} also as " + " or ".join(COMPRESSION_SUFFIXES) + ")"
)


def format_for(path: str) -> str | None:
    """The name of the format ``path``'s extension implies, or None when unsupported."""
    base, compression = split_compression(os.path.basename(path))
    fmt = _BY_EXTENSION.get(os.path.splitext(base)[1])
    if fmt is None or (compression and not fmt.compressible):
        return None
    return fmt.name


def format_named(name: str) -> RecordFormat:
    """The format called ``name`` (``jsonl``, ``parquet``, ``csv``, ``txt``)."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; one of {', '.join(FORMATS)}") from None
