"""Record files for ``auditor filter``: Parquet here, JSONL and CSV/TSV in :mod:`auditor.io.text_writers`.

``auditor filter`` writes every document back as a record: its original fields,
values unchanged, followed by the auditor's fields. The format is the one the
file's name asks for (:func:`auditor.io.formats.output.output_format_for`: the
same names the readers accept, ``.txt`` aside). An auditor field never
overwrites an original one: when the name is taken it is written as
``auditor_<name>`` (prefixed again while still taken). JSONL is schemaless, so
this is decided per record; a Parquet or CSV file has one schema or header, so
there it is decided per file (the name is taken when any record has that field).

Every writer streams and writes atomically (a temporary name renamed on success).
Parquet needs one type per column, which a JSONL corpus does not promise, so
the Parquet writer stages batches in Arrow IPC files in a hidden scratch
directory beside the output (:func:`auditor.atomic.scratch_dir`) and writes the file at the end with one type per
column: compatible types are widened (a column that is null in some batches
takes the others' type, integers mixed with decimals become floats, objects
with different keys become one struct with every key); a column whose values
have no common Parquet type (a number in one record and text in another) is
written as JSON text and listed in :attr:`ParquetRecordWriter.json_columns`.
The auditor's integer fields (``dup_cluster``) are Arrow ``int64`` with nulls;
the file also tells pandas so (``pandas`` metadata naming them ``Int64``), else
``pd.read_parquet`` would read a column with nulls as float64.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from auditor.atomic import atomic_path, naming_full_disk, scratch_dir
from auditor.io.formats.output import OutputFormat, RecordWriter, byte_stream, output_format_for
from auditor.io.source import repair_surrogates
from auditor.io.table_output import METADATA_KEY
from auditor.io.text_writers import CsvRecordWriter, JsonlRecordWriter, auditor_name, to_json

BATCH_ROWS = 1024
BATCH_CHARS = 16_000_000
_ORIGINAL, _AUDITOR = "o:", "a:"  # staging column prefixes: an original name can never shadow an auditor one
_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, UnicodeEncodeError, TypeError, ValueError)


# Arrow refuses to write types nested deeper than 64 levels ("Max recursion depth reached");
# a field nested deeper than this is stored as JSON text instead.
_MAX_NESTING = 32


def _storable(type_: pa.DataType, depth: int = 0) -> bool:
    """Whether Parquet can store the type (not a struct without fields, e.g. from ``{}``, nor too deep a nesting)."""
    if depth > _MAX_NESTING:
        return False
    if pa.types.is_struct(type_):
        return type_.num_fields > 0 and all(_storable(type_.field(i).type, depth + 1) for i in range(type_.num_fields))
    if pa.types.is_list(type_) or pa.types.is_large_list(type_) or pa.types.is_fixed_size_list(type_):
        return _storable(type_.value_type, depth + 1)
    if pa.types.is_map(type_):
        return _storable(type_.key_type, depth + 1) and _storable(type_.item_type, depth + 1)
    return True


def _repaired(value: object) -> object:
    """Lone surrogates replaced with U+FFFD, at any depth (Parquet strings must be valid UTF-8)."""
    if isinstance(value, str):
        return repair_surrogates(value)
    if isinstance(value, dict):
        return {repair_surrogates(k) if isinstance(k, str) else k: _repaired(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_repaired(v) for v in value]
    return value


def _json_array(values: Sequence[object]) -> pa.Array:
    return pa.array([None if v is None else to_json(v) for v in values], pa.string())


def _typed_array(values: list[object]) -> pa.Array | None:
    """The values as one Arrow array Parquet can store, or None when they have no common type."""
    for attempt in (values, None):
        try:
            array = pa.array(values if attempt is not None else [_repaired(v) for v in values])
        except _CONVERSION_ERRORS:
            continue
        return array if _storable(array.type) else None
    return None


class _Piece:
    """One staging file: consecutive batches with the same schema and the same JSON-encoded columns."""

    def __init__(self, path: Path, schema: pa.Schema, encoded: frozenset[str]) -> None:
        self.path, self.schema, self.encoded = path, schema, encoded
        self._sink = pa.OSFile(str(path), "wb")
        self._writer = pa.ipc.new_file(self._sink, schema)
        self._open = True

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        if self._open:
            self._open = False
            try:
                self._writer.close()
            finally:
                self._sink.close()

    def batches(self) -> Iterator[pa.RecordBatch]:
        with pa.memory_map(str(self.path)) as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)


class ParquetRecordWriter:
    """Stages records in Arrow IPC pieces, then writes one Parquet file with one type per column.

    Args:
        path: the (temporary) file to write at :meth:`finish`.
        scratch: a directory for the staging pieces (removed by the caller).
        auditor_fields: the auditor's columns, with their types, in order.
        metadata: JSON-ready file metadata, stored under the key ``auditor``
            (``json_columns`` is added).
        target: the output ``path`` will become, named when the disk fills up (default ``path``).
    """

    def __init__(self, path: Path, scratch: Path, auditor_fields: Sequence[pa.Field], metadata: Mapping[str, object],
                 target: Path | None = None) -> None:
        self._path, self._scratch = path, scratch
        self._target = target if target is not None else path
        self._auditor_fields = list(auditor_fields)
        self._metadata = dict(metadata)
        self._rows: list[Mapping[str, object]] = []
        self._auditor_rows: list[Mapping[str, object]] = []
        self._chars = 0
        self._names: dict[str, None] = {}  # original names, first-seen order
        self._pieces: list[_Piece] = []
        self.json_columns: dict[str, None] = {}
        self._finished = False

    def write(self, fields: Mapping[str, object], auditor: Mapping[str, object]) -> None:
        self._rows.append(fields)
        self._auditor_rows.append(auditor)
        self._chars += sum(len(v) for v in fields.values() if isinstance(v, str))
        if len(self._rows) >= BATCH_ROWS or self._chars >= BATCH_CHARS:
            with naming_full_disk(self._target):
                self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        names = dict.fromkeys(name for row in self._rows for name in row)
        self._names.update(names)
        arrays, fields, encoded = [], [], set()
        for name in names:
            values = [row.get(name) for row in self._rows]
            array = None if name in self.json_columns else _typed_array(values)
            if array is None:
                self.json_columns[name] = None
                array = _json_array(values)
                encoded.add(name)
            arrays.append(array)
            fields.append(pa.field(_ORIGINAL + name, array.type))
        for field in self._auditor_fields:
            arrays.append(pa.array([row[field.name] for row in self._auditor_rows], field.type))
            fields.append(pa.field(_AUDITOR + field.name, field.type))
        schema = pa.schema(fields)
        key = frozenset(encoded)
        if not self._pieces or self._pieces[-1].schema != schema or self._pieces[-1].encoded != key:
            if self._pieces:
                self._pieces[-1].close()
            self._pieces.append(_Piece(self._scratch / f"piece-{len(self._pieces):06d}.arrow", schema, key))
        self._pieces[-1].write(pa.RecordBatch.from_arrays(arrays, schema=schema))
        self._rows, self._auditor_rows, self._chars = [], [], 0

    def _target_types(self) -> dict[str, pa.DataType]:
        """One type per original column: the common type of its pieces, or JSON text when there is none."""
        targets: dict[str, pa.DataType] = {}
        for name in self._names:
            if name in self.json_columns:
                continue
            types = []
            for piece in self._pieces:
                index = piece.schema.get_field_index(_ORIGINAL + name)
                if index >= 0 and name not in piece.encoded and not pa.types.is_null(piece.schema.field(index).type):
                    types.append(piece.schema.field(index).type)
            distinct = list(dict.fromkeys(types))
            if not distinct:
                targets[name] = pa.null()
            elif len(distinct) == 1:
                targets[name] = distinct[0]
            else:
                try:
                    merged = pa.unify_schemas([pa.schema([pa.field(name, t)]) for t in distinct], promote_options="permissive")
                    target = merged.field(name).type
                    for piece in self._pieces:  # prove every piece converts before writing anything
                        if piece.schema.get_field_index(_ORIGINAL + name) >= 0:
                            for batch in piece.batches():
                                batch.column(_ORIGINAL + name).cast(target)
                except _CONVERSION_ERRORS:
                    self.json_columns[name] = None
                    continue
                if not _storable(target):
                    self.json_columns[name] = None
                    continue
                targets[name] = target
        for name in self.json_columns:
            targets[name] = pa.string()
        return {name: targets[name] for name in self._names}

    def close_pieces(self) -> None:
        for piece in self._pieces:
            piece.close()

    def finish(self) -> None:
        """Write the Parquet file after the last record (later calls do nothing)."""
        if self._finished:
            return
        self._finished = True
        with naming_full_disk(self._target):
            self._assemble()

    def _assemble(self) -> None:
        self._flush()
        self.close_pieces()
        targets = self._target_types()
        taken = set(self._names)
        names: dict[str, str] = {}
        for f in self._auditor_fields:
            names[f.name] = auditor_name(f.name, taken)
            taken.add(names[f.name])
        metadata = {**self._metadata, "json_columns": list(self.json_columns)}
        integers = [names[f.name] for f in self._auditor_fields if pa.types.is_integer(f.type)]
        schema = pa.schema(
            [pa.field(name, type_) for name, type_ in targets.items()]
            + [pa.field(names[f.name], f.type) for f in self._auditor_fields],
            metadata={METADATA_KEY: json.dumps(metadata, sort_keys=True).encode(), **pandas_integers(integers)},
        )
        with pq.ParquetWriter(self._path, schema) as writer:
            for piece in self._pieces:
                for batch in piece.batches():
                    columns = []
                    for name, target in targets.items():
                        index = batch.schema.get_field_index(_ORIGINAL + name)
                        if index < 0:
                            columns.append(pa.nulls(batch.num_rows, target))
                            continue
                        column = batch.column(index)
                        if name in self.json_columns and name not in piece.encoded:
                            column = _json_array(column.to_pylist())
                        elif column.type != target:
                            column = column.cast(target)
                        columns.append(column)
                    columns.extend(batch.column(_AUDITOR + f.name) for f in self._auditor_fields)
                    writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))
            if not self._pieces:
                writer.write_table(schema.empty_table())


def pandas_integers(names: Sequence[str]) -> dict[bytes, bytes]:
    """Schema metadata telling pandas to read the integer columns ``names`` as nullable ``Int64``.

    Only those columns are described: pyarrow converts every other column as it would without
    the metadata, and readers other than pandas ignore it.
    """
    if not names:
        return {}
    columns = [{"name": name, "field_name": name, "pandas_type": "int64", "numpy_type": "Int64", "metadata": None} for name in names]
    hint = {"index_columns": [], "column_indexes": [], "columns": columns, "creator": {"library": "auditor"}}
    return {b"pandas": json.dumps(hint).encode()}


@contextlib.contextmanager
def record_writer(
    path: str | Path, auditor_fields: Sequence[pa.Field], metadata: Mapping[str, object] | None = None, option: str = "output"
) -> Iterator[RecordWriter]:
    """Open a record file for writing in the format its name asks for; it appears at ``path`` only when the block succeeds.

    On an exception nothing is left behind: neither a partial file nor staging files.
    """
    fmt = output_format_for(path, option)
    with atomic_path(path) as tmp, writing_records(tmp, fmt, Path(path), auditor_fields, metadata) as writer:
        yield writer


@contextlib.contextmanager
def writing_records(
    file: Path, fmt: OutputFormat, target: Path, auditor_fields: Sequence[pa.Field], metadata: Mapping[str, object] | None = None
) -> Iterator[RecordWriter]:
    """Write records in format ``fmt`` straight into ``file``, complete when the block ends.

    ``target``: the output ``file`` will become (Parquet and CSV staging files go to a scratch
    directory beside it, removed at the end; a killed run's is removed by
    :func:`auditor.atomic.remove_leftovers`). The caller makes it atomic. ``metadata`` is
    stored in a Parquet file's schema; the other formats have no place for it (``auditor
    filter``'s manifest and summary say what the run was).
    """
    with contextlib.ExitStack() as stack:
        scratch = Path()
        if fmt.staged:
            scratch = scratch_dir(target)
            stack.callback(shutil.rmtree, scratch, True)
        writer: ParquetRecordWriter | CsvRecordWriter | JsonlRecordWriter
        if fmt.kind == "parquet":
            writer = ParquetRecordWriter(file, scratch, auditor_fields, metadata or {}, target)
            stack.callback(_quietly, writer.close_pieces)
        else:
            stream = stack.enter_context(byte_stream(file, fmt, target))
            if fmt.kind == "csv":
                writer = CsvRecordWriter(stream, fmt.delimiter, scratch, auditor_fields, target)
                stack.callback(writer.close_staging)
            else:
                writer = JsonlRecordWriter(stream, target)
        yield writer
        writer.finish()


def _quietly(close: Callable[[], None]) -> None:
    """Close staging files on the way out of a failed run, where a second error would hide the first."""
    with contextlib.suppress(Exception):
        close()
