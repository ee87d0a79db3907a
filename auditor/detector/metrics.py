"""Detection metrics: AUROC, TPR at fixed false-positive rates, rates at a threshold; overall and per group.

Machine text is the positive class. Every figure is computed from scores and
labels only, so the same function reports validation results inside
``auditor train`` (on held-out groups) and ``auditor evaluate`` (on data the
user brings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from auditor.visible import visible

FPR_TARGETS = (0.01, 0.05)


def tpr_at_fpr(labels: np.ndarray, scores: np.ndarray, target: float) -> float | None:
    """Highest true-positive rate over thresholds whose false-positive rate is <= ``target``."""
    if labels.min(initial=1) == 1 or labels.max(initial=0) == 0:
        return None
    fpr, tpr, _ = roc_curve(labels, scores)
    return float(tpr[fpr <= target + 1e-12].max())


def _rate(hits: np.ndarray) -> float | None:
    return float(hits.mean()) if len(hits) else None


def detection_metrics(labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, threshold: float) -> dict[str, object]:
    """Metrics of one set of documents; a figure that needs both classes is None when one is absent.

    Keys: ``documents``, ``human``, ``machine``, ``auroc``, ``tpr_at_fpr_1pct``,
    ``tpr_at_fpr_5pct``, ``threshold``, ``fpr_at_threshold``, ``tpr_at_threshold``.
    """
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length ({len(y)} vs {len(s)})")
    both = 0 < y.sum() < len(y)
    flagged = s >= threshold
    return {
        "documents": int(len(y)),
        "human": int((y == 0).sum()),
        "machine": int((y == 1).sum()),
        "auroc": float(roc_auc_score(y, s)) if both else None,
        **{f"tpr_at_fpr_{round(t * 100)}pct": tpr_at_fpr(y, s, t) for t in FPR_TARGETS},
        "threshold": float(threshold),
        "fpr_at_threshold": _rate(flagged[y == 0]),
        "tpr_at_threshold": _rate(flagged[y == 1]),
    }


class GroupedMetrics(TypedDict):
    """:func:`grouped_metrics`: the metrics of all documents and of each group."""

    overall: dict[str, object]
    by_group: dict[str, dict[str, object]]


def grouped_metrics(
    labels: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, groups: Sequence[object] | np.ndarray, threshold: float
) -> GroupedMetrics:
    """``{"overall": metrics, "by_group": {group: metrics}}``, groups sorted by name."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    keys = np.array([str(g) for g in groups], dtype=object)
    if len(keys) != len(y):
        raise ValueError(f"groups and labels differ in length ({len(keys)} vs {len(y)})")
    return {
        "overall": detection_metrics(y, s, threshold),
        "by_group": {g: detection_metrics(y[keys == g], s[keys == g], threshold) for g in sorted(set(keys.tolist()))},
    }


def _fmt(value: object) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def metrics_table(result: Mapping[str, Any], group_title: str = "group") -> str:
    """A plain-text table of :func:`grouped_metrics` output (one row per group, then overall when present).

    ``result``: that output, or a JSON document holding its ``by_group`` (and ``overall``): a
    result of :mod:`auditor.detector.evaluation`, a model's validation figures.

    Group names come from the data: they are shown with :func:`auditor.visible.visible`, so
    the table has one line per group and its columns line up.
    """
    columns = ("human", "machine", "auroc", "tpr_at_fpr_1pct", "tpr_at_fpr_5pct", "fpr_at_threshold", "tpr_at_threshold")
    headers = (visible(group_title), "human", "machine", "AUROC", "TPR@1%FPR", "TPR@5%FPR", "FPR@thr", "TPR@thr")
    rows = [(visible(name), *(_fmt(m[c]) for c in columns)) for name, m in result["by_group"].items()]
    if "overall" in result:
        rows.append(("overall", *(_fmt(result["overall"][c]) for c in columns)))
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths))) for r in [headers, *rows]]
    return "\n".join(lines)
