"""Only regular files are read (issue 17, item 4): FIFOs, devices and links to them are exit 2, never a hang.

A FIFO blocks the reader until a writer comes, ``/dev/zero`` and ``/dev/urandom`` never end: given
as data, as a model's or an index's file, as a baseline or as settings (a symbolic link can be
committed to a data repository), each once hung the tool or filled the memory. The commands run in a
child process with a deadline and at most 3 GiB of address space, so a regression fails the test
instead of hanging it or exhausting the machine.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor import regular_files as _regular
from auditor.regular_files import NotRegularFileError, open_regular
from auditor.detector.known import build_index
from conftest import ROOT

DEFAULT_MODEL = ROOT / "models" / "default"
GOOD = '{"id": "a", "text": "A plain sentence written by a person, with a few more words in it."}\n'


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def auditor(*args: object, cwd: Path | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``auditor ARGS`` in a child process bounded in time (60 s) and memory (3 GiB)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUDITOR_")}
    return subprocess.run([sys.executable, "-m", "auditor", *map(str, args)], cwd=cwd, input=stdin, env=env, capture_output=True,
                          text=True, timeout=60, preexec_fn=_limit_memory)


@contextlib.contextmanager
def deadline(what: str, seconds: int = 10) -> Iterator[None]:
    """Fail (TimeoutError ``what``) instead of hanging when the block takes more than ``seconds``."""

    def too_late(signum, frame):
        raise TimeoutError(what)

    previous = signal.signal(signal.SIGALRM, too_late)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def refused(result: subprocess.CompletedProcess[str], path: object, kind: str) -> None:
    """Exit 2 with one ``error:`` line naming ``path`` as not a regular file but ``kind``."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert f"{path}" in result.stderr and f"not a regular file but {kind}" in result.stderr, result.stderr


ZERO = "a symbolic link to /dev/zero, a character device"
URANDOM = "a symbolic link to /dev/urandom, a character device"
FIFO = "a named pipe (FIFO)"


# --------------------------------------------------------------------------- data


def test_data_files_that_are_fifos_or_devices_are_refused(tmp_path):
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    refused(auditor("fingerprint", fifo, "--out", tmp_path / "fp.parquet"), fifo, FIFO)
    zero = tmp_path / "zero.jsonl"
    zero.symlink_to("/dev/zero")
    refused(auditor("fingerprint", zero, "--out", tmp_path / "fp.parquet"), zero, ZERO)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text(GOOD)
    (corpus / "b.parquet").symlink_to("/dev/urandom")  # found by a directory walk
    refused(auditor("fingerprint", corpus, "--out", tmp_path / "fp.parquet"), corpus / "b.parquet", URANDOM)
    os.mkfifo(tmp_path / "g.csv")
    refused(auditor("fingerprint", tmp_path / "*.csv", "--out", tmp_path / "fp.parquet"), tmp_path / "g.csv", FIFO)  # a glob
    assert not (tmp_path / "fp.parquet").exists()


def test_standard_input_stays_allowed_explicitly(tmp_path):
    result = auditor("fingerprint", "-", "--out", tmp_path / "fp.parquet", "--quiet", stdin=GOOD * 3)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fp.parquet").is_file()


# --------------------------------------------------------------------------- models and indexes


@pytest.mark.parametrize("name", ["model.npz", "model.json"])
def test_model_files_that_are_not_regular_are_refused(tmp_path, name):
    model = Path(shutil.copytree(DEFAULT_MODEL, tmp_path / "model"))
    (model / name).unlink()
    if name == "model.npz":
        (model / name).symlink_to("/dev/zero")  # was: all memory, then the OOM killer
    else:
        os.mkfifo(model / name)  # was: a hang
    (tmp_path / "c.jsonl").write_text(GOOD)
    result = auditor("scan", tmp_path / "c.jsonl", "--out", tmp_path / "out", "--model", model, "--quiet")
    refused(result, model / name, ZERO if name == "model.npz" else FIFO)


@pytest.mark.parametrize("name", ["index.npz", "index.json"])
def test_index_files_that_are_not_regular_are_refused(tmp_path, name):
    (tmp_path / "known.jsonl").write_text(GOOD)
    build_index([str(tmp_path / "known.jsonl")], tmp_path / "index")
    target = tmp_path / "index" / name
    target.unlink()
    if name == "index.npz":
        target.symlink_to("/dev/urandom")
    else:
        os.mkfifo(target)
    result = auditor("scan", tmp_path / "known.jsonl", "--out", tmp_path / "out", "--known-synthetic", tmp_path / "index", "--quiet")
    refused(result, target, URANDOM if name == "index.npz" else FIFO)


# --------------------------------------------------------------------------- the hook: what someone committed


def _link_zero(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")


def _fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("committed", "plant", "kind"),
    [
        ("data/zero.jsonl", _link_zero, ZERO),
        (".auditor-baseline.json", _link_zero, ZERO),
        (".auditor.toml", _fifo, FIFO),
        ("models/detector/model.npz", _link_zero, ZERO),
        ("models/detector/model.json", _fifo, FIFO),
        ("refs/human.jsonl", _link_zero, ZERO),
    ],
)
def test_the_hook_never_hangs_on_what_was_committed(tmp_path, committed, plant, kind):
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    (root / "refs").mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    shutil.copytree(DEFAULT_MODEL, root / "models" / "detector")
    (root / "pyproject.toml").write_text('[tool.auditor]\nmodel = "models/detector"\nreference-human = "refs/human.jsonl"\n')
    (root / "data" / "ok.jsonl").write_text(GOOD)
    (root / "refs" / "human.jsonl").write_text(GOOD * 3)
    plant(root / committed)
    given = committed if committed.startswith("data/") else "data/ok.jsonl"
    refused(auditor("hook", given, cwd=root), Path(committed).name, kind)


# --------------------------------------------------------------------------- a checkpoint, a filter manifest


class _Interrupt(KeyboardInterrupt):
    pass


@pytest.mark.parametrize(("name", "plant", "kind"), [("shard-000000.json", _fifo, FIFO), ("shard-000000.arrow", _link_zero, ZERO)])
def test_a_checkpoint_file_that_is_not_regular_is_refused_on_resume(tmp_path, name, plant, kind):
    # The checkpoint sits beside the output, in a directory others may write (a data repository).
    from auditor.corpus.checkpoint import checkpoint_dir
    from auditor.corpus.parallel import ExecutionOptions
    from auditor.pipeline.scan import ScanOptions, scan

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join((ROOT / "tests" / "data" / "docstrings" / n).read_text(encoding="utf-8")
                              for n in ("human_stdlib_docstrings.jsonl", "machine_docstrings.jsonl")), encoding="utf-8")

    def interrupt(progress) -> None:
        if progress.documents >= 300:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        scan([str(corpus)], tmp_path / "out", ScanOptions(execution=ExecutionOptions(shard_bytes=20_000)), progress=interrupt)
    plant(checkpoint_dir(tmp_path / "out" / "documents.parquet") / name)
    result = auditor("scan", corpus, "--out", tmp_path / "out", "--shard-size", 20_000, "--resume", "--quiet")
    refused(result, name, kind)
    assert "damaged checkpoint" in result.stderr and result.stderr.endswith("; run again without --resume\n")


def test_a_filter_manifest_or_output_that_is_not_regular_is_refused_by_the_reader(tmp_path):
    from auditor.errors import InputError
    from auditor.pipeline.filter_outputs import manifest_path, verified_pair

    keep = tmp_path / "keep.jsonl"
    keep.write_text(GOOD)
    os.mkfifo(manifest_path(keep))
    with deadline("the manifest was waited for"), \
            pytest.raises(InputError, match=r"keep\.jsonl\.manifest\.json: unreadable manifest \(.*not a regular file but a named pipe"):
        verified_pair(keep)
    manifest_path(keep).unlink()
    manifest_path(keep).write_text('{"schema": "auditor.filter-manifest/1", "keep": {"path": "keep.jsonl"}, '
                                   '"reject": {"path": "reject.jsonl"}}')
    (tmp_path / "reject.jsonl").symlink_to("/dev/zero")
    keep.unlink()
    keep.symlink_to("/dev/zero")
    with deadline("the keep file was read on and on"), \
            pytest.raises(InputError, match=r"keep\.jsonl: the keep file keep\.jsonl\.manifest\.json names cannot be read \(not a regular"):
        verified_pair(keep)


# --------------------------------------------------------------------------- the check is made on what was opened


def test_a_fifo_swapped_in_after_the_check_is_refused_on_the_opened_descriptor(tmp_path, monkeypatch):
    fifo = tmp_path / "swapped.jsonl"
    os.mkfifo(fifo)
    monkeypatch.setattr(_regular, "check_regular", lambda path: None)  # as if the path changed after it was checked
    with deadline("open blocked on a FIFO"):
        with pytest.raises(NotRegularFileError, match=r"not a regular file but a named pipe \(FIFO\)"):
            open_regular(fifo)  # opened without blocking (O_NONBLOCK), then refused by fstat
