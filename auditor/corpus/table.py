"""The fingerprint table's layout and the Arrow plumbing of :func:`auditor.corpus.runner.fingerprint`.

Columns in order (:func:`arrow_schema`); shard tables renumbered into corpus rows
(:func:`offset_rows`); signatures gathered for the near-duplicate index
(:func:`signature_matrix`); and the output cut into row groups of a fixed size
(:func:`fixed_size`), so that the file's bytes do not depend on how the corpus was
sharded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from auditor.arrow_numpy import array_from_numpy, array_from_strings, numpy_from_array, numpy_from_column
from auditor.features.stats import FEATURE_NAMES

if TYPE_CHECKING:
    from auditor.corpus.batches import Annotator, Batch

ROW_GROUP_ROWS = 8192


def offset_rows(table: pa.Table, offset: int) -> pa.Table:
    """``table`` with ``offset`` added to its ``row`` column (a shard's rows count from 0)."""
    index = table.schema.get_field_index("row")
    return table.set_column(index, table.schema.field(index), array_from_numpy(numpy_from_column(table.column(index)) + offset))


def signature_matrix(table: pa.Table, num_perm: int) -> np.ndarray:
    """The ``minhash`` column as a uint32 ``(rows, num_perm)`` matrix."""
    column = table.column("minhash").combine_chunks()
    return numpy_from_array(column.flatten()).reshape(-1, num_perm)


def fixed_size(batches: Iterable[pa.RecordBatch], schema: pa.Schema, rows: int) -> Iterator[pa.Table]:
    """``batches`` re-cut into single-chunk tables of exactly ``rows`` rows (the last one shorter)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= rows:
            table = pa.Table.from_batches(pending, schema=schema)
            yield table.slice(0, rows).combine_chunks()
            rest = table.slice(rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending, schema=schema).combine_chunks()


def arrow_schema(num_perm: int, with_clusters: bool = True, extra: Sequence[pa.Field] = ()) -> pa.Schema:
    """Columns of the fingerprint table, in order (``extra`` right after ``id``).

    A contract with users' code (the README lists them): columns may be added, never removed,
    renamed or moved, so a column added later goes last (``row_in_file``, after ``dup_cluster``).
    """
    fields = [
        pa.field("source", pa.string()),
        pa.field("row", pa.int64()),
        pa.field("record", pa.int64()),
        pa.field("id", pa.string()),
        *extra,
        *(pa.field(name, pa.float64()) for name in FEATURE_NAMES),
        pa.field("evasion_chars", pa.int64()),
        pa.field("minhash", pa.list_(pa.uint32(), num_perm)),
    ]
    if with_clusters:
        fields.append(pa.field("dup_cluster", pa.int64()))
    fields.append(pa.field("row_in_file", pa.int64()))
    return pa.schema(fields)


def record_batch(batch: Batch, schema: pa.Schema, annotator: Annotator[Any] | None = None) -> pa.RecordBatch:
    """One fingerprinted batch as a record batch of ``schema`` (the annotator's columns after ``id``)."""
    docs = batch.documents
    num_perm = batch.signatures.shape[1]
    columns = [
        array_from_strings([d.source for d in docs]),
        array_from_numpy(np.fromiter((d.row for d in docs), dtype=np.int64, count=len(docs))),
        array_from_numpy(np.fromiter((d.record for d in docs), dtype=np.int64, count=len(docs))),
        array_from_strings([d.id for d in docs]),
        *(annotator.columns(batch) if annotator is not None else ()),
        *(array_from_numpy(batch.features[name]) for name in FEATURE_NAMES),
        array_from_numpy(batch.evasion_chars),
        pa.FixedSizeListArray.from_arrays(array_from_numpy(batch.signatures.reshape(-1)), num_perm),
        array_from_numpy(np.fromiter((d.row_in_file for d in docs), dtype=np.int64, count=len(docs))),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def cluster_column(labels: np.ndarray) -> pa.Array:
    """``dup_cluster``: the cluster id, null for a document in no cluster (label -1)."""
    return array_from_numpy(labels.astype(np.int64, copy=False), null=labels < 0)
