"""A fitted ensemble of regression trees as plain arrays, scored with numpy: the detector's model.

Gradient-boosted trees are fitted by scikit-learn
(:class:`sklearn.ensemble.HistGradientBoostingClassifier`, in :mod:`auditor.detector.boosting`);
scanning never imports it. The fitted trees are exported to the flat arrays of
:class:`TreeEnsemble` (one row per node, children as absolute node indices), which
a model stores in its ``.npz`` without pickling, and which score a batch by
walking every tree at once: ``depth`` rounds of fancy indexing over a
``(documents, trees)`` array of current nodes.

A document's score never depends on the batch it is scored in: each round works
row by row, and the leaf values are summed tree by tree in a fixed order (a
reduction over a 2-D array could be blocked differently for another batch shape,
and outputs must be byte-identical whatever ``--jobs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

LEAF = -1  # ``feature`` of a leaf; its children point to itself


@dataclass(frozen=True, eq=False)  # eq=False: identity equality (fields are arrays)
class TreeEnsemble:
    """Sum of regression trees plus a baseline: the raw (log-odds) score of a document.

    Attributes:
        feature: int32 per node: the feature it splits on, or :data:`LEAF`.
        threshold: float64 per node: a document goes left when its value is ``<= threshold``.
        missing_left: bool per node: where a NaN value goes.
        left / right: int32 per node: absolute indices of the children (a leaf's are itself).
        value: float64 per node: the leaf's contribution (0 for split nodes).
        roots: int32 per tree: index of its root node.
        baseline: the score before any tree (the training log-odds).
        depth: the deepest leaf's depth: rounds of the walk.
    """

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    baseline: float
    depth: int

    @property
    def n_features_used(self) -> int:
        """1 + the highest feature index any split uses (0 without splits)."""
        splits = self.feature[self.feature != LEAF]
        return int(splits.max()) + 1 if len(splits) else 0

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Raw score (log-odds of machine) of every row of ``X``, shape ``(n,)``."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] < self.n_features_used:
            raise ValueError(f"X must be 2-D with at least {self.n_features_used} columns, got shape {X.shape}")
        rows = np.arange(X.shape[0])[:, None]
        node = np.repeat(self.roots[None, :], X.shape[0], axis=0)
        for _ in range(self.depth):
            feature = self.feature[node]
            x = X[rows, np.maximum(feature, 0)]
            go_left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            node = np.where(go_left, self.left[node], self.right[node])  # a leaf's children are itself
        leaf_values = self.value[node]
        total = np.full(X.shape[0], self.baseline, dtype=np.float64)
        for tree in range(leaf_values.shape[1]):
            total += leaf_values[:, tree]
        return total

    def to_arrays(self, prefix: str = "trees_") -> dict[str, np.ndarray]:
        """The arrays to store (``baseline`` and ``depth`` as one-element arrays)."""
        return {
            f"{prefix}feature": self.feature.astype(np.int32),
            f"{prefix}threshold": self.threshold.astype(np.float64),
            f"{prefix}missing_left": self.missing_left.astype(np.bool_),
            f"{prefix}left": self.left.astype(np.int32),
            f"{prefix}right": self.right.astype(np.int32),
            f"{prefix}value": self.value.astype(np.float64),
            f"{prefix}roots": self.roots.astype(np.int32),
            f"{prefix}baseline": np.array([self.baseline], dtype=np.float64),
            f"{prefix}depth": np.array([self.depth], dtype=np.int32),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], n_features: int, prefix: str = "trees_") -> TreeEnsemble:
        """Inverse of :meth:`to_arrays`; ValueError unless the arrays form valid trees over ``n_features`` features.

        Checked so that a damaged model can neither index out of bounds nor loop: every
        child index is a node, split nodes point only to later nodes (no cycle), a leaf
        points to itself, values and thresholds are finite, and ``depth`` rounds reach a
        leaf from every root.
        """
        get = {name: np.asarray(arrays[f"{prefix}{name}"]) for name in
               ("feature", "threshold", "missing_left", "left", "right", "value", "roots", "baseline", "depth")}
        nodes = len(get["feature"])
        if not all(len(get[name]) == nodes for name in ("threshold", "missing_left", "left", "right", "value")):
            raise ValueError("tree arrays have different lengths")
        feature, left, right = get["feature"].astype(np.int64), get["left"].astype(np.int64), get["right"].astype(np.int64)
        roots, depth = get["roots"].astype(np.int64), int(get["depth"].reshape(-1)[0])
        leaf = feature == LEAF
        index = np.arange(nodes)
        if nodes == 0 or len(roots) == 0:
            raise ValueError("no trees")
        if ((feature < LEAF) | (feature >= n_features)).any():
            raise ValueError(f"a split uses a feature outside 0..{n_features - 1}")
        if ((roots < 0) | (roots >= nodes)).any() or ((left < 0) | (left >= nodes) | (right < 0) | (right >= nodes)).any():
            raise ValueError("a child or root index is not a node")
        if ((left != index) | (right != index))[leaf].any() or ((left <= index) | (right <= index))[~leaf].any():
            raise ValueError("trees are not stored root first with leaves pointing to themselves")
        if not (np.isfinite(get["threshold"]).all() and np.isfinite(get["value"]).all() and np.isfinite(get["baseline"]).all()):
            raise ValueError("non-finite thresholds, values or baseline")
        if not 0 <= depth <= 64:
            raise ValueError(f"depth {depth} outside 0..64")
        ensemble = cls(feature.astype(np.int32), get["threshold"].astype(np.float64), get["missing_left"].astype(np.bool_),
                       left.astype(np.int32), right.astype(np.int32), get["value"].astype(np.float64), roots.astype(np.int32),
                       float(get["baseline"].reshape(-1)[0]), depth)
        if not ensemble._leaves_within_depth():
            raise ValueError(f"some leaf is deeper than the recorded depth {depth}")
        return ensemble

    def _leaves_within_depth(self) -> bool:
        """Whether ``depth`` steps from every root end on a leaf whatever the way taken."""
        frontier = np.unique(self.roots)
        for _ in range(self.depth):
            frontier = np.unique(np.concatenate([self.left[frontier], self.right[frontier]]))
        return bool((self.feature[frontier] == LEAF).all())
