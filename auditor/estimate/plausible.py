"""The synthetic fraction when the references are not this corpus's own: an interval over plausible references.

A mixture estimate is only as good as its two reference score distributions. When the
user gives both (in-domain human and machine samples), the bootstrap interval of
:class:`~auditor.estimate.fraction.FractionEstimator` accounts for everything that is uncertain.
When one or both are missing, the missing one comes from the model's validation, i.e. from
*other* domains, and how this corpus's texts would score is unknown. A single guess (the
pooled validation scores, or the machine scores moved by the human scores' shift) then
gives intervals that exclude the truth: measured on held-out families, a 100-document human
reference with the shifted machine reference covered the truth in 66% of mixtures.

So what is unknown is treated as a range, not a point. The model stores the held-out scores
of every validation group (family), each scored by a model that never saw that family:
each family's pair of distributions is one plausible picture of how an unseen domain's
texts score. :class:`PlausibleEstimator` estimates the fraction under every plausible pair
and reports the *union* of their intervals; the point is the median of their points.

- only a human reference: the machine distribution is each family's machine scores, as they
  are and moved by the difference between the user's and that family's median human logit
  (how machine scores move when human scores move); the point uses the unmoved ones;
- only a machine reference: the human distribution is each family's;
- neither: each family's pair, and the interval is further widened by the model's measured
  cross-family estimation error (``validation.estimation_error.p90_abs``): with no sample of
  the corpus's own kind, the interval must also cover a domain unlike every family.

Each estimate says which assumption it rests on (:attr:`PlausibleEstimator.assumption`).
Measured on leave-one-family-out mixtures (``benchmarks/eval_estimate.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from auditor.estimate.fraction import Estimate, FractionEstimator, Reference, shifted_machine_reference

#: Fewest held-out documents of each class a validation group needs to be a plausible pair.
MIN_GROUP_DOCUMENTS = 20

ASSUMPTIONS = {
    "both": "the human and machine references are samples of this corpus's own kind",
    "human": "the human reference is this corpus's kind; its machine texts score like those of one of the model's "
             "validation families, as they are or moved by this domain's shift of human scores",
    "machine": "the machine reference is this corpus's kind; its human texts score like those of one of the model's "
               "validation families",
    "none": "this corpus scores like one of the model's validation families, give or take the model's measured "
            "cross-family estimation error",
}


@dataclass(frozen=True)
class PlausibleEstimator:
    """The fraction under every plausible pair of references, as one estimate with one interval.

    Attributes:
        primary: the estimator whose references are reported (the given ones, and the pooled
            validation scores for what is missing); used alone when there are no alternatives.
        alternatives: one estimator per plausible pair.
        point_from: indices of the alternatives whose points make the median point estimate.
        allowance: added to both ends of the interval (only with no reference at all).
        setting: ``both``, ``human``, ``machine`` or ``none`` (which references were given).
    """

    primary: FractionEstimator
    alternatives: tuple[FractionEstimator, ...] = ()
    point_from: tuple[int, ...] = ()
    allowance: float = 0.0
    setting: str = "both"

    @property
    def method(self) -> str:
        return self.primary.method

    @property
    def threshold(self) -> float:
        return self.primary.threshold

    @property
    def human(self) -> Reference:
        return self.primary.human

    @property
    def machine(self) -> Reference:
        return self.primary.machine

    @property
    def assumption(self) -> str:
        return ASSUMPTIONS[self.setting]

    def estimate_point(self, scores: np.ndarray) -> float:
        if not self.alternatives:
            return self.primary.estimate_point(scores)
        return float(np.median([self.alternatives[i].estimate_point(scores) for i in self.point_from]))

    def estimate(self, scores: np.ndarray) -> Estimate:
        """Median point of the plausible pairs; the union of their intervals, widened by :attr:`allowance`."""
        if not self.alternatives:
            found = self.primary.estimate(scores)
        else:
            each = [alternative.estimate(scores) for alternative in self.alternatives]
            point = float(np.median([each[i].estimate for i in self.point_from]))
            found = Estimate(point, min(e.low for e in each), max(e.high for e in each), self.method, each[0].documents)
        if self.allowance and found.documents:
            found = replace(found, low=max(0.0, found.low - self.allowance), high=min(1.0, found.high + self.allowance))
        return found

    def posterior(self, scores: np.ndarray, fraction: float) -> np.ndarray:
        """``p_machine_given_corpus`` (:meth:`FractionEstimator.posterior`): the median over the pairs that make the point."""
        if not self.alternatives:
            return self.primary.posterior(scores, fraction)
        return np.median([self.alternatives[i].posterior(scores, fraction) for i in self.point_from], axis=0)

    def with_method(self, method: str) -> PlausibleEstimator:
        """The same references and assumption with another estimation method."""
        return self._rebuilt(method, self.primary.bootstrap)

    def with_bootstrap(self, bootstrap: int) -> PlausibleEstimator:
        """The same estimator with another number of bootstrap resamples (cheaper intervals for many small parts)."""
        return self._rebuilt(self.method, bootstrap)

    def _rebuilt(self, method: str, bootstrap: int) -> PlausibleEstimator:
        def again(estimator: FractionEstimator) -> FractionEstimator:
            return FractionEstimator(estimator.human, estimator.machine, estimator.threshold, method, bootstrap, estimator.seed)
        return replace(self, primary=again(self.primary), alternatives=tuple(again(a) for a in self.alternatives))

    def references(self) -> dict[str, object]:
        described = {**self.primary.references(), "assumption": self.assumption}
        if self.alternatives:
            described["plausible_pairs"] = len(self.alternatives)
        if self.allowance:
            described["cross_domain_allowance"] = self.allowance
        return described


def plausible_estimator(
    human: Reference | None,
    machine: Reference | None,
    validation_human: Reference,
    validation_machine: Reference,
    by_group: Mapping[str, tuple[np.ndarray, np.ndarray]],
    threshold: float,
    method: str = "em",
    allowance: float = 0.0,
) -> PlausibleEstimator:
    """The estimator for the references given (``human`` / ``machine``: the user's, or None).

    ``validation_*`` are the model's pooled held-out scores, ``by_group`` the same split by
    validation group (a model without it gets today's single pair). ``allowance`` is applied
    only when neither reference is given. Raises ValueError when no pair separates.
    """
    setting = {(True, True): "both", (True, False): "human", (False, True): "machine", (False, False): "none"}[
        (human is not None, machine is not None)]
    pooled_machine = machine or (shifted_machine_reference(validation_machine, validation_human.scores, human.scores)
                                 if human is not None else validation_machine)
    primary = FractionEstimator(human or validation_human, pooled_machine, threshold, method)
    widen = allowance if setting == "none" else 0.0
    groups = {name: pair for name, pair in sorted(by_group.items()) if min(len(pair[0]), len(pair[1])) >= MIN_GROUP_DOCUMENTS}
    if setting == "both" or not groups:
        return PlausibleEstimator(primary, allowance=widen, setting=setting)
    pairs: list[tuple[Reference, Reference, bool]] = []  # (human, machine, counts toward the point)
    for name, (group_human, group_machine) in groups.items():
        own_human = Reference(group_human, f"model validation, held-out {name} human documents")
        own_machine = Reference(group_machine, f"model validation, held-out {name} machine documents")
        if setting == "human":
            assert human is not None
            pairs.append((human, own_machine, True))
            pairs.append((human, shifted_machine_reference(own_machine, group_human, human.scores), False))
        elif setting == "machine":
            assert machine is not None
            pairs.append((own_human, machine, True))
        else:
            pairs.append((own_human, own_machine, True))
    alternatives: list[FractionEstimator] = []
    counted: list[int] = []
    for pair_human, pair_machine, counts in pairs:
        try:
            alternatives.append(FractionEstimator(pair_human, pair_machine, threshold, method))
        except ValueError:  # this family's references do not separate: it cannot anchor an estimate
            continue
        if counts:
            counted.append(len(alternatives) - 1)
    if not counted:
        return PlausibleEstimator(primary, allowance=widen, setting=setting)
    return PlausibleEstimator(primary, tuple(alternatives), tuple(counted), widen, setting)

