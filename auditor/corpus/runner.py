"""The fingerprint stage: documents in, per-document features + MinHash + near-duplicate clusters out.

:func:`fingerprint` runs the streaming engine (:mod:`auditor.corpus.batches`:
:func:`fingerprint_batches`, :class:`FingerprintOptions`, re-exported here) over
input paths and writes or returns the table.

The corpus is cut into shards (:mod:`auditor.corpus.shards`: files, byte ranges, row
groups) that :func:`fingerprint_shard` reads and fingerprints on its own, in this
process or in workers (:mod:`auditor.corpus.parallel`: ``--jobs``, ``--backend dask``).
This process takes the shard results back in input order: it numbers the rows,
merges the read reports and the annotator's state, gathers every signature into
one near-duplicate index (so clusters across shards are exact, LSH built once) and
writes the table. The output is byte-identical whatever the shards or workers:
Parquet row groups have a fixed number of rows, not one per shard.

Memory stays bounded in corpus size: shard results are written to a hidden checkpoint
directory beside the output as they arrive (:mod:`auditor.corpus.checkpoint`, Arrow IPC; at most
``2 x jobs`` in flight); only the near-duplicate index (signatures and band keys, 585 bytes
per document; ``benchmarks/bench_fingerprint.py`` measures it) grows with the corpus. Cluster
ids are known only at the end, so a second pass copies the shards into the output adding the
``dup_cluster`` column, then removes the checkpoint. A killed run leaves it behind, and
``resume=True`` continues from the shards it completed.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from auditor import __version__
from auditor.arrow_numpy import array_from_numpy, numpy_from_column
from auditor.atomic import remove_leftovers
from auditor.corpus.batches import Annotator, Batch, FingerprintOptions, Progress, fingerprint_batches
from auditor.corpus.checkpoint import Checkpoint, SavedShard, Span, discard, input_identity
from auditor.corpus.shard_work import ShardResult, ShardTask, fingerprint_shard, shard_parts
from auditor.corpus.parallel import ExecutionOptions, run_ordered
from auditor.corpus.shards import Shard, input_bytes, plan_shards, shard_target
from auditor.corpus.table import ROW_GROUP_ROWS, arrow_schema, cluster_column, fixed_size, offset_rows, signature_matrix
from auditor.errors import AuditorError, InputError, OutOfSpace
from auditor.features import minhash
from auditor.features.dedup import NearDuplicateIndex, cluster_summary
from auditor.features.stats import FEATURE_NAMES
from auditor.io.formats.output import output_format_for, summary_sidecar
from auditor.io.inputs import expand_inputs, resolve_inputs
from auditor.io.problems import ReadReport
from auditor.io.reading import nothing_read
from auditor.io.table_output import read_summary, writing_table
from auditor.lock import output_lock
from auditor.summary import FingerprintSummary, NearDuplicateBlock

if TYPE_CHECKING:  # pandas is slow to import (~0.4 s); only the frame of fingerprint() needs it, via pyarrow
    import pandas as pd

__all__ = ["Annotator", "Batch", "FingerprintOptions", "FingerprintResult", "LateColumn", "Progress", "fingerprint", "fingerprint_batches",
           "read_metadata"]

SCHEMA = "auditor.fingerprint/1"


@dataclass
class FingerprintResult:
    """What :func:`fingerprint` produced.

    Attributes:
        summary: JSON-ready corpus summary (also stored with the table: in a Parquet file's
            metadata, else in ``summary_file``).
        frame: the per-document table when no output path was given, else None.
        seconds / text_bytes: wall time and UTF-8 bytes of text processed
            (kept out of ``summary`` so outputs stay byte-identical across runs).
        shards / resumed_shards: with ``out``, the shards of the run and how many of them
            an interrupted run had completed (``resume``).
        workers: processes the shards ran in (1: this one).
        summary_file: the sidecar holding ``summary`` beside a CSV/TSV/JSONL output
            (:mod:`auditor.io.table_output`); None for Parquet and without an output.
    """

    summary: FingerprintSummary
    frame: pd.DataFrame | None
    seconds: float
    text_bytes: int
    shards: int = 0  # written through a checkpoint (with ``out``)
    resumed_shards: int = 0  # of those, read back from an interrupted run's checkpoint
    workers: int = 1  # processes the shards ran in (ExecutionOptions.sized_for may start fewer than asked)
    summary_file: Path | None = None


@dataclass(frozen=True)
class LateColumn:
    """A column known only once every shard is in, written with the table in its copy pass.

    The scan's posterior needs the corpus's estimate, which needs every score: computed between
    the last shard and the copy pass, it costs no second pass over the table. ``values`` are in
    row order, of the field's type (``float64`` for ``pa.float64()``); the column goes right after
    the column named ``after``.
    """

    field: pa.Field
    after: str
    values: np.ndarray


def _summary(paths: Sequence[str], report: ReadReport, options: FingerprintOptions, near_dup: NearDuplicateBlock,
             evasion: dict[str, int]) -> FingerprintSummary:
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
        "evasion": {"characters": evasion["characters"], "documents": evasion["documents"], "what": "invisible characters, zero-width joiners between Latin letters and Cyrillic/Greek "
                                       "look-alikes in Latin words (removed or folded before scoring)"},
    }


def _identity(inputs: Sequence[tuple[str, str]], options: FingerprintOptions, annotator: Annotator[Any] | None) -> dict[str, object]:
    """What a resumed run must share with the interrupted one (JSON-normalized: tuples become lists)."""
    identity = {"tool version": __version__, "inputs": input_identity(inputs), "settings": asdict(options),
                "scoring": annotator.identity() if annotator is not None else None}
    return json.loads(json.dumps(identity, sort_keys=True))


def fingerprint(
    paths: Sequence[str],
    *,
    out: str | os.PathLike[str] | None = None,
    options: FingerprintOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
    annotator: Annotator[Any] | None = None,
    execution: ExecutionOptions | None = None,
    resume: bool = False,
    conclude: Callable[[FingerprintSummary], Sequence[LateColumn]] | None = None,
) -> FingerprintResult:
    """Fingerprint every document under ``paths``.

    With ``out``, writes the per-document table to that file, in the format its name asks for
    (Parquet; CSV/TSV or JSONL with the summary in a sidecar file, :mod:`auditor.io.table_output`;
    atomically: a crash leaves no partial file) and returns no frame;
    without it, returns the table as a DataFrame. An ``annotator`` adds its
    columns (``auditor scan`` adds the scores this way). ``options`` None:
    the defaults. ``execution``: workers and backend (None: this process only);
    results do not depend on it. Standard input (``-``) is always read in this
    process. ``resume`` (needs ``out``): reuse the shards an interrupted run with
    the same inputs and settings completed (:mod:`auditor.corpus.checkpoint`); the output
    is the same. ``conclude``: called with the summary once every shard is in, before the
    table is written; the :class:`LateColumn` s it returns are written with it.
    Raises :class:`~auditor.errors.InputError` for unusable inputs,
    :class:`~auditor.errors.ConfigError` for an output name no format answers to (before any work),
    :class:`~auditor.errors.OutputLocked` when another run is writing ``out``
    (:mod:`auditor.lock`).

    Example::

        result = auditor.fingerprint(["corpus/"], out="fp.parquet")
        print(result.summary["near_duplicates"]["clusters"])
    """
    options = options if options is not None else FingerprintOptions()
    if not options.signatures:
        raise ValueError("the fingerprint table carries MinHash signatures: keep signatures=True")
    if resume and out is None:
        raise ValueError("resume needs an output path: completed shards are kept beside it")
    if isinstance(paths, (str, os.PathLike)):
        paths = [os.fspath(paths)]
    paths = [os.fspath(p) for p in paths]
    if out is None:
        return _fingerprint(paths, None, options, progress, annotator, execution, resume, conclude)
    fmt = output_format_for(out, "--out")
    _refuse_output_among_inputs(Path(out), paths, options.reader.format)
    if not (Path(out).parent if str(Path(out).parent) else Path(".")).is_dir():
        raise InputError(f"output directory {Path(out).parent} does not exist: create it or choose another --out")
    # One run at a time writes OUT and its checkpoint; a killed run's temporary files are removed.
    with output_lock(out, "--out"):
        remove_leftovers(out)
        if not fmt.holds_metadata:
            remove_leftovers(summary_sidecar(out))
        return _fingerprint(paths, out, options, progress, annotator, execution, resume, conclude)


def _fingerprint(paths: list[str], out: str | os.PathLike[str] | None, options: FingerprintOptions,
                 progress: Callable[[Progress], None] | None, annotator: Annotator[Any] | None,
                 execution: ExecutionOptions | None, resume: bool,
                 conclude: Callable[[FingerprintSummary], Sequence[LateColumn]] | None) -> FingerprintResult:
    """:func:`fingerprint` once its arguments are checked (and, with ``out``, its lock held)."""
    report = ReadReport()
    start = time.perf_counter()
    inputs = resolve_inputs(paths, options.reader, report)
    execution = execution if execution is not None else ExecutionOptions()
    if any(path == "-" for path, _ in inputs):
        if resume:
            raise InputError("standard input (-) cannot be read again: --resume needs files")
        execution = ExecutionOptions()  # a worker cannot read this process's standard input
    total_bytes = input_bytes(inputs)
    execution = execution.sized_for(total_bytes)
    target = execution.shard_bytes or shard_target(inputs, execution.workers)
    index = NearDuplicateIndex(options.dup_threshold, options.num_perm, options.seed) if options.near_duplicates else None
    extra = tuple(annotator.fields) if annotator is not None else ()
    schema = arrow_schema(options.num_perm, with_clusters=False, extra=extra)
    checkpoint = None
    if out is not None:
        checkpoint = Checkpoint.open(out, _identity(inputs, options, annotator), schema, target, resume)
        target = checkpoint.shard_bytes
    kept: list[pa.Table] = []  # the rows, when there is no checkpoint to keep them
    documents = text_bytes = shards = resumed = 0
    evasion = {"documents": 0, "characters": 0}  # documents with evasion characters, and how many in all
    # Progress in input bytes: each shard counts as its planned size once done; while it streams,
    # as much of it as the text read so far (text and file bytes differ: JSON keys, escapes, compression).
    planned: dict[int, int] = {}
    done_bytes = shard_text_now = 0

    def planning(plan: Iterable[Shard]) -> Iterator[Shard]:
        for shard in plan:
            planned[shard.index] = shard.bytes
            yield shard

    def shard_done(shard: int) -> None:
        nonlocal done_bytes, shard_text_now
        done_bytes, shard_text_now = done_bytes + planned.pop(shard, 0), 0

    def take(table: pa.Table, table_text_bytes: int) -> None:
        nonlocal documents, text_bytes, shard_text_now
        if index is not None:
            index.add(signature_matrix(table, options.num_perm))
        counts = numpy_from_column(table.column("evasion_chars"))
        evasion["documents"] += int(np.count_nonzero(counts))
        evasion["characters"] += int(counts.sum())
        documents += table.num_rows
        text_bytes += table_text_bytes
        shard_text_now += table_text_bytes
        if progress is not None:
            reading = min(shard_text_now, planned.get(shards, 0))
            progress(Progress(documents, text_bytes, time.perf_counter() - start, done_bytes + reading, total_bytes))

    def complete(saved: SavedShard, state: object, shard_start: int) -> None:
        report.merge(saved.report)
        if annotator is not None:
            annotator.absorb(state, shard_start)

    def resume_shard(shard: int, span: Span | None) -> None:
        assert checkpoint is not None
        saved, shard_start = checkpoint.load(shard, span), documents
        shard_text = saved.text_bytes
        for batch in checkpoint.batches(shard):
            take(pa.Table.from_batches([batch]), shard_text)
            shard_text = 0  # counted once, with the first batch
        if documents - shard_start != saved.rows:
            raise InputError(f"{checkpoint.directory}: damaged checkpoint (shard {shard} has {documents - shard_start} rows, "
                             f"not {saved.rows}); run again without --resume")
        complete(saved, annotator.load(saved.annotation) if annotator is not None and saved.annotation is not None else None, shard_start)

    def run_shard(shard: int, parts: Iterable[ShardResult]) -> None:
        shard_start, shard_text = documents, 0
        with checkpoint.writer(shard) if checkpoint is not None else nullcontext() as writer:
            for part in parts:
                if part.error is not None:
                    raise part.error
                if part.table.num_rows:
                    table = offset_rows(part.table, shard_start)
                    take(table, part.text_bytes)
                    shard_text += part.text_bytes
                    if writer is not None:
                        writer.write(table)
                    else:
                        kept.append(table)
                if part.report is not None:
                    dumped = annotator.dump(part.annotation) if annotator is not None and writer is not None else None
                    saved = SavedShard(documents - shard_start, shard_text, part.report, dumped, part.span)
                    if writer is not None:
                        writer.complete(saved)
                    complete(saved, part.annotation, shard_start)

    try:
        tasks = (ShardTask(shard, options, schema, annotator.spawn() if annotator is not None else None,
                           resumed=checkpoint is not None and i in checkpoint.completed)
                 for i, shard in enumerate(planning(plan_shards(inputs, target))))
        # In this process a shard streams batch by batch; a worker sends its shard in one part.
        work = shard_parts if execution.in_process else fingerprint_shard
        with closing(run_ordered(work, tasks, execution)) as results:
            for parts in results:
                parts = iter(parts)
                first = next(parts)
                if first.resumed:
                    resume_shard(shards, first.span)
                    resumed += 1
                else:
                    run_shard(shards, itertools.chain([first], parts))
                shard_done(shards)
                shards += 1
        if documents == 0:
            raise nothing_read(paths, report)
    except BaseException as err:
        # Keep completed shards for --resume after an interruption (Ctrl-C, a killed worker, a full
        # disk); not after an input error, which the input must change to fix (resuming refuses then).
        input_error = isinstance(err, AuditorError) and not isinstance(err, OutOfSpace)
        if checkpoint is not None and (input_error or not (checkpoint.completed or shards > resumed)):
            assert out is not None  # a checkpoint exists only beside an output
            discard(out)
        raise
    if index is None:
        labels = np.full(documents, -1, dtype=np.int64)
        near_dup: NearDuplicateBlock = {"enabled": False}
    else:
        labels = index.clusters()
        near_dup = {"enabled": True, **cluster_summary(labels, options.dup_threshold, index.bands)}
    summary = _summary(paths, report, options, near_dup, evasion)
    late = list(conclude(summary)) if conclude is not None else []
    final_schema = arrow_schema(options.num_perm, extra=extra)
    for column in late:
        final_schema = final_schema.insert(final_schema.get_field_index(column.after) + 1, column.field)

    def completed(chunk: pa.Table, done: int) -> pa.Table:
        """``chunk`` (rows ``done`` on) with its cluster ids and late columns, in ``final_schema``."""
        rows = slice(done, done + chunk.num_rows)
        named = {**dict(zip(schema.names, chunk.columns)), "dup_cluster": cluster_column(labels[rows]),
                 **{column.field.name: array_from_numpy(column.values[rows]) for column in late}}
        return pa.Table.from_arrays([named[name] for name in final_schema.names], schema=final_schema)

    if checkpoint is None:
        table = completed(pa.concat_tables(kept) if kept else pa.Table.from_batches([], schema=schema), 0)
        return FingerprintResult(summary, table.to_pandas(), time.perf_counter() - start, text_bytes, workers=execution.workers)
    assert out is not None  # a checkpoint exists only beside an output

    # Second pass: copy the shards into the output, adding the cluster ids, in row groups of a fixed size.
    with writing_table(out, final_schema, summary) as write:
        done = 0
        batches = (batch for shard in range(shards) for batch in checkpoint.batches(shard))
        for chunk in fixed_size(batches, schema, ROW_GROUP_ROWS):
            write(completed(chunk, done))
            done += chunk.num_rows
    discard(out)
    sidecar = None if output_format_for(out).holds_metadata else summary_sidecar(out)
    return FingerprintResult(summary, None, time.perf_counter() - start, text_bytes, shards, resumed, execution.workers, sidecar)


def _refuse_output_among_inputs(out: Path, paths: Sequence[str], fmt: str) -> None:
    sidecar = summary_sidecar(out)
    targets = {out.resolve(): str(out), sidecar.resolve(): f"{out}'s summary {sidecar}"}
    for path, _ in expand_inputs(paths, fmt):
        hit = targets.get(Path(path).resolve()) if path != "-" else None
        if hit is not None:
            raise InputError(f"--out {hit} is also one of the inputs: choose an output path outside the corpus")


def read_metadata(path: str | os.PathLike[str]) -> dict[str, object]:
    """The summary written with a fingerprint table: a Parquet file's metadata, or a CSV/TSV/JSONL table's sidecar."""
    return read_summary(path)
