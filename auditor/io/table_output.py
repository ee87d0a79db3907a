"""Whole tables in the format their name asks for (``auditor fingerprint --out``), with the run's summary.

Parquet keeps the table's types and holds the summary in its schema metadata (key ``auditor``).
CSV/TSV and JSONL keep the rows as text (:mod:`auditor.io.text_writers`: a list such as
``minhash`` is a JSON array, in a CSV cell as ``[1, 2, ...]``; a null is an empty cell or
``null``) and have no place for metadata, so the summary goes to a sidecar beside the table,
``<name>.summary.json`` (:func:`auditor.io.formats.output.summary_sidecar`; the JSON that
``--json`` prints): never dropped. :func:`read_summary` reads it back from either place.

Written atomically as a pair, as ``auditor filter``'s outputs are: the table and the sidecar
are complete under temporary names, then the old sidecar is removed, the table renamed into
place and the sidecar last, so a sidecar beside a table is that table's (none: a run was
interrupted while replacing them; run it again).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from auditor.atomic import atomic_path, naming_full_disk, staged_path
from auditor.errors import ConfigError
from auditor.io.formats.output import byte_stream, output_format_for, summary_sidecar
from auditor.io.text_writers import TextTableWriter

METADATA_KEY = b"auditor"


@contextlib.contextmanager
def writing_table(out: str | os.PathLike[str], schema: pa.Schema, summary: Mapping[str, object],
                  option: str = "--out") -> Iterator[Callable[[pa.Table], None]]:
    """Yield a function taking tables of ``schema`` in order; ``out`` (and its sidecar) appear when the block succeeds.

    On an exception nothing is left behind and earlier files are untouched. ``option`` names
    ``out`` in the error for a name no format answers to (:class:`~auditor.errors.ConfigError`).
    """
    fmt = output_format_for(out, option)
    target = Path(out)
    if fmt.holds_metadata:
        described = schema.with_metadata({METADATA_KEY: json.dumps(summary, sort_keys=True)})
        with atomic_path(target) as tmp, pq.ParquetWriter(tmp, described) as writer:
            yield writer.write_table
        return
    sidecar = summary_sidecar(target)
    with staged_path(target) as tmp, staged_path(sidecar) as sidecar_tmp:
        with naming_full_disk(target), byte_stream(tmp, fmt, target) as stream:
            rows = TextTableWriter(stream, fmt.kind, fmt.delimiter, schema.names, target)
            yield rows.write
            rows.finish()
        with naming_full_disk(sidecar):
            sidecar_tmp.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        # Only removals and renames from here: nothing left to fail for lack of space.
        sidecar.unlink(missing_ok=True)
        os.replace(tmp, target)
        os.replace(sidecar_tmp, sidecar)


def read_summary(path: str | os.PathLike[str]) -> dict[str, object]:
    """The summary written with the table at ``path``: its Parquet metadata, or its sidecar for CSV/TSV/JSONL.

    Raises ValueError when there is none (not written by ``auditor fingerprint``, or the run
    replacing the table was interrupted).
    """
    try:
        holds_metadata = output_format_for(path).holds_metadata
    except ConfigError:
        holds_metadata = True  # any other name: read as Parquet, as before there were other formats
    if holds_metadata:
        metadata = pq.read_schema(path).metadata or {}
        if METADATA_KEY not in metadata:
            raise ValueError(f"{path} has no auditor metadata: it was not written by 'auditor fingerprint'")
        return dict(json.loads(metadata[METADATA_KEY]))
    sidecar = summary_sidecar(path)
    try:
        return dict(json.loads(sidecar.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise ValueError(f"{path}: no {sidecar.name} beside it: not written by 'auditor fingerprint', or the run writing "
                         "it was interrupted; run it again") from None
