"""JSONL records: one JSON object per line (long lines read from their start, :mod:`auditor.io.bounded`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from auditor.errors import InputError
from auditor.io import bounded
from auditor.io.documents import DEFAULT_ID_FIELD, NO_FIELDS, UTF8, Fields, ReaderOptions
from auditor.io.formats.interface import MISSING, TRUNCATED, Bad, Event, Piece, Record, RecordFormat
from auditor.io.formats.jsonprefix import PrefixError, read_prefix
from auditor.io.problems import ReadReport
from auditor.io.source import BOM, STREAM_ERRORS, Source, compression_of, decode, invalid_bytes, stream_error_detail, stream_records
from auditor.regular_files import open_regular

_SCAN_CHUNK = 1 << 24  # bytes read at a time while looking for line ends to split at


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}


def json_type(value: object) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def check_line_encoding(encoding: str, path: str) -> None:
    """InputError naming ``path`` unless ``encoding`` writes JSON's punctuation and newlines as ASCII bytes.

    JSONL lines are found (and large files split into shards) by the byte ``\\n``: in UTF-16 or
    UTF-32 that byte can sit inside a character and a newline is two or four bytes.
    """
    probe = '\n{}[]:,"'
    try:
        ascii_compatible = probe.encode(encoding) == probe.encode("ascii")
    except UnicodeError:
        ascii_compatible = False
    if not ascii_compatible:
        raise InputError(f"{path}: JSONL cannot be read as {encoding}: its lines are found by the byte \\n, which that encoding "
                         f"does not keep; convert the file to UTF-8, e.g. iconv -f {encoding} -t UTF-8")


def _json_event(
    lineno: int, line: bytes, text_field: str, id_field: str | None, extra_fields: tuple[str, ...] = (), all_fields: bool = False,
    encoding: str = UTF8,
) -> Event | None:
    if not line.strip():
        return None  # blank lines separate nothing in JSONL; not a problem
    repairs: tuple[tuple[str, str], ...] = ()
    decoded, invalid_at = decode(line, encoding)
    if invalid_at is not None:
        repairs = (invalid_bytes(encoding, f"byte(s) at byte {invalid_at}"),)
    try:
        obj = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return Bad(lineno, "invalid_json", f"{exc.msg} at column {exc.colno}")
    except RecursionError:
        return Bad(lineno, "invalid_json", "JSON nested too deeply")
    except ValueError as exc:  # e.g. integers beyond Python's digit limit
        return Bad(lineno, "invalid_json", str(exc))
    if not isinstance(obj, dict):
        return Bad(lineno, "not_an_object", f"line is a JSON {json_type(obj)}, expected an object")
    text = obj.get(text_field, MISSING)
    if text is MISSING:
        keys = list(obj)
        shown = ", ".join(repr(k) for k in keys[:8]) + (", ..." if len(keys) > 8 else "")
        return Bad(lineno, "missing_text", f"no {text_field!r} field (fields: {shown or 'none'})")
    if text is None:
        return Bad(lineno, "missing_text", f"{text_field!r} is null")
    if not isinstance(text, str):
        return Bad(lineno, "non_string_text", f"{text_field!r} is a JSON {json_type(text)}, expected a string")
    id_value = obj.get(id_field, MISSING) if id_field is not None else MISSING
    if all_fields:
        return Record(lineno, text, id_value, repairs, Fields(obj))
    if not extra_fields:
        return Record(lineno, text, id_value, repairs)
    return Record(lineno, text, id_value, repairs, Fields({name: obj.get(name) for name in extra_fields}))


def iter_jsonl(
    source: Source,
    text_field: str,
    id_field: str | None,
    extra_fields: tuple[str, ...] = (),
    all_fields: bool = False,
    first_line: int = 1,
    max_doc_chars: int | None = None,
    encoding: str = UTF8,
) -> Iterator[Event]:
    """One record per line; each line decoded on its own so repairs name the exact line.

    Extra field values are the parsed JSON values (a null or absent key gives None);
    with ``all_fields`` the fields are the whole JSON object, in its key order.
    ``first_line``: the file's line number of the stream's first line (a shard's).
    ``max_doc_chars``: a line longer than :func:`auditor.io.bounded.line_cap` of it is not
    held: its text (cut) and the fields before it are read from its start (:func:`_long_line_event`).
    ``encoding``: the file's (:func:`check_line_encoding`); a UTF-8 byte order mark starting a line is skipped.
    """
    if max_doc_chars is None:
        lines: Iterator[tuple[bytes, int]] = ((line, len(line)) for line in source.stream)
    else:
        lines = bounded.bounded_lines(source.stream, bounded.line_cap(max_doc_chars))
    lineno = first_line - 1
    while True:
        try:
            line, length = next(lines)
        except StopIteration:
            return
        except STREAM_ERRORS as exc:
            yield Bad(lineno + 1, "truncated_stream", stream_error_detail(exc, source.compression))
            return
        lineno += 1
        if encoding == UTF8 and line.startswith(BOM):
            # On any line, not only the first: files joined with ``cat`` keep each one's BOM at
            # the start of a line, and a BOM is never JSON (the record would be lost as invalid_json).
            line = line[len(BOM) :]
            length -= len(BOM)  # else the line would look longer than what was kept of it
        if length > len(line) and max_doc_chars is not None:
            event: Event | None = _long_line_event(lineno, line, length, text_field, id_field, extra_fields, max_doc_chars, encoding)
        else:
            event = _json_event(lineno, line, text_field, id_field, extra_fields, all_fields, encoding)
        if event is not None:
            yield event


def _long_line_event(
    lineno: int, head: bytes, length: int, text_field: str, id_field: str | None, extra_fields: tuple[str, ...], max_doc_chars: int,
    encoding: str,
) -> Event:
    """The record of a line longer than what is kept of it (``head``): its text cut to ``max_doc_chars``."""
    decoded, invalid_at = decode(head, encoding, final=False)
    try:
        record = read_prefix(decoded, text_field)
    except PrefixError as exc:
        return Bad(lineno, "invalid_json", str(exc))
    if record.cut_value is not None:
        return Bad(lineno, "non_string_text", f"{text_field!r} is a JSON {record.cut_value}, expected a string")
    if record.text is None:
        return Bad(lineno, "record_too_large", f"a line of {length:,} bytes whose {text_field!r} field does not start in its first "
                                               f"{len(head):,} bytes; raise --max-doc-chars to read it")
    if not isinstance(record.text, str):
        return Bad(lineno, "non_string_text", f"{text_field!r} is a JSON {json_type(record.text)}, expected a string")
    repairs: tuple[tuple[str, str], ...] = ((TRUNCATED, f"a line of {length:,} bytes; features use the first "
                                                        f"{min(len(record.text), max_doc_chars):,} characters of its text"),)
    if invalid_at is not None:
        repairs = (invalid_bytes(encoding, f"byte(s) at byte {invalid_at}"), *repairs)
    id_value = record.fields.get(id_field, MISSING) if id_field is not None else MISSING
    fields = Fields({name: record.fields.get(name) for name in extra_fields}) if extra_fields else NO_FIELDS
    return Record(lineno, record.text[:max_doc_chars], id_value, repairs, fields)


class JsonlFormat(RecordFormat):
    """One JSON object per line (``.jsonl``, ``.ndjson``; also gzip or zstd compressed).

    An uncompressed file splits into line-aligned byte ranges: the planner reads the file once
    to find the cuts (the first newline after every ``target`` bytes) and to count the lines
    before each, so records keep their line numbers (and default ids ``path:line``) whatever
    the split. Counting runs at memory speed (``bytes.count``), far below fingerprinting's cost.
    """

    name = "jsonl"
    extensions = (".jsonl", ".ndjson")

    def read(self, piece: Piece, options: ReaderOptions, report: ReadReport) -> Iterator[Event]:
        def records(source: Source, path: str) -> Iterator[Event]:
            check_line_encoding(options.encoding, path)
            return iter_jsonl(source, options.text_field, options.id_field or DEFAULT_ID_FIELD, options.extra_fields,
                              options.all_fields, piece.first_record, options.text_limit, options.encoding)

        return stream_records(piece, report, records, options.encoding)

    def split(self, path: str, location: str, size: int, target: int) -> Iterator[tuple[Piece, int]]:
        if size > target and compression_of(path) is None:
            return _line_ranges(path, location, size, target)
        return super().split(path, location, size, target)


def _line_ranges(path: str, location: str, size: int, target: int) -> Iterator[tuple[Piece, int]]:
    """Line-aligned byte ranges of about ``target`` bytes, each with the line number it starts at."""
    start, first_line = 0, 1
    try:
        with open_regular(path) as file:
            position, lines_before, next_cut = 0, 0, target
            while chunk := file.read(_SCAN_CHUNK):
                while next_cut < position + len(chunk):
                    newline = chunk.find(b"\n", max(next_cut - position, 0))
                    if newline < 0:
                        break  # the cut falls in the next chunk
                    cut = position + newline + 1
                    if cut >= size:
                        break  # the file's last newline: no empty piece after it
                    yield Piece(path, "jsonl", start, cut, first_line, start == 0, location), cut - start
                    first_line = lines_before + chunk.count(b"\n", 0, newline + 1) + 1
                    start, next_cut = cut, cut + target
                lines_before += chunk.count(b"\n")
                position += len(chunk)
    except OSError as exc:
        if start > 0:  # the file failed mid-plan: no honest split of the rest
            raise InputError(f"{path}: read error while splitting it into shards ({exc.strerror or exc}); check the file") from None
        # Unreadable from the start: one piece, and the reader reports the problem as for any file.
    yield Piece(path, "jsonl", start, None, first_line, start == 0, location), size - start


FORMAT = JsonlFormat()
