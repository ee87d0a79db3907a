"""Writing records and tables as text: JSONL (one JSON object per line) and CSV/TSV (a header, one row each).

JSONL holds every value as JSON: nested values stay nested (``reasons`` and ``minhash`` are
arrays, a null is ``null``), and the values JSON has no type for (from Parquet inputs) are
written as text (:func:`json_default`). CSV holds only text, so a cell is (:func:`csv_cell`):
a string as it is; nothing (null, or a field the record lacks) as an empty cell; ``true`` /
``false``; a number, list or object as its JSON text (``reasons`` as ``["near-duplicate-of:a"]``,
``minhash`` as ``[1, 2, ...]``: ``json.loads`` reads them back); other values as JSON does.
Files are UTF-8 without a byte-order mark, CSV quoted as RFC 4180 wants (only cells that need
it). Neither format can store text that is not valid Unicode: JSONL keeps lone surrogates
escaped (``"\\ud800"``, they round-trip); a CSV cell gets U+FFFD for them, as Parquet does.

A CSV file has one header, so a record writer holds the records (in a staging file in a
scratch directory beside the output) until the last one has named every column, as the
Parquet writer does for its types; auditor field names are then decided once for the file
(:func:`auditor_name`).
"""

from __future__ import annotations

import base64
import csv
import datetime
import decimal
import io
import json
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from auditor.atomic import naming_full_disk
from auditor.io.source import repair_surrogates

_STAGED_ROWS = "rows.jsonl"
_FLUSH_ROWS = 1024  # CSV rows formatted before their bytes are written


def auditor_name(name: str, taken: Mapping[str, object] | set[str]) -> str:
    """``name``, or ``auditor_<name>`` (repeatedly prefixed) while an original field has that name."""
    while name in taken:
        name = f"auditor_{name}"
    return name


def json_default(value: object) -> object:
    """Values JSON cannot represent (from Parquet inputs) as text: ISO 8601, decimal digits, base64."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot write a {type(value).__name__} value as JSON")


def to_json(value: object) -> str:
    """Compact JSON text of ``value``; lone surrogates (from ``"\\ud800"`` escapes) stay escaped, so they round-trip."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=json_default)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, separators=(", ", ": "), default=json_default)
    return text


def csv_cell(value: object) -> str:
    """The text of one CSV cell (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return repair_surrogates(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, list, tuple, dict)):
        return repair_surrogates(to_json(value))
    text = json_default(value)
    return text if isinstance(text, str) else to_json(text)


class JsonlRecordWriter:
    """One JSON object per line, original keys first (in their order), then the auditor's.

    ``target``: the output the stream will become, named when the disk fills up
    (:class:`~auditor.errors.OutOfSpace`): a run writes two outputs at once, so the
    writer, not the block around both, knows which one failed.
    """

    def __init__(self, stream: BinaryIO, target: Path) -> None:
        self._stream, self._target = stream, target
        self.json_columns: dict[str, None] = {}  # JSONL needs none; for symmetry with Parquet

    def finish(self) -> None:
        """Write out buffered lines; the stream's owner closes it (and a compressor's frame)."""
        with naming_full_disk(self._target):
            self._stream.flush()

    def write(self, fields: Mapping[str, object], auditor: Mapping[str, object]) -> None:
        record = dict(fields)
        for name, value in auditor.items():
            record[auditor_name(name, record)] = value
        with naming_full_disk(self._target):
            self._stream.write(to_json(record).encode("utf-8") + b"\n")


class CsvRows:
    """CSV rows into a byte stream, formatted in batches (the csv module writes text; the stream takes bytes)."""

    def __init__(self, stream: BinaryIO, delimiter: str, target: Path) -> None:
        self._stream, self._target = stream, target
        self._buffer = io.StringIO()
        self._rows = csv.writer(self._buffer, delimiter=delimiter)
        self._pending = 0

    def write(self, cells: Sequence[str]) -> None:
        self._rows.writerow(cells)
        self._pending += 1
        if self._pending >= _FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        with naming_full_disk(self._target):
            self._stream.write(self._buffer.getvalue().encode("utf-8"))
            self._stream.flush()
        self._buffer.seek(0)
        self._buffer.truncate()
        self._pending = 0


class CsvRecordWriter:
    """Records as CSV/TSV rows under one header: every original column in first-seen order, then the auditor's.

    Each record's cells are staged in ``scratch`` as it comes; :meth:`finish` writes the header
    and the rows (a cell for a column a record lacks is empty).
    """

    def __init__(self, stream: BinaryIO, delimiter: str, scratch: Path, auditor_fields: Sequence[pa.Field], target: Path) -> None:
        self._rows = CsvRows(stream, delimiter, target)
        self._target = target
        self._auditor = [field.name for field in auditor_fields]
        self._names: dict[str, None] = {}
        self._staging_path = scratch / _STAGED_ROWS
        self._staging = open(self._staging_path, "w", encoding="utf-8")
        self.json_columns: dict[str, None] = {}  # every non-text value is JSON text in CSV: none to list
        self._finished = False

    def write(self, fields: Mapping[str, object], auditor: Mapping[str, object]) -> None:
        # Names repaired as values are: a JSON key may hold a lone surrogate, which UTF-8 cannot encode.
        cells = {repair_surrogates(name): csv_cell(value) for name, value in fields.items()}
        self._names.update(dict.fromkeys(cells))
        with naming_full_disk(self._target):
            self._staging.write(json.dumps([cells, [csv_cell(auditor[name]) for name in self._auditor]], ensure_ascii=False) + "\n")

    def close_staging(self) -> None:
        self._staging.close()

    def finish(self) -> None:
        """Write the header and every row (later calls do nothing)."""
        if self._finished:
            return
        self._finished = True
        self.close_staging()
        taken = set(self._names)
        header = list(self._names)
        for name in self._auditor:
            header.append(auditor_name(name, taken))
            taken.add(header[-1])
        self._rows.write(header)
        with open(self._staging_path, encoding="utf-8") as staged:
            for line in staged:
                cells, auditor = json.loads(line)
                self._rows.write([cells.get(name, "") for name in self._names] + auditor)
        self._rows.flush()


class TextTableWriter:
    """Arrow tables of one schema as JSONL lines or CSV rows (a header from the schema first), for whole tables."""

    def __init__(self, stream: BinaryIO, kind: str, delimiter: str, names: Sequence[str], target: Path) -> None:
        self._lines = JsonlRecordWriter(stream, target) if kind == "jsonl" else None
        self._rows = CsvRows(stream, delimiter, target)
        if self._lines is None:
            self._rows.write(list(names))

    def write(self, table: pa.Table) -> None:
        for row in table.to_pylist():
            if self._lines is not None:
                self._lines.write(row, {})
            else:
                self._rows.write([csv_cell(value) for value in row.values()])

    def finish(self) -> None:
        if self._lines is not None:
            self._lines.finish()
        else:
            self._rows.flush()
