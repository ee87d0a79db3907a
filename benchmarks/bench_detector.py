"""Detector transfer: leave-one-family-out and leave-one-source-out AUROC, the model beside ZipPy, in one run.

Usage (from the repository root; needs the train and bench extras and the labelled pool)::

    python benchmarks/bench_detector.py                       # ~25 min on 2 cores
    python benchmarks/bench_detector.py --zippy-per-cell 50   # quicker ZipPy sample

Reads the pool (``$AUDITOR_POOL``) through ``scripts/pool_with_families.py`` into a
temporary file, keeps what ``scripts/train_default_model.sh`` trains on, and for each split
scores documents with detectors that never saw them: leave one *family* out
(``auditor.detector.training.validate``, the shipped recipe: boosted trees, family-balanced weights,
calibrated on the held-out scores), and leave one *source* out on top of those folds
(``auditor.detector.evaluation.held_out_on_top_of_folds``, what ``auditor evaluate --leave-one-out source
--folds family`` reports): a source's documents are scored by models that saw neither the source
nor their family, against the held-out humans of the families the source spans. ZipPy (``thinkst-zippy``, LZMA, its default; no training, so
every score is held-out) scores a stratified sample of the same documents: ``--zippy-per-cell``
per (family, label) cell, fixed seed. Both are reported on that same sample (and the model also
on every document). Results also go to ``benchmarks/out/bench_detector.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from pool import data_argument, pool_features, training_options

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
def zippy_scores(texts: list[str]) -> np.ndarray:
    """ZipPy's signed confidence (positive: AI) for each text."""
    from zippy import Zippy

    detector = Zippy()
    scores = []
    for text in texts:
        label, confidence = detector.run_on_text_chunked(text)
        scores.append(confidence if label == "AI" else -confidence)
    return np.array(scores)


def auroc(y: np.ndarray, s: np.ndarray) -> float | None:
    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data_argument(parser)
    parser.add_argument("--zippy-per-cell", type=int, default=100)
    args = parser.parse_args()
    from auditor.detector.evaluation import held_out_on_top_of_folds
    from auditor.detector.training import validate

    started = time.time()
    rows: dict[str, dict[str, object]] = {}
    data, texts = pool_features(args.data, training_options("family"), with_texts=True)
    y, family = data.y, data.fields["family"]
    rng = np.random.default_rng(0)
    sample = np.sort(np.concatenate([
        rng.choice(np.flatnonzero((family == f) & (y == label)), min(args.zippy_per_cell, int(((family == f) & (y == label)).sum())), replace=False)
        for f in sorted(set(family.tolist())) for label in (0, 1) if ((family == f) & (y == label)).any()
    ]))
    print(f"ZipPy on {len(sample)} documents ...", flush=True)
    zippy = zippy_scores([texts[i] for i in sample])
    def row(own: np.ndarray, rows_all: np.ndarray, p: np.ndarray) -> dict[str, object]:
        in_sample = np.isin(sample, np.flatnonzero(rows_all))
        return {"documents": int(own.sum()), "human": int((own & (y == 0)).sum()), "machine": int((own & (y == 1)).sum()),
                "model_auroc": auroc(y[rows_all], p[rows_all]),
                "model_auroc_sample": auroc(y[sample[in_sample]], p[sample[in_sample]]),
                "zippy_auroc_sample": auroc(y[sample[in_sample]], zippy[in_sample]), "sample": int(in_sample.sum())}

    options = training_options("family")
    checked = validate(data, options)
    for group in sorted(set(family.tolist())):
        rows[f"family={group}"] = row(family == group, family == group, checked.p)
    rows["family=pooled"] = {"model_auroc": auroc(y, checked.p), "model_auroc_sample": auroc(y[sample], checked.p[sample]),
                             "zippy_auroc_sample": auroc(y[sample], zippy), "threshold": checked.threshold,
                             "tpr_at_threshold": float((checked.p[y == 1] >= checked.threshold).mean())}
    for source, rows_all, held, _ in held_out_on_top_of_folds(data, "source", options):
        rows[f"source={source}"] = row(data.fields["source"] == source, rows_all, held.p)
    print(f"{'held out':<40} {'human':>6} {'machine':>7} {'model':>7} {'model*':>7} {'ZipPy*':>7}")
    for name, row in rows.items():
        cells = [row.get("human", ""), row.get("machine", ""), *(f"{row[k]:.3f}" if row.get(k) is not None else "-"
                                                                 for k in ("model_auroc", "model_auroc_sample", "zippy_auroc_sample"))]
        print(f"{name:<40} {cells[0]:>6} {cells[1]:>7} {cells[2]:>7} {cells[3]:>7} {cells[4]:>7}")
    print("* on the ZipPy sample (the same documents for both)")
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_detector.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"benchmark took {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
