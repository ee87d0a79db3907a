"""Splitting a corpus into shards that workers read on their own, from the files themselves.

A worker is handed a :class:`Shard` (file names and byte ranges or row groups, a few
hundred bytes), never documents: it opens the files, reads and fingerprints its part,
and returns features. That keeps the hand-off cheap and lets a dask.distributed
cluster read from shared storage instead of through the client.

What can be split is the format's to say (:meth:`auditor.io.formats.interface.RecordFormat.split`):
an uncompressed JSONL file into line-aligned byte ranges, a Parquet file with several row groups
into runs of them. Compressed files, CSV/TSV, ``.txt`` files and standard input are read whole;
small files are grouped so that each shard carries about ``target`` bytes.

Splitting never changes a result: documents, their rows, ids, problems and
near-duplicate clusters are the same for any plan (``tests/corpus/test_parallel.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from auditor.io.formats import format_named
from auditor.io.formats.interface import Piece

MIN_SHARD_BYTES = 1 << 20
MAX_SHARD_BYTES = 8 << 20
SHARDS_PER_WORKER = 4  # several shards per worker even out files of unequal cost


@dataclass(frozen=True)
class Shard:
    """Consecutive pieces of the input, read by one worker; ``index`` is the shard's place in input order."""

    index: int
    pieces: tuple[Piece, ...]
    bytes: int = 0  # input bytes the pieces span (file sizes): what progress counts it as


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
    for index, (group, size) in enumerate(_grouped(pieces, target)):
        yield Shard(index, group, size)


def _grouped(pieces: Iterator[tuple[Piece, int]], target: int) -> Iterator[tuple[tuple[Piece, ...], int]]:
    """Consecutive whole files up to ``target`` bytes together; a split piece alone (it is a shard's worth); with their bytes."""
    pending: list[Piece] = []
    pending_bytes = 0
    for piece, size in pieces:
        if not piece.whole:
            if pending:
                yield tuple(pending), pending_bytes
                pending, pending_bytes = [], 0
            yield (piece,), size
            continue
        pending.append(piece)
        pending_bytes += size
        if pending_bytes >= target:
            yield tuple(pending), pending_bytes
            pending, pending_bytes = [], 0
    if pending:
        yield tuple(pending), pending_bytes


def input_bytes(inputs: Sequence[tuple[str, str]]) -> int | None:
    """The size of the inputs in bytes (what a progress bar runs to); None when standard input is one of them."""
    if any(path == "-" for path, _ in inputs):
        return None
    return sum(_size(path) for path, _ in inputs)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path) if path != "-" else 0
    except OSError:
        return 0  # the reader reports the problem, naming the file


def _pieces(path: str, fmt: str, target: int) -> Iterator[tuple[Piece, int]]:
    if path == "-":
        yield Piece(path, fmt), 0
        return
    yield from format_named(fmt).split(path, os.path.abspath(path), _size(path), target)
