"""Synthetic-fraction accuracy on held-out domains (issue 4's evaluation).

Usage (repository root; needs ../shared/data and ``pip install -e '.[train]'``)::

    python benchmarks/eval_estimate.py              # ~3-5 min on 2 cores
    python benchmarks/eval_estimate.py --repeats 50

For each domain of the labelled pool, a model is trained with that domain left out entirely
(same settings and exclusions as the shipped model, scripts/train_default_model.sh), so the
domain's documents are unseen. Mixtures of its human and chat-model documents are built at
fractions 0, 0.05, 0.2 and 0.5 (400 documents each, ``--repeats`` times), and every method
(em, acc, cc) estimates the fraction three times: with the model's own held-out references only
(``model``), with an in-domain human reference of 100 documents disjoint from the mixture
(``in-domain``; the model's machine reference shifted to it, as ``auditor scan`` does), and with in-domain human and machine references (``both``; the machine one is at
most half the domain's machine texts, never those mixed in). Prints mean absolute errors and how
often the 95% interval covered the truth (for ``model``, with the mismatch allowance
``auditor scan`` adds in that case).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from auditor.detector import load_detector
from auditor.estimate import METHODS, FractionEstimator, Reference, shifted_machine_reference
from auditor.training import TrainOptions, extract_features, train

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
OLD = ("gpt2-xl", "opt-2.7b", "gpt-neo-2.7B", "gpt-j-6B", "gpt-neox-20b", "davinci", "flan-t5-xxl")
EXCLUDE = (("source", "Binoculars/pubmed"), *(("generator", g) for g in OLD))
FRACTIONS = (0.0, 0.05, 0.2, 0.5)
DOMAINS = ("biomed_qa", "news", "story", "student_essay", "wikipedia")


CACHE = Path(__file__).resolve().parent / "out" / "estimate-models"


def held_out_scores(domain: str) -> tuple[object, np.ndarray, np.ndarray]:
    """Train without ``domain``; return the model and the domain's human and machine scores.

    Models and scores are kept under benchmarks/out/ (ignored by git) and reused while the
    shipped model's arrays are unchanged (delete the folder to retrain).
    """
    paths = sorted(str(p) for p in DATA.glob("*.jsonl.gz"))
    model_dir = CACHE / domain
    cached = model_dir / "held_out_scores.npz"
    if cached.is_file():
        arrays = np.load(cached)
        return load_detector(model_dir), arrays["human"], arrays["machine"]
    train(paths, model_dir, TrainOptions(group_field="domain", exclude=(*EXCLUDE, ("domain", domain)), name=f"without-{domain}"))
    detector = load_detector(model_dir)
    others = tuple((name, value) for name, value in EXCLUDE)
    data = extract_features(paths, TrainOptions(group_field="domain", exclude=others), detector.table)
    scores = detector.probability(data.X, data.words)
    mine = data.groups == domain
    human, machine = scores[mine & (data.y == 0)], scores[mine & (data.y == 1)]
    np.savez(cached, human=human, machine=machine)
    return detector, human, machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--size", type=int, default=400)
    parser.add_argument("--reference-size", type=int, default=100)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: this evaluation needs the labelled pool")
    rng = np.random.default_rng(2026)
    rows = []  # (domain, fraction, method, reference, abs error, covered)
    CACHE.mkdir(parents=True, exist_ok=True)
    for domain in DOMAINS:
        detector, human, machine = held_out_scores(domain)
        allowance = float(detector.metadata["validation"]["estimation_error"]["p90_abs"])
        print(f"{domain}: {len(human)} human, {len(machine)} machine held-out scores", file=sys.stderr)
        for fraction in FRACTIONS:
            for _ in range(args.repeats):
                order = rng.permutation(len(human))
                reference, pool = human[order[: args.reference_size]], human[order[args.reference_size :]]
                # An in-domain machine reference too (at most half the domain's machine texts,
                # never the ones mixed in): what generating a sample in your domain buys.
                machine_order = rng.permutation(len(machine))
                n_ref = min(args.reference_size, len(machine) // 2)
                machine_ref, machine_pool = machine[machine_order[:n_ref]], machine[machine_order[n_ref:]]
                k = int(round(fraction * args.size))
                mixture = np.concatenate([
                    rng.choice(pool, args.size - k, replace=len(pool) < args.size - k),
                    rng.choice(machine_pool, k, replace=len(machine_pool) < k),
                ])
                settings = (
                    ("model", Reference(detector.human_scores, "model"), Reference(detector.machine_scores, "model")),
                    ("in-domain", Reference(reference, "in-domain"), shifted_machine_reference(Reference(detector.machine_scores, "model"), detector.human_scores, reference)),
                    ("both", Reference(reference, "in-domain"), Reference(machine_ref, "in-domain")),
                )
                for label, human_ref, machine_reference in settings:
                    for method in METHODS:
                        estimator = FractionEstimator(human_ref, machine_reference, detector.threshold, method, bootstrap=300)
                        e = estimator.estimate(mixture)
                        # auditor scan widens the interval by the model's cross-domain error when
                        # no in-domain human reference is given (mismatch_allowance).
                        pad = allowance if label == "model" else 0.0
                        covered = max(0.0, e.low - pad) <= fraction <= min(1.0, e.high + pad)
                        rows.append((domain, fraction, method, label, abs(e.estimate - fraction), covered))
    table = np.array(rows, dtype=object)
    print(f"{'reference':<10} {'method':<6} " + " ".join(f"{'a=' + str(f):>8}" for f in FRACTIONS) + f" {'MAE':>7} {'covered':>8}")
    for label in ("model", "in-domain", "both"):
        for method in METHODS:
            sel = (table[:, 2] == method) & (table[:, 3] == label)
            per = [np.mean(table[sel & (table[:, 1] == f), 4].astype(float)) for f in FRACTIONS]
            print(f"{label:<10} {method:<6} " + " ".join(f"{p:>8.3f}" for p in per)
                  + f" {np.mean(table[sel, 4].astype(float)):>7.3f} {np.mean(table[sel, 5].astype(bool)):>8.0%}")
    print("\nMAE by held-out domain (em):")
    for label in ("model", "in-domain", "both"):
        sel = (table[:, 2] == "em") & (table[:, 3] == label)
        print(f"  {label:<10} " + "  ".join(f"{d} {np.mean(table[sel & (table[:, 0] == d), 4].astype(float)):.3f}" for d in DOMAINS))


if __name__ == "__main__":
    main()
