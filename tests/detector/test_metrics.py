"""Detection metrics against scikit-learn and brute force."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from auditor.detector.metrics import detection_metrics, grouped_metrics, metrics_table, tpr_at_fpr


def _data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1).round(3)  # rounded: ties, like real scores
    return y, s


def test_metrics_equal_sklearn_and_brute_force():
    y, s = _data()
    m = detection_metrics(y, s, threshold=0.5)
    assert m["auroc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert m["documents"] == 400 and m["human"] + m["machine"] == 400
    assert m["fpr_at_threshold"] == pytest.approx(np.mean(s[y == 0] >= 0.5))
    assert m["tpr_at_threshold"] == pytest.approx(np.mean(s[y == 1] >= 0.5))
    for target, key in ((0.01, "tpr_at_fpr_1pct"), (0.05, "tpr_at_fpr_5pct")):
        best = max(
            (np.mean(s[y == 1] >= t) for t in np.unique(np.append(s, np.inf)) if np.mean(s[y == 0] >= t) <= target),
        )
        assert m[key] == pytest.approx(best)


def test_figures_needing_both_classes_are_none_for_one_class():
    m = detection_metrics([1, 1, 1], [0.2, 0.9, 0.7], threshold=0.5)
    assert m["auroc"] is None and m["tpr_at_fpr_5pct"] is None and m["fpr_at_threshold"] is None
    assert m["tpr_at_threshold"] == pytest.approx(2 / 3)
    assert tpr_at_fpr(np.array([0, 0]), np.array([0.1, 0.2]), 0.05) is None


def test_grouped_metrics_and_table():
    y, s = _data(1, 60)
    groups = ["b" if i % 2 else "a" for i in range(60)]
    result = grouped_metrics(y, s, groups, 0.5)
    assert list(result["by_group"]) == ["a", "b"]
    a = np.array(groups) == "a"
    assert result["by_group"]["a"]["auroc"] == pytest.approx(roc_auc_score(y[a], s[a]))
    table = metrics_table(result, "source").splitlines()
    assert table[0].split() == ["source", "human", "machine", "AUROC", "TPR@1%FPR", "TPR@5%FPR", "FPR@thr", "TPR@thr"]
    assert [line.split()[0] for line in table[1:]] == ["a", "b", "overall"]
    with pytest.raises(ValueError, match="differ in length"):
        detection_metrics([0, 1], [0.5], 0.5)
