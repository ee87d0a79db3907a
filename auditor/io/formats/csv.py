"""CSV / TSV records: a header row naming the text column, one record per row.

The delimiter is ``--csv-delimiter``, else comma (tab for ``.tsv``), else, when the header read so
lacks the text column, the one :class:`csv.Sniffer` finds at the start of the file (a note says so):
a semicolon-separated export from a spreadsheet in a comma locale reads without a flag, and the
error, when it does not, says what was tried.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import sys
from collections.abc import Callable, Iterator

from auditor.errors import InputError
from auditor.io.documents import DEFAULT_ID_FIELD, NO_FIELDS, UTF8, Fields, ReaderOptions
from auditor.io.formats.interface import MISSING, Bad, Event, Piece, Record, RecordFormat, unique_names
from auditor.io.problems import CSV_DELIMITER, Problem, ReadReport
from auditor.io.source import (
    MARK_INVALID,
    STREAM_ERRORS,
    Source,
    has_surrogates,
    invalid_bytes,
    repair_surrogates,
    split_compression,
    stream_error_detail,
    stream_records,
)

_SNIFF_CHARS = 1 << 16  # characters of the file's start csv.Sniffer sees (and the lines they end in)
_SNIFF_DELIMITERS = ",;\t|"  # what it may pick: else a letter frequent in every line of prose can win


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
    """Invalid bytes (marked by :data:`~auditor.io.source.MARK_INVALID`) become U+FFFD, like JSONL lines'."""
    if not has_surrogates(value):
        return value, False
    return repair_surrogates(value), True


# A line read after the file's last: a high surrogate, which the decoding above never yields. A row
# ending with it had a quoted field still open at the end of the file, that swallowed every line after
# its start; without the marker the csv module returns that row as if it were one valid record.
_CSV_END = "\ud800"


class _Rewind:
    """A text stream's lines, those read before :meth:`release` kept, so the file can be read again from its start."""

    def __init__(self, stream: io.TextIOWrapper) -> None:
        self.stream = stream
        self.kept: list[str] | None = []

    def lines(self) -> Iterator[str]:
        for line in self.stream:
            if self.kept is None:
                yield line
                break
            self.kept.append(line)
            yield line
        yield from self.stream

    def release(self) -> None:
        """The header is read: nothing more to keep."""
        self.kept = None

    def again(self) -> Iterator[str]:
        """The lines read so far, then the rest of the stream."""
        assert self.kept is not None, "released"
        return itertools.chain(self.kept, self.stream)


def _shown(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def _header_columns(header: list[str]) -> str:
    return ", ".join(repr(_unescape(c)[0]) for c in header)


def _sniff(rewind: _Rewind, text_field: str, tried: str) -> tuple[str | None, str]:
    """``(delimiter, verdict)``: the delimiter csv.Sniffer finds at the start of the file when the header
    read with it names ``text_field`` (None otherwise), and what it found, for messages. ``tried``: the
    delimiter the header was read with."""
    assert rewind.kept is not None, "released"
    taken = "".join(rewind.kept)
    try:
        more = rewind.stream.read(max(_SNIFF_CHARS - len(taken), 0))
        more += rewind.stream.readline()  # whole lines: the sample must not end mid-row
    except STREAM_ERRORS as exc:
        return None, f"the file could not be read for csv.Sniffer ({exc})"
    sample = taken + more
    rewind.kept.extend(io.StringIO(more, newline=""))
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=_SNIFF_DELIMITERS).delimiter
        header = next((row for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if row), [])
    except csv.Error as exc:
        return None, f"and csv.Sniffer could not tell the delimiter from the start of the file ({exc})"
    if delimiter == tried:
        return None, "the delimiter csv.Sniffer finds too"
    if text_field in header:
        return delimiter, f"read with {_shown(delimiter)}, the delimiter csv.Sniffer finds"
    return None, f"nor with {_shown(delimiter)}, the delimiter csv.Sniffer finds (columns: {_header_columns(header)})"


def iter_csv(
    source: Source,
    path: str,
    delimiter: str,
    text_field: str,
    id_field: str | None,
    extra_fields: tuple[str, ...] = (),
    all_fields: bool = False,
    encoding: str = UTF8,
    note: Callable[[str], None] | None = None,
) -> Iterator[Event]:
    """Rows after the header; ``record`` is the physical line where the row starts.

    Extra field values are the cells as strings (None for a column the header
    lacks); bytes invalid in ``encoding`` in a requested cell are repaired like
    the text's. With ``all_fields`` the fields are every column in header order
    (a repeated header name gets ``.1``, ``.2``, ...). ``note``: ``delimiter`` is
    a default, and when the header lacks ``text_field`` the file is read again
    with the delimiter :func:`_sniff` finds, ``note`` told why.
    """
    _raise_field_size_limit()
    # Invalid bytes are marked, not replaced, so that they can be attributed to one row. A UTF-8 BOM is skipped.
    text_stream = io.TextIOWrapper(source.stream, encoding="utf-8-sig" if encoding == UTF8 else encoding, errors=MARK_INVALID,
                                   newline="")
    rewind = _Rewind(text_stream)
    reader = csv.reader(itertools.chain(rewind.lines(), [_CSV_END]), delimiter=delimiter)
    header: list[str] | None = None
    text_index = 0
    id_index: int | None = None
    extra_indices: list[int | None] = []
    names: list[str] = []
    last_line = 0
    data_rows = 0  # rows after the header, blank lines not counted (Record.row_in_file)
    rewindable = note is not None  # until something was said about a line before the header
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
            rewindable = False
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
            if text_field not in row:
                tried = f"with {_shown(delimiter)} as the delimiter"
                if note is not None and rewindable:
                    sniffed, verdict = _sniff(rewind, text_field, delimiter)
                    if sniffed is not None:
                        note(f"the header has no {text_field!r} column {tried}: {verdict} (pass --csv-delimiter "
                             f"{sniffed!r} to say so)")
                        reader = csv.reader(itertools.chain(rewind.again(), [_CSV_END]), delimiter=sniffed)
                        delimiter, last_line = sniffed, 0
                        continue
                    tried += f", {verdict}"
                raise InputError(
                    f"{path}: the header has no {text_field!r} column (columns: {_header_columns(row)}) {tried}; "
                    "pass --text-field with the name of the text column, or --csv-delimiter with the file's delimiter"
                )
            header = row
            rewind.release()
            text_index = header.index(text_field)
            id_index = header.index(id_field) if id_field is not None and id_field in header else None
            extra_indices = [header.index(name) if name in header else None for name in extra_fields]
            if all_fields:
                names = unique_names([_unescape(name)[0] for name in header])
            continue
        data_rows += 1
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
        repairs = (invalid_bytes(encoding, "bytes"),) if bad_text or bad_id or bad_extra else ()
        yield Record(start, text, id_value, repairs, fields, data_rows - 1)


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
            delimiter = options.csv_delimiter or ("," if path == "-" else delimiter_for(path))

            def note(detail: str) -> None:
                report.add_note(Problem(path, None, CSV_DELIMITER, detail))

            return iter_csv(source, path, delimiter, options.text_field, options.id_field or DEFAULT_ID_FIELD,
                            options.extra_fields, options.all_fields, options.encoding,
                            None if options.csv_delimiter else note)

        return stream_records(piece, report, records, options.encoding)


FORMAT = CsvFormat()
