"""One shard's work: read and fingerprint it, in this process (batch by batch) or in a worker (whole).

A worker gets a :class:`ShardTask` (where to read, never the text) and sends back a
:class:`ShardResult`; :func:`auditor.corpus.runner.fingerprint` takes the results in input order.
Nothing here converts through pyarrow's pandas-aware paths (``pa.array``, ``to_numpy``,
``Schema.empty_table``): those import pandas, ~0.3-0.5 s in every worker
(:mod:`auditor.arrow_numpy`; ``tests/crosscutting/test_imports.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from auditor.corpus.batches import Annotator, FingerprintOptions, fingerprint_batches
from auditor.corpus.checkpoint import Span, shard_span
from auditor.corpus.shards import Shard
from auditor.corpus.table import record_batch
from auditor.io.problems import ReadReport
from auditor.io.reading import read_pieces


@dataclass(frozen=True)
class ShardTask:
    """What a shard's reader gets: where to read (no text), how, and an empty annotator copy.

    ``resumed``: the shard was completed by an interrupted run (its checkpoint is read
    back in this process); the task only keeps the results in input order.
    """

    shard: Shard
    options: FingerprintOptions
    schema: pa.Schema
    annotator: Annotator[Any] | None
    resumed: bool = False


@dataclass
class ShardResult:
    """A shard's output, or a part of it: its table (rows counted from the shard's start) and,
    in the last part, the read report and the annotator's state.

    ``error``: what the shard raised in a worker, re-raised here when the run reaches
    that shard, so the run fails with the error of the *first* failing shard in input
    order (what a sequential read would have met), not of whichever worker failed first.
    ``resumed``: the shard is in the checkpoint (only ``span`` is set besides).
    ``span``: the input the shard covers (last part), which its checkpoint records.
    """

    table: pa.Table
    text_bytes: int = 0
    report: ReadReport | None = None  # set on a shard's last part
    annotation: object = None  # the annotator's harvest (last part)
    error: BaseException | None = None
    resumed: bool = False
    span: Span | None = None


def shard_parts(task: ShardTask) -> Iterator[ShardResult]:
    """Read and fingerprint one shard, a part per batch; in this process, so memory stays one batch."""
    span = shard_span(task.shard.pieces)
    if task.resumed:
        yield ShardResult(_empty(task.schema), resumed=True, span=span)
        return
    report = ReadReport()
    for batch in fingerprint_batches(read_pieces(task.shard.pieces, task.options.reader, report), task.options):
        table = pa.Table.from_batches([record_batch(batch, task.schema, task.annotator)], schema=task.schema)
        yield ShardResult(table, batch.text_bytes)
    yield ShardResult(_empty(task.schema), 0, report, task.annotator.harvest() if task.annotator is not None else None,
                      span=span)


def fingerprint_shard(task: ShardTask) -> list[ShardResult]:
    """Read and fingerprint one shard in a worker: one part, the shard's whole table.

    Any exception is returned, not raised (see :class:`ShardResult`). A worker holds its
    shard's table (~0.8 KB a document): shards of 1-8 MiB, but a file that cannot be split
    (compressed, CSV) is one shard.
    """
    try:
        parts = list(shard_parts(task))
    except Exception as err:  # noqa: BLE001 - re-raised in the main process, in input order
        return [ShardResult(_empty(task.schema), error=err)]
    last = parts[-1]
    table = pa.concat_tables([part.table for part in parts])
    return [ShardResult(table, sum(part.text_bytes for part in parts), last.report, last.annotation, resumed=last.resumed,
                        span=last.span)]


def _empty(schema: pa.Schema) -> pa.Table:
    return pa.Table.from_batches([], schema=schema)  # schema.empty_table() would import pandas
