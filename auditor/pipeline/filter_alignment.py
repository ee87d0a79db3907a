"""The scan ``auditor filter`` takes its scores from, and how the documents it writes line up with the scan's rows.

:func:`load_scan` reads the columns filtering needs from a scan directory (``--from-scan``,
or the scan :func:`auditor.pipeline.filter.filter_corpus` runs itself). :class:`ScanAlignment`
pairs each document the filter reads (every field, so whole) with its row of the scan, by
input file and record number, and counts the records the scan has no row for.

Reading every field, a record is read whole, so a few records the scan skipped are read
here (``record_too_large``: its text began beyond what ``max_doc_chars`` keeps; a text whose
first ``max_doc_chars`` characters are blank): they are counted as ``not_in_scan`` and
written to neither file, as the scan left them out of its counts. Each input file, each
time it is listed, is one run of rows in the scan (its kept records, in increasing record
order), or none when the scan kept none of its records. Anything else that does not line
up is a mismatch, named in the error: a scan of other inputs, of other reader options, or
of inputs changed since.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from auditor.errors import InputError
from auditor.io.documents import Document
from auditor.io.problems import Problem, ReadReport
from auditor.pipeline.scan import DOCUMENTS_FILE
from auditor.pipeline.scan import SCHEMA as SCAN_SCHEMA

NOT_IN_SCAN = "not_in_scan"
_SCAN_COLUMNS = ("source", "record", "id", "chars", "p_synthetic", "p_machine_given_corpus", "dup_cluster")


@dataclass
class ScanScores:
    """The per-document columns of a scan that filtering needs, in input order."""

    path: Path
    sources: list[str]
    records: np.ndarray  # record index within its source: aligns the re-read records with the scan's rows
    ids: list[str]
    chars: np.ndarray  # length of the normalized text: catches edited files and another --text-field
    p_synthetic: np.ndarray
    posterior: np.ndarray  # p_machine_given_corpus: the document's posterior under the scan's fitted mixture
    clusters: np.ndarray  # -1: no near-duplicate
    threshold: float
    near_duplicates: bool
    skipped: int  # records the scan read but did not keep (every reason)
    model: dict[str, object]
    option: str = "--from-scan"  # how messages name it ("scan": one run by filter_corpus itself)
    estimate: dict[str, float] = field(default_factory=dict)  # the scan's synthetic fraction: estimate, low, high


    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def source_codes(self) -> tuple[dict[str, int], np.ndarray]:
        """A number for every source (normalized path) the scan has rows of, and each row's."""
        codes: dict[str, int] = {}
        rows = np.fromiter((codes.setdefault(os.path.normpath(s), len(codes)) for s in self.sources), dtype=np.int64,
                           count=len(self.sources))
        return codes, rows

    @cached_property
    def runs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(starts, ends)``: the rows where each input file's run of rows begins and ends (exclusive), in order.

        A run ends where the source changes or the record number does not increase (the
        same file listed again).
        """
        _, codes = self.source_codes
        n = len(codes)
        new = np.ones(n, dtype=bool)
        new[1:] = (codes[1:] != codes[:-1]) | (self.records[1:] <= self.records[:-1])
        starts = np.flatnonzero(new)
        return starts, np.append(starts[1:], n)


def load_scan(directory: str | os.PathLike[str], option: str = "--from-scan") -> ScanScores:
    """Read ``documents.parquet`` and ``summary.json`` of a scan directory; InputError when unusable."""
    root = Path(directory)
    rerun = f"re-run 'auditor scan PATH... --out {root}' on the same inputs"
    if not root.is_dir():
        raise InputError(f"{option} {root}: not a directory; pass the --out directory of 'auditor scan'")
    table_path, summary_path = root / DOCUMENTS_FILE, root / "summary.json"
    if not table_path.is_file():
        raise InputError(f"{option} {table_path}: no such file; {rerun}")
    if not summary_path.is_file():
        raise InputError(f"{option} {summary_path}: no such file (the scan did not finish); {rerun}")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        threshold = float(summary["flagged"]["threshold"])
        documents = int(summary["documents"])
        skipped = int(summary["skipped"]["total"])
        near_duplicates = bool(summary["near_duplicates"]["enabled"])
        fraction = summary["synthetic_fraction"]
        estimate = {key: float(fraction[key]) for key in ("estimate", "low", "high")}
        if summary.get("schema") != SCAN_SCHEMA:
            raise ValueError(f"schema {summary.get('schema')!r}, expected {SCAN_SCHEMA!r}")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"{option} {summary_path}: not a scan summary ({type(err).__name__}: {err}); {rerun}") from None
    try:
        names = pq.read_schema(table_path).names
        missing = [name for name in _SCAN_COLUMNS if name not in names]
        if missing:
            made = ("made by an earlier auditor version (before the posterior column)" if missing == ["p_machine_given_corpus"]
                    else "not written by 'auditor scan'")
            raise InputError(f"{option} {table_path}: no column(s) {', '.join(missing)}: {made}; {rerun}")
        table = pq.read_table(table_path, columns=list(_SCAN_COLUMNS))
    except (pa.ArrowException, OSError, UnicodeDecodeError) as err:  # a damaged footer: names that are not UTF-8
        raise InputError(f"{option} {table_path}: cannot be read ({err}); {rerun}") from None
    if table.num_rows != documents:
        raise InputError(f"{option} {table_path}: {table.num_rows} rows but {summary_path.name} says {documents} documents; {rerun}")
    clusters = table.column("dup_cluster").fill_null(-1).to_numpy().astype(np.int64)
    model = summary.get("model") or {}
    return ScanScores(
        path=table_path,
        sources=table.column("source").to_pylist(),
        records=table.column("record").to_numpy().astype(np.int64),
        ids=table.column("id").to_pylist(),
        chars=table.column("chars").to_numpy().astype(np.int64),
        p_synthetic=table.column("p_synthetic").to_numpy().astype(np.float64),
        posterior=table.column("p_machine_given_corpus").to_numpy().astype(np.float64),
        clusters=clusters,
        threshold=threshold,
        near_duplicates=near_duplicates,
        skipped=skipped,
        model={"name": model.get("name"), "sha256": model.get("sha256")},
        option=option,
        estimate=estimate,
    )


def mismatch(scores: ScanScores, detail: str) -> InputError:
    """The error for inputs that do not line up with ``scores`` (``detail`` says where)."""
    if scores.option != "--from-scan":  # the scan just run: only a change under our feet explains it
        return InputError(f"the inputs changed between the scan and the writing pass: {detail}; run the command again")
    return InputError(
        f"--from-scan {scores.path} does not match the inputs: {detail}; re-run 'auditor scan' on these inputs with the "
        "same reader options (--format, --text-field, --id-field, --csv-delimiter, --encoding, --strict, --max-doc-chars), "
        "or drop --from-scan to score them now"
    )


def out_of_step(scores: ScanScores, row: int, doc: Document) -> InputError:
    """The error for document ``doc`` found where the scan has row ``row``."""
    if row >= len(scores):
        return mismatch(scores, f"the scan has {len(scores)} documents, the inputs have more")
    return mismatch(scores, f"document {row} is {scores.ids[row]!r} from {scores.sources[row]} in the scan "
                            f"but {doc.id!r} from {doc.source} in the inputs")


class ScanAlignment:
    """Pairs the documents read with every field with the scan's rows (:meth:`pair`), then checks the counts (:meth:`check`)."""

    def __init__(self, scores: ScanScores, report: ReadReport) -> None:
        self.scores, self.report = scores, report
        self.absent: list[str] = []  # inputs the scan has no row of: every record skipped, or scanned under another name

    def pair(self, documents: Iterable[Document]) -> Iterator[tuple[int, Document]]:
        """Each document with the index of its row in the scan; a record the scan has no row for is counted
        (``not_in_scan``) and not yielded. Raises the mismatch error when the two are out of step."""
        scores = self.scores
        codes, row_codes = scores.source_codes
        starts, ends = scores.runs
        row, run, end = 0, 0, 0  # the next row; the next run; the end of the run of the file being read
        previous: tuple[str, int] | None = None
        for doc in documents:
            source = os.path.normpath(doc.source)
            if previous is None or previous[0] != source or doc.record <= previous[1]:  # the next input file begins
                if run < len(starts) and row == starts[run] and row_codes[row] == codes.get(source):
                    end, run = int(ends[run]), run + 1
                elif source in codes:  # the scan has rows of this file, elsewhere
                    raise out_of_step(scores, row, doc)
                else:
                    end = row  # none of its records is in the scan
                    self.absent.append(doc.source)
            previous = (source, doc.record)
            if row < end and doc.record == scores.records[row]:
                yield row, doc
                row += 1
            elif row == end or doc.record < scores.records[row]:
                self.report.add_skipped(Problem(doc.source, doc.record, NOT_IN_SCAN,
                                                "the scan skipped this record (its summary counts why); written to neither file"))
            else:  # the scan has a record of this file that was not read here
                raise out_of_step(scores, row, doc)

    def check(self, written: int) -> None:
        """Refuse (the mismatch error) when ``written`` documents and the records counted as skipped are not the scan's."""
        scores = self.scores
        hint = ""
        if self.absent:
            more = f" and {len(self.absent) - 1} other input(s)" if len(self.absent) > 1 else ""
            hint = f"; the scan has no row of {self.absent[0]}{more} (all skipped, or scanned under another path?)"
        if written != len(scores):
            raise mismatch(scores, f"the scan has {len(scores)} documents, the inputs {written}{hint}")
        if self.report.skipped_total != scores.skipped:
            # A record the scan has no row for must be one it skipped: anything else was added since.
            raise mismatch(scores, f"{self.report.skipped_total} record(s) skipped here or missing from the scan, "
                                   f"but the scan skipped {scores.skipped} (records added or changed since?){hint}")
