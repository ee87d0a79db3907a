"""One run at a time per output location: a second run exits 2 at once naming the location and the holder's pid.

The first run is a real ``auditor`` process that holds its lock while it waits on its
standard input (an input given as ``-``), so the tests need no timing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.errors import OutputLocked
from auditor.lock import DIRECTORY_LOCK, holder_pid, lock_file_for, output_lock
from auditor.pipeline.scan import ScanOptions, scan
from conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "docstrings" / "machine_docstrings.jsonl"


def run(args: list[object]):
    return CliRunner().invoke(cli, [str(a) for a in args])


@contextlib.contextmanager
def first_run(args: list[object], lock_file: Path) -> Iterator[subprocess.Popen]:
    """``auditor ARGS`` reading standard input, once it holds ``lock_file``; killed (SIGKILL) at the end."""
    proc = subprocess.Popen([sys.executable, "-m", "auditor", *map(str, args)], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while holder_pid(lock_file) != proc.pid:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the first run never took its lock"
            time.sleep(0.01)
        yield proc
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdin.close()
        proc.stderr.close()


def test_second_scan_into_the_same_directory_exits_2_naming_it_and_the_pid(tmp_path, tiny_model_dir):
    out = tmp_path / "audit"
    lock = out / DIRECTORY_LOCK
    with first_run(["scan", "-", "--out", out, "--model", tiny_model_dir, "--quiet"], lock) as first:
        second = run(["scan", CORPUS, "--out", out, "--model", tiny_model_dir, "--quiet"])
        assert second.exit_code == 2
        assert second.output == (f"error: --out {out}: in use by another auditor run (pid {first.pid}, lock {lock}); "
                                 "wait for it to finish, or write elsewhere\n")
        assert [p.name for p in out.iterdir() if ".tmp-" in p.name or not p.name.startswith(".")] == []  # it wrote nothing
    # SIGKILL leaves the lock file behind, but not the lock: the next run takes it at once.
    assert lock.exists()
    again = run(["scan", CORPUS, "--out", out, "--model", tiny_model_dir, "--quiet"])
    assert again.exit_code == 0, again.output
    assert not lock.exists() and (out / "summary.json").is_file()


def test_second_fingerprint_into_the_same_file_exits_2(tmp_path):
    out = tmp_path / "fp.parquet"
    lock = tmp_path / ".fp.parquet.lock"
    with first_run(["fingerprint", "-", "--out", out, "--quiet"], lock) as first:
        second = run(["fingerprint", CORPUS, "--out", out, "--quiet"])
        assert second.exit_code == 2
        assert second.output == (f"error: --out {out}: in use by another auditor run (pid {first.pid}, lock {lock}); "
                                 "wait for it to finish, or write elsewhere\n")
        assert not out.exists()


def test_second_filter_onto_the_same_output_exits_2(tmp_path, tiny_model_dir):
    scanned = tmp_path / "scan"
    scan([str(CORPUS)], scanned, ScanOptions(model=str(tiny_model_dir), reports=False))
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    lock = tmp_path / ".reject.jsonl.lock"
    with first_run(["filter", "-", "--keep", keep, "--reject", reject, "--from-scan", scanned, "--quiet"], lock) as first:
        # Another keep file, the same reject file: still refused.
        second = run(["filter", CORPUS, "--keep", tmp_path / "other.jsonl", "--reject", reject, "--from-scan", scanned, "--quiet"])
        assert second.exit_code == 2
        assert second.output == (f"error: --reject {reject}: in use by another auditor run (pid {first.pid}, lock {lock}); "
                                 "wait for it to finish, or write elsewhere\n")
    assert not reject.exists() and not (tmp_path / "other.jsonl").exists()


@contextlib.contextmanager
def held_by_a_thread(directory: Path) -> Iterator[None]:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with output_lock(directory, "--out", directory=True):
            held.set()
            release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(60)
        yield
    finally:
        release.set()
        thread.join()


def test_a_lock_held_by_another_thread_is_refused_too(tmp_path):
    with held_by_a_thread(tmp_path):
        with pytest.raises(OutputLocked, match=rf"^--out {tmp_path}: in use by another auditor run \(pid {os.getpid()}, "):
            scan([str(CORPUS)], tmp_path)
    assert not (tmp_path / DIRECTORY_LOCK).exists()


def test_the_same_thread_may_take_a_lock_again_and_the_file_goes_with_the_last_release(tmp_path):
    target = tmp_path / "out.parquet"
    with output_lock(target, "--out"):
        with output_lock(target, "--out"):
            assert holder_pid(lock_file_for(target, directory=False)) == os.getpid()
        assert lock_file_for(target, directory=False).exists()
    assert list(tmp_path.iterdir()) == []


def test_report_and_index_build_into_a_locked_directory_exit_2(tmp_path, tiny_model_dir):
    out = tmp_path / "audit"
    scan([str(CORPUS)], out, ScanOptions(model=str(tiny_model_dir)))
    index = tmp_path / "index"
    index.mkdir()
    with held_by_a_thread(out), held_by_a_thread(index):
        report = run(["report", out / "summary.json"])
        build = run(["index", "build", CORPUS, "--out", index])
    assert report.exit_code == 2 and report.output.startswith(f"error: report directory {out}: in use by another auditor run (pid ")
    assert build.exit_code == 2 and build.output.startswith(f"error: --out {index}: in use by another auditor run (pid ")
    assert list(index.iterdir()) == []


def test_no_other_command_writes_a_file_of_a_directory_being_scanned(tmp_path, tiny_model_dir):
    # A scan holds its directory and each of its files: writing one of them directly (a fingerprint
    # table over documents.parquet, a report, a filter output) would leave the scan vouching for it.
    scanned = tmp_path / "scanned"
    scan([str(CORPUS)], scanned, ScanOptions(model=str(tiny_model_dir)))
    out = tmp_path / "audit"
    with first_run(["scan", "-", "--out", out, "--model", tiny_model_dir, "--quiet"], out / DIRECTORY_LOCK) as first:
        deadline = time.monotonic() + 120
        while not (out / ".documents.parquet.partial").is_dir():  # reading its input, in the fingerprint stage
            assert time.monotonic() < deadline, "the scan never reached its fingerprint stage"
            time.sleep(0.01)
        held = f"in use by another auditor run (pid {first.pid}, lock"
        fingerprint = run(["fingerprint", CORPUS, "--out", out / "documents.parquet", "--quiet"])
        report = run(["report", scanned / "summary.json", "--md", out / "report.md"])
        filtered = run(["filter", CORPUS, "--keep", tmp_path / "keep.jsonl", "--reject", out / "tokens.parquet",
                        "--from-scan", scanned, "--quiet"])
        assert fingerprint.exit_code == report.exit_code == filtered.exit_code == 2
        assert fingerprint.output.startswith(f"error: --out {out / 'documents.parquet'}: {held} {out / '.documents.parquet.lock'}); ")
        assert report.output.startswith(f"error: --md {out / 'report.md'}: {held} {out / '.report.md.lock'}); ")
        assert filtered.output.startswith(f"error: --reject {out / 'tokens.parquet'}: {held} {out / '.tokens.parquet.lock'}); ")
        assert [p.name for p in out.iterdir() if not p.name.endswith(".lock")] == [".documents.parquet.partial"]
    assert not (tmp_path / "keep.jsonl").exists()


def test_a_scan_into_a_directory_one_of_whose_files_is_being_written_touches_nothing(tmp_path, tiny_model_dir):
    out = tmp_path / "audit"
    scan([str(CORPUS)], out, ScanOptions(model=str(tiny_model_dir)))
    before = sorted(p.name for p in out.iterdir())
    table = out / "documents.parquet"
    with first_run(["fingerprint", "-", "--out", table, "--quiet"], out / ".documents.parquet.lock") as first:
        second = run(["scan", CORPUS, "--out", out, "--model", tiny_model_dir, "--quiet"])
        assert second.exit_code == 2
        assert second.output.startswith(f"error: --out {table}: in use by another auditor run (pid {first.pid}, ")
        assert (out / "summary.json").is_file()  # the scan stopped before removing anything
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == before
