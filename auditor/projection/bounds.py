"""How much synthetic data a corpus can take: the final excess of one projection, and the largest safe fraction.

A bisection needs only the last generation's excess, many times: these run the mean-field
path of :mod:`auditor.projection.collapse` on the distinct probabilities of the corpus with
their multiplicities, which is the same sum in another order and a hundred times faster on a
real vocabulary.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from auditor.projection.collapse import (
    ProjectionOptions,
    bias_logs,
    kappas,
    kl_entropy,
    log_probabilities,
    ppl_ratio,
    resolvable_share,
)


def _grouped(p0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct probabilities of ``p0`` (sorted, most probable first) and how many types share each.

    Types of equal probability stay equal under every map the mean-field path applies
    (mixing with p0, sharpening, renormalizing), so the path can run on the distinct values
    with their multiplicities: a corpus's counts have a few thousand distinct values for
    hundreds of thousands of types (half of them seen once).
    """
    starts = np.flatnonzero(np.r_[True, p0[1:] != p0[:-1]])
    return p0[starts], np.diff(np.r_[starts, len(p0)]).astype(np.float64)


def final_excess(p0: np.ndarray, options: ProjectionOptions, regime: str) -> float:
    """``synthetic_excess`` after G generations, without the other columns (what bisections need).

    Computed on the distinct probabilities with their multiplicities (:func:`_grouped`; the same
    sums, in another order), except under truncation, which cuts by rank inside a group of equals.
    """
    m_tokens = float(options.tokens_per_generation)
    values, weights = (p0, None) if options.truncate_rank is not None else _grouped(p0)
    # Only the last generation's distribution is needed: one exp instead of one per generation.
    path = bias_logs(regime, options.synthetic_fraction, values, options.sharpening, options.truncate_rank, options.generations, weights)
    logm = logp0 = next(path)
    for logm in path:
        pass
    m = values if logm is logp0 else np.exp(logm)  # unchanged: p0 itself, as _bias_path gives it
    mass = values if weights is None else values * weights  # each distinct value's share of the corpus
    resolvable = resolvable_share(p0, m_tokens)
    kappa = kappas(regime, options.synthetic_fraction, m_tokens, options.generations)[-1]
    baseline = kappas(regime, 0.0, m_tokens, options.generations)[-1]
    kl, _, truncated = kl_entropy(mass, log_probabilities(values), m if weights is None else m * weights, logm)
    return ppl_ratio(kl, truncated, kappa * resolvable) / ppl_ratio(0.0, 0.0, baseline * resolvable)


def max_synthetic_fraction(p0: np.ndarray, options: ProjectionOptions, max_drift: float, regime: str) -> float:
    """Largest lambda whose ``synthetic_excess`` after G generations stays <= 1 + ``max_drift`` (bisection, to 6e-5).

    Stated on the excess over the no-synthetic baseline, so it is never empty: at
    lambda = 0 the excess is exactly 1 (however far finite-data refits drift alone,
    which the baseline columns report). The proxy rises with lambda in every
    regime while the baseline does not depend on it, which the bisection relies on.
    """
    if not max_drift > 0:
        raise ValueError(f"max drift must be positive, got {max_drift}")
    limit = 1.0 + max_drift

    def excess(lam: float) -> float:
        return final_excess(p0, replace(options, synthetic_fraction=lam), regime)

    if excess(1.0) <= limit:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(14):  # precision 6e-5, finer than any fraction estimate
        mid = (low + high) / 2
        low, high = (mid, high) if excess(mid) <= limit else (low, mid)
    return low


def generations_until(rows: list[dict[str, float]], max_drift: float) -> int | None:
    """First generation whose ``synthetic_excess`` exceeds 1 + ``max_drift``, or None."""
    for row in rows:
        if row["synthetic_excess"] > 1.0 + max_drift:
            return int(row["generation"])
    return None
