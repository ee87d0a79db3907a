"""A temporary data repository for ``auditor hook`` and ``auditor baseline``, driven through the CLI.

The model is trained on part of sample_data (conftest ``hook_model_dir``); the files committed
here hold the documents it has not seen. Shared by tests/hook/test_hook.py, tests/cli/test_hook.py
and tests/cli/test_baseline.py; the ``repo`` fixture reaches them through tests/hook/conftest.py and
tests/cli/conftest.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.hook.baseline import Baseline
from auditor.hook.settings import ENVIRONMENT
from conftest import held_out_lines

BASELINE = ".auditor-baseline.json"


@pytest.fixture()
def repo(tmp_path, monkeypatch, hook_model_dir) -> Path:
    for variable in ENVIRONMENT.values():  # a setting in the developer's environment must not leak into the repo's
        monkeypatch.delenv(variable, raising=False)
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    shutil.copytree(hook_model_dir, root / "models" / "detector")
    (root / "pyproject.toml").write_text('[tool.auditor]\nmodel = "models/detector"\nfail-above = 0.1\n', encoding="utf-8")
    (root / "data" / "human.jsonl").write_text("\n".join(held_out_lines("human")) + "\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def add_machine(root: Path, lines: list[str] | None = None, name: str = "data/generated.jsonl") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(held_out_lines("machine") if lines is None else lines) + "\n", encoding="utf-8")
    return path


def hook(*args: str):
    return CliRunner().invoke(cli, ["hook", *args], catch_exceptions=False)


def baseline_command(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["baseline", *args], input=input, catch_exceptions=False)


def scores_of(root: Path, name: str) -> dict[str, float]:
    """Every finding's score in the baseline for one file, by id."""
    return {f.id: f.p_synthetic for key, _, f in Baseline.load(root / BASELINE).findings() if key == name}
