"""Corpus-level synthetic fraction: a quantity with an interval, not a count of flags.

Counting documents over a threshold (``cc``) is biased by the detector's error
rates, and those change from domain to domain. The corpus's scores are instead
treated as a mixture ``(1 - a) * f_human + a * f_machine`` of two reference
score distributions, and ``a`` is estimated three ways:

- ``em`` (default): maximum likelihood of the mixture weight, the fixed point
  of Saerens et al. (2002)'s EM. The log-likelihood is concave in ``a``, so it
  is solved exactly by bisection on its derivative (with the boundary cases
  ``a = 0`` and ``a = 1`` decided by the derivative's sign there).
- ``acc``: adjusted classify-and-count, ``(cc - fpr) / (tpr - fpr)``, clipped
  to [0, 1], at the threshold where the references' ``tpr - fpr`` is largest
  (Forman 2008's "max" choice: the flagging threshold is tuned for few false
  positives, where ``tpr`` is small and the correction unstable).
- ``cc``: the share of documents at or above the threshold.

Densities are histograms of ``logit(p_synthetic)`` on bins shared by both
references (quantile edges, so every bin holds reference mass), smoothed with
half a pseudo-count per bin. The number of bins follows the smaller reference
(:func:`reference_bins`): with 100 reference documents, 24 bins left a quarter of
each bin's mass to the pseudo-count and biased the estimate (95% intervals held
the truth in 83% of held-out mixtures; 8 bins: 95%). Everything then depends only on bin counts, so
the 95% interval is a percentile bootstrap that resamples the corpus *and*
both references (multinomially over bins): a small in-domain human reference
widens the interval, as it should. Seeded: identical inputs give identical
output.

References: by default the model's stored held-out validation scores (scores
of documents from domains the scoring model had not seen). A sample of the
user's own known-human documents (``--reference-human``) replaces
``f_human``; this is the calibration corpus-level estimators rely on
(Liang et al. 2024, "Monitoring AI-Modified Content at Scale").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from auditor.summary import EstimateBlock, ReasonCounts

METHODS = ("em", "acc", "cc")
CONFIDENCE = 0.95
BOOTSTRAP = 1000
MAX_BINS = 24
MIN_BINS = 6
MIN_DOCUMENTS = 20  # below this the interval is [0, 1]
MIN_SEPARATION = 0.05  # references closer than this cannot anchor an estimate
_PSEUDO = 0.5
_EPS = 1e-6


@dataclass(frozen=True)
class Reference:
    """Score distribution of documents of known origin.

    Attributes:
        scores: their ``p_synthetic`` values.
        origin: where they come from (``model validation`` or a path), for the summary.
    """

    scores: np.ndarray
    origin: str
    skipped: ReasonCounts | None = None  # the reader's skipped records, for user references

    def describe(self) -> dict[str, object]:
        described: dict[str, object] = {"source": self.origin, "documents": int(len(self.scores))}
        if self.skipped is not None:
            described["skipped"] = self.skipped
        return described


def shifted_machine_reference(machine: Reference, model_human: np.ndarray, domain_human: np.ndarray) -> Reference:
    """The model's machine reference moved by the domain's shift of human scores (logit medians).

    When only a human reference from the user's domain exists, the machine
    distribution must still come from the model's validation data, from other
    domains. Scores of a new domain move for both classes (held-out domains
    shift the whole logit scale), so the machine scores are moved by the
    difference between the domain's and the model's median human logit.
    Measured on held-out domains (benchmarks/eval_estimate.py), this cut the
    em error with a 100-document human reference by about a fifth.
    """
    shift = float(np.median(_logit(domain_human)) - np.median(_logit(model_human)))
    moved = 1.0 / (1.0 + np.exp(-(_logit(machine.scores) + shift)))
    return Reference(moved, f"{machine.origin}, shifted by {shift:+.2f} in logit to the human reference's domain", machine.skipped)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def _edges(human: np.ndarray, machine: np.ndarray, bins: int) -> np.ndarray:
    """Bin edges on the logit scale: quantiles of both references pooled with equal weight."""
    pooled = np.concatenate([_logit(human), _logit(machine)])
    weights = np.concatenate([np.full(len(human), 0.5 / max(len(human), 1)), np.full(len(machine), 0.5 / max(len(machine), 1))])
    order = np.argsort(pooled, kind="stable")
    cumulative = np.cumsum(weights[order])
    inner = pooled[order][np.searchsorted(cumulative, np.arange(1, bins) / bins)]
    return np.unique(inner)


def reference_bins(human_documents: int, machine_documents: int) -> int:
    """Histogram bins for references of these sizes: ~0.8 sqrt of the smaller, within [MIN_BINS, MAX_BINS]."""
    return int(min(MAX_BINS, max(MIN_BINS, int(0.8 * np.sqrt(min(human_documents, machine_documents))))))


def _counts(scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.bincount(np.searchsorted(edges, _logit(scores), side="right"), minlength=len(edges) + 1).astype(np.float64)


def _density(counts: np.ndarray) -> np.ndarray:
    smoothed = counts + _PSEUDO
    return smoothed / smoothed.sum(axis=-1, keepdims=True)


def _monotone_machine_density(f_human: np.ndarray, f_machine: np.ndarray) -> np.ndarray:
    """``f_machine`` with a likelihood ratio to ``f_human`` that never decreases as scores rise.

    A higher score must never be weaker evidence of machine text. Validation
    sets have odd tails (a few machine texts that score extremely human), and
    without this a corpus of degenerate, extremely human-scoring documents
    would count as machine-written. Each bin's ratio is capped by the smallest
    ratio of any higher bin (a running minimum from the top), then renormalized.
    """
    ratio = f_machine / f_human
    capped = np.flip(np.minimum.accumulate(np.flip(ratio, axis=-1), axis=-1), axis=-1)
    adjusted = f_human * capped
    return adjusted / adjusted.sum(axis=-1, keepdims=True)


def mixture_mle(corpus_counts: np.ndarray, f_human: np.ndarray, f_machine: np.ndarray) -> np.ndarray:
    """Maximum-likelihood mixture weight per row (all arguments may carry leading batch dimensions).

    The log-likelihood ``sum_b c_b log((1 - a) h_b + a m_b)`` is concave in ``a``;
    its derivative is decreasing, so the maximum is at 0, at 1, or at the
    derivative's root, found by 60 bisection steps (precision ~1e-18).
    """
    c, h, m = np.broadcast_arrays(corpus_counts, f_human, f_machine)

    def slope(a: np.ndarray) -> np.ndarray:
        mix = (1 - a[..., None]) * h + a[..., None] * m
        return (c * (m - h) / mix).sum(axis=-1)

    shape = c.shape[:-1]
    low, high = np.zeros(shape), np.ones(shape)
    at_zero, at_one = slope(low) <= 0, slope(high) >= 0
    for _ in range(60):
        mid = (low + high) / 2
        rising = slope(mid) > 0
        low = np.where(rising, mid, low)
        high = np.where(rising, high, mid)
    return np.where(at_zero, 0.0, np.where(at_one, 1.0, (low + high) / 2))


def _rates(human: np.ndarray, machine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Candidate thresholds (every reference score) and ``tpr - fpr`` at each."""
    candidates = np.unique(np.concatenate([human, machine]))
    fpr = 1.0 - np.searchsorted(np.sort(human), candidates, side="left") / len(human)
    tpr = 1.0 - np.searchsorted(np.sort(machine), candidates, side="left") / len(machine)
    return candidates, tpr - fpr


def _max_separation(human: np.ndarray, machine: np.ndarray) -> tuple[float, float]:
    """The score threshold maximizing ``tpr - fpr`` between the references (ties: the lowest),
    and that largest ``tpr - fpr`` (the one-sided Kolmogorov-Smirnov distance)."""
    candidates, separation = _rates(human, machine)
    best = int(np.argmax(separation))
    return float(candidates[best]), float(separation[best])


@dataclass(frozen=True)
class Estimate:
    """A fraction with its interval."""

    estimate: float
    low: float
    high: float
    method: str
    documents: int

    def to_dict(self) -> EstimateBlock:
        """The estimate block of summary.json."""
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "confidence": CONFIDENCE, "method": self.method, "documents": self.documents}


class FractionEstimator:
    """Estimates the synthetic fraction of sets of scores against two references.

    Args:
        human / machine: reference score distributions.
        threshold: the flagging threshold (``cc`` and ``acc``).
        method: one of :data:`METHODS`.
        bootstrap: resamples for the interval.
        seed: bootstrap seed.
    """

    def __init__(self, human: Reference, machine: Reference, threshold: float, method: str = "em", bootstrap: int = BOOTSTRAP, seed: int = 0):
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
        if len(human.scores) < 2 or len(machine.scores) < 2:
            raise ValueError(f"references need at least 2 documents each (human {len(human.scores)}, machine {len(machine.scores)})")
        self.human, self.machine = human, machine
        self.threshold, self.method, self.bootstrap, self.seed = threshold, method, bootstrap, seed
        self.edges = _edges(human.scores, machine.scores, reference_bins(len(human.scores), len(machine.scores)))
        self._human_counts = _counts(human.scores, self.edges)
        self._machine_counts = _counts(machine.scores, self.edges)
        best_threshold, separation = _max_separation(human.scores, machine.scores)
        self.count_threshold = threshold if method == "cc" else best_threshold
        # The references' rates at the counting threshold (cc / acc), fixed for every estimate.
        self._human_flags = human.scores >= self.count_threshold
        self._machine_flags = machine.scores >= self.count_threshold
        if separation < MIN_SEPARATION:
            raise ValueError(
                f"the human and machine references do not separate (largest tpr - fpr {separation:.3f} < {MIN_SEPARATION}): "
                "the detector cannot tell them apart, so no fraction can be estimated from them; check the reference files"
            )

    def _point(self, corpus: np.ndarray, human: np.ndarray, machine: np.ndarray, corpus_flag: np.ndarray, tpr: np.ndarray, fpr: np.ndarray) -> np.ndarray:
        if self.method == "em":
            f_human = _density(human)
            return mixture_mle(corpus, f_human, _monotone_machine_density(f_human, _density(machine)))
        if self.method == "cc":
            return corpus_flag
        spread = tpr - fpr
        return np.clip(np.divide(corpus_flag - fpr, spread, out=np.zeros_like(spread), where=spread > 1e-9), 0.0, 1.0)

    def estimate_point(self, scores: np.ndarray) -> float:
        """The point estimate alone."""
        scores = np.asarray(scores, dtype=np.float64)
        flagged = np.array((scores >= self.count_threshold).mean())
        tpr, fpr = np.array(self._machine_flags.mean()), np.array(self._human_flags.mean())
        return float(self._point(_counts(scores, self.edges), self._human_counts, self._machine_counts, flagged, tpr, fpr))

    def estimate(self, scores: np.ndarray) -> Estimate:
        """Point estimate and percentile-bootstrap interval for one set of scores."""
        scores = np.asarray(scores, dtype=np.float64)
        n = len(scores)
        if n == 0:
            return Estimate(0.0, 0.0, 1.0, self.method, 0)
        if n < MIN_DOCUMENTS:  # a bootstrap of a handful of documents is not an interval
            point = self.estimate_point(scores)
            return Estimate(point, 0.0, 1.0, self.method, n)
        point = self.estimate_point(scores)
        rng = np.random.default_rng(self.seed)
        b = self.bootstrap
        # Resample (bin, flagged) cells so cc / acc and em see the same resample.
        def resample(values: np.ndarray, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            cells = np.searchsorted(self.edges, _logit(values), side="right") * 2 + flags
            probabilities = np.bincount(cells, minlength=2 * (len(self.edges) + 1)) / len(values)
            draws = rng.multinomial(len(values), probabilities, size=b).reshape(b, -1, 2)
            return draws.sum(axis=2).astype(np.float64), draws[:, :, 1].sum(axis=1) / len(values)

        corpus_b, flag_b = resample(scores, scores >= self.count_threshold)
        human_b, fpr_b = resample(self.human.scores, self._human_flags)
        machine_b, tpr_b = resample(self.machine.scores, self._machine_flags)
        draws = self._point(corpus_b, human_b, machine_b, flag_b, tpr_b, fpr_b)
        alpha = (1 - CONFIDENCE) / 2
        low, high = np.quantile(draws, [alpha, 1 - alpha])
        return Estimate(point, float(min(low, point)), float(max(high, point)), self.method, n)

    def posterior(self, scores: np.ndarray, fraction: float) -> np.ndarray:
        """Each document's probability of being machine-written given the corpus: ``p_machine_given_corpus``.

        Bayes with the corpus estimate as the prior and the references' densities as the
        likelihoods (the same binned, monotone densities the ``em`` estimate uses), so the
        posteriors of a corpus sum to about its estimated machine count: a decision made
        document by document follows the corpus-level estimate.
        """
        f_human = _density(self._human_counts)
        f_machine = _monotone_machine_density(f_human, _density(self._machine_counts))
        bins = np.searchsorted(self.edges, _logit(np.asarray(scores, dtype=np.float64)), side="right")
        machine = fraction * f_machine[bins]
        return machine / (machine + (1.0 - fraction) * f_human[bins])

    def references(self) -> dict[str, object]:
        described: dict[str, object] = {"human": self.human.describe(), "machine": self.machine.describe()}
        if self.method != "em":
            described["count_threshold"] = self.count_threshold
        return described


def with_known(estimate: Estimate, known: int, total: int) -> Estimate:
    """Fold documents matched to known synthetic text (certainly machine) into an estimate of the rest."""
    if total == 0:
        return estimate
    rest = total - known
    scale = lambda a: (known + a * rest) / total  # noqa: E731
    return Estimate(scale(estimate.estimate), scale(estimate.low), scale(estimate.high), estimate.method, total)
