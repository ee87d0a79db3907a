"""The fingerprint stage end to end: table contents, metadata, determinism, atomic output."""

import hashlib
import json
import random
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import auditor
from auditor.features.stats import FEATURE_NAMES
from auditor.corpus.batches import FingerprintOptions
from auditor.corpus.parallel import ExecutionOptions
from auditor.corpus.runner import LateColumn, read_metadata


def write_corpus(path, texts, extra=()):
    with open(path, "w", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            fh.write(json.dumps({"id": f"d{i}", "text": text}) + "\n")
        for line in extra:
            fh.write(line + "\n")


def texts(n=40, seed=3):
    rng = random.Random(seed)
    vocab = [f"{a}{b}{c}" for a in "bdkmst" for b in "aeiou" for c in "nrls"]
    out = [" ".join(rng.choice(vocab) for _ in range(120)) + "." for _ in range(n)]
    out.append(out[7].replace(out[7].split()[60], "changed", 1))  # near-duplicate of doc 7
    return out


def test_table_columns_rows_and_clusters(tmp_path):
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, texts(), extra=["{broken", json.dumps({"text": 5})])
    out = tmp_path / "fp.parquet"
    result = auditor.fingerprint([str(corpus)], out=out, options=FingerprintOptions(reader=auditor.ReaderOptions(id_field="id")))
    table = pq.read_table(out)
    assert table.num_rows == 41
    assert table.column_names[:4] == ["source", "row", "record", "id"]
    assert set(FEATURE_NAMES) <= set(table.column_names)
    assert table.column_names[-4:] == ["evasion_chars", "minhash", "dup_cluster", "row_in_file"]
    frame = table.to_pandas()
    assert frame["row"].tolist() == list(range(41))
    assert frame["id"].iloc[40] == "d40"
    assert len(frame["minhash"].iloc[0]) == 128
    assert frame["dup_cluster"].iloc[7] == frame["dup_cluster"].iloc[40] == 0
    assert frame["dup_cluster"].isna().sum() == 39
    summary = result.summary
    assert summary["documents"] == 41
    assert summary["skipped"] == {"total": 2, "by_reason": {"invalid_json": 1, "non_string_text": 1}}
    assert summary["near_duplicates"]["clusters"] == 1
    assert summary["near_duplicates"]["documents_in_clusters"] == 2
    meta = read_metadata(out)
    assert meta == json.loads(json.dumps(summary))
    assert meta["fingerprint"]["minhash"]["num_perm"] == 128
    assert meta["fingerprint"]["minhash"]["datasketch_version"].startswith("2.")


def test_output_is_byte_identical_across_runs_and_batch_sizes(tmp_path):
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, texts(60))
    digests = set()
    for i, batch_docs in enumerate([512, 7, 1]):
        out = tmp_path / f"fp{i}.parquet"
        auditor.fingerprint([str(corpus)], out=out, options=FingerprintOptions(batch_docs=batch_docs))
        digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
    auditor.fingerprint([str(corpus)], out=tmp_path / "again.parquet")
    digests.add(hashlib.sha256((tmp_path / "again.parquet").read_bytes()).hexdigest())
    assert len(digests) == 1


def test_library_returns_frame_without_out(tmp_path):
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, texts(10))
    result = auditor.fingerprint([str(corpus)])
    assert result.frame is not None and len(result.frame) == 11
    assert result.frame["dup_cluster"].notna().sum() == 2


def test_failed_run_leaves_no_output(tmp_path, monkeypatch):
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, texts(20))
    out = tmp_path / "fp.parquet"
    out.write_bytes(b"previous content")

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash mid-run")

    # The package exports a function named like its module; patch the module itself.
    monkeypatch.setattr(sys.modules["auditor.corpus.batches"], "compute_stats", boom)
    with pytest.raises(RuntimeError):
        auditor.fingerprint([str(corpus)], out=out)
    assert out.read_bytes() == b"previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "fp.parquet"]


def test_no_near_duplicates_option(tmp_path):
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, texts(10))
    result = auditor.fingerprint([str(corpus)], options=FingerprintOptions(near_duplicates=False))
    assert result.summary["near_duplicates"] == {"enabled": False}
    assert result.frame["dup_cluster"].isna().all()


def test_invalid_options():
    with pytest.raises(ValueError, match="num_perm"):
        FingerprintOptions(num_perm=0)
    with pytest.raises(ValueError, match="dup_threshold"):
        FingerprintOptions(dup_threshold=1.5)


@pytest.mark.parametrize("to_file", [True, False])
def test_late_columns_are_written_with_the_table(tmp_path, to_file):
    """What ``conclude`` returns once every shard is in lands after its named column, in row order, in one pass."""
    corpus = tmp_path / "c.jsonl"
    write_corpus(corpus, texts(30))
    seen = []

    def conclude(summary):
        seen.append(summary["documents"])
        return [LateColumn(pa.field("late", pa.float64()), "id", np.arange(summary["documents"], dtype=np.float64) / 2)]

    out = tmp_path / "fp.parquet" if to_file else None
    result = auditor.fingerprint([str(corpus)], out=out, conclude=conclude,
                                 options=FingerprintOptions(batch_docs=7), execution=ExecutionOptions(shard_bytes=4096))
    table = pq.read_table(out) if to_file else pa.Table.from_pandas(result.frame, preserve_index=False)
    assert seen == [31]
    names = table.column_names
    assert names[names.index("id") + 1] == "late"
    assert table.column("late").to_pylist() == [i / 2 for i in range(31)]
    if to_file:
        assert read_metadata(out)["documents"] == 31
