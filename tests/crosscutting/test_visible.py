"""Text shown to people (terminal lines, errors, report.md, report.html) never carries raw control,
bidi or separator characters: one escaping, :func:`auditor.visible.visible`, everywhere."""

from __future__ import annotations

import ast
import json
import re
import shutil
import unicodedata
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from auditor.cli import cli
from auditor.visible import visible
from conftest import ROOT

# ESC sequence, CR, LF and a right-to-left override: each would recolour, rewrite or reorder a line.
NAME = "a\x1b[31mb\rc\nd\u202ee"
SHOWN = "a\\x1b[31mb\\rc\\nd\\u202ee"
RAW = ("\x1b", "\r", "\u202e")
HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def reveal(shown: str) -> str:
    """The inverse of :func:`visible` on text without backslashes (the tests' proof that two such strings never look the same)."""
    short = {"t": "\t", "n": "\n", "r": "\r"}
    return re.sub(r"\\(?:([tnr])|x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8}))",
                  lambda m: short[m[1]] if m[1] else chr(int(m[2] or m[3] or m[4], 16)), shown)


def test_visible_shows_controls_bidi_and_separators():
    assert visible(NAME) == SHOWN
    assert visible("tab\there\x00\x7f\x85\x9b") == "tab\\there\\x00\\x7f\\x85\\x9b"
    assert visible("\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c") == (
        "\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c")
    assert visible("line\u2028para\u2029") == "line\\u2028para\\u2029"
    assert visible("tag\U000e0041 \udc80") == "tag\\U000e0041 \\udc80"  # tag character, surrogate-escaped byte
    assert visible("C:\\data\\x.txt \\alpha") == "C:\\data\\x.txt \\alpha"  # backslashes read as typed
    assert visible("caf\u00e9 \u0928\u092e\u0938\u094d\u0924\u0947 \u05e9\u05dc\u05d5\u05dd \U0001f600") == (
        "caf\u00e9 \u0928\u092e\u0938\u094d\u0924\u0947 \u05e9\u05dc\u05d5\u05dd \U0001f600")  # text stays text
    assert visible("one\ntwo\tthree\r", keep_newlines=True) == "one\ntwo\tthree\\r"


@given(st.text())
def test_visible_never_lets_a_hidden_character_through_and_is_reversible(text):
    shown = visible(text)
    assert not any(unicodedata.category(c) in HIDDEN for c in shown)
    if "\\" not in text:
        assert reveal(shown) == text


@given(st.text(alphabet=st.sampled_from(list("abxu01fe\n\t\r \x1b\x00\x7f\x85\u202e\u2066\u200f\u2028\u00e9"))))
def test_visible_is_injective_on_lookalike_input(text):
    # The alphabet mixes raw controls with the characters their escapes are spelled with.
    assert reveal(visible(text)) == text
    kept = visible(text, keep_newlines=True)
    assert not any(unicodedata.category(c) in HIDDEN for c in kept.replace("\n", "").replace("\t", ""))
    assert reveal(kept) == text


@given(st.text())
def test_visible_is_idempotent(text):
    # Text shown once (a table of escaped cells, a message naming an escaped path) can pass through again unchanged.
    assert visible(visible(text)) == visible(text)


def test_every_cli_line_goes_through_the_escaping():
    # Only auditor/cli/output.py may call click.echo (echo: escaped; echo_json: JSON; the progress
    # line: numbers only).
    for path in sorted((ROOT / "auditor" / "cli").glob("*.py")):
        if path.name == "output.py":
            continue
        calls = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Attribute) and node.attr in ("echo", "secho") and getattr(node.value, "id", "") == "click"]
        assert not calls, f"{path.name}:{calls[0].lineno} prints with click.echo: use auditor.cli.output.echo"


def test_metrics_table_shows_group_names_escaped():
    from auditor.detector.metrics import metrics_table

    figures = {"human": 1, "machine": 1, "auroc": 0.5, "tpr_at_fpr_1pct": None, "tpr_at_fpr_5pct": None,
               "fpr_at_threshold": 0.0, "tpr_at_threshold": 1.0}
    table = metrics_table({"overall": figures, "by_group": {NAME: figures}}, group_title="source")
    lines = table.splitlines()
    assert len(lines) == 3 and lines[1].startswith(SHOWN + "  ")  # one line per group, columns aligned
    assert not any(raw in table for raw in RAW)


def _corpus(path: Path) -> Path:
    lines = (ROOT / "sample_data" / "mixed.jsonl").read_text(encoding="utf-8").splitlines()[:20]
    records = [json.loads(line) for line in lines]
    for record in records:  # whichever documents the report lists, their ids carry the hostile name
        record["id"] = f"id{NAME}"
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "not json\n", encoding="utf-8")
    return path


def _model(path: Path) -> Path:
    shutil.copytree(ROOT / "models" / "default", path)
    meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
    meta["name"] = f"n{NAME}"  # the arrays' hash does not cover the name
    (path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    return path


def _clean(output: str) -> list[str]:
    assert not any(raw in output for raw in RAW), repr(output)
    return output.splitlines()


def test_scan_shows_file_model_and_output_names_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data, model = _corpus(Path(f"{NAME}.jsonl")), _model(Path(f"m{NAME}"))
    result = CliRunner().invoke(cli, ["scan", str(data), "--model", str(model), "--threshold", "0", "--out", f"o{NAME}", "--json"])
    assert result.exit_code == 0, result.output
    lines = _clean(result.stderr)
    assert lines[0].endswith(f" with model n{SHOWN}")
    assert f"  {SHOWN}.jsonl:21: invalid_json: Expecting value at column 1" in lines
    assert lines[-1] == f"wrote o{SHOWN}/documents.parquet, tokens.parquet, report.md, report.html and summary.json"
    out = Path(f"o{NAME}")
    # JSON keeps the exact strings (JSON escapes them itself).
    assert json.loads(result.stdout)["inputs"] == [f"{NAME}.jsonl"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["inputs"] == [f"{NAME}.jsonl"] and summary["model"]["name"] == f"n{NAME}"
    # report.md: escaped, then escaped for Markdown (each backslash doubled, "[" escaped).
    md_name = "a\\\\x1b\\[31mb\\\\rc\\\\nd\\\\u202ee"
    md = (out / "report.md").read_text(encoding="utf-8")
    _clean(md)
    assert f"| id{md_name} | {md_name}.jsonl | " in md
    assert f"model n{md_name} (sha256 " in md
    assert f"  - {md_name}.jsonl:21: invalid\\_json: Expecting value at column 1" in md
    # report.html: escaped, then HTML-escaped (which leaves these characters alone).
    page = (out / "report.html").read_text(encoding="utf-8").replace("<wbr>", "")  # paths and ids: a break hint after separators
    _clean(page)
    assert f'<td class="id">id{SHOWN}</td><td class="src">{SHOWN}.jsonl</td>' in page
    assert f"model n{SHOWN} (sha256 " in page and f"documents from {SHOWN}.jsonl</p>" in page
    assert f"<li><code>{SHOWN}.jsonl:21</code>: invalid_json: Expecting value at column 1</li>" in page


def test_report_html_excerpts_keep_line_breaks_and_show_the_rest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "c.jsonl"
    data.write_text(json.dumps({"id": "x", "text": "first line\nsecond\x1b[2J line\u202e here, and more words to score."}) + "\n",
                    encoding="utf-8")
    assert CliRunner().invoke(cli, ["scan", str(data), "--threshold", "0", "--out", "o"]).exit_code == 0
    page = Path("o/report.html").read_text(encoding="utf-8")
    assert '<td class="text">first line\nsecond\\x1b[2J line\\u202e here, and more words to score.</td>' in page
    md = Path("o/report.md").read_text(encoding="utf-8")
    assert "| first line second\\\\x1b\\[2J line\\\\u202e here, and more words to score. |" in md


def test_fingerprint_shows_file_and_output_names_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _corpus(Path(f"{NAME}.jsonl"))
    result = CliRunner().invoke(cli, ["fingerprint", str(data), "--out", f"f{NAME}.parquet"])
    assert result.exit_code == 0, result.output
    lines = _clean(result.stderr)
    assert f"  {SHOWN}.jsonl:21: invalid_json: Expecting value at column 1" in lines
    assert lines[-1] == f"wrote f{SHOWN}.parquet"


def test_filter_shows_file_and_output_names_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data, model = _corpus(Path(f"{NAME}.jsonl")), _model(Path(f"m{NAME}"))
    result = CliRunner().invoke(cli, ["filter", str(data), "--model", str(model), "--keep", f"k{NAME}.jsonl",
                                      "--reject", f"r{NAME}.jsonl", "--max-score", "0.5"])
    assert result.exit_code == 0, result.output
    lines = _clean(result.stderr)
    assert lines[0].endswith(f"(scores from a scan run now, model n{SHOWN})")
    assert f"  {SHOWN}.jsonl:21: invalid_json: Expecting value at column 1" in lines
    assert any(line.startswith("kept ") and line.endswith(f" -> k{SHOWN}.jsonl") for line in lines)
    assert any(line.startswith("rejected ") and line.endswith(f" -> r{SHOWN}.jsonl") for line in lines)


def test_error_messages_show_names_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    missing = CliRunner().invoke(cli, ["scan", f"{NAME}.jsonl", "--out", "o"])
    assert missing.exit_code == 2
    assert _clean(missing.stderr) == [f"error: no files match '{SHOWN}.jsonl': check the pattern and quoting"]  # "[" globs
    data = _corpus(Path("c.jsonl"))
    Path(f"m{NAME}").mkdir()
    no_model = CliRunner().invoke(cli, ["scan", str(data), "--out", "o", "--model", f"m{NAME}"])
    assert no_model.exit_code == 2
    assert _clean(no_model.stderr)[0].startswith(f"error: m{SHOWN}: not an auditor model directory")
