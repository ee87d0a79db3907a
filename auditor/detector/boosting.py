"""Fitting the detector: :class:`BoostedDetector`, a scikit-learn estimator whose fitted form is a :class:`~auditor.detector.trees.TreeEnsemble`.

Why trees: the detector's features do not point the same way in every kind of
writing (function-word rates, sentence lengths and word rarity mean different
things in fiction, news and essays), and one linear boundary over them had to
trade one domain against another; measured leave-one-family-out on the training
pool, boosted trees ranked held-out families markedly better than the linear
model on the same features (``models/README.md``).

Only training imports scikit-learn. The fitted trees are copied out of
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` into plain arrays, and
the copy is checked against scikit-learn's own raw predictions on the training
rows before it is accepted, so a change in scikit-learn's internals fails the
training run rather than shipping a model that scores differently.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from auditor.detector.trees import LEAF, TreeEnsemble
from auditor.detector.validation import training_arrays

_EXPORT_TOLERANCE = 1e-9  # raw-score difference allowed between the copy and scikit-learn
# Below this many rows OpenMP's per-round start-up costs more than the threads gain
# (measured: 380 rows, 1.7 s on one thread against 4.1 s on two on a loaded 2-core machine).
_THREADED_FROM_ROWS = 20_000


class BoostedDetector(ClassifierMixin, BaseEstimator):
    """Gradient-boosted regression trees on the detector features (log-loss, binary).

    Deterministic: no early stopping (it would draw a random validation split) and a
    fixed ``random_state`` for the feature binning. The fitted model is ``trees_``.

    Args:
        max_iter: boosting rounds (trees).
        learning_rate: shrinkage of every tree.
        max_leaf_nodes: leaves per tree.
        min_samples_leaf: fewest training documents in a leaf.
        l2_regularization: L2 penalty on leaf values.
        random_state: seed of the feature binning.
    """

    def __init__(self, max_iter: int = 200, learning_rate: float = 0.08, max_leaf_nodes: int = 15,
                 min_samples_leaf: int = 40, l2_regularization: float = 1.0, random_state: int = 0):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> BoostedDetector:
        X, y = training_arrays(X, y)
        model = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            early_stopping=False, random_state=self.random_state,
        )
        with threadpool_limits(limits=None if len(X) >= _THREADED_FROM_ROWS else 1, user_api="openmp"):
            model.fit(X, y, sample_weight=sample_weight)
        trees = export_trees(model, X.shape[1])
        sample = X[:: max(1, len(X) // 2000)]
        expected = model.decision_function(sample)
        if not np.allclose(trees.decision_function(sample), expected, rtol=0, atol=_EXPORT_TOLERANCE):
            raise RuntimeError("the exported trees do not reproduce scikit-learn's scores; this scikit-learn version is not supported")
        self.trees_ = trees
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "trees_")
        return self.trees_.decision_function(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """``(n, 2)``: probabilities of human and machine under the training weights' prior (uncalibrated)."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.decision_function(X) >= 0).astype(int)


def export_trees(model: HistGradientBoostingClassifier, n_features: int) -> TreeEnsemble:
    """The trees of a fitted binary :class:`HistGradientBoostingClassifier` as one :class:`TreeEnsemble`."""
    if model.n_trees_per_iteration_ != 1:
        raise ValueError("only binary classifiers can be exported")
    columns: dict[str, list[np.ndarray]] = {name: [] for name in ("feature", "threshold", "missing_left", "left", "right", "value")}
    roots, depth, offset = [], 0, 0
    for (predictor,) in model._predictors:  # scikit-learn keeps the fitted trees here (one per round)
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits cannot be exported")
        leaf = nodes["is_leaf"].astype(bool)
        own = np.arange(len(nodes))
        columns["feature"].append(np.where(leaf, LEAF, nodes["feature_idx"]).astype(np.int32))
        columns["threshold"].append(np.where(leaf, 0.0, nodes["num_threshold"]).astype(np.float64))
        columns["missing_left"].append(nodes["missing_go_to_left"].astype(np.bool_))
        columns["left"].append((np.where(leaf, own, nodes["left"]) + offset).astype(np.int32))
        columns["right"].append((np.where(leaf, own, nodes["right"]) + offset).astype(np.int32))
        columns["value"].append(np.where(leaf, nodes["value"], 0.0).astype(np.float64))
        roots.append(offset)
        depth = max(depth, int(nodes["depth"].max()))
        offset += len(nodes)
    arrays = {f"trees_{name}": np.concatenate(parts) for name, parts in columns.items()}
    arrays["trees_roots"] = np.array(roots, dtype=np.int32)
    arrays["trees_baseline"] = np.array([float(np.asarray(model._baseline_prediction).reshape(-1)[0])])
    arrays["trees_depth"] = np.array([depth], dtype=np.int32)
    return TreeEnsemble.from_arrays(arrays, n_features)  # validates what was copied
