"""``auditor scan``: fingerprint + score every document, write ``documents.parquet``, the reports and ``summary.json``.

The output follows the CLI contract (README): ``documents.parquet`` has one
row per document read, in input order, with ``source``, ``row``, ``id``,
``p_synthetic``, ``flagged``, ``dup_cluster`` and the fingerprint features;
``summary.json`` (schema ``auditor.summary/1``) has the corpus figures;
``tokens.parquet`` the word counts of unflagged and flagged documents, which
the collapse projection (:mod:`auditor.projection.collapse`) in the summary uses;
``report.md`` and ``report.html`` (:mod:`auditor.report`). Each file is written
atomically, the summary last: its presence means every other output is complete.

The synthetic fraction comes from :mod:`auditor.estimate.fraction` (mixture maximum
likelihood by default, with a bootstrap interval), overall and per input
source, against the model's held-out score distributions or the user's own
reference samples (``reference_human`` / ``reference_machine``), or with the
corpus's own documents picked by a field as the human reference
(``corpus_reference``: :mod:`auditor.estimate.corpus_reference`). An interval wider than
0.3 makes the headline say so instead of giving the point estimate (:mod:`auditor.report.headline`).
"""

from __future__ import annotations

import heapq
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa

from auditor import __version__
from auditor.atomic import atomic_path, remove_leftovers
from auditor.corpus.batches import Annotator, AnnotatorState, Batch, FingerprintOptions, Progress
from auditor.corpus.parallel import ExecutionOptions
from auditor.corpus.runner import fingerprint
from auditor.detector.known import DEFAULT_KNOWN_THRESHOLD, QUERY_BANDING, KnownIndex, lsh_banding
from auditor.detector.scorer import Detector, load_detector
from auditor.errors import InputError, OutputError
from auditor.estimate.corpus_reference import Selection, check_paths, corpus_human, date_like_field, file_human, with_field
from auditor.estimate.fraction import METHODS
from auditor.estimate.plausible import PlausibleEstimator
from auditor.estimate.posterior import COLUMN as POSTERIOR_COLUMN
from auditor.estimate.posterior import add_posterior_column, corpus_prior
from auditor.estimate.references import build_estimator, fraction_summary, unmatched_fraction
from auditor.lock import outputs_lock
from auditor.projection.inputs import TOKENS_FILE, scan_projection
from auditor.projection.token_counts import TokenCounter, TokenCounts
from auditor.report.files import REPORT_HTML, REPORT_MD, write_reports
from auditor.report.headline import is_informative, next_step
from auditor.summary import ScanSummary, TopDocument

SCHEMA = "auditor.summary/1"
DOCUMENTS_FILE = "documents.parquet"
# Every file a scan writes into its directory, summary.json last.
OUTPUT_FILES = (DOCUMENTS_FILE, TOKENS_FILE, REPORT_MD, REPORT_HTML, "summary.json")
TOP_DOCUMENTS = 20  # highest-scoring documents kept, with excerpts, for the reports
EXCERPT_CHARS = 300


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


@dataclass
class _ScoreState:
    """What scoring keeps for the estimate and the reports: per shard in a worker, then for the corpus here.

    Per document 9 bytes (score, known-match flag); sources as runs; word counts by
    vocabulary; the best documents. Picklable and free of the model, so a worker's
    shard state travels back small.
    """

    scores: list[np.ndarray] = field(default_factory=list)
    matched: list[np.ndarray] = field(default_factory=list)
    source_runs: list[tuple[str, int]] = field(default_factory=list)
    tokens: TokenCounter = field(default_factory=TokenCounter)  # unflagged / flagged word counts, for the projection
    top: list[tuple[float, int, TopDocument]] = field(default_factory=list)  # min-heap of the highest scores
    reference: list[np.ndarray] = field(default_factory=list)  # with a corpus reference: which documents it holds
    reference_counts: list[int] = field(default_factory=lambda: [0, 0])  # documents without a field value / unreadable

    def offer(self, score: float, entry: TopDocument) -> None:
        item = (score, -int(entry["row"]), entry)
        if len(self.top) < TOP_DOCUMENTS:
            heapq.heappush(self.top, item)
        elif item[:2] > self.top[0][:2]:
            heapq.heapreplace(self.top, item)

    def add_sources(self, runs: Sequence[tuple[str, int]]) -> None:
        for name, count in runs:
            if self.source_runs and self.source_runs[-1][0] == name:
                self.source_runs[-1] = (name, self.source_runs[-1][1] + count)
            else:
                self.source_runs.append((name, count))


class _Scorer(Annotator[_ScoreState]):
    """Annotator adding ``p_synthetic``, ``flagged`` (and ``known_synthetic_jaccard`` with an index).

    A copy per shard (:meth:`spawn`) scores in the worker into its own :class:`_ScoreState`,
    which :meth:`absorb` merges here, shard by shard in input order.
    """

    def __init__(self, detector: Detector, threshold: float, known_path: str | None, known_threshold: float,
                 selection: Selection | None = None):
        self.detector, self.threshold, self.selection = detector, threshold, selection
        # By path: a worker loads the index itself, once (KnownIndex.load_shared), instead of
        # receiving its signatures with every shard.
        self.known_path, self.known_threshold = known_path, known_threshold
        self.fields = [pa.field("p_synthetic", pa.float64()), pa.field("flagged", pa.bool_())]
        if known_path is not None:
            self.fields.append(pa.field("known_synthetic_jaccard", pa.float64()))
        self.state = _ScoreState()

    def spawn(self) -> _Scorer:
        return _Scorer(self.detector, self.threshold, self.known_path, self.known_threshold, self.selection)

    def harvest(self) -> _ScoreState:
        return self.state

    def top_documents(self) -> list[TopDocument]:
        """The highest-scoring documents, highest first (ties: earlier row first), with excerpts."""
        return [entry for _, _, entry in sorted(self.state.top, key=lambda item: (-item[0], -item[1]))]

    def columns(self, batch: Batch) -> list[pa.Array]:
        state = self.state
        scores = self.detector.score(batch.texts, batch.tokens, batch.features)
        state.scores.append(scores)
        state.add_sources([(doc.source, 1) for doc in batch.documents])
        flagged = scores >= self.threshold
        # Only the batch's own best TOP_DOCUMENTS (highest score, then earliest row) can enter
        # the running top: numpy picks them, so the Python loop never runs per document.
        for i in np.lexsort((np.arange(len(scores)), -scores))[:TOP_DOCUMENTS].tolist():
            doc = batch.documents[i]
            state.offer(float(scores[i]), {"row": doc.row, "id": doc.id, "source": doc.source, "p_synthetic": float(scores[i]),
                                           "excerpt": doc.text[:EXCERPT_CHARS]})
        columns = [pa.array(scores), pa.array(flagged)]
        matched = np.zeros(len(scores), dtype=bool)
        if self.known_path is not None:
            known = KnownIndex.load_shared(self.known_path)
            jaccard = known.best_jaccard(batch.signatures, min(self.known_threshold, QUERY_BANDING))
            matched = jaccard >= self.known_threshold
            columns.append(pa.array(jaccard))
        state.matched.append(matched)
        if self.selection is not None:
            chosen, missing, unreadable = self.selection.select([doc.fields for doc in batch.documents])
            state.reference.append(chosen & ~matched)  # known synthetic text is not human
            state.reference_counts = [state.reference_counts[0] + missing, state.reference_counts[1] + unreadable]
        # Known synthetic text is machine text: it must not count as the human distribution p0.
        state.tokens.add(batch.tokens.word_hashes, batch.tokens.doc, flagged | matched)
        return columns

    def identity(self) -> dict[str, object]:
        known = None
        if self.known_path is not None:
            arrays = KnownIndex.load_shared(self.known_path).summary.get("arrays")
            known = {"path": self.known_path, "sha256": arrays.get("sha256") if isinstance(arrays, dict) else None}
        return {"model": self.detector.sha256, "threshold": self.threshold, "known_synthetic": known,
                "known_threshold": self.known_threshold, "corpus_reference": self.selection.identity() if self.selection else None}

    def dump(self, state: _ScoreState) -> AnnotatorState:
        tokens = state.tokens.result()
        arrays = {"scores": np.concatenate(state.scores) if state.scores else np.zeros(0),
                  "matched": np.concatenate(state.matched) if state.matched else np.zeros(0, dtype=bool),
                  "token_hashes": tokens.hashes, "token_unflagged": tokens.unflagged, "token_flagged": tokens.flagged,
                  "reference": np.concatenate(state.reference) if state.reference else np.zeros(0, dtype=bool),
                  "reference_counts": np.array(state.reference_counts, dtype=np.int64)}
        # Scores go through JSON as repr'd floats, which read back bit for bit.
        return {"source_runs": [list(run) for run in state.source_runs], "top": [list(item) for item in state.top]}, arrays

    def load(self, saved: AnnotatorState) -> _ScoreState:
        values, arrays = saved
        tokens = TokenCounts(arrays["token_hashes"].astype(np.uint64), arrays["token_unflagged"].astype(np.int64),
                             arrays["token_flagged"].astype(np.int64))
        return _ScoreState(
            scores=[arrays["scores"].astype(np.float64)],
            matched=[arrays["matched"].astype(bool)],
            source_runs=[(str(name), int(count)) for name, count in cast(list[list[Any]], values["source_runs"])],  # as dump wrote them
            tokens=TokenCounter.of(tokens),
            top=[(float(score), int(row), cast(TopDocument, dict(entry))) for score, row, entry in cast(list[list[Any]], values["top"])],
            reference=[arrays["reference"].astype(bool)] if self.selection is not None else [],
            reference_counts=[int(n) for n in arrays["reference_counts"]],
        )

    def absorb(self, shard: _ScoreState, row_offset: int) -> None:
        state = self.state
        state.scores.extend(shard.scores)
        state.matched.extend(shard.matched)
        state.add_sources(shard.source_runs)
        state.tokens.update(shard.tokens)
        state.reference.extend(shard.reference)
        state.reference_counts = [a + b for a, b in zip(state.reference_counts, shard.reference_counts)]
        for score, _, entry in shard.top:
            state.offer(score, {**entry, "row": int(entry["row"]) + row_offset})


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
    scorer = _Scorer(detector, threshold, known_path, options.known_threshold, selection if from_corpus else None)
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
    result = fingerprint(paths, out=out_dir / DOCUMENTS_FILE, options=reading, progress=progress, annotator=scorer,
                         execution=options.execution, resume=resume)
    fp = result.summary
    documents = fp["documents"]
    state = scorer.state
    scores = np.concatenate(state.scores) if state.scores else np.zeros(0)
    matched = np.concatenate(state.matched) if state.matched else np.zeros(0, dtype=bool)
    if estimator is None:
        assert selection is not None
        chosen = np.concatenate(state.reference) if state.reference else np.zeros(0, dtype=bool)
        estimator = _estimator(detector, threshold, options, corpus_human(selection, scores, chosen, *state.reference_counts))
    in_domain = bool(options.reference_human) or selection is not None
    fraction = fraction_summary(estimator, scores, state.source_runs, matched)
    informative = is_informative(fraction)
    step = None if informative else next_step(documents, len(estimator.human.scores) if in_domain else None, bool(options.reference_machine),
                                              None if in_domain else date_like_field(paths, options.fingerprint.reader))
    fraction["informative"], fraction["next_step"] = informative, step
    # Decisions follow the estimate: each document's posterior under the corpus's fitted mixture, with
    # the estimate of the documents not matched to known synthetic text as the prior.
    rest = ~matched
    rest_fraction = unmatched_fraction(fraction)
    token_counts = state.tokens.result()
    # The projection (numpy) runs beside the two table writes (pyarrow, C++): both release the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        projection = pool.submit(scan_projection, token_counts, fraction)
        decided = add_posterior_column(out_dir / DOCUMENTS_FILE, estimator, rest_fraction, matched)
        token_counts.write(out_dir / TOKENS_FILE)
        projected = projection.result()
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
    return ScanResult(summary, out_dir, time.perf_counter() - start, result.text_bytes, result.shards, result.resumed_shards)


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
