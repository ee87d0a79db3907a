"""``auditor hook`` in a repository that also commits the auditor's outputs, reads text under another
column, and is run with ``--json`` or ``--quiet`` (issue 23): exact output lines and exit codes.

The auditor's own outputs are recognised by content (:mod:`auditor.hook.outputs`), skipped and
listed; filter's keep and reject files hold the documents' text and are scored. The real
pre-commit framework runs at the end on a repository with a committed scan directory.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from auditor.cli import cli
from auditor.corpus.runner import SCHEMA as RUNNER_SCHEMA
from auditor.corpus.table import arrow_schema
from auditor.detector.known import INDEX_FORMAT
from auditor.detector.store import FORMAT as MODEL_FORMAT
from auditor.hook.baseline import SCHEMA as BASELINE_SCHEMA
from auditor.hook.baseline import Baseline
from auditor.hook.outputs import FINGERPRINT_COLUMNS, FINGERPRINT_SCHEMA, JSON_FORMATS, METADATA_KEY, TOKEN_COLUMNS
from auditor.io.table_output import METADATA_KEY as WRITTEN_METADATA_KEY
from auditor.pipeline.filter_outputs import MANIFEST_SCHEMA
from auditor.pipeline.scan import SCHEMA as SUMMARY_SCHEMA
from auditor.projection.figures import SCHEMA as PROJECTION_SCHEMA
from auditor.projection.token_counts import TokenCounts
from conftest import ROOT, held_out_lines
from hook_repo import BASELINE, add_machine, baseline_command, hook

SCAN_SKIPPED = [
    "audit/documents.parquet: skipped (auditor output: a scan's documents table)",
    "audit/tokens.parquet: skipped (auditor output: a scan's token counts)",
]
AUDIT = ["audit/documents.parquet", "audit/summary.json", "audit/tokens.parquet"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def scan_into_audit() -> None:
    """A scan of the repository's data committed beside it, as a user does (``auditor scan data --out audit``)."""
    assert run("scan", "data", "--out", "audit", "--quiet").exit_code == 0


def write_csv(path: Path, lines: list[str], column: str = "body") -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", column])
        for line in lines:
            record = json.loads(line)
            writer.writerow([record["id"], record["text"]])


def test_the_writers_constants_are_the_ones_the_hook_recognises():
    # outputs.py repeats them so that the hook imports no writer: a change on either side fails here.
    assert (METADATA_KEY, FINGERPRINT_SCHEMA) == (WRITTEN_METADATA_KEY, RUNNER_SCHEMA)
    assert FINGERPRINT_COLUMNS <= set(arrow_schema(1).names)
    for schema in (SUMMARY_SCHEMA, BASELINE_SCHEMA, MANIFEST_SCHEMA, MODEL_FORMAT, INDEX_FORMAT, PROJECTION_SCHEMA, RUNNER_SCHEMA):
        assert schema.split("/")[0] in JSON_FORMATS, schema


def test_token_counts_are_recognised_by_their_columns(tmp_path):
    empty = np.array([], dtype=np.int64)
    TokenCounts(np.array([], dtype=np.uint64), empty, empty).write(tmp_path / "t.parquet")
    assert tuple(pq.read_schema(tmp_path / "t.parquet").names) == TOKEN_COLUMNS


def test_a_committed_scan_directory_is_skipped_and_the_data_decides(repo):
    scan_into_audit()
    passed = hook(*AUDIT, "data/human.jsonl")
    assert (passed.exit_code, passed.output.splitlines()) == (0, SCAN_SKIPPED)

    add_machine(repo)
    blocked = hook(*AUDIT, "data/human.jsonl", "data/generated.jsonl")
    assert blocked.exit_code == 1
    lines = blocked.output.splitlines()
    assert lines[:2] == SCAN_SKIPPED
    assert lines[2].startswith("data/generated.jsonl: ") and " new findings in 30 documents" in lines[2]
    assert lines[-3:-1] == ["Fix: remove the listed documents, or accept them with", "  auditor baseline update data/generated.jsonl"]

    # The directory given whole: its tables are skipped, the data is scored; summary.json and the reports
    # are not data files, never read (listed with --verbose only, as before).
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    whole = hook("audit", "data")
    assert (whole.exit_code, whole.output.splitlines()) == (0, SCAN_SKIPPED)


def test_outputs_are_recognised_by_content_not_by_name(repo):
    scan_into_audit()
    # A renamed documents table is still one; a user's file named documents.parquet is still data.
    shutil.copy(repo / "audit" / "documents.parquet", repo / "data" / "renamed.parquet")
    records = [json.loads(line) for line in held_out_lines("machine")]
    (repo / "mine").mkdir()
    pq.write_table(pa.table({"id": [r["id"] for r in records], "text": [r["text"] for r in records]}), repo / "mine" / "documents.parquet")
    result = hook("data/renamed.parquet", "mine/documents.parquet")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "data/renamed.parquet: skipped (auditor output: a scan's documents table)"
    assert lines[1].startswith("mine/documents.parquet: ") and " new findings in 30 documents" in lines[1]


def test_every_kind_of_auditor_output_is_skipped_and_listed(repo):
    add_machine(repo)
    for args in (["fingerprint", "data/generated.jsonl", "--out", "out/fp.parquet"], ["fingerprint", "data/generated.jsonl", "--out", "out/fp.csv"],
                 ["index", "build", "data/generated.jsonl", "--out", "out/known"],
                 ["filter", "data/generated.jsonl", "--keep", "out/kept.jsonl", "--reject", "out/rejected.jsonl", "--no-score-filter"]):
        (repo / "out").mkdir(exist_ok=True)
        assert run(*args, "--quiet").exit_code == 0, args
    assert baseline_command("create", "data/human.jsonl").exit_code == 0
    given = ["out/fp.parquet", "out/fp.csv", "out/fp.csv.summary.json", "out/known/index.json", "out/known/index.npz",
             "out/kept.jsonl.manifest.json", "models/detector/model.json", "models/detector/model.npz", BASELINE, "pyproject.toml"]
    result = hook("--verbose", *given)
    assert (result.exit_code, result.output.splitlines()) == (0, [
        # Files the hook never reads (no data extension) stay "ignored", said with --verbose only.
        "out/fp.csv.summary.json: not a data file, ignored",
        "out/known/index.json: not a data file, ignored",
        "out/known/index.npz: not a data file, ignored",
        "out/kept.jsonl.manifest.json: not a data file, ignored",
        "models/detector/model.json: not a data file, ignored",
        "models/detector/model.npz: not a data file, ignored",
        f"{BASELINE}: not a data file, ignored",
        "pyproject.toml: not a data file, ignored",
        # Outputs with a data extension would be read: skipped, always said.
        "out/fp.csv: skipped (auditor output: a fingerprint table)",
        "out/fp.parquet: skipped (auditor output: a fingerprint table)",
    ])
    assert hook(*given).output.splitlines() == [
        "out/fp.csv: skipped (auditor output: a fingerprint table)",
        "out/fp.parquet: skipped (auditor output: a fingerprint table)",
    ]
    # Filter's outputs are the user's documents with auditor columns: data, scored (here every document was kept).
    kept = hook("out/kept.jsonl", "out/rejected.jsonl")
    assert kept.exit_code == 1
    assert kept.output.startswith("out/kept.jsonl: ") and " new findings in 30 documents" in kept.output.splitlines()[0]


def test_baseline_create_over_the_repository_skips_the_auditor_outputs(repo):
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    scan_into_audit()
    created = baseline_command("create")
    assert created.exit_code == 0, created.output
    assert created.output.splitlines()[0].startswith(f"created {BASELINE}: scanned 1 file (100 documents)")
    assert "  ignored 2 files that are not data files (first: audit/documents.parquet)" in created.output


def test_the_text_field_comes_from_the_settings_the_flag_or_the_environment(repo, monkeypatch):
    write_csv(repo / "data" / "docs.csv", held_out_lines("machine"))
    # Without it, the error names both ways to set it.
    missing = hook("data/docs.csv")
    assert missing.exit_code == 2
    assert missing.output.startswith("error: data/docs.csv: the header has no 'text' column (columns: 'id', 'body')")
    assert "pass --text-field with the name of the text column" in missing.output
    assert missing.output.endswith('; or set the text field once, for every command and commit: '
                                   'text-field = "<column>" under [tool.auditor] in pyproject.toml\n')
    pq.write_table(pa.table({"id": ["a"], "body": ["some text"]}), repo / "data" / "docs.parquet")
    assert hook("data/docs.parquet").output == (
        "error: data/docs.parquet: no 'text' column (columns: 'id', 'body'); pass --text-field with the name of the text column; "
        'or set the text field once, for every command and commit: text-field = "<column>" under [tool.auditor] in pyproject.toml\n')

    # As a flag: the fix gives it to 'baseline update' as its variable, and the two converge.
    flagged = hook("--text-field", "body", "data/docs.csv")
    assert flagged.exit_code == 1 and flagged.output.startswith("data/docs.csv: ")
    assert "  AUDITOR_TEXT_FIELD=body auditor baseline update data/docs.csv" in flagged.output.splitlines()
    monkeypatch.setenv("AUDITOR_TEXT_FIELD", "body")
    assert baseline_command("update", "data/docs.csv").exit_code == 0
    assert Baseline.load(repo / BASELINE).settings["text-field"] == "body"  # what is scored is part of what a baseline records
    assert hook("data/docs.csv").exit_code == 0
    monkeypatch.delenv("AUDITOR_TEXT_FIELD")
    assert hook("--text-field", "body", "data/docs.csv").exit_code == 0

    # In [tool.auditor]: scored with no flag; a wrong one is named where it is set.
    settings = '[tool.auditor]\nmodel = "models/detector"\nfail-above = 0.1\n'
    (repo / "pyproject.toml").write_text(settings + 'text-field = "body"\n', encoding="utf-8")
    from_file = hook("data/docs.csv")
    assert (from_file.exit_code, from_file.output) == (0, "")
    (repo / "pyproject.toml").write_text(settings + 'text-field = "bdy"\n', encoding="utf-8")
    wrong = hook("data/docs.csv")
    assert wrong.exit_code == 2
    assert wrong.output.endswith("; the text-field 'bdy' in use is set in pyproject.toml: correct it there\n")
    monkeypatch.setenv("AUDITOR_FORMAT", "xml")
    assert hook("data/docs.csv").output == "error: $AUDITOR_FORMAT must be one of auto, jsonl, parquet, csv, txt, not 'xml'\n"


def test_json_prints_one_document_with_every_verdict(repo):
    scan_into_audit()
    add_machine(repo)
    (repo / "notes.md").write_text("# notes\n", encoding="utf-8")
    result = hook("--json", "--max-shown", "1", *AUDIT, "data/human.jsonl", "data/generated.jsonl", "notes.md")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert sorted(document) == ["baseline", "exit_code", "files", "fix", "ignored", "schema", "skipped"]
    (row,) = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `hook` |")]
    assert set(re.findall(r"`([^`]+)`", row.split("|")[3])) == set(document)  # README's --json table says the same
    assert (document["schema"], document["exit_code"]) == ("auditor.hook/1", 1)
    assert document["skipped"] == [{"path": line.split(":")[0], "reason": "auditor output", "what": line.split("output: ")[1][:-1]}
                                   for line in SCAN_SKIPPED]
    assert document["ignored"] == ["audit/summary.json", "notes.md"]
    assert document["baseline"] == {"path": BASELINE, "rewritten": False, "stale": [], "rescored": []}
    assert document["fix"] == "auditor baseline update data/generated.jsonl"
    human, generated = document["files"]
    assert sorted(generated) == ["accepted", "blocked", "documents", "fail_above", "findings", "new", "over_fail_above", "path",
                                 "rejected", "skipped_records", "synthetic_fraction", "threshold", "without_listed"]
    assert (human["path"], human["blocked"], human["new"]) == ("data/human.jsonl", False, [])
    assert (generated["path"], generated["blocked"], generated["documents"], generated["over_fail_above"]) == ("data/generated.jsonl", True, 30, True)
    assert len(generated["new"]) == generated["findings"] > 1  # every finding, whatever --max-shown
    first = generated["new"][0]
    assert sorted(first) == ["id", "p_machine_given_corpus", "p_synthetic", "reason", "record", "sha256"]
    text = hook("--max-shown", "1", "data/generated.jsonl").output.splitlines()[1]
    assert text.startswith(f"  data/generated.jsonl:{first['record']} id={first['id']} p_synthetic={first['p_synthetic']:.4f}  ")
    assert text.endswith(first["reason"])
    assert json.loads(hook("--json", *AUDIT).stdout)["files"] == []


def test_quiet_prints_nothing_on_success_and_only_the_failure_on_failure(repo):
    scan_into_audit()
    (repo / "data" / "mixed.jsonl").write_text(held_out_lines("human")[0] + "\n{broken\n", encoding="utf-8")
    assert hook("--quiet", *AUDIT, "data/mixed.jsonl").output == ""  # skipped outputs and records: not a failure
    assert hook(*AUDIT, "data/mixed.jsonl").output.splitlines()[-1].startswith("data/mixed.jsonl: ok: 1 document")
    add_machine(repo)
    loud = hook(*AUDIT, "data/mixed.jsonl", "data/generated.jsonl")
    quiet = hook("--quiet", *AUDIT, "data/mixed.jsonl", "data/generated.jsonl")
    assert (quiet.exit_code, loud.exit_code) == (1, 1)
    assert quiet.output.splitlines() == loud.output.splitlines()[3:]  # without the 2 skipped outputs and the passing file
    assert quiet.output.startswith("data/generated.jsonl: ")
    contradiction = hook("--quiet", "--verbose", "data/generated.jsonl")
    assert contradiction.exit_code == 2 and "--quiet and --verbose contradict each other" in contradiction.output

    # A rewritten baseline is a failure too (exit 3): it is said.
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    stale = hook("--quiet", "--fail-above", "0.2", "data/generated.jsonl")
    assert stale.exit_code == 3
    assert stale.output.splitlines()[-2:] == [
        f"auditor: the baseline {BASELINE} was out of date: fail-above changed (0.1 -> 0.2).",
        "It has been rewritten with the current model and settings (1 file rescored, statuses kept, nothing new accepted): "
        f"review it and 'git add {BASELINE}'.",
    ]


# The real framework, as tests/hook/test_precommit.py runs it: a repo-local copy of the published hook.
def test_pre_commit_passes_a_commit_with_a_scan_directory(tmp_path, hook_model_dir):
    if shutil.which("pre-commit", path=sysconfig.get_path("scripts") + os.pathsep + os.environ.get("PATH", "")) is None:
        pytest.skip("pre-commit is not installed")
    root = tmp_path / "data-repo"
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PATH": sysconfig.get_path("scripts") + os.pathsep + os.environ.get("PATH", ""),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    for variable in [name for name in env if name.startswith("AUDITOR_")]:
        del env[variable]

    def sh(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    root.mkdir()
    assert sh("git", "init", "-q").returncode == 0
    shutil.copytree(hook_model_dir, root / "models" / "detector")
    (root / "pyproject.toml").write_text('[tool.auditor]\nmodel = "models/detector"\nfail-above = 0.1\n', encoding="utf-8")
    (published,) = [h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")) if h["id"] == "auditor"]
    local = {key: value for key, value in published.items() if key in ("id", "name", "entry", "files", "require_serial")}
    config = {"repos": [{"repo": "local", "hooks": [{**local, "language": "system", "verbose": True}]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert sh("pre-commit", "install").returncode == 0
    (root / "data").mkdir()
    (root / "data" / "human.jsonl").write_text("\n".join(held_out_lines("human")) + "\n", encoding="utf-8")
    assert sh("auditor", "scan", "data", "--out", "audit", "--quiet").returncode == 0

    assert sh("git", "add", ".").returncode == 0
    first = sh("git", "commit", "-q", "-m", "data and its audit")
    assert first.returncode == 0, first.stdout
    assert "Passed" in first.stdout
    assert "audit/documents.parquet: skipped (auditor output: a scan's documents table)" in first.stdout
    assert "audit/tokens.parquet: skipped (auditor output: a scan's token counts)" in first.stdout

    (root / "data" / "generated.jsonl").write_text("\n".join(held_out_lines("machine")) + "\n", encoding="utf-8")
    assert sh("auditor", "scan", "data", "--out", "audit", "--quiet").returncode == 0
    assert sh("git", "add", ".").returncode == 0
    blocked = sh("git", "commit", "-q", "-m", "more data")
    assert blocked.returncode != 0 and "- exit code: 1" in blocked.stdout
    assert "data/generated.jsonl: " in blocked.stdout and "  auditor baseline update data/generated.jsonl" in blocked.stdout
    assert "audit/documents.parquet: skipped (auditor output: a scan's documents table)" in blocked.stdout
