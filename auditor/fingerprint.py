"""The fingerprint stage: documents in, per-document features + MinHash + near-duplicate clusters out.

:func:`fingerprint_batches` is the streaming engine other stages build on
(batches of documents with their features and signatures);
:func:`fingerprint` runs it over input paths and writes or returns the table.

The corpus is cut into shards (:mod:`auditor.shards`: files, byte ranges, row
groups) that :func:`fingerprint_shard` reads and fingerprints on its own, in this
process or in workers (:mod:`auditor.parallel`: ``--jobs``, ``--backend dask``).
This process takes the shard results back in input order: it numbers the rows,
merges the read reports and the annotator's state, gathers every signature into
one near-duplicate index (so clusters across shards are exact, LSH built once) and
writes the table. The output is byte-identical whatever the shards or workers:
Parquet row groups have a fixed number of rows, not one per shard.

Memory stays bounded in corpus size: shard results are written to a temporary
Arrow IPC file as they arrive (at most ``2 x jobs`` in flight); only the near-duplicate
index (signatures and band keys, 585 bytes per document; ``benchmarks/bench_fingerprint.py``
measures it) grows with the corpus. Cluster ids are known only at the end, so a second pass
copies the temporary file into the output adding the ``dup_cluster`` column.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from auditor import __version__
from auditor.atomic import atomic_path, scratch_path
from auditor.features import minhash
from auditor.features.dedup import DEFAULT_THRESHOLD, NearDuplicateIndex, cluster_summary
from auditor.features.stats import FEATURE_NAMES, MAX_BATCH_DOCS, compute_stats
from auditor.fingerprint_table import ROW_GROUP_ROWS, arrow_schema, cluster_column, fixed_size, offset_rows, record_batch, signature_matrix
from auditor.errors import InputError
from auditor.features.tokens import TokenBatch, tokenize_batch
from auditor.normalize import count_invisible, normalize
from auditor.parallel import ExecutionOptions, run_ordered
from auditor.readers import Document, ReaderOptions, ReadReport, expand_inputs, nothing_read, read_pieces, resolve_inputs
from auditor.shards import Shard, plan_shards, shard_target

if TYPE_CHECKING:  # pandas is slow to import (~0.4 s); only the frame of fingerprint() needs it, via pyarrow
    import pandas as pd

SCHEMA = "auditor.fingerprint/1"
METADATA_KEY = b"auditor"


@dataclass(frozen=True)
class FingerprintOptions:
    """Settings of the fingerprint stage (resolved once, passed explicitly).

    Attributes:
        reader: how inputs are read.
        num_perm: MinHash signature length.
        seed: MinHash permutation seed.
        near_duplicates: cluster near-duplicates (costs memory per document).
        dup_threshold: estimated Jaccard similarity of word 5-gram sets at
            which two documents are near-duplicates.
        batch_docs / batch_chars: a batch closes at whichever comes first.
        signatures: compute MinHash signatures. Only :func:`fingerprint_batches` users
            that neither write nor match them (the hook's scoring) turn this off;
            batches then carry ``(n, 0)`` signatures.
    """

    reader: ReaderOptions = field(default_factory=ReaderOptions)
    num_perm: int = minhash.DEFAULT_NUM_PERM
    seed: int = minhash.DEFAULT_SEED
    near_duplicates: bool = True
    dup_threshold: float = DEFAULT_THRESHOLD
    batch_docs: int = 512
    batch_chars: int = 4_000_000
    signatures: bool = True

    def __post_init__(self) -> None:
        if self.near_duplicates and not self.signatures:
            raise ValueError("near-duplicate clustering needs MinHash signatures: keep signatures=True")
        if not 1 <= self.num_perm <= 1024:
            raise ValueError(f"num_perm must be between 1 and 1024, got {self.num_perm}")
        if not 0.0 < self.dup_threshold <= 1.0:
            raise ValueError(f"dup_threshold must be in (0, 1], got {self.dup_threshold}")
        if self.near_duplicates:
            from datasketch import MinHashLSH

            try:  # datasketch refuses banding it cannot do with this many permutations
                MinHashLSH(threshold=self.dup_threshold, num_perm=self.num_perm)
            except ValueError as err:
                raise ValueError(
                    f"near-duplicate threshold {self.dup_threshold} cannot be indexed with {self.num_perm} MinHash "
                    f"permutations ({err}): lower --dup-threshold or raise --num-perm"
                ) from None
        if not 1 <= self.batch_docs <= MAX_BATCH_DOCS or self.batch_chars < 1:
            raise ValueError(f"batch_docs must be in 1..{MAX_BATCH_DOCS} and batch_chars positive")


@dataclass(frozen=True)
class Batch:
    """One batch of fingerprinted documents."""

    documents: list[Document]
    features: dict[str, np.ndarray]
    evasion_chars: np.ndarray
    signatures: np.ndarray
    text_bytes: int
    texts: list[str]  # normalized, what every feature was computed on
    tokens: TokenBatch


class Annotator(Protocol):
    """Adds columns to the fingerprint table (e.g. scores), computed batch by batch, shard by shard.

    ``fields`` are inserted after ``id``. For each shard the run calls ``spawn()``
    for an empty copy (it is pickled to a worker when there are workers), which
    gets ``columns(batch)`` for the shard's batches (one array per field) and may
    keep per-shard state; ``harvest()`` returns that state (picklable; it travels
    back), and here ``absorb(state, row_offset)`` merges it, shard by shard in input
    order (``row_offset``: documents in the shards before, to turn the shard's
    0-based rows into corpus rows).
    """

    fields: Sequence[pa.Field]

    def spawn(self) -> Annotator: ...

    def columns(self, batch: Batch) -> list[pa.Array]: ...

    def harvest(self) -> object: ...

    def absorb(self, state: object, row_offset: int) -> None: ...


@dataclass(frozen=True)
class Progress:
    """Running totals passed to a progress callback after every batch."""

    documents: int
    text_bytes: int
    seconds: float


@dataclass
class FingerprintResult:
    """What :func:`fingerprint` produced.

    Attributes:
        summary: JSON-ready corpus summary (also stored in the Parquet metadata).
        frame: the per-document table when no output path was given, else None.
        seconds / text_bytes: wall time and UTF-8 bytes of text processed
            (kept out of ``summary`` so outputs stay byte-identical across runs).
    """

    summary: dict[str, object]
    frame: pd.DataFrame | None
    seconds: float
    text_bytes: int


def _batches_of(documents: Iterable[Document], max_docs: int, max_chars: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    chars = 0
    for doc in documents:
        batch.append(doc)
        chars += len(doc.text)
        if len(batch) >= max_docs or chars >= max_chars:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def fingerprint_batches(documents: Iterable[Document], options: FingerprintOptions | None = None) -> Iterator[Batch]:
    """Fingerprint documents batch by batch (features, evasion counts, MinHash signatures; default options when None)."""
    options = options if options is not None else FingerprintOptions()
    for docs in _batches_of(documents, options.batch_docs, options.batch_chars):
        texts = [normalize(d.text) for d in docs]
        tokens = tokenize_batch(texts)
        if options.signatures:
            shingles, shingle_offsets = minhash.shingle_hashes(tokens.word_hashes, tokens.offsets)
            signatures = minhash.signatures(shingles, shingle_offsets, options.num_perm, options.seed)
        else:
            signatures = np.zeros((len(docs), 0), dtype=np.uint32)
        yield Batch(
            documents=docs,
            features=compute_stats(texts, tokens),
            evasion_chars=np.fromiter((count_invisible(d.text) for d in docs), dtype=np.int64, count=len(docs)),
            signatures=signatures,
            text_bytes=sum(len(d.text.encode("utf-8", "surrogatepass")) for d in docs),
            texts=texts,
            tokens=tokens,
        )


@dataclass(frozen=True)
class ShardTask:
    """What a shard's reader gets: where to read (no text), how, and an empty annotator copy."""

    shard: Shard
    options: FingerprintOptions
    schema: pa.Schema
    annotator: Annotator | None


@dataclass
class ShardResult:
    """A shard's output, or a part of it: its table (rows counted from the shard's start) and,
    in the last part, the read report and the annotator's state.

    ``error``: what the shard raised in a worker, re-raised here when the run reaches
    that shard, so the run fails with the error of the *first* failing shard in input
    order (what a sequential read would have met), not of whichever worker failed first.
    """

    table: pa.Table
    text_bytes: int = 0
    report: ReadReport | None = None  # set on a shard's last part
    annotation: object = None  # the annotator's harvest (last part)
    error: BaseException | None = None


def shard_parts(task: ShardTask) -> Iterator[ShardResult]:
    """Read and fingerprint one shard, a part per batch; in this process, so memory stays one batch."""
    report = ReadReport()
    for batch in fingerprint_batches(read_pieces(task.shard.pieces, task.options.reader, report), task.options):
        table = pa.Table.from_batches([record_batch(batch, task.schema, task.annotator)], schema=task.schema)
        yield ShardResult(table, batch.text_bytes)
    yield ShardResult(task.schema.empty_table(), 0, report, task.annotator.harvest() if task.annotator is not None else None)


def fingerprint_shard(task: ShardTask) -> list[ShardResult]:
    """Read and fingerprint one shard in a worker: one part, the shard's whole table.

    Any exception is returned, not raised (see :class:`ShardResult`). A worker holds its
    shard's table (~0.8 KB a document): shards of 1-8 MiB, but a file that cannot be split
    (compressed, CSV) is one shard.
    """
    try:
        parts = list(shard_parts(task))
    except Exception as err:  # noqa: BLE001 - re-raised in the main process, in input order
        return [ShardResult(task.schema.empty_table(), error=err)]
    last = parts[-1]
    table = pa.concat_tables([part.table for part in parts])
    return [ShardResult(table, sum(part.text_bytes for part in parts), last.report, last.annotation)]


def _summary(paths: Sequence[str], report: ReadReport, options: FingerprintOptions, near_dup: dict[str, object]) -> dict[str, object]:
    read = report.to_dict()
    return {
        "schema": SCHEMA,
        "tool": {"name": "auditor", "version": __version__},
        "inputs": list(paths),
        "documents": read["documents"],
        "skipped": read["skipped"],
        "repaired": read["repaired"],
        "ignored_files": read["ignored_files"],
        "problems": read["examples"],
        "fingerprint": {
            "features": list(FEATURE_NAMES) + ["evasion_chars"],
            "normalization": "NFKC; invisible and control characters removed; quotes and whitespace folded",
            "minhash": minhash.scheme_metadata(options.num_perm, options.seed),
        },
        "near_duplicates": near_dup,
    }


def fingerprint(
    paths: Sequence[str],
    *,
    out: str | os.PathLike[str] | None = None,
    options: FingerprintOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
    annotator: Annotator | None = None,
    execution: ExecutionOptions | None = None,
) -> FingerprintResult:
    """Fingerprint every document under ``paths``.

    With ``out``, writes the per-document table to that Parquet file
    (atomically: a crash leaves no partial file) and returns no frame;
    without it, returns the table as a DataFrame. An ``annotator`` adds its
    columns (``auditor scan`` adds the scores this way). ``options`` None:
    the defaults. ``execution``: workers and backend (None: this process only);
    results do not depend on it. Standard input (``-``) is always read in this
    process. Raises :class:`~auditor.errors.InputError` for unusable inputs.

    Example::

        result = auditor.fingerprint(["corpus/"], out="fp.parquet")
        print(result.summary["near_duplicates"]["clusters"])
    """
    options = options if options is not None else FingerprintOptions()
    if not options.signatures:
        raise ValueError("the fingerprint table carries MinHash signatures: keep signatures=True")
    if isinstance(paths, (str, os.PathLike)):
        paths = [os.fspath(paths)]
    paths = [os.fspath(p) for p in paths]
    if out is not None:
        _refuse_output_among_inputs(Path(out), paths, options.reader.format)
    report = ReadReport()
    start = time.perf_counter()
    inputs = resolve_inputs(paths, options.reader, report)
    execution = execution if execution is not None else ExecutionOptions()
    if any(path == "-" for path, _ in inputs):
        execution = ExecutionOptions()  # a worker cannot read this process's standard input
    target = execution.shard_bytes or shard_target(inputs, execution.workers)
    index = NearDuplicateIndex(options.dup_threshold, options.num_perm, options.seed) if options.near_duplicates else None
    extra = tuple(annotator.fields) if annotator is not None else ()
    schema = arrow_schema(options.num_perm, with_clusters=False, extra=extra)
    documents = 0
    text_bytes = 0

    def run(sink: Callable[[pa.RecordBatch], None]) -> None:
        nonlocal documents, text_bytes
        tasks = (ShardTask(shard, options, schema, annotator.spawn() if annotator is not None else None) for shard in plan_shards(inputs, target))
        # In this process a shard streams batch by batch; a worker sends its shard in one part.
        work = shard_parts if execution.in_process else fingerprint_shard
        with closing(run_ordered(work, tasks, execution)) as results:
            for parts in results:
                shard_start = documents
                for part in parts:
                    if part.error is not None:
                        raise part.error
                    if part.table.num_rows:
                        table = offset_rows(part.table, shard_start)
                        if index is not None:
                            index.add(signature_matrix(table, options.num_perm))
                        for batch in table.to_batches():
                            sink(batch)
                        documents += table.num_rows
                        text_bytes += part.text_bytes
                        if progress is not None:
                            progress(Progress(documents, text_bytes, time.perf_counter() - start))
                    if part.report is not None:
                        report.merge(part.report)
                        if annotator is not None:
                            annotator.absorb(part.annotation, shard_start)
        if documents == 0:
            raise nothing_read(paths, report)

    def finish() -> tuple[np.ndarray, dict[str, object]]:
        if index is None:
            return np.full(documents, -1, dtype=np.int64), {"enabled": False}
        labels = index.clusters()
        return labels, {"enabled": True, **cluster_summary(labels, options.dup_threshold, index.bands)}

    if out is None:
        batches: list[pa.RecordBatch] = []
        run(batches.append)
        labels, near_dup = finish()
        table = pa.Table.from_batches(batches, schema=schema).append_column("dup_cluster", cluster_column(labels))
        summary = _summary(paths, report, options, near_dup)
        return FingerprintResult(summary, table.to_pandas(), time.perf_counter() - start, text_bytes)

    out_path = Path(out)
    # Pass 1: features and signatures to a hidden temporary file next to the output.
    if not (out_path.parent if str(out_path.parent) else Path(".")).is_dir():
        raise InputError(f"output directory {out_path.parent} does not exist: create it or choose another --out")
    with scratch_path(out_path) as pass1:
        # Arrow IPC, not Parquet: the scratch copy is read back once, and Parquet-encoding it
        # cost this process CPU that, in a parallel run, the workers need.
        with pa.OSFile(str(pass1), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            run(writer.write_batch)
        labels, near_dup = finish()
        summary = _summary(paths, report, options, near_dup)
        final_schema = arrow_schema(options.num_perm, extra=extra).with_metadata({METADATA_KEY: json.dumps(summary, sort_keys=True)})
        # Pass 2: copy into the output, adding the cluster ids, in row groups of a fixed size.
        with atomic_path(out_path) as tmp_out, pq.ParquetWriter(tmp_out, final_schema) as writer:
            done = 0
            with pa.OSFile(str(pass1), "rb") as source:  # not memory-mapped: mapped pages would count as this process's RSS
                scratch = pa.ipc.open_file(source)
                batches = (scratch.get_batch(i) for i in range(scratch.num_record_batches))
                for chunk in fixed_size(batches, schema, ROW_GROUP_ROWS):
                    column = cluster_column(labels[done : done + chunk.num_rows])
                    writer.write_table(pa.Table.from_arrays([*chunk.columns, column], schema=final_schema))
                    done += chunk.num_rows
    return FingerprintResult(summary, None, time.perf_counter() - start, text_bytes)


def _refuse_output_among_inputs(out: Path, paths: Sequence[str], fmt: str) -> None:
    target = out.resolve()
    for path, _ in expand_inputs(paths, fmt):
        if path != "-" and Path(path).resolve() == target:
            raise InputError(f"--out {out} is also one of the inputs: choose an output path outside the corpus")


def read_metadata(path: str | os.PathLike[str]) -> dict[str, object]:
    """The summary stored in a fingerprint Parquet file's metadata."""
    metadata = pq.read_schema(path).metadata or {}
    if METADATA_KEY not in metadata:
        raise ValueError(f"{path} has no auditor metadata: it was not written by 'auditor fingerprint'")
    return json.loads(metadata[METADATA_KEY])
