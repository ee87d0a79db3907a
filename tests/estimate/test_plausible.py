"""Intervals over plausible references (auditor.estimate.plausible): they hold the truth when the domain shifts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.estimate.fraction import Reference
from auditor.estimate.plausible import ASSUMPTIONS, plausible_estimator


def _scores(rng: np.random.Generator, centre: float, n: int) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-rng.normal(centre, 1.0, n)))


def _families(rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Three validation families whose machine scores do not move with their human scores (as measured across families)."""
    return {name: (_scores(rng, h, 600), _scores(rng, m, 300)) for name, h, m in (("a", -2.5, 1.0), ("b", -1.5, 0.5), ("c", -0.5, 1.5))}


def _pooled(families: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[Reference, Reference]:
    return (Reference(np.concatenate([h for h, _ in families.values()]), "validation"),
            Reference(np.concatenate([m for _, m in families.values()]), "validation"))


def _validation(seed: int) -> tuple[np.random.Generator, dict[str, tuple[np.ndarray, np.ndarray]], Reference, Reference]:
    """A generator, the three families, and their pooled human and machine references."""
    rng = np.random.default_rng(seed)
    families = _families(rng)
    return (rng, families, *_pooled(families))


def _coverage(human_centre: float, machine_centre: float, seed: int, trials: int = 4) -> tuple[int, int, int]:
    """(plausible covered, single-pair covered, mixtures) with a 100-document human reference of the domain."""
    rng = np.random.default_rng(seed)
    families = _families(rng)
    validation_human, validation_machine = _pooled(families)
    human = Reference(_scores(rng, human_centre, 100), "in-domain")
    estimator = plausible_estimator(human, None, validation_human, validation_machine, families, 0.95)
    single = plausible_estimator(human, None, validation_human, validation_machine, {}, 0.95)
    covered = single_covered = mixtures = 0
    for a in (0.05, 0.2, 0.5):
        for _ in range(trials):
            k = int(a * 300)
            mixture = np.concatenate([_scores(rng, human_centre, 300 - k), _scores(rng, machine_centre, k)])
            e, s = estimator.estimate(mixture), single.estimate(mixture)
            assert 0.0 <= e.low <= e.estimate <= e.high <= 1.0
            covered += e.low <= k / 300 <= e.high
            single_covered += s.low <= k / 300 <= s.high
            mixtures += 1
    return covered, single_covered, mixtures


@settings(max_examples=10, deadline=None)
@given(human_centre=st.floats(-3.0, -0.5), machine_centre=st.floats(0.5, 1.5), seed=st.integers(0, 2**16))
def test_with_a_human_reference_the_interval_holds_the_truth_under_shifts_of_the_human_distribution(human_centre, machine_centre, seed):
    # The domain's humans sit anywhere in the families' range; its machine texts score like some family's.
    covered, _, mixtures = _coverage(human_centre, machine_centre, seed)
    assert covered >= 0.75 * mixtures


def test_the_single_shifted_pair_misses_where_the_plausible_pairs_hold():
    cases = [(h, m, seed) for seed, (h, m) in enumerate([(-3.0, 1.5), (-2.8, 0.5), (-0.5, 0.5), (-0.7, 1.5), (-2.0, 0.6)])]
    totals = np.sum([_coverage(h, m, seed) for h, m, seed in cases], axis=0)
    plausible, single, mixtures = (int(x) for x in totals)
    assert plausible >= 0.9 * mixtures and single < plausible, (plausible, single, mixtures)


def test_each_setting_names_its_assumption_and_uses_the_families_it_needs():
    rng, families, vh, vm = _validation(0)
    human, machine = Reference(_scores(rng, -1.0, 100), "h"), Reference(_scores(rng, 1.5, 100), "m")
    both = plausible_estimator(human, machine, vh, vm, families, 0.95)
    assert both.setting == "both" and both.alternatives == () and both.references()["assumption"] == ASSUMPTIONS["both"]
    only_human = plausible_estimator(human, None, vh, vm, families, 0.95)
    # Each family's machine scores as they are (they make the point) and moved to this domain's humans.
    assert only_human.setting == "human" and len(only_human.alternatives) == 6 and len(only_human.point_from) == 3
    only_machine = plausible_estimator(None, machine, vh, vm, families, 0.95)
    assert only_machine.setting == "machine" and len(only_machine.alternatives) == 3
    none = plausible_estimator(None, None, vh, vm, families, 0.95, allowance=0.2)
    assert none.setting == "none" and none.allowance == 0.2 and none.references()["cross_domain_allowance"] == 0.2
    assert plausible_estimator(human, None, vh, vm, families, 0.95, allowance=0.2).allowance == 0.0  # a reference replaces it


def test_without_a_reference_the_allowance_widens_the_union_and_small_families_are_left_out():
    rng = np.random.default_rng(1)
    families = {**_families(rng), "tiny": (_scores(rng, 0.0, 10), _scores(rng, 2.0, 10))}
    vh, vm = _pooled(families)
    mixture = np.concatenate([_scores(rng, -1.5, 270), _scores(rng, 1.0, 30)])
    plain = plausible_estimator(None, None, vh, vm, families, 0.95)
    wide = plausible_estimator(None, None, vh, vm, families, 0.95, allowance=0.1)
    assert len(plain.alternatives) == 3  # "tiny" has fewer than 20 documents of a class
    a, b = plain.estimate(mixture), wide.estimate(mixture)
    assert b.estimate == a.estimate and b.low == pytest.approx(max(0.0, a.low - 0.1)) and b.high == pytest.approx(min(1.0, a.high + 0.1))
    each = [alternative.estimate(mixture) for alternative in plain.alternatives]
    assert a.low == min(e.low for e in each) and a.high == max(e.high for e in each)


def test_a_model_without_group_scores_keeps_the_single_pair_and_another_method_keeps_the_references():
    rng, families, vh, vm = _validation(2)
    human = Reference(_scores(rng, -1.0, 100), "h")
    single = plausible_estimator(human, None, vh, vm, {}, 0.95)
    assert single.alternatives == () and "shifted by" in single.machine.origin
    cc = plausible_estimator(human, None, vh, vm, families, 0.95).with_method("cc")
    assert cc.method == "cc" and all(a.method == "cc" for a in cc.alternatives) and cc.setting == "human"


def test_posteriors_follow_the_corpus_estimate():
    rng, families, vh, vm = _validation(3)
    human, machine = Reference(_scores(rng, -1.5, 400), "h"), Reference(_scores(rng, 1.0, 400), "m")
    estimator = plausible_estimator(human, machine, vh, vm, families, 0.95)
    corpus = np.concatenate([_scores(rng, -1.5, 700), _scores(rng, 1.0, 300)])
    fraction = estimator.estimate_point(corpus)
    posterior = estimator.posterior(corpus, fraction)
    assert ((posterior >= 0) & (posterior <= 1)).all()
    assert posterior.sum() == pytest.approx(fraction * len(corpus), rel=1e-3)  # em's fixed point: they sum to its count
    order = np.argsort(corpus)
    assert (np.diff(posterior[order]) >= -1e-12).all()  # a higher score is never weaker evidence
    assert (estimator.posterior(corpus, 0.0) == 0).all() and (estimator.posterior(corpus, 1.0) == 1).all()
    assert posterior[700:].mean() > 0.6 > 0.2 > posterior[:700].mean()
