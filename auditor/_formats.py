"""Format-level reading behind :mod:`auditor.readers`: compression, record types, and plain text.

The other formats have a module each (:mod:`auditor._jsonl`, :mod:`auditor._csv`,
:mod:`auditor._parquet`). Everything streams. An ``iter_*`` function turns one opened input into
:class:`Record` events (a candidate document) and :class:`Bad` events (a record
that cannot become one), in file order. Checks shared by every format (empty
text, lone surrogates, ids, strict mode, counting) live in :mod:`auditor.readers`
so that a reason means the same thing whatever the format.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import BinaryIO, NamedTuple

import zstandard

from auditor import _bounded
from auditor._regular import NotRegularFileError, check_regular, open_regular
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


def _not_regular(name: str, exc: NotRegularFileError) -> InputError:
    return InputError(f"{name}: {exc.strerror}; pass a regular file, a directory of them, or '-' for standard input")


def check_input_file(path: str) -> None:
    """Refuse (InputError naming it) a data file that does not resolve to a regular file: a FIFO,
    ``/dev/zero`` or a link to one would never end (the readers check again on what they open)."""
    try:
        check_regular(path)
    except NotRegularFileError as exc:
        raise _not_regular(display_path(path), exc) from None
    except OSError:
        pass  # gone or unreadable: the caller's other checks, or the reader, name the problem


def open_raw(path: str, name: str | None = None) -> BinaryIO:
    """``path`` opened unbuffered (``-``: standard input); InputError naming ``name`` (or ``path``) when it cannot be
    opened or is not a regular file."""
    if path == "-":
        stdin = sys.stdin
        if stdin is None:
            raise InputError("-: standard input is not available; pass a file path instead")
        return getattr(stdin, "buffer", stdin)
    try:
        return open_regular(path, buffering=0)
    except NotRegularFileError as exc:
        raise _not_regular(name or path, exc) from None
    except PermissionError:
        raise InputError(f"{name or path}: permission denied; check the file's permissions") from None
    except FileNotFoundError:
        raise InputError(f"{name or path}: no such file (it disappeared while reading); check the path") from None
    except OSError as exc:
        raise InputError(f"{name or path}: cannot open: {exc.strerror or exc}; check the path") from None


def compression_of(path: str) -> str | None:
    """``gzip`` / ``zstd`` when the file starts with their magic bytes, else None (also when unreadable)."""
    try:
        with open_regular(path) as file:
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
    raw = open_raw(path, name)
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
        with open_regular(path) as file:
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
