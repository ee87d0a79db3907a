"""summary.json has exactly the shape auditor.summary declares: every block's keys and value types."""

from __future__ import annotations

import json
import types
import typing

import pytest

from auditor.summary import FingerprintSummary, ScanSummary
from conftest import SAMPLE


def _mismatches(value: object, hint: object, path: str) -> list[str]:
    """Where ``value`` (parsed JSON) departs from the type ``hint``: missing, unknown or mistyped keys."""
    origin = typing.get_origin(hint)
    if typing.is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, expected an object"]
        hints = typing.get_type_hints(hint)
        problems = [f"{path}.{key}: missing" for key in hint.__required_keys__ if key not in value]  # type: ignore[attr-defined]
        problems += [f"{path}.{key}: not declared" for key in value if key not in hints]
        for key, item in value.items():
            if key in hints:
                problems += _mismatches(item, hints[key], f"{path}.{key}")
        return problems
    if origin in (typing.Union, types.UnionType):
        options = [_mismatches(value, option, path) for option in typing.get_args(hint)]
        return [] if any(not found for found in options) else min(options, key=len)
    if hint is type(None):
        return [] if value is None else [f"{path}: {value!r}, expected null"]
    if hint is typing.Any:
        return []
    if origin is list:
        (item,) = typing.get_args(hint)
        return [f"{path}: expected a list"] if not isinstance(value, list) else [p for i, v in enumerate(value) for p in _mismatches(v, item, f"{path}[{i}]")]
    if origin is dict:
        _, item = typing.get_args(hint)
        return [f"{path}: expected an object"] if not isinstance(value, dict) else [p for k, v in value.items() for p in _mismatches(v, item, f"{path}.{k}")]
    expected = {float: (int, float), int: (int,), str: (str,), bool: (bool,)}[hint]  # JSON writes 1.0 as 1.0, but counts as ints
    if isinstance(value, bool) and hint is not bool:
        return [f"{path}: a boolean, expected {hint.__name__}"]
    return [] if isinstance(value, expected) else [f"{path}: {type(value).__name__}, expected {hint.__name__}"]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, tiny_model_dir):
    from auditor.pipeline.scan import ScanOptions, scan

    out = tmp_path_factory.mktemp("scan")
    index = tmp_path_factory.mktemp("index")
    from auditor.cli import cli
    from click.testing import CliRunner

    assert CliRunner().invoke(cli, ["index", "build", str(SAMPLE / "machine_python_docs.jsonl"), "--out", str(index)]).exit_code == 0
    result = scan([str(SAMPLE / "mixed.jsonl")], out, ScanOptions(model=str(tiny_model_dir), known_synthetic=str(index)))
    return out, result


def test_a_scan_summary_on_disk_has_the_declared_shape(scanned):
    out, result = scanned
    on_disk = json.loads((out / "summary.json").read_text())
    assert _mismatches(on_disk, ScanSummary, "summary") == []
    assert on_disk == json.loads(json.dumps(result.summary))  # the returned summary is what was written
    assert on_disk["known_synthetic"]["matched"] > 0  # the optional block was filled in and checked


def test_the_fingerprint_table_metadata_has_the_declared_shape(tmp_path):
    from auditor.corpus.runner import fingerprint, read_metadata

    fingerprint([str(SAMPLE / "mixed.jsonl")], out=tmp_path / "fp.parquet")
    assert _mismatches(read_metadata(tmp_path / "fp.parquet"), FingerprintSummary, "metadata") == []


def test_the_shape_check_finds_a_missing_an_unknown_and_a_mistyped_key(scanned):
    out, _ = scanned
    summary = json.loads((out / "summary.json").read_text())
    del summary["flagged"]["count"]
    summary["posterior"]["extra"] = 1
    summary["documents"] = "683"
    assert sorted(_mismatches(summary, ScanSummary, "summary")) == [
        "summary.documents: str, expected int", "summary.flagged.count: missing", "summary.posterior.extra: not declared"]
