"""``auditor train`` via CliRunner: a model directory that loads, and option errors."""

from click.testing import CliRunner

from auditor.cli import cli
from auditor.detector.scorer import load_detector


def test_train_cli_writes_a_loadable_model(tmp_path, labelled_path, monkeypatch, tiny_table):
    from auditor.features import style

    monkeypatch.setattr(style.FrequencyTable, "from_wordfreq", classmethod(lambda cls, top_n=0: tiny_table))
    out = tmp_path / "m"
    result = CliRunner().invoke(cli, ["train", str(labelled_path), "--out", str(out), "--group-field", "group", "--name", "cli"])
    assert result.exit_code == 0, result.output
    assert "threshold" in result.output and f"wrote {out}" in result.output
    assert load_detector(out).name == "cli"
    bad = CliRunner().invoke(cli, ["train", str(labelled_path), "--out", str(out), "--exclude", "nonsense"])
    assert bad.exit_code == 2 and "is not FIELD=VALUE" in bad.output
