"""Plain text (``.txt``): the whole file is one document, its id the file's path."""

from __future__ import annotations

from collections.abc import Iterator

from auditor.io import bounded
from auditor.io.documents import UTF8, Fields, ReaderOptions
from auditor.io.formats.interface import MISSING, TRUNCATED, Bad, Event, Piece, Record, RecordFormat, absent_fields
from auditor.io.problems import ReadReport
from auditor.io.source import BOM, STREAM_ERRORS, Source, decode, invalid_bytes, stream_error_detail, stream_records


def iter_txt(
    source: Source,
    extra_fields: tuple[str, ...] = (),
    all_fields_key: str | None = None,
    max_doc_chars: int | None = None,
    encoding: str = UTF8,
) -> Iterator[Event]:
    """The whole file is one document; every extra field is None.

    With ``all_fields_key`` (the text field's name) the record's only field is
    the text, under that name. ``max_doc_chars``: only as many bytes as that many
    characters can take are kept (the rest is read and dropped), and the text is cut there.
    ``encoding``: the file's; a UTF-8 byte order mark is skipped (other BOMs are their codec's to skip).
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
    if encoding == UTF8 and data.startswith(BOM):
        data = data[len(BOM) :]
    fields = absent_fields(extra_fields)
    repairs: tuple[tuple[str, str], ...] = ()
    text, invalid_at = decode(data, encoding, final=not cut)
    if invalid_at is not None:
        repairs = (invalid_bytes(encoding, f"byte(s) at byte {invalid_at}"),)
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
            return iter_txt(source, options.extra_fields, options.text_field if options.all_fields else None, options.text_limit,
                            options.encoding)

        return stream_records(piece, report, records, options.encoding)


FORMAT = TextFormat()
