"""What reading left out or changed: skipped and repaired records by reason, with located examples.

Kept apart from :mod:`auditor.io.reading` so that shards read in other processes can
bring their own report back and have it merged, in input order, into the run's
(:meth:`ReadReport.merge`): counts add up and the examples are the first ones in
input order, exactly as one sequential read would have kept them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.summary import ReadSummary

CSV_DELIMITER = "csv_delimiter"  # a note: a CSV file read with the delimiter csv.Sniffer found, not the default
NOTES = frozenset({CSV_DELIMITER})
"""Reasons of notes: a file read other than as asked, listed among the problems whatever their number,
counted nowhere (no record was skipped or changed)."""


@dataclass(frozen=True)
class Problem:
    """A record (or a file, when ``record`` is None) that was not read cleanly."""

    path: str
    record: int | None
    reason: str
    detail: str

    def location(self) -> str:
        return self.path if self.record is None else f"{self.path}:{self.record}"


class ReadReport:
    """Everything that was not read cleanly, plus throughput counters.

    Skipped records and repaired records are counted by reason (a yielded
    document may carry several repairs, so ``repaired_total`` counts repairs,
    not documents). The first ``max_examples`` problems of either kind are kept
    for messages, and every note (:data:`NOTES`, :meth:`add_note`) in its place
    among them. ``bytes_read`` counts raw on-disk (compressed) bytes.
    """

    def __init__(self, max_examples: int = 20) -> None:
        self.max_examples = max_examples
        self.skipped_by_reason: dict[str, int] = {}
        self.repaired_by_reason: dict[str, int] = {}
        self.ignored_files: list[str] = []
        self.examples: list[Problem] = []
        self.files_read = 0
        self.bytes_read = 0
        self.documents = 0

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped_by_reason.values())

    @property
    def repaired_total(self) -> int:
        return sum(self.repaired_by_reason.values())

    def add_skipped(self, problem: Problem) -> None:
        self.skipped_by_reason[problem.reason] = self.skipped_by_reason.get(problem.reason, 0) + 1
        self._example(problem)

    def add_repaired(self, problem: Problem) -> None:
        self.repaired_by_reason[problem.reason] = self.repaired_by_reason.get(problem.reason, 0) + 1
        self._example(problem)

    def add_note(self, problem: Problem) -> None:
        """A file read other than as asked (``problem.reason`` one of :data:`NOTES`): listed, not counted."""
        if problem.reason not in NOTES:
            raise ValueError(f"{problem.reason!r} is not a note; one of {', '.join(sorted(NOTES))}")
        self._example(problem)

    def _example(self, problem: Problem) -> None:
        if len(self.examples) < self.max_examples or problem.reason in NOTES:
            self.examples.append(problem)

    def merge(self, other: ReadReport) -> None:
        """Add ``other``'s counts and examples (a later part of the input: its examples come after ours)."""
        for mine, theirs in ((self.skipped_by_reason, other.skipped_by_reason), (self.repaired_by_reason, other.repaired_by_reason)):
            for reason, count in theirs.items():
                mine[reason] = mine.get(reason, 0) + count
        self.ignored_files.extend(other.ignored_files)
        for problem in other.examples:
            self._example(problem)
        self.files_read += other.files_read
        self.bytes_read += other.bytes_read
        self.documents += other.documents

    def to_dict(self) -> ReadSummary:
        """JSON-ready summary (``by_reason`` sorted by key, for byte-identical output)."""
        return {
            "documents": self.documents,
            "files": self.files_read,
            "skipped": {"total": self.skipped_total, "by_reason": dict(sorted(self.skipped_by_reason.items()))},
            "repaired": {"total": self.repaired_total, "by_reason": dict(sorted(self.repaired_by_reason.items()))},
            "ignored_files": list(self.ignored_files),
            "examples": [{"location": p.location(), "reason": p.reason, "detail": p.detail} for p in self.examples],
        }

    def to_state(self) -> dict[str, object]:
        """Everything, JSON-ready, for :meth:`from_state` (a checkpointed shard's report)."""
        return {
            "max_examples": self.max_examples,
            "skipped_by_reason": dict(self.skipped_by_reason),
            "repaired_by_reason": dict(self.repaired_by_reason),
            "ignored_files": list(self.ignored_files),
            "examples": [[p.path, p.record, p.reason, p.detail] for p in self.examples],
            "files_read": self.files_read,
            "bytes_read": self.bytes_read,
            "documents": self.documents,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> ReadReport:
        """The report :meth:`to_state` described (raises KeyError / TypeError / ValueError on anything else)."""
        # ``state`` is decoded JSON (a checkpoint file): every value is converted (and so checked) here.
        report = cls(int(state["max_examples"]))
        report.skipped_by_reason = {str(k): int(v) for k, v in state["skipped_by_reason"].items()}
        report.repaired_by_reason = {str(k): int(v) for k, v in state["repaired_by_reason"].items()}
        report.ignored_files = [str(path) for path in state["ignored_files"]]
        report.examples = [Problem(str(path), None if record is None else int(record), str(reason), str(detail))
                           for path, record, reason, detail in state["examples"]]
        report.files_read, report.bytes_read, report.documents = (int(state[k]) for k in ("files_read", "bytes_read", "documents"))
        return report

    def __repr__(self) -> str:
        return (
            f"ReadReport(documents={self.documents}, files_read={self.files_read}, "
            f"skipped={self.skipped_by_reason}, repaired={self.repaired_by_reason}, ignored_files={len(self.ignored_files)})"
        )
