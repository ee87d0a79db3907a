"""``auditor filter``: split a corpus into kept and rejected documents, each with every original field.

Scores and near-duplicate clusters are a scan's: :attr:`FilterOptions.from_scan`
reuses the ``documents.parquet`` of an ``auditor scan --out DIR`` (checked
against the inputs document by document), otherwise :func:`auditor.pipeline.scan.scan`
runs into a temporary directory, so a document's ``p_synthetic`` is exactly what
a scan gives it. The inputs are then read again with every field
(``ReaderOptions(all_fields=True)``) and each document is written to the keep
or the reject file (:mod:`auditor.io.writers`: JSONL, CSV/TSV or Parquet, as the file's
name asks) with the auditor's fields:

- ``p_synthetic``: the score; ``dup_cluster``: the near-duplicate cluster (null when none);
- ``p_machine_given_corpus``: the document's posterior under the scan's fitted mixture
  (:mod:`auditor.estimate.posterior`);
- ``reasons``: why it was rejected, empty for a kept document:
  ``p_machine_given_corpus 0.97 > 0.50`` by default (``max_posterior``, 0.5: the
  rejected count then follows the corpus's estimated machine share), or
  ``p_synthetic 0.97 >= 0.95`` with ``max_score`` (a fixed cut on the score);
  ``near-duplicate-of:<id>`` with ``dedup``;
- ``auditor_id``: the document's id (as in ``documents.parquet`` and in the
  ``near-duplicate-of`` reasons; the path for ``.txt`` inputs, ``file:record``
  for records without an id).

The dedup rule: in each near-duplicate cluster the first document in input
order that is not rejected for its score is kept; every other member is
rejected with ``near-duplicate-of:<that document's id>`` (a member rejected for
its score too gets both reasons). When every member is rejected for its score,
none is kept and they carry only their score reason.

``from_scan`` is checked, document by document, against the inputs: same
source, record, id and normalized text length in the same order, and the same
number of documents; records the scan skipped are counted (``not_in_scan``), and
anything else is refused (the scan is of other inputs or stale;
:mod:`auditor.pipeline.filter_alignment`). The scan computed its length on the first
``max_doc_chars`` characters of a longer text, so the check does too, while the
record is written whole.

Nothing is lost: every document read lands in exactly one of the two files,
records that could not be read are counted by reason in the summary, and both
files are written under temporary names and replaced as a pair only when
everything succeeded, with a manifest vouching for them
(:mod:`auditor.pipeline.filter_outputs`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from auditor import __version__
from auditor.corpus.batches import Progress
from auditor.detector.scorer import Detector
from auditor.errors import ConfigError, InputError
from auditor.estimate.posterior import COLUMN as POSTERIOR
from auditor.estimate.posterior import ScoreRule
from auditor.io.documents import Document
from auditor.io.formats.output import RecordWriter, output_format_for
from auditor.io.inputs import expand_inputs
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents
from auditor.io.writers import writing_records
from auditor.normalize import normalize
from auditor.pipeline.filter_alignment import ScanAlignment, ScanScores, load_scan, mismatch, out_of_step
from auditor.pipeline.filter_outputs import commit_pair, manifest_path, staged_pair
from auditor.pipeline.scan import ScanOptions, scan

SCHEMA = "auditor.filter/1"
AUDITOR_FIELDS = (
    pa.field("p_synthetic", pa.float64()),
    pa.field("p_machine_given_corpus", pa.float64()),
    pa.field("dup_cluster", pa.int64()),
    pa.field("reasons", pa.list_(pa.string())),
    pa.field("auditor_id", pa.string()),
)
_PROGRESS_EVERY = 1024


@dataclass(frozen=True)
class FilterOptions:
    """Settings of ``auditor filter``.

    Attributes:
        scan: how to read the inputs (``scan.fingerprint.reader``) and, without
            ``from_scan``, how to score them (model, threshold, near-duplicate settings).
        max_posterior: reject documents with ``p_machine_given_corpus > max_posterior``
            (the default rule, at :data:`DEFAULT_MAX_POSTERIOR`).
        max_score: reject documents with ``p_synthetic >= max_score`` instead.
        score_filter: False rejects no document for its score (neither cut may then be given).
        dedup: keep one document per near-duplicate cluster (see the module's rule).
        from_scan: a directory written by ``auditor scan --out``, whose scores and
            clusters are used instead of scanning again; only the reader settings
            of ``scan`` matter then.
    """

    scan: ScanOptions = field(default_factory=ScanOptions)
    max_score: float | None = None
    max_posterior: float | None = None
    score_filter: bool = True
    dedup: bool = False
    from_scan: str | None = None

    def __post_init__(self) -> None:
        if self.max_score is not None and not 0.0 <= self.max_score <= 1.0:
            raise ValueError(f"max_score must be in [0, 1], got {self.max_score}")
        if self.max_posterior is not None and not 0.0 <= self.max_posterior <= 1.0:
            raise ValueError(f"max_posterior must be in [0, 1], got {self.max_posterior}")
        if self.max_score is not None and self.max_posterior is not None:
            raise ValueError("max_score and max_posterior are two rules for one decision; give one of them")
        if (self.max_score is not None or self.max_posterior is not None) and not self.score_filter:
            raise ValueError("max_score / max_posterior have no effect without the score filter; drop one of them")

    def rule(self) -> ScoreRule | None:
        """The rule that rejects a document for its score (None: ``score_filter`` is off)."""
        if not self.score_filter:
            return None
        if self.max_score is not None:
            return ScoreRule("p_synthetic", self.max_score)
        return ScoreRule(POSTERIOR, DEFAULT_MAX_POSTERIOR if self.max_posterior is None else self.max_posterior)


DEFAULT_MAX_POSTERIOR = 0.5


@dataclass
class FilterResult:
    """What :func:`filter_corpus` wrote: the summary (JSON-ready), the two files, their manifest and the wall time."""

    summary: dict[str, object]
    keep: Path
    reject: Path
    seconds: float
    manifest: Path | None = None


def decide(values: np.ndarray, clusters: np.ndarray, rule: ScoreRule | None, dedup: bool) -> tuple[np.ndarray, np.ndarray]:
    """Which documents are rejected for their score, and of which document each one is a rejected near-duplicate.

    ``values``: the column the rule reads. Returns ``(for_score, duplicate_of)``: a boolean
    array, and for every document the index of its cluster's kept document (-1 when it is
    not rejected as a near-duplicate). The kept document of a cluster is its first member,
    in input order, not rejected for its score.
    """
    n = len(values)
    for_score = rule.rejects(values) if rule is not None else np.zeros(n, dtype=bool)
    duplicate_of = np.full(n, -1, dtype=np.int64)
    if dedup:
        kept: dict[int, int] = {}
        for i in np.flatnonzero((clusters >= 0) & ~for_score).tolist():
            kept.setdefault(int(clusters[i]), i)
        for i in np.flatnonzero(clusters >= 0).tolist():
            keeper = kept.get(int(clusters[i]), -1)
            if keeper != i:
                duplicate_of[i] = keeper
    return for_score, duplicate_of




def _check_outputs(paths: Sequence[str], keep: Path, reject: Path, fmt: str, from_scan: str | None) -> None:
    output_format_for(keep, "--keep")
    output_format_for(reject, "--reject")
    if keep.resolve() == reject.resolve():
        raise ConfigError(f"--keep and --reject are the same file ({keep}); give two different paths")
    # The outputs by resolved path: the option and its path (or, below, the manifest's description).
    targets: dict[Path, tuple[str, Path | str]] = {keep.resolve(): ("--keep", keep), reject.resolve(): ("--reject", reject)}
    for option, path in targets.values():
        assert isinstance(path, Path)  # only the two outputs so far
        if path.is_dir():
            raise ConfigError(f"{option} {path} is a directory; give a file path")
    protected = [(path, "one of the inputs") for path, _ in expand_inputs(paths, fmt) if path != "-"]
    if from_scan is not None:
        protected += [(str(Path(from_scan) / name), "part of --from-scan") for name in ("documents.parquet", "summary.json")]
    targets[manifest_path(keep).resolve()] = ("--keep", f"{keep}'s manifest {manifest_path(keep)}")
    for path, what in protected:
        hit = targets.get(Path(path).resolve())
        if hit is not None:
            raise InputError(f"{hit[0]} {hit[1]} is also {what}: choose an output path outside the corpus")


def filter_corpus(
    paths: Sequence[str],
    keep: str | os.PathLike[str],
    reject: str | os.PathLike[str],
    options: FilterOptions = FilterOptions(),
    progress: Callable[[Progress], None] | None = None,
    detector: Detector | None = None,
) -> FilterResult:
    """Write every document under ``paths`` to ``keep`` or ``reject`` (``.jsonl``, ``.csv``, ``.tsv``, ``.parquet``, ...).

    Their directories are created when missing. Raises :class:`~auditor.errors.AuditorError`
    subclasses for unusable inputs, outputs or scans; on any error neither output file is
    created or changed, and the directories created are removed again.
    ``detector`` (an :class:`auditor.detector.scorer.Detector`) skips loading the model.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise InputError("no input paths given; pass at least one file, directory, glob or '-'")
    keep_path, reject_path = Path(keep), Path(reject)
    reader = replace(options.scan.fingerprint.reader, all_fields=True, extra_fields=())
    _check_outputs(paths, keep_path, reject_path, reader.format, options.from_scan)
    if options.dedup and not options.scan.fingerprint.near_duplicates and options.from_scan is None:
        raise ConfigError("dedup needs near-duplicate clusters: do not disable near-duplicates")
    if options.from_scan is None and "-" in paths:
        raise InputError("-: without --from-scan the inputs are read twice (scan, then write), which standard input "
                         "cannot be; save it to a file, or scan it first and pass --from-scan")
    start = time.perf_counter()
    report = ReadReport()
    # Both outputs locked, written complete under temporary names, then replaced as a pair with
    # their manifest; the scan run now and any staging live in a scratch directory beside them.
    with staged_pair(keep_path, reject_path) as staged:
        if options.from_scan is not None:
            scores = load_scan(options.from_scan)
        else:
            scan(paths, staged.scratch / "scan", replace(options.scan, reports=False), progress=progress, detector=detector)
            scores = load_scan(staged.scratch / "scan", option="scan")
        if options.dedup and not scores.near_duplicates:
            raise InputError(f"--dedup: {scores.path} has no near-duplicate clusters (scanned with --no-near-duplicates); "
                             "re-run the scan without it")
        rule = options.rule()
        values = scores.posterior if rule is None or rule.column == POSTERIOR else scores.p_synthetic  # what the rule reads
        for_score, duplicate_of = decide(values, scores.clusters, rule, options.dedup)
        metadata = {"schema": SCHEMA, "rule": rule.describe() if rule else None, "dedup": options.dedup, "model": scores.model}
        with writing_records(staged.keep, output_format_for(keep_path), keep_path, AUDITOR_FIELDS,
                             {**metadata, "file": "keep"}) as keep_out, \
                writing_records(staged.reject, output_format_for(reject_path), reject_path, AUDITOR_FIELDS,
                                {**metadata, "file": "reject"}) as reject_out:
            alignment = ScanAlignment(scores, report)
            documents = _write_documents(alignment.pair(read_documents(paths, reader, report)), scores, for_score, duplicate_of,
                                         rule, values, (keep_out, reject_out), reader.max_doc_chars, progress, start)
            alignment.check(documents)
        # Every document of the scan was written (checked), so the counts follow from the decisions.
        duplicate = duplicate_of >= 0
        kept = documents - int((for_score | duplicate).sum())
        manifest = commit_pair(staged, keep_path, reject_path, {"keep": kept, "reject": documents - kept})
    by_score, by_duplicate, both = int(for_score.sum()), int(duplicate.sum()), int((for_score & duplicate).sum())
    read = report.to_dict()
    json_columns = {name: list(writer.json_columns) for name, writer in (("keep", keep_out), ("reject", reject_out)) if writer.json_columns}
    summary: dict[str, object] = {
        "schema": SCHEMA,
        "tool": {"name": "auditor", "version": __version__},
        "inputs": paths,
        "scores": {"from_scan": options.from_scan, "model": scores.model, "flagged_threshold": scores.threshold},
        "rule": {"column": rule.column, "operator": rule.operator, "cut": rule.cut} if rule else None,
        "max_score": rule.cut if rule and rule.column == "p_synthetic" else None,
        "max_posterior": rule.cut if rule and rule.column == POSTERIOR else None,
        # The rejected count is meant to follow the corpus's estimate: its interval, in documents, beside it.
        "estimate": {**scores.estimate, "documents_low": scores.estimate.get("low", 0.0) * documents,
                     "documents_high": scores.estimate.get("high", 1.0) * documents},
        "dedup": options.dedup,
        "documents": documents,
        "kept": kept,
        "rejected": {
            "total": documents - kept,
            "by_reason": {"synthetic": by_score, "near_duplicate": by_duplicate},
            "both": both,
        },
        "skipped": read["skipped"],
        "repaired": read["repaired"],
        "ignored_files": read["ignored_files"],
        "problems": read["examples"],
        "outputs": {"keep": str(keep_path), "reject": str(reject_path), "manifest": str(manifest)},
        "json_columns": json_columns,
    }
    return FilterResult(summary, keep_path, reject_path, time.perf_counter() - start, manifest)


def _write_documents(
    documents: Iterable[tuple[int, Document]], scores: ScanScores, for_score: np.ndarray, duplicate_of: np.ndarray,
    rule: ScoreRule | None, values: np.ndarray,
    writers: tuple[RecordWriter, RecordWriter], max_doc_chars: int | None, progress: Callable[[Progress], None] | None,
    start: float,
) -> int:
    """Write each document to the keep or the reject writer with the auditor's fields; return how many.

    Each is checked against the scan's row it was paired with (:class:`~auditor.pipeline.filter_alignment.ScanAlignment`:
    source and record) first: id, normalized length. The scan computed the length on the first ``max_doc_chars``
    characters of a longer text, so the check cuts there too; the record is written whole.
    """
    keep_out, reject_out = writers
    written = text_bytes = 0
    for i, doc in documents:
        if scores.ids[i] != doc.id:  # another --id-field
            raise out_of_step(scores, i, doc)
        chars = len(normalize(doc.text[:max_doc_chars] if max_doc_chars is not None else doc.text))
        if chars != scores.chars[i]:
            cut = f", of its first {max_doc_chars:,} characters" if max_doc_chars is not None and len(doc.text) > max_doc_chars else ""
            raise mismatch(scores, f"the text of document {i} ({doc.id!r}, {doc.source}:{doc.record}) has {chars} characters "
                                    f"(normalized{cut}) here but {int(scores.chars[i])} in the scan (edited since, or another --text-field?)")
        reasons = []
        if for_score[i]:
            assert rule is not None
            reasons.append(rule.reason(float(values[i])))
        if duplicate_of[i] >= 0:
            reasons.append(f"near-duplicate-of:{scores.ids[duplicate_of[i]]}")
        cluster = int(scores.clusters[i])
        auditor = {"p_synthetic": float(scores.p_synthetic[i]), POSTERIOR: float(scores.posterior[i]),
                   "dup_cluster": cluster if cluster >= 0 else None,
                   "reasons": reasons, "auditor_id": doc.id}
        (reject_out if reasons else keep_out).write(doc.fields, auditor)
        written += 1
        if progress is not None:  # the byte count only feeds the progress line
            text_bytes += len(doc.text.encode("utf-8"))
            if written % _PROGRESS_EVERY == 0:
                progress(Progress(written, text_bytes, time.perf_counter() - start))
    return written
