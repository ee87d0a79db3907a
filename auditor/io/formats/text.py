"""Plain text (``.txt``): the whole file is one document, its id the file's path."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.io import bounded
from auditor.io.documents import Fields, ReaderOptions
from auditor.io.formats.interface import INVALID_UTF8, MISSING, TRUNCATED, Bad, Event, Piece, Record, RecordFormat, absent_fields
from auditor.io.problems import ReadReport
from auditor.io.source import BOM, STREAM_ERRORS, Source, stream_error_detail, stream_records


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
            data, length = bounded.read_head(source.stream, bounded.head_bytes(max_doc_chars))
    except STREAM_ERRORS as exc:
        yield Bad(1, "truncated_stream", stream_error_detail(exc, source.compression, kept=False))
        return
    cut = length > len(data)  # the file goes on past what was kept
    if data.startswith(BOM):
        data = data[len(BOM) :]
    fields = absent_fields(extra_fields)
    repairs: tuple[tuple[str, str], ...] = ()
    invalid_at: int | None = None
    if cut:
        text, invalid_at = bounded.decode_head(data)
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


class TextFormat(RecordFormat):
    name = "txt"
    extensions = (".txt",)
    compressible = False  # a .txt.gz is outside the documented list; --format txt still decompresses it
    ids_from_path = True

    def read(self, piece: Piece, options: ReaderOptions, report: ReadReport) -> Iterator[Event]:
        def records(source: Source, path: str) -> Iterator[Event]:
            return iter_txt(source, options.extra_fields, options.text_field if options.all_fields else None, options.text_limit)

        return stream_records(piece, report, records)


FORMAT = TextFormat()
