"""Held-out validation of a detector: leave one group out, calibrate, choose the threshold, measure the estimate.

Every figure a model records, its calibration and its threshold come from *held-out*
scores: for each group (a family of writing, a source), a model trained on all the
other groups scores it. No figure is computed on documents the scoring model saw.

- :func:`held_out_raw`: leave-one-group-out raw scores; ``unseen`` additionally keeps
  a set of documents (a machine *style*, say) out of every fold's training, so those
  are scored by models that never saw that style *nor* their own group.
- :class:`~auditor.detector.calibration.Calibration` is fitted on the pooled held-out raw
  scores, so ``p_synthetic`` means the same on a family the model has not seen.
- :func:`choose_round_threshold`: the smallest round threshold whose held-out
  false-positive rate is at most ``max_fpr`` on *every* human group (a detector tuned
  on the average flags the unusual human sources, exactly the ones a corpus needs).
- :func:`reference_mismatch`: how far the corpus-level estimate lands when a group is
  estimated against the other groups' score distributions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from auditor.estimate.fraction import FractionEstimator, Reference

#: Thresholds a user can read and remember; the default threshold is one of these.
ROUND_THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)
MISMATCH_FRACTIONS = (0.0, 0.1, 0.3, 0.5)


class Estimator(Protocol):
    """What validation needs of a detector estimator (:class:`~auditor.detector.boosting.BoostedDetector`, :class:`~auditor.detector.linear.LinearDetector`)."""

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Estimator: ...

    def decision_function(self, X: np.ndarray) -> np.ndarray: ...


def training_arrays(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``X`` as float64 and ``y``, checked for what every detector estimator's ``fit`` needs."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"X must be 2-D with one row per label, got {X.shape} and {len(y)} labels")
    if set(np.unique(y).tolist()) != {0, 1}:
        raise ValueError("y must contain both classes, 0 (human) and 1 (machine)")
    return X, y


def balanced_weights(y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Sample weights giving every (group, label) cell the same total weight, mean weight 1."""
    cells = np.array([f"{g}\x00{label}" for g, label in zip(groups.tolist(), y.tolist())], dtype=object)
    _, inverse, counts = np.unique(cells, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inverse]
    return weights * len(weights) / weights.sum()


@dataclass
class HeldOut:
    """Leave-one-group-out raw scores (NaN where no fold could score a document) and what each fold did."""

    raw: np.ndarray
    folds: list[dict[str, object]]

    @property
    def scored(self) -> np.ndarray:
        return ~np.isnan(self.raw)


def held_out_raw(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray, weight_cells: np.ndarray, make: Callable[[], Estimator],
    unseen: np.ndarray | None = None,
) -> HeldOut:
    """Raw score of every document from a model trained without its group (and without any ``unseen`` document).

    ``weight_cells``: the field whose (value, label) cells are balanced in each fold's
    training (:func:`balanced_weights`). A group is not scored when the rest lacks a class.
    """
    raw = np.full(len(y), np.nan)
    folds: list[dict[str, object]] = []
    never = np.zeros(len(y), dtype=bool) if unseen is None else np.asarray(unseen, dtype=bool)
    for group in sorted(set(groups.tolist())):
        test = groups == group
        train = ~test & ~never
        if len(set(y[train].tolist())) < 2:
            folds.append({"held_out": group, "trained": False, "reason": "the other groups lack one class"})
            continue
        model = make().fit(X[train], y[train], balanced_weights(y[train], weight_cells[train]))
        raw[test] = model.decision_function(X[test])
        folds.append({"held_out": group, "trained": True, "documents": int(test.sum()), "training_documents": int(train.sum())})
    return HeldOut(raw, folds)


def choose_threshold(scores: np.ndarray, y: np.ndarray, groups: np.ndarray, max_fpr: float) -> float:
    """Smallest threshold whose false-positive rate is <= ``max_fpr`` in every human group."""
    threshold = 0.0
    for group in sorted(set(groups[y == 0].tolist())):
        human = np.sort(scores[(groups == group) & (y == 0)])[::-1]
        allowed = int(np.floor(max_fpr * len(human)))  # this many may score at or above it
        if allowed < len(human):
            threshold = max(threshold, float(np.nextafter(human[allowed], np.inf)))
    return min(threshold, 1.0)


def choose_round_threshold(scores: np.ndarray, y: np.ndarray, groups: np.ndarray, max_fpr: float) -> float:
    """The smallest of :data:`ROUND_THRESHOLDS` that meets :func:`choose_threshold`'s rule (its exact value if none does)."""
    exact = choose_threshold(scores, y, groups, max_fpr)
    return next((t for t in ROUND_THRESHOLDS if t >= exact), exact)


def reference_mismatch(scores: np.ndarray, y: np.ndarray, groups: np.ndarray, threshold: float, size: int = 400) -> dict[str, object] | None:
    """How far the ``em`` estimate lands when a group is estimated against the *other* groups' scores.

    That is what happens when a user scans a corpus from a new domain with the model's own
    references: held-out domains shift the scores of both classes. For each group with both
    labels, mixtures of its held-out scores at :data:`MISMATCH_FRACTIONS` (``size`` documents,
    fixed seed) are estimated against references made of every other group's held-out scores.
    ``auditor scan`` widens its interval by the 90th percentile of these errors when no
    in-domain reference is given. None when fewer than two groups have both labels.
    """
    rng = np.random.default_rng(0)
    errors: list[float] = []
    for group in sorted(set(groups.tolist())):
        own = groups == group
        human, machine = scores[own & (y == 0)], scores[own & (y == 1)]
        ref_human, ref_machine = scores[~own & (y == 0)], scores[~own & (y == 1)]
        if min(len(human), len(machine), len(ref_human), len(ref_machine)) < 2:
            continue
        try:
            estimator = FractionEstimator(Reference(ref_human, "other groups"), Reference(ref_machine, "other groups"), threshold)
        except ValueError:  # the other groups' references do not separate
            continue
        for fraction in MISMATCH_FRACTIONS:
            k = int(round(fraction * size))
            mixture = np.concatenate([rng.choice(human, size - k), rng.choice(machine, k)])
            errors.append(abs(estimator.estimate_point(mixture) - fraction))
    if not errors:
        return None
    return {
        "method": "em",
        "fractions": list(MISMATCH_FRACTIONS),
        "mixtures": len(errors),
        "mean_abs": float(np.mean(errors)),
        "p90_abs": float(np.quantile(errors, 0.9)),
    }
