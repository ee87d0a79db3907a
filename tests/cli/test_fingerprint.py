"""``auditor fingerprint`` via CliRunner: exact exit codes and messages."""

import json

import pyarrow.parquet as pq
from click.testing import CliRunner

from auditor.cli import cli


def run(args):
    return CliRunner().invoke(cli, args)


def corpus(tmp_path, lines):
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = [json.dumps({"text": f"document number {i} has a few words in it."}) for i in range(5)]


def test_fingerprint_success(tmp_path):
    path = corpus(tmp_path, GOOD + ["not json", json.dumps({"body": "x"})])
    out = tmp_path / "fp.parquet"
    result = run(["fingerprint", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("fingerprinted 5 documents")
    assert lines[1] == "skipped 2 records: invalid_json 1, missing_text 1"
    assert lines[2].startswith(f"  {path}:6: invalid_json: ")
    assert lines[3].startswith(f"  {path}:7: missing_text: ")
    assert lines[4] == "near-duplicates: 0 clusters holding 0 documents (0.0%) at Jaccard >= 0.8"
    assert lines[5] == f"wrote {out}"
    assert result.stdout == ""
    assert pq.read_table(out).num_rows == 5


def test_json_goes_to_stdout_only(tmp_path):
    path = corpus(tmp_path, GOOD)
    result = run(["fingerprint", str(path), "--out", str(tmp_path / "fp.parquet"), "--json", "--quiet"])
    assert result.exit_code == 0
    assert result.stderr == ""
    summary = json.loads(result.stdout)
    assert summary["schema"] == "auditor.fingerprint/1"
    assert summary["documents"] == 5


def test_strict_turns_first_bad_record_into_exit_2(tmp_path):
    path = corpus(tmp_path, GOOD + ["not json"])
    result = run(["fingerprint", str(path), "--out", str(tmp_path / "fp.parquet"), "--strict"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}:6: invalid_json")
    assert not (tmp_path / "fp.parquet").exists()


def test_missing_input_is_exit_2_without_traceback(tmp_path):
    result = run(["fingerprint", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "fp.parquet")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "nope.jsonl" in result.stderr
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped exception


def test_no_documents_is_exit_2(tmp_path):
    path = corpus(tmp_path, [json.dumps({"body": "no text field"})])
    result = run(["fingerprint", str(path), "--out", str(tmp_path / "fp.parquet")])
    assert result.exit_code == 2
    assert "no documents" in result.stderr
    assert "--text-field" in result.stderr


def test_missing_output_directory_is_exit_2(tmp_path):
    path = corpus(tmp_path, GOOD)
    result = run(["fingerprint", str(path), "--out", str(tmp_path / "missing" / "fp.parquet")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_usage_errors_exit_2(tmp_path):
    assert run(["fingerprint"]).exit_code == 2
    assert run(["fingerprint", "x.jsonl"]).exit_code == 2  # --out missing
    assert run(["fingerprint", "x.jsonl", "--out", "o.parquet", "--format", "xml"]).exit_code == 2
    assert run(["fingerprint", "x.jsonl", "--out", "o.parquet", "--dup-threshold", "0"]).exit_code == 2


def test_unindexable_threshold_is_exit_2_naming_the_options(tmp_path):
    path = corpus(tmp_path, GOOD)
    result = run(["fingerprint", str(path), "--out", str(tmp_path / "fp.parquet"), "--dup-threshold", "1"])
    assert result.exit_code == 2
    assert "lower --dup-threshold or raise --num-perm" in result.stderr


def test_output_that_is_an_input_is_refused(tmp_path):
    path = corpus(tmp_path, GOOD)
    before = path.read_bytes()
    result = run(["fingerprint", str(path), "--out", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"error: --out {path} is also one of the inputs: choose an output path outside the corpus\n"
    assert path.read_bytes() == before


def test_dup_threshold_without_near_duplicates_is_refused(tmp_path):
    result = run(["fingerprint", "sample_data/mixed.jsonl", "--out", str(tmp_path / "f.parquet"), "--no-near-duplicates", "--dup-threshold", "0.9"])
    assert result.exit_code == 2
    assert "--dup-threshold has no effect with --no-near-duplicates" in result.output
    assert not (tmp_path / "f.parquet").exists()
