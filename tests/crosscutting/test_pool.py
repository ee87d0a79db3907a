"""The labelled pool (``$AUDITOR_POOL``) and the shipped model agree: read when present, skipped when not.

Nothing of the pool's text enters the repository: these tests read it where it lies, and
``scripts/pool_with_families.py`` writes its copy into pytest's temporary directory.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter

import pytest

from conftest import POOL, ROOT

DATA = POOL
EXCLUDED_SOURCES = {"Binoculars/pubmed"}  # scripts/train_default_model.sh's --exclude options
EXCLUDED_GENERATORS = {"gpt2-xl", "opt-2.7b", "gpt-neo-2.7B", "gpt-j-6B", "gpt-neox-20b", "davinci", "flan-t5-xxl"}

pytestmark = pytest.mark.skipif(not (DATA / "nltk-human.jsonl.gz").is_file(), reason="the labelled pool ($AUDITOR_POOL) is absent")


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("pool") / "pool.jsonl.gz"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "pool_with_families.py"), str(DATA), str(out)], check=True,
                   capture_output=True)
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_every_record_has_a_family_and_every_family_both_classes(pool):
    families = Counter((r["family"], r["label"]) for r in pool)
    assert {f for f, _ in families} == {"press", "fiction", "nonfiction", "reviews_forums", "student_essay"}
    for family in {f for f, _ in families}:
        assert families[(family, "human")] >= 100 and families[(family, "machine")] >= 100, family


def test_biomed_answers_lose_the_question_both_classes_share(pool):
    biomed = [r for r in pool if r.get("domain") == "biomed_qa"]
    assert biomed and not any(r["text"].lstrip().startswith("Question:") for r in biomed)
    assert min(len(r["text"].split()) for r in biomed) >= 15


def test_the_shipped_model_was_trained_on_exactly_this_pool(pool):
    """model.json's per-family counts are what the training script's exclusions leave of the pool."""
    kept = [r for r in pool if r.get("source") not in EXCLUDED_SOURCES and r.get("generator") not in EXCLUDED_GENERATORS]
    counts = Counter((r["family"], r["label"]) for r in kept)
    meta = json.loads((ROOT / "models" / "default" / "model.json").read_text(encoding="utf-8"))
    assert meta["training"]["by_group"] == {
        family: {"human": counts[(family, "human")], "machine": counts[(family, "machine")]} for family in sorted({f for f, _ in counts})
    }
    assert meta["training"]["documents"] == len(kept) and meta["training"]["excluded"] == len(pool) - len(kept)
