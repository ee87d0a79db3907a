"""The projection on distinct probabilities with multiplicities (collapse.grouped) against the type-by-type path.

Truncation keeps the type-by-type path (it cuts by rank, inside a group of equals), and a
truncation at the last rank cuts nothing: ``truncate_rank=len(p0)`` is the type-by-type reference
of the same quantities, summed in another order.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from auditor.projection.bounds import final_excess
from auditor.projection.collapse import REGIMES, ProjectionOptions, distribution, grouped, project_distribution, zipf_distribution

FRACTIONS = (0.0, 0.05, 0.5, 1.0)
TOKENS = (1e3, 1e6)  # most of the vocabulary lost / resolved
# Columns that do not depend on truncation (the sampling part, and the baseline: lambda = 0 has no decoding)
SAMPLING = ("chi2", "gini_simpson", "vocab_lost", "vocab_lost_added", "tail_mass_lost", "tail_mass_lost_added", "baseline_ppl_ratio")


def counts_like() -> np.ndarray:
    """Counts drawn from a Zipf law: most types seen once or twice, so probabilities tie massively."""
    p0 = distribution(np.bincount(np.random.default_rng(7).zipf(1.3, 200_000) % 50_000)[1:])
    assert len(np.unique(p0)) < len(p0) / 10
    return p0


DISTRIBUTIONS = {"zipf": lambda: zipf_distribution(1.1, 5000), "counts": counts_like}


def scale(row: dict[str, float], column: str, entropy0: float) -> float:
    """The size of the sums a column comes from, which their rounding (in any order) is relative to.

    A difference of near-equal sums (a figure minus its baseline; KL, cross-entropy minus entropy;
    an entropy change) carries their absolute rounding: ``vocab_lost_added`` of 1.2 types out of
    374,000 lost differs between two summation orders by ~1e-10 of itself, as it differs from an exact sum.
    """
    if column.endswith("_added"):
        figure = column.removesuffix("_added")
        return max(abs(row[figure]), abs(row[figure] - row[column]))
    if column in ("kl", "entropy_change_bits"):
        return entropy0 + abs(row[column])
    return abs(row[column])


def assert_rows_equal(got: list[dict[str, float]], want: list[dict[str, float]], entropy0: float, columns=None) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want):
        for column in columns or b:
            assert a[column] == pytest.approx(b[column], rel=1e-12, abs=1e-12 * scale(b, column, entropy0)), (b["generation"], column)


def test_grouped_values_and_weights():
    p0 = np.array([0.4, 0.2, 0.2, 0.1, 0.05, 0.05])
    values, weights = grouped(p0)
    assert values.tolist() == [0.4, 0.2, 0.1, 0.05] and weights is not None and weights.tolist() == [1, 2, 1, 2]
    assert grouped(p0, truncate_rank=3)[0] is p0 and grouped(p0, truncate_rank=3)[1] is None


@pytest.mark.parametrize("name", DISTRIBUTIONS)
@pytest.mark.parametrize("regime", REGIMES)
def test_the_projection_on_distinct_probabilities_equals_the_type_by_type_one(regime, name):
    p0 = DISTRIBUTIONS[name]()
    for lam in FRACTIONS:
        for tokens in TOKENS:
            options = ProjectionOptions(lam, tokens, 8, (regime,), 0.9)
            fast = project_distribution(p0, options)
            by_type = project_distribution(p0, dataclasses.replace(options, truncate_rank=len(p0)))
            assert (fast.inputs["truncate_rank"], by_type.inputs["truncate_rank"]) == (None, len(p0))
            others = sorted(set(fast.inputs) - {"truncate_rank"})
            # pytest.approx compares numbers only (newer pytest refuses a None inside it)
            assert [fast.inputs[k] for k in others] == pytest.approx([by_type.inputs[k] for k in others], rel=1e-12)
            assert_rows_equal(fast.regimes[regime], by_type.regimes[regime], fast.inputs["entropy_0"])
            # the bisection's excess is the projection's last one, on the same values
            assert final_excess(p0, options, regime) == pytest.approx(fast.final(regime)["synthetic_excess"], rel=1e-12)


@pytest.mark.parametrize("name", DISTRIBUTIONS)
@pytest.mark.parametrize("regime", REGIMES)
def test_truncated_projections_agree_with_the_grouped_path_where_truncation_cannot_matter(regime, name):
    # Truncation runs type by type, cutting inside groups of equal probability; its sampling part,
    # its baseline, its generation 0 and all of it at lambda = 0 are the grouped path's without truncation.
    p0 = DISTRIBUTIONS[name]()
    ranks = [int(np.searchsorted(-p0, -p0[-1])) + 7, len(p0) // 3]  # inside the last (seen-once) group, and a third of the way
    for lam in FRACTIONS:
        for tokens in TOKENS:
            options = ProjectionOptions(lam, tokens, 8, (regime,), 0.9)
            fast = project_distribution(p0, options)
            entropy0 = fast.inputs["entropy_0"]
            for rank in ranks:
                truncated = project_distribution(p0, dataclasses.replace(options, truncate_rank=rank))
                assert_rows_equal(truncated.regimes[regime], fast.regimes[regime], entropy0, None if lam == 0 else SAMPLING)
                assert_rows_equal(truncated.regimes[regime][:1], fast.regimes[regime][:1], entropy0)


@pytest.mark.parametrize("regime", REGIMES)
def test_the_final_excess_on_distinct_probabilities_equals_the_type_by_type_one(regime):
    p0 = counts_like()
    for lam in (0.0, 0.05, 0.3, 0.9, 1.0):
        options = ProjectionOptions(lam, 1e5, 8, (regime,), 0.9)
        grouped_excess = final_excess(p0, options, regime)
        by_type = final_excess(p0, dataclasses.replace(options, truncate_rank=len(p0)), regime)
        assert grouped_excess == pytest.approx(by_type, rel=1e-12), lam
