"""``auditor report``: re-rendering a scan's report.md and report.html, its options, and exact errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from report_scans import run


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_rerender_is_byte_identical(mixed_scan, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(mixed_scan, copy)
    (copy / "report.md").unlink()
    (copy / "report.html").unlink()
    result = run(["report", str(copy / "summary.json")])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {copy / 'report.md'}, {copy / 'report.html'}\n"
    for name in ("report.md", "report.html"):
        assert (copy / name).read_bytes() == (mixed_scan / name).read_bytes(), name


def test_report_md_and_html_flags(mixed_scan, tmp_path):
    md, html = tmp_path / "comment.md", tmp_path / "page.html"
    result = run(["report", str(mixed_scan / "summary.json"), "--md", str(md), "--html", str(html)])
    assert result.exit_code == 0, result.output
    assert md.read_bytes() == (mixed_scan / "report.md").read_bytes()
    assert html.read_bytes() == (mixed_scan / "report.html").read_bytes()
    only = tmp_path / "only.md"
    result = run(["report", str(mixed_scan / "summary.json"), "--md", str(only)])
    assert result.exit_code == 0 and result.stderr == f"wrote {only}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comment.md", "only.md", "page.html"]


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda d: d / "missing.json", "missing.json: no such file; pass the summary.json written by 'auditor scan --out DIR'"),
        (lambda d: d, "is a directory; pass the summary.json inside it"),
        (lambda d: write(d / "summary.json", "{\n  oops"), "summary.json:2: not valid JSON"),
        (lambda d: write(d / "summary.json", '{"schema": "other/1"}'), "not an auditor scan summary"),
        (lambda d: write(d / "summary.json", '{"schema": "auditor.summary/1", "documents": 1}'), "the summary has no synthetic_fraction, flagged"),
    ],
)
def test_report_errors_on_bad_summaries(tmp_path, setup, message):
    result = run(["report", str(setup(tmp_path))])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.output


def test_report_errors_on_missing_or_bad_documents(mixed_scan, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(mixed_scan, copy)
    (copy / "documents.parquet").unlink()
    result = run(["report", str(copy / "summary.json")])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {copy / 'documents.parquet'}: documents table not found (named by {copy / 'summary.json'}); "
                             "keep the scan's output files together or re-run 'auditor scan'\n")
    assert run(["report", str(copy / "summary.json"), "--md", str(tmp_path / "ok.md")]).exit_code == 0  # Markdown needs no table
    (copy / "documents.parquet").write_bytes(b"not parquet")
    result = run(["report", str(copy / "summary.json")])
    assert result.exit_code == 2 and "cannot read the documents table" in result.stderr
    summary = json.loads((copy / "summary.json").read_text(encoding="utf-8"))
    del summary["outputs"]
    write(copy / "summary.json", json.dumps(summary))
    result = run(["report", str(copy / "summary.json")])
    assert result.exit_code == 2 and "names no documents table (outputs.documents)" in result.stderr


def test_report_errors_on_bad_output_paths(mixed_scan, tmp_path):
    summary = str(mixed_scan / "summary.json")
    result = run(["report", summary, "--html", str(tmp_path / "no" / "such" / "report.html")])
    assert result.exit_code == 2
    assert result.stderr == f"error: --html {tmp_path / 'no' / 'such' / 'report.html'}: directory {tmp_path / 'no' / 'such'} does not exist; create it or choose another path\n"
    result = run(["report", summary, "--md", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory; pass a file name" in result.stderr
    assert run(["report"]).exit_code == 2
    assert run(["report", summary, "--bogus"]).exit_code == 2


def test_report_debug_reraises(tmp_path):
    result = run(["report", str(tmp_path / "missing.json"), "--debug"])
    assert result.exit_code == 1 and result.exception is not None and type(result.exception).__name__ == "InputError"


def test_report_refuses_to_overwrite_its_inputs(tmp_path):
    import json as _json

    from click.testing import CliRunner

    from auditor.cli import cli

    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(_json.dumps({"text": f"Document number {i} says something plain about the weather."}) + "\n" for i in range(25)))
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(out), "--quiet"]).exit_code == 0
    summary = out / "summary.json"
    before = summary.read_bytes()
    for args in (["--md", str(summary)], ["--html", str(out / "documents.parquet")], ["--md", str(tmp_path / "x"), "--html", str(tmp_path / "x")]):
        result = CliRunner().invoke(cli, ["report", str(summary), *args])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: --")
    assert summary.read_bytes() == before
