"""``auditor scan``: fingerprint + score every document, write ``documents.parquet``, the reports and ``summary.json``.

The output follows the CLI contract (README): ``documents.parquet`` has one
row per document read, in input order, with ``source``, ``row``, ``id``,
``p_synthetic``, ``flagged``, ``dup_cluster`` and the fingerprint features;
``summary.json`` (schema ``auditor.summary/1``) has the corpus figures;
``tokens.parquet`` the word counts of unflagged and flagged documents, which
the collapse projection (:mod:`auditor.projection.collapse`) in the summary uses;
``report.md`` and ``report.html`` (:mod:`auditor.report`). Each file is written
atomically, the summary last: its presence means every other output is complete.
Scores are computed where each batch is fingerprinted (:class:`auditor.pipeline.scoring.Scorer`).

The synthetic fraction comes from :mod:`auditor.estimate.fraction` (mixture maximum
likelihood by default, with a bootstrap interval), overall and per input
source, against the model's held-out score distributions or the user's own
reference samples (``reference_human`` / ``reference_machine``), or with the
corpus's own documents picked by a field as the human reference
(``corpus_reference``: :mod:`auditor.estimate.corpus_reference`). An interval wider than
0.3 makes the headline say so instead of giving the point estimate (:mod:`auditor.report.headline`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from auditor import __version__
from auditor.atomic import atomic_path, remove_leftovers
from auditor.corpus.batches import FingerprintOptions, Progress
from auditor.corpus.parallel import ExecutionOptions
from auditor.corpus.runner import LateColumn, fingerprint
from auditor.pipeline.scoring import Scorer
from auditor.detector.known import DEFAULT_KNOWN_THRESHOLD, QUERY_BANDING, KnownIndex, lsh_banding
from auditor.detector.scorer import Detector, load_detector
from auditor.errors import InputError, OutputError
from auditor.estimate.corpus_reference import Selection, check_paths, corpus_human, date_like_field, file_human, with_field
from auditor.estimate.fraction import METHODS
from auditor.estimate.plausible import PlausibleEstimator
from auditor.estimate.posterior import COLUMN as POSTERIOR_COLUMN
from auditor.estimate.posterior import AFTER as POSTERIOR_AFTER
from auditor.estimate.posterior import corpus_prior, posteriors
from auditor.estimate.references import build_estimator, fraction_summary, unmatched_fraction
from auditor.lock import outputs_lock
from auditor.projection.inputs import TOKENS_FILE, scan_projection
from auditor.projection.token_counts import TokenCounts
from auditor.report.files import REPORT_HTML, REPORT_MD, write_reports
from auditor.report.headline import is_informative, next_step
from auditor.summary import FingerprintSummary, FractionBlock, ProjectionBlock, ScanSummary

SCHEMA = "auditor.summary/1"
DOCUMENTS_FILE = "documents.parquet"
# Every file a scan writes into its directory, summary.json last.
OUTPUT_FILES = (DOCUMENTS_FILE, TOKENS_FILE, REPORT_MD, REPORT_HTML, "summary.json")


@dataclass(frozen=True)
class ScanOptions:
    """Settings of ``auditor scan``.

    Attributes:
        fingerprint: reading, MinHash and near-duplicate settings.
        model: model directory (None: the shipped default).
        threshold: ``flagged`` threshold on ``p_synthetic`` (None: the model's).
        method: synthetic-fraction estimator, one of :data:`auditor.estimate.fraction.METHODS`.
        reference_human / reference_machine: paths of documents known to be human /
            machine-written, replacing the model's validation score distributions.
        corpus_reference: the documents that are the human reference, picked by a field
            (``--human-before DATE --date-field FIELD``, ``--reference-where FIELD=VALUE``):
            the corpus's own, or with ``reference_human`` those files' records.
        known_synthetic: an index directory of known machine-generated text (``auditor index build``);
            documents near-duplicating it count as machine.
        known_threshold: estimated Jaccard at which a document matches the index.
        reports: write ``report.md`` and ``report.html`` (matplotlib plots: ~1-2 s per scan).
        execution: workers and backend (``--jobs``, ``--backend``, ``--scheduler``); the
            outputs are byte-identical whatever it is.
    """

    fingerprint: FingerprintOptions = field(default_factory=FingerprintOptions)
    model: str | None = None
    threshold: float | None = None
    method: str = "em"
    reference_human: tuple[str, ...] = ()
    reference_machine: tuple[str, ...] = ()
    corpus_reference: Selection | None = None
    known_synthetic: str | None = None
    known_threshold: float = DEFAULT_KNOWN_THRESHOLD
    reports: bool = True  # write report.md / report.html (filter's internal scan does not need them)
    execution: ExecutionOptions = field(default_factory=ExecutionOptions)

    def __post_init__(self) -> None:
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold}")
        if not 0.0 < self.known_threshold <= 1.0:
            raise ValueError(f"known-synthetic threshold must be in (0, 1], got {self.known_threshold}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")


@dataclass
class ScanResult:
    """What :func:`scan` wrote: the summary, and timing kept out of it (outputs stay byte-identical)."""

    summary: ScanSummary
    out: Path
    seconds: float
    text_bytes: int
    shards: int = 0
    resumed_shards: int = 0  # read back from an interrupted scan (``resume``)
    workers: int = 1  # processes the shards ran in (see FingerprintResult)


def scan(
    paths: Sequence[str],
    out: str | os.PathLike[str],
    options: ScanOptions = ScanOptions(),
    progress: Callable[[Progress], None] | None = None,
    detector: Detector | None = None,
    resume: bool = False,
) -> ScanResult:
    """Scan ``paths`` into the directory ``out`` (created if missing). Raises AuditorError subclasses.

    ``resume``: continue a scan of the same inputs with the same settings into ``out``
    that was interrupted, from the shards it completed; the outputs are the same.
    Another run writing into ``out`` at the same time raises
    :class:`~auditor.errors.OutputLocked` (:mod:`auditor.lock`).
    """
    detector = detector if detector is not None else load_detector(options.model)
    threshold = detector.threshold if options.threshold is None else options.threshold
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file: pass a directory for the scan's outputs")
    known = None
    if options.known_synthetic is not None:
        known = KnownIndex.load_shared(options.known_synthetic)
        known.check_compatible(options.fingerprint.num_perm, options.fingerprint.seed)
        lsh_banding(min(options.known_threshold, QUERY_BANDING), options.fingerprint.num_perm)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"--out {out_dir}: cannot create the directory ({err.strerror or err}); "
                          "check that its parent is writable, or write elsewhere") from None
    # One scan at a time writes into a directory, and no other command into one of its files:
    # either would mix files of two runs (auditor.lock).
    with outputs_lock([(out_dir / name, "--out") for name in OUTPUT_FILES], directory=(out_dir, "--out")):
        return _scan(paths, out_dir, options, progress, detector, resume, threshold, known)


def _scan(paths: Sequence[str], out_dir: Path, options: ScanOptions, progress: Callable[[Progress], None] | None,
          detector: Detector, resume: bool, threshold: float, known: KnownIndex | None) -> ScanResult:
    """:func:`scan` once the model and index are loaded and the output directory is locked."""
    # A stale summary must never sit next to a new table (a run killed between the writes).
    (out_dir / "summary.json").unlink(missing_ok=True)
    for name in OUTPUT_FILES:
        remove_leftovers(out_dir / name)  # what a killed scan was writing
    # Absolute: workers elsewhere (a dask cluster) resolve paths against their own directory.
    known_path = os.path.abspath(options.known_synthetic) if options.known_synthetic is not None else None
    selection = options.corpus_reference
    from_corpus = selection is not None and not options.reference_human  # the human reference: corpus documents
    scorer = Scorer(detector, threshold, known_path, options.known_threshold, selection if from_corpus else None)
    reading = options.fingerprint  # the corpus's reader also carries the selection's field
    reading = replace(reading, reader=with_field(reading.reader, selection.field)) if selection and from_corpus else reading
    start = time.perf_counter()
    # References first: their errors come early (a human reference from the corpus is checked once the corpus is scored).
    estimator = None
    if from_corpus:
        check_paths(options.reference_machine, options.fingerprint.reader.format, "--reference-machine")
    else:
        human = file_human(options.reference_human, detector, options.fingerprint, selection) if selection else None
        estimator = _estimator(detector, threshold, options, human)
    if options.reports:  # matplotlib takes ~0.75 s to import: while the workers (or the features' C code) run
        threading.Thread(target=_import_plotting, daemon=True).start()
    state = scorer.state
    scores = decided = np.zeros(0)
    matched = np.zeros(0, dtype=bool)
    fraction: FractionBlock | None = None
    token_counts: TokenCounts | None = None
    projection: Future[ProjectionBlock] | None = None

    def conclude(fp: FingerprintSummary) -> list[LateColumn]:
        """The estimate, once every shard is in: the posterior column goes into the table's one copy pass."""
        nonlocal estimator, scores, matched, fraction, decided, token_counts, projection
        scores = np.concatenate(state.scores) if state.scores else np.zeros(0)
        matched = np.concatenate(state.matched) if state.matched else np.zeros(0, dtype=bool)
        if estimator is None:
            assert selection is not None
            chosen = np.concatenate(state.reference) if state.reference else np.zeros(0, dtype=bool)
            estimator = _estimator(detector, threshold, options, corpus_human(selection, scores, chosen, *state.reference_counts))
        in_domain = bool(options.reference_human) or selection is not None
        fraction = fraction_summary(estimator, scores, state.source_runs, matched)
        informative = is_informative(fraction)
        step = None if informative else next_step(fp["documents"], len(estimator.human.scores) if in_domain else None,
                                                  bool(options.reference_machine),
                                                  None if in_domain else date_like_field(paths, options.fingerprint.reader))
        fraction["informative"], fraction["next_step"] = informative, step
        # The projection (numpy) runs beside the table's copy pass (pyarrow, C++): both release the GIL.
        token_counts = state.tokens.result()
        projection = pool.submit(scan_projection, token_counts, fraction)
        # Decisions follow the estimate: each document's posterior under the corpus's fitted mixture, with
        # the estimate of the documents not matched to known synthetic text as the prior.
        decided = posteriors(estimator, scores, unmatched_fraction(fraction), matched)
        return [LateColumn(pa.field(POSTERIOR_COLUMN, pa.float64()), POSTERIOR_AFTER, decided)]

    with ThreadPoolExecutor(max_workers=1) as pool:
        result = fingerprint(paths, out=out_dir / DOCUMENTS_FILE, options=reading, progress=progress, annotator=scorer,
                             execution=options.execution, resume=resume, conclude=conclude)
        # conclude ran: fingerprint returns only once every shard is in.
        assert fraction is not None and token_counts is not None and projection is not None
        token_counts.write(out_dir / TOKENS_FILE)
        projected = projection.result()
    fp = result.summary
    documents = fp["documents"]
    rest = ~matched
    rest_fraction = unmatched_fraction(fraction)
    summary: ScanSummary = {
        "schema": SCHEMA,
        "tool": {"name": "auditor", "version": __version__},
        "inputs": fp["inputs"],
        "model": {
            "name": detector.name,
            "sha256": detector.sha256,
            "arrays_sha256": detector.arrays_sha256,
            "path": str(detector.path) if detector.path is not None else None,
            "threshold": detector.threshold,
        },
        "documents": documents,
        "skipped": fp["skipped"],
        "repaired": fp["repaired"],
        "ignored_files": fp["ignored_files"],
        "problems": fp["problems"],
        "synthetic_fraction": fraction,
        "flagged": {"threshold": threshold, "count": int((scores >= threshold).sum())},
        "posterior": {"column": POSTERIOR_COLUMN, "prior": corpus_prior(rest_fraction, int(rest.sum())),
                      "expected_machine_documents": float(decided.sum()),
                      "above_half": int((decided > 0.5).sum())},
        "near_duplicates": fp["near_duplicates"],
        "evasion": fp["evasion"],
        "known_synthetic": (
            {"index": str(options.known_synthetic), "indexed_documents": len(known), "threshold": options.known_threshold,
             "matched": int(matched.sum())}
            if known is not None else None
        ),
        "fingerprint": fp["fingerprint"],
        "projection": projected,
        "top_documents": scorer.top_documents(),
        "outputs": {"documents": DOCUMENTS_FILE, "tokens": TOKENS_FILE,
                    **({"report_md": REPORT_MD, "report_html": REPORT_HTML} if options.reports else {})},
    }
    if options.reports:
        write_reports(summary, out_dir / DOCUMENTS_FILE, out_dir)
    with atomic_path(out_dir / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    return ScanResult(summary, out_dir, time.perf_counter() - start, result.text_bytes, result.shards, result.resumed_shards,
                      result.workers)


def _estimator(detector: Detector, threshold: float, options: ScanOptions,
               human: tuple[np.ndarray, dict[str, object]] | None) -> PlausibleEstimator:
    """:func:`~auditor.estimate.references.build_estimator` with the scan's references; ``human``: selected scores and their description."""
    if human is None:
        return build_estimator(detector, threshold, options.method, options.reference_human, options.reference_machine, options.fingerprint)
    return build_estimator(detector, threshold, options.method, (), options.reference_machine, options.fingerprint, *human)


def _import_plotting() -> None:
    """Import what the reports' plots need, ahead of them (a thread: the import lock makes the plots wait for it)."""
    import matplotlib.figure  # noqa: F401
    import matplotlib.style  # noqa: F401
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
