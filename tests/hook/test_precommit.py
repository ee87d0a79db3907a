"""End to end with the real pre-commit framework, in a temporary git repository.

The hook is declared as a ``repo: local`` hook copied from this repository's
``.pre-commit-hooks.yaml`` (same id, entry, files pattern and require_serial).
Only the language differs: ``system`` runs the ``auditor`` installed here,
where ``python`` would build a fresh virtualenv from PyPI (tests never touch
the network).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
import yaml

from auditor.io.formats import format_for
from conftest import ROOT, held_out_lines

def manifest() -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "auditor"]
    return hook


def test_the_published_hook_matches_the_contract():
    hook = manifest()
    assert hook["entry"] == "auditor hook"
    assert hook["language"] == "python"
    assert hook["require_serial"] is True
    pattern = re.compile(hook["files"])
    for name in ("a.jsonl", "d/a.jsonl.gz", "a.jsonl.zst", "a.parquet", "a.csv", "a.tsv", "notes.txt"):
        assert pattern.search(name), name
    # Every file the reader takes reaches the hook, and no other data file does.
    stems = ("a", "d/A", "x.y")
    for extension in ("jsonl", "ndjson", "csv", "tsv", "parquet", "txt", "json", "md", "py", "bak", "gz", "zst", "xlsx"):
        for suffix in ("", ".gz", ".zst", ".bak"):
            for name in (f"{stem}.{ext}{suffix}" for stem in stems for ext in (extension, extension.upper())):
                assert bool(pattern.search(name)) == (format_for(name) is not None), name
    # The settings, the baseline and the model's files reach it too (a stale baseline is found on that commit).
    for name in ("pyproject.toml", ".auditor.toml", ".auditor-baseline.json", "models/detector/model.json", "models/detector/model.npz"):
        assert pattern.search(name), name
    for name in ("README.md", "setup.cfg", "sub/other.toml", "data.json"):
        assert not pattern.search(name), name


class Repository:
    def __init__(self, root: Path, home: Path):
        self.root = root
        scripts = sysconfig.get_path("scripts")
        self.env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PATH": scripts + os.pathsep + os.environ.get("PATH", ""),
                    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
        for variable in ("AUDITOR_MODEL", "AUDITOR_THRESHOLD", "AUDITOR_FAIL_ABOVE", "AUDITOR_BASELINE"):
            self.env.pop(variable, None)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        # pre-commit writes to the terminal git gives it: stderr under `git commit`. Both are kept together.
        return subprocess.run(list(args), cwd=self.root, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def commit(self, *paths: str) -> subprocess.CompletedProcess[str]:
        assert self.run("git", "add", *paths).returncode == 0
        return self.run("git", "commit", "-q", "-m", "change")

    def write(self, name: str, lines: list[str]) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture()
def repository(tmp_path, hook_model_dir) -> Repository:
    repo = Repository(tmp_path / "data-repo", tmp_path / "pre-commit-home")
    repo.root.mkdir()
    assert repo.run("git", "init", "-q").returncode == 0
    shutil.copytree(hook_model_dir, repo.root / "models" / "detector")
    (repo.root / "pyproject.toml").write_text('[tool.auditor]\nmodel = "models/detector"\nfail-above = 0.1\n', encoding="utf-8")
    local = {key: value for key, value in manifest().items() if key in ("id", "name", "entry", "files", "require_serial")}
    config = {"repos": [{"repo": "local", "hooks": [{**local, "language": "system"}]}]}
    (repo.root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    installed = repo.run("pre-commit", "install")
    assert installed.returncode == 0, installed.stdout
    return repo


def test_commits_through_pre_commit(repository, tiny_model_dir):
    repo = repository
    # 1. A commit of human text passes.
    repo.write("data/human.jsonl", held_out_lines("human"))
    first = repo.commit(".")
    assert first.returncode == 0, first.stdout
    assert "auditor (machine-written text)" in first.stdout and "Passed" in first.stdout

    # 2. A commit adding a machine-heavy file is blocked (exit 1) with the findings and the fix.
    repo.write("data/generated.jsonl", held_out_lines("machine"))
    blocked = repo.commit("data/generated.jsonl")
    assert blocked.returncode != 0
    assert "Failed" in blocked.stdout and "- exit code: 1" in blocked.stdout
    assert "data/generated.jsonl: " in blocked.stdout and " new findings in 30 documents" in blocked.stdout
    assert "  auditor baseline update data/generated.jsonl" in blocked.stdout
    assert repo.run("git", "log", "--oneline").stdout.count("\n") == 1  # nothing was committed

    # 3. After `auditor baseline update` the same commit passes.
    accepted = repo.run("auditor", "baseline", "update", "data/generated.jsonl")
    assert accepted.returncode == 0, accepted.stdout
    passed = repo.commit("data/generated.jsonl", ".auditor-baseline.json")
    assert passed.returncode == 0, passed.stdout
    assert repo.run("git", "log", "--oneline").stdout.count("\n") == 2

    # 4. Changing the model marks the baseline stale: exit 3, the baseline is rewritten, `git add` it.
    shutil.rmtree(repo.root / "models" / "detector")
    shutil.copytree(tiny_model_dir, repo.root / "models" / "detector")
    lines = held_out_lines("machine")
    repo.write("data/generated.jsonl", lines[1:] + lines[:1])  # a data change, so the hook runs
    stale = repo.commit(".")
    assert stale.returncode != 0
    assert "- exit code: 3" in stale.stdout and "was out of date: the model changed" in stale.stdout
    rewritten = json.loads((repo.root / ".auditor-baseline.json").read_text(encoding="utf-8"))
    assert rewritten["model"]["name"] == "tiny"
    status = repo.run("git", "status", "--porcelain", ".auditor-baseline.json").stdout
    assert status.startswith(" M"), status  # rewritten in the working tree, waiting for `git add`
