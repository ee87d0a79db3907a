"""The auditor's own outputs among the files the hook is given, recognised by what they hold.

A data repository commits what the auditor wrote: a scan's directory (``documents.parquet``,
``tokens.parquet``, ``summary.json``, ``report.md``, ``report.html``), fingerprint tables,
their summaries, filter's manifest, the baseline, a model, a known-synthetic index. None of them holds the
documents' text (they hold scores, features, word counts, settings), so there is nothing to
score: read as data a documents table fails ("no 'text' column") and blocks every commit. The
hook skips them and lists them. They are recognised by content, not by name, so a renamed table
is still skipped and a user's own ``documents.parquet`` is still scored:

- Parquet: the ``auditor`` schema metadata of a fingerprint table (``auditor.fingerprint/1``,
  which a scan's documents table also carries, with ``p_synthetic``), or the columns of one, or
  those of a scan's token counts;
- CSV, TSV, JSONL: the fingerprint table's columns in the header or the first record (read with
  the extension's delimiter: the auditor writes no other);
- JSON: a ``schema`` or ``format`` naming an auditor format (:data:`JSON_FORMATS`); ``.npz``
  arrays beside such a file (``model.npz``, ``index.npz``); a scan's reports beside its summary.

A file holding the text field is data, whoever wrote it: filter's keep and reject files are the
user's documents with auditor columns added (and ``auditor.filter/1`` metadata), and are scored.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from auditor.errors import AuditorError
from auditor.features.stats import FEATURE_NAMES
from auditor.hook.settings import HookSettings
from auditor.io.formats import format_for
from auditor.io.formats.csv import delimiter_for
from auditor.io.source import STREAM_ERRORS, open_raw, open_source
from auditor.regular_files import read_regular

# Where a fingerprint table (also a scan's documents table) written as Parquet says what it is: the
# key of its schema metadata and the summary's schema there (auditor.io.table_output.METADATA_KEY,
# auditor.corpus.runner.SCHEMA; repeated, not imported: the hook imports no writer nor runner, and
# tests/hook/test_hook_polish.py checks they are the same).
METADATA_KEY = b"auditor"
FINGERPRINT_SCHEMA = "auditor.fingerprint/1"
# Columns every fingerprint table has, whatever it is written as (auditor.corpus.table.arrow_schema).
FINGERPRINT_COLUMNS = frozenset(("source", "row", "record", "id", *FEATURE_NAMES))
# A scan's word counts (auditor.projection.token_counts.TokenCounts.write): no metadata, these columns.
TOKEN_COLUMNS = ("hash", "unflagged", "flagged")
# What a JSON file's "schema" or "format" names, by the family before its "/version".
JSON_FORMATS = {
    "auditor.summary": "a scan's summary",
    "auditor.fingerprint": "a fingerprint table's summary",
    "auditor.baseline": "a baseline",
    "auditor.filter-manifest": "filter's manifest",
    "auditor.model": "a model",
    "auditor.known-index": "a known-synthetic index",
    "auditor.projection": "a projection",
}
SCAN_REPORTS = ("report.md", "report.html")  # beside a scan's summary.json
MAX_JSON_BYTES = 64 << 20  # a JSON file is parsed whole to be recognised: bounded (a larger one is not an output)
MAX_HEADER_BYTES = 1 << 20  # the header or first record read from a CSV or JSONL file
# Reading a header or a first record: a file that fails so is not recognised (scoring it says what is wrong).
UNREADABLE: tuple[type[BaseException], ...] = (AuditorError, ValueError, *STREAM_ERRORS)


def own_output(path: str, settings: HookSettings) -> str | None:
    """What auditor output ``path`` is (``"a scan's documents table"``), or None: data, or another tool's file."""
    if Path(path).resolve() == settings.baseline_path.resolve():
        return "the baseline"
    name = os.path.basename(path)
    fmt = format_for(path)
    if fmt == "parquet":
        return _parquet_output(path, settings.text_field)
    if fmt in ("csv", "jsonl"):
        return _table_output(_first_fields(path, fmt), settings.text_field)
    if name.endswith(".json"):
        return _json_output(path)
    if name.endswith(".npz"):  # arrays are described by the JSON file of the same stem (model.json, index.json)
        return _json_output(path[: -len(".npz")] + ".json")
    if name in SCAN_REPORTS and _json_output(os.path.join(os.path.dirname(path), "summary.json")) == JSON_FORMATS["auditor.summary"]:
        return "a scan's report"
    return None


def _table_output(columns: frozenset[str] | None, text_field: str, schema: str | None = None) -> str | None:
    """A table without the text holding a fingerprint table's columns (or schema), or a scan's token counts."""
    if columns is None or text_field in columns:
        return None
    if schema == FINGERPRINT_SCHEMA or FINGERPRINT_COLUMNS <= columns:
        return "a scan's documents table" if "p_synthetic" in columns else "a fingerprint table"
    if columns == frozenset(TOKEN_COLUMNS):
        return "a scan's token counts"
    return None


def _parquet_output(path: str, text_field: str) -> str | None:
    try:
        with open_raw(path) as handle:
            schema = pq.read_schema(handle)
    except (AuditorError, pa.ArrowException, OSError, ValueError):
        return None  # not a readable Parquet file: scoring it says what is wrong
    try:
        recorded = json.loads((schema.metadata or {}).get(METADATA_KEY, b"{}"))
    except (ValueError, RecursionError):
        recorded = {}
    family = recorded.get("schema") if isinstance(recorded, dict) else None
    return _table_output(frozenset(schema.names), text_field, family if isinstance(family, str) else None)


def _first_fields(path: str, fmt: str) -> frozenset[str] | None:
    """The CSV header's column names, or the first JSONL record's keys (None when there is none)."""
    try:
        with open_source(path) as source:
            line = source.stream.readline(MAX_HEADER_BYTES).decode("utf-8", "replace")
    except UNREADABLE:
        return None  # scoring the file says what is wrong with it
    if fmt == "csv":
        header = next(csv.reader(io.StringIO(line), delimiter=delimiter_for(path)), None)
        return frozenset(header) if header else None
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return frozenset(record) if isinstance(record, dict) else None


def _json_output(path: str) -> str | None:
    """What the auditor format named by a JSON file's ``schema`` (a model's or index's: ``format``) is."""
    try:
        document = json.loads(read_regular(path, MAX_JSON_BYTES, "a JSON file"))
    except (AuditorError, OSError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    named = document.get("schema", document.get("format"))
    if not isinstance(named, str) or not named.startswith("auditor."):
        return None
    return JSON_FORMATS.get(named.split("/")[0], "an auditor file")
