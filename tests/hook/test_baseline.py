"""The baseline file: versioned JSON, stable layout, clear errors, staleness."""

from __future__ import annotations

import json

import pytest

from auditor.hook.baseline import ACCEPTED, REJECTED, SCHEMA, UNREVIEWED, Baseline, Finding, content_hash
from auditor.hook.settings import RECORDED_SETTINGS, HookSettings
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


HASH = "0" * 64


def baseline_json(**changes: object) -> str:
    """A valid baseline document with ``changes`` applied at the top level (None removes a key)."""
    document = {"schema": SCHEMA, "tool": {"name": "auditor", "version": "0.1.0"}, "model": dict(MODEL), "settings": dict(SETTINGS),
                "files": {"a.jsonl": {HASH: {"id": "x", "p_synthetic": 0.5, "status": "accepted"}}}}
    document.update(changes)
    return json.dumps({key: value for key, value in document.items() if value is not None})


def finding(**changes: object) -> dict:
    return {"a.jsonl": {HASH: {"id": "x", "p_synthetic": 0.5, "status": "accepted", **changes}}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "auditor.baseline/1",\n "files": }', ":2: not valid JSON"),
        ('{"schema": "auditor.baseline/2", "files": {}}', "not an auditor baseline (schema 'auditor.baseline/2'"),
        ("[1, 2]", "not an auditor baseline (schema 'list'"),
        (baseline_json(files=None), "malformed baseline (the top level has no 'files')"),
        (baseline_json(files=finding(status="maybe")), f"malformed baseline (files['a.jsonl']['{HASH}']: status must be one of"),
        (baseline_json(model=[]), "malformed baseline ('model' must be an object, got list)"),
        # Unknown keys and content hashes that are not hashes (issue 17, item 11): refused, naming them.
        (baseline_json(extra=1), "malformed baseline (unknown key 'extra' in the top level"),
        (baseline_json(tool={"name": "auditor", "versoin": "1"}), "malformed baseline (unknown key 'versoin' in 'tool'"),
        (baseline_json(model={**MODEL, "note": "x"}), "malformed baseline (unknown key 'note' in 'model'"),
        (baseline_json(settings={**SETTINGS, "fail_above": 0.5}), "malformed baseline (unknown key 'fail_above' in 'settings'"),
        (baseline_json(files=finding(reviewer="me")), f"malformed baseline (unknown key 'reviewer' in files['a.jsonl']['{HASH}']"),
        (baseline_json(files={"a.jsonl": {"not-a-hash": {"id": "x", "p_synthetic": 0.5, "status": "accepted"}}}),
         "malformed baseline (files['a.jsonl']['not-a-hash']: the key must be a content hash, a SHA-256 (64 lowercase hexadecimal"),
        (baseline_json(files={"a.jsonl": {"A" * 64: {"id": "x", "p_synthetic": 0.5, "status": "accepted"}}}), "the key must be a content hash"),
        (baseline_json(files=finding(p_synthetic="0.5")), ".p_synthetic must be a number in [0, 1], got '0.5'"),
        (baseline_json(files=finding(p_synthetic=True)), ".p_synthetic must be a number in [0, 1], got True"),
        (baseline_json(files=finding(id=7)), ".id must be a string, got 7"),
        (baseline_json(files={"a.jsonl": []}), "malformed baseline (files['a.jsonl'] must be an object, got list)"),
        (baseline_json(model={"name": "m", "sha256": "xyz"}), "malformed baseline (model.sha256 must be a SHA-256"),
    ],
    ids=["bad-json", "other-schema", "a-list", "no-files", "bad-status", "model-a-list", "unknown-top-key", "unknown-tool-key",
         "unknown-model-key", "unknown-setting", "unknown-finding-key", "hash-not-hex", "hash-upper-case", "score-a-string",
         "score-a-boolean", "id-a-number", "entries-a-list", "model-hash-not-hex"],
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


def test_a_baseline_accepts_exactly_the_settings_a_hook_records(tmp_path):
    assert set(HookSettings(root=tmp_path).recorded("a" * 64, 0.5, {})) == RECORDED_SETTINGS
