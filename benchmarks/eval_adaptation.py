"""Can a 100-document human reference adapt the detector to an unseen domain? (issue 4 follow-up)

Usage (repository root; needs the labelled pool in $AUDITOR_POOL)::

    python benchmarks/eval_adaptation.py             # ~3 min on 2 cores
    python benchmarks/eval_adaptation.py --repeats 20

``eval_estimate.py`` measures the shipped estimator; this script measures two ways of using an
in-domain human reference *in feature space* instead of only in score space, under the same
protocol (a domain held out of training; mixtures of 400 of its documents at fractions 0, 0.05,
0.2, 0.5; a disjoint reference of 100 of its human documents):

- ``shipped``: features standardized on the training pool; em with the reference's scores and the
  model's machine scores shifted to the reference (what ``auditor scan --reference-human`` does).
- ``zscore``: every domain's features standardized on that domain's human documents (in training)
  and on the reference (for the held-out domain); em as above, machine reference from nested
  held-out domains.
- ``pu``: positive-unlabelled mixture-proportion estimation: a cross-fitted, strongly regularized
  logistic regression separates the corpus from the reference (z-scored features plus the
  ``zscore`` model's score); with ``F``/``G`` the reference's and the corpus's out-of-fold score
  distributions, ``1 - a = G(s < t) / F(s < t)`` at ``t`` = the reference's q-quantile (exact
  when machine text never scores below ``t``; no machine reference needed).

Prints the mean absolute error per held-out domain and the mean signed error per fraction.
Measured 2026-11-23 (6 repeats): shipped 0.10, zscore 0.09, pu(q=0.8) 0.06; target 0.03.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from auditor.detector.scorer import load_detector
from auditor.estimate.fraction import FractionEstimator, Reference, shifted_machine_reference
from auditor.detector.linear import LinearDetector
from auditor.detector.training import TrainOptions, balanced_weights, extract_features

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_estimate import DATA, DOMAINS, EXCLUDE, FRACTIONS  # noqa: E402

MIXTURE, REFERENCE = 400, 100


def load_pool() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Detector features, labels and domains of the pool, with the shipped model's exclusions."""
    paths = sorted(str(p) for p in DATA.glob("*.jsonl.gz"))
    table = load_detector().table
    data = extract_features(paths, TrainOptions(group_field="domain", exclude=EXCLUDE), table)
    return data.X, data.y, data.groups.astype(str)


def zscore(X: np.ndarray, human: np.ndarray) -> np.ndarray:
    """``X`` standardized on the mean and spread of ``human`` rows, clipped like LinearDetector."""
    std = human.std(axis=0)
    return np.clip((X - human.mean(axis=0)) / np.where(std > 1e-9, std, 1.0), -8.0, 8.0)


def fit(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> LinearDetector:
    return LinearDetector(C=0.1).fit(X, y, balanced_weights(y, groups))


def pu_fraction(reference: np.ndarray, corpus: np.ndarray, prior: LinearDetector, quantile: float, seed: int) -> float:
    """Mixture-proportion estimate from a human reference and a corpus (z-scored features)."""
    features = np.vstack([reference, corpus])
    features = np.column_stack([features, prior.decision_function(features)])
    is_corpus = np.r_[np.zeros(len(reference)), np.ones(len(corpus))]
    scores = np.zeros(len(features))
    for fit_rows, score_rows in StratifiedKFold(5, shuffle=True, random_state=seed).split(features, is_corpus):
        model = LogisticRegression(C=0.001, class_weight="balanced", max_iter=2000)
        scores[score_rows] = model.fit(features[fit_rows], is_corpus[fit_rows]).decision_function(features[score_rows])
    ref_scores, corpus_scores = scores[: len(reference)], scores[len(reference):]
    t = np.quantile(ref_scores, quantile)
    return float(np.clip(1.0 - (corpus_scores < t).mean() / max((ref_scores < t).mean(), 1e-9), 0.0, 1.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: this evaluation needs the labelled pool")
    X, y, domains = load_pool()
    relative = X.copy()  # each domain standardized on its own human documents
    for domain in DOMAINS:
        rows = domains == domain
        relative[rows] = zscore(X[rows], X[rows & (y == 0)])
    rng = np.random.default_rng(2026)
    errors: dict[tuple[str, str | float], list[float]] = {}
    methods = ("shipped", "zscore", "pu q=0.8", "pu q=0.9")
    for domain in DOMAINS:
        train = domains != domain
        models = {"shipped": fit(X[train], y[train], domains[train]), "zscore": fit(relative[train], y[train], domains[train])}
        # Held-out score distributions of the training domains (nested leave-one-domain-out).
        refs: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {name: ([], []) for name in models}
        for other in DOMAINS:
            if other == domain:
                continue
            inner, rows = train & (domains != other), domains == other
            for name, features in (("shipped", X), ("zscore", relative)):
                scores = fit(features[inner], y[inner], domains[inner]).predict_proba(features[rows])[:, 1]
                refs[name][0].append(scores[y[rows] == 0])
                refs[name][1].append(scores[y[rows] == 1])
        held = np.flatnonzero(domains == domain)
        human_rows, machine_rows = held[y[held] == 0], held[y[held] == 1]
        for fraction in FRACTIONS:
            for repeat in range(args.repeats):
                order = rng.permutation(human_rows)
                reference, pool = order[:REFERENCE], order[REFERENCE:]
                k = int(round(fraction * MIXTURE))
                mixture = np.concatenate([
                    rng.choice(pool, MIXTURE - k, replace=len(pool) < MIXTURE - k),
                    rng.choice(machine_rows, k, replace=len(machine_rows) < k),
                ])
                estimates = {}
                for name, model in models.items():
                    prepare = (lambda rows: X[rows]) if name == "shipped" else (lambda rows: zscore(X[rows], X[reference]))
                    ref_scores = model.predict_proba(prepare(reference))[:, 1]
                    model_human, model_machine = np.concatenate(refs[name][0]), np.concatenate(refs[name][1])
                    machine = shifted_machine_reference(Reference(model_machine, "model"), model_human, ref_scores)
                    estimator = FractionEstimator(Reference(ref_scores, "in-domain"), machine, 0.5, "em", bootstrap=0)
                    estimates[name] = estimator.estimate_point(model.predict_proba(prepare(mixture))[:, 1])
                for q in (0.8, 0.9):
                    z_ref, z_mix = zscore(X[reference], X[reference]), zscore(X[mixture], X[reference])
                    estimates[f"pu q={q}"] = pu_fraction(z_ref, z_mix, models["zscore"], q, repeat)
                for name, value in estimates.items():
                    errors.setdefault((name, domain), []).append(abs(value - fraction))
                    errors.setdefault((name, fraction), []).append(value - fraction)
        print(f"{domain} done", file=sys.stderr)
    print(f"{'method':<10} " + " ".join(f"{d[:12]:>12}" for d in DOMAINS) + f" {'MAE':>6}   signed error at a = " + " ".join(str(f) for f in FRACTIONS))
    for name in methods:
        per_domain = [np.mean(errors[(name, d)]) for d in DOMAINS]
        print(f"{name:<10} " + " ".join(f"{v:>12.3f}" for v in per_domain) + f" {np.mean(per_domain):>6.3f}   "
              + " ".join(f"{np.mean(errors[(name, f)]):+.3f}" for f in FRACTIONS))


if __name__ == "__main__":
    main()
