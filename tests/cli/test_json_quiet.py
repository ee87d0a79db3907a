"""``--json`` and ``--quiet`` on every command: one JSON document on stdout with the keys README's table
documents, nothing printed with ``--quiet`` on success, errors and exit codes untouched.

The keys are read from the table under README's "``--json`` and ``--quiet``", so the table and the
commands cannot drift apart: a command's keys must be exactly its row's. The commands owned elsewhere
(scan, fingerprint, filter, index build) are checked the same way on a small corpus.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from auditor.cli import cli
from auditor.cli.options import reader_options
from auditor.detector.scorer import load_detector
from auditor.hook.baseline import Baseline
from conftest import DOCSTRINGS, ROOT, SAMPLE
from hook_repo import BASELINE, add_machine, baseline_command, hook

ZIPF = ["project", "--zipf-exponent", "1.1", "--vocab-size", "1000", "--tokens-per-generation", "10000", "--synthetic-fraction", "0.5"]
SMALL = DOCSTRINGS / "human_stdlib_docstrings.jsonl"


def documented() -> dict[str, set[str]]:
    """README's table: command -> its JSON object's keys (a row may name several commands)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n### `--json` and `--quiet`\n", 1)[1].split("\n#", 1)[0]
    shapes: dict[str, set[str]] = {}
    for row in section.splitlines():
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if not row.startswith("| `") or len(cells) != 3:
            continue
        keys = set(re.findall(r"`([^`]+)`", cells[2]))
        for command in re.findall(r"`([^`]+)`", cells[0]):
            shapes[command] = keys
    return shapes


SHAPES = documented()


def run(args: list[object], input: str | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def json_of(result: Result, command: str) -> dict:
    """The single JSON document on stdout, whose keys must be exactly those README documents for ``command``
    (a documented ``by_<FIELD>`` stands for any number of ``by_`` keys)."""
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)  # one document, nothing before or after it
    patterns = [re.escape(key).replace("<FIELD>", ".+") for key in SHAPES[command] if "<FIELD>" in key]
    named = {key for key in SHAPES[command] if "<FIELD>" not in key}
    assert named <= set(payload), command
    assert [key for key in set(payload) - named if not any(re.fullmatch(pattern, key) for pattern in patterns)] == [], command
    return payload


def quiet(result: Result) -> None:
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_every_command_has_a_documented_shape_and_both_flags():
    assert set(SHAPES) == {"scan", "fingerprint", "filter", "project", "report", "hook", "baseline create", "baseline update",
                           "baseline audit", "index build", "train", "evaluate", "evaluate --leave-one-out", "evaluate --leave-one-out --folds"}
    for command in (["scan"], ["fingerprint"], ["filter"], ["project"], ["report"], ["hook"], ["baseline", "create"], ["baseline", "update"],
                    ["baseline", "audit"], ["index", "build"], ["train"], ["evaluate"]):
        result = run([*command, "--help"])
        assert result.exit_code == 0, command
        assert "--json " in result.output and "--quiet " in result.output, command


def test_report_json_and_quiet(mixed_scan, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(mixed_scan, copy)
    summary = str(copy / "summary.json")
    both = run(["report", summary, "--json"])
    assert json_of(both, "report") == {"summary": summary, "md": str(copy / "report.md"), "html": str(copy / "report.html")}
    assert both.stderr == f"wrote {copy / 'report.md'}, {copy / 'report.html'}\n"  # stderr as without --json
    md = tmp_path / "comment.md"
    only = run(["report", summary, "--md", md, "--json", "--quiet"])
    assert json_of(only, "report") == {"summary": summary, "md": str(md), "html": None}
    assert only.stderr == ""
    (copy / "report.html").unlink()
    quiet(run(["report", summary, "--quiet"]))
    assert (copy / "report.html").read_bytes() == (mixed_scan / "report.html").read_bytes()
    missing = run(["report", tmp_path / "missing.json", "--json", "--quiet"])
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert missing.stderr.startswith(f"error: {tmp_path / 'missing.json'}: no such file")


def test_train_json_and_quiet(tmp_path, labelled_path, monkeypatch, tiny_table):
    from auditor.features import style

    monkeypatch.setattr(style.FrequencyTable, "from_wordfreq", classmethod(lambda cls, top_n=0: tiny_table))
    args = ["train", labelled_path, "--group-field", "group", "--name", "cli", "--trees", "10"]
    result = run([*args, "--out", tmp_path / "a", "--json"])
    payload = json_of(result, "train")
    detector = load_detector(tmp_path / "a")
    meta = json.loads((tmp_path / "a" / "model.json").read_text(encoding="utf-8"))
    assert payload["model"] == {"name": "cli", "path": str(tmp_path / "a"), "sha256": detector.sha256, "arrays_sha256": detector.arrays_sha256,
                                "threshold": detector.threshold}
    assert payload["threshold_rule"] == meta["threshold_rule"] and payload["group_field"] == "group"
    assert (payload["overall"], payload["by_group"]) == (meta["validation"]["overall"], meta["validation"]["by_group"])
    assert payload["documents"] == 380 and payload["inputs"] == [str(labelled_path)]
    assert result.stderr.splitlines()[-1].startswith(f"wrote {tmp_path / 'a'} (arrays sha256 ")
    only = run([*args, "--out", tmp_path / "b", "--json", "--quiet"])
    assert json_of(only, "train")["model"]["sha256"] == load_detector(tmp_path / "b").sha256 and only.stderr == ""
    quiet(run([*args, "--out", tmp_path / "c", "--quiet"]))
    assert load_detector(tmp_path / "c").name == "cli"


def test_evaluate_json_and_quiet(labelled_path, tiny_model_dir):
    args = ["evaluate", labelled_path, "--model", tiny_model_dir, "--group-field", "group"]
    quiet(run([*args, "--quiet"]))
    payload = json_of(run([*args, "--json", "--quiet"]), "evaluate")
    assert payload["model"]["name"] == "tiny" and set(payload["by_group"]) == {"g0", "g1", "g2"}
    held_out = [*args, "--leave-one-out", "group", "--trees", "10"]
    quiet(run([*held_out, "--quiet"]))
    assert json_of(run([*held_out, "--json", "--quiet"]), "evaluate --leave-one-out")["mode"] == "leave-one-out"
    folds = json_of(run([*args, "--leave-one-out", "group", "--folds", "group", "--trees", "10", "--json"]), "evaluate --leave-one-out --folds")
    assert folds["group_field"] == "group"


def test_evaluate_report_fields_add_their_documented_by_field_keys(tmp_path, labelled_path, tiny_model_dir):
    rows = [json.loads(line) for line in labelled_path.read_text(encoding="utf-8").splitlines()]
    path = tmp_path / "domains.jsonl"
    path.write_text("".join(json.dumps({**row, "domain": f"d{i % 2}"}) + "\n" for i, row in enumerate(rows)), encoding="utf-8")
    result = run(["evaluate", path, "--model", tiny_model_dir, "--leave-one-out", "group", "--report-field", "domain", "--trees", "10",
                  "--json"])
    assert set(json_of(result, "evaluate --leave-one-out")) == SHAPES["evaluate --leave-one-out"] - {"by_<FIELD>"} | {"by_domain"}


def test_project_quiet_prints_only_what_json_or_csv_asks_for():
    quiet(run([*ZIPF, "--quiet"]))
    payload = json_of(run([*ZIPF, "--quiet", "--json"]), "project")
    assert payload == json.loads(run([*ZIPF, "--json"]).stdout)
    csv = run([*ZIPF, "--quiet", "--csv"])
    assert (csv.exit_code, csv.stderr) == (0, "") and csv.stdout == run([*ZIPF, "--csv"]).stdout
    assert csv.stdout.startswith("regime,generation,") and len(csv.stdout.splitlines()) == 1 + 3 * 11
    both = run([*ZIPF, "--quiet", "--json", "--csv"])
    assert (both.exit_code, both.stdout) == (2, "") and "give at most one of --json and --csv" in both.stderr


def test_project_help_lists_sources_then_settings_then_reader_then_output_options():
    result = run(["project", "--help"])
    assert result.exit_code == 0
    options = re.findall(r"^  (--[a-z-]+)", result.output, flags=re.MULTILINE)
    reader = [max(param.opts, key=len) for param in click.command("x")(reader_options(lambda **kwargs: None)).params]
    assert options == ["--from-summary", "--corpus", "--zipf-exponent", "--vocab-size", "--synthetic-fraction", "--tokens-per-generation",
                       "--generations", "--regime", "--sharpening", "--truncate-rank", "--max-drift",
                       *reader, "--json", "--csv", "--quiet", "--debug"]
    assert "--text-field" in reader
    generations = result.output.split("  --generations INTEGER RANGE", 1)[1].split("\n  --regime", 1)[0]
    assert " ".join(generations.split()) == ("Generations to project (G): rounds of retraining, each on data that the previous "
                                             "generation's model partly wrote. [default: 10; 1<=x<=10000]")


def test_baseline_create_and_update_json_and_quiet(repo):
    add_machine(repo)
    created = baseline_command("create", "data/generated.jsonl", "data/human.jsonl", "--json")
    payload = json_of(created, "baseline create")
    recorded = Baseline.load(repo / BASELINE)
    assert payload["baseline"] == BASELINE and payload["model"] == recorded.model and payload["settings"] == recorded.settings
    assert [f["path"] for f in payload["files"]] == ["data/generated.jsonl", "data/human.jsonl"]
    assert [f["findings"] for f in payload["files"]] == [len(recorded.files.get(key, {})) for key in ("data/generated.jsonl", "data/human.jsonl")]
    assert payload["findings"] == recorded.counts() and payload["added"] == sum(recorded.counts().values()) > 0
    assert (payload["removed"], payload["kept"], payload["rescored"], payload["ignored"]) == (0, 0, [], [])
    assert created.stderr.startswith(f"created {BASELINE}: scanned 2 files (")  # the summary stays on stderr
    (repo / "notes.md").write_text("not data\n", encoding="utf-8")
    updated = baseline_command("update", "data/generated.jsonl", "notes.md", "--json", "--quiet")
    payload = json_of(updated, "baseline update")
    assert updated.stderr == ""
    assert (payload["added"], payload["removed"], payload["kept"]) == (0, 0, len(recorded.files["data/generated.jsonl"]))
    assert payload["ignored"] == ["notes.md"]
    quiet(baseline_command("update", "--quiet"))
    quiet(baseline_command("create", "--force", "--quiet"))
    again = baseline_command("create", "--json", "--quiet")
    assert (again.exit_code, again.stdout) == (2, "")
    assert again.stderr == f"error: {BASELINE} exists: 'auditor baseline update' keeps its reviews; --force replaces it\n"


def test_baseline_audit_json_keeps_stdout_for_the_document(repo):
    add_machine(repo)
    assert baseline_command("update", "data/generated.jsonl", "--quiet").exit_code == 0
    total = sum(Baseline.load(repo / BASELINE).counts().values())
    walked = baseline_command("audit", "--json", input="a\nr\nq\n")
    payload = json_of(walked, "baseline audit")
    assert payload == {"baseline": BASELINE, "decided": 2, "findings": {"unreviewed": total - 2, "accepted": 1, "rejected": 1}}
    assert walked.stderr.startswith("[1/") and "[a]ccept, [r]eject, [s]kip, [q]uit: " in walked.stderr  # the walk, on stderr
    assert walked.stderr.endswith(f"reviewed 2 findings: 1 accepted, 1 rejected, {total - 2} unreviewed in {BASELINE}\n")
    accepted = baseline_command("audit", "--accept-all", "--json", "--quiet")
    assert json_of(accepted, "baseline audit") == {"baseline": BASELINE, "decided": total - 2,
                                                    "findings": {"unreviewed": 0, "accepted": total - 1, "rejected": 1}}
    assert accepted.stderr == ""
    quiet(baseline_command("audit", "--accept-all", "--quiet"))
    interactive = baseline_command("audit", "--all", "--quiet", input="q\n")  # the walk is the command: it still shows
    assert interactive.exit_code == 0 and interactive.stdout.startswith("[1/") and interactive.stderr == ""


def test_hook_json_keys_are_the_documented_ones_and_quiet_passes_silently(repo):
    checked = hook("data/human.jsonl", "--json")
    payload = json_of(checked, "hook")
    assert payload["exit_code"] == 0 and [f["path"] for f in payload["files"]] == ["data/human.jsonl"]
    quiet(hook("data/human.jsonl", "--quiet"))


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """Forty docstrings: enough for every corpus command, fast."""
    path = tmp_path_factory.mktemp("small") / "small.jsonl"
    path.write_text("\n".join(SMALL.read_text(encoding="utf-8").splitlines()[:40]) + "\n", encoding="utf-8")
    return path


def test_the_corpus_commands_json_keys_are_the_documented_ones(small, tmp_path, tiny_model_dir):
    scanned = run(["scan", small, "--out", tmp_path / "scan", "--model", tiny_model_dir, "--json", "--quiet"])
    assert json_of(scanned, "scan") == json.loads((tmp_path / "scan" / "summary.json").read_text(encoding="utf-8"))
    assert scanned.stderr == ""
    assert json_of(run(["fingerprint", small, "--out", tmp_path / "fp.parquet", "--json", "--quiet"]), "fingerprint")["documents"] == 40
    filtered = run(["filter", small, "--keep", tmp_path / "keep.jsonl", "--reject", tmp_path / "reject.jsonl", "--model", tiny_model_dir,
                    "--json", "--quiet"])
    assert json_of(filtered, "filter")["documents"] == 40
    machine = SAMPLE / "machine_python_docs.jsonl"
    assert json_of(run(["index", "build", machine, "--out", tmp_path / "index", "--json", "--quiet"]), "index build")["documents"] == 80
