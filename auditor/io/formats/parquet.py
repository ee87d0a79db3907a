"""Parquet records: read in batches of row groups, only the needed columns."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import cast

import pyarrow as pa
import pyarrow.parquet as pq

from auditor.errors import InputError
from auditor.io.documents import DEFAULT_ID_FIELD, Fields, ReaderOptions
from auditor.io.formats.interface import INVALID_UTF8, MISSING, Bad, Event, Piece, Record, RecordFormat, unique_names
from auditor.io.problems import ReadReport
from auditor.io.source import display_path, open_raw
from auditor.regular_files import open_regular

BATCH_SIZE = 1024  # rows decoded at a time


def _is_text_type(type_: pa.DataType) -> bool:
    if pa.types.is_dictionary(type_):
        return _is_text_type(type_.value_type)
    return pa.types.is_string(type_) or pa.types.is_large_string(type_) or pa.types.is_string_view(type_) or pa.types.is_null(type_)


def iter_parquet(
    path: str,
    text_field: str,
    id_field: str | None,
    batch_size: int = 1024,
    extra_fields: tuple[str, ...] = (),
    all_fields: bool = False,
    row_groups: tuple[int, int | None] | None = None,
    first_row: int = 1,
    name: str | None = None,
) -> Iterator[Event]:
    """Rows in batches, reading only the text (and id, and extra) columns; ``record`` is the 1-based row.

    Extra field values are the column values as Python objects (``to_pylist``);
    None for a column the file lacks. With ``all_fields`` every column is read
    and the fields are all of them, in schema order (a repeated column name
    gets ``.1``, ``.2``, ...). ``row_groups`` ``(start, stop)`` reads only those
    row groups (a shard), whose first row is ``first_row``; ``stop`` None: to the last.
    ``name``: the path for messages (``path`` may be its absolute form).
    """
    location, path = path, name or path
    handle = open_raw(location, path)  # a regular file only: pyarrow reads what it is handed
    try:
        parquet = pq.ParquetFile(handle)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # a damaged footer can hold a column name that is not UTF-8
        handle.close()
        raise InputError(f"{path}: not a valid Parquet file ({_one_line(exc)}); check the file, or pass --format if it is another format") from None
    with handle, parquet:
        groups = None
        if row_groups is not None:
            groups = list(range(row_groups[0], row_groups[1] if row_groups[1] is not None else parquet.metadata.num_row_groups))
        schema = parquet.schema_arrow
        if text_field not in schema.names:
            listed = ", ".join(repr(name) for name in schema.names)
            raise InputError(f"{path}: no {text_field!r} column (columns: {listed}); pass --text-field with the name of the text column")
        text_type = schema.field(text_field).type
        if not _is_text_type(text_type):
            raise InputError(
                f"{path}: column {text_field!r} has type {text_type}, not string; pass --text-field with the name of a text column"
            )
        with_id = id_field is not None and id_field != text_field and id_field in schema.names
        if all_fields:
            yield from _parquet_all_fields(parquet, path, text_field, id_field, batch_size, groups, first_row)
            return
        columns = [text_field, cast(str, id_field)] if with_id else [text_field]  # with_id: id_field is a column name
        for name in extra_fields:
            if name in schema.names and name not in columns:
                columns.append(name)
        extra_positions = [columns.index(name) if name in columns else None for name in extra_fields]
        row = first_row - 1
        for batch in _parquet_batches(parquet, path, batch_size, columns, groups, row):
            # Each needed column converted once, in the order of ``columns`` (looked up
            # by name: the batch's column order is the reader's, not necessarily ours).
            names = batch.schema.names
            lists, bad = _batch_values([batch.column(names.index(name)) for name in columns], path, row)
            texts = cast("list[str | None]", lists[0])  # a string (or null) column: checked by _is_text_type above
            if with_id:
                ids: Sequence[object] = lists[1]
            elif id_field is not None and id_field == text_field:
                ids = texts
            else:
                ids = [MISSING] * len(texts)
            if not extra_fields:
                for i, (text, id_value) in enumerate(zip(texts, ids)):
                    row += 1
                    if text is None:
                        yield Bad(row, "missing_text", f"{text_field!r} is null")
                    else:
                        yield Record(row, text, id_value, _INVALID_CELLS if i in bad else ())
                continue
            absent = [None] * len(texts)
            extra_columns = [lists[i] if i is not None else absent for i in extra_positions]
            for i, (text, id_value, values) in enumerate(zip(texts, ids, zip(*extra_columns))):
                row += 1
                if text is None:
                    yield Bad(row, "missing_text", f"{text_field!r} is null")
                else:
                    yield Record(row, text, id_value, _INVALID_CELLS if i in bad else (), Fields(dict(zip(extra_fields, values))))


def _parquet_batches(
    parquet: pq.ParquetFile, path: str, batch_size: int, columns: list[str] | None, groups: list[int] | None, row: int
) -> Iterator[pa.RecordBatch]:
    """Record batches; a decoding failure becomes an InputError naming the file and the last good row."""
    shard = {} if groups is None else {"row_groups": groups}
    batches = parquet.iter_batches(batch_size=batch_size, columns=columns, **shard)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: corrupt Parquet data after row {row} ({_one_line(exc)}); check the file") from None
        row += batch.num_rows
        yield batch


def _parquet_all_fields(
    parquet: pq.ParquetFile, path: str, text_field: str, id_field: str | None, batch_size: int, groups: list[int] | None, first_row: int
) -> Iterator[Event]:
    """Every column of every row (the ``all_fields`` case of :func:`iter_parquet`)."""
    names = parquet.schema_arrow.names
    keys = unique_names(list(names))
    text_index = names.index(text_field)
    # As in iter_parquet: the text column doubles as the id when named so; an absent id column is no id.
    id_index = names.index(id_field) if id_field is not None and id_field in names else None
    row = first_row - 1
    for batch in _parquet_batches(parquet, path, batch_size, None, groups, row):
        lists, bad = _batch_values(batch.columns, path, row)
        for i, values in enumerate(zip(*lists)):
            row += 1
            text = values[text_index]
            if text is None:
                yield Bad(row, "missing_text", f"{text_field!r} is null")
            else:
                id_value = values[id_index] if id_index is not None else MISSING
                yield Record(row, text, id_value, _INVALID_CELLS if i in bad else (), Fields(dict(zip(keys, values))))


_INVALID_CELLS = ((INVALID_UTF8, "invalid UTF-8 bytes replaced with U+FFFD"),)


def _one_line(exc: BaseException) -> str:
    """An Arrow error message on one line (Parquet errors carry newlines; an ``error:`` message is one line)."""
    return " ".join(str(exc).split())


def _batch_values(columns: Sequence[pa.Array], path: str, row: int) -> tuple[list[list[object]], set[int]]:
    """Each column's Python values (``to_pylist``), and the batch positions of the rows repaired.

    pyarrow does not check that a Parquet string column holds UTF-8 (a buggy writer, a
    flipped bit), and ``to_pylist`` then raised a UnicodeDecodeError that named no file.
    A string column is decoded with U+FFFD instead, as the other formats are, its rows
    with invalid bytes counted as ``invalid_utf8`` repairs; another column (a list of
    strings, say) fails naming the file. ``row``: the file's row before the batch.
    """
    lists: list[list[object]] = []
    bad: set[int] = set()
    for column in columns:
        try:
            lists.append(column.to_pylist())
        except UnicodeDecodeError as exc:
            values = _decode_strings(column, bad)
            if values is None:
                raise InputError(f"{path}: invalid UTF-8 in Parquet data after row {row} ({exc}); check the file") from None
            lists.append(values)
    return lists, bad


def _decode_strings(column: pa.Array, bad: set[int]) -> list[object] | None:
    """A string column's values with invalid UTF-8 replaced (positions added to ``bad``); None for another type."""
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    binary = {pa.string(): pa.binary(), pa.large_string(): pa.large_binary(), pa.string_view(): pa.binary_view()}.get(column.type)
    if binary is None:
        return None
    values: list[object] = []
    for i, raw in enumerate(column.view(binary).to_pylist()):
        try:
            values.append(raw if raw is None else raw.decode("utf-8"))
        except UnicodeDecodeError:
            values.append(raw.decode("utf-8", "replace"))
            bad.add(i)
    return values


class ParquetFormat(RecordFormat):
    """Rows of a Parquet file, read in batches, only the needed columns; splits into runs of row groups."""

    name = "parquet"
    extensions = (".parquet",)
    compressible = False  # needs random access

    def read(self, piece: Piece, options: ReaderOptions, report: ReadReport) -> Iterator[Event]:
        path = display_path(piece.path)
        if path == "-":
            raise InputError("-: Parquet cannot be read from standard input; save it to a file and pass its path")
        events = iter_parquet(
            piece.open_path, options.text_field, options.id_field or DEFAULT_ID_FIELD, BATCH_SIZE, options.extra_fields,
            options.all_fields, None if piece.whole else (piece.start, piece.stop), piece.first_record, path,
        )
        first = next(events, None)  # opens and validates the file
        report.files_read += piece.opens_file
        report.bytes_read += os.path.getsize(piece.open_path) if piece.opens_file and os.path.isfile(piece.open_path) else 0
        if first is not None:
            yield first
            yield from events

    def split(self, path: str, location: str, size: int, target: int) -> Iterator[tuple[Piece, int]]:
        if size > target:
            return _row_group_runs(path, location, size, target)
        return super().split(path, location, size, target)


def _row_group_runs(path: str, location: str, size: int, target: int) -> Iterator[tuple[Piece, int]]:
    """Runs of row groups of about ``target`` bytes (by compressed size), each with its first row."""
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


def _group_bytes(group: pq.RowGroupMetaData) -> int:
    return sum(group.column(i).total_compressed_size for i in range(group.num_columns))


FORMAT = ParquetFormat()
