"""Fitting the detector: :class:`LinearDetector`, a scikit-learn estimator around :class:`~auditor.detector.scorer.LinearScorer`.

Only training needs scikit-learn (slow to import); scoring uses the fitted
:class:`~auditor.detector.scorer.LinearScorer` alone, which does all the arithmetic
for this class too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from auditor.detector.scorer import LinearScorer
from auditor.detector.validation import training_arrays


class LinearDetector(ClassifierMixin, BaseEstimator):
    """Logistic regression on standardized, clipped features.

    Standardization uses the (weighted) training mean and standard deviation;
    standardized values are clipped to ``[-clip, clip]`` so one extreme feature
    (an unusual document) cannot dominate a score. The fitted model is
    ``scorer_`` (``mean_``, ``scale_``, ``coef_`` and ``intercept_`` are its arrays).

    Args:
        C: inverse L2 regularization strength.
        clip: bound on standardized feature values.
        max_iter: L-BFGS iterations.
    """

    def __init__(self, C: float = 0.1, clip: float = 8.0, max_iter: int = 3000):
        # scikit-learn convention: no validation here (see fit / from_arrays).
        self.C = C
        self.clip = clip
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> LinearDetector:
        X, y = training_arrays(X, y)
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        mean = np.average(X, axis=0, weights=weights)
        std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weights))
        standardization = LinearScorer(mean, np.where(std > 1e-12, std, 1.0), np.zeros(X.shape[1]), 0.0, self.clip)
        # Rescaled so the mean weight is 1: C then means the same for any weighting.
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, solver="lbfgs")
        model.fit(standardization.standardize(X), y, sample_weight=weights * len(weights) / weights.sum())
        return self._fitted(replace(standardization, coef=model.coef_.reshape(-1).copy(), intercept=float(model.intercept_[0])))

    def _fitted(self, scorer: LinearScorer) -> LinearDetector:
        self.scorer_ = scorer
        self.classes_ = np.array([0, 1])
        return self

    @property
    def mean_(self) -> np.ndarray:
        return self.scorer_.mean

    @property
    def scale_(self) -> np.ndarray:
        return self.scorer_.scale

    @property
    def coef_(self) -> np.ndarray:
        return self.scorer_.coef

    @property
    def intercept_(self) -> float:
        return self.scorer_.intercept

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "scorer_")
        return self.scorer_.decision_function(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "scorer_")
        return self.scorer_.predict_proba(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.decision_function(X) >= 0).astype(int)

    def to_arrays(self) -> dict[str, np.ndarray]:
        check_is_fitted(self, "scorer_")
        return self.scorer_.to_arrays()

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], clip: float) -> LinearDetector:
        return cls(clip=clip)._fitted(LinearScorer.from_arrays(arrays, clip))
