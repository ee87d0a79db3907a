"""The pre-commit hook and the baseline commands: score data files, compare with the baseline.

A document is a *finding* when its ``p_synthetic`` reaches the per-document
threshold. A file *blocks* a commit when it holds a document the baseline
marks rejected, or when it holds findings the baseline does not know *and* its
estimated synthetic fraction (the quantification ``auditor scan`` reports, on
this file alone) exceeds the per-file ``fail-above``: one false positive in a
human file does not stop a commit, a file of machine text does.

The model is loaded once, on first use (a hook run with nothing to score never
loads it), and every file is scored with it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from auditor._formats import format_for
from auditor.baseline import REJECTED, UNREVIEWED, Baseline, Finding, content_hash
from auditor.config import HookSettings
from auditor.detector import Detector, load_detector
from auditor.estimate import FractionEstimator
from auditor.fingerprint import FingerprintOptions, fingerprint_batches
from auditor.normalize import normalize
from auditor.readers import ReaderOptions, ReadReport, expand_inputs, read_documents
from auditor.references import build_estimator, estimate_fraction, mismatch_allowance


@dataclass(frozen=True)
class ScoredDocument:
    """A document of a scanned file: where it is, what it is, how it scored."""

    record: int
    id: str
    digest: str
    p_synthetic: float


@dataclass
class FileScan:
    """One file, scored.

    Attributes:
        key: the file's path relative to the repository root (its baseline key).
        path: the path as given.
        documents: documents read; ``skipped``: records skipped, by reason.
        fraction: the file's estimated synthetic fraction (``estimate``, ``low``, ``high``, ...).
        threshold / fail_above: the settings that applied to this file.
        flagged: the findings, one per distinct content (first occurrence), in file order.
        watched: documents whose content hash was asked for (rejected findings still present).
    """

    key: str
    path: str
    documents: int
    skipped: dict[str, int]
    fraction: dict[str, object]
    threshold: float
    fail_above: float
    flagged: list[ScoredDocument] = field(default_factory=list)
    watched: list[ScoredDocument] = field(default_factory=list)

    @property
    def estimate(self) -> float:
        return float(self.fraction["estimate"])  # type: ignore[arg-type]

    def findings(self) -> dict[str, Finding]:
        """The flagged documents as baseline findings (status unreviewed), by content hash."""
        return {doc.digest: Finding(doc.id, doc.p_synthetic, UNREVIEWED) for doc in self.flagged}


class FileScorer:
    """Scores data files one at a time with the configured model, loaded lazily once."""

    def __init__(self, settings: HookSettings, model: Detector | None = None):
        self.settings = settings
        if model is not None:
            self.__dict__["detector"] = model
        self._estimators: dict[float, FractionEstimator] = {}

    @cached_property
    def detector(self) -> Detector:
        return load_detector(self.settings.model_path)

    def model_identity(self) -> dict[str, str]:
        return {"name": self.detector.name, "sha256": self.detector.sha256}

    def recorded_settings(self) -> dict[str, object]:
        return self.settings.recorded(self.detector.sha256, self.detector.threshold)

    def _options(self) -> FingerprintOptions:
        reader = ReaderOptions(format=self.settings.format, text_field=self.settings.text_field, id_field=self.settings.id_field)
        return FingerprintOptions(reader=reader, near_duplicates=False, signatures=False)

    def _estimator(self, threshold: float) -> FractionEstimator:
        if threshold not in self._estimators:
            self._estimators[threshold] = build_estimator(
                self.detector, threshold, self.settings.method, self.settings.reference_paths(), (), self._options()
            )
        return self._estimators[threshold]

    def scan(self, path: str, watch: Iterable[str] = ()) -> FileScan:
        """Score every document of the file ``path``; raises InputError for an unreadable file."""
        key = self.settings.key_for(path)
        fail_above, threshold = self.settings.rule_for(key)
        threshold = self.detector.threshold if threshold is None else threshold
        watch = frozenset(watch)
        report = ReadReport()
        options = self._options()
        scores: list[np.ndarray] = []
        flagged: dict[str, ScoredDocument] = {}
        watched: dict[str, ScoredDocument] = {}
        for batch in fingerprint_batches(read_documents([path], options.reader, report, allow_empty=True), options):
            batch_scores = self.detector.score(batch.texts, batch.tokens, batch.features)
            scores.append(batch_scores)
            for i in np.flatnonzero(batch_scores >= threshold) if not watch else range(len(batch_scores)):
                doc, score = batch.documents[i], float(batch_scores[i])
                scored = ScoredDocument(doc.record, doc.id, content_hash(batch.texts[i]), score)
                if score >= threshold:
                    flagged.setdefault(scored.digest, scored)
                if scored.digest in watch:
                    watched.setdefault(scored.digest, scored)
        all_scores = np.concatenate(scores) if scores else np.zeros(0)
        has_reference = bool(self.settings.reference_human)
        fraction = estimate_fraction(self._estimator(threshold), all_scores, None, mismatch_allowance(self.detector, has_reference))
        return FileScan(key, path, report.documents, dict(report.skipped_by_reason), fraction, threshold, fail_above,
                        list(flagged.values()), list(watched.values()))


def data_files(paths: Sequence[str], settings: HookSettings, ignored: list[str]) -> list[str]:
    """The data files among ``paths`` (directories walked); other files are appended to ``ignored``."""
    files: list[str] = []
    for path in paths:
        if os.path.isfile(path) and settings.format == "auto" and format_for(path) is None:
            ignored.append(path)  # pre-commit may pass a file its pattern matched loosely
            continue
        files.extend(found for found, _ in expand_inputs([path], settings.format, ignored=ignored))
    return list(dict.fromkeys(files))


def repository_files(settings: HookSettings) -> list[str]:
    """The data files of the repository: tracked and untracked-but-not-ignored (``git ls-files``), else a walk of the root."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=settings.root, capture_output=True, check=True,
        ).stdout.decode("utf-8", "surrogateescape")
    except (OSError, subprocess.CalledProcessError):
        ignored: list[str] = []
        return [path for path, _ in expand_inputs([str(settings.root)], settings.format, ignored=ignored)]
    paths = [str(settings.root / name) for name in listed.split("\0") if name]
    return sorted(p for p in paths if os.path.isfile(p) and (settings.format != "auto" or format_for(p) is not None))


@dataclass
class FileVerdict:
    """The hook's decision on one file."""

    scan: FileScan
    new: list[ScoredDocument]  # findings the baseline does not hold
    rejected: list[ScoredDocument]  # documents a person rejected in the audit, still present
    accepted: int  # findings the baseline holds (unreviewed or accepted)

    @property
    def blocked(self) -> bool:
        return bool(self.rejected) or (bool(self.new) and self.scan.estimate > self.scan.fail_above)


@dataclass
class HookResult:
    """What ``auditor hook`` found.

    Attributes:
        files: one verdict per data file scored, in the order given.
        ignored: paths that are not data files (unsupported extensions).
        stale: why the baseline was out of date (empty when current or absent).
        rewritten: the baseline was rewritten (it was stale): exit 3, ``git add`` it.
        baseline_exists: whether there was a baseline at all.
    """

    files: list[FileVerdict]
    ignored: list[str]
    stale: list[str]
    rewritten: bool
    baseline_exists: bool

    @property
    def blocked(self) -> list[FileVerdict]:
        return [verdict for verdict in self.files if verdict.blocked]


def _verdict(scan: FileScan, entries: dict[str, Finding]) -> FileVerdict:
    new = [doc for doc in scan.flagged if doc.digest not in entries]
    rejected = [doc for doc in scan.watched if entries[doc.digest].status == REJECTED]
    accepted = sum(1 for doc in scan.flagged if doc.digest in entries and entries[doc.digest].status != REJECTED)
    return FileVerdict(scan, new, rejected, accepted)


def _rejected(entries: dict[str, Finding]) -> set[str]:
    return {digest for digest, finding in entries.items() if finding.status == REJECTED}


def run_hook(paths: Sequence[str], settings: HookSettings, scorer: FileScorer | None = None) -> HookResult:
    """Score the data files among ``paths`` and decide, against the baseline, what blocks the commit.

    A stale baseline (another model or other settings) is rewritten with the
    current model's scores for the files scored, keeping every status;
    findings it did not hold stay new (a model change never accepts anything).
    """
    scorer = scorer or FileScorer(settings)
    ignored: list[str] = []
    files = data_files(paths, settings, ignored)
    baseline_path = settings.baseline_path
    baseline = Baseline.load(baseline_path) if baseline_path.exists() else None
    if not files:
        return HookResult([], ignored, [], False, baseline is not None)
    verdicts = []
    for path in files:
        entries = baseline.files.get(settings.key_for(path), {}) if baseline else {}
        verdicts.append(_verdict(scorer.scan(path, _rejected(entries)), entries))
    stale: list[str] = []
    if baseline is not None:
        stale = baseline.stale_reasons(scorer.model_identity(), scorer.recorded_settings())
        if stale:
            _rescore(baseline, verdicts)
            baseline.model, baseline.settings = scorer.model_identity(), scorer.recorded_settings()
            baseline.save(baseline_path)
    return HookResult(verdicts, ignored, stale, bool(stale), baseline is not None)


def _rescore(baseline: Baseline, verdicts: Sequence[FileVerdict]) -> None:
    """Carry the scores of the documents just scored into the baseline's entries for them, statuses kept."""
    for verdict in verdicts:
        entries = baseline.files.get(verdict.scan.key)
        if not entries:
            continue
        for doc in (*verdict.scan.flagged, *verdict.scan.watched):
            if doc.digest in entries:
                entries[doc.digest] = Finding(doc.id, doc.p_synthetic, entries[doc.digest].status)


@dataclass
class UpdateResult:
    """What ``auditor baseline create|update`` did."""

    baseline: Baseline
    scanned: list[FileScan]
    added: int
    removed: int
    kept: int
    ignored: list[str]
    rescored_all: bool  # the old baseline was stale, so every file it named was rescanned


def update_baseline(paths: Sequence[str], settings: HookSettings, create: bool = False, scorer: FileScorer | None = None) -> UpdateResult:
    """Record the current findings of ``paths`` (default: the repository's data files) in the baseline.

    Statuses of findings already recorded are kept; new findings are recorded
    as unreviewed (accepted until audited); findings that are gone are dropped,
    as are files that no longer exist. ``create`` starts from an empty baseline.
    When the existing baseline is stale, every file it names is rescanned too,
    so no entry keeps a score from another model. Written atomically.
    """
    scorer = scorer or FileScorer(settings)
    ignored: list[str] = []
    files = data_files(paths, settings, ignored) if paths else repository_files(settings)
    path = settings.baseline_path
    old = None if create or not path.exists() else Baseline.load(path)
    identity, recorded = scorer.model_identity(), scorer.recorded_settings()
    rescored_all = bool(old and old.stale_reasons(identity, recorded))
    if old is not None and rescored_all:
        known = {settings.key_for(f) for f in files}
        files += [str(settings.root / key) for key in sorted(old.files) if key not in known and (settings.root / key).is_file()]
    new = Baseline(identity, recorded)
    previous = dict(old.files) if old else {}
    added = removed = kept = 0
    scans = []
    for file in files:
        key = settings.key_for(file)
        before = previous.pop(key, {})
        scan = scorer.scan(file, _rejected(before))
        scans.append(scan)
        entries = scan.findings()
        for doc in scan.watched:  # a rejected document stays rejected while it is in the file
            entries[doc.digest] = Finding(doc.id, doc.p_synthetic, REJECTED)
        for digest, finding in entries.items():
            if digest in before:
                entries[digest] = Finding(finding.id, finding.p_synthetic, before[digest].status)
        added += len(entries.keys() - before.keys())
        removed += len(before.keys() - entries.keys())
        kept += len(entries.keys() & before.keys())
        new.files[key] = entries
    for key, entries in previous.items():  # files not scanned this time: kept while they exist
        if (settings.root / key).is_file():
            new.files[key] = entries
            kept += len(entries)
        else:
            removed += len(entries)
    new.save(path)
    return UpdateResult(new, scans, added, removed, kept, ignored, rescored_all)


@dataclass(frozen=True)
class Located:
    """A baseline finding found in its file again (for the audit): where it is and its text."""

    record: int
    id: str
    text: str


def locate(settings: HookSettings, key: str, digests: Iterable[str]) -> dict[str, Located]:
    """Find the documents with these content hashes in the file ``key`` (missing ones are absent)."""
    wanted = set(digests)
    path = settings.root / key
    found: dict[str, Located] = {}
    if not path.is_file() or not wanted:
        return found
    reader = ReaderOptions(format=settings.format, text_field=settings.text_field, id_field=settings.id_field)
    for doc in read_documents([str(path)], reader, ReadReport(), allow_empty=True):
        digest = content_hash(normalize(doc.text))
        if digest in wanted and digest not in found:
            found[digest] = Located(doc.record, doc.id, doc.text)
            if len(found) == len(wanted):
                break
    return found


def relative_to_cwd(settings: HookSettings, key: str) -> str:
    """A baseline key as a path a user can type from the current directory."""
    return os.path.relpath(settings.root / key)
