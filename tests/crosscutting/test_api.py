"""The library's entry points: each does what its command does, importable from ``auditor``."""

from __future__ import annotations

import json
import types

import numpy as np
import pyarrow.parquet as pq
import pytest

import auditor
from auditor.detector.scorer import load_detector
from auditor.projection.inputs import source_from_zipf
from conftest import SAMPLE


def test_every_public_name_is_the_object_not_a_submodule():
    for name in auditor.__all__:
        assert not isinstance(getattr(auditor, name), types.ModuleType), name
    assert callable(auditor.scan) and callable(auditor.normalize) and callable(auditor.fingerprint)


def test_score_texts_gives_a_scan_s_scores(tmp_path, tiny_model_dir):
    texts = [json.loads(line)["text"] for line in (SAMPLE / "mixed.jsonl").read_text().splitlines()[:40]]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts))
    result = auditor.scan([str(corpus)], tmp_path / "audit", auditor.ScanOptions(model=str(tiny_model_dir), reports=False))
    scanned = pq.read_table(result.out / "documents.parquet", columns=["p_synthetic"]).column("p_synthetic").to_numpy()
    scores = auditor.score_texts(texts, model=str(tiny_model_dir))
    assert scores.shape == (40,)
    np.testing.assert_array_equal(scores, scanned)
    np.testing.assert_array_equal(auditor.score_texts(texts[:3], model=load_detector(tiny_model_dir)), scanned[:3])


@pytest.mark.parametrize(("texts", "message"), [
    ("one string", "not one string"),
    (["fine text here", 3], r"texts\[1\] is a int"),
    (["fine text here", " \n"], r"texts\[1\] is empty"),
    (["fine text here", " " * 1_000_000 + "words past the cut"], r"texts\[1\] is empty"),  # blank where a scan cuts it
])
def test_score_texts_refuses_what_it_cannot_score(texts, message, tiny_model_dir):
    with pytest.raises(ValueError, match=message):
        auditor.score_texts(texts, model=str(tiny_model_dir))


def test_score_texts_of_nothing_is_empty(tiny_model_dir):
    assert auditor.score_texts([], model=str(tiny_model_dir)).shape == (0,)


def test_run_projection_states_what_project_json_prints():
    source, skipped = auditor.choose_source(zipf_exponent=1.1, vocab_size=2000)
    assert skipped is None
    run = auditor.run_projection(source, synthetic_fraction=0.3, tokens_per_generation=1e5, generations=3, regimes=("mix",))
    payload = run.to_dict()
    assert payload["schema"] == "auditor.projection/1"
    assert list(payload["regimes"]) == ["mix"] and len(payload["regimes"]["mix"]) == 4
    assert 0 <= payload["max_synthetic_fraction"]["mix"] <= 1
    assert payload["inputs"]["p0"] == source.description and payload["inputs"]["sharpening_source"] == source.sharpening.source
    quick = auditor.run_projection(source, synthetic_fraction=0.3, tokens_per_generation=1e5, generations=3, regimes=("mix",), bounds=False)
    assert quick.projection.regimes == run.projection.regimes and quick.max_synthetic_fraction is None
    with pytest.raises(ValueError, match="without safe fractions"):
        quick.to_dict()


@pytest.mark.parametrize(("arguments", "message"), [
    ({}, "give exactly one of --from-summary, --corpus or --zipf-exponent"),
    ({"zipf_exponent": 1.1}, "--zipf-exponent and --vocab-size go together"),
    ({"zipf_exponent": 1.1, "vocab_size": 10, "corpus": ["x.jsonl"]}, "give exactly one of"),
])
def test_choose_source_refuses_ambiguous_sources(arguments, message):
    with pytest.raises(ValueError, match=message):
        auditor.choose_source(**arguments)


def test_run_projection_needs_what_a_zipf_law_lacks():
    source = source_from_zipf(1.1, 100)
    with pytest.raises(ValueError, match="--synthetic-fraction is required"):
        auditor.run_projection(source)
    with pytest.raises(ValueError, match="--tokens-per-generation is required"):
        auditor.run_projection(source, synthetic_fraction=0.1)
