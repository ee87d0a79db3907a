"""The shipped sample: the quick start's input reads cleanly and its planted near-duplicates are found."""

import json
from pathlib import Path

import auditor

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


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
    for name, label in [("human_stdlib_docstrings.jsonl", "human"), ("machine_docstrings.jsonl", "machine")]:
        for line in (SAMPLE / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert record["label"] == label
            assert record["source"] and record["text"].strip()
