"""Reference score distributions and the synthetic-fraction estimate built on them.

Shared by ``auditor scan`` and the hook: the estimator compares a set of scores
with a human and a machine reference distribution, which are the model's
held-out validation scores unless the user gives samples of their own domain
(``--reference-human`` / ``--reference-machine``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from auditor.corpus.batches import FingerprintOptions
from auditor.detector.scorer import Detector
from auditor.detector.scoring import score_documents
from auditor.errors import AuditorError, InputError
from auditor.estimate.fraction import METHODS, Reference, with_known
from auditor.estimate.plausible import PlausibleEstimator, plausible_estimator
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents
from auditor.summary import FractionBlock, SourceEstimateBlock


def reference_scores(paths: Sequence[str], detector: Detector, options: FingerprintOptions, report: ReadReport) -> np.ndarray:
    """``p_synthetic`` of every document under ``paths`` (a reference sample); bad records go to ``report``."""
    return score_documents(read_documents(paths, options.reader, report), detector, options)


@dataclass(frozen=True)
class DescribedReference(Reference):
    """A reference whose summary block says more than its source and size (e.g. how its documents were selected)."""

    details: Mapping[str, object] = field(default_factory=dict)

    def describe(self) -> dict[str, object]:
        return {**super().describe(), **self.details}


def build_estimator(
    detector: Detector,
    threshold: float,
    method: str,
    reference_human: Sequence[str] = (),
    reference_machine: Sequence[str] = (),
    options: FingerprintOptions | None = None,
    human_scores: np.ndarray | None = None,
    human_description: Mapping[str, object] | None = None,
) -> PlausibleEstimator:
    """The estimator: the user's references where given, else the model's validation scores (:mod:`auditor.estimate.plausible`).

    With a human reference but no machine one, the model's machine scores are
    shifted by how far the domain's human scores sit from the model's
    (:func:`auditor.estimate.fraction.shifted_machine_reference`). ``options`` say how
    reference files are read (default: :class:`FingerprintOptions` defaults).
    ``human_scores``: an already-scored human reference (documents selected from the
    corpus, :mod:`auditor.estimate.corpus_reference`) used instead of ``reference_human``;
    ``human_description`` is its ``summary.json`` block (``source`` and any details).
    """
    options = options if options is not None else FingerprintOptions(near_duplicates=False)
    def reference(paths: Sequence[str], stored: np.ndarray, kind: str) -> Reference:
        if not paths:
            return Reference(stored, f"model validation ({detector.name}, held-out {kind} documents)")
        report = ReadReport()
        try:
            scores = reference_scores(paths, detector, options, report)
        except AuditorError as err:
            raise InputError(f"--reference-{kind}: {err}") from None
        if len(scores) < 2:
            raise InputError(f"--reference-{kind} {', '.join(paths)}: {len(scores)} usable documents; a reference needs at least 2 (100 or more is better)")
        return Reference(scores, ", ".join(paths), report.to_dict()["skipped"])

    if human_scores is not None:
        details = dict(human_description or {})
        source = str(details.pop("source", "precomputed human scores"))
        human: Reference = DescribedReference(np.asarray(human_scores, dtype=np.float64), source, details=details)
    else:
        human = reference(reference_human, detector.human_scores, "human")
    machine = reference(reference_machine, detector.machine_scores, "machine")
    in_domain = bool(reference_human) or human_scores is not None
    validation_human = Reference(detector.human_scores, f"model validation ({detector.name}, held-out human documents)")
    validation_machine = Reference(detector.machine_scores, f"model validation ({detector.name}, held-out machine documents)")
    try:
        return plausible_estimator(human if in_domain else None, machine if reference_machine else None, validation_human,
                                   validation_machine, detector.validation_by_group, threshold, method,
                                   allowance=mismatch_allowance(detector))
    except ValueError as err:
        if not (in_domain or reference_machine):  # the model's own validation scores are at fault: name the model
            raise InputError(f"{detector.path or detector.name}: the model's validation scores cannot anchor an estimate ({err}); "
                             "retrain the model, or give in-domain --reference-human / --reference-machine files") from None
        given = f"the human reference ({human.origin}) / --reference-machine" if human_scores is not None else "--reference-human / --reference-machine"
        raise InputError(f"{given}: {err}") from None


def mismatch_allowance(detector: Detector) -> float:
    """The model's measured cross-domain estimation error (90th percentile): what widens an estimate made without references."""
    validation = detector.metadata["validation"]
    assert isinstance(validation, dict)  # the schema checked it at load (auditor.detector.schema)
    error = validation.get("estimation_error")
    return float(error["p90_abs"]) if error else 0.0  # checked at load (auditor.detector.schema)


def estimate_fraction(estimator: PlausibleEstimator, scores: np.ndarray, matched: np.ndarray | None = None) -> SourceEstimateBlock:
    """Estimate over the documents not matched to known synthetic text, then count the matched ones as machine."""
    matched = np.zeros(len(scores), dtype=bool) if matched is None else matched
    rest = estimator.estimate(scores[~matched])
    return {**with_known(rest, int(matched.sum()), len(scores)).to_dict(), "known_synthetic": int(matched.sum())}


def unmatched_fraction(block: SourceEstimateBlock) -> float:
    """The estimate of the documents not matched to known synthetic text, from a block of :func:`estimate_fraction`.

    :func:`~auditor.estimate.fraction.with_known` folded the matched ones in as machine-written; this
    undoes it (1.0 when every document matched).
    """
    total, known = block["documents"], block["known_synthetic"]
    if total == known:
        return 1.0
    return min(max((block["estimate"] * total - known) / (total - known), 0.0), 1.0)


#: Bootstrap resamples for each source's interval when a corpus has several sources (the overall
#: estimate keeps :data:`auditor.estimate.fraction.BOOTSTRAP`): 4x faster per source, quantiles from 250 draws.
PER_SOURCE_BOOTSTRAP = 250


def fraction_summary(
    estimator: PlausibleEstimator, scores: np.ndarray, source_runs: Sequence[tuple[str, int]], matched: np.ndarray
) -> FractionBlock:
    """``synthetic_fraction`` of summary.json: overall, every method for comparison, per source.

    ``source_runs``: ``(source, documents)`` in input order (a source may recur).
    """
    others = {
        method: estimate_fraction(estimator.with_method(method), scores, matched)
        for method in METHODS if method != estimator.method
    }
    names = sorted({name for name, _ in source_runs})
    code = {name: i for i, name in enumerate(names)}
    group = np.repeat(np.array([code[name] for name, _ in source_runs], dtype=np.int32), [count for _, count in source_runs])
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(names) + 1))
    overall = estimate_fraction(estimator, scores, matched)
    # Every source is estimated under every plausible pair: with many sources, fewer resamples each
    # (their intervals are a breakdown; the overall one keeps the full bootstrap).
    per_source = estimator.with_bootstrap(PER_SOURCE_BOOTSTRAP) if len(names) > 1 else estimator
    by_source = {
        name: overall if len(names) == 1 else estimate_fraction(per_source, scores[order[lo:hi]], matched[order[lo:hi]])
        for name, lo, hi in zip(names, bounds[:-1], bounds[1:])
    }
    return {
        **overall,
        "reference": estimator.references(),
        "domain_mismatch_allowance": estimator.allowance,
        "other_methods": others,
        "by_source": by_source,
    }
