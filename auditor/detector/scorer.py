"""The machine-text detector: a model over dense, formatting-invariant features, scored with numpy.

Why dense: sparse word n-gram models reach ~0.97 AUROC inside one source but learn
its topic and layout, and fall to ~0.7 on other sources (see ``models/README.md``).
The features here are computed on normalized text (:mod:`auditor.normalize`), are
rates or distribution statistics rather than vocabulary, and exclude document
length, which differs by class for reasons of how the training pool was built,
not of who wrote it. Length enters only the calibration: the same raw score is less
evidence on a short document.

Two stored kinds of model score the same features:

- ``auditor.model/3`` (what ``auditor train`` writes; ``/2``, the same without per-family validation scores, still loads): boosted regression trees
  (:class:`~auditor.detector.trees.TreeEnsemble`) whose raw score goes through a
  :class:`~auditor.detector.calibration.LengthCalibration` fitted on held-out families
  (one per band of document length), so ``p_synthetic`` is a calibrated
  probability (:class:`CalibratedTrees`);
- ``auditor.model/1`` (models from before): :class:`LinearScorer`, a
  standardized logistic regression, uncalibrated.

Both are plain arrays and numpy arithmetic, stored without pickling
(:mod:`auditor.detector.store`); scanning never imports scikit-learn. A model lists the
features it was trained on by name, and scoring selects those columns, so a
later version that computes more features still scores an older model.
:class:`Detector` is the loaded, ready-to-score form used by ``auditor scan``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from auditor.detector.calibration import LengthCalibration
from auditor.detector.store import LINEAR_FORMAT, ModelError, StoredModel, load_stored
from auditor.detector.trees import TreeEnsemble
from auditor.features.lexicon import LEXICON_NAMES, lexicon_features
from auditor.features.stats import FEATURE_NAMES
from auditor.features.style import FrequencyTable, style_feature_names, style_features
from auditor.features.tokens import TokenBatch

# Length is excluded on purpose (it separates the training pool's classes for
# reasons of how the pool was built: truncated human texts, short continuations).
EXCLUDED_FINGERPRINT = ("chars", "words")
DETECTOR_FINGERPRINT = tuple(name for name in FEATURE_NAMES if name not in EXCLUDED_FINGERPRINT)


def detector_feature_names() -> tuple[str, ...]:
    """Columns of the detector's input matrix, in order."""
    return DETECTOR_FINGERPRINT + style_feature_names() + LEXICON_NAMES


def feature_matrix(
    normalized_texts: Sequence[str], tokens: TokenBatch, fingerprint: Mapping[str, np.ndarray], table: FrequencyTable
) -> np.ndarray:
    """The detector's input matrix for one batch, shape ``(n_docs, len(detector_feature_names()))``."""
    computed = {**style_features(normalized_texts, tokens, table), **lexicon_features(normalized_texts, tokens)}
    columns = [fingerprint[name] for name in DETECTOR_FINGERPRINT] + [computed[name] for name in detector_feature_names()[len(DETECTOR_FINGERPRINT):]]
    return np.column_stack(columns).astype(np.float64) if columns else np.zeros((len(normalized_texts), 0))


@dataclass(frozen=True, eq=False)
class CalibratedTrees:
    """Boosted trees and the calibration of their raw score: ``p_synthetic = calibration(trees(X), words)``."""

    trees: TreeEnsemble
    calibration: LengthCalibration

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self.trees.decision_function(X)

    def probability(self, X: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Calibrated ``p_synthetic`` of documents with features ``X`` and ``words`` words each."""
        return self.calibration(self.trees.decision_function(X), words)


@dataclass(frozen=True, eq=False)  # eq=False: identity equality (fields are arrays)
class LinearScorer:
    """A fitted linear detector, numpy only: logistic regression on standardized, clipped features.

    Standardized values ``(X - mean) / scale`` are clipped to ``[-clip, clip]`` so one
    extreme feature (an unusual document) cannot dominate a score. Scoring needs
    nothing else, so ``auditor scan`` and the hook never import scikit-learn;
    :class:`auditor.detector.linear.LinearDetector` fits it.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    clip: float

    def standardize(self, X: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(X, dtype=np.float64) - self.mean) / self.scale, -self.clip, self.clip)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        # Not ``Z @ coef``: BLAS blocks a matrix-vector product by the matrix's shape, so a
        # document's last bits would depend on the batch it was scored in (and outputs on
        # --jobs). Summing the columns in a fixed order gives every row the same operations.
        Z = self.standardize(X)
        total = np.full(Z.shape[0], self.intercept, dtype=np.float64)
        for j in range(Z.shape[1]):
            total += Z[:, j] * self.coef[j]
        return total

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(n, 2)``: probabilities of human (column 0) and machine (column 1)."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays to store in a model ``.npz`` (``clip`` goes to the metadata)."""
        return {
            "detector_mean": self.mean,
            "detector_scale": self.scale,
            "detector_coef": self.coef,
            "detector_intercept": np.array([self.intercept]),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], clip: float) -> LinearScorer:
        """Inverse of :meth:`to_arrays`; ValueError on missing, inconsistent or non-finite arrays."""
        if not (np.isfinite(clip) and clip > 0):
            raise ValueError(f"clip must be a positive finite number, got {clip}")
        try:
            scorer = cls(
                np.asarray(arrays["detector_mean"], dtype=np.float64),
                np.asarray(arrays["detector_scale"], dtype=np.float64),
                np.asarray(arrays["detector_coef"], dtype=np.float64),
                float(np.asarray(arrays["detector_intercept"]).reshape(-1)[0]),
                clip,
            )
        except (KeyError, IndexError) as err:
            raise ValueError(f"detector arrays incomplete: {err}") from None
        if not scorer.mean.shape == scorer.scale.shape == scorer.coef.shape or scorer.coef.ndim != 1:
            raise ValueError("detector arrays have inconsistent shapes")
        if not (np.isfinite(scorer.coef).all() and np.isfinite(scorer.mean).all() and np.isfinite(scorer.intercept)
                and np.isfinite(scorer.scale).all() and (scorer.scale > 0).all()):
            raise ValueError("detector arrays hold non-finite values or non-positive scales")
        return scorer


@dataclass(frozen=True)
class Detector:
    """A loaded model: scores batches of documents.

    Attributes:
        name / sha256 / path: identity of the model (recorded in every scan); ``sha256``
            covers model.json and, through the hash it records, model.npz.
        arrays_sha256: SHA-256 of model.npz alone.
        threshold: default decision threshold on ``p_synthetic``.
        estimator: the fitted model (:class:`CalibratedTrees` or :class:`LinearScorer`);
            :meth:`probability` gives ``p_synthetic``.
        columns: which columns of :func:`feature_matrix` the model takes, in its order.
        table: the word-frequency table its features use.
        metadata: the whole ``model.json``.
        human_scores / machine_scores: validation score distributions (held-out).
        validation_by_group: the same scores split by validation group (family): each
            group's pair, from a model that never saw the group, is one plausible picture of
            an unseen domain (empty for models stored without it).
    """

    name: str
    sha256: str
    arrays_sha256: str
    path: Path | None
    threshold: float
    estimator: CalibratedTrees | LinearScorer
    columns: np.ndarray
    table: FrequencyTable
    metadata: dict[str, object]
    human_scores: np.ndarray
    machine_scores: np.ndarray
    validation_by_group: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def probability(self, X: np.ndarray, words: np.ndarray) -> np.ndarray:
        """``p_synthetic`` of every row of a full :func:`feature_matrix`; ``words``: each document's word count."""
        selected = np.asarray(X)[:, self.columns]
        if isinstance(self.estimator, CalibratedTrees):
            return self.estimator.probability(selected, words)
        return self.estimator.predict_proba(selected)[:, 1]

    def score(self, normalized_texts: Sequence[str], tokens: TokenBatch, fingerprint: Mapping[str, np.ndarray]) -> np.ndarray:
        """``p_synthetic`` of every document of a batch."""
        return self.probability(feature_matrix(normalized_texts, tokens, fingerprint, self.table), fingerprint["words"])

    @classmethod
    def from_stored(cls, stored: StoredModel) -> Detector:
        """The detector of a loaded model (:func:`~auditor.detector.store.load_stored` has checked its schema)."""
        meta = stored.metadata
        where = stored.path or "model"
        features = meta["features"]
        assert isinstance(features, dict)  # the schema checked the fields' types (auditor.detector.schema)
        names = list(features["names"])
        known = {name: i for i, name in enumerate(detector_feature_names())}
        unknown = [name for name in names if name not in known]
        if unknown or len(set(names)) != len(names):
            problem = f"features this version does not compute ({', '.join(unknown[:3])})" if unknown else "repeated feature names"
            raise ModelError(f"{where}: the model lists {problem}; retrain the model with this version")
        estimator: CalibratedTrees | LinearScorer
        try:
            if meta["format"] == LINEAR_FORMAT:
                estimator = LinearScorer.from_arrays(stored.arrays, clip=float(features["clip"]))
                if len(estimator.coef) != len(names):
                    raise ValueError(f"{len(estimator.coef)} coefficients for {len(names)} features")
            else:
                calibration = meta["calibration"]
                assert isinstance(calibration, dict)
                estimator = CalibratedTrees(TreeEnsemble.from_arrays(stored.arrays, len(names)),
                                            LengthCalibration.from_arrays(stored.arrays, calibration["word_edges"]))
            table = FrequencyTable.from_arrays(stored.arrays, source=str(features["frequency_table"]))
        except ValueError as err:
            raise ModelError(f"{where}: invalid model content ({err}); retrain the model") from None
        human, machine = stored.arrays["validation_human"], stored.arrays["validation_machine"]
        by_group = _validation_by_group(stored.arrays, meta, where) if "validation_human_group" in stored.arrays else {}
        return cls(str(meta["name"]), stored.identity, stored.sha256, stored.path, float(meta["threshold"]),
                   estimator, np.array([known[name] for name in names], dtype=np.int64), table, meta, human, machine, by_group)


def _validation_by_group(arrays: Mapping[str, np.ndarray], meta: Mapping[str, object], where: object) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The held-out human and machine scores of each validation group (``auditor.model/3``)."""
    validation = meta["validation"]
    assert isinstance(validation, dict)  # checked by the schema
    names = [str(name) for name in validation["groups"]]
    split: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    human, machine = arrays["validation_human_group"], arrays["validation_machine_group"]
    if (len(human) and human.max() >= len(names)) or (len(machine) and machine.max() >= len(names)):
        raise ModelError(f"{where}: invalid model content (a validation group index is not in validation.groups); retrain the model")
    for index, name in enumerate(names):
        split[name] = (arrays["validation_human"][human == index], arrays["validation_machine"][machine == index])
    return split


def default_model_path() -> Path:
    """Where the shipped model is: ``$AUDITOR_MODEL``, the source tree's ``models/default``, or the installed copy."""
    override = os.environ.get("AUDITOR_MODEL")
    if override:
        return Path(override)
    source_tree = Path(__file__).resolve().parents[2] / "models" / "default"
    if source_tree.is_dir():
        return source_tree
    # A regular (non-editable) install: pyproject's data-files put it under the prefix.
    return Path(sys.prefix) / "share" / "auditor" / "models" / "default"


def load_detector(path: str | os.PathLike[str] | None = None) -> Detector:
    """Load and verify a model directory (the shipped default when ``path`` is None)."""
    return Detector.from_stored(load_stored(default_model_path() if path is None else path))
