"""CSV / TSV records: a header row naming the text column, one record per row."""

from __future__ import annotations

import csv
import io
import itertools
import os
import sys
from collections.abc import Iterator

from auditor.errors import InputError
from auditor.io.documents import DEFAULT_ID_FIELD, NO_FIELDS, Fields, ReaderOptions
from auditor.io.formats.interface import INVALID_UTF8, MISSING, Bad, Event, Piece, Record, RecordFormat, unique_names
from auditor.io.problems import ReadReport
from auditor.io.source import STREAM_ERRORS, Source, has_surrogates, split_compression, stream_error_detail, stream_records


def _raise_field_size_limit() -> None:
    # The default 128 KiB cap rejects ordinary long documents; the C limit is a long.
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 2


def _unescape(value: str) -> tuple[str, bool]:
    """Undo surrogateescape decoding: invalid bytes become U+FFFD, like JSONL lines."""
    if not has_surrogates(value):
        return value, False
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), True


# A line read after the file's last: a high surrogate, which the decoding above never yields. A row
# ending with it had a quoted field still open at the end of the file, that swallowed every line after
# its start; without the marker the csv module returns that row as if it were one valid record.
_CSV_END = "\ud800"


def iter_csv(
    source: Source,
    path: str,
    delimiter: str,
    text_field: str,
    id_field: str | None,
    extra_fields: tuple[str, ...] = (),
    all_fields: bool = False,
) -> Iterator[Event]:
    """Rows after the header; ``record`` is the physical line where the row starts.

    Extra field values are the cells as strings (None for a column the header
    lacks); invalid UTF-8 in a requested cell is repaired like the text's. With
    ``all_fields`` the fields are every column in header order (a repeated
    header name gets ``.1``, ``.2``, ...).
    """
    _raise_field_size_limit()
    # surrogateescape keeps undecodable bytes so they can be attributed to one row.
    text_stream = io.TextIOWrapper(source.stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(itertools.chain(text_stream, [_CSV_END]), delimiter=delimiter)
    header: list[str] | None = None
    text_index = 0
    id_index: int | None = None
    extra_indices: list[int | None] = []
    names: list[str] = []
    last_line = 0
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if reader.line_num == last_line:
                return  # nothing consumed: stop rather than loop
            last_line = reader.line_num
            yield Bad(start, "invalid_csv", str(exc))
            continue
        except STREAM_ERRORS as exc:
            yield Bad(start, "truncated_stream", stream_error_detail(exc, source.compression))
            return
        last_line = reader.line_num
        if row == [_CSV_END]:
            return
        if row and row[-1].endswith(_CSV_END):
            yield Bad(start, "invalid_csv", "a quoted field starting in this row never closes: the rest of the file was read "
                                            "into it (an unbalanced quote?)")
            return
        if not row:
            continue  # blank line
        if header is None:
            header = row
            if text_field not in header:
                columns = ", ".join(repr(_unescape(c)[0]) for c in header)
                raise InputError(
                    f"{path}: the header has no {text_field!r} column (columns: {columns}); "
                    "pass --text-field with the name of the text column"
                )
            text_index = header.index(text_field)
            id_index = header.index(id_field) if id_field is not None and id_field in header else None
            extra_indices = [header.index(name) if name in header else None for name in extra_fields]
            if all_fields:
                names = unique_names([_unescape(name)[0] for name in header])
            continue
        if len(row) != len(header):
            yield Bad(start, "ragged_row", f"{len(row)} fields, the header has {len(header)}")
            continue
        text, bad_text = _unescape(row[text_index])
        id_value: object = MISSING
        bad_id = False
        if id_index is not None:
            id_value, bad_id = _unescape(row[id_index])
        fields = NO_FIELDS
        bad_extra = False
        if all_fields:
            cells: dict[str, object] = {}
            for name, cell in zip(names, row):
                cells[name], bad = _unescape(cell)
                bad_extra = bad_extra or bad
            fields = Fields(cells)
        elif extra_fields:
            values: dict[str, object] = {}
            for name, index in zip(extra_fields, extra_indices):
                if index is None:
                    values[name] = None
                else:
                    values[name], bad = _unescape(row[index])
                    bad_extra = bad_extra or bad
            fields = Fields(values)
        repairs = ((INVALID_UTF8, "invalid UTF-8 bytes replaced with U+FFFD"),) if bad_text or bad_id or bad_extra else ()
        yield Record(start, text, id_value, repairs, fields)


def delimiter_for(path: str) -> str:
    """Tab for ``.tsv`` (also compressed), comma otherwise."""
    base, _ = split_compression(os.path.basename(path))
    return "\t" if base.endswith(".tsv") else ","


class CsvFormat(RecordFormat):
    """A header row naming the columns, one record per row (``.csv``; ``.tsv`` tab-separated; also compressed).

    Never split: a quoted field may span lines, so a byte offset cannot be trusted to start a row.
    """

    name = "csv"
    extensions = (".csv", ".tsv")

    def read(self, piece: Piece, options: ReaderOptions, report: ReadReport) -> Iterator[Event]:
        def records(source: Source, path: str) -> Iterator[Event]:
            delimiter = "," if path == "-" else delimiter_for(path)
            return iter_csv(source, path, delimiter, options.text_field, options.id_field or DEFAULT_ID_FIELD,
                            options.extra_fields, options.all_fields)

        return stream_records(piece, report, records)


FORMAT = CsvFormat()
