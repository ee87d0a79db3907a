"""The labelled pool as the shipped model is trained on it, for the detector and estimate benchmarks.

One place for what ``scripts/train_default_model.sh`` leaves out and how it validates, so the
benchmarks measure the shipped recipe: the pool is written with families by
``scripts/pool_with_families.py`` into a temporary file (it is not the project's to keep).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The training script's exclusions: base-model generators, flan-t5, and Binoculars' pre-tokenized humans.
EXCLUDED_GENERATORS = ("gpt2-xl", "opt-2.7b", "gpt-neo-2.7B", "gpt-j-6B", "gpt-neox-20b", "davinci", "flan-t5-xxl")
EXCLUDED_SOURCES = ("Binoculars/pubmed",)


def data_argument(parser: argparse.ArgumentParser) -> None:
    """``--data``: the pool's directory (``$DATA``, else the pool beside the repository)."""
    parser.add_argument("--data", default=os.environ.get("AUDITOR_POOL") or os.environ.get("DATA") or str(ROOT.parent / "shared" / "data"))


def training_options(group_field: str = "family", report_fields: tuple[str, ...] = ("family", "domain", "source")):
    """The shipped recipe's training options, validating over ``group_field``."""
    from auditor.detector.training import TrainOptions

    exclude = (*(("source", s) for s in EXCLUDED_SOURCES), *(("generator", g) for g in EXCLUDED_GENERATORS))
    return TrainOptions(group_field=group_field, weight_field="family", threshold_field="domain", report_fields=report_fields,
                        exclude=exclude)


def pool_features(data_dir: str, options, with_texts: bool = False):
    """The pool's detector features under ``options`` (and, with ``with_texts``, the kept texts in the same order)."""
    from auditor.detector.scorer import load_detector
    from auditor.detector.training import extract_features

    with tempfile.TemporaryDirectory() as work:
        pool = Path(work) / "pool.jsonl.gz"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "pool_with_families.py"), data_dir, str(pool)], check=True)
        data = extract_features([str(pool)], options, load_detector().table)
        texts = _kept_texts(pool) if with_texts else []
    if with_texts and len(texts) != len(data.y):
        raise SystemExit(f"{len(texts)} texts but {len(data.y)} documents read: a record was skipped; fix the pool or this script")
    return data, texts


def _kept_texts(pool: Path) -> list[str]:
    """The texts of the pool's records training keeps, in order (the exclusions above)."""
    texts = []
    with gzip.open(pool, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("source") not in EXCLUDED_SOURCES and record.get("generator") not in EXCLUDED_GENERATORS:
                texts.append(record["text"])
    return texts
