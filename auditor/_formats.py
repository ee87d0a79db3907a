"""Format-level reading behind :mod:`auditor.readers`: compression and per-format records.

Everything here streams. A ``iter_*`` function turns one opened input into
:class:`Record` events (a candidate document) and :class:`Bad` events (a record
that cannot become one), in file order. Checks shared by every format (empty
text, lone surrogates, ids, strict mode, counting) live in :mod:`auditor.readers`
so that a reason means the same thing whatever the format.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import BinaryIO, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from auditor import _bounded
from auditor._jsonprefix import PrefixError, read_prefix
from auditor.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 16

# Base extension -> format. Compression suffixes are allowed only where the
# format is read as a byte stream (Parquet needs random access; a .txt.gz is
# outside the documented list, --format txt still decompresses it).
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".csv": "csv", ".tsv": "csv", ".txt": "txt"}
_COMPRESSIBLE = (".jsonl", ".ndjson", ".csv", ".tsv")
_COMPRESSION_SUFFIXES = (".gz", ".zst")
SUPPORTED_EXTENSIONS = ".jsonl, .ndjson, .parquet, .csv, .tsv, .txt (.jsonl/.ndjson/.csv/.tsv also as .gz or .zst)"

# What a broken compressed stream (or a failing disk) raises while being read.
STREAM_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error, zstandard.ZstdError)

MISSING = object()
"""Sentinel for a field that is absent from a record."""

INVALID_UTF8 = "invalid_utf8"
TRUNCATED = "truncated"  # a repair: the text was cut to max_doc_chars for the features
_SURROGATES = re.compile("[\ud800-\udfff]")


class Fields(Mapping[str, object]):
    """Read-only mapping of a record's extra field values, in ``extra_fields`` order.

    Unlike :class:`types.MappingProxyType` it can be pickled, deep-copied and
    passed through :func:`dataclasses.asdict`, so documents stay plain data.
    The dict given to the constructor is owned by the instance (not copied).
    """

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, object] | None = None) -> None:
        self._data: dict[str, object] = {} if data is None else data

    def __getitem__(self, key: str) -> object:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        return self._data.get(key, default)

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[type[Fields], tuple[dict[str, object]]]:
        return (Fields, (self._data,))


NO_FIELDS = Fields()
"""The one empty mapping shared by every record when no extra fields are requested."""


def absent_fields(extra_fields: tuple[str, ...]) -> Fields:
    """Every requested field set to None (for ``.txt`` inputs, which have no fields)."""
    return Fields(dict.fromkeys(extra_fields)) if extra_fields else NO_FIELDS


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique for a mapping: a repeated name gets ``.1``, ``.2``, ... (as pandas does).

    Without this a CSV header or Parquet schema naming a column twice would lose
    one column's values when every field of a record is read into a mapping.
    """
    taken = set(names)
    seen: set[str] = set()
    result = []
    for name in names:
        if name in seen:
            suffix = 1
            while f"{name}.{suffix}" in taken:
                suffix += 1
            name = f"{name}.{suffix}"
            taken.add(name)
        seen.add(name)
        result.append(name)
    return result


class Record(NamedTuple):
    """A record that carries a string text (not yet checked for emptiness).

    ``fields`` holds exactly the requested extra fields (None where absent), or
    every field of the record when all fields were requested.
    """

    record: int
    text: str
    id_value: object = MISSING
    repairs: tuple[tuple[str, str], ...] = ()
    fields: Fields = NO_FIELDS


class Bad(NamedTuple):
    """A record that cannot become a document."""

    record: int
    reason: str
    detail: str


Event = Record | Bad


def _split_compression(name: str) -> tuple[str, str]:
    lower = name.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if lower.endswith(suffix):
            return lower[: -len(suffix)], suffix
    return lower, ""


def format_for(path: str) -> str | None:
    """The format implied by ``path``'s extension, or None when unsupported."""
    base, compression = _split_compression(os.path.basename(path))
    ext = os.path.splitext(base)[1]
    if ext not in _EXTENSIONS or (compression and ext not in _COMPRESSIBLE):
        return None
    return _EXTENSIONS[ext]


def delimiter_for(path: str) -> str:
    """Tab for ``.tsv`` (also compressed), comma otherwise."""
    base, _ = _split_compression(os.path.basename(path))
    return "\t" if base.endswith(".tsv") else ","


def repair_surrogates(text: str) -> str:
    """Replace lone surrogates (unencodable, e.g. from JSON ``"\\ud800"``) with U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def has_surrogates(text: str) -> bool:
    return not text.isascii() and _SURROGATES.search(text) is not None


# --------------------------------------------------------------------------- opening


class _RawCounter(io.RawIOBase):
    """Counts raw bytes read (for throughput) and lets sniffed magic bytes be pushed back.

    Pushing back instead of ``BufferedReader.peek`` matters for pipes: one raw
    read of stdin may return fewer than the 4 bytes needed to recognise zstd.
    """

    def __init__(self, raw: BinaryIO, on_read: Callable[[int], None] | None = None, limit: int | None = None) -> None:
        self._raw = raw
        self._on_read = on_read
        self._remaining = limit  # bytes left to read when reading a byte range, else None
        # readinto1 returns after one underlying read, so a pipe is not drained eagerly.
        self._readinto = getattr(raw, "readinto1", None) or raw.readinto
        self._pending = b""
        self.count = 0

    def readable(self) -> bool:
        return True

    def push_back(self, data: bytes) -> None:
        self._pending = data + self._pending

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        if self._pending:
            n = min(len(buffer), len(self._pending))
            buffer[:n] = self._pending[:n]
            self._pending = self._pending[n:]
            return n
        if self._remaining is not None:
            if self._remaining <= 0:
                return 0
            if len(buffer) > self._remaining:
                buffer = memoryview(buffer)[: self._remaining]
        n = self._readinto(buffer) or 0
        if self._remaining is not None:
            self._remaining -= n
        self.count += n
        if self._on_read is not None and n:
            self._on_read(n)
        return n


class _ZstdReader(io.RawIOBase):
    """Streaming zstd decompression that notices truncation.

    ``ZstdDecompressor.stream_reader`` returns a silent short read when the
    input stops mid-frame; here the decompression object's ``eof`` flag is
    checked when the input runs out, and concatenated frames are followed.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._dctx = zstandard.ZstdDecompressor()
        self._obj = self._dctx.decompressobj()
        self._in_frame = False
        self._out = b""
        self._pos = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        while self._pos >= len(self._out) and not self._done:
            chunk = self._raw.read(_CHUNK)
            if not chunk:
                self._done = True
                if self._in_frame:
                    raise EOFError("zstd stream ended before the end of its frame")
                break
            self._out, self._pos = self._decompress(chunk), 0
        n = min(len(buffer), len(self._out) - self._pos)
        buffer[:n] = self._out[self._pos : self._pos + n]
        self._pos += n
        return n

    def _decompress(self, chunk: bytes) -> bytes:
        parts = []
        while chunk:
            if self._obj.eof:
                self._obj = self._dctx.decompressobj()
            self._in_frame = True
            parts.append(self._obj.decompress(chunk))
            if not self._obj.eof:
                break
            self._in_frame = False
            chunk = self._obj.unused_data
        return b"".join(parts)


class Source:
    """An opened input: a stream of decompressed bytes plus the raw byte count."""

    def __init__(self, stream: BinaryIO, compression: str | None, counter: _RawCounter) -> None:
        self.stream = stream
        self.compression = compression
        self._counter = counter

    @property
    def bytes_read(self) -> int:
        return self._counter.count


def _open_raw(path: str, name: str | None = None) -> BinaryIO:
    if path == "-":
        stdin = sys.stdin
        if stdin is None:
            raise InputError("-: standard input is not available; pass a file path instead")
        return getattr(stdin, "buffer", stdin)
    try:
        return open(path, "rb", buffering=0)
    except PermissionError:
        raise InputError(f"{name or path}: permission denied; check the file's permissions") from None
    except FileNotFoundError:
        raise InputError(f"{name or path}: no such file (it disappeared while reading); check the path") from None
    except OSError as exc:
        raise InputError(f"{name or path}: cannot open: {exc.strerror or exc}; check the path") from None


def compression_of(path: str) -> str | None:
    """``gzip`` / ``zstd`` when the file starts with their magic bytes, else None (also when unreadable)."""
    try:
        with open(path, "rb") as file:
            head = file.read(4)
    except OSError:
        return None
    return "gzip" if head.startswith(GZIP_MAGIC) else "zstd" if head == ZSTD_MAGIC else None


@contextmanager
def open_source(
    path: str, on_read: Callable[[int], None] | None = None, byte_range: tuple[int, int | None] | None = None,
    name: str | None = None,
) -> Iterator[Source]:
    """Open ``path`` (``-`` = stdin) for streaming, decompressing gzip/zstd by magic bytes.

    Magic bytes win over the extension: files renamed or served by tools that
    drop/add suffixes are common, and the content cannot lie. ``on_read``
    receives the size of every raw read, so progress is visible mid-file.
    ``byte_range`` ``(start, stop)`` (stop None: to the end) reads part of an
    uncompressed file as is: a shard of a large JSONL file (:mod:`auditor.shards`).
    ``name``: the path as the user knows it, for messages (``path`` may be its absolute form).
    """
    raw = _open_raw(path, name)
    try:
        if byte_range is not None:
            start, stop = byte_range
            raw.seek(start)
            counter = _RawCounter(raw, on_read, None if stop is None else stop - start)
            yield Source(io.BufferedReader(counter, buffer_size=_CHUNK), None, counter)
            return
        counter = _RawCounter(raw, on_read)
        head = b""
        while len(head) < 4:
            chunk = counter.read(4 - len(head))
            if not chunk:
                break
            head += chunk
        counter.push_back(head)
        buffered = io.BufferedReader(counter, buffer_size=_CHUNK)
        stream: BinaryIO
        if head.startswith(GZIP_MAGIC):
            stream, compression = gzip.GzipFile(fileobj=buffered, mode="rb"), "gzip"
        elif head == ZSTD_MAGIC:
            stream, compression = io.BufferedReader(_ZstdReader(buffered), buffer_size=_CHUNK), "zstd"
        else:
            stream, compression = buffered, None
        yield Source(stream, compression, counter)
    finally:
        if path != "-":
            raw.close()


# UTF-32 first: its little-endian BOM starts with UTF-16's.
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def refuse_wide_encoding(path: str, name: str) -> None:
    """Raise InputError when the file's (decompressed) content starts with a UTF-16 or UTF-32 byte order mark.

    Read as UTF-8 such a file is noise: every JSONL line invalid, a CSV header that
    never names the text column, a ``.txt`` document of NULs and replacement
    characters counted as a mere repair. ``\\xff`` and ``\\xfe`` never occur in UTF-8,
    so no UTF-8 file is refused; without a BOM the encoding cannot be told. The first
    bytes are read through a handle of their own: peeking into the reader's stream
    would consume a broken stream's error, which the reader must count at its line.
    Standard input (``-``) cannot be read twice and is not checked.
    """
    if path == "-":
        return
    try:
        with open(path, "rb") as file:
            head = file.read(4096)
        if head.startswith(GZIP_MAGIC):
            head = zlib.decompressobj(wbits=31).decompress(head, 4)
        elif head.startswith(ZSTD_MAGIC):
            with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(head)) as reader:
                head = reader.read(4)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError):
        return  # unreadable or broken: the reader reports it
    for bom, encoding in _WIDE_BOMS:
        if head.startswith(bom):
            raise InputError(f"{name}: the file is {encoding} (it starts with a {encoding} byte order mark), the readers need UTF-8; "
                             f"convert it to UTF-8, e.g. iconv -f {encoding} -t UTF-8")


def display_path(path: str) -> str:
    """``path`` with the bytes of a non-UTF-8 file name (lone surrogates from ``os.fsdecode``) shown as ``\\xe9``.

    Such names are valid on POSIX, but surrogates cannot be encoded: the path would
    fail every write of a document's source or id (Parquet, JSON reports). Escaping
    rather than U+FFFD keeps two such names apart.
    """
    if not has_surrogates(path):
        return path
    try:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no file name byte gives (not from os.fsdecode)
        return repair_surrogates(path)


def stream_error_detail(exc: BaseException, compression: str | None, kept: bool = True) -> str:
    kind = f"{compression} stream" if compression else "file"
    problem = "ends early (truncated file?)" if isinstance(exc, EOFError) else f"is corrupt ({exc})"
    return f"{kind} {problem}" + ("; the documents before this point were kept" if kept else "")


# --------------------------------------------------------------------------- JSONL

_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}


def json_type(value: object) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _json_event(
    lineno: int, line: bytes, text_field: str, id_field: str | None, extra_fields: tuple[str, ...] = (), all_fields: bool = False
) -> Event | None:
    if not line.strip():
        return None  # blank lines separate nothing in JSONL; not a problem
    repairs: tuple[tuple[str, str], ...] = ()
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        decoded = line.decode("utf-8", "replace")
        repairs = ((INVALID_UTF8, f"invalid UTF-8 byte(s) at byte {exc.start} replaced with U+FFFD"),)
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
) -> Iterator[Event]:
    """One record per line; each line decoded on its own so repairs name the exact line.

    Extra field values are the parsed JSON values (a null or absent key gives None);
    with ``all_fields`` the fields are the whole JSON object, in its key order.
    ``first_line``: the file's line number of the stream's first line (a shard's).
    ``max_doc_chars``: a line longer than :func:`auditor._bounded.line_cap` of it is not
    held: its text (cut) and the fields before it are read from its start (:func:`_long_line_event`).
    """
    if max_doc_chars is None:
        lines: Iterator[tuple[bytes, int]] = ((line, len(line)) for line in source.stream)
    else:
        lines = _bounded.bounded_lines(source.stream, _bounded.line_cap(max_doc_chars))
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
        if line.startswith(_BOM):
            # On any line, not only the first: files joined with ``cat`` keep each one's BOM at
            # the start of a line, and a BOM is never JSON (the record would be lost as invalid_json).
            line = line[len(_BOM) :]
            length -= len(_BOM)  # else the line would look longer than what was kept of it
        if length > len(line) and max_doc_chars is not None:
            event: Event | None = _long_line_event(lineno, line, length, text_field, id_field, extra_fields, max_doc_chars)
        else:
            event = _json_event(lineno, line, text_field, id_field, extra_fields, all_fields)
        if event is not None:
            yield event


def _long_line_event(
    lineno: int, head: bytes, length: int, text_field: str, id_field: str | None, extra_fields: tuple[str, ...], max_doc_chars: int
) -> Event:
    """The record of a line longer than what is kept of it (``head``): its text cut to ``max_doc_chars``."""
    decoded, invalid_at = _bounded.decode_head(head)
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
        repairs = ((INVALID_UTF8, f"invalid UTF-8 byte(s) at byte {invalid_at} replaced with U+FFFD"), *repairs)
    id_value = record.fields.get(id_field, MISSING) if id_field is not None else MISSING
    fields = Fields({name: record.fields.get(name) for name in extra_fields}) if extra_fields else NO_FIELDS
    return Record(lineno, record.text[:max_doc_chars], id_value, repairs, fields)


# --------------------------------------------------------------------------- CSV / TSV


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


# --------------------------------------------------------------------------- txt


def iter_txt(
    source: Source, extra_fields: tuple[str, ...] = (), all_fields_key: str | None = None, max_doc_chars: int | None = None
) -> Iterator[Event]:
    """The whole file is one document; every extra field is None.

    With ``all_fields_key`` (the text field's name) the record's only field is
    the text, under that name. ``max_doc_chars``: only as many bytes as that many
    characters can take are kept (the rest is read and dropped), and the text is cut there.
    """
    try:
        if max_doc_chars is None:
            data = source.stream.read()
            length = len(data)
        else:
            data, length = _bounded.read_head(source.stream, _bounded.head_bytes(max_doc_chars))
    except STREAM_ERRORS as exc:
        yield Bad(1, "truncated_stream", stream_error_detail(exc, source.compression, kept=False))
        return
    cut = length > len(data)  # the file goes on past what was kept
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    fields = absent_fields(extra_fields)
    repairs: tuple[tuple[str, str], ...] = ()
    invalid_at: int | None = None
    if cut:
        text, invalid_at = _bounded.decode_head(data)
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            text, invalid_at = data.decode("utf-8", "replace"), exc.start
    if invalid_at is not None:
        repairs = ((INVALID_UTF8, f"invalid UTF-8 byte(s) at byte {invalid_at} replaced with U+FFFD"),)
    if max_doc_chars is not None and (cut or len(text) > max_doc_chars):
        repairs += ((TRUNCATED, f"a file of {length:,} bytes; features use its first {min(len(text), max_doc_chars):,} characters"),)
        text = text[:max_doc_chars]
    if all_fields_key is not None:
        fields = Fields({all_fields_key: text})
    yield Record(1, text, MISSING, repairs, fields)


# --------------------------------------------------------------------------- Parquet


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
    try:
        parquet = pq.ParquetFile(location)
    except PermissionError:
        raise InputError(f"{path}: permission denied; check the file's permissions") from None
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{path}: not a valid Parquet file ({_one_line(exc)}); check the file, or pass --format if it is another format") from None
    with parquet:
        groups = None
        if row_groups is not None:
            groups = list(range(row_groups[0], row_groups[1] if row_groups[1] is not None else parquet.metadata.num_row_groups))
        schema = parquet.schema_arrow
        if text_field not in schema.names:
            columns = ", ".join(repr(name) for name in schema.names)
            raise InputError(f"{path}: no {text_field!r} column (columns: {columns}); pass --text-field with the name of the text column")
        text_type = schema.field(text_field).type
        if not _is_text_type(text_type):
            raise InputError(
                f"{path}: column {text_field!r} has type {text_type}, not string; pass --text-field with the name of a text column"
            )
        with_id = id_field is not None and id_field != text_field and id_field in schema.names
        if all_fields:
            yield from _parquet_all_fields(parquet, path, text_field, id_field, batch_size, groups, first_row)
            return
        columns = [text_field, id_field] if with_id else [text_field]
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
            texts = lists[0]
            if with_id:
                ids = lists[1]
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
        except (pa.ArrowException, OSError) as exc:
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
