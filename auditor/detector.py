"""The machine-text detector: a standardized linear model over dense, formatting-invariant features.

Why linear and dense: sparse word n-gram models reach ~0.97 AUROC inside one
source but learn its topic and layout, and fall to ~0.7 on other sources (see
``models/README.md``). The features here are computed on normalized text
(:mod:`auditor.normalize`), are rates or distribution statistics rather than
vocabulary, and exclude document length, which differs by class for reasons
of how the training pool was built, not of who wrote it.

:class:`LinearDetector` follows scikit-learn's estimator conventions (``fit``,
``predict_proba``, ``get_params``); its fitted state is four arrays, so it is
stored without pickling (:mod:`auditor.model`). :class:`Detector` is the
loaded, ready-to-score form used by ``auditor scan``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from auditor.features.stats import FEATURE_NAMES
from auditor.features.style import FrequencyTable, style_feature_names, style_features
from auditor.features.tokens import TokenBatch
from auditor.model import ModelError, StoredModel, load_stored

# Length is excluded on purpose (it separates the training pool's classes for
# reasons of how the pool was built: truncated human texts, short continuations).
EXCLUDED_FINGERPRINT = ("chars", "words")
DETECTOR_FINGERPRINT = tuple(name for name in FEATURE_NAMES if name not in EXCLUDED_FINGERPRINT)


def detector_feature_names() -> tuple[str, ...]:
    """Columns of the detector's input matrix, in order."""
    return DETECTOR_FINGERPRINT + style_feature_names()


def feature_matrix(
    normalized_texts: Sequence[str], tokens: TokenBatch, fingerprint: Mapping[str, np.ndarray], table: FrequencyTable
) -> np.ndarray:
    """The detector's input matrix for one batch, shape ``(n_docs, len(detector_feature_names()))``."""
    style = style_features(normalized_texts, tokens, table)
    columns = [fingerprint[name] for name in DETECTOR_FINGERPRINT] + [style[name] for name in style_feature_names()]
    return np.column_stack(columns).astype(np.float64) if columns else np.zeros((len(normalized_texts), 0))


class LinearDetector(ClassifierMixin, BaseEstimator):
    """Logistic regression on standardized, clipped features.

    Standardization uses the (weighted) training mean and standard deviation;
    standardized values are clipped to ``[-clip, clip]`` so one extreme feature
    (an unusual document) cannot dominate a score.

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
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y)
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"X must be 2-D with one row per label, got {X.shape} and {len(y)} labels")
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("y must contain both classes, 0 (human) and 1 (machine)")
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.mean_ = np.average(X, axis=0, weights=weights)
        std = np.sqrt(np.average((X - self.mean_) ** 2, axis=0, weights=weights))
        self.scale_ = np.where(std > 1e-12, std, 1.0)
        # Rescaled so the mean weight is 1: C then means the same for any weighting.
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, solver="lbfgs")
        model.fit(self._standardize(X), y, sample_weight=weights * len(weights) / weights.sum())
        self.coef_ = model.coef_.reshape(-1).copy()
        self.intercept_ = float(model.intercept_[0])
        self.classes_ = np.array([0, 1])
        return self

    def _standardize(self, X: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_, -self.clip, self.clip)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return self._standardize(X) @ self.coef_ + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.decision_function(X) >= 0).astype(int)

    def to_arrays(self) -> dict[str, np.ndarray]:
        check_is_fitted(self, "coef_")
        return {
            "detector_mean": self.mean_,
            "detector_scale": self.scale_,
            "detector_coef": self.coef_,
            "detector_intercept": np.array([self.intercept_]),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], clip: float) -> LinearDetector:
        if not (np.isfinite(clip) and clip > 0):
            raise ValueError(f"clip must be a positive finite number, got {clip}")
        detector = cls(clip=clip)
        try:
            detector.mean_ = np.asarray(arrays["detector_mean"], dtype=np.float64)
            detector.scale_ = np.asarray(arrays["detector_scale"], dtype=np.float64)
            detector.coef_ = np.asarray(arrays["detector_coef"], dtype=np.float64)
            detector.intercept_ = float(np.asarray(arrays["detector_intercept"]).reshape(-1)[0])
        except (KeyError, IndexError) as err:
            raise ValueError(f"detector arrays incomplete: {err}") from None
        if not detector.mean_.shape == detector.scale_.shape == detector.coef_.shape or detector.coef_.ndim != 1:
            raise ValueError("detector arrays have inconsistent shapes")
        if not (np.isfinite(detector.coef_).all() and np.isfinite(detector.mean_).all() and np.isfinite(detector.intercept_)
                and np.isfinite(detector.scale_).all() and (detector.scale_ > 0).all()):
            raise ValueError("detector arrays hold non-finite values or non-positive scales")
        detector.classes_ = np.array([0, 1])
        return detector


@dataclass(frozen=True)
class Detector:
    """A loaded model: scores batches of documents.

    Attributes:
        name / sha256 / path: identity of the model (recorded in every scan); ``sha256``
            covers model.json and, through the hash it records, model.npz.
        arrays_sha256: SHA-256 of model.npz alone.
        threshold: default decision threshold on ``p_synthetic``.
        estimator: the fitted :class:`LinearDetector`.
        table: the word-frequency table its features use.
        metadata: the whole ``model.json``.
        human_scores / machine_scores: validation score distributions (held-out).
    """

    name: str
    sha256: str
    arrays_sha256: str
    path: Path | None
    threshold: float
    estimator: LinearDetector
    table: FrequencyTable
    metadata: dict[str, object]
    human_scores: np.ndarray
    machine_scores: np.ndarray

    def score(self, normalized_texts: Sequence[str], tokens: TokenBatch, fingerprint: Mapping[str, np.ndarray]) -> np.ndarray:
        """``p_synthetic`` of every document of a batch."""
        return self.estimator.predict_proba(feature_matrix(normalized_texts, tokens, fingerprint, self.table))[:, 1]

    @classmethod
    def from_stored(cls, stored: StoredModel) -> Detector:
        meta = stored.metadata
        where = stored.path or "model"
        features = meta.get("features", {})
        if not isinstance(features, dict) or list(features.get("names", [])) != list(detector_feature_names()):
            raise ModelError(f"{where}: the model's feature list differs from this version's; retrain the model")
        try:
            estimator = LinearDetector.from_arrays(stored.arrays, clip=float(features["clip"]))
            table = FrequencyTable.from_arrays(stored.arrays, source=str(features["frequency_table"]))
            threshold = float(meta["threshold"])
            human, machine = (np.asarray(stored.arrays[k], dtype=np.float64) for k in ("validation_human", "validation_machine"))
        except (KeyError, TypeError, ValueError) as err:
            raise ModelError(f"{where}: invalid model content ({err}); retrain the model") from None
        if estimator.coef_.shape != (len(detector_feature_names()),) or not 0.0 <= threshold <= 1.0:  # False for NaN too
            raise ModelError(f"{where}: coefficient count or threshold out of range; retrain the model")
        return cls(str(meta.get("name", "unnamed")), stored.identity, stored.sha256, stored.path, threshold, estimator, table, meta, human, machine)


def default_model_path() -> Path:
    """Where the shipped model is: ``$AUDITOR_MODEL``, the source tree's ``models/default``, or the installed copy."""
    override = os.environ.get("AUDITOR_MODEL")
    if override:
        return Path(override)
    source_tree = Path(__file__).resolve().parent.parent / "models" / "default"
    if source_tree.is_dir():
        return source_tree
    # A regular (non-editable) install: pyproject's data-files put it under the prefix.
    return Path(sys.prefix) / "share" / "auditor" / "models" / "default"


def load_detector(path: str | os.PathLike[str] | None = None) -> Detector:
    """Load and verify a model directory (the shipped default when ``path`` is None)."""
    return Detector.from_stored(load_stored(default_model_path() if path is None else path))
