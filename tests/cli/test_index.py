"""``auditor index build``: an index of known machine text, and a scan that marks and counts the documents it matches."""

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from conftest import SAMPLE

MIXED = str(SAMPLE / "mixed.jsonl")


def test_known_synthetic_index_marks_and_counts_matches(tmp_path, tiny_model_dir):
    runner = CliRunner()
    machine = str(Path(MIXED).parent / "machine_python_docs.jsonl")  # the machine texts mixed.jsonl holds
    built = runner.invoke(cli, ["index", "build", machine, "--out", str(tmp_path / "idx"), "--quiet"])
    assert built.exit_code == 0, built.output
    assert built.output == ""  # --quiet: nothing on stdout or stderr
    result = runner.invoke(cli, ["scan", MIXED, "--out", str(tmp_path / "o"), "--model", str(tiny_model_dir),
                                 "--known-synthetic", str(tmp_path / "idx"), "--method", "cc", "--threshold", "1"])
    assert result.exit_code == 0, result.output
    assert "known synthetic: 60 documents match" in result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["known_synthetic"]["matched"] == 60 and summary["known_synthetic"]["indexed_documents"] == 80
    table = pq.read_table(tmp_path / "o" / "documents.parquet")
    jaccard = np.array(table.column("known_synthetic_jaccard").to_pylist())
    machine_rows = np.array([i.startswith("machine:") for i in table.column("id").to_pylist()])
    assert (jaccard[machine_rows] == 1.0).all() and (jaccard[~machine_rows] < 0.8).all()
    # cc at threshold 1 flags nothing else, so the estimate is exactly the matched share.
    assert summary["synthetic_fraction"]["estimate"] == pytest.approx(60 / 303)
    assert summary["synthetic_fraction"]["known_synthetic"] == 60
    mismatch = runner.invoke(cli, ["scan", MIXED, "--out", str(tmp_path / "p"), "--model", str(tiny_model_dir),
                                   "--known-synthetic", str(tmp_path / "idx"), "--num-perm", "64"])
    assert mismatch.exit_code == 2
    assert "index built with num_perm=128 seed=1 (datasketch 2.x), scan uses num_perm=64" in mismatch.output
