"""One configuration: flags > AUDITOR_* > [tool.auditor] > defaults, for scan, filter, report and hook alike.

Each command runs through the CLI in a small git repository holding three copies of the tiny
model, renamed after the layer that names them (``from-file``, ``from-env``, ``from-flag``), so
that which model a command used shows which layer won. The layers pile up: the ``environment``
case also has the file, the ``flag`` case also the file and the environment.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.hook.baseline import Baseline
from auditor.cli import cli
from auditor.hook.settings import ENVIRONMENT
from auditor.detector.store import load_stored
from conftest import sample_lines

LAYERS = ("default", "file", "environment", "flag")
# What each layer sets; "default" sets no threshold or method (the model still comes from the file,
# so that no test loads the shipped model).
FILE = {"threshold": 0.31, "method": "acc", "model": "models/file"}
ENV = {"AUDITOR_THRESHOLD": "0.32", "AUDITOR_METHOD": "cc", "AUDITOR_MODEL": "models/env"}
FLAG = {"threshold": 0.33, "method": "em", "model": "models/flag"}
MODEL_NAMES = {"file": "from-file", "env": "from-env", "flag": "from-flag"}
BASELINE = ".auditor-baseline.json"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_config(root: Path, **settings: object) -> None:
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    (root / ".auditor.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture()
def repo(tmp_path, monkeypatch, tiny_model_dir) -> Path:
    for variable in ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    root = (tmp_path / "repo").resolve()  # as the settings file is named in messages
    (root / "data").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for directory, name in MODEL_NAMES.items():
        copy = root / "models" / directory
        shutil.copytree(tiny_model_dir, copy)
        metadata = json.loads((copy / "model.json").read_text(encoding="utf-8"))
        (copy / "model.json").write_text(json.dumps({**metadata, "name": name}), encoding="utf-8")
    # A few documents of each kind keep every run fast.
    lines = sample_lines("human_stdlib_docstrings.jsonl")[:6] + sample_lines("machine_docstrings.jsonl")[:6]
    (root / "data" / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_config(root, model=FILE["model"])
    monkeypatch.chdir(root)
    return root


def model_threshold(root: Path) -> float:
    return float(json.loads((root / "models" / "file" / "model.json").read_text(encoding="utf-8"))["threshold"])


def arrange(layer: str, root: Path, monkeypatch, flags: dict[str, str]) -> list[str]:
    """Set up the layers up to ``layer``; return the command-line flags (``flags``: setting -> this command's flag)."""
    if layer == "default":
        return []
    write_config(root, **FILE)
    if layer == "file":
        return []
    for variable, value in ENV.items():
        monkeypatch.setenv(variable, value)
    if layer == "environment":
        return []
    return [part for setting, flag in flags.items() for part in (flag, str(FLAG[setting]))]


def expected(layer: str, root: Path) -> tuple[float, str, str]:
    """(threshold, method, model name) that ``layer`` resolves to."""
    return {
        "default": (model_threshold(root), "em", "from-file"),
        "file": (FILE["threshold"], FILE["method"], "from-file"),
        "environment": (float(ENV["AUDITOR_THRESHOLD"]), ENV["AUDITOR_METHOD"], "from-env"),
        "flag": (FLAG["threshold"], FLAG["method"], "from-flag"),
    }[layer]


@pytest.mark.parametrize("layer", LAYERS)
def test_scan(repo, monkeypatch, layer):
    flags = arrange(layer, repo, monkeypatch, {"threshold": "--threshold", "method": "--method", "model": "--model"})
    result = invoke("scan", "data/docs.jsonl", "--out", "audit", "--quiet", *flags)
    # No fail-above anywhere: a scan does not take the hook's default tolerance (0.10) of a half-machine corpus.
    assert result.exit_code == 0, result.output
    summary = json.loads((repo / "audit" / "summary.json").read_text(encoding="utf-8"))
    scanned = (summary["flagged"]["threshold"], summary["synthetic_fraction"]["method"], summary["model"]["name"])
    assert scanned == expected(layer, repo)


@pytest.mark.parametrize("layer", LAYERS)
def test_filter(repo, monkeypatch, layer):
    # The threshold is the flagged threshold of the scan the filter runs; the filter rejects by the posterior
    # given the corpus unless --max-score (the filter's own cut on p_synthetic, so its flag layer) says otherwise.
    flags = arrange(layer, repo, monkeypatch, {"threshold": "--max-score", "model": "--model"})
    result = invoke("filter", "data/docs.jsonl", "--keep", "keep.jsonl", "--reject", "reject.jsonl", "--quiet", "--json", *flags)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    cut, _, model = expected(layer, repo)
    flagged = expected("environment", repo)[0] if layer == "flag" else cut
    max_score = cut if layer == "flag" else None
    assert (summary["max_score"], summary["scores"]["flagged_threshold"], summary["scores"]["model"]["name"]) == (max_score, flagged, model)
    assert summary["max_posterior"] == (None if layer == "flag" else 0.5)


@pytest.fixture(scope="module")
def scan_summary(tmp_path_factory, tiny_model_dir) -> dict:
    """One real scan's summary; the report tests rewrite its settings instead of scanning again."""
    out = tmp_path_factory.mktemp("scan") / "audit"
    lines = sample_lines("human_stdlib_docstrings.jsonl")[:4] + sample_lines("machine_docstrings.jsonl")[:4]
    corpus = out.parent / "docs.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        for variable in ENVIRONMENT.values():
            patch.delenv(variable, raising=False)
        result = invoke("scan", str(corpus), "--out", str(out), "--quiet", "--model", str(tiny_model_dir), "--config", str(write_empty(out.parent)))
    assert result.exit_code == 0, result.output
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def write_empty(directory: Path) -> Path:
    """An empty settings file: the module-wide scan must not pick up whatever the test's environment holds."""
    path = directory / "empty.toml"
    path.write_text("", encoding="utf-8")
    return path


def made_with(root: Path, summary: dict, threshold: float, method: str, model: str) -> str:
    """summary.json of ``summary`` as if scanned with these settings (model: a directory under models/)."""
    changed = json.loads(json.dumps(summary))
    changed["flagged"]["threshold"] = threshold
    changed["synthetic_fraction"]["method"] = method
    changed["model"].update(name=MODEL_NAMES[model], sha256=load_stored(root / "models" / model).identity)
    path = root / "audit" / "summary.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(changed), encoding="utf-8")
    return "audit/summary.json"


@pytest.mark.parametrize("layer", LAYERS)
def test_report(repo, monkeypatch, scan_summary, layer):
    flags = arrange(layer, repo, monkeypatch, {"threshold": "--threshold", "method": "--method", "model": "--model"})
    threshold, method, name = expected(layer, repo)
    model = {v: k for k, v in MODEL_NAMES.items()}[name]
    # A scan made with the settings this layer resolves to is reported ...
    accepted = invoke("report", made_with(repo, scan_summary, threshold, method, model), "--md", "report.md", *flags)
    assert accepted.exit_code == 0, accepted.output
    # ... one made otherwise is refused, naming where each setting came from.
    refused = invoke("report", made_with(repo, scan_summary, 0.99, "cc" if method != "cc" else "acc", "flag" if model != "flag" else "env"),
                     "--md", "report.md", *flags)
    assert refused.exit_code == 2
    message = refused.stderr
    assert message.startswith("error: audit/summary.json: the scan was made with ")
    if layer == "default":
        # Neither threshold nor method is given anywhere: any scan's are accepted; the file's model is not.
        assert "threshold" not in message and "method" not in message and f"(from {repo / '.auditor.toml'})" in message
    else:
        where = {"file": [str(repo / ".auditor.toml")] * 3, "environment": ["$AUDITOR_THRESHOLD", "$AUDITOR_METHOD", "$AUDITOR_MODEL"],
                 "flag": ["--threshold", "--method", "--model"]}[layer]
        assert f"threshold 0.99, not {threshold} (from {where[0]})" in message
        assert f", not {method} (from {where[1]})" in message
        assert f"(from {where[2]})" in message.split("model ")[1]


@pytest.mark.parametrize("layer", LAYERS)
def test_hook(repo, monkeypatch, layer):
    # A baseline made with other settings is stale under whatever the hook resolves: it rewrites it with them (exit 3).
    created = invoke("baseline", "create", "data/docs.jsonl", "--threshold", "0.5", "--method", "cc", "--model", "models/file")
    assert created.exit_code == 0, created.output
    flags = arrange(layer, repo, monkeypatch, {"threshold": "--threshold", "method": "--method", "model": "--model"})
    result = invoke("hook", "data/docs.jsonl", *flags)
    assert result.exit_code == 3, result.output
    rewritten = Baseline.load(repo / BASELINE)
    assert (rewritten.settings["threshold"], rewritten.settings["method"], rewritten.model["name"]) == expected(layer, repo)


def test_scan_filter_report_and_hook_agree_in_one_repository(repo, monkeypatch):
    write_config(repo, threshold=0.4, method="acc", model="models/env")
    monkeypatch.chdir(repo / "data")  # the settings file is found upwards; its paths are relative to it
    scan = invoke("scan", "docs.jsonl", "--out", "../audit", "--quiet")
    assert scan.exit_code == 0, scan.output
    summary = json.loads((repo / "audit" / "summary.json").read_text(encoding="utf-8"))
    assert (summary["flagged"]["threshold"], summary["synthetic_fraction"]["method"], summary["model"]["name"]) == (0.4, "acc", "from-env")

    filtered = invoke("filter", "docs.jsonl", "--keep", "../keep.jsonl", "--reject", "../reject.jsonl", "--quiet", "--json")
    assert filtered.exit_code == 0, filtered.output
    scores = json.loads(filtered.stdout)
    assert (scores["scores"]["flagged_threshold"], scores["scores"]["model"]["name"]) == (0.4, "from-env")
    rejected = [json.loads(line) for line in (repo / "reject.jsonl").read_text(encoding="utf-8").splitlines()]
    scanned = pq.read_table(repo / "audit" / "documents.parquet", columns=["p_machine_given_corpus"]).column(0).to_pylist()
    assert len(rejected) == sum(p > 0.5 for p in scanned)  # the filter's scan (same settings) decides as this scan did

    assert invoke("report", "../audit/summary.json", "--md", "../report.md").exit_code == 0

    assert invoke("baseline", "create", "docs.jsonl").exit_code == 0
    recorded = Baseline.load(repo / BASELINE)
    assert (recorded.settings["threshold"], recorded.settings["method"], recorded.model["name"]) == (0.4, "acc", "from-env")
    assert recorded.model["sha256"] == summary["model"]["sha256"]
    hook = invoke("hook", "docs.jsonl")
    assert hook.exit_code == 0, hook.output  # same settings as the baseline: not stale, nothing new

    # A scan made with another threshold than the repository's is not reported as the repository's.
    other = invoke("scan", "docs.jsonl", "--out", "../other", "--quiet", "--threshold", "0.6")
    assert other.exit_code == 0, other.output
    refused = invoke("report", "../other/summary.json", "--md", "../other.md")
    assert refused.exit_code == 2
    assert f"threshold 0.6, not 0.4 (from {repo / '.auditor.toml'})" in refused.stderr
    assert refused.stderr.rstrip().endswith("or report the scan as it was made with --threshold 0.6")


def test_scan_fails_above_the_configured_fraction_naming_the_file(repo):
    write_config(repo, model="models/file", **{"fail-above": 0.05})
    # Enough machine documents for an interval whose lower end is above 0.05 (12 give [0, 1]).
    machine = sample_lines("machine_docstrings.jsonl")[:40]
    (repo / "data" / "docs.jsonl").write_text("\n".join(machine) + "\n", encoding="utf-8")
    result = invoke("scan", "data/docs.jsonl", "--out", "audit", "--quiet")
    assert result.exit_code == 1
    assert result.stderr.startswith("synthetic fraction: the interval's lower end ")
    assert result.stderr.endswith(f" is above fail-above 0.05 (from {repo / '.auditor.toml'})\n")
    assert invoke("scan", "data/docs.jsonl", "--out", "audit", "--quiet", "--fail-above", "1").exit_code == 0


COMMANDS = {
    "scan": ["scan", "data/docs.jsonl", "--out", "audit"],
    "filter": ["filter", "data/docs.jsonl", "--keep", "k.jsonl", "--reject", "r.jsonl"],
    "report": ["report", "audit/summary.json"],
    "hook": ["hook", "data/docs.jsonl"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_settings_are_exit_2_naming_the_file_or_variable(repo, monkeypatch, scan_summary, command):
    made_with(repo, scan_summary, 0.5, "em", "file")
    write_config(repo, model="models/file", method="vote")
    result = invoke(*COMMANDS[command])
    assert result.exit_code == 2
    assert result.stderr == f"error: {repo / '.auditor.toml'}: method must be one of em, acc, cc, not 'vote'\n"
    write_config(repo, model="models/file")
    monkeypatch.setenv("AUDITOR_METHOD", "vote")
    result = invoke(*COMMANDS[command])
    assert (result.exit_code, result.stderr) == (2, "error: $AUDITOR_METHOD must be one of em, acc, cc, not 'vote'\n")
    monkeypatch.delenv("AUDITOR_METHOD")
    monkeypatch.setenv("AUDITOR_THRESHOLD", "lots")
    result = invoke(*COMMANDS[command])
    assert (result.exit_code, result.stderr) == (2, "error: $AUDITOR_THRESHOLD must be a number between 0 and 1, got 'lots'\n")
