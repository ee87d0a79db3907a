"""Calibration: from a detector's raw score to ``p_synthetic``, a probability that means the same in any domain.

Fitted on *held-out* raw scores (every document scored by a model that never saw its
family, :mod:`auditor.detector.training`), so that a threshold such as 0.9 keeps its meaning on
writing the model has not seen. The fit is isotonic regression (monotone, no shape
assumed) under a stated prior: both classes weigh the same in total, so
``p_synthetic`` is the probability of machine authorship *for a corpus that is half
machine-written*; for another share ``pi`` the posterior odds are ``odds(p) * pi / (1 - pi)``
(what the corpus-level estimator does with its fitted fraction).

Isotonic regression gives a step function, which would tie many documents at the same
score and lose their order. The stored map instead joins the centres of the steps with
straight lines: monotone, strictly increasing wherever two steps differ, and flat only
beyond the first and last centres. It is two arrays, applied with :func:`numpy.interp`.

Short documents carry little evidence, and the same raw score means less on them: on
held-out families, human answers under 80 words scored above 0.9 four times in ten under
one pooled calibration, while every longer human domain stayed near 5%.
:class:`LengthCalibration` therefore fits one :class:`Calibration` per band of document
length (words), so ``p_synthetic`` of a 40-word text is calibrated on 40-word texts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


#: Fewest held-out documents of *each* class a length band needs for its own calibration;
#: a band with fewer is merged into its longer neighbour.
MIN_BAND_DOCUMENTS = 20


def _band_of(words: np.ndarray, word_edges: Sequence[int]) -> np.ndarray:
    """Band index of each document: band ``i`` holds ``word_edges[i-1] <= words < word_edges[i]``."""
    return np.searchsorted(np.asarray(word_edges, dtype=np.float64), np.asarray(words, dtype=np.float64), side="right")


@dataclass(frozen=True, eq=False)
class LengthCalibration:
    """One :class:`Calibration` per band of document length.

    Attributes:
        word_edges: increasing word counts where a band ends; empty means one band.
        bands: ``len(word_edges) + 1`` calibrations, shortest documents first.
    """

    word_edges: tuple[int, ...]
    bands: tuple[Calibration, ...]

    def __post_init__(self) -> None:
        if len(self.bands) != len(self.word_edges) + 1:
            raise ValueError(f"{len(self.word_edges)} word edges need {len(self.word_edges) + 1} calibrations, got {len(self.bands)}")
        if any(e <= 0 for e in self.word_edges) or any(b <= a for a, b in zip(self.word_edges, self.word_edges[1:])):
            raise ValueError(f"word edges must be increasing positive counts, got {list(self.word_edges)}")

    def __call__(self, raw_scores: np.ndarray, words: np.ndarray) -> np.ndarray:
        raw_scores = np.asarray(raw_scores, dtype=np.float64)
        words = np.asarray(words, dtype=np.float64)
        if raw_scores.shape != words.shape:
            raise ValueError(f"{len(raw_scores)} scores but {len(words)} word counts")
        band = _band_of(words, self.word_edges)
        p = np.empty(len(raw_scores), dtype=np.float64)
        for index, calibration in enumerate(self.bands):
            rows = band == index
            p[rows] = calibration(raw_scores[rows])
        return p

    @classmethod
    def fit(
        cls, raw_scores: np.ndarray, y: np.ndarray, words: np.ndarray, sample_weight: np.ndarray | None = None,
        word_edges: Sequence[int] = (), min_documents: int = MIN_BAND_DOCUMENTS,
    ) -> LengthCalibration:
        """:meth:`Calibration.fit` in each band; an edge whose shorter band lacks ``min_documents`` of a class is dropped."""
        y = np.asarray(y).astype(np.int64)
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        edges = sorted(set(int(e) for e in word_edges))
        kept: list[int] = []
        for edge in edges:
            lower = kept[-1] if kept else -np.inf
            rows = (words >= lower) & (words < edge)
            upper_rows = words >= edge
            if all(min(((r & (y == c)).sum() for c in (0, 1))) >= min_documents for r in (rows, upper_rows)):
                kept.append(edge)
        band = _band_of(words, kept)
        raw_scores = np.asarray(raw_scores, dtype=np.float64)
        return cls(tuple(kept), tuple(Calibration.fit(raw_scores[band == i], y[band == i], weight[band == i])
                                      for i in range(len(kept) + 1)))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "calibration_raw": np.concatenate([c.raw for c in self.bands]).astype(np.float64),
            "calibration_probability": np.concatenate([c.probability for c in self.bands]).astype(np.float64),
            "calibration_band_knots": np.array([len(c.raw) for c in self.bands], dtype=np.int64),
        }

    @property
    def knots(self) -> int:
        return sum(len(c.raw) for c in self.bands)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], word_edges: Sequence[int]) -> LengthCalibration:
        """Inverse of :meth:`to_arrays`; ValueError unless every band is a valid :class:`Calibration`."""
        counts = np.asarray(arrays["calibration_band_knots"], dtype=np.int64)
        raw, probability = arrays["calibration_raw"], arrays["calibration_probability"]
        if counts.ndim != 1 or len(counts) != len(word_edges) + 1 or (counts < 1).any() or counts.sum() != len(raw):
            raise ValueError("calibration_band_knots must give each length band at least one knot, summing to the knots")
        starts = np.concatenate([[0], np.cumsum(counts)])
        return cls(tuple(int(e) for e in word_edges), tuple(
            Calibration.from_arrays({"calibration_raw": raw[a:b], "calibration_probability": probability[a:b]})
            for a, b in zip(starts[:-1], starts[1:])))
