"""``p_machine_given_corpus``: each document's probability of being machine-written, given the corpus.

``p_synthetic`` is calibrated for a corpus that is half machine-written; a decision about one
document in *this* corpus should use what the scan learned about the corpus. The posterior is
Bayes with the corpus's estimated fraction as the prior and the estimator's reference densities as
the likelihoods (:meth:`auditor.estimate.plausible.PlausibleEstimator.posterior`), so the posteriors of a
corpus add up to about its estimated number of machine documents: rejecting documents whose
posterior is over 0.5 follows the corpus-level estimate instead of a fixed flagging threshold.
Documents matched to known synthetic text are machine-written: their posterior is 1.

The estimate needs every score, so the scan computes the column between its last shard and the
copy pass that writes ``documents.parquet`` (:class:`auditor.corpus.runner.LateColumn`), right
after :data:`AFTER`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np

from auditor.estimate.fraction import MIN_DOCUMENTS
from auditor.estimate.plausible import PlausibleEstimator

COLUMN = "p_machine_given_corpus"
AFTER = "flagged"  # the column it follows in documents.parquet


def corpus_prior(fraction: float, documents: int) -> float:
    """The prior a posterior uses: the corpus's estimate, kept off 0 and 1 by ``1 / (documents + 2)``.

    An estimate of exactly 0 or 1 would make every document's own score irrelevant (a small
    file estimated at 1.00 would condemn its human documents). Below
    :data:`~auditor.estimate.fraction.MIN_DOCUMENTS` documents the estimate means nothing (its interval
    is [0, 1]), so the prior is ``p_synthetic``'s own, 0.5.
    """
    if documents < MIN_DOCUMENTS:
        return 0.5
    margin = 1.0 / (documents + 2)
    return min(max(float(fraction), margin), 1.0 - margin)


def posteriors(estimator: PlausibleEstimator, scores: np.ndarray, fraction: float, matched: np.ndarray | None = None) -> np.ndarray:
    """``p_machine_given_corpus`` of documents with ``scores``, under a corpus whose unmatched documents are
    estimated at ``fraction`` (:func:`corpus_prior`); ``matched`` (known synthetic) ones are 1."""
    matched = np.zeros(len(scores), dtype=bool) if matched is None else matched
    return _with_prior(estimator, scores, corpus_prior(fraction, int((~matched).sum())), matched)


def _with_prior(estimator: PlausibleEstimator, scores: np.ndarray, prior: float, matched: np.ndarray) -> np.ndarray:
    return np.where(matched, 1.0, estimator.posterior(np.asarray(scores, dtype=np.float64), prior))


@dataclass(frozen=True)
class ScoreRule:
    """Reject a document when its ``column`` is over ``cut``: ``p_machine_given_corpus > cut`` or ``p_synthetic >= cut``.

    Shared by ``auditor filter`` (its rejection rule) and the hook (why a document is listed).
    """

    column: str
    cut: float

    @property
    def operator(self) -> str:
        return ">" if self.column == COLUMN else ">="

    @overload
    def rejects(self, values: np.ndarray) -> np.ndarray: ...
    @overload
    def rejects(self, values: np.floating) -> np.bool_: ...
    def rejects(self, values: np.ndarray | np.floating) -> np.ndarray | np.bool_:
        """Elementwise: an array of scores gives an array of decisions, one score (a NumPy float) one decision."""
        return values > self.cut if self.column == COLUMN else values >= self.cut

    def reason(self, value: float) -> str:
        """``p_synthetic 0.97 >= 0.95``: two decimals, more where two would show the value equal to the cut."""
        digits = 2
        while digits < 17 and round(value, digits) == round(self.cut, digits) and value != self.cut:
            digits += 1
        return f"{self.column} {value:.{digits}f} {self.operator} {self.cut:.{max(2, digits)}f}"

    def describe(self) -> str:
        return f"{self.column} {self.operator} {self.cut:g}"
