"""Training pieces: labels, weights, the threshold rule, evaluate, leave-one-out.

``auditor train`` and ``auditor evaluate`` are tested in tests/cli/test_train.py and tests/cli/test_evaluate.py.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from auditor.detector.scorer import load_detector
from auditor.errors import InputError
from auditor.detector.evaluation import EvaluateOptions, evaluate, leave_one_out
from auditor.detector.linear import LinearDetector
from auditor.detector.training import TrainOptions, balanced_weights, choose_threshold, extract_features, train


def test_balanced_weights_give_every_cell_the_same_total():
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1, 1])
    groups = np.array(["a", "a", "a", "a", "b", "b", "b", "b", "b"], dtype=object)
    w = balanced_weights(y, groups)
    totals = {(g, label): w[(groups == g) & (y == label)].sum() for g in "ab" for label in (0, 1)}
    assert np.allclose(list(totals.values()), totals[("a", 0)])
    assert w.mean() == pytest.approx(1.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(0, 1, exclude_max=True)), min_size=1, max_size=80), st.sampled_from([0.05, 0.1, 0.3]))
def test_threshold_is_the_smallest_meeting_the_fpr_on_every_group(rows, max_fpr):
    groups = np.array([g for g, _ in rows], dtype=object)
    scores = np.array([s for _, s in rows])
    y = np.zeros(len(rows), dtype=int)
    t = choose_threshold(scores, y, groups, max_fpr)
    for g in set(groups.tolist()):
        assert np.mean(scores[groups == g] >= t) <= max_fpr + 1e-12
    if t > 0:  # any lower candidate (the next score below) breaks some group
        lower = scores[scores < t]
        if len(lower):
            t2 = lower.max()
            assert any(np.mean(scores[groups == g] >= t2) > max_fpr for g in set(groups.tolist()))


def test_threshold_saturates_at_one_when_humans_score_one():
    # p_synthetic == 1.0 cannot be left unflagged by a threshold in [0, 1]: the rule stops at 1.
    assert choose_threshold(np.array([1.0, 0.2]), np.array([0, 0]), np.array(["a", "a"], dtype=object), 0.05) == 1.0


def test_bad_label_names_file_and_line(tmp_path, tiny_table):
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a b c", "label": "human", "source": "x"}\n{"text": "d e f", "label": "robot", "source": "x"}\n')
    with pytest.raises(InputError, match=r"d.jsonl:2: 'label' is 'robot', expected 'human' or 'machine'"):
        extract_features([str(data)], TrainOptions(), tiny_table)


def test_exclusions_are_left_out_and_counted(labelled_path, tiny_table):
    data = extract_features([str(labelled_path)], TrainOptions(group_field="group", exclude=(("group", "g2"),)), tiny_table)
    assert data.excluded == 126 and len(data.y) == 380 - 126
    assert set(data.groups.tolist()) == {"g0", "g1"}


def test_linear_detector_follows_estimator_conventions():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=200) > 0).astype(int)
    model = LinearDetector(C=1.0).fit(X, y)
    assert model.get_params() == {"C": 1.0, "clip": 8.0, "max_iter": 3000}
    proba = model.predict_proba(X)
    assert proba.shape == (200, 2) and np.allclose(proba.sum(axis=1), 1)
    assert roc_auc_score(y, proba[:, 1]) > 0.9
    restored = LinearDetector.from_arrays(model.to_arrays(), clip=8.0)
    assert np.array_equal(restored.decision_function(X), model.decision_function(X))
    with pytest.raises(ValueError, match="both classes"):
        LinearDetector().fit(X, np.zeros(200, dtype=int))


def test_evaluate_matches_sklearn_on_the_model_scores(labelled_path, tiny_model_dir):
    detector = load_detector(tiny_model_dir)
    result = evaluate([str(labelled_path)], EvaluateOptions(group_field="group"), detector=detector)
    data = extract_features([str(labelled_path)], TrainOptions(group_field="group"), detector.table)
    scores = detector.probability(data.X, data.words)
    assert result["overall"]["auroc"] == pytest.approx(roc_auc_score(data.y, scores))
    assert result["overall"]["fpr_at_threshold"] == pytest.approx(np.mean(scores[data.y == 0] >= detector.threshold))
    assert sorted(result["by_group"]) == ["g0", "g1", "g2"]


def test_leave_one_out_reproduces_the_figures_train_records(labelled_path, tiny_model_dir, tmp_path, tiny_table):
    options = TrainOptions(group_field="group", trees=60)
    stored = train([str(labelled_path)], tmp_path / "m", options, table=tiny_table)
    from auditor.detector.scorer import load_detector

    result = leave_one_out([str(labelled_path)], "group", options, load_detector(tiny_model_dir))
    assert result["threshold"] == stored.metadata["threshold"]
    assert result["overall"] == stored.metadata["validation"]["overall"]
    assert result["by_group"] == stored.metadata["validation"]["by_group"]


def test_training_needs_two_groups_with_both_labels(tmp_path, tiny_table):
    data = tmp_path / "one.jsonl"
    data.write_text("".join(f'{{"text": "word{i} and more words here", "label": "{"human" if i % 2 else "machine"}", "source": "only"}}\n' for i in range(10)))
    with pytest.raises(InputError, match="at least two source groups"):
        train([str(data)], tmp_path / "m", TrainOptions(), table=tiny_table)


def test_float_labels_from_parquet_are_accepted(tmp_path, tiny_table):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "l.parquet"
    pq.write_table(pa.table({"text": ["one text here", "another text"], "label": [0.0, 1.0], "source": ["a", "b"]}), path)
    data = extract_features([str(path)], TrainOptions(), tiny_table)
    assert data.y.tolist() == [0, 1]
