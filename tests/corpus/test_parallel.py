"""Sharded and parallel runs: shard plans, merged reads, and byte-identical scans across --jobs and backends."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.cli import cli
from auditor.detector.scorer import detector_feature_names, load_detector
from auditor.errors import ConfigError, InputError
from auditor.corpus.batches import FingerprintOptions
from auditor.corpus.runner import fingerprint
from auditor.detector.known import build_index
from auditor.corpus.parallel import WORKER_MIN_BYTES, ExecutionOptions, run_ordered
from auditor.io.problems import ReadReport
from auditor.io.documents import ReaderOptions
from auditor.io.inputs import expand_inputs
from auditor.io.reading import read_documents, read_pieces
from auditor.pipeline.scan import ScanOptions, scan
from auditor.corpus.shards import plan_shards, shard_target
from auditor.projection.token_counts import TokenCounter
from conftest import DOCSTRINGS, SAMPLE

OUTPUTS = ("documents.parquet", "summary.json", "tokens.parquet", "report.md", "report.html")


def sample_records() -> list[dict]:
    records = []
    for name in ("human_stdlib_docstrings.jsonl", "machine_docstrings.jsonl"):
        records += [json.loads(line) for line in (DOCSTRINGS / name).read_text(encoding="utf-8").splitlines()]
    return records


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Every format, bad records in several places, and near-duplicates across files (mixed.jsonl copies the others)."""
    root = tmp_path_factory.mktemp("corpus")
    records = sample_records()
    shutil.copy(SAMPLE / "mixed.jsonl", root / "a_mixed.jsonl")
    lines = [json.dumps(r) for r in records[:150]]
    lines[10] = "{not json"
    lines[70] = json.dumps({"text": ""})
    lines[120] = json.dumps({"body": "no text field"})
    (root / "b_bad.jsonl").write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n\n").encode("utf-8"))
    with gzip.open(root / "c_zipped.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in records[150:250]))
    table = pa.table({"text": [r["text"] for r in records[250:380]], "id": [f"p{i}" for i in range(130)]})
    pq.write_table(table, root / "d_groups.parquet", row_group_size=16)
    with open(root / "e_rows.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows([f"c{i}", record["text"]] for i, record in enumerate(records[:30]))
    crlf = [json.dumps({"text": r["text"], "id": f"w{i}"}) for i, r in enumerate(records[45:75])]
    (root / "g_windows.jsonl").write_bytes("\r\n".join(crlf).encode("utf-8"))  # CRLF, no final newline
    texts = root / "f_texts"
    texts.mkdir()
    for i, record in enumerate(records[30:45]):
        (texts / f"{i:02d}.txt").write_text(record["text"], encoding="utf-8")
    return root


def digests(out: Path) -> dict[str, str]:
    return {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in OUTPUTS}


def sharded_read(paths: list[str], options: ReaderOptions, target: int) -> tuple[list, ReadReport]:
    """What fingerprint() does with shards, without fingerprinting: read each, offset rows, merge reports."""
    report = ReadReport()
    documents = []
    inputs = expand_inputs(paths, options.format, ignored=report.ignored_files)
    for shard in plan_shards(inputs, target):
        part = ReadReport()
        for doc in read_pieces(shard.pieces, options, part):
            documents.append((doc.id, doc.text, doc.source, len(documents), doc.record))
        report.merge(part)
    return documents, report


# --------------------------------------------------------------------------- shard plans


def test_jsonl_is_cut_after_newlines_and_pieces_know_their_first_line(tmp_path):
    path = tmp_path / "lines.jsonl"
    rng = np.random.default_rng(3)
    data = b"".join(json.dumps({"text": "w" * int(n)}).encode() + b"\n" for n in rng.integers(1, 400, size=300))
    path.write_bytes(data)
    shards = list(plan_shards([(str(path), "jsonl")], 2000))
    pieces = [piece for shard in shards for piece in shard.pieces]
    assert len(pieces) > 10 and all(len(shard.pieces) == 1 for shard in shards)
    assert [shard.index for shard in shards] == list(range(len(shards)))
    assert pieces[0].start == 0 and pieces[0].opens_file and not any(p.opens_file for p in pieces[1:])
    assert pieces[-1].stop is None
    for before, after in zip(pieces, pieces[1:]):
        assert before.stop == after.start and data[after.start - 1 : after.start] == b"\n"
        assert after.first_record == data[: after.start].count(b"\n") + 1
        assert before.stop - before.start >= 2000


def test_small_files_are_grouped_and_compressed_or_csv_files_stay_whole(corpus):
    inputs = expand_inputs([str(corpus)])
    shards = list(plan_shards(inputs, 4000))
    by_file: dict[str, int] = {}
    for shard in shards:
        for piece in shard.pieces:
            by_file[piece.path] = by_file.get(piece.path, 0) + 1
    assert by_file[str(corpus / "c_zipped.jsonl.gz")] == 1
    assert by_file[str(corpus / "e_rows.csv")] == 1
    assert by_file[str(corpus / "d_groups.parquet")] > 1
    assert by_file[str(corpus / "a_mixed.jsonl")] > 1
    assert any(len(shard.pieces) > 1 for shard in shards)  # the .txt files travel together
    assert sum(by_file.values()) == sum(len(shard.pieces) for shard in shards)


def test_parquet_pieces_are_runs_of_row_groups_with_their_first_row(corpus):
    path = str(corpus / "d_groups.parquet")
    pieces = [piece for shard in plan_shards([(path, "parquet")], 3000) for piece in shard.pieces]
    assert len(pieces) > 2
    sizes = [pq.ParquetFile(path).metadata.row_group(i).num_rows for i in range(pq.ParquetFile(path).metadata.num_row_groups)]
    for before, after in zip(pieces, pieces[1:]):
        assert before.stop == after.start
        assert after.first_record == sum(sizes[: after.start]) + 1


def test_shard_target_is_bounded():
    assert shard_target([], 2) == 1 << 20
    assert shard_target([("-", "jsonl")], 8) == 1 << 20


@settings(max_examples=15, deadline=None)
@given(target=st.integers(min_value=200, max_value=200_000))
def test_sharded_reads_equal_the_sequential_read(corpus, target):
    options = ReaderOptions()
    expected_report = ReadReport()
    expected = [(d.id, d.text, d.source, d.row, d.record) for d in read_documents([str(corpus)], options, expected_report)]
    documents, report = sharded_read([str(corpus)], options, target)
    assert documents == expected
    assert report.to_dict() == expected_report.to_dict()
    assert report.skipped_total == 3 and report.files_read == expected_report.files_read == 21


def test_report_merge_keeps_the_first_examples_in_input_order():
    from auditor.io.problems import Problem

    first, second = ReadReport(max_examples=3), ReadReport(max_examples=3)
    for i in range(2):
        first.add_skipped(Problem("a", i + 1, "invalid_json", "x"))
    for i in range(3):
        second.add_repaired(Problem("b", i + 1, "missing_id", "y"))
    first.merge(second)
    assert [p.location() for p in first.examples] == ["a:1", "a:2", "b:1"]
    assert first.skipped_by_reason == {"invalid_json": 2} and first.repaired_by_reason == {"missing_id": 3}


def test_token_counts_do_not_depend_on_grouping():
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 50, size=1000).astype(np.uint64)
    docs = np.sort(rng.integers(0, 20, size=1000))
    flagged = rng.random(20) < 0.3
    whole = TokenCounter()
    whole.add(hashes, docs, flagged)
    merged = TokenCounter()
    for lo, hi in ((0, 10), (10, 20)):
        part = TokenCounter()
        mask = (docs >= lo) & (docs < hi)
        part.add(hashes[mask], docs[mask] - lo, flagged[lo:hi])
        merged.update(part)
    a, b = whole.result(), merged.result()
    assert np.array_equal(a.hashes, b.hashes) and np.array_equal(a.unflagged, b.unflagged) and np.array_equal(a.flagged, b.flagged)


def test_scores_do_not_depend_on_the_batch_they_are_computed_in():
    detector = load_detector()
    rng = np.random.default_rng(1)
    X = rng.normal(size=(257, len(detector_feature_names()))) * 3
    words = rng.integers(1, 400, size=257).astype(np.float64)  # both length bands of the calibration
    whole = detector.probability(X, words)
    parts = np.concatenate([detector.probability(X[i : min(i + 13, 257)], words[i : min(i + 13, 257)]) for i in range(0, 257, 13)])
    assert whole.tobytes() == parts.tobytes()


# --------------------------------------------------------------------------- whole runs


def square(x: int) -> int:
    return x * x


def test_run_ordered_keeps_task_order_with_workers():
    assert list(run_ordered(square, range(30), ExecutionOptions(jobs=2))) == [x * x for x in range(30)]
    assert list(run_ordered(square, iter(range(5)))) == [0, 1, 4, 9, 16]


@pytest.fixture(scope="module")
def known_index(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("known") / "index"
    build_index([str(DOCSTRINGS / "machine_docstrings.jsonl")], out)
    return out


@pytest.fixture(scope="module")
def serial_scan(corpus, known_index, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    scan([str(corpus)], out, ScanOptions(known_synthetic=str(known_index)))
    return out


def test_scan_outputs_are_byte_identical_across_shard_plans_and_jobs(corpus, known_index, serial_scan, tmp_path):
    summary = json.loads((serial_scan / "summary.json").read_text())
    assert summary["skipped"]["total"] == 3 and summary["near_duplicates"]["clusters"] > 0
    assert summary["known_synthetic"]["matched"] > 0
    for name, execution in [("tiny-shards", ExecutionOptions(shard_bytes=3000)), ("jobs2", ExecutionOptions(jobs=2, shard_bytes=20_000))]:
        out = tmp_path / name
        scan([str(corpus)], out, ScanOptions(known_synthetic=str(known_index), execution=execution))
        assert digests(out) == digests(serial_scan), name


def test_cli_jobs_2_matches_jobs_1(corpus, tmp_path):
    runner = CliRunner()
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        # --shard-size: this corpus is far below what workers pay off on (ExecutionOptions.sized_for).
        result = runner.invoke(cli, ["scan", str(corpus), "--out", str(out), "--jobs", jobs, "--shard-size", "20k", "--quiet"])
        assert result.exit_code == 0, result.output
        outs.append(digests(out))
    assert outs[0] == outs[1]


def test_workers_are_started_only_where_they_pay_off():
    mib = 1 << 20
    two = ExecutionOptions(jobs=2)
    assert two.sized_for(5 * mib).in_process
    assert two.sized_for(WORKER_MIN_BYTES * 2) == two
    assert ExecutionOptions(jobs=4).sized_for(WORKER_MIN_BYTES * 3).workers == 3
    assert ExecutionOptions(jobs=-1).sized_for(mib).in_process
    for kept in (ExecutionOptions(jobs=2, shard_bytes=mib), ExecutionOptions(jobs=2, backend="dask"), ExecutionOptions()):
        assert kept.sized_for(mib) == kept
    assert two.sized_for(None) == two  # standard input: size unknown


def test_cli_says_when_it_runs_fewer_workers_than_asked(corpus, tmp_path):
    result = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(tmp_path / "out"), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert ("ran in this process, not 2 workers: a worker pays for its start-up from 8 MiB of input each "
            "(--shard-size keeps every worker asked for)\n") in result.stderr
    kept = CliRunner().invoke(cli, ["fingerprint", str(corpus), "--out", str(tmp_path / "fp.parquet"), "--jobs", "2", "--shard-size", "20k"])
    assert kept.exit_code == 0, kept.output
    assert "ran in" not in kept.stderr


def test_fingerprint_table_is_identical_with_workers(corpus, tmp_path):
    one = fingerprint([str(corpus)], out=tmp_path / "one.parquet")
    two = fingerprint([str(corpus)], out=tmp_path / "two.parquet", execution=ExecutionOptions(jobs=2, shard_bytes=5000))
    assert (tmp_path / "one.parquet").read_bytes() == (tmp_path / "two.parquet").read_bytes()
    assert one.summary == two.summary
    rows = pq.read_table(tmp_path / "two.parquet", columns=["row"]).column("row").to_pylist()
    assert rows == list(range(one.summary["documents"]))


def test_strict_error_is_the_first_in_input_order_whatever_finishes_first(tmp_path):
    records = sample_records()
    lines = [json.dumps(r) for r in records]
    lines[350] = "{broken late"
    lines[30] = "{broken early"
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # The late error is in a small shard that finishes long before the first, large one.
    shards = list(plan_shards([(str(path), "jsonl")], 5000))
    assert len(shards) > 10 and shards[0].pieces[0].stop > 5000
    options = FingerprintOptions(reader=ReaderOptions(strict=True))
    for execution in (ExecutionOptions(shard_bytes=5000), ExecutionOptions(jobs=2, shard_bytes=5000)):
        with pytest.raises(InputError, match=f"^{re.escape(str(path))}:31: invalid_json"):
            fingerprint([str(path)], out=tmp_path / "f.parquet", options=options, execution=execution)
        assert not (tmp_path / "f.parquet").exists()
    result = CliRunner().invoke(cli, ["fingerprint", str(path), "--out", str(tmp_path / "f.parquet"), "--strict", "--jobs", "2"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {path}:31: invalid_json")


def test_in_process_runs_stream_batch_by_batch(tmp_path):
    path = DOCSTRINGS / "human_stdlib_docstrings.jsonl"
    seen = []
    fingerprint([str(path)], out=tmp_path / "f.parquet", options=FingerprintOptions(batch_docs=50), progress=lambda p: seen.append(p.documents))
    assert seen == [50, 100, 150, 200, 250, 300]  # one shard, progress after every batch


def test_standard_input_is_read_here_even_with_jobs(tmp_path):
    data = (DOCSTRINGS / "machine_docstrings.jsonl").read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["fingerprint", "-", "--out", str(tmp_path / "f.parquet"), "--jobs", "2", "--quiet"], input=data)
    assert result.exit_code == 0, result.output
    assert pq.read_metadata(tmp_path / "f.parquet").num_rows == len(data.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jobs", "0"], "Error: jobs must be a positive number of workers, or -1 for one per core; got 0\n"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "Error: a scheduler address needs the dask backend: add --backend dask\n"),
        (["--backend", "spark"], "Error: Invalid value for '--backend': 'spark' is not one of 'loky', 'dask'.\n"),
    ],
)
def test_execution_usage_errors_exit_2(args, message, tmp_path):
    result = CliRunner().invoke(cli, ["scan", str(SAMPLE), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert result.output.endswith(message)


def test_dask_backend_without_dask_installed_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    result = CliRunner().invoke(cli, ["scan", str(SAMPLE), "--out", str(tmp_path / "o"), "--backend", "dask", "--quiet"])
    assert result.exit_code == 2
    assert result.output == (
        "error: --backend dask needs dask.distributed, which is not installed: pip install 'auditor[dask]'\n"
    )
    with pytest.raises(ConfigError):
        list(run_ordered(square, range(3), ExecutionOptions(backend="dask")))


# --------------------------------------------------------------------------- dask.distributed


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster


def test_scan_on_a_dask_cluster_matches_the_local_scan(corpus, known_index, serial_scan, dask_cluster, tmp_path, monkeypatch):
    out = tmp_path / "dask"
    monkeypatch.chdir(known_index.parent)  # a relative index path must reach the workers resolved
    execution = ExecutionOptions(backend="dask", scheduler=dask_cluster.scheduler_address, shard_bytes=20_000)
    scan([str(corpus)], out, ScanOptions(known_synthetic=known_index.name, execution=execution))
    assert len(list(plan_shards(expand_inputs([str(corpus)]), 20_000))) > 10
    local = tmp_path / "local"  # the summary records the index path as given: compare like with like
    scan([str(corpus)], local, ScanOptions(known_synthetic=known_index.name))
    assert digests(out) == digests(local)
    assert digests(out)["documents.parquet"] == digests(serial_scan)["documents.parquet"]


def test_cli_dask_backend_starts_its_own_local_cluster(corpus, known_index, serial_scan, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "local-dask"
    result = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(out), "--known-synthetic", str(known_index),
                                      "--backend", "dask", "--jobs", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert digests(out) == digests(serial_scan)
