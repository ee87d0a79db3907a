"""Shared fixtures: a tiny word-frequency table and a tiny model trained on sample_data (no wordfreq needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from auditor.features.minhash import word_hash64
from auditor.features.style import FrequencyTable
from auditor.detector.training import TrainOptions, train

# Test files live one folder down (tests/io, tests/cli, ...): they take these paths from here, e.g.
# ``from conftest import DOCSTRINGS``, rather than counting parents of their own __file__.
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SAMPLE = ROOT / "sample_data"
# The labelled pool (not redistributed): $AUDITOR_POOL, by default shared/data beside the checkout.
POOL = Path(os.environ.get("AUDITOR_POOL") or ROOT.parent / "shared" / "data")
DOCSTRINGS = TESTS / "data" / "docstrings"  # a second genre: code documentation

# The most frequent English words, most frequent first (Zipf values are made up but decreasing).
COMMON_WORDS = (
    "the of and to a in is it that for you was with on as have be at not this are by from or but "
    "an they which one all we can there their has more if will been would who when what so no out "
    "up into than them these its some other time only new could may then do first any like my now "
    "over such our man me even most made after also did many before must through back where much "
    "your way well down should because each just those people how too little state good very make"
).split()


def make_table(words=COMMON_WORDS) -> FrequencyTable:
    hashes = np.array([word_hash64(w) for w in words], dtype=np.uint64)
    order = np.argsort(hashes)
    zipf = np.linspace(7.7, 5.0, len(words)).astype(np.float32)
    return FrequencyTable(hashes[order], zipf[order], order.astype(np.int32), source="test table")


@pytest.fixture(scope="session")
def tiny_table() -> FrequencyTable:
    return make_table()


def write_labelled(path: Path) -> Path:
    """sample_data's human and machine docstrings with a round-robin ``group`` of three values per class."""
    rows = []
    for name in ("human_stdlib_docstrings.jsonl", "machine_docstrings.jsonl"):
        for i, line in enumerate((DOCSTRINGS / name).read_text(encoding="utf-8").splitlines()):
            record = json.loads(line)
            rows.append({"id": record["id"], "text": record["text"], "label": record["label"], "group": f"g{i % 3}"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def labelled_path(tmp_path_factory) -> Path:
    return write_labelled(tmp_path_factory.mktemp("labelled") / "labelled.jsonl")


@pytest.fixture(scope="session")
def linear_model_dir(tmp_path_factory, labelled_path, tiny_table) -> Path:
    """The same data with the earlier linear estimator (format auditor.model/1), which must keep loading."""
    out = tmp_path_factory.mktemp("model") / "linear"
    train([str(labelled_path)], out, TrainOptions(group_field="group", name="linear", estimator="linear"), table=tiny_table)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, labelled_path, tiny_table) -> Path:
    out = tmp_path_factory.mktemp("model") / "tiny"
    train([str(labelled_path)], out, TrainOptions(group_field="group", name="tiny", trees=60), table=tiny_table)
    return out


# The hook's tests need a model that has not seen the documents they commit: it is trained on the
# first 200 human and first 50 machine documents of sample_data; the rest are the held-out files.
HELD_OUT_HUMAN, HELD_OUT_MACHINE = 200, 50


def sample_lines(name: str) -> list[str]:
    return (DOCSTRINGS / name).read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def hook_model_dir(tmp_path_factory, tiny_table) -> Path:
    """A model trained on part of sample_data; :func:`held_out_lines` gives the documents it has not seen."""
    rows = []
    lines = sample_lines("human_stdlib_docstrings.jsonl")[:HELD_OUT_HUMAN] + sample_lines("machine_docstrings.jsonl")[:HELD_OUT_MACHINE]
    for i, line in enumerate(lines):
        record = json.loads(line)
        rows.append({"id": record["id"], "text": record["text"], "label": record["label"], "group": f"g{i % 3}"})
    directory = tmp_path_factory.mktemp("hook-model")
    (directory / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = directory / "model"
    train([str(directory / "train.jsonl")], out, TrainOptions(group_field="group", name="hook-test", estimator="linear"), table=tiny_table)
    return out


def held_out_lines(kind: str) -> list[str]:
    """JSONL lines of sample_data the hook's model was not trained on (``human``: 100, ``machine``: 30)."""
    if kind == "human":
        return sample_lines("human_stdlib_docstrings.jsonl")[HELD_OUT_HUMAN:]
    return sample_lines("machine_docstrings.jsonl")[HELD_OUT_MACHINE:]
