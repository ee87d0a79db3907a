"""How much synthetic data a corpus can take: the final excess of one projection, and the largest safe fraction.

A bisection needs only the last generation's excess, many times: these run the mean-field
path of :mod:`auditor.projection.collapse` as its projection does, on the distinct probabilities
of the corpus with their multiplicities (:func:`~auditor.projection.collapse.grouped`), but
without the other columns and with one exp instead of one per generation.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from auditor.projection.collapse import (
    ProjectionOptions,
    bias_logs,
    grouped,
    kappas,
    kl_entropy,
    log_probabilities,
    ppl_ratio,
    resolvable_share,
)


def final_excess(p0: np.ndarray, options: ProjectionOptions, regime: str) -> float:
    """``synthetic_excess`` after G generations, without the other columns (what bisections need).

    The same sums as :func:`~auditor.projection.collapse.project_distribution`'s last row, on the same
    values (:func:`~auditor.projection.collapse.grouped`: type by type only under truncation).
    """
    m_tokens = float(options.tokens_per_generation)
    values, weights = grouped(p0, options.truncate_rank)
    # Only the last generation's distribution is needed: one exp instead of one per generation.
    path = bias_logs(regime, options.synthetic_fraction, values, options.sharpening, options.truncate_rank, options.generations, weights)
    logm = logp0 = next(path)
    for logm in path:
        pass
    m = values if logm is logp0 else np.exp(logm)  # unchanged: p0 itself, as _bias_path gives it
    resolvable = resolvable_share(values, m_tokens, weights)
    kappa = kappas(regime, options.synthetic_fraction, m_tokens, options.generations)[-1]
    baseline = kappas(regime, 0.0, m_tokens, options.generations)[-1]
    kl, _, truncated = kl_entropy(values, log_probabilities(values), m, logm, weights)
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
