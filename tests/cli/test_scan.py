"""``auditor scan`` via CliRunner: what it prints, its exit codes and its errors.

What a scan computes and writes (the output contract, scores, estimates) is tested in tests/pipeline/test_scan.py.
"""

import json

from click.testing import CliRunner

from auditor.cli import cli
from auditor.report.headline import GENERAL_STEP
from conftest import DOCSTRINGS, SAMPLE

MIXED = str(SAMPLE / "mixed.jsonl")
HUMAN = str(DOCSTRINGS / "human_stdlib_docstrings.jsonl")
MACHINE = str(DOCSTRINGS / "machine_docstrings.jsonl")


def run(args: list[str]):
    return CliRunner().invoke(cli, args)


def test_scan_cli(tmp_path, tiny_model_dir):
    out = tmp_path / "audit"
    result = CliRunner().invoke(cli, ["scan", MIXED, "--out", str(out), "--model", str(tiny_model_dir), "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines() if hasattr(result, "stderr") else result.output.splitlines()
    fraction = json.loads(result.stdout)["synthetic_fraction"]
    ci = f"95% CI {fraction['low']:.2f}-{fraction['high']:.2f}"
    if fraction["high"] - fraction["low"] > 0.3:  # the tiny model's cross-domain allowance widens it: no point estimate
        assert fraction["informative"] is False
        assert f"synthetic fraction: uninformative for this corpus ({ci}); {GENERAL_STEP}" in lines
    else:
        assert fraction["informative"] is True and f"synthetic fraction {fraction['estimate']:.2f} ({ci})" in lines
    assert json.loads(result.stdout)["documents"] == 303
    missing = CliRunner().invoke(cli, ["scan", MIXED, "--out", str(out), "--model", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "not an auditor model directory" in missing.output
    a_file = tmp_path / "file"
    a_file.write_text("x")
    clash = CliRunner().invoke(cli, ["scan", MIXED, "--out", str(a_file), "--model", str(tiny_model_dir)])
    assert clash.exit_code == 2


def test_fail_above_exits_1_after_writing_outputs(tmp_path, tiny_model_dir):
    base = ["scan", MACHINE, "--model", str(tiny_model_dir), "--quiet", "--threshold", "0"]
    over = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "a"), "--method", "cc", "--fail-above", "0.5"])
    assert over.exit_code == 1
    low = json.loads((tmp_path / "a" / "summary.json").read_text())["synthetic_fraction"]["low"]
    assert low > 0.5  # the hook's test: the interval's lower end, not the point
    assert over.output == f"synthetic fraction: the interval's lower end {low:.3f} is above --fail-above 0.5\n"
    assert (tmp_path / "a" / "summary.json").is_file() and (tmp_path / "a" / "documents.parquet").is_file()
    under = CliRunner().invoke(cli, [*base, "--out", str(tmp_path / "b"), "--method", "cc", "--fail-above", "1"])
    assert under.exit_code == 0 and under.output == ""


def test_option_and_input_mistakes_exit_2(tmp_path, tiny_model_dir):
    runner = CliRunner()
    base = ["scan", MIXED, "--model", str(tiny_model_dir)]
    nan = runner.invoke(cli, [*base, "--out", str(tmp_path / "a"), "--fail-above", "nan"])
    assert nan.exit_code == 2 and "is not a finite number" in nan.output
    lonely = runner.invoke(cli, [*base, "--out", str(tmp_path / "b"), "--known-threshold", "0.9"])
    assert lonely.exit_code == 2 and "--known-threshold needs --known-synthetic" in lonely.output
    tiny = runner.invoke(cli, ["index", "build", MACHINE, "--out", str(tmp_path / "idx"), "--num-perm", "2"])
    assert tiny.exit_code == 2 and "use --num-perm 16 or more" in tiny.output
    missing = runner.invoke(cli, [*base, "--out", str(tmp_path / "c"), "--reference-human", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and missing.output.startswith("error: --reference-human: ")
    same = runner.invoke(cli, [*base, "--out", str(tmp_path / "d"), "--reference-human", HUMAN, "--reference-machine", HUMAN])
    assert same.exit_code == 2 and "do not separate" in same.output


def test_an_out_directory_that_cannot_be_created_is_exit_2_saying_what_to_do(tmp_path, tiny_model_dir):
    (tmp_path / "a-file").write_text("not a directory")
    out = tmp_path / "a-file" / "audit"
    corpus = SAMPLE / "mixed.jsonl"
    result = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(out), "--model", str(tiny_model_dir), "--quiet"])
    assert result.exit_code == 2
    assert result.output == (f"error: --out {out}: cannot create the directory (Not a directory); check that its parent is "
                             "writable, or write elsewhere\n")


def test_scan_stderr_mentions_the_reports(tmp_path, tiny_model_dir):
    result = run(["scan", MIXED, "--out", str(tmp_path / "a"), "--model", str(tiny_model_dir)])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == f"wrote {tmp_path / 'a'}/documents.parquet, tokens.parquet, report.md, report.html and summary.json"
