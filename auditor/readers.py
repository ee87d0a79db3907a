"""Streaming corpus readers: JSONL (.gz/.zst), Parquet, CSV/TSV, plain text, folders of them.

Memory stays bounded by one record (one Parquet batch): nothing but a ``.txt``
file (which *is* one document) is read whole. Bad records never stop a run and
are never dropped silently: each is counted by reason in a :class:`ReadReport`
with its ``path:record`` location, and ``strict`` turns the first one into an
:class:`~auditor.errors.InputError`. Unusable inputs (missing path, unknown
format, wrong column) raise :class:`~auditor.errors.InputError` with a message
that names the file and the fix.

Example::

    report = ReadReport()
    for doc in read_documents(["corpus/"], ReaderOptions(text_field="body"), report):
        ...
    print(report.to_dict()["skipped"])

Extra fields (labels, groups, ...) named in :attr:`ReaderOptions.extra_fields`
come through in :attr:`Document.fields`; a record without one gets ``None``
there and is not counted as a problem (labels are optional for scanning).
:attr:`ReaderOptions.all_fields` carries every field of every record instead
(``auditor filter`` writes records back with all of them).

Reasons (skipped): ``invalid_json``, ``not_an_object``, ``missing_text``,
``non_string_text``, ``empty_text``, ``truncated_stream``, ``ragged_row``,
``invalid_csv``, ``record_too_large`` (a JSONL line longer than
``max_doc_chars`` allows whose text does not start in the part kept). Reasons
(repaired, document still yielded): ``invalid_utf8``, ``missing_id``, ``bad_id``,
``truncated`` (text cut to ``max_doc_chars``).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from auditor import _csv, _formats, _jsonl, _parquet
from auditor.normalize import is_blank
from auditor._formats import MISSING, NO_FIELDS, SUPPORTED_EXTENSIONS, Bad, Event, Record
from auditor.errors import InputError
from auditor.read_report import Problem, ReadReport
from auditor.shards import Piece

FORMATS = ("auto", "jsonl", "parquet", "csv", "txt")

PARQUET_BATCH_SIZE = 1024
# Characters of a document that features are computed on: a 600-page book; beyond, the text is
# cut (and counted) so that memory stays bounded whatever one record holds.
DEFAULT_MAX_DOC_CHARS = 1_000_000
_GLOB_CHARS = frozenset("*?[")


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
    """

    id: str
    text: str
    source: str
    row: int
    record: int
    fields: Mapping[str, object] = field(default_factory=lambda: NO_FIELDS, hash=False)


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
            characters can take is held in memory (:mod:`auditor._bounded`).
            None: no limit.
    """

    format: str = "auto"
    text_field: str = "text"
    id_field: str | None = None
    strict: bool = False
    extra_fields: tuple[str, ...] = ()
    all_fields: bool = False
    max_doc_chars: int | None = DEFAULT_MAX_DOC_CHARS

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


# --------------------------------------------------------------------------- discovery


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def _walk(root: str) -> list[str]:
    """Relative paths of the non-hidden files under ``root``, sorted by path components.

    Sorting the complete list (rather than trusting walk order) makes the order
    independent of the filesystem; symlinked directories are followed once.
    """
    found: list[tuple[str, ...]] = []
    seen: set[str] = set()

    def visit(directory: str, parts: tuple[str, ...]) -> None:
        real = os.path.realpath(directory)
        if real in seen:
            return  # a symlink cycle, or the same folder reached twice
        seen.add(real)
        try:
            with os.scandir(directory) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except PermissionError:
            raise InputError(f"{directory}: permission denied; check the directory's permissions") from None
        except OSError as exc:
            raise InputError(f"{directory}: cannot list directory: {exc.strerror or exc}") from None
        for entry in children:
            if entry.name.startswith("."):
                continue  # .git, .cache, editor swap files: never corpus data
            if entry.is_dir():
                visit(entry.path, parts + (entry.name,))
            else:
                found.append(parts + (entry.name,))

    visit(root, ())
    return [os.path.join(*parts) for parts in sorted(found)]


def _expand_directory(path: str, fmt: str, ignored: list[str]) -> list[tuple[str, str]]:
    files: list[tuple[str, str]] = []
    skipped: list[str] = []
    for relative in _walk(path):
        full = os.path.join(path, relative)
        resolved = fmt if fmt != "auto" else _formats.format_for(full)
        if resolved is None:
            skipped.append(full)
        else:
            _check_discovered(full)
            files.append((full, resolved))
    ignored.extend(skipped)
    return files


def _check_discovered(path: str) -> None:
    """Fail fast, as for a path given explicitly, on a data file found in a folder or glob that cannot be read.

    A dangling symlink (a git-annex file whose content is not fetched, a link loop) would
    otherwise fail only when reached, as "no such file" or "not a valid Parquet file"; a FIFO or
    a link to a device (``/dev/zero``) would hang the run: only regular files are read.
    """
    if not os.path.exists(path):
        raise InputError(f"{_formats.display_path(path)}: broken symbolic link (or a link loop); check the path")
    _formats.check_input_file(path)
    if not os.access(path, os.R_OK):
        raise InputError(f"{_formats.display_path(path)}: permission denied; check the file's permissions")


def _no_supported_files(path: str, skipped: list[str]) -> InputError:
    if not skipped:
        return InputError(f"{path}: directory contains no files (hidden files are skipped); check the path")
    examples = ", ".join(skipped[:3]) + (", ..." if len(skipped) > 3 else "")
    return InputError(
        f"{path}: no supported files ({len(skipped)} ignored: {examples}); supported extensions: "
        f"{SUPPORTED_EXTENSIONS}; pass --format to read them as one format"
    )


def _expand_glob(pattern: str, fmt: str, ignored: list[str]) -> list[tuple[str, str]]:
    matches = sorted(glob.glob(pattern, recursive=True))
    if not matches:
        raise InputError(f"no files match '{pattern}': check the pattern and quoting")
    files: list[tuple[str, str]] = []
    skipped: list[str] = []
    seen: set[str] = set()
    # "dir/**" matches a folder and the files in it: keep each file once.
    for match in matches:
        if os.path.isdir(match):
            candidates = _expand_directory(match, fmt, skipped)
        else:
            resolved = fmt if fmt != "auto" else _formats.format_for(match)
            if resolved is None:
                skipped.append(match)
                continue
            _check_discovered(match)
            candidates = [(match, resolved)]
        for file, resolved in candidates:
            key = os.path.normpath(file)
            if key not in seen:
                seen.add(key)
                files.append((file, resolved))
    unique_skipped = list(dict.fromkeys(skipped))
    if not files:
        raise _no_supported_files(pattern, unique_skipped)
    ignored.extend(unique_skipped)
    return files


def expand_inputs(paths: Sequence[str], fmt: str = "auto", *, ignored: list[str] | None = None) -> list[tuple[str, str]]:
    """Resolve user inputs into ``[(file, format)]`` in reading order.

    Directories are walked recursively in sorted order (hidden entries
    skipped); a non-existent path with ``*?[`` is a glob; ``-`` is standard
    input (JSONL unless ``fmt`` is csv or txt). Files found in directories or
    globs whose extension is unsupported are appended to ``ignored`` (when
    given) instead of being read. Raises :class:`InputError` for missing,
    unreadable or unrecognisable inputs.
    """
    _check_format(fmt)
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]  # a lone path, not a sequence of one-character paths
    sink: list[str] = ignored if ignored is not None else []
    result: list[tuple[str, str]] = []
    for given in paths:
        path = os.fspath(given)
        if path == "-":
            if fmt == "parquet":
                raise InputError("-: Parquet cannot be read from standard input (it needs a seekable file); save it to a file and pass its path")
            result.append((path, "jsonl" if fmt == "auto" else fmt))
        elif os.path.isdir(path):
            found: list[str] = []
            files = _expand_directory(path, fmt, found)
            if not files:
                raise _no_supported_files(path, found)
            sink.extend(found)
            result.extend(files)
        elif os.path.lexists(path):
            if not os.path.exists(path):
                raise InputError(f"{path}: broken symbolic link; check the path")
            _formats.check_input_file(path)
            if not os.access(path, os.R_OK):
                raise InputError(f"{path}: permission denied; check the file's permissions")
            resolved = fmt if fmt != "auto" else _formats.format_for(path)
            if resolved is None:
                raise InputError(
                    f"{path}: unknown format; supported extensions: {SUPPORTED_EXTENSIONS}; "
                    "pass --format jsonl|parquet|csv|txt to read it anyway"
                )
            result.append((path, resolved))
        elif _GLOB_CHARS.intersection(path):
            result.extend(_expand_glob(path, fmt, sink))
        else:
            raise InputError(f"{path}: no such file or directory; check the path")
    return result


# --------------------------------------------------------------------------- reading


def _events(piece: Piece, options: ReaderOptions, report: ReadReport) -> Iterator[Event]:
    path, fmt = _formats.display_path(piece.path), piece.fmt  # for messages; piece.open_path opens the file
    id_field = options.id_field or DEFAULT_ID_FIELD
    if fmt == "parquet":
        if path == "-":
            raise InputError("-: Parquet cannot be read from standard input; save it to a file and pass its path")
        events = _parquet.iter_parquet(
            piece.open_path, options.text_field, id_field, PARQUET_BATCH_SIZE, options.extra_fields, options.all_fields,
            None if piece.whole else (piece.start, piece.stop), piece.first_record, path,
        )
        first = next(events, None)  # opens and validates the file
        report.files_read += piece.opens_file
        report.bytes_read += os.path.getsize(piece.open_path) if piece.opens_file and os.path.isfile(piece.open_path) else 0
        if first is not None:
            yield first
            yield from events
        return

    def count(n: int) -> None:
        report.bytes_read += n

    byte_range = None if piece.whole else (piece.start, piece.stop)
    with _formats.open_source(piece.open_path, count, byte_range, path) as source:
        report.files_read += piece.opens_file
        if piece.start == 0:  # the start of the file, where a byte order mark would be
            _formats.refuse_wide_encoding(piece.open_path, path)
        if fmt == "jsonl":
            yield from _jsonl.iter_jsonl(source, options.text_field, id_field, options.extra_fields, options.all_fields, piece.first_record,
                                           options.text_limit)
        elif fmt == "csv":
            delimiter = "," if path == "-" else _formats.delimiter_for(path)
            yield from _csv.iter_csv(source, path, delimiter, options.text_field, id_field, options.extra_fields, options.all_fields)
        else:
            yield from _formats.iter_txt(source, options.extra_fields, options.text_field if options.all_fields else None, options.text_limit)


def _resolve_id(path: str, fmt: str, record: Record, id_field: str | None, repairs: list[tuple[str, str]]) -> str:
    if fmt == "txt":
        return path
    default = f"{path}:{record.record}"
    value = record.id_value
    if value is MISSING or value is None or value == "":
        if id_field is None:  # implicit "id": absence is normal, not a repair
            return default
        repairs.append(("missing_id", f"no {id_field!r} value; using {default!r}"))
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        kind = _jsonl.json_type(value)
        repairs.append(("bad_id", f"{id_field or DEFAULT_ID_FIELD!r} is a {kind}, expected a string or integer; using {default!r}"))
        return default
    text = str(value)
    if _formats.has_surrogates(text):
        repairs.append((_formats.INVALID_UTF8, f"lone surrogate in {id_field or DEFAULT_ID_FIELD!r} replaced with U+FFFD"))
        text = _formats.repair_surrogates(text)
    return text


def _fail_strict(problem: Problem) -> InputError:
    return InputError(
        f"{problem.location()}: {problem.reason}: {problem.detail} (rerun without --strict to skip and count such records)"
    )


def _describe(values: Sequence[str]) -> str:
    shown = [os.fspath(v) for v in values]
    return ", ".join(shown) if len(shown) <= 4 else ", ".join(shown[:3]) + f" and {len(shown) - 3} more"


def nothing_read(paths: Sequence[str], report: ReadReport) -> InputError:
    """The error for inputs that yielded no document, with what was skipped and why."""
    if report.skipped_total:
        counts = ", ".join(f"{n} {reason}" for reason, n in sorted(report.skipped_by_reason.items()))
        found = f"{report.skipped_total} records skipped ({counts})"
        if report.examples:
            first = report.examples[0]
            found += f"; first: {first.location()}: {first.reason}: {first.detail}"
    else:
        found = "the inputs contain no records"
    return InputError(f"no documents read from {_describe(paths)}: {found}; check --text-field / --format")


def read_pieces(pieces: Iterable[Piece], options: ReaderOptions, report: ReadReport) -> Iterator[Document]:
    """Stream the documents of ``pieces`` (a shard), ``row`` counted from 0 within them.

    The caller checks that something was read (:func:`nothing_read`) once every
    shard is done, and offsets rows by the documents of the shards before.
    """
    row = 0
    for piece in pieces:
        # A non-UTF-8 file name (valid on POSIX) escaped: sources, ids and problems must be encodable.
        path, fmt = _formats.display_path(piece.path), piece.fmt
        for event in _events(piece, options, report):
            if isinstance(event, Bad):
                problem = Problem(path, event.record, event.reason, _formats.repair_surrogates(event.detail))
                if options.strict:
                    raise _fail_strict(problem)
                report.add_skipped(problem)
                continue
            text = event.text
            repairs = list(event.repairs)
            limit = options.text_limit
            if limit is not None and len(text) > limit:  # CSV cells and Parquet values (the streaming readers cut their own)
                repairs.append((_formats.TRUNCATED, f"{len(text):,} characters; features use the first {limit:,}"))
                text = text[:limit]
            if _formats.has_surrogates(text):
                text = _formats.repair_surrogates(text)
                if not any(reason == _formats.INVALID_UTF8 for reason, _ in repairs):
                    repairs.append((_formats.INVALID_UTF8, "lone surrogate escape replaced with U+FFFD"))
            if is_blank(text):
                # A skip outranks repairs: one record, one reason.
                problem = Problem(path, event.record, "empty_text", "text is empty or whitespace-only (invisible characters included)")
                if options.strict:
                    raise _fail_strict(problem)
                report.add_skipped(problem)
                continue
            doc_id = _resolve_id(path, fmt, event, options.id_field, repairs)
            for reason, detail in repairs:
                problem = Problem(path, event.record, reason, detail)
                if options.strict and reason != _formats.TRUNCATED:  # a cut for the features, not a defect of the data
                    raise _fail_strict(problem)
                report.add_repaired(problem)
            report.documents += 1
            yield Document(doc_id, text, path, row, event.record, event.fields)
            row += 1


def _generate(
    paths: Sequence[str], inputs: list[tuple[str, str]], options: ReaderOptions, report: ReadReport, allow_empty: bool = False
) -> Iterator[Document]:
    empty = True
    for doc in read_pieces((Piece(path, fmt) for path, fmt in inputs), options, report):
        empty = False
        yield doc
    if empty and not (allow_empty and report.skipped_total == 0):
        raise nothing_read(paths, report)


def read_documents(
    paths: Sequence[str],
    options: ReaderOptions = ReaderOptions(),
    report: ReadReport | None = None,
    *,
    allow_empty: bool = False,
) -> Iterator[Document]:
    """Stream the documents in ``paths`` (files, directories, globs, ``-``) in order.

    Inputs are resolved before anything is read, so a missing path fails
    fast. Problems are recorded in ``report`` (pass one in to see them).
    Raises :class:`InputError` for unusable inputs, on the first problem when
    ``options.strict``, and when the inputs yield no document at all (unless
    ``allow_empty`` and they hold no record at all: an empty file in a data
    repository is not an error, a file whose every record is skipped still is).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [os.fspath(paths)]
    report = report if report is not None else ReadReport()
    return _generate(paths, resolve_inputs(paths, options, report), options, report, allow_empty)


def resolve_inputs(paths: Sequence[str], options: ReaderOptions, report: ReadReport) -> list[tuple[str, str]]:
    """``expand_inputs`` for a read: refuses an empty list; ignored files go to ``report``."""
    if not paths:
        raise InputError("no input paths given; pass at least one file, directory, glob or '-'")
    ignored: list[str] = []
    inputs = expand_inputs(paths, options.format, ignored=ignored)
    # Listed in summaries and reports, which must be encodable: a non-UTF-8 name is escaped.
    report.ignored_files.extend(_formats.display_path(path) for path in ignored)
    return inputs
