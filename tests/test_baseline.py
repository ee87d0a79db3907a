"""The baseline file: versioned JSON, stable layout, clear errors, staleness."""

from __future__ import annotations

import json

import pytest

from auditor.baseline import ACCEPTED, REJECTED, SCHEMA, UNREVIEWED, Baseline, Finding, content_hash
from auditor.errors import ConfigError
from auditor.normalize import normalize

MODEL = {"name": "m", "sha256": "a" * 64}
SETTINGS = {"fail-above": 0.1, "threshold": 0.9, "model-sha256": "a" * 64}


def sample() -> Baseline:
    return Baseline(dict(MODEL), dict(SETTINGS), {
        "data/b.jsonl": {"f" * 64: Finding("b-1", 0.95, ACCEPTED)},
        "data/a.jsonl": {"e" * 64: Finding("a-2", 0.912345678), "d" * 64: Finding("a-1", 0.99, REJECTED)},
        "data/empty.jsonl": {},
    })


def test_round_trip_and_stable_sorted_layout(tmp_path):
    path = tmp_path / "baseline.json"
    sample().save(path)
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["schema"] == SCHEMA
    assert list(document["files"]) == ["data/a.jsonl", "data/b.jsonl"]  # sorted; files without findings left out
    assert list(document["files"]["data/a.jsonl"]) == ["d" * 64, "e" * 64]
    assert document["files"]["data/a.jsonl"]["e" * 64] == {"id": "a-2", "p_synthetic": 0.912346, "status": UNREVIEWED}
    loaded = Baseline.load(path)
    assert loaded.files["data/a.jsonl"]["d" * 64] == Finding("a-1", 0.99, REJECTED)
    loaded.save(path)
    assert path.read_text(encoding="utf-8") == text  # byte-identical after a round trip


def test_findings_order_and_counts():
    baseline = sample()
    assert [(key, finding.id) for key, _, finding in baseline.findings()] == [("data/a.jsonl", "a-1"), ("data/a.jsonl", "a-2"), ("data/b.jsonl", "b-1")]
    assert baseline.counts() == {UNREVIEWED: 1, ACCEPTED: 1, REJECTED: 1}
    baseline.with_status("data/a.jsonl", "e" * 64, REJECTED)
    assert baseline.counts() == {UNREVIEWED: 0, ACCEPTED: 1, REJECTED: 2}


def test_status_is_validated():
    with pytest.raises(ValueError, match="status must be one of unreviewed, accepted, rejected, not 'maybe'"):
        Finding("x", 0.5, "maybe")


def test_staleness_names_what_changed():
    baseline = sample()
    assert baseline.stale_reasons(MODEL, SETTINGS) == []
    other_model = {"name": "n", "sha256": "b" * 64}
    reasons = baseline.stale_reasons(other_model, {**SETTINGS, "threshold": 0.95, "model-sha256": "b" * 64})
    assert reasons == ["the model changed (m aaaaaaaaaaaa -> n bbbbbbbbbbbb)", "threshold changed (0.9 -> 0.95)"]
    assert baseline.stale_reasons(MODEL, {**SETTINGS, "method": "acc"}) == ['method changed (unset -> "acc")']


def test_content_hash_ignores_formatting_through_normalization():
    assert content_hash(normalize("Hello,\u00a0 world")) == content_hash(normalize("Hello, world"))
    assert content_hash(normalize("Hello, world")) != content_hash(normalize("Hello, world!"))
    assert len(content_hash("x")) == 64


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "auditor.baseline/1",\n "files": }', ":2: not valid JSON"),
        ('{"schema": "auditor.baseline/2", "files": {}}', "not an auditor baseline (schema 'auditor.baseline/2'"),
        ("[1, 2]", "not an auditor baseline (schema 'list'"),
        ('{"schema": "auditor.baseline/1", "model": {}, "settings": {}}', "malformed baseline (KeyError"),
        ('{"schema": "auditor.baseline/1", "model": {}, "settings": {}, "files": {"a": {"h": {"id": "x", "p_synthetic": 0.5, "status": "maybe"}}}}',
         "malformed baseline (ValueError: status must be one of"),
        ('{"schema": "auditor.baseline/1", "model": [], "settings": {}, "files": {}}', "malformed baseline (TypeError"),
    ],
)
def test_broken_baselines_are_refused_with_the_file_and_the_fix(tmp_path, content, message):
    path = tmp_path / ".auditor-baseline.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        Baseline.load(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)
    assert "'auditor baseline create --force'" in str(err.value)


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "baseline.json"
    sample().save(path)
    before = path.read_text(encoding="utf-8")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("pathlib.Path.write_text", fail)
    broken = sample()
    broken.files["data/c.jsonl"] = {"c" * 64: Finding("c", 0.9)}
    with pytest.raises(OSError, match="disk full"):
        broken.save(path)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.json"]
