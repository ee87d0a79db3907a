"""What every output format is: which one a file name asks for, what it can hold, and its byte stream.

Reading and writing name formats the same way: an output's format is the one
:func:`auditor.io.formats.format_for` gives its name as an input (the extension, after a
``.gz`` / ``.zst`` suffix), so every file the tool writes reads back as the format it was
written in. Every record format can be written (JSONL, CSV/TSV, Parquet; JSONL and CSV/TSV
also compressed, as they are read); ``.txt`` holds one document without fields, so it cannot.

The writers themselves: records with the auditor's fields (``auditor filter``) in
:mod:`auditor.io.writers` (Parquet) and :mod:`auditor.io.text_writers` (JSONL, CSV/TSV);
whole tables (``auditor fingerprint``) in :mod:`auditor.io.table_output`. What differs between
formats is stated here once: :attr:`OutputFormat.holds_metadata` (only Parquet has a place for
file metadata; the others get a sidecar file) and :attr:`OutputFormat.staged` (a writer that
needs every record before it can write the first: Parquet's one type per column, CSV's one header).
"""

from __future__ import annotations

import contextlib
import gzip
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

import zstandard

from auditor.atomic import naming_full_disk
from auditor.errors import ConfigError
from auditor.io.formats import FORMATS, format_for
from auditor.io.formats.csv import delimiter_for
from auditor.io.source import COMPRESSION_SUFFIXES, split_compression

_WRITABLE = [fmt for fmt in FORMATS.values() if not fmt.ids_from_path]  # .txt: one document, no fields
_names = [f"*{extension}" for fmt in _WRITABLE for extension in fmt.extensions]
_whole = [f"*{extension}" for fmt in _WRITABLE if not fmt.compressible for extension in fmt.extensions]
ACCEPTED = (", ".join(_names[:-1]) + f" or {_names[-1]} (all but {', '.join(_whole)} may end in "
            + " or ".join(COMPRESSION_SUFFIXES) + " too)")
"""The names an output may have, for messages and help texts."""


@dataclass(frozen=True)
class OutputFormat:
    """The format an output's name asks for.

    Attributes:
        name: ``parquet``, ``jsonl``, ``csv`` or ``tsv``, with the compression suffix
            (``jsonl.gz``, ``csv.zst``): what messages and ``output_format`` return.
        kind: the record format (``parquet``, ``jsonl``, ``csv``; TSV is ``csv`` with a tab).
        delimiter: the CSV/TSV field separator.
        compression: ``.gz``, ``.zst`` or ``""``.
    """

    name: str
    kind: str
    delimiter: str = ","
    compression: str = ""

    @property
    def holds_metadata(self) -> bool:
        """Whether the file has a place for the run's metadata (a Parquet schema's key-value metadata)."""
        return self.kind == "parquet"

    @property
    def staged(self) -> bool:
        """Whether a record writer holds every record before writing the file (one type per column / one header)."""
        return self.kind in ("parquet", "csv")


def output_format_for(path: str | os.PathLike[str], option: str = "output") -> OutputFormat:
    """The format ``path``'s name asks for; :class:`ConfigError` naming ``option`` and :data:`ACCEPTED` otherwise."""
    name = os.path.basename(os.fspath(path))
    kind = format_for(name)
    if kind is None or FORMATS[kind].ids_from_path:
        raise ConfigError(f"{option} {os.fspath(path)}: unsupported output extension; name the file {ACCEPTED}")
    compression = split_compression(name)[1]
    delimiter = delimiter_for(name) if kind == "csv" else ","
    base = "tsv" if delimiter == "\t" else kind
    return OutputFormat(base + compression, kind, delimiter, compression)


def summary_sidecar(path: str | os.PathLike[str]) -> Path:
    """Where the metadata of an output without a place for it goes: ``<name>.summary.json`` beside it."""
    target = Path(path)
    return target.with_name(target.name + ".summary.json")


class RecordWriter(Protocol):
    """What every record writer does: one record at a time, its original fields then the auditor's.

    ``json_columns``: the original columns written as JSON text because their values have no
    common type (Parquet only; the other formats write every non-text value as text anyway).
    """

    json_columns: dict[str, None]

    def write(self, fields: Mapping[str, object], auditor: Mapping[str, object]) -> None: ...

    def finish(self) -> None: ...


@contextlib.contextmanager
def byte_stream(file: Path, fmt: OutputFormat, target: Path) -> Iterator[BinaryIO]:
    """``file`` opened for writing bytes, through the compressor ``fmt`` names; complete when the block ends.

    No file name or time in a gzip header, and one zstd frame: the same content gives the same bytes.
    ``target``: the output ``file`` will become, named when the disk fills up as the compressor ends.
    """
    with open(file, "wb") as raw:
        if not fmt.compression:
            yield raw
            return
        packed = (gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if fmt.compression == ".gz"
                  else zstandard.ZstdCompressor().stream_writer(raw, closefd=False))
        try:
            yield cast(BinaryIO, packed)
        finally:
            with naming_full_disk(target):
                packed.close()  # the trailer or the frame's end; ``raw`` stays open until here
