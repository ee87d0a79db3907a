"""A human reference taken from the corpus itself (``auditor scan --human-before`` / ``--reference-where``).

Text written before late 2022 is human for practical purposes, and a source known to
be human is human: the documents a :class:`Selection` picks by one of their fields
become the human reference of the synthetic-fraction estimate, so the estimate is
calibrated in the corpus's own domain without a separate file. The corpus is
scored as usual (the selected documents stay in its counts and its estimate); the
selected documents' scores are then handed to
:func:`auditor.estimate.references.build_estimator` as precomputed human scores. With
``--reference-human FILE`` the selection applies to those files' records instead.

Dates (``--human-before``): ISO 8601 dates and datetimes (with or without a
timezone; naive ones are read as UTC), Unix timestamps in seconds (numbers, or
strings of digits such as CSV cells; from 100,000,000, 1973-03-03, on: a smaller
number, a year say, is unreadable, and so are milliseconds past year 9999) and
native Parquet date / timestamp values.
A document whose field is missing (absent, null, blank) or unreadable is not
selected, and counted: the counts go to ``summary.json`` with the reference.
Values (``--reference-where FIELD=VALUE``) are compared as strings (JSON
``true`` / ``false`` for booleans, ISO for dates); a list or object is unreadable.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

import numpy as np

from auditor.corpus.batches import FingerprintOptions, fingerprint_batches
from auditor.detector.scorer import Detector
from auditor.errors import AuditorError, InputError
from auditor.io.documents import ReaderOptions
from auditor.io.inputs import expand_inputs
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?")
MIN_REFERENCE = 2  # what the estimator needs; a hundred or more is better
# Field names whose values the headline looks at when it suggests --human-before (:func:`date_like_field`).
DATE_FIELD_NAMES = ("date", "created_at", "created", "createdAt", "timestamp", "datetime", "time", "published",
                    "published_at", "publishedAt", "publish_date", "publication_date", "pub_date", "date_created",
                    "updated_at", "modified", "last_modified", "crawl_date", "retrieved")
SNIFFED_DOCUMENTS = 1000
MIN_TIMESTAMP = 100_000_000  # Unix seconds (1973-03-03): smaller numbers are not read as dates


def parse_day(text: str) -> date:
    """``--human-before``'s DATE: ISO ``YYYY-MM-DD`` only; raises ValueError otherwise."""
    if not _ISO_DATE.fullmatch(text.strip()):
        raise ValueError(f"{text!r} is not a date: give it as YYYY-MM-DD, e.g. 2022-11-30")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date: give it as YYYY-MM-DD, e.g. 2022-11-30") from None


def parse_when(value: object) -> datetime | None:
    """The moment a field value names, timezone-aware (naive: UTC); None when it names none."""
    if isinstance(value, bool):
        return None
    moment: datetime | None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)):
        moment = _from_timestamp(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = _from_timestamp(float(text)) if _NUMBER.fullmatch(text) else None
    else:
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _from_timestamp(seconds: float) -> datetime | None:
    try:
        finite = math.isfinite(seconds)
    except OverflowError:  # an integer too large for a float: not a moment
        return None
    if not finite or seconds < MIN_TIMESTAMP:  # a year (2021) or a count is not a moment of 1970
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _value_text(value: object) -> str | None:
    """A field value as the string ``--reference-where`` compares; None for a list or object."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return None


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class Selection:
    """Which documents are the human reference: ``field`` dated before ``before``, or equal to ``equals``.

    Exactly one of ``before`` (``--human-before``, with ``--date-field``) and
    ``equals`` (``--reference-where FIELD=VALUE``) is set. Picklable: workers apply it per batch.
    """

    field: str
    before: date | None = None
    equals: str | None = None

    def __post_init__(self) -> None:
        if not self.field:
            raise ValueError("the reference selection needs a field name")
        if (self.before is None) == (self.equals is None):
            raise ValueError("a reference selection is either a date (before) or a value (equals)")

    @property
    def option(self) -> str:
        """The command-line options that made it, for messages."""
        if self.before is not None:
            return f"--human-before {self.before.isoformat()} --date-field {self.field}"
        return f"--reference-where {self.field}={self.equals}"

    def source(self, documents: str) -> str:
        """``corpus documents with date before 2022-11-30 (field 'date')`` (``documents`` names what was selected from)."""
        if self.before is not None:
            return f"{documents} with date before {self.before.isoformat()} (field {self.field!r})"
        return f"{documents} with {self.field!r} equal to {self.equals!r}"

    def identity(self) -> dict[str, object]:
        return {"field": self.field, "before": self.before.isoformat() if self.before is not None else None, "equals": self.equals}

    def select(self, fields: Sequence[Mapping[str, object]]) -> tuple[np.ndarray, int, int]:
        """For each document's fields: selected or not; and how many had no value, and an unreadable one."""
        cutoff = datetime(self.before.year, self.before.month, self.before.day, tzinfo=timezone.utc) if self.before is not None else None
        chosen = np.zeros(len(fields), dtype=bool)
        missing = unreadable = 0
        for i, values in enumerate(fields):
            value = values.get(self.field)
            if _missing(value):
                missing += 1
                continue
            if cutoff is not None:
                moment = parse_when(value)
                if moment is None:
                    unreadable += 1
                else:
                    chosen[i] = moment < cutoff
            else:
                text = _value_text(value)
                if text is None:
                    unreadable += 1
                else:
                    chosen[i] = text == self.equals
        return chosen, missing, unreadable

    def describe(self, documents: str, missing: int, unreadable: int) -> dict[str, object]:
        """The human reference's block in ``summary.json`` (besides ``documents``, which the estimator adds)."""
        kind = {"before": self.before.isoformat()} if self.before is not None else {"equals": self.equals}
        return {"source": self.source(documents), "field": self.field, **kind, "missing": missing, "unreadable": unreadable}

    def check(self, documents: str, count: int, missing: int, unreadable: int) -> None:
        """Raise :class:`InputError` when fewer than :data:`MIN_REFERENCE` documents were selected."""
        if count < MIN_REFERENCE:
            what = "date" if self.before is not None else "value"
            raise InputError(
                f"{self.option}: {self.source(documents)}: {count} found ({missing} without a {what}, {unreadable} unreadable); "
                f"a human reference needs at least {MIN_REFERENCE} (a hundred or more is better)"
            )


def with_field(reader: ReaderOptions, name: str) -> ReaderOptions:
    """``reader`` also carrying the field ``name`` in each document's fields."""
    if reader.all_fields or name in reader.extra_fields:
        return reader
    return replace(reader, extra_fields=(*reader.extra_fields, name))


def check_paths(paths: Sequence[str], fmt: str, option: str) -> None:
    """Fail early on reference paths that cannot be read (before a long scan that needs them at its end)."""
    try:
        expand_inputs(paths, fmt)
    except InputError as err:
        raise InputError(f"{option}: {err}") from None


def corpus_human(selection: Selection, scores: np.ndarray, chosen: np.ndarray, missing: int, unreadable: int) -> tuple[np.ndarray, dict[str, object]]:
    """The selected corpus documents' scores and their description; raises InputError below 2 documents."""
    count = int(chosen.sum())
    selection.check("corpus documents", count, missing, unreadable)
    return scores[chosen], selection.describe("corpus documents", missing, unreadable)


def file_human(paths: Sequence[str], detector: Detector, options: FingerprintOptions,
               selection: Selection) -> tuple[np.ndarray, dict[str, object]]:
    """The scores of the records of ``paths`` (``--reference-human``) that ``selection`` picks, and their description."""
    reader = with_field(options.reader, selection.field)
    report = ReadReport()
    parts: list[np.ndarray] = []
    missing = unreadable = 0
    try:
        for batch in fingerprint_batches(read_documents(paths, reader, report), replace(options, reader=reader, near_duplicates=False)):
            chosen, batch_missing, batch_unreadable = selection.select([doc.fields for doc in batch.documents])
            missing, unreadable = missing + batch_missing, unreadable + batch_unreadable
            if chosen.any():
                parts.append(detector.score(batch.texts, batch.tokens, batch.features)[chosen])
    except AuditorError as err:
        raise InputError(f"--reference-human: {err}") from None
    scores = np.concatenate(parts) if parts else np.zeros(0)
    documents = f"documents of {', '.join(paths)}"
    selection.check(documents, len(scores), missing, unreadable)
    return scores, {**selection.describe(documents, missing, unreadable), "skipped": report.to_dict()["skipped"]}


def date_like_field(paths: Sequence[str], reader: ReaderOptions) -> str | None:
    """A field of :data:`DATE_FIELD_NAMES` holding a readable date in at least half of the corpus's first documents.

    Read again from the start (the first :data:`SNIFFED_DOCUMENTS` documents), only when the
    headline needs it; None for standard input or anything unreadable.
    """
    if any(path == "-" for path in paths) or reader.all_fields:
        return None
    names = tuple(name for name in DATE_FIELD_NAMES if name not in (reader.text_field, reader.id_field))
    counts = dict.fromkeys(names, 0)
    seen = 0
    try:
        documents = read_documents(paths, replace(reader, extra_fields=names, strict=False), ReadReport())
        for doc in itertools.islice(documents, SNIFFED_DOCUMENTS):
            seen += 1
            for name in names:
                value = doc.fields.get(name)
                if not _missing(value) and parse_when(value) is not None:
                    counts[name] += 1
        documents.close()
    except (AuditorError, OSError, ValueError, ArithmeticError):
        return None
    best = max(names, key=lambda name: counts[name])  # the first of the most frequent
    return best if seen and 2 * counts[best] >= seen else None
