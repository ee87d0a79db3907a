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
(repaired, document still yielded): ``invalid_utf8`` (or ``invalid_encoding``:
bytes invalid in a :attr:`ReaderOptions.encoding` other than UTF-8), ``missing_id``,
``bad_id``, ``truncated`` (text cut to ``max_doc_chars``). Notes (listed with the
problems, counted nowhere): ``csv_delimiter`` (a CSV file read with the delimiter
:class:`csv.Sniffer` found, its header lacking the text column with the default one).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable, Iterator, Sequence

from auditor.errors import InputError
from auditor.io import source
from auditor.io.documents import DEFAULT_ID_FIELD, Document, ReaderOptions
from auditor.io.formats import format_named
from auditor.io.formats.interface import INVALID_UTF8, MISSING, TRUNCATED, Bad, Piece, Record
from auditor.io.formats.jsonl import json_type
from auditor.io.inputs import resolve_inputs
from auditor.io.problems import Problem, ReadReport
from auditor.normalize import is_blank


def _resolve_id(path: str, fmt: str, record: Record, id_field: str | None, repairs: list[tuple[str, str]]) -> str:
    if format_named(fmt).ids_from_path:
        return path
    default = f"{path}:{record.record}"
    value = record.id_value
    if value is MISSING or value is None or value == "":
        if id_field is None:  # implicit "id": absence is normal, not a repair
            return default
        repairs.append(("missing_id", f"no {id_field!r} value; using {default!r}"))
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        kind = json_type(value)
        repairs.append(("bad_id", f"{id_field or DEFAULT_ID_FIELD!r} is a {kind}, expected a string or integer; using {default!r}"))
        return default
    text = str(value)
    if source.has_surrogates(text):
        repairs.append((INVALID_UTF8, f"lone surrogate in {id_field or DEFAULT_ID_FIELD!r} replaced with U+FFFD"))
        text = source.repair_surrogates(text)
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
        path, fmt = source.display_path(piece.path), piece.fmt
        for event in format_named(fmt).read(piece, options, report):
            if isinstance(event, Bad):
                problem = Problem(path, event.record, event.reason, source.repair_surrogates(event.detail))
                if options.strict:
                    raise _fail_strict(problem)
                report.add_skipped(problem)
                continue
            text = event.text
            repairs = list(event.repairs)
            limit = options.text_limit
            if limit is not None and len(text) > limit:  # CSV cells and Parquet values (the streaming readers cut their own)
                repairs.append((TRUNCATED, f"{len(text):,} characters; features use the first {limit:,}"))
                text = text[:limit]
            if source.has_surrogates(text):
                text = source.repair_surrogates(text)
                if not any(reason == INVALID_UTF8 for reason, _ in repairs):
                    repairs.append((INVALID_UTF8, "lone surrogate escape replaced with U+FFFD"))
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
                if options.strict and reason != TRUNCATED:  # a cut for the features, not a defect of the data
                    raise _fail_strict(problem)
                report.add_repaired(problem)
            report.documents += 1
            yield Document(doc_id, text, path, row, event.record, event.fields, event.row_in_file)
            row += 1


def _generate(
    paths: Sequence[str], inputs: list[tuple[str, str]], options: ReaderOptions, report: ReadReport, allow_empty: bool = False
) -> Generator[Document, None, None]:
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
) -> Generator[Document, None, None]:
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


