"""Calibration: from a detector's raw score to ``p_synthetic``, a probability that means the same in any domain.

Fitted on *held-out* raw scores (every document scored by a model that never saw its
family, :mod:`auditor.training`), so that a threshold such as 0.9 keeps its meaning on
writing the model has not seen. The fit is isotonic regression (monotone, no shape
assumed) under a stated prior: both classes weigh the same in total, so
``p_synthetic`` is the probability of machine authorship *for a corpus that is half
machine-written*; for another share ``pi`` the posterior odds are ``odds(p) * pi / (1 - pi)``
(what the corpus-level estimator does with its fitted fraction).

Isotonic regression gives a step function, which would tie many documents at the same
score and lose their order. The stored map instead joins the centres of the steps with
straight lines: monotone, strictly increasing wherever two steps differ, and flat only
beyond the first and last centres. It is two arrays, applied with :func:`numpy.interp`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

PRIOR = 0.5  # the machine share the calibrated probability assumes


@dataclass(frozen=True, eq=False)
class Calibration:
    """A monotone piecewise-linear map from raw score to probability.

    Attributes:
        raw: float64, strictly increasing knot positions on the raw score.
        probability: float64, non-decreasing probabilities in [0, 1] at those knots.
    """

    raw: np.ndarray
    probability: np.ndarray

    def __call__(self, raw_scores: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(raw_scores, dtype=np.float64), self.raw, self.probability)

    @classmethod
    def fit(cls, raw_scores: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> Calibration:
        """Isotonic fit of ``y`` on ``raw_scores``, each class weighted to half the total (see :data:`PRIOR`)."""
        from sklearn.isotonic import IsotonicRegression  # training only

        raw_scores = np.asarray(raw_scores, dtype=np.float64)
        y = np.asarray(y).astype(np.int64)
        if raw_scores.shape != y.shape or not np.isfinite(raw_scores).all() or set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("calibration needs finite scores and both classes")
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        for label, share in ((1, PRIOR), (0, 1.0 - PRIOR)):
            weight = np.where(y == label, weight * share / weight[y == label].sum(), weight)
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw_scores, y, sample_weight=weight)
        fitted = iso.predict(raw_scores)
        # Centres of the isotonic steps: the weighted mean raw score of each run of equal fitted values.
        order = np.argsort(raw_scores, kind="stable")
        raw_sorted, weight_sorted = raw_scores[order], weight[order]
        values, starts = np.unique(fitted[order], return_index=True)
        bounds = np.append(starts, len(order))
        centres = np.array([np.average(raw_sorted[a:b], weights=weight_sorted[a:b]) for a, b in zip(bounds[:-1], bounds[1:])])
        keep = np.concatenate([[True], np.diff(centres) > 0])  # equal centres cannot be knots of a function
        return cls(centres[keep], values[keep])

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"calibration_raw": self.raw.astype(np.float64), "calibration_probability": self.probability.astype(np.float64)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Calibration:
        """Inverse of :meth:`to_arrays`; ValueError unless knots increase and probabilities are monotone in [0, 1]."""
        raw = np.asarray(arrays["calibration_raw"], dtype=np.float64)
        probability = np.asarray(arrays["calibration_probability"], dtype=np.float64)
        if raw.ndim != 1 or raw.shape != probability.shape or len(raw) < 1:
            raise ValueError("calibration arrays must be two non-empty 1-D arrays of one length")
        if not (np.isfinite(raw).all() and np.isfinite(probability).all()):
            raise ValueError("calibration arrays hold non-finite values")
        if (np.diff(raw) <= 0).any() or (np.diff(probability) < 0).any() or probability.min() < 0 or probability.max() > 1:
            raise ValueError("calibration must be increasing in the raw score with probabilities in [0, 1]")
        return cls(raw, probability)
