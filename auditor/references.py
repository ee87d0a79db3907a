"""Reference score distributions and the synthetic-fraction estimate built on them.

Shared by ``auditor scan`` and the hook: the estimator compares a set of scores
with a human and a machine reference distribution, which are the model's
held-out validation scores unless the user gives samples of their own domain
(``--reference-human`` / ``--reference-machine``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from auditor.detector import Detector
from auditor.errors import AuditorError, InputError
from auditor.estimate import FractionEstimator, Reference, shifted_machine_reference, with_known
from auditor.fingerprint import FingerprintOptions, fingerprint_batches
from auditor.readers import ReadReport, read_documents


def reference_scores(paths: Sequence[str], detector: Detector, options: FingerprintOptions, report: ReadReport) -> np.ndarray:
    """``p_synthetic`` of every document under ``paths`` (a reference sample); bad records go to ``report``."""
    parts = [
        detector.score(batch.texts, batch.tokens, batch.features)
        for batch in fingerprint_batches(read_documents(paths, options.reader, report), replace(options, near_duplicates=False))
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def build_estimator(
    detector: Detector,
    threshold: float,
    method: str,
    reference_human: Sequence[str] = (),
    reference_machine: Sequence[str] = (),
    options: FingerprintOptions | None = None,
) -> FractionEstimator:
    """The estimator: the user's references where given, else the model's validation scores.

    With a human reference but no machine one, the model's machine scores are
    shifted by how far the domain's human scores sit from the model's
    (:func:`auditor.estimate.shifted_machine_reference`). ``options`` say how
    reference files are read (default: :class:`FingerprintOptions` defaults).
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

    human = reference(reference_human, detector.human_scores, "human")
    machine = reference(reference_machine, detector.machine_scores, "machine")
    if reference_human and not reference_machine:
        machine = shifted_machine_reference(machine, detector.human_scores, human.scores)
    try:
        return FractionEstimator(human, machine, threshold, method)
    except ValueError as err:
        if not (reference_human or reference_machine):  # the model's own validation scores are at fault: name the model
            raise InputError(f"{detector.path or detector.name}: the model's validation scores cannot anchor an estimate ({err}); "
                             "retrain the model, or give in-domain --reference-human / --reference-machine files") from None
        raise InputError(f"--reference-human / --reference-machine: {err}") from None


def mismatch_allowance(detector: Detector, has_human_reference: bool) -> float:
    """The model's measured cross-domain estimation error (90th percentile) when no in-domain human reference is given."""
    if has_human_reference:
        return 0.0
    error = detector.metadata["validation"].get("estimation_error")  # type: ignore[attr-defined]
    return float(error["p90_abs"]) if error else 0.0  # checked at load (auditor.model_schema)


def estimate_fraction(
    estimator: FractionEstimator, scores: np.ndarray, matched: np.ndarray | None = None, allowance: float = 0.0
) -> dict[str, object]:
    """Estimate over the documents not matched to known synthetic text, then count the matched ones as machine.

    ``allowance`` widens the interval on both sides for what sampling cannot show: the
    mismatch between the references and the corpus's domain.
    """
    matched = np.zeros(len(scores), dtype=bool) if matched is None else matched
    rest = estimator.estimate(scores[~matched])
    if allowance:
        rest = replace(rest, low=max(0.0, rest.low - allowance), high=min(1.0, rest.high + allowance))
    return {**with_known(rest, int(matched.sum()), len(scores)).to_dict(), "known_synthetic": int(matched.sum())}
