"""``auditor evaluate``: the table and the JSON, and ``--leave-one-out`` (held-out figures computed the way
``auditor train`` computes them; the library side is in tests/detector/test_training.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli


def test_evaluate_cli_json_and_table(labelled_path, tiny_model_dir):
    runner = CliRunner()
    result = runner.invoke(cli, ["evaluate", str(labelled_path), "--model", str(tiny_model_dir), "--group-field", "group", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["model"]["name"] == "tiny" and payload["overall"]["documents"] == 380
    table = runner.invoke(cli, ["evaluate", str(labelled_path), "--model", str(tiny_model_dir), "--group-field", "group"])
    assert table.exit_code == 0
    assert table.output.splitlines()[1].split()[0] == "group"
    assert table.output.splitlines()[-1].split()[:3] == ["overall", "300", "80"]


@pytest.fixture(scope="module")
def styled(tmp_path_factory, labelled_path) -> Path:
    """The labelled sample with a machine ``style`` (two values) and a ``family`` per group."""
    rows = [json.loads(line) for line in labelled_path.read_text(encoding="utf-8").splitlines()]
    for i, row in enumerate(rows):
        row["family"] = {"g0": "f0", "g1": "f1", "g2": "f2"}[row["group"]]
        row["style"] = ("plain", "fancy")[i % 2] if row["label"] == "machine" else ""
    path = tmp_path_factory.mktemp("styled") / "styled.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_cli_table_and_json(labelled_path, tiny_model_dir):
    args = ["evaluate", str(labelled_path), "--leave-one-out", "group", "--model", str(tiny_model_dir), "--trees", "30"]
    table = CliRunner().invoke(cli, args)
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].startswith("held out: one group at a time (trees); threshold ")
    assert lines[1].split() == ["group", "human", "machine", "AUROC", "TPR@1%FPR", "TPR@5%FPR", "FPR@thr", "TPR@thr"]
    assert [line.split()[0] for line in lines[2:6]] == ["g0", "g1", "g2", "overall"]
    result = json.loads(CliRunner().invoke(cli, [*args, "--json"]).stdout)
    assert result["mode"] == "leave-one-out" and result["field"] == "group" and result["estimator"] == "trees"
    assert set(result["by_group"]) == {"g0", "g1", "g2"} and [f["held_out"] for f in result["folds"]] == ["g0", "g1", "g2"]


def test_style_is_held_out_on_top_of_the_folds(styled, tiny_model_dir):
    result = CliRunner().invoke(cli, ["evaluate", str(styled), "--leave-one-out", "style", "--group-field", "family",
                                      "--model", str(tiny_model_dir), "--trees", "30", "--json"])
    assert result.exit_code == 0, result.output
    by_style = json.loads(result.stdout)["by_group"]
    assert set(by_style) == {"fancy", "plain"}
    for style, row in by_style.items():
        assert row["machine"] == 40 and row["human"] == 300  # the style's documents and every held-out human
        assert row["held_out_with"] == "the humans of its family (f0, f1, f2)"
        assert 0.0 <= row["tpr_at_threshold"] <= 1.0 and row["auroc"] is not None


def test_style_without_a_style_field_exits_2(labelled_path, tiny_model_dir):
    result = CliRunner().invoke(cli, ["evaluate", str(labelled_path), "--leave-one-out", "style", "--group-field", "group",
                                      "--model", str(tiny_model_dir), "--trees", "10"])
    assert result.exit_code == 2
    assert result.output == "error: no machine document has a 'style' field: nothing to hold out\n"


def test_linear_estimator_is_available_to_compare(labelled_path, tiny_model_dir):
    result = CliRunner().invoke(cli, ["evaluate", str(labelled_path), "--leave-one-out", "group", "--estimator", "linear",
                                      "--model", str(tiny_model_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["estimator"] == "linear"


def test_a_source_is_held_out_on_top_of_family_folds(styled, tiny_model_dir, tmp_path):
    rows = [json.loads(line) for line in styled.read_text(encoding="utf-8").splitlines()]
    for i, row in enumerate(rows):
        row["source"] = ("s0", "s1")[i % 2]  # families follow i % 3 within a class: each source spans every family
    path = tmp_path / "sourced.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", str(path), "--leave-one-out", "source", "--folds", "family",
                                      "--model", str(tiny_model_dir), "--trees", "30", "--json"])
    assert result.exit_code == 0, result.output
    by_source = json.loads(result.stdout)["by_group"]
    assert set(by_source) == {"s0", "s1"}
    humans = sum(r["label"] == "human" for r in rows)
    for source, row in by_source.items():
        # its own documents of both classes, plus the held-out humans of the families it spans (all of them)
        assert row["machine"] == sum(r["label"] == "machine" and r["source"] == source for r in rows)
        assert row["human"] == humans
        assert row["held_out_with"] == "the humans of its family (f0, f1, f2)" and row["auroc"] is not None
