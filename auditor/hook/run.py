"""The pre-commit hook and the baseline commands: score data files, compare with the baseline.

Decisions follow each file's estimated synthetic fraction (the quantification
``auditor scan`` reports, on this file alone), not a fixed score threshold:

- a document is a *finding* when its ``p_machine_given_corpus`` (its posterior under
  the file's fitted mixture, :mod:`auditor.estimate.posterior`) exceeds the per-document
  threshold (so ``threshold = 1.0`` with ``fail-above = 1.0`` lets a file through): in a human file the prior is near 0 and nothing is a finding, in a
  file of machine text every machine-like document is;
- a file is *over* when the lower end of its interval exceeds the per-file
  ``fail-above``. Its findings are then extended until what is left is no longer
  over: the file is estimated again without them, and the remaining documents most
  likely machine-written are listed too, so deleting the listed documents is what
  it takes for the file to pass (deleting only the highest scores no longer lets
  the rest through).

A file *blocks* a commit when it holds a document the baseline marks rejected, or
findings the baseline does not know.

The model is loaded once, on first use (a hook run with nothing to score never
loads it), and every file is scored with it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from auditor import __version__
from auditor.corpus.batches import FingerprintOptions, fingerprint_batches
from auditor.detector.scorer import Detector, load_detector
from auditor.errors import ConfigError, InputError
from auditor.estimate.plausible import PlausibleEstimator
from auditor.estimate.posterior import COLUMN as POSTERIOR
from auditor.estimate.posterior import ScoreRule, posteriors
from auditor.estimate.references import build_estimator, estimate_fraction
from auditor.hook.baseline import REJECTED, UNREVIEWED, Baseline, Finding, content_hash
from auditor.hook.outputs import own_output
from auditor.hook.settings import HookSettings, text_field_advice
from auditor.io.documents import ReaderOptions
from auditor.io.formats import format_for
from auditor.io.inputs import expand_inputs
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents
from auditor.regular_files import open_regular
from auditor.summary import SourceEstimateBlock


@dataclass(frozen=True)
class ScoredDocument:
    """A document of a scanned file: where it is, what it is, how it scored."""

    record: int
    id: str
    digest: str
    p_synthetic: float
    posterior: float = 0.0  # p_machine_given_corpus in its file


@dataclass
class FileScan:
    """One file, scored.

    Attributes:
        key: the file's path relative to the repository root (its baseline key).
        documents: documents read; ``skipped``: records skipped, by reason.
        fraction: the file's estimated synthetic fraction (``estimate``, ``low``, ``high``, ...).
        threshold / fail_above: the settings that applied to this file.
        flagged: the findings, one per distinct content (first occurrence), in file order.
        watched: documents whose content hash was asked for (rejected findings still present).
        remaining: the estimate of the file without its findings (what passes once they are removed).
    """

    key: str
    documents: int
    skipped: dict[str, int]
    fraction: SourceEstimateBlock
    threshold: float
    fail_above: float
    flagged: list[ScoredDocument] = field(default_factory=list)
    watched: list[ScoredDocument] = field(default_factory=list)
    remaining: SourceEstimateBlock | None = None

    @property
    def estimate(self) -> float:
        return float(self.fraction["estimate"])

    @property
    def over(self) -> bool:
        """The interval's lower end exceeds ``fail_above``: the file holds more machine text than tolerated."""
        return float(self.fraction["low"]) > self.fail_above

    def findings(self) -> dict[str, Finding]:
        """The flagged documents as baseline findings (status unreviewed), by content hash."""
        return {doc.digest: Finding(doc.id, doc.p_synthetic, UNREVIEWED) for doc in self.flagged}


class FileScorer:
    """Scores data files one at a time with the configured model, loaded lazily once."""

    def __init__(self, settings: HookSettings, model: Detector | None = None):
        self.settings = settings
        if model is not None:
            self.__dict__["detector"] = model
        self._estimators: dict[tuple[float, bool], PlausibleEstimator] = {}

    @cached_property
    def detector(self) -> Detector:
        return load_detector(self.settings.model_path)

    def model_identity(self) -> dict[str, str]:
        return {"name": self.detector.name, "sha256": self.detector.sha256}

    def recorded_settings(self) -> dict[str, object]:
        return self.settings.recorded(self.detector.sha256, self.detector.threshold, self._reference_hashes)

    @cached_property
    def _reference_hashes(self) -> dict[str, str]:
        # What the references hold, not only where they are: editing one changes every estimate.
        hashes = {}
        for name, path in zip(self.settings.reference_human, self.settings.reference_paths()):
            try:
                with open_regular(path) as handle:  # a committed link to /dev/zero must not hang the hook
                    hashes[name] = hashlib.file_digest(handle, "sha256").hexdigest()
            except OSError as err:
                raise ConfigError(f"reference-human {path}: cannot read it: {err.strerror or err}") from None
        return hashes

    @cached_property
    def _reference_keys(self) -> frozenset[str]:
        return frozenset(self.settings.key_for(path) for path in self.settings.reference_paths())

    def _options(self) -> FingerprintOptions:
        reader = ReaderOptions(format=self.settings.format, text_field=self.settings.text_field, id_field=self.settings.id_field)
        return FingerprintOptions(reader=reader, near_duplicates=False, signatures=False)

    def _estimator(self, threshold: float, calibrated: bool) -> PlausibleEstimator:
        if (threshold, calibrated) not in self._estimators:
            references = self.settings.reference_paths() if calibrated else []
            self._estimators[(threshold, calibrated)] = build_estimator(
                self.detector, threshold, self.settings.method, references, (), self._options()
            )
        return self._estimators[(threshold, calibrated)]

    def scan(self, path: str, watch: Iterable[str] = ()) -> FileScan:
        """Score every document of the file ``path``; raises InputError for an unreadable file."""
        key = self.settings.key_for(path)
        fail_above, threshold = self.settings.rule_for(key)
        threshold = self.detector.threshold if threshold is None else threshold
        watch = frozenset(watch)
        report = ReadReport()
        options = self._options()
        documents: list[ScoredDocument] = []
        try:
            for batch in fingerprint_batches(read_documents([path], options.reader, report, allow_empty=True), options):
                batch_scores = self.detector.score(batch.texts, batch.tokens, batch.features)
                documents += [ScoredDocument(doc.record, doc.id, content_hash(text), float(score))
                              for doc, text, score in zip(batch.documents, batch.texts, batch_scores)]
        except InputError as err:
            raise text_field_advice(err, self.settings) from None
        all_scores = np.array([doc.p_synthetic for doc in documents], dtype=np.float64)
        # A reference file is not estimated against itself (it would always look human).
        calibrated = bool(self.settings.reference_human) and key not in self._reference_keys
        estimator = self._estimator(threshold, calibrated)
        fraction = estimate_fraction(estimator, all_scores)
        posterior = posteriors(estimator, all_scores, float(fraction["estimate"]))
        listed, remaining = findings_until_under(estimator, all_scores, ScoreRule(POSTERIOR, threshold).rejects(posterior), fail_above)
        flagged: dict[str, ScoredDocument] = {}
        watched: dict[str, ScoredDocument] = {}
        for i, doc in enumerate(documents):
            scored = replace(doc, posterior=float(posterior[i]))
            if listed[i]:
                flagged.setdefault(scored.digest, scored)
            if scored.digest in watch:
                watched.setdefault(scored.digest, scored)
        return FileScan(key, report.documents, dict(report.skipped_by_reason), fraction, threshold, fail_above,
                        list(flagged.values()), list(watched.values()), remaining)


#: Each round of :func:`findings_until_under` lists at least this share of the documents left.
ROUND_SHARE = 0.05


def findings_until_under(
    estimator: PlausibleEstimator, scores: np.ndarray, listed: np.ndarray, fail_above: float
) -> tuple[np.ndarray, SourceEstimateBlock | None]:
    """Extend ``listed`` until the documents left are no longer over ``fail_above``; returns it and their estimate.

    Each round estimates the documents not listed, and lists those whose posterior (under
    that estimate) is at least 0.5, and at least the :data:`ROUND_SHARE` most machine-like,
    until the lower end of the interval is at most ``fail_above`` (or nothing is left).
    """
    listed = listed.copy()
    remaining_estimate: SourceEstimateBlock | None = None
    while True:
        left = np.flatnonzero(~listed)
        remaining_estimate = estimate_fraction(estimator, scores[left]) if len(left) else None
        if remaining_estimate is None or float(remaining_estimate["low"]) <= fail_above:
            return listed, remaining_estimate
        posterior = posteriors(estimator, scores[left], float(remaining_estimate["estimate"]))
        most_likely = np.argsort(-posterior, kind="stable")[: max(1, int(np.ceil(ROUND_SHARE * len(left))))]
        listed[left[posterior >= 0.5]] = True
        listed[left[most_likely]] = True


def data_files(paths: Sequence[str], settings: HookSettings, ignored: list[str], outputs: dict[str, str] | None = None) -> list[str]:
    """The data files among ``paths`` (directories walked), one path per file.

    The other files go to ``ignored``: unsupported extensions (the hook also receives the
    settings, the baseline and the model's files), the settings file whatever ``format`` says,
    and the auditor's own outputs (:func:`~auditor.hook.outputs.own_output`), which go to
    ``outputs`` instead when it is given (path -> what it is, in path order).
    """
    files: dict[str, str] = {}
    others: list[str] = []
    for path in paths:
        if os.path.isfile(path) and settings.format == "auto" and format_for(path) is None:
            others.append(path)
            continue
        for found, _ in expand_inputs([path], settings.format, ignored=others):
            if settings.config_file is not None and Path(found).resolve() == settings.config_file.resolve():
                others.append(found)
            else:
                files.setdefault(settings.key_for(found), found)  # "data/a.jsonl" and "./data/a.jsonl" are one file
    # Only outputs with a data extension are listed as skipped: they are the ones that would be read. The
    # others (summary.json, reports, the baseline, a model's files) were never read and stay "ignored" (--verbose).
    own = {path: kind for path in sorted(files.values()) if (kind := own_output(path, settings)) is not None}
    ignored += others
    if outputs is None:
        ignored += own
    else:
        outputs.update(own)
    return [path for path in files.values() if path not in own]


def repository_files(settings: HookSettings, ignored: list[str] | None = None) -> list[str]:
    """The repository's data files: tracked and untracked-not-ignored (``git ls-files``), else a walk of the root.

    Only files with a data extension count, whatever ``format`` says, and never the
    settings, the baseline, the model's files or another auditor output (those go to ``ignored``).
    """
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=settings.root, capture_output=True, check=True,
        ).stdout.decode("utf-8", "surrogateescape")
        paths = [str(settings.root / name) for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        paths = [path for path, _ in expand_inputs([str(settings.root)], "auto", ignored=[])]
    candidates = sorted(p for p in paths if os.path.isfile(p) and format_for(p) is not None)
    files = [p for p in candidates if is_data_file(p, settings)]
    if ignored is not None:
        kept = set(files)
        ignored += [settings.key_for(p) for p in candidates if p not in kept]  # as the baseline names files
    return files


def is_data_file(path: str | os.PathLike[str], settings: HookSettings) -> bool:
    """A file the hook scores: a data extension, and not the settings, the baseline, part of the model or another auditor output."""
    resolved = Path(path).resolve()
    own = {settings.baseline_path.resolve(), *(p.resolve() for p in [settings.config_file] if p is not None)}
    model = settings.model_path.resolve() if settings.model_path is not None else None
    return (format_for(str(path)) is not None and resolved not in own and (model is None or model not in resolved.parents)
            and own_output(str(path), settings) is None)


@dataclass
class FileVerdict:
    """The hook's decision on one file."""

    scan: FileScan
    new: list[ScoredDocument]  # findings the baseline does not hold for this file
    rejected: list[ScoredDocument]  # documents rejected in the audit (in any file), present here
    accepted: int  # findings the baseline holds (unreviewed or accepted)

    @property
    def over_tolerance(self) -> bool:
        return self.scan.over

    @property
    def blocked(self) -> bool:
        return bool(self.rejected) or bool(self.new)


@dataclass
class HookResult:
    """What ``auditor hook`` found.

    Attributes:
        files: one verdict per data file scored, in the order given.
        ignored: paths that are not data files (unsupported extensions, the settings).
        stale: why the baseline was out of date (empty when current or absent).
        rescored: files whose baseline entries were rescored because the baseline was stale.
        outputs: the auditor's own outputs, skipped (path as given -> what it is: "a scan's documents table").
    """

    files: list[FileVerdict]
    ignored: list[str]
    stale: list[str]
    rescored: list[str]
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def rewritten(self) -> bool:
        """The baseline was stale and has been rewritten: exit 3, ``git add`` it."""
        return bool(self.stale)

    @property
    def blocked(self) -> list[FileVerdict]:
        return [verdict for verdict in self.files if verdict.blocked]


def rejected_digests(baseline: Baseline | None) -> frozenset[str]:
    """Content hashes rejected in the audit, in any file: moving a rejected document does not clear it."""
    if baseline is None:
        return frozenset()
    return frozenset(digest for _, digest, finding in baseline.findings() if finding.status == REJECTED)


def _verdict(scan: FileScan, entries: dict[str, Finding], rejected: frozenset[str]) -> FileVerdict:
    new = [doc for doc in scan.flagged if doc.digest not in entries and doc.digest not in rejected]
    present_rejected = [doc for doc in scan.watched if doc.digest in rejected]
    accepted = sum(1 for doc in scan.flagged if doc.digest in entries and doc.digest not in rejected)
    return FileVerdict(scan, new, present_rejected, accepted)


def rescored(baseline: Baseline, scan: FileScan) -> dict[str, Finding]:
    """The baseline's entries for a scanned file, with the new scores; documents gone are dropped, statuses kept.

    ``scan`` must have watched every digest of the entries.
    """
    entries = baseline.files.get(scan.key, {})
    return {doc.digest: Finding(doc.id, doc.p_synthetic, entries[doc.digest].status) for doc in scan.watched if doc.digest in entries}


def rescan_recorded(baseline: Baseline, settings: HookSettings, scorer: FileScorer, skip: set[str]) -> dict[str, FileScan]:
    """Scan every file the baseline names that still exists, except the keys in ``skip``, watching its entries."""
    scans = {}
    for key in sorted(baseline.files):
        path = settings.root / key
        if key not in skip and path.is_file() and is_data_file(path, settings):
            scans[key] = scorer.scan(str(path), set(baseline.files[key]))
    return scans


def run_hook(paths: Sequence[str], settings: HookSettings, scorer: FileScorer | None = None) -> HookResult:
    """Score the data files among ``paths`` and decide, against the baseline, what blocks the commit.

    A stale baseline (another model or other settings, seen whenever the hook runs
    with a baseline, also on a commit that only changes the settings or the model)
    is rewritten: every recorded finding is rescored with the current model,
    statuses kept, documents gone dropped, nothing new accepted.
    """
    scorer = scorer or FileScorer(settings)
    ignored: list[str] = []
    outputs: dict[str, str] = {}
    files = data_files(paths, settings, ignored, outputs)
    baseline_path = settings.baseline_path
    baseline = Baseline.load(baseline_path) if baseline_path.exists() else None
    if not paths or (not files and baseline is None):
        return HookResult([], ignored, [], [], outputs)
    rejected = rejected_digests(baseline)
    verdicts, scans = [], {}
    for path in files:
        key = settings.key_for(path)
        entries = baseline.files.get(key, {}) if baseline else {}
        scans[key] = scorer.scan(path, set(entries) | rejected)
        verdicts.append(_verdict(scans[key], entries, rejected))
    stale = baseline.stale_reasons(scorer.model_identity(), scorer.recorded_settings()) if baseline else []
    rescanned: list[str] = []
    if baseline is not None and stale:
        scans.update(rescan_recorded(baseline, settings, scorer, set(scans)))
        rescanned = sorted(key for key in baseline.files if key in scans)
        files_now = {key: rescored(baseline, scans[key]) for key in rescanned}
        baseline.files = {key: entries for key, entries in files_now.items() if entries}
        baseline.model, baseline.settings, baseline.tool_version = scorer.model_identity(), scorer.recorded_settings(), __version__
        baseline.save(baseline_path)
    return HookResult(verdicts, ignored, stale, rescanned, outputs)


def relative_to_cwd(settings: HookSettings, key: str) -> str:
    """A baseline key as a path a user can type from the current directory."""
    return os.path.relpath(settings.root / key)
