"""Corpora with a realistic vocabulary: hundreds of thousands of distinct words.

Synthetic corpora drawn from a few ten thousand words hid a crash that stopped
every command on any real corpus (the word-hash cache was cleared when full and
then asked for words it had just dropped). These tests run the commands on a
corpus whose vocabulary is open, as real text's is (``benchmarks/corpora.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.features import tokens as tokens_module
from auditor.features.minhash import word_hash64
from auditor.features.tokens import tokenize_batch
from auditor.corpus.batches import FingerprintOptions
from auditor.corpus.runner import fingerprint
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from corpora import distinct_words, make_corpus  # noqa: E402


@pytest.fixture(scope="module")
def big_vocabulary(tmp_path_factory) -> Path:
    """~5 MB, 2,000 documents of 300 words, about 220,000 distinct words."""
    path = tmp_path_factory.mktemp("vocabulary") / "corpus.jsonl"
    make_corpus(path, 2000, seed=7, exponent=1.1)
    return path


def test_the_corpus_has_a_realistic_vocabulary(big_vocabulary):
    assert distinct_words(big_vocabulary) > 200_000


def test_a_full_word_cache_never_loses_a_hash_it_needs(monkeypatch):
    monkeypatch.setattr(tokens_module, "_MAX_CACHED_WORDS", 50)
    monkeypatch.setattr(tokens_module, "_word_hash_cache", {})
    for start in range(0, 400, 30):
        # Each batch repeats words of the previous one (cached) and brings new ones (overflowing the cache).
        words = [f"w{i}" for i in range(max(0, start - 30), start + 40)]
        batch = tokenize_batch([" ".join(words)])
        assert batch.word_hashes.tolist() == [word_hash64(w) for w in words]
        assert len(tokens_module._word_hash_cache) <= 50


def test_a_batch_with_more_new_words_than_the_cache_holds_caches_at_most_its_cap(monkeypatch):
    monkeypatch.setattr(tokens_module, "_MAX_CACHED_WORDS", 10)
    monkeypatch.setattr(tokens_module, "_word_hash_cache", {})
    words = [f"x{i}" for i in range(100)]
    assert tokenize_batch([" ".join(words)]).word_hashes.tolist() == [word_hash64(w) for w in words]
    assert len(tokens_module._word_hash_cache) == 10


def test_fingerprints_with_a_bounded_cache_equal_an_unbounded_caches(big_vocabulary, tmp_path, monkeypatch):
    monkeypatch.setattr(tokens_module, "_word_hash_cache", {})
    monkeypatch.setattr(tokens_module, "_MAX_CACHED_WORDS", 10**9)
    unbounded = fingerprint([str(big_vocabulary)], out=tmp_path / "unbounded.parquet", options=FingerprintOptions())
    assert len(tokens_module._word_hash_cache) > 200_000  # the corpus did hold that many words
    monkeypatch.setattr(tokens_module, "_word_hash_cache", {})
    monkeypatch.setattr(tokens_module, "_MAX_CACHED_WORDS", 1000)
    bounded = fingerprint([str(big_vocabulary)], out=tmp_path / "bounded.parquet", options=FingerprintOptions())
    assert len(tokens_module._word_hash_cache) <= 1000
    assert bounded.summary["documents"] == unbounded.summary["documents"] == 2000
    assert pq.read_table(tmp_path / "bounded.parquet").equals(pq.read_table(tmp_path / "unbounded.parquet"))


def test_the_reported_reproduction_fingerprints_110k_distinct_words(tmp_path):
    corpus = tmp_path / "v.jsonl"
    corpus.write_text("".join(json.dumps({"text": f"w{i}"}) + "\n" for i in range(110_000)), encoding="utf-8")
    result = CliRunner().invoke(cli, ["fingerprint", str(corpus), "--out", str(tmp_path / "v.parquet"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert pq.read_metadata(tmp_path / "v.parquet").num_rows == 110_000


def test_every_corpus_command_reads_a_realistic_vocabulary(big_vocabulary, tmp_path):
    runner = CliRunner()
    corpus = str(big_vocabulary)
    commands = {
        "fingerprint": ["fingerprint", corpus, "--out", str(tmp_path / "fp.parquet"), "--quiet"],
        "scan": ["scan", corpus, "--out", str(tmp_path / "audit"), "--quiet"],
        "filter": ["filter", corpus, "--from-scan", str(tmp_path / "audit"), "--keep", str(tmp_path / "keep.jsonl"),
                   "--reject", str(tmp_path / "reject.jsonl"), "--quiet"],
        "index build": ["index", "build", corpus, "--out", str(tmp_path / "index"), "--quiet"],
        "project": ["project", "--synthetic-fraction", "0.2", "--corpus", corpus, "--json"],
        "scan --known-synthetic": ["scan", corpus, "--out", str(tmp_path / "audit-known"), "--known-synthetic", str(tmp_path / "index"), "--quiet"],
    }
    for name, args in commands.items():
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, f"{name}: {result.output}"
    summary = json.loads((tmp_path / "audit" / "summary.json").read_text(encoding="utf-8"))
    assert summary["documents"] == 2000
    kept = (tmp_path / "keep.jsonl").read_text(encoding="utf-8").count("\n")
    rejected = (tmp_path / "reject.jsonl").read_text(encoding="utf-8").count("\n")
    assert kept + rejected == 2000


def test_the_hook_reads_a_realistic_vocabulary(big_vocabulary, tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "corpus.jsonl").write_bytes(big_vocabulary.read_bytes())
    subprocess.run(["git", "-C", str(root), "add", "corpus.jsonl"], check=True)
    # Threshold 0 makes every document with a posterior above 0 a finding (all of them, in a file the
    # model estimates at 1.00), so the hook blocks: the line proves each one was read and scored.
    result = subprocess.run([sys.executable, "-m", "auditor", "hook", "corpus.jsonl", "--threshold", "0", "--fail-above", "1",
                             "--max-shown", "1"],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("corpus.jsonl: 2,000 new findings in 2,000 documents"), result.stdout
