"""The shipped sample: the quick start's input reads cleanly and its planted near-duplicates are found."""

import json

import auditor
from conftest import DOCSTRINGS, SAMPLE


def test_mixed_sample_counts_and_planted_near_duplicates():
    records = [json.loads(line) for line in (SAMPLE / "mixed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 303
    assert sum(r["label"] == "machine" for r in records) == 60
    planted = {r["id"]: r["planted_near_duplicate_of"] for r in records if "planted_near_duplicate_of" in r}
    assert len(planted) == 3

    result = auditor.fingerprint([str(SAMPLE / "mixed.jsonl")])
    frame = result.frame
    assert result.summary["documents"] == 303
    assert result.summary["skipped"]["total"] == 0
    cluster_of = dict(zip(frame["id"], frame["dup_cluster"]))
    clustered = {doc_id for doc_id, c in cluster_of.items() if c == c}  # not NaN
    assert clustered == set(planted) | set(planted.values())
    for copy, original in planted.items():
        assert cluster_of[copy] == cluster_of[original]


def test_sample_sources_have_provenance_fields():
    for path, label in [(SAMPLE / "human_python_docs.jsonl", "human"), (SAMPLE / "machine_python_docs.jsonl", "machine"),
                        (DOCSTRINGS / "human_stdlib_docstrings.jsonl", "human"), (DOCSTRINGS / "machine_docstrings.jsonl", "machine")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert record["label"] == label
            assert record["source"] and record["text"].strip()


def test_the_quick_start_answer_holds_the_truth(tmp_path):
    """`auditor scan sample_data/` with the shipped model: every file's interval holds its true machine share."""
    from auditor.detector.scorer import load_detector
    from auditor.pipeline.scan import ScanOptions, scan

    truth = {"human_python_docs.jsonl": 0.0, "machine_python_docs.jsonl": 1.0, "mixed.jsonl": 60 / 303}
    result = scan([str(SAMPLE)], tmp_path / "audit", ScanOptions(), detector=load_detector())
    fraction = result.summary["synthetic_fraction"]
    overall = 140 / 683
    assert fraction["low"] <= overall <= fraction["high"] and abs(fraction["estimate"] - overall) < 0.1
    for name, share in truth.items():
        row = fraction["by_source"][str(SAMPLE / name)]
        assert row["low"] <= share <= row["high"] and abs(row["estimate"] - share) < 0.1, (name, row)
