"""Opening inputs as byte streams: regular files only, gzip/zstd by magic bytes, byte ranges; decoding them.


Every format but Parquet reads through :func:`stream_records`, which opens a piece of a file
(:func:`open_source`), counts what it reads and refuses UTF-16/32 files read as UTF-8 before the
format sees a byte. Those formats decode with :attr:`~auditor.io.documents.ReaderOptions.encoding`
through :func:`decode` or the :data:`MARK_INVALID` error handler, and count the invalid bytes they
replace as one repair, :func:`invalid_bytes`, whatever the encoding.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, BinaryIO, TextIO

import zstandard

from auditor.errors import InputError
from auditor.io.documents import UTF8
from auditor.regular_files import NotRegularFileError, check_regular, open_regular

if TYPE_CHECKING:
    from auditor.io.formats.interface import Event, Piece
    from auditor.io.problems import ReadReport

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BOM = b"\xef\xbb\xbf"  # UTF-8's, skipped at the start of a file
COMPRESSION_SUFFIXES = (".gz", ".zst")
_CHUNK = 1 << 16

_SURROGATES = re.compile("[\ud800-\udfff]")

INVALID_ENCODING = "invalid_encoding"  # a repair: bytes invalid in a non-UTF-8 --encoding replaced with U+FFFD

# What a broken compressed stream (or a failing disk) raises while being read.
STREAM_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error, zstandard.ZstdError)

def split_compression(name: str) -> tuple[str, str]:
    """``(name without .gz/.zst, that suffix or "")``, lower-cased."""
    lower = name.lower()
    for suffix in COMPRESSION_SUFFIXES:
        if lower.endswith(suffix):
            return lower[: -len(suffix)], suffix
    return lower, ""


def repair_surrogates(text: str) -> str:
    """Replace lone surrogates (unencodable, e.g. from JSON ``"\\ud800"``) with U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def has_surrogates(text: str) -> bool:
    return not text.isascii() and _SURROGATES.search(text) is not None


# --------------------------------------------------------------------------- decoding

MARK_INVALID = "auditor-mark-invalid"
"""Decoding error handler for streamed text (CSV): one lone surrogate where ``replace`` would put one U+FFFD.

Strict decoding never yields a lone surrogate, so a cell holding one had invalid bytes
(:func:`repair_surrogates` then gives exactly what ``replace`` would have), told apart from a
U+FFFD the data really holds. ``surrogateescape`` cannot do it for every encoding: it refuses the
ASCII-range bytes of a broken UTF-16 sequence.
"""


def _mark_invalid(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "\udcff", exc.end


codecs.register_error(MARK_INVALID, _mark_invalid)


def decode(data: bytes, encoding: str, final: bool = True) -> tuple[str, int | None]:
    """``data`` decoded, bytes invalid in ``encoding`` replaced with U+FFFD; and the offset of the first one (None: none).

    ``final`` False: ``data`` is the start of a longer text (:mod:`auditor.io.bounded`), and a
    character its end cuts is left out rather than counted as invalid.
    """
    try:
        if final:
            return data.decode(encoding), None
        return codecs.getincrementaldecoder(encoding)("strict").decode(data, final=False), None
    except UnicodeDecodeError as exc:
        return codecs.getincrementaldecoder(encoding)("replace").decode(data, final=final), exc.start


def invalid_bytes(encoding: str, where: str) -> tuple[str, str]:
    """The repair ``(reason, detail)`` for bytes invalid in ``encoding`` replaced with U+FFFD; ``where``: which bytes.

    ``invalid_utf8`` for UTF-8, as always; ``invalid_encoding`` naming the codec for any other, so
    that neither the count nor the detail claims UTF-8 of a file read as, say, cp1252.
    """
    # Imported here: the formats import this module, and importing any of them runs the package's __init__.
    from auditor.io.formats.interface import INVALID_UTF8

    if encoding == UTF8:
        return INVALID_UTF8, f"invalid UTF-8 {where} replaced with U+FFFD"
    return INVALID_ENCODING, f"invalid {encoding} {where} replaced with U+FFFD"


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
        self._readinto = getattr(raw, "readinto1", None) or raw.readinto  # type: ignore[attr-defined]  # typing.BinaryIO declares no readinto; the FileIO or stdin buffer open_raw returns has it
        self._pending = b""
        self.count = 0

    def readable(self) -> bool:
        return True

    def push_back(self, data: bytes) -> None:
        self._pending = data + self._pending

    def readinto(self, buffer) -> int:
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

    def readinto(self, buffer) -> int:
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

    def __init__(self, stream: io.BufferedReader | gzip.GzipFile, compression: str | None, counter: _RawCounter) -> None:
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
        stdin: TextIO | None = sys.stdin
        if stdin is None:
            raise InputError("-: standard input is not available; pass a file path instead")
        return getattr(stdin, "buffer", stdin)  # type: ignore[arg-type]  # typeshed's sys.stdin is a TextIO; one without .buffer is a binary stream put in its place
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
    uncompressed file as is: a shard of a large JSONL file (:mod:`auditor.corpus.shards`).
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
        buffered: io.BufferedReader = io.BufferedReader(counter, buffer_size=_CHUNK)
        stream: io.BufferedReader | gzip.GzipFile
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

    Called for files read as UTF-8 (the default encoding): read so, such a file is noise: every JSONL line invalid, a CSV header that
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
            raise InputError(f"{name}: the file is {encoding} (it starts with a {encoding} byte order mark), read as UTF-8 by default; "
                             f"pass --encoding {encoding} (CSV/TSV and .txt files), or convert it to UTF-8, e.g. iconv -f {encoding} -t UTF-8")


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


def stream_records(
    piece: Piece, report: ReadReport, records: Callable[[Source, str], Iterator[Event]], encoding: str = UTF8
) -> Iterator[Event]:
    """The events ``records(source, name)`` yields for ``piece`` opened as a byte stream.

    Counts the file (when the piece opens it) and every raw byte read in ``report``; refuses a
    UTF-16/32 file at the start of a file read as UTF-8 (``encoding``). ``name`` is the path as shown in messages.
    """
    name = display_path(piece.path)

    def count(n: int) -> None:
        report.bytes_read += n

    byte_range = None if piece.whole else (piece.start, piece.stop)
    with open_source(piece.open_path, count, byte_range, name) as source:
        report.files_read += piece.opens_file
        if piece.start == 0 and encoding == UTF8:  # the start of the file, where a byte order mark would be
            refuse_wide_encoding(piece.open_path, name)
        yield from records(source, name)
