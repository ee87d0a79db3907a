"""Boosted trees as arrays (auditor.detector.trees, auditor.detector.boosting), their calibration and held-out validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.detector.boosting import BoostedDetector
from auditor.detector.calibration import Calibration, LengthCalibration
from auditor.detector.trees import TreeEnsemble
from auditor.detector.validation import ROUND_THRESHOLDS, balanced_weights, choose_round_threshold, choose_threshold, held_out_raw


@pytest.fixture(scope="module")
def fitted() -> tuple[BoostedDetector, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 8))
    y = ((X[:, 0] + X[:, 1] ** 2 + 0.5 * rng.normal(size=1500)) > 1).astype(int)
    return BoostedDetector(max_iter=40, min_samples_leaf=20).fit(X, y), X, y


def test_exported_trees_score_exactly_as_scikit_learn(fitted):
    model, X, _ = fitted
    from sklearn.ensemble import HistGradientBoostingClassifier

    reference = HistGradientBoostingClassifier(max_iter=40, learning_rate=0.08, max_leaf_nodes=15, min_samples_leaf=20,
                                               l2_regularization=1.0, early_stopping=False, random_state=0)
    reference.fit(X, fitted[2])
    Xt = np.random.default_rng(1).normal(size=(500, 8)) * 2
    np.testing.assert_allclose(model.decision_function(Xt), reference.decision_function(Xt), rtol=0, atol=1e-9)


def test_a_documents_score_does_not_depend_on_its_batch(fitted):
    model, X, _ = fitted
    whole = model.decision_function(X[:257])
    parts = np.concatenate([model.decision_function(X[i : min(i + 13, 257)]) for i in range(0, 257, 13)])
    assert whole.tobytes() == parts.tobytes()


def test_missing_values_follow_the_stored_direction(fitted):
    trees = fitted[0].trees_
    X = np.full((1, 8), np.nan)
    node = trees.roots.copy()
    for _ in range(trees.depth):
        node = np.where(trees.missing_left[node], trees.left[node], trees.right[node])
    assert trees.decision_function(X)[0] == pytest.approx(trees.baseline + trees.value[node].sum())


def test_arrays_round_trip_and_too_few_columns_are_refused(fitted):
    trees = fitted[0].trees_
    again = TreeEnsemble.from_arrays(trees.to_arrays(), n_features=8)
    X = np.random.default_rng(2).normal(size=(50, 8))
    assert again.decision_function(X).tobytes() == trees.decision_function(X).tobytes()
    with pytest.raises(ValueError, match="at least"):
        trees.decision_function(X[:, :1])
    with pytest.raises(ValueError, match="a split uses a feature outside"):
        TreeEnsemble.from_arrays(trees.to_arrays(), n_features=1)


def test_training_is_deterministic(fitted):
    model, X, y = fitted
    again = BoostedDetector(max_iter=40, min_samples_leaf=20).fit(X, y)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(model.trees_.to_arrays().values(), again.trees_.to_arrays().values()))


# --------------------------------------------------------------------------- calibration


def test_calibration_is_monotone_strictly_between_knots_and_assumes_half_machine():
    rng = np.random.default_rng(3)
    raw = np.concatenate([rng.normal(-1, 1, 3000), rng.normal(1, 1, 300)])  # 10% machine
    y = np.concatenate([np.zeros(3000, int), np.ones(300, int)])
    calibration = Calibration.fit(raw, y)
    grid = np.linspace(-4, 4, 801)
    p = calibration(grid)
    assert (np.diff(p) >= 0).all() and 0 <= p.min() and p.max() <= 1
    inner = (grid > calibration.raw[0]) & (grid < calibration.raw[-1])
    assert len(np.unique(p[inner])) > 0.9 * inner.sum()  # no ties inside: the order of documents survives
    # Under a 50/50 prior the two class densities cross at raw 0, where p is about 0.5 (not 0.1).
    assert calibration(np.array([0.0]))[0] == pytest.approx(0.5, abs=0.1)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-50, 50), st.booleans()), min_size=4, max_size=200))
def test_calibration_of_any_scores_is_a_valid_monotone_map(pairs):
    raw = np.array([r for r, _ in pairs])
    y = np.array([int(b) for _, b in pairs])
    if len(set(y.tolist())) < 2:
        with pytest.raises(ValueError):
            Calibration.fit(raw, y)
        return
    calibration = Calibration.from_arrays(Calibration.fit(raw, y).to_arrays())  # what is stored loads back
    p = calibration(np.sort(raw))
    assert (np.diff(p) >= -1e-12).all() and (p >= 0).all() and (p <= 1).all()


def _short_texts_score_like_machines(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Long documents (most of them) separate well; short ones barely, and their humans score like long machines."""
    n, m = 4000, 400
    words = np.concatenate([rng.integers(150, 400, n), rng.integers(20, 60, m)]).astype(float)
    y = np.concatenate([np.repeat([0, 1], n // 2), np.repeat([0, 1], m // 2)])
    raw = np.concatenate([np.where(y[:n] == 1, rng.normal(2, 1, n), rng.normal(-2, 1, n)),
                          np.where(y[n:] == 1, rng.normal(2.3, 1, m), rng.normal(1.7, 1, m))])
    return raw, y, words


def test_length_bands_keep_short_humans_below_a_threshold_one_pooled_calibration_flags():
    raw, y, words = _short_texts_score_like_machines(np.random.default_rng(5))
    short_humans = (words < 80) & (y == 0)
    pooled = LengthCalibration.fit(raw, y, words, word_edges=())
    banded = LengthCalibration.fit(raw, y, words, word_edges=(80,))
    assert banded.word_edges == (80,) and pooled.word_edges == ()
    assert np.mean(pooled(raw, words)[short_humans] >= 0.9) > 0.2  # pooled: a long machine's score means machine
    assert np.mean(banded(raw, words)[short_humans] >= 0.9) < 0.01  # banded: on short texts it means little
    long_machines = (words >= 80) & (y == 1)
    assert np.mean(banded(raw, words)[long_machines] >= 0.9) > 0.5  # long documents keep their power


def test_a_band_without_enough_documents_of_a_class_is_merged_and_what_is_stored_loads_back():
    raw, y, words = _short_texts_score_like_machines(np.random.default_rng(6))
    keep = ~((words < 30) & (y == 1)) | (np.arange(len(y)) % 40 == 0)  # ~2 short machines under 30 words
    banded = LengthCalibration.fit(raw[keep], y[keep], words[keep], word_edges=(30, 80))
    assert banded.word_edges == (80,)  # the 30-word edge had too few machines below it
    loaded = LengthCalibration.from_arrays(banded.to_arrays(), banded.word_edges)
    assert loaded(raw, words).tobytes() == banded(raw, words).tobytes()
    with pytest.raises(ValueError, match="each length band"):
        LengthCalibration.from_arrays(banded.to_arrays(), ())
    with pytest.raises(ValueError, match="increasing positive"):
        LengthCalibration((80, 40), banded.bands + banded.bands[:1])


# --------------------------------------------------------------------------- validation


class _Recorder:
    """An estimator that remembers the rows it was trained on (by the id in column 0)."""

    trained: list[set[int]] = []

    def fit(self, X, y, sample_weight=None):
        _Recorder.trained.append(set(X[:, 0].astype(int).tolist()))
        self.seen = _Recorder.trained[-1]
        return self

    def decision_function(self, X):
        return np.array([1.0 if int(i) in self.seen else 0.0 for i in X[:, 0]])


def test_no_document_is_scored_by_a_model_that_saw_its_group_or_an_unseen_document():
    _Recorder.trained = []
    n = 60
    X = np.column_stack([np.arange(n), np.zeros(n)])
    y = np.arange(n) % 2
    groups = np.array(["a", "b", "c"] * 20)
    unseen = np.arange(n) % 10 == 1  # some machine documents of every group
    held = held_out_raw(X, y, groups, groups, _Recorder, unseen)
    assert (held.raw == 0.0).all()  # every score came from a model that never saw the document
    for trained, group in zip(_Recorder.trained, ("a", "b", "c")):
        assert not trained & set(np.flatnonzero((groups == group) | unseen).tolist())
    assert [f["held_out"] for f in held.folds] == ["a", "b", "c"]


def test_balanced_weights_give_every_cell_the_same_total():
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1, 1, 1])
    groups = np.array(list("aaaabbbbbb"))
    w = balanced_weights(y, groups)
    totals = {(g, label): w[(groups == g) & (y == label)].sum() for g in "ab" for label in (0, 1)}
    assert np.allclose(list(totals.values()), totals[("a", 0)]) and w.mean() == pytest.approx(1.0)


def test_the_threshold_is_the_smallest_round_number_keeping_every_groups_fpr():
    scores = np.concatenate([np.linspace(0, 0.83, 100), np.linspace(0, 0.5, 100), np.linspace(0.5, 1, 50)])
    y = np.array([0] * 200 + [1] * 50)
    groups = np.array(["a"] * 100 + ["b"] * 100 + ["m"] * 50)
    exact = choose_threshold(scores, y, groups, 0.05)
    assert 0.78 < exact <= 0.80  # group a's 95th percentile
    threshold = choose_round_threshold(scores, y, groups, 0.05)
    assert threshold == 0.8 and threshold in ROUND_THRESHOLDS
    assert (scores[(groups == "a")] >= threshold).mean() <= 0.05
