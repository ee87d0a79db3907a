"""Splitting a corpus into shards that workers read on their own, from the files themselves.

A worker is handed a :class:`Shard` (file names and byte ranges or row groups, a few
hundred bytes), never documents: it opens the files, reads and fingerprints its part,
and returns features. That keeps the hand-off cheap and lets a dask.distributed
cluster read from shared storage instead of through the client.

What can be split:

- an uncompressed JSONL file: into line-aligned byte ranges. The planner reads the
  file once to find the cuts (the first newline after every ``target`` bytes) and
  to count the lines before each, so records keep their file line numbers (and
  default ids ``path:line``) whatever the split. Counting runs at memory speed
  (``bytes.count``), far below the cost of fingerprinting.
- a Parquet file with several row groups: into runs of row groups (first row from
  the metadata).

Compressed files, CSV/TSV (a quoted field may span lines, so a byte offset cannot
be trusted to start a row), ``.txt`` files and standard input are read whole; small
files are grouped so that each shard carries about ``target`` bytes.

Splitting never changes a result: documents, their rows, ids, problems and
near-duplicate clusters are the same for any plan (``tests/test_parallel.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from auditor import _formats
from auditor._regular import open_regular
from auditor.errors import InputError

MIN_SHARD_BYTES = 1 << 20
MAX_SHARD_BYTES = 8 << 20
SHARDS_PER_WORKER = 4  # several shards per worker even out files of unequal cost
_SCAN_CHUNK = 1 << 24


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


@dataclass(frozen=True)
class Shard:
    """Consecutive pieces of the input, read by one worker; ``index`` is the shard's place in input order."""

    index: int
    pieces: tuple[Piece, ...]


def shard_target(inputs: Sequence[tuple[str, str]], workers: int) -> int:
    """Bytes per shard: about :data:`SHARDS_PER_WORKER` per worker, within 1-8 MiB.

    The upper bound keeps a worker's result (and the progress reports) small; the
    lower one keeps per-shard overhead (a task, a pickled detector) negligible.
    """
    total = sum(_size(path) for path, _ in inputs)
    return min(MAX_SHARD_BYTES, max(MIN_SHARD_BYTES, total // max(1, workers * SHARDS_PER_WORKER)))


def plan_shards(inputs: Sequence[tuple[str, str]], target: int) -> Iterator[Shard]:
    """Shards of about ``target`` bytes over ``inputs`` (``expand_inputs`` order), lazily.

    Lazily, so that workers start on the first shards while the planner is still
    scanning a large file for line ends.
    """
    if target < 1:
        raise ValueError(f"shard target must be at least 1 byte, got {target}")
    pieces = (item for path, fmt in inputs for item in _pieces(path, fmt, target))
    for index, group in enumerate(_grouped(pieces, target)):
        yield Shard(index, group)


def _grouped(pieces: Iterator[tuple[Piece, int]], target: int) -> Iterator[tuple[Piece, ...]]:
    """Consecutive whole files up to ``target`` bytes together; a split piece alone (it is a shard's worth)."""
    pending: list[Piece] = []
    pending_bytes = 0
    for piece, size in pieces:
        if not piece.whole:
            if pending:
                yield tuple(pending)
                pending, pending_bytes = [], 0
            yield (piece,)
            continue
        pending.append(piece)
        pending_bytes += size
        if pending_bytes >= target:
            yield tuple(pending)
            pending, pending_bytes = [], 0
    if pending:
        yield tuple(pending)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path) if path != "-" else 0
    except OSError:
        return 0  # the reader reports the problem, naming the file


def _pieces(path: str, fmt: str, target: int) -> Iterator[tuple[Piece, int]]:
    if path == "-":
        yield Piece(path, fmt), 0
        return
    location = os.path.abspath(path)
    size = _size(path)
    if size > target and fmt == "jsonl" and _formats.compression_of(path) is None:
        yield from _jsonl_pieces(path, location, size, target)
    elif size > target and fmt == "parquet":
        yield from _parquet_pieces(path, location, size, target)
    else:
        yield Piece(path, fmt, location=location), size


def _jsonl_pieces(path: str, location: str, size: int, target: int) -> Iterator[tuple[Piece, int]]:
    """Line-aligned byte ranges of about ``target`` bytes, each with the line number it starts at."""
    start, first_line = 0, 1
    try:
        with open_regular(path) as file:
            position, lines_before, next_cut = 0, 0, target
            while chunk := file.read(_SCAN_CHUNK):
                while next_cut < position + len(chunk):
                    newline = chunk.find(b"\n", max(next_cut - position, 0))
                    if newline < 0:
                        break  # the cut falls in the next chunk
                    cut = position + newline + 1
                    if cut >= size:
                        break  # the file's last newline: no empty piece after it
                    yield Piece(path, "jsonl", start, cut, first_line, start == 0, location), cut - start
                    first_line = lines_before + chunk.count(b"\n", 0, newline + 1) + 1
                    start, next_cut = cut, cut + target
                lines_before += chunk.count(b"\n")
                position += len(chunk)
    except OSError as exc:
        if start > 0:  # the file failed mid-plan: no honest split of the rest
            raise InputError(f"{path}: read error while splitting it into shards ({exc.strerror or exc}); check the file") from None
        # Unreadable from the start: one piece, and the reader reports the problem as for any file.
    yield Piece(path, "jsonl", start, None, first_line, start == 0, location), size - start


def _parquet_pieces(path: str, location: str, size: int, target: int) -> Iterator[tuple[Piece, int]]:
    """Runs of row groups of about ``target`` bytes (by compressed size), each with its first row."""
    import pyarrow.parquet as pq

    try:
        with open_regular(path) as handle, pq.ParquetFile(handle) as parquet:
            metadata = parquet.metadata
    except Exception:  # noqa: BLE001 - any failure: the reader reports it, naming the file
        yield Piece(path, "parquet", location=location), size
        return
    groups = [(metadata.row_group(i).num_rows, _group_bytes(metadata.row_group(i))) for i in range(metadata.num_row_groups)]
    if len(groups) <= 1:
        yield Piece(path, "parquet", location=location), size
        return
    start, first_row, rows, taken = 0, 1, 0, 0
    for index, (num_rows, group_bytes) in enumerate(groups):
        rows, taken = rows + num_rows, taken + group_bytes
        last = index == len(groups) - 1
        if taken >= target or last:
            yield Piece(path, "parquet", start, None if last else index + 1, first_row, start == 0, location), taken
            start, first_row, rows, taken = index + 1, first_row + rows, 0, 0


def _group_bytes(group: object) -> int:
    return sum(group.column(i).total_compressed_size for i in range(group.num_columns))  # type: ignore[attr-defined]
