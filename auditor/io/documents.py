"""A document as the readers yield it, and the options that say how inputs are read."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

FORMATS = ("auto", "jsonl", "parquet", "csv", "txt")

# Characters of a document that features are computed on: a 600-page book; beyond, the text is
# cut (and counted) so that memory stays bounded whatever one record holds.
DEFAULT_MAX_DOC_CHARS = 1_000_000

UTF8 = "utf-8"  # the default encoding, as codecs.lookup names it


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

    def get(self, key: str, default: object = None) -> object:
        return self._data.get(key, default)

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[type[Fields], tuple[dict[str, object]]]:
        return (Fields, (self._data,))


NO_FIELDS = Fields()
"""The one empty mapping shared by every record when no extra fields are requested."""


@dataclass(frozen=True, slots=True)
class Document:
    """One document, in reading order.

    Attributes:
        id: the ``id_field`` value when given and usable, else ``"{source}:{record}"``
            (for ``.txt`` inputs: the source path).
        text: the raw text; invalid UTF-8 and lone surrogates already replaced by U+FFFD.
        source: the path as given, or as discovered under a given directory.
        row: 0-based index over every document yielded, across all inputs (contiguous).
        record: 1-based location in the file: JSONL line, CSV line where the row
            starts, Parquet row, 1 for ``.txt``.
        fields: read-only mapping holding exactly the names in
            :attr:`ReaderOptions.extra_fields`, in that order, each with the
            record's value, or ``None`` when the record lacks it (a JSON null
            also gives ``None``). Values are as the format gives them: JSON
            values as parsed (str, int, float, bool, None, list, dict), CSV/TSV
            cells as strings (invalid UTF-8 replaced with U+FFFD and counted as
            an ``invalid_utf8`` repair), Parquet values as Python objects
            (``to_pylist``); every field is ``None`` for ``.txt`` inputs. Empty
            (one shared mapping) when no extra fields are requested. Not part
            of the hash; part of equality. With :attr:`ReaderOptions.all_fields`
            it holds every field of the record instead, in the record's order:
            the whole JSON object (values as parsed, unrepaired), every CSV/TSV
            column in header order, every Parquet column in schema order (a
            name repeated in a header or schema gets ``.1``, ``.2``, ...); for
            ``.txt`` inputs the text under the ``text_field`` name.
        row_in_file: 0-based position of the record in its own file, as the
            format numbers records (where ``row`` counts across every input): the
            JSONL line index (``record - 1``: blank and invalid lines count), the
            CSV/TSV data row (header and blank lines not counted, a row whose
            quoted field spans lines counted once: what ``pandas.read_csv``
            numbers it), the Parquet row (``record - 1``), 0 for ``.txt``. Left
            out (-1), it is ``record - 1``. Last, so positional construction
            that stops at ``fields`` keeps working.
    """

    id: str
    text: str
    source: str
    row: int
    record: int
    fields: Mapping[str, object] = field(default_factory=lambda: NO_FIELDS, hash=False)
    row_in_file: int = -1

    def __post_init__(self) -> None:
        if self.row_in_file < 0:
            object.__setattr__(self, "row_in_file", self.record - 1)


DEFAULT_ID_FIELD = "id"


@dataclass(frozen=True)
class ReaderOptions:
    """How inputs are read.

    Attributes:
        format: one of :data:`FORMATS`; ``auto`` picks by extension, anything
            else forces that format for every input file.
        text_field: JSON key / CSV or Parquet column holding the text.
        id_field: key / column holding document ids. ``None`` (the default)
            uses an ``id`` field where a record has one and ``file:record``
            otherwise, without counting records that lack it; a name given
            explicitly counts every record without a usable id (``missing_id``).
        strict: raise on the first bad or repaired record instead of counting it.
        extra_fields: names of further keys / columns to carry in
            :attr:`Document.fields` (e.g. ``("label", "source")``). Any iterable
            of distinct non-empty strings is accepted and stored as a tuple;
            anything else raises ``ValueError``. A record that lacks one is
            read normally, with ``None`` for it (not counted as a problem);
            Parquet reads only these columns besides the text and id.
        all_fields: carry every field of each record in :attr:`Document.fields`
            (text and id included); Parquet then reads every column. Exclusive
            with ``extra_fields``. Which records are read, skipped or repaired
            does not change, except that invalid UTF-8 in any CSV cell counts
            as an ``invalid_utf8`` repair, and that texts are never cut (the
            records are written back whole: ``auditor filter``).
        max_doc_chars: texts longer than this are cut to it (a ``truncated``
            repair), and of a ``.txt`` file or a JSONL line only what that many
            characters can take is held in memory (:mod:`auditor.io.bounded`).
            None: no limit.
        csv_delimiter: the one character separating CSV/TSV cells in every CSV/TSV
            input. None (the default): comma, tab for ``.tsv``; when the header read
            so lacks the text column, the delimiter :class:`csv.Sniffer` finds
            (``,;\\t|``) in the file's first 64 KiB if the header read with it names
            the text column (a note among the run's problems says so), else an
            error saying what was tried.
        encoding: the text encoding of CSV/TSV, JSONL and ``.txt`` inputs (Parquet
            strings are UTF-8 by definition): any Python text codec name, stored
            as the codec's own name (``latin-1`` becomes ``iso8859-1``; ``utf-8-sig``
            is ``utf-8``, which skips a leading byte order mark anyway). Bytes
            invalid in it become U+FFFD, counted as ``invalid_utf8`` repairs for
            UTF-8 and ``invalid_encoding`` ones otherwise. JSONL needs an encoding
            in which a newline is the byte ``\\n`` (not UTF-16/32): its lines are
            found, and large files split, on bytes.
    """

    format: str = "auto"
    text_field: str = "text"
    id_field: str | None = None
    strict: bool = False
    extra_fields: tuple[str, ...] = ()
    all_fields: bool = False
    max_doc_chars: int | None = DEFAULT_MAX_DOC_CHARS
    csv_delimiter: str | None = None
    encoding: str = UTF8

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if not self.text_field:
            raise ValueError("text_field must be a non-empty field name")
        object.__setattr__(self, "extra_fields", _check_extra_fields(self.extra_fields))
        if self.all_fields and self.extra_fields:
            raise ValueError("all_fields already carries every field: give extra_fields or all_fields, not both")
        if self.max_doc_chars is not None and (type(self.max_doc_chars) is not int or self.max_doc_chars < 1):
            raise ValueError(f"max_doc_chars must be a positive number of characters (or None), got {self.max_doc_chars!r}")
        if self.csv_delimiter is not None:
            check_delimiter(self.csv_delimiter)
        object.__setattr__(self, "encoding", codec_name(self.encoding))

    @property
    def text_limit(self) -> int | None:
        """Characters a text is cut to: none when records are written back whole (``all_fields``)."""
        return None if self.all_fields else self.max_doc_chars


def _check_extra_fields(value: object) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"extra_fields must be a sequence of field names such as ('label', 'source'), not {value!r}")
    names = tuple(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"extra_fields: every name must be a non-empty string, not {name!r}")
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"extra_fields: duplicate name(s) {', '.join(repr(n) for n in repeated)}; give each field once")
    return names


def codec_name(encoding: object) -> str:
    """The codec's own name for ``encoding`` (``latin-1`` -> ``iso8859-1``); ValueError naming the
    problem and an example for a name Python does not know or a codec that is not a text encoding
    (``base64``, ``zlib``: bytes to bytes, they would "decode" a corpus into garbage)."""
    if not isinstance(encoding, str) or not encoding:
        raise ValueError(f"encoding must be a codec name such as utf-8, latin-1 or cp1252, not {encoding!r}")
    try:
        name = codecs.lookup(encoding).name
        b"a".decode(encoding, "ignore")  # raises LookupError for bytes-to-bytes and str-to-str codecs
    except LookupError as exc:
        reason = "not a text encoding" if "text encoding" in str(exc) else "unknown encoding"
        raise ValueError(f"{encoding!r}: {reason}; give a Python codec name such as utf-8, latin-1, cp1252 or utf-16") from None
    return UTF8 if name == "utf-8-sig" else name


def check_delimiter(delimiter: object) -> None:
    """ValueError unless ``delimiter`` is one character that can separate CSV cells (not a quote or a line end)."""
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"the CSV delimiter must be one character (\\t for tab), not {delimiter!r}")
    if delimiter in '"\r\n':
        raise ValueError(f"the CSV delimiter cannot be {delimiter!r}: it quotes cells or ends rows")
