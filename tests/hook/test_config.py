"""Settings of the hook: [tool.auditor] / .auditor.toml, environment, flags, per-file rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditor.hook.settings import DEFAULT_BASELINE, DEFAULT_FAIL_ABOVE, FileRule, HookSettings, find_config, load_settings
from auditor.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_configuration(tmp_path):
    (tmp_path / ".git").mkdir()
    settings = load_settings(environ={}, start=tmp_path)
    assert settings.root == tmp_path.resolve()
    assert settings.config_file is None
    assert (settings.fail_above, settings.threshold, settings.baseline, settings.model) == (DEFAULT_FAIL_ABOVE, None, DEFAULT_BASELINE, None)
    assert settings.baseline_path == tmp_path.resolve() / ".auditor-baseline.json"


def test_pyproject_table_is_read_and_paths_are_relative_to_it(tmp_path):
    write(tmp_path / "pyproject.toml", """
[project]
name = "data"
[tool.auditor]
fail-above = 0.25
threshold = 0.9
baseline = "meta/baseline.json"
model = "models/mine"
method = "acc"
text-field = "content"
id-field = "uid"
format = "jsonl"
reference-human = "refs/human.jsonl"
""")
    sub = tmp_path / "data" / "deep"
    sub.mkdir(parents=True)
    settings = load_settings(environ={}, start=sub)
    root = tmp_path.resolve()
    assert settings.root == root and settings.config_file == root / "pyproject.toml"
    assert (settings.fail_above, settings.threshold, settings.method) == (0.25, 0.9, "acc")
    assert (settings.text_field, settings.id_field, settings.format) == ("content", "uid", "jsonl")
    assert settings.baseline_path == root / "meta" / "baseline.json"
    assert settings.model_path == root / "models" / "mine"
    assert settings.reference_paths() == [str(root / "refs" / "human.jsonl")]


def test_auditor_toml_takes_top_level_keys_and_wins_over_pyproject(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.auditor]\nfail-above = 0.5\n")
    write(tmp_path / ".auditor.toml", "fail-above = 0.02\n")
    assert load_settings(environ={}, start=tmp_path).fail_above == 0.02


def test_pyproject_without_the_table_is_passed_over_up_to_the_repository_root(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.auditor]\nfail-above = 0.3\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo / "pyproject.toml", "[project]\nname = 'x'\n")
    root, config_file, table = find_config(repo)
    assert (root, config_file, dict(table)) == (repo.resolve(), None, {})  # the search stops at .git


def test_precedence_flags_over_environment_over_file(tmp_path):
    write(tmp_path / ".auditor.toml", "fail-above = 0.3\nthreshold = 0.8\nmodel = 'from-file'\n")
    environ = {"AUDITOR_FAIL_ABOVE": "0.4", "AUDITOR_THRESHOLD": "0.7", "AUDITOR_MODEL": "/env/model"}
    settings = load_settings(overrides={"fail_above": 0.5, "threshold": None}, environ=environ, start=tmp_path)
    assert settings.fail_above == 0.5  # flag
    assert settings.threshold == 0.7  # environment (the flag was not given)
    assert settings.model_path == Path("/env/model")


def test_command_line_paths_are_relative_to_the_working_directory(tmp_path, monkeypatch):
    write(tmp_path / ".auditor.toml", "baseline = 'in-repo.json'\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(overrides={"baseline": "elsewhere.json"}, environ={}, start=tmp_path)
    assert settings.baseline_path == Path(os.getcwd()) / "elsewhere.json"


def test_explicit_config_file(tmp_path):
    config = write(tmp_path / "conf" / "auditor.toml", "threshold = 0.6\n")
    settings = load_settings(config, environ={})
    assert settings.threshold == 0.6 and settings.root == config.parent.resolve()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fail_above = 0.1\n", "unknown setting 'fail_above' (did you mean 'fail-above'?)"),
        ("colour = 'red'\n", "unknown setting 'colour'; known settings: fail-above, threshold"),
        ("fail-above = 1.5\n", "fail-above must be a number between 0 and 1, got 1.5"),
        ("threshold = true\n", "threshold must be a number between 0 and 1, got True"),
        ("model = 3\n", "model must be a non-empty string, got 3"),
        ("method = 'vote'\n", "method must be one of em, acc, cc, not 'vote'"),
        ("format = 'xml'\n", "format must be one of auto, jsonl, parquet, csv, txt, not 'xml'"),
        ("reference-human = [1]\n", "reference-human must be a path or a list of paths"),
        ("files = 3\n", "files must be a table of patterns"),
        ('[files."a/*"]\ncolour = 1\n', "files.'a/*': unknown setting 'colour'"),
        ('[files."a/*"]\nfail-above = -1\n', "files.'a/*'.fail-above must be a number between 0 and 1"),
        ("fail-above = \n", "invalid TOML"),
    ],
)
def test_bad_settings_name_the_file_and_the_setting(tmp_path, text, message):
    config = write(tmp_path / ".auditor.toml", text)
    with pytest.raises(ConfigError) as err:
        load_settings(environ={}, start=tmp_path)
    assert str(err.value).startswith(str(config.resolve()))
    assert message in str(err.value)


def test_bad_environment_value_names_the_variable(tmp_path):
    (tmp_path / ".git").mkdir()
    with pytest.raises(ConfigError, match=r"\$AUDITOR_FAIL_ABOVE must be a number between 0 and 1, got 'lots'"):
        load_settings(environ={"AUDITOR_FAIL_ABOVE": "lots"}, start=tmp_path)


def test_explicit_pyproject_must_hold_the_table(tmp_path):
    config = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match="no \\[tool.auditor\\] table"):
        load_settings(config, environ={})


def test_per_file_rules_first_match_wins(tmp_path):
    write(tmp_path / ".auditor.toml", """
fail-above = 0.1
[files."generated/*"]
fail-above = 1.0
[files."generated/strict/*"]
threshold = 0.5
[files."*.csv"]
threshold = 0.7
""")
    settings = load_settings(environ={}, start=tmp_path)
    assert settings.files[0] == FileRule("generated/*", 1.0, None)
    assert settings.rule_for("generated/strict/a.jsonl") == (1.0, None)  # the first pattern matches (fnmatch * crosses /)
    assert settings.rule_for("data/a.csv") == (0.1, 0.7)
    assert settings.rule_for("data/a.jsonl") == (0.1, None)


def test_keys_are_posix_and_relative_to_the_root(tmp_path, monkeypatch):
    settings = HookSettings(root=tmp_path)
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path / "data")
    assert settings.key_for("a.jsonl") == "data/a.jsonl"
    assert settings.key_for(tmp_path / "b" / "c.jsonl") == "b/c.jsonl"
    with pytest.raises(ConfigError, match="is outside the repository root"):
        settings.key_for(tmp_path.parent / "x.jsonl")


def test_recorded_settings_resolve_the_model_threshold(tmp_path):
    settings = HookSettings(root=tmp_path, files=(FileRule("g/*", fail_above=1.0),))
    recorded = settings.recorded("abc", 0.9)
    assert recorded["threshold"] == 0.9 and recorded["model-sha256"] == "abc"
    assert recorded["files"] == [{"pattern": "g/*", "fail-above": 1.0, "threshold": None}]  # a list: order decides
    swapped = HookSettings(root=tmp_path, files=(FileRule("h/*", threshold=0.2), FileRule("g/*", fail_above=1.0)))
    assert swapped.recorded("abc", 0.9) != HookSettings(root=tmp_path, files=swapped.files[::-1]).recorded("abc", 0.9)
    assert settings.recorded("abc", 0.9, {"refs/h.jsonl": "d" * 64})["reference-human"] == {"refs/h.jsonl": "d" * 64}
    assert HookSettings(root=tmp_path / "elsewhere", files=(FileRule("g/*", fail_above=1.0),)).recorded("abc", 0.9) == recorded
