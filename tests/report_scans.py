"""Scans the report tests render: a corpus planted with hostile names and text, and sample_data's mixed.jsonl.

Shared by tests/report (report.md, report.html, the browser check) and tests/cli/test_report.py
(``auditor report``); the ``mixed_scan`` fixture reaches them through tests/report/conftest.py and
tests/cli/conftest.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from conftest import DOCSTRINGS, SAMPLE

MIXED = str(SAMPLE / "mixed.jsonl")
SCRIPT = "<script>alert(1)</script>"
EVIL_ID = f"{SCRIPT} | pipe | [link](x) *bold*"
EVIL_TEXT = (f"{SCRIPT} | pipe | then <img src=x onerror=\"window.__pwned=2\"> and "
             "<script>window.__pwned = 1; document.title = 'PWNED'</script> with more words to read here.")
EVIL_SOURCE = "pipe|src<b>bold.jsonl"


def run(args: list[str]):
    return CliRunner().invoke(cli, args)


def planted_corpus(directory: Path) -> list[str]:
    """A small corpus: one file with a hostile name, id and text, and an ordinary file."""
    directory.mkdir(parents=True, exist_ok=True)
    ordinary = [json.loads(line) for line in (DOCSTRINGS / "human_stdlib_docstrings.jsonl").read_text(encoding="utf-8").splitlines()[:3]]
    evil = directory / EVIL_SOURCE
    evil.write_text(json.dumps({"id": EVIL_ID, "text": EVIL_TEXT}) + "\n" + json.dumps(ordinary[0]) + "\n", encoding="utf-8")
    plain = directory / "plain.jsonl"
    plain.write_text("".join(json.dumps(record) + "\n" for record in ordinary[1:]), encoding="utf-8")
    return [str(evil), str(plain)]


def scan_to(out: Path, paths: list[str], model: Path, *extra: str) -> dict:
    result = run(["scan", *paths, "--out", str(out), "--model", str(model), *extra])
    assert result.exit_code == 0, result.output
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mixed_scan(tmp_path_factory, tiny_model_dir) -> Path:
    out = tmp_path_factory.mktemp("mixed") / "audit"
    scan_to(out, [MIXED], tiny_model_dir)
    return out
