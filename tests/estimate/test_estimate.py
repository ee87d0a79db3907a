"""Synthetic-fraction estimators: exact edges, accuracy and interval coverage on known mixtures."""

import numpy as np
import pytest

from auditor.estimate.fraction import METHODS, FractionEstimator, Reference, mixture_mle, with_known
from conftest import POOL


def _human(rng, n):
    return 1 / (1 + np.exp(-rng.normal(-3.0, 1.5, n)))


def _machine(rng, n):
    return 1 / (1 + np.exp(-rng.normal(1.0, 1.5, n)))


def _estimator(method="em", seed=0, n_ref=3000):
    rng = np.random.default_rng(seed)
    return FractionEstimator(Reference(_human(rng, n_ref), "h"), Reference(_machine(rng, n_ref), "m"), 0.5, method)


def test_mle_boundaries_and_interior_exactly():
    h = np.array([0.7, 0.2, 0.1])
    m = np.array([0.1, 0.2, 0.7])
    assert mixture_mle(np.array([10.0, 0, 0]), h, m) == 0.0  # all mass where humans are
    assert mixture_mle(np.array([0, 0, 10.0]), h, m) == 1.0
    # Counts exactly proportional to the mixture at a = 0.3 give back 0.3.
    assert mixture_mle(1000 * (0.7 * h + 0.3 * m), h, m) == pytest.approx(0.3, abs=1e-9)
    batch = mixture_mle(np.stack([1000 * (0.9 * h + 0.1 * m), 1000 * (0.4 * h + 0.6 * m)]), h, m)
    assert batch == pytest.approx([0.1, 0.6], abs=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_estimates_stay_in_unit_interval_and_hit_the_edges(method):
    est = _estimator(method)
    rng = np.random.default_rng(5)
    none = est.estimate(np.full(200, 1e-4))  # far below every machine score
    every = est.estimate(np.full(200, 1 - 1e-4))
    for e in (none, every):
        assert 0.0 <= e.low <= e.estimate <= e.high <= 1.0
    assert none.estimate == 0.0 and every.estimate == 1.0
    e = est.estimate(_human(rng, 500))
    assert 0.0 <= e.estimate <= 0.05


def test_em_is_accurate_and_its_interval_covers_the_truth():
    est = _estimator("em")
    rng = np.random.default_rng(11)
    errors, covered = [], 0
    trials = 60
    for i in range(trials):
        a = [0.05, 0.2, 0.5][i % 3]
        k = int(a * 600)
        e = est.estimate(np.concatenate([_human(rng, 600 - k), _machine(rng, k)]))
        errors.append(abs(e.estimate - a))
        covered += e.low <= a <= e.high
    assert np.mean(errors) < 0.03
    assert covered / trials >= 0.9


def test_em_beats_classify_and_count_when_the_detector_errs():
    rng = np.random.default_rng(3)
    mixture = np.concatenate([_human(rng, 800), _machine(rng, 200)])  # a = 0.2
    em, cc = _estimator("em").estimate(mixture), _estimator("cc").estimate(mixture)
    assert abs(em.estimate - 0.2) < abs(cc.estimate - 0.2)


def test_small_references_widen_the_interval():
    rng = np.random.default_rng(8)
    mixture = np.concatenate([_human(rng, 700), _machine(rng, 300)])
    wide = FractionEstimator(Reference(_human(rng, 40), "h"), Reference(_machine(rng, 40), "m"), 0.5).estimate(mixture)
    narrow = _estimator().estimate(mixture)
    assert (wide.high - wide.low) > (narrow.high - narrow.low)


def test_seeded_and_validated():
    est = _estimator()
    scores = np.random.default_rng(1).random(300)
    assert est.estimate(scores) == est.estimate(scores)
    assert est.estimate(np.zeros(0)).to_dict()["documents"] == 0
    with pytest.raises(ValueError, match="method must be one of"):
        _estimator("median")
    with pytest.raises(ValueError, match="at least 2 documents"):
        FractionEstimator(Reference(np.array([0.1]), "h"), Reference(np.array([0.9, 0.8]), "m"), 0.5)


def test_known_synthetic_documents_count_as_machine():
    base = _estimator().estimate(np.full(100, 1e-4))
    folded = with_known(base, known=25, total=125)
    assert folded.estimate == pytest.approx(0.2) and folded.low == pytest.approx(0.2)
    assert folded.high == pytest.approx((25 + base.high * 100) / 125)


def test_acc_counts_at_the_threshold_separating_the_references_best():
    from auditor.estimate.fraction import _max_separation

    human = np.array([0.1, 0.2, 0.3, 0.6])
    machine = np.array([0.5, 0.7, 0.8, 0.9])
    # At 0.7: tpr 3/4, fpr 0 (J = 0.75); at 0.5: tpr 1, fpr 1/4 (J = 0.75, lower threshold wins the tie).
    assert _max_separation(human, machine) == (0.5, 0.75)
    est = FractionEstimator(Reference(human, "h"), Reference(machine, "m"), threshold=0.99, method="acc", bootstrap=50)
    assert est.references()["count_threshold"] == 0.5
    assert est.estimate(np.array([0.1, 0.2, 0.7, 0.8])).estimate == pytest.approx((0.5 - 0.25) / (1 - 0.25))


DATA = POOL / "outfox-valid.jsonl.gz"


@pytest.mark.skipif(not DATA.is_file(), reason="the labelled pool ($AUDITOR_POOL) is absent")
def test_mixtures_of_real_essays_with_in_domain_references():
    # Real documents scored by the shipped model; essays were in its training data, so this
    # checks the estimator's plumbing on real score shapes, not held-out accuracy (that is
    # benchmarks/eval_estimate.py's job).
    from auditor.detector.scorer import load_detector
    from auditor.detector.training import TrainOptions, extract_features

    detector = load_detector()
    data = extract_features([str(DATA)], TrainOptions(report_fields=("generator",)), detector.table)
    scores = detector.probability(data.X, data.words)
    chat = np.isin(data.fields["generator"], ["gpt-3.5-turbo-0613", "text-davinci-003"])
    human, machine = scores[data.y == 0], scores[chat]
    rng = np.random.default_rng(0)
    errors, covered = [], 0
    for trial in range(30):
        a = (0.0, 0.2, 0.5)[trial % 3]
        h, m = rng.permutation(human), rng.permutation(machine)
        estimator = FractionEstimator(Reference(h[:100], "h"), Reference(m[:100], "m"), detector.threshold, bootstrap=300, seed=trial)
        k = int(a * 300)
        e = estimator.estimate(np.concatenate([rng.choice(h[100:], 300 - k), rng.choice(m[100:], k)]))
        assert 0.0 <= e.low <= e.estimate <= e.high <= 1.0
        errors.append(abs(e.estimate - a))
        covered += e.low <= a <= e.high
    assert np.mean(errors) < 0.06
    assert covered >= 24  # >= 80% of 30 (the interval ignores nothing here but reference noise)


def test_machine_reference_follows_the_domain_shift_of_human_scores():
    from auditor.estimate.fraction import shifted_machine_reference

    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    model_human, machine = sig(np.array([-3.0, -2.0, -1.0])), Reference(sig(np.array([0.0, 1.0, 2.0])), "model")
    moved = shifted_machine_reference(machine, model_human, sig(np.array([-1.5, -0.5, 0.5])))
    assert np.log(moved.scores / (1 - moved.scores)) == pytest.approx([1.5, 2.5, 3.5])
    assert "shifted by +1.50" in moved.origin


def test_extremely_human_scores_never_count_as_machine_evidence():
    rng = np.random.default_rng(4)
    # A machine reference with an odd low tail: a few machine texts scoring extremely human.
    machine = np.concatenate([_machine(rng, 2000), np.full(40, 1e-9)])
    est = FractionEstimator(Reference(_human(rng, 2000), "h"), Reference(machine, "m"), 0.5)
    assert est.estimate(np.full(50, 1e-12)).estimate == 0.0


def test_references_that_do_not_separate_are_refused():
    same = np.random.default_rng(2).random(300)
    with pytest.raises(ValueError, match="do not separate"):
        FractionEstimator(Reference(same, "h"), Reference(same.copy(), "m"), 0.5)


def test_a_handful_of_documents_gets_the_whole_unit_interval():
    e = _estimator().estimate(np.full(5, 1 - 1e-4))
    assert e.estimate == 1.0 and (e.low, e.high) == (0.0, 1.0)
