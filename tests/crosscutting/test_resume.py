"""Interrupted runs: the checkpoint of completed shards, ``--resume``, and what a killed run leaves behind."""

from __future__ import annotations

import hashlib
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from auditor.corpus.checkpoint import checkpoint_dir
from auditor.cli import cli
from auditor.errors import InputError
from auditor.corpus.batches import FingerprintOptions
from auditor.corpus.runner import fingerprint
from auditor.corpus.parallel import ExecutionOptions
from auditor.io.problems import Problem, ReadReport
from auditor.pipeline.scan import ScanOptions, scan
from conftest import DOCSTRINGS, SAMPLE

OUTPUTS = ("documents.parquet", "summary.json", "tokens.parquet", "report.md", "report.html")


class Interrupt(KeyboardInterrupt):
    """Ctrl-C, raised from the progress callback once enough documents are done."""


def interrupt_after(documents: int):
    def progress(p) -> None:
        if p.documents >= documents:
            raise Interrupt
    return progress


def digests(out: Path) -> dict[str, str]:
    return {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in OUTPUTS}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The sample data plus a file with bad records (so read reports carry examples), ~600 KB."""
    root = tmp_path_factory.mktemp("corpus")
    lines = []
    for path in (DOCSTRINGS / "human_stdlib_docstrings.jsonl", DOCSTRINGS / "machine_docstrings.jsonl", SAMPLE / "mixed.jsonl"):
        lines += path.read_text(encoding="utf-8").splitlines()
    lines[40] = "{not json"
    lines[300] = json.dumps({"text": ""})
    (root / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "corpus.jsonl"


@pytest.fixture(scope="module")
def uninterrupted(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("whole")
    scan([str(corpus)], out)
    assert not checkpoint_dir(out / "documents.parquet").exists()  # removed once the run finished
    return out


def completed_shards(out: Path) -> list[str]:
    return sorted(p.name for p in checkpoint_dir(out / "documents.parquet").glob("shard-*.json"))


@pytest.mark.parametrize("execution", [ExecutionOptions(shard_bytes=20_000), ExecutionOptions(jobs=2, shard_bytes=20_000)],
                         ids=["in-process", "jobs2"])
def test_interrupted_scan_resumes_to_identical_outputs(corpus, uninterrupted, execution, tmp_path):
    options = ScanOptions(execution=execution)
    with pytest.raises(Interrupt):
        scan([str(corpus)], tmp_path, options, progress=interrupt_after(300))
    assert not (tmp_path / "summary.json").exists() and not (tmp_path / "documents.parquet").exists()
    done = completed_shards(tmp_path)
    assert done, "the interrupted run completed no shard: nothing would be resumed"
    result = scan([str(corpus)], tmp_path, options, resume=True)
    assert result.resumed_shards == len(done) and result.shards > len(done)
    assert digests(tmp_path) == digests(uninterrupted)
    assert not checkpoint_dir(tmp_path / "documents.parquet").exists()


def test_resume_after_every_shard_was_completed(corpus, uninterrupted, tmp_path, monkeypatch):
    # Killed between the last shard and the output (e.g. during the second pass).
    fp_module = sys.modules["auditor.corpus.runner"]  # the package exports a function of the same name

    def crash(*args, **kwargs):
        raise Interrupt

    options = ScanOptions(execution=ExecutionOptions(shard_bytes=50_000))
    with monkeypatch.context() as patch:
        patch.setattr(fp_module, "cluster_column", crash)
        with pytest.raises(Interrupt):
            scan([str(corpus)], tmp_path, options)
    result = scan([str(corpus)], tmp_path, options, resume=True)
    assert result.resumed_shards == result.shards > 1
    assert digests(tmp_path) == digests(uninterrupted)


def test_resume_without_a_checkpoint_runs_from_the_start(corpus, uninterrupted, tmp_path):
    result = scan([str(corpus)], tmp_path, resume=True)
    assert result.resumed_shards == 0
    assert digests(tmp_path) == digests(uninterrupted)


def test_a_run_without_resume_discards_an_old_checkpoint(corpus, uninterrupted, tmp_path):
    options = ScanOptions(execution=ExecutionOptions(shard_bytes=20_000))
    with pytest.raises(Interrupt):
        scan([str(corpus)], tmp_path, options, progress=interrupt_after(300))
    assert completed_shards(tmp_path)
    result = scan([str(corpus)], tmp_path, options)
    assert result.resumed_shards == 0
    assert digests(tmp_path) == digests(uninterrupted)


def interrupted(corpus: Path, out: Path, options: ScanOptions = ScanOptions(execution=ExecutionOptions(shard_bytes=20_000))) -> None:
    with pytest.raises(Interrupt):
        scan([str(corpus)], out, options, progress=interrupt_after(300))
    assert completed_shards(out)


def test_resume_refuses_a_changed_input_or_setting(corpus, tmp_path):
    copy = tmp_path / "corpus.jsonl"
    copy.write_bytes(corpus.read_bytes())
    out = tmp_path / "out"
    interrupted(copy, out)
    shards = ExecutionOptions(shard_bytes=20_000)
    with pytest.raises(InputError, match=r"the interrupted run had other scoring \(.*run again without --resume to start over$"):
        scan([str(copy)], out, ScanOptions(threshold=0.5, execution=shards), resume=True)
    with pytest.raises(InputError, match=r"the interrupted run had other settings \("):
        scan([str(copy)], out, ScanOptions(fingerprint=FingerprintOptions(dup_threshold=0.7), execution=shards), resume=True)
    with open(copy, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "one more document appended after the interruption"}) + "\n")
    result = CliRunner().invoke(cli, ["scan", str(copy), "--out", str(out), "--resume", "--quiet"])
    assert result.exit_code == 2
    assert result.output == (f"error: {checkpoint_dir(out / 'documents.parquet')}: the interrupted run had other inputs (an input "
                             "file changed, or another setting, model or version); run again without --resume to start over\n")
    assert completed_shards(out)  # refused, not discarded: the user decides


def test_damaged_or_hostile_checkpoint_is_refused_and_never_unpickled(corpus, tmp_path):
    interrupted(corpus, tmp_path)
    partial = checkpoint_dir(tmp_path / "documents.parquet")
    options = ScanOptions(execution=ExecutionOptions(shard_bytes=20_000))
    (partial / "shard-000000.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"shard-000000\.json: damaged checkpoint .*run again without --resume"):
        scan([str(corpus)], tmp_path, options, resume=True)

    interrupted(corpus, tmp_path)
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return open, (str(marker), "w")  # unpickling would create the marker file

    payload = io.BytesIO()
    np.savez(payload, scores=np.array([Exploit()], dtype=object))
    (partial / "shard-000000.npz").write_bytes(payload.getvalue())
    with pytest.raises(InputError, match=r"shard-000000\.npz: damaged checkpoint \(not the file shard-000000\.json recorded"):
        scan([str(corpus)], tmp_path, options, resume=True)
    # Whoever can write the directory can also record the payload's hash: it is still never unpickled.
    interrupted(corpus, tmp_path)
    (partial / "shard-000000.npz").write_bytes(payload.getvalue())
    record = json.loads((partial / "shard-000000.json").read_text(encoding="utf-8"))
    record["sha256"][".npz"] = hashlib.sha256(payload.getvalue()).hexdigest()
    (partial / "shard-000000.json").write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(InputError, match=r"shard-000000\.json: damaged checkpoint .*pickle"):
        scan([str(corpus)], tmp_path, options, resume=True)
    assert not marker.exists()


def shard_files(out: Path, index: int) -> list[Path]:
    return sorted(checkpoint_dir(out / "documents.parquet").glob(f"shard-{index:06d}.*"))


def test_shards_of_another_run_are_refused(corpus, tmp_path):
    """Two interrupted runs of the same inputs and settings: a shard copied from one into the other is refused."""
    first, second = tmp_path / "first", tmp_path / "second"
    interrupted(corpus, first)
    interrupted(corpus, second)
    for path in shard_files(first, 1):
        (checkpoint_dir(second / "documents.parquet") / path.name).write_bytes(path.read_bytes())
    with pytest.raises(InputError, match=r"shard-000001\.json: a shard of another run \(not the one .*run\.json records\); "
                                         r"run again without --resume$"):
        scan([str(corpus)], second, ScanOptions(execution=ExecutionOptions(shard_bytes=20_000)), resume=True)


def test_swapped_shards_are_refused_not_read_out_of_order(corpus, tmp_path):
    interrupted(corpus, tmp_path)
    partial = checkpoint_dir(tmp_path / "documents.parquet")
    for path in shard_files(tmp_path, 0):  # shard 0's files become shard 1's, and the other way round
        path.rename(path.with_name(path.name.replace("000000", "swap")))
    for path in shard_files(tmp_path, 1):
        path.rename(path.with_name(path.name.replace("000001", "000000")))
    for path in sorted(partial.glob("shard-swap.*")):
        path.rename(path.with_name(path.name.replace("swap", "000001")))
    result = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(tmp_path), "--shard-size", "20000", "--resume", "--quiet"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {partial / 'shard-000000.json'}: this shard covers another part of the input than "
                                    "shard 0 of this run (recorded: ")
    assert result.output.endswith("); run again without --resume\n")


def test_a_shard_whose_rows_were_replaced_is_refused(corpus, tmp_path):
    interrupted(corpus, tmp_path)
    partial = checkpoint_dir(tmp_path / "documents.parquet")
    (partial / "shard-000001.arrow").write_bytes((partial / "shard-000000.arrow").read_bytes())
    with pytest.raises(InputError, match=r"shard-000001\.arrow: damaged checkpoint \(not the file shard-000001\.json recorded: "
                                         r"its SHA-256 differs\); run again without --resume$"):
        scan([str(corpus)], tmp_path, ScanOptions(execution=ExecutionOptions(shard_bytes=20_000)), resume=True)


def test_resume_needs_files_not_standard_input(tmp_path):
    data = (DOCSTRINGS / "machine_docstrings.jsonl").read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan", "-", "--out", str(tmp_path), "--resume", "--quiet"], input=data)
    assert result.exit_code == 2
    assert result.output == "error: standard input (-) cannot be read again: --resume needs files\n"
    with pytest.raises(ValueError, match="resume needs an output path"):
        fingerprint([str(SAMPLE)], resume=True)


def test_fingerprint_command_resumes_too(corpus, tmp_path):
    out = tmp_path / "fp.parquet"
    with pytest.raises(Interrupt):
        fingerprint([str(corpus)], out=out, execution=ExecutionOptions(shard_bytes=20_000), progress=interrupt_after(300))
    result = CliRunner().invoke(cli, ["fingerprint", str(corpus), "--out", str(out), "--shard-size", "20000", "--resume"])
    assert result.exit_code == 0, result.output
    assert "resumed " in result.output and " shards from the interrupted run" in result.output
    fingerprint([str(corpus)], out=tmp_path / "whole.parquet")
    assert out.read_bytes() == (tmp_path / "whole.parquet").read_bytes()


@pytest.mark.parametrize(("value", "expected"), [("20000", 20000), ("512k", 512 * 1024), ("8M", 8 * 2**20), ("1.5MiB", 1572864)])
def test_shard_size_accepts_units(value, expected, monkeypatch, tmp_path):
    seen = []
    import auditor.cli.fingerprint as command

    monkeypatch.setattr(command, "fingerprint", lambda *args, execution, **kwargs: seen.append(execution.shard_bytes) or (_ for _ in ()).throw(InputError("stop")))
    result = CliRunner().invoke(cli, ["fingerprint", str(SAMPLE), "--out", str(tmp_path / "f.parquet"), "--shard-size", value])
    assert result.exit_code == 2 and seen == [expected]


def test_shard_size_rejects_nonsense(tmp_path):
    result = CliRunner().invoke(cli, ["scan", str(SAMPLE), "--out", str(tmp_path), "--shard-size", "lots"])
    assert result.exit_code == 2
    assert result.output.endswith("Error: Invalid value for '--shard-size': 'lots' is not a size: give bytes, or a number with k, M or G (e.g. 8M)\n")


def test_read_report_state_round_trips():
    report = ReadReport(max_examples=3)
    report.add_skipped(Problem("a.jsonl", 4, "invalid_json", "Expecting value"))
    report.add_repaired(Problem("b.csv", None, "invalid_utf8", "byte 0xff"))
    report.ignored_files.append("notes.md")
    report.files_read, report.bytes_read, report.documents = 2, 1234, 56
    back = ReadReport.from_state(json.loads(json.dumps(report.to_state())))
    assert back.to_state() == report.to_state() and back.max_examples == 3


def test_killed_scan_leaves_no_output_and_resumes_to_the_same_result(corpus, uninterrupted, tmp_path):
    """SIGKILL (no clean-up at all) mid-run, then ``--resume``: the outputs of an uninterrupted scan."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "scan", str(corpus), "--out", str(out), "--shard-size", "8k", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and len(completed_shards(out)) < 3:
        time.sleep(0.01)
    assert proc.poll() is None, "the scan finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stderr.close()
    visible = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert "summary.json" not in visible and "documents.parquet" not in visible
    result = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(out), "--shard-size", "8k", "--resume"])
    assert result.exit_code == 0, result.output
    assert "resumed " in result.output
    assert digests(out) == digests(uninterrupted)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)  # no checkpoint, no temporary file left
