"""auditor scan: output contract, scores, formatting invariance, the shipped model.

The command's output and exit codes are tested in tests/cli/test_scan.py.
"""

import hashlib
import dataclasses
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.cli import cli
from auditor.detector.scorer import default_model_path, load_detector
from auditor.features.stats import compute_stats
from auditor.features.tokens import tokenize_batch
from auditor.normalize import normalize
from auditor.pipeline.scan import ScanOptions, scan
from conftest import DOCSTRINGS, SAMPLE

MIXED = str(SAMPLE / "mixed.jsonl")
SUMMARY_KEYS = {"schema", "tool", "model", "documents", "skipped", "synthetic_fraction", "flagged", "near_duplicates", "fingerprint", "projection"}


def test_scan_writes_the_contract(tmp_path, tiny_model_dir):
    result = scan([MIXED], tmp_path / "out", ScanOptions(model=str(tiny_model_dir)))
    table = pq.read_table(tmp_path / "out" / "documents.parquet")
    assert table.column_names[:6] == ["source", "row", "record", "id", "p_synthetic", "flagged"]
    assert table.column_names[-2:] == ["dup_cluster", "row_in_file"]  # added columns go last
    assert {"dup_cluster", "compression_ratio", "minhash"} <= set(table.column_names)
    assert table.num_rows == 303 and table.column("row").to_pylist() == list(range(303))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary) and summary == json.loads(json.dumps(result.summary))
    assert summary["schema"] == "auditor.summary/1"
    assert summary["model"]["arrays_sha256"] == hashlib.sha256((tiny_model_dir / "model.npz").read_bytes()).hexdigest()
    canonical = json.dumps(json.loads((tiny_model_dir / "model.json").read_text()), sort_keys=True, separators=(",", ":"))
    assert summary["model"]["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    p = np.array(table.column("p_synthetic").to_pylist())
    threshold = summary["flagged"]["threshold"]
    assert ((p >= 0) & (p <= 1)).all()
    assert table.column("flagged").to_pylist() == (p >= threshold).tolist()
    fraction = summary["synthetic_fraction"]
    assert summary["flagged"]["count"] == int((p >= threshold).sum())
    assert fraction["method"] == "em" and set(fraction["other_methods"]) == {"acc", "cc"}
    assert fraction["other_methods"]["cc"]["estimate"] == pytest.approx((p >= threshold).mean())
    for block in (fraction, *fraction["other_methods"].values(), *fraction["by_source"].values()):
        assert 0.0 <= block["low"] <= block["estimate"] <= block["high"] <= 1.0 and block["confidence"] == 0.95
    assert list(fraction["by_source"]) == [MIXED] and fraction["by_source"][MIXED]["estimate"] == fraction["estimate"]
    assert fraction["reference"]["human"] == {"source": "model validation (tiny, held-out human documents)", "documents": 300}
    assert summary["near_duplicates"]["clusters"] >= 3  # the planted near-duplicates


def test_threshold_override_and_identical_reruns(tmp_path, tiny_model_dir):
    scan([MIXED], tmp_path / "a", ScanOptions(model=str(tiny_model_dir), threshold=0.0))
    scan([MIXED], tmp_path / "b", ScanOptions(model=str(tiny_model_dir), threshold=0.0))
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["flagged"] == {"threshold": 0.0, "count": 303}
    for name in ("summary.json", "documents.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


WORDS = ["the", "model", "writes", "text", "that", "reads", "well", "data", "of", "it's", "clear", "and"]


@st.composite
def documents(draw):
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=120))
    ends = draw(st.lists(st.sampled_from(["", "", ".", ",", "!", "'"]), min_size=len(words), max_size=len(words)))
    return [w + e for w, e in zip(words, ends)]


@settings(max_examples=40, deadline=None)
@given(documents(), st.data())
def test_scores_invariant_to_formatting(tiny_model_dir, words, data):
    detector = load_detector(tiny_model_dir)
    plain = " ".join(words)
    layout = [data.draw(st.sampled_from([" ", "\n", "\n\n", "  \t", " \u200b"])) for _ in words[1:]]
    messy = "".join(w + sep for w, sep in zip(words, layout)) + words[-1] if len(words) > 1 else "\n" + words[0] + "\n\n"
    messy = messy.replace("'", data.draw(st.sampled_from(["'", "\u2019"])))

    def score(text):
        texts = [normalize(text)]
        tokens = tokenize_batch(texts)
        return detector.score(texts, tokens, compute_stats(texts, tokens))[0]

    assert score(messy) == pytest.approx(score(plain), abs=1e-12)


@pytest.mark.skipif(not (default_model_path() / "model.json").is_file(), reason="shipped model not present")
def test_shipped_model_loads_and_scores_sample_data(tmp_path):
    detector = load_detector()
    assert detector.name.startswith("auditor-default")
    result = scan([str(Path(MIXED).parent)], tmp_path / "audit", ScanOptions(), detector=detector)
    table = pq.read_table(tmp_path / "audit" / "documents.parquet")
    assert table.num_rows == result.summary["documents"] == 683
    p = np.array(table.column("p_synthetic").to_pylist())
    assert np.isfinite(p).all() and ((p >= 0) & (p <= 1)).all()


HUMAN = str(DOCSTRINGS / "human_stdlib_docstrings.jsonl")
MACHINE = str(DOCSTRINGS / "machine_docstrings.jsonl")


def test_references_and_per_source_breakdown(tmp_path, tiny_model_dir):
    result = CliRunner().invoke(cli, ["scan", HUMAN, MACHINE, "--out", str(tmp_path / "o"), "--model", str(tiny_model_dir),
                                      "--reference-human", HUMAN, "--reference-machine", MACHINE, "--quiet"])
    assert result.exit_code == 0, result.output
    fraction = json.loads((tmp_path / "o" / "summary.json").read_text())["synthetic_fraction"]
    none = {"total": 0, "by_reason": {}}
    assert fraction["reference"] == {"human": {"source": HUMAN, "documents": 300, "skipped": none}, "machine": {"source": MACHINE, "documents": 80, "skipped": none},
                                     "assumption": "the human and machine references are samples of this corpus's own kind"}
    assert list(fraction["by_source"]) == [HUMAN, MACHINE]
    # The references are these very documents, so the mixture fits them: 80 of 380 are machine.
    assert fraction["estimate"] == pytest.approx(80 / 380, abs=0.03)
    assert fraction["by_source"][HUMAN]["estimate"] < 0.05 and fraction["by_source"][MACHINE]["estimate"] > 0.9
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"text": "only one"}\n')
    bad = CliRunner().invoke(cli, ["scan", HUMAN, "--out", str(tmp_path / "p"), "--model", str(tiny_model_dir), "--reference-human", str(empty)])
    assert bad.exit_code == 2 and "a reference needs at least 2" in bad.output


def test_a_failed_rerun_never_leaves_a_stale_summary(tmp_path, tiny_model_dir):
    out = tmp_path / "o"
    assert CliRunner().invoke(cli, ["scan", MIXED, "--out", str(out), "--model", str(tiny_model_dir)]).exit_code == 0
    assert (out / "summary.json").is_file()
    failed = CliRunner().invoke(cli, ["scan", MIXED, "--out", str(out), "--model", str(tiny_model_dir),
                                      "--reference-human", HUMAN, "--reference-machine", HUMAN])
    assert failed.exit_code == 2
    assert not (out / "summary.json").exists()


def test_interval_carries_the_models_cross_domain_error_without_an_in_domain_reference(tmp_path, tiny_model_dir):
    p90 = json.loads((tiny_model_dir / "model.json").read_text())["validation"]["estimation_error"]["p90_abs"]
    assert 0.0 <= p90 <= 1.0
    plain = scan([MIXED], tmp_path / "a", ScanOptions(model=str(tiny_model_dir))).summary["synthetic_fraction"]
    calibrated = scan([MIXED], tmp_path / "b", ScanOptions(model=str(tiny_model_dir), reference_human=(HUMAN,))).summary["synthetic_fraction"]
    assert plain["domain_mismatch_allowance"] == p90 and calibrated["domain_mismatch_allowance"] == 0.0
    detector = load_detector(tiny_model_dir)
    from auditor.estimate.references import build_estimator

    estimator = build_estimator(detector, detector.threshold, "em")
    assert estimator.setting == "none" and estimator.allowance == p90
    scores = np.array(pq.read_table(tmp_path / "a" / "documents.parquet").column("p_synthetic").to_pylist())
    inner = dataclasses.replace(estimator, allowance=0.0).estimate(scores)  # the union of the plausible pairs' intervals
    assert plain["low"] == pytest.approx(max(0.0, inner.low - p90)) and plain["high"] == pytest.approx(min(1.0, inner.high + p90))


def test_per_source_estimates_use_a_lighter_bootstrap_and_one_source_is_the_overall(tmp_path, tiny_model_dir):
    from auditor.estimate.references import PER_SOURCE_BOOTSTRAP, build_estimator, estimate_fraction

    detector = load_detector(tiny_model_dir)
    one = scan([HUMAN], tmp_path / "one", ScanOptions(model=str(tiny_model_dir))).summary["synthetic_fraction"]
    assert {k: one["by_source"][HUMAN][k] for k in ("estimate", "low", "high")} == {k: one[k] for k in ("estimate", "low", "high")}
    two = scan([HUMAN, MACHINE], tmp_path / "two", ScanOptions(model=str(tiny_model_dir))).summary["synthetic_fraction"]
    scores = np.array(pq.read_table(tmp_path / "two" / "documents.parquet").column("p_synthetic").to_pylist())
    light = build_estimator(detector, detector.threshold, "em").with_bootstrap(PER_SOURCE_BOOTSTRAP)
    assert light.primary.bootstrap == PER_SOURCE_BOOTSTRAP and all(a.bootstrap == PER_SOURCE_BOOTSTRAP for a in light.alternatives)
    machine_rows = slice(300, 380)  # HUMAN's 300 documents come first
    assert two["by_source"][MACHINE] == estimate_fraction(light, scores[machine_rows])
