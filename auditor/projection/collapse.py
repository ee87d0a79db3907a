"""Collapse projection: how far a model trained on this corpus, and retrained on data like it, drifts.

The model works on a unigram token distribution ``p0`` (V types). ``synthetic_fraction``
(lambda) is the share of every generation's new training data that a model
wrote; the regime says what the rest is:

- ``replace``: the rest is the previous generation's data, resampled: nothing real
  is ever added (at lambda = 1, Shumailov et al.'s "no data kept");
- ``mix``: the rest is fresh real text (lambda = 0.9 is their "10% kept");
- ``accumulate``: nothing is thrown away; generation 1 trains on real text, and
  each later generation adds M tokens, lambda of them generated and the rest
  fresh real text (Gerstgrasser et al.; the pool's mean ``(p0 + sum_j T(m_j)) / (g + 1)``).

Generation 0 is ``p0`` itself; generation g is the model after g rounds. The
corpus's lambda is assumed to hold for every generation.
Two parts, always reported separately:

1. **Sampling error** (exact for multinomial maximum-likelihood refits). Every
   regime keeps ``Var(p_g,i) = kappa_g p_i (1 - p_i)`` with a scalar ``kappa_g``
   (replace: ``kappa_g = kappa_{g-1} + (1 - kappa_{g-1}) / M``, so
   ``chi2 = (V-1)(1-(1-1/M)^g)``; mix: ``kappa_g = lambda^2 kappa_{g-1} + (1 - lambda kappa_{g-1}) / M``,
   ~ ``(1 - lambda^(2g)) / (1 - lambda^2) / M``; accumulate:
   ``kappa_g = ((g-1+lambda)/g)^2 kappa_{g-1} + (1 - lambda kappa_{g-1}) / (M g^2)``, ->
   ``pi^2/6 / M`` at lambda = 1). Hence ``chi2_g = kappa_g (V - 1)`` and Gini-Simpson
   ``D_g = D_0 (1 - kappa_g)``. A type of probability p is lost by generation g with
   probability ``exp(-M p c_g)`` (Poisson / Galton-Watson; ``c_g`` per regime below),
   giving the expected vocabulary and probability mass lost.
2. **Decoding bias**: generated text is ``T(m) ~ m^(1/tau)`` (optionally truncated
   at rank k), iterated per regime on the model distribution ``m_g``: replace
   ``m_g = (1 - lambda) m_{g-1} + lambda T(m_{g-1})``, mix ``(1 - lambda) p0 + lambda T(m_{g-1})``,
   accumulate the pool's mean; reported as KL(p0 || m_g) (over the types
   truncation keeps; the cut mass is reported separately) and the entropy of ``m_g``.

``ppl_ratio = exp(KL + chi2'/2)`` (chi2' over types with ``M p >= 1``, where
``chi2/2`` approximates the expected KL; saturated at 1e300 once truncation has
cut real words entirely) is a *unigram proxy* for the perplexity ratio to
generation 0, not a prediction for a particular language model.

Refitting on finite data drifts even without synthetic data, so every row is
also stated against the **no-synthetic baseline** (lambda = 0, same regime, same
M): ``synthetic_excess = ppl_ratio / baseline_ppl_ratio`` (1.0: synthetic data
adds nothing) and the plain figures' ``*_added`` columns (value minus baseline).
The plain figures: ``tail_mass_lost`` (share of human word occurrences whose
words the model can no longer produce), ``vocab_lost``, ``entropy_change_bits``
(bias part plus the sampling part's expected plug-in loss ``chi2'/2`` nats, the
Miller-Madow term) and ``effective_vocab = exp(H)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

REGIMES = ("replace", "mix", "accumulate")
# Calibrated (tests/projection/test_projection.py) so that replace at lambda = 1 on a Zipf(1.1) vocabulary of
# 50,000 types reproduces Shumailov et al.'s OPT-125m result, perplexity 34 -> 54-62 by generation 9.
DEFAULT_SHARPENING = 0.97
DEFAULT_GENERATIONS = 10
_MAX_LOG_RATIO = math.log(1e300)
_LOG_FLOOR = -1e250  # log-probability floor of a type that is vanishingly rare but not truncated


@dataclass(frozen=True)
class ProjectionOptions:
    """Settings of a projection.

    Attributes:
        synthetic_fraction: lambda, share of each generation's new data written by a model.
        tokens_per_generation: M, training tokens per generation.
        generations: G.
        regimes: a subset of :data:`REGIMES`.
        sharpening: tau of the decoding map ``T(p) ~ p^(1/tau)`` (< 1 sharpens).
        truncate_rank: keep only the k most probable types in generated text (None: no truncation).
    """

    synthetic_fraction: float
    tokens_per_generation: float
    generations: int = DEFAULT_GENERATIONS
    regimes: tuple[str, ...] = REGIMES
    sharpening: float = DEFAULT_SHARPENING
    truncate_rank: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.synthetic_fraction <= 1.0:
            raise ValueError(f"synthetic fraction must be in [0, 1], got {self.synthetic_fraction}")
        if not self.tokens_per_generation >= 1:
            raise ValueError(f"tokens per generation must be at least 1, got {self.tokens_per_generation}")
        if not 1 <= self.generations <= 10_000:
            raise ValueError(f"generations must be between 1 and 10000, got {self.generations}")
        unknown = [r for r in self.regimes if r not in REGIMES]
        if unknown or not self.regimes:
            raise ValueError(f"regimes must be among {', '.join(REGIMES)}, got {', '.join(self.regimes) or 'none'}")
        if not (math.isfinite(self.sharpening) and 0.05 <= self.sharpening <= 20):
            raise ValueError(f"sharpening tau must be in [0.05, 20], got {self.sharpening}")
        if self.truncate_rank is not None and self.truncate_rank < 1:
            raise ValueError(f"truncate rank must be at least 1, got {self.truncate_rank}")


@dataclass(frozen=True)
class Projection:
    """Result: the inputs and, per regime, one row per generation 0..G (plain numbers)."""

    inputs: dict[str, object]
    regimes: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def frame(self):  # -> pandas.DataFrame (imported lazily: pandas is slow to import)
        import pandas as pd

        return pd.DataFrame([{"regime": regime, **row} for regime, rows in self.regimes.items() for row in rows])

    def final(self, regime: str) -> dict[str, float]:
        return self.regimes[regime][-1]


def zipf_distribution(exponent: float, vocab_size: int) -> np.ndarray:
    """``p_i ~ i^-exponent`` for ranks 1..V."""
    if not exponent > 0 or vocab_size < 1:
        raise ValueError(f"a Zipf distribution needs exponent > 0 and vocab size >= 1, got {exponent} and {vocab_size}")
    weights = np.arange(1, vocab_size + 1, dtype=np.float64) ** -float(exponent)
    return weights / weights.sum()


def distribution(counts: Sequence[float] | np.ndarray) -> np.ndarray:
    """Probabilities from counts (or weights), zero types dropped, sorted most probable first."""
    values = np.asarray(counts, dtype=np.float64).reshape(-1)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("token counts must be finite and non-negative")
    values = values[values > 0]
    if len(values) == 0:
        raise ValueError("the token distribution is empty: the corpus has no words to project from")
    return np.sort(values)[::-1] / values.sum()


def grouped(p0: np.ndarray, truncate_rank: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """What the projection sums over: the distinct probabilities of ``p0`` (sorted, most probable first) and
    how many types share each; under truncation ``p0`` itself, one entry per type (weights None).

    Types of equal probability stay equal under every map of the projection (mixing with p0, sharpening,
    renormalizing, the loss chance ``exp(-M p c_g)``), so every sum over types is the same sum over the
    distinct values weighted by their multiplicities, in another order: a real corpus has ~a thousand
    distinct counts for hundreds of thousands of types (half of them seen once). Truncation cuts by rank,
    inside a group of equals, so it keeps the type-by-type path.
    """
    if truncate_rank is not None:
        return p0, None
    starts = np.flatnonzero(np.r_[True, p0[1:] != p0[:-1]])
    return p0[starts], np.diff(np.r_[starts, len(p0)]).astype(np.float64)


def weighted_sum(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    """``sum(w * x)``: a sum over types from one entry per distinct value (``w`` = 1 without weights)."""
    return float(np.sum(x if weights is None else weights * x))


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """Dot product without BLAS: numpy's pairwise sum is single-threaded and its result does not
    depend on the machine's thread count (a threaded BLAS ``ddot`` oversubscribes a loaded machine
    and can change the last bits with the number of threads)."""
    return float(np.sum(np.multiply(a, b)))


def log_probabilities(p: np.ndarray) -> np.ndarray:
    out = np.full(len(p), -np.inf)
    np.log(p, out=out, where=p > 0)
    return out


def logsumexp(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    """``log sum(w * exp(x))`` (``w`` = 1 without weights)."""
    top = float(np.max(x))
    return top + math.log(weighted_sum(np.exp(x - top), weights))


def _sharpen_log(logp: np.ndarray, tau: float, truncate_rank: int | None, weights: np.ndarray | None = None) -> np.ndarray:
    # Clipped so repeated sharpening stays finite: -inf marks deliberately truncated types only.
    scaled = np.maximum(logp / tau, _LOG_FLOOR)
    if truncate_rank is not None:
        scaled[truncate_rank:] = -np.inf
    return scaled - logsumexp(scaled, weights)


def sharpen(p: np.ndarray, tau: float, truncate_rank: int | None = None) -> np.ndarray:
    """``T(p) ~ p^(1/tau)``, zero beyond rank ``truncate_rank`` (``p`` sorted most probable first)."""
    return np.exp(_sharpen_log(log_probabilities(np.asarray(p, dtype=np.float64)), tau, truncate_rank))


def kappas(regime: str, lam: float, m: float, generations: int) -> np.ndarray:
    """Variance factor ``kappa_g`` (``Var p_g,i = kappa_g p_i (1 - p_i)``), g = 0..G."""
    kappa = np.zeros(generations + 1)
    for g in range(1, generations + 1):
        k = kappa[g - 1]
        if regime == "replace":
            kappa[g] = k + (1 - k) / m
        elif regime == "mix":
            kappa[g] = lam**2 * k + (1 - lam * k) / m
        else:
            kappa[g] = ((g - 1 + lam) / g) ** 2 * k + (1 - lam * k) / (m * g * g)
    return kappa


def _loss_exponents(regime: str, lam: float, generations: int) -> np.ndarray:
    """``c_g``: a type of probability p is lost by generation g with probability ``exp(-M p c_g)``.

    replace / mix: every token has Poisson(lambda) descendants in the next
    generation's generated part (Poisson(1) under replace, where resampled data
    counts too); ``s_j`` is the chance a lineage dies within j generations. Fresh
    real tokens immigrate at rate (1 - lambda) M p (mix); under accumulate nothing
    present is ever lost, so only types missing from every real draw are.
    """
    c = np.full(generations + 1, np.inf)  # generation 0 (p0 itself) loses nothing
    rate = 1.0 if regime == "replace" else lam
    s = [0.0]
    for _ in range(generations):
        s.append(math.exp(rate * (s[-1] - 1.0)))
    survivors_so_far = 0.0  # sum of (1 - s_j) over j <= g - 2: lineages of later immigrants
    for g in range(1, generations + 1):
        if regime == "accumulate":
            c[g] = 1.0 + (1.0 - lam) * (g - 1)
        else:
            immigrants = 0.0 if regime == "replace" else (1.0 - lam) * survivors_so_far
            c[g] = (1.0 - s[g - 1]) + immigrants
            survivors_so_far += 1.0 - s[g - 1]
    return c


def _bias_path(regime: str, lam: float, p0: np.ndarray, tau: float, truncate_rank: int | None, generations: int,
               weights: np.ndarray | None):
    """Yield ``(m_g, log m_g)``, the model distribution under decoding bias, g = 0..G (mean-field)."""
    logp0 = None
    for logm in bias_logs(regime, lam, p0, tau, truncate_rank, generations, weights):
        logp0 = logm if logp0 is None else logp0
        # Unchanged (no synthetic data yet): p0 itself, so lambda = 0 reproduces the baseline bit for bit
        yield (p0 if logm is logp0 else np.exp(logm)), logm


def bias_logs(regime: str, lam: float, p0: np.ndarray, tau: float, truncate_rank: int | None, generations: int,
               weights: np.ndarray | None = None):
    """Yield ``log m_g``, g = 0..G (``log p0`` itself while nothing has changed); :func:`_bias_path` without the exps.

    Iterated in log space (``logaddexp``) so a collapsing model keeps exact, finite
    log-probabilities in its tail instead of underflowing to 0 (which would make
    its KL look small). Under accumulate the pool starts with the real data
    (generation 1 trains on it alone) and every later generation adds M tokens.
    ``p0`` and ``weights`` as :func:`grouped` gives them (only the renormalization sums over types).
    """
    logp0 = log_probabilities(p0)
    logm = logp0
    log_real = math.log(1.0 - lam) if lam < 1 else -math.inf
    log_generated_share = math.log(lam) if lam > 0 else -math.inf
    log_pool = logp0  # accumulate: the real data, then every generation's additions
    yield logm
    for g in range(1, generations + 1):
        if lam > 0 and not (regime == "accumulate" and g == 1):
            generated = log_generated_share + _sharpen_log(logm, tau, truncate_rank, weights)
            if regime == "replace":
                logm = np.logaddexp(log_real + logm, generated)
            elif regime == "mix":
                logm = np.logaddexp(log_real + logp0, generated)
            else:
                log_pool = np.logaddexp(log_pool, np.logaddexp(log_real + logp0, generated))
                logm = log_pool - math.log(g)
        yield logm


def kl_entropy(p0: np.ndarray, logp0: np.ndarray, m: np.ndarray, logm: np.ndarray,
               weights: np.ndarray | None = None) -> tuple[float, float, float]:
    """KL(p0 || m) over m's support (p0 renormalized there), Shannon entropy of m, p0 mass outside it.

    ``weights``: how many types each entry stands for (:func:`grouped`; None: one each).
    """
    mass, share = (p0, m) if weights is None else (weights * p0, weights * m)  # each entry's share of p0 and of m
    support = np.isfinite(logm)  # not m > 0: exact logs survive where m underflows
    if support.all():
        return max(dot(mass, logp0 - logm), 0.0), -dot(share, logm), 0.0
    outside = float(mass[~support].sum())
    scale = 1.0 - outside if outside < 1 else 1.0
    p, logq = p0[support] / scale, logm[support]
    kl = dot(mass[support] / scale, np.log(p, where=p > 0, out=np.zeros(len(p))) - logq)
    return max(kl, 0.0), -dot(share[support], logq), outside


def ppl_ratio(kl: float, truncated: float, sampling_chi2: float) -> float:
    """``exp(KL + chi2 / 2)``, saturating at 1e300 (JSON has no infinity).

    A model that can no longer emit some real words (``truncated`` > 0: only under
    replace at lambda = 1 with truncation) has unbounded perplexity on real text,
    the limit of lambda -> 1, so it saturates too.
    """
    if truncated > 0:
        return math.exp(_MAX_LOG_RATIO)
    return math.exp(min(kl + sampling_chi2 / 2.0, _MAX_LOG_RATIO))


def resolvable_share(p0: np.ndarray, m_tokens: float, weights: np.ndarray | None = None) -> float:
    """``chi2 / kappa`` over the types a sample of M tokens can resolve (``M p >= 1``): the KL approximation
    ``chi2 / 2`` and the plug-in entropy loss break down for rarer types. ``p0``, ``weights``: :func:`grouped`."""
    resolved = p0 * m_tokens >= 1.0
    return weighted_sum(1.0 - p0[resolved], None if weights is None else weights[resolved])


def _sampling_figures(regime: str, lam: float, p0: np.ndarray, weights: np.ndarray | None, m_tokens: float, generations: int):
    """Per generation: ``kappa_g``, the expected types and p0 mass lost, and the sampling part's entropy loss (nats)."""
    per_generation = kappas(regime, lam, m_tokens, generations)
    exponents = _loss_exponents(regime, lam, generations)
    mp, mass = m_tokens * p0, p0 if weights is None else weights * p0
    lost = [np.exp(-mp * c) for c in exponents[1:]]  # each type's chance; generation 0 (p0 itself) loses none
    words, lost_mass = [0.0] + [weighted_sum(chance, weights) for chance in lost], [0.0] + [dot(chance, mass) for chance in lost]
    return per_generation, words, lost_mass, (per_generation * resolvable_share(p0, m_tokens, weights) / 2.0).tolist()


def _rows(regime: str, p0: np.ndarray, logp0: np.ndarray, weights: np.ndarray | None, options: ProjectionOptions,
          vocab: int, entropy0: float, gini0: float) -> list[dict[str, float]]:
    """One regime's rows, each against its no-synthetic baseline (lambda = 0, same regime and M); ``p0``, ``weights``:
    :func:`grouped` (every column is a sum over types), ``vocab``, ``entropy0``, ``gini0``: generation 0's."""
    lam, m_tokens, generations = options.synthetic_fraction, float(options.tokens_per_generation), options.generations
    kappas, lost, lost_mass, entropy_loss = _sampling_figures(regime, lam, p0, weights, m_tokens, generations)
    # At lambda = 0 the bias path is p0 itself (KL 0, entropy H0): only the sampling part remains.
    base_kappas, base_lost, base_lost_mass, base_entropy_loss = _sampling_figures(regime, 0.0, p0, weights, m_tokens, generations)
    rows = []
    for g, (m, logm) in enumerate(_bias_path(regime, lam, p0, options.sharpening, options.truncate_rank, generations, weights)):
        kl, entropy, truncated = kl_entropy(p0, logp0, m, logm, weights)
        ppl = ppl_ratio(kl, truncated, 2.0 * entropy_loss[g])
        baseline = ppl_ratio(0.0, 0.0, 2.0 * base_entropy_loss[g])
        entropy_bits = (entropy - entropy0 - entropy_loss[g]) / math.log(2)
        base_entropy_bits = -base_entropy_loss[g] / math.log(2)
        words, base_words, mass, base_mass = lost[g], base_lost[g], lost_mass[g], base_lost_mass[g]
        effective = math.exp(entropy - entropy_loss[g])
        rows.append({
            "generation": g,
            "synthetic_excess": ppl / baseline,
            "tail_mass_lost": mass,
            "tail_mass_lost_added": mass - base_mass,
            "vocab_lost": words,
            "vocab_lost_added": words - base_words,
            "entropy_change_bits": entropy_bits,
            "entropy_change_bits_added": entropy_bits - base_entropy_bits,
            "effective_vocab": effective,
            "effective_vocab_added": effective - math.exp(entropy0 - base_entropy_loss[g]),
            "ppl_ratio": ppl,
            "baseline_ppl_ratio": baseline,
            "chi2": float(kappas[g] * (vocab - 1)),
            "kl": kl,
            "gini_simpson": float(gini0 * (1.0 - kappas[g])),
            "entropy": entropy,
            "truncated_mass": truncated,
        })
    return rows


def project_distribution(p0: np.ndarray, options: ProjectionOptions) -> Projection:
    """Project from a probability vector sorted most probable first (see :func:`distribution`).

    Runs on the distinct probabilities with their multiplicities (:func:`grouped`), except under truncation.
    """
    p0 = np.asarray(p0, dtype=np.float64)
    values, weights = grouped(p0, options.truncate_rank)
    logp0, mass = log_probabilities(values), values if weights is None else weights * values
    entropy0, gini0 = -dot(mass, logp0), 1.0 - dot(mass, values)
    regimes = {regime: _rows(regime, values, logp0, weights, options, len(p0), entropy0, gini0) for regime in options.regimes}
    inputs: dict[str, object] = {
        "synthetic_fraction": options.synthetic_fraction,
        "tokens_per_generation": float(options.tokens_per_generation),
        "generations": options.generations,
        "vocab_size": len(p0),
        "gini_simpson_0": gini0,
        "entropy_0": entropy0,
        "effective_vocab_0": math.exp(entropy0),
        "sharpening": options.sharpening,
        "truncate_rank": options.truncate_rank,
    }
    return Projection(inputs, regimes)


def project(
    counts: Sequence[float] | np.ndarray,
    synthetic_fraction: float,
    tokens_per_generation: float | None = None,
    generations: int = DEFAULT_GENERATIONS,
    regimes: Sequence[str] = REGIMES,
    sharpening: float = DEFAULT_SHARPENING,
    truncate_rank: int | None = None,
) -> Projection:
    """Project collapse drift from token counts (or probabilities with ``tokens_per_generation`` given).

    ``tokens_per_generation`` defaults to the sum of ``counts`` (the corpus's token count).
    """
    values = np.asarray(counts, dtype=np.float64)
    m_tokens = float(values.sum()) if tokens_per_generation is None else tokens_per_generation
    options = ProjectionOptions(synthetic_fraction, m_tokens, generations, tuple(regimes), sharpening, truncate_rank)
    return project_distribution(distribution(values), options)
