"""What every input format is: records out of a piece of a file, and the pieces a file splits into.

A format is one :class:`RecordFormat` object in its own module (:mod:`.jsonl`, :mod:`.csv`,
:mod:`.parquet`, :mod:`.text`), registered in :mod:`auditor.io.formats`. It owns two things:

- reading: :meth:`RecordFormat.read` turns one :class:`Piece` (a whole file, or a part of one) into
  :class:`Record` events (a candidate document) and :class:`Bad` events (a record that cannot become
  one), in file order, streaming;
- splitting: :meth:`RecordFormat.split` cuts a large file into pieces that workers read on their own
  (:mod:`auditor.corpus.shards` groups them into shards); a format that cannot be split safely keeps
  the file whole.

Checks shared by every format (empty text, lone surrogates, ids, strict mode, counting) live in
:mod:`auditor.io.reading`, so that a reason means the same thing whatever the format.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from auditor.io.documents import NO_FIELDS, Fields, ReaderOptions
from auditor.io.problems import ReadReport

MISSING = object()
"""Sentinel for a field that is absent from a record."""

INVALID_UTF8 = "invalid_utf8"  # a repair: invalid UTF-8 (or a lone surrogate) replaced with U+FFFD
TRUNCATED = "truncated"  # a repair: the text was cut to max_doc_chars for the features


def absent_fields(extra_fields: tuple[str, ...]) -> Fields:
    """Every requested field set to None (for ``.txt`` inputs, which have no fields)."""
    return Fields(dict.fromkeys(extra_fields)) if extra_fields else NO_FIELDS


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique for a mapping: a repeated name gets ``.1``, ``.2``, ... (as pandas does).

    Without this a CSV header or Parquet schema naming a column twice would lose
    one column's values when every field of a record is read into a mapping.
    """
    taken = set(names)
    seen: set[str] = set()
    result = []
    for name in names:
        if name in seen:
            suffix = 1
            while f"{name}.{suffix}" in taken:
                suffix += 1
            name = f"{name}.{suffix}"
            taken.add(name)
        seen.add(name)
        result.append(name)
    return result


class Record(NamedTuple):
    """A record that carries a string text (not yet checked for emptiness).

    ``fields`` holds exactly the requested extra fields (None where absent), or
    every field of the record when all fields were requested. ``row_in_file``: the
    record's 0-based position as its format numbers records
    (:attr:`~auditor.io.documents.Document.row_in_file`); -1, the default, is
    ``record - 1``, which every format but CSV/TSV numbers by.
    """

    record: int
    text: str
    id_value: object = MISSING
    repairs: tuple[tuple[str, str], ...] = ()
    fields: Fields = NO_FIELDS
    row_in_file: int = -1


class Bad(NamedTuple):
    """A record that cannot become a document."""

    record: int
    reason: str
    detail: str


Event = Record | Bad


@dataclass(frozen=True)
class Piece:
    """A part of one input file: the whole file, a byte range of a JSONL file, or a run of Parquet row groups.

    Attributes:
        path: the path as the user gave it or as found under a directory (documents'
            ``source``, default ids and problem locations use it).
        fmt: the file's format (``jsonl``, ``parquet``, ``csv``, ``txt``).
        start / stop: JSONL byte offsets or Parquet row-group indices, ``[start, stop)``;
            ``stop`` None reads to the end.
        first_record: the file's record number (line or row) of the piece's first record.
        opens_file: the piece is the file's first (it counts the file as read).
        location: where a worker opens the file (absolute: workers may run in another
            directory or on another machine sharing the storage); None: ``path``.
    """

    path: str
    fmt: str
    start: int = 0
    stop: int | None = None
    first_record: int = 1
    opens_file: bool = True
    location: str | None = None

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.stop is None

    @property
    def open_path(self) -> str:
        return self.location if self.location is not None else self.path


class RecordFormat(ABC):
    """One input format: its name, file extensions, how a piece of a file is read and how a file is split.

    Attributes:
        name: the ``--format`` value (``jsonl``, ``parquet``, ``csv``, ``txt``).
        extensions: lower-case file extensions that select it under ``--format auto``.
        compressible: ``.gz`` / ``.zst`` versions of those extensions select it too (the format is
            read as a byte stream; Parquet needs random access).
        ids_from_path: a document's id is its file's path (a ``.txt`` file is one document).
    """

    name: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]
    compressible: ClassVar[bool] = True
    ids_from_path: ClassVar[bool] = False

    @abstractmethod
    def read(self, piece: Piece, options: ReaderOptions, report: ReadReport) -> Iterator[Event]:
        """The records of ``piece``, in file order; counts files and bytes read in ``report``."""

    def split(self, path: str, location: str, size: int, target: int) -> Iterator[tuple[Piece, int]]:
        """``(piece, bytes)`` pairs covering the file ``path`` of ``size`` bytes, each about ``target`` bytes.

        The default keeps the file whole: formats whose records cannot be found from an arbitrary
        offset (CSV: a quoted field may span lines; compressed streams; ``.txt``) override nothing.
        ``location`` is the absolute path workers open.
        """
        yield Piece(path, self.name, location=location), size
