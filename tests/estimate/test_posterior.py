"""``p_machine_given_corpus``: posteriors that follow the corpus's estimate, and never condemn on a boundary."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
from click.testing import CliRunner

from auditor.cli import cli
from auditor.estimate.posterior import corpus_prior
from conftest import DOCSTRINGS


def test_the_prior_stays_off_0_and_1_and_is_neutral_for_a_handful_of_documents():
    assert corpus_prior(1.0, 100) == 1 - 1 / 102 and corpus_prior(0.0, 100) == 1 / 102
    assert corpus_prior(0.3, 100) == 0.3
    assert corpus_prior(1.0, 5) == corpus_prior(0.0, 19) == 0.5  # under 20 documents the estimate is [0, 1]


def test_documents_matched_to_known_text_do_not_raise_the_others_posterior(tmp_path, tiny_model_dir):
    human, machine = DOCSTRINGS / "human_stdlib_docstrings.jsonl", DOCSTRINGS / "machine_docstrings.jsonl"
    runner = CliRunner()
    assert runner.invoke(cli, ["index", "build", str(machine), "--out", str(tmp_path / "idx"), "--quiet"]).exit_code == 0
    result = runner.invoke(cli, ["scan", str(human), str(machine), "--out", str(tmp_path / "o"), "--model", str(tiny_model_dir),
                                 "--known-synthetic", str(tmp_path / "idx"), "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    table = pq.read_table(tmp_path / "o" / "documents.parquet", columns=["known_synthetic_jaccard", "p_machine_given_corpus"])
    matched = np.array(table.column(0).to_pylist(), dtype=float) >= 0.8
    posterior = np.array(table.column(1).to_pylist())
    assert matched.sum() == 80 and (posterior[matched] == 1.0).all()
    # The prior of the 300 unmatched documents is their own estimate, not the corpus's (which counts the 80).
    assert summary["posterior"]["prior"] < summary["synthetic_fraction"]["estimate"]
    assert summary["posterior"]["expected_machine_documents"] < 80 + 0.1 * 300
    assert (posterior[~matched] > 0.5).sum() <= 3


def test_a_small_file_estimated_at_1_does_not_condemn_its_human_documents(tmp_path, tiny_model_dir):
    lines = (DOCSTRINGS / "machine_docstrings.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    lines += (DOCSTRINGS / "human_stdlib_docstrings.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    corpus = tmp_path / "small.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(tmp_path / "o"), "--model", str(tiny_model_dir), "--quiet"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "o" / "documents.parquet", columns=["p_synthetic", "p_machine_given_corpus"]).to_pylist()
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["posterior"]["prior"] == 0.5
    for row in table:  # a neutral prior: each document's own evidence decides
        assert (row["p_machine_given_corpus"] > 0.5) == (row["p_synthetic"] > 0.5) or abs(row["p_synthetic"] - 0.5) < 0.1
