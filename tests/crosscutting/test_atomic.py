import errno
import gzip
import os
import stat
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.atomic import atomic_path, remove_leftovers
from auditor.corpus.checkpoint import checkpoint_dir
from auditor.cli import cli
from conftest import DOCSTRINGS


def test_success_renames_into_place_with_umask_permissions(tmp_path):
    target = tmp_path / "out.json"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.json.tmp-")
        tmp.write_text("done")
    assert target.read_text() == "done"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failure_keeps_previous_file_and_removes_temporary(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with atomic_path(tmp_path / "nope" / "out.json"):
            pass


def test_leftovers_of_a_killed_write_are_removed_and_nothing_else(tmp_path):
    for name in (".out[1].json.tmp-0123abcd", ".out[1].json.tmp-ffff", "out[1].json", ".other.json.tmp-0123", "out[1].json.tmp-x"):
        (tmp_path / name).write_text("x")
    for name in (".out[1].json.scratch-0a1b", ".other.json.scratch-0a1b"):  # a killed run's staging directories
        (tmp_path / name).mkdir()
        (tmp_path / name / "piece-000000.arrow").write_text("x")
    remove_leftovers(tmp_path / "out[1].json")  # glob characters in the name are literal
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.scratch-0a1b", ".other.json.tmp-0123", "out[1].json",
                                                          "out[1].json.tmp-x"]


# --------------------------------------------------------------------------- a full disk (ENOSPC)

CORPUS = DOCSTRINGS / "machine_docstrings.jsonl"


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def full_disk_message(path: Path) -> str:
    return f"error: {path}: no space left on device while writing; earlier outputs are intact, free space and re-run\n"


def temporary_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if ".tmp-" in p.name or ".scratch-" in p.name)


def test_scan_on_a_full_disk_names_the_file_and_exits_2(tmp_path, tiny_model_dir, monkeypatch):
    out = tmp_path / "audit"
    args = ["scan", str(CORPUS), "--out", str(out), "--model", str(tiny_model_dir), "--quiet"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    tokens = (out / "tokens.parquet").read_bytes()
    monkeypatch.setattr(pq, "write_table", no_space)  # tokens.parquet is written with it
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output == full_disk_message(out / "tokens.parquet")
    assert (out / "tokens.parquet").read_bytes() == tokens and temporary_files(out) == []


def test_fingerprint_on_a_full_disk_names_the_file_and_keeps_the_shards_for_resume(tmp_path, monkeypatch):
    out = tmp_path / "fp.parquet"
    monkeypatch.setattr(pq.ParquetWriter, "write_table", no_space)
    result = CliRunner().invoke(cli, ["fingerprint", str(CORPUS), "--out", str(out), "--quiet"])
    assert result.exit_code == 2
    assert result.output == full_disk_message(out)
    assert not out.exists() and temporary_files(tmp_path) == []
    assert checkpoint_dir(out).is_dir()  # space freed, --resume goes on from the completed shards
    monkeypatch.undo()
    resumed = CliRunner().invoke(cli, ["fingerprint", str(CORPUS), "--out", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "resumed " in resumed.output


def test_filter_on_a_full_disk_names_the_file_it_was_writing_and_keeps_the_earlier_pair(tmp_path, tiny_model_dir, monkeypatch):
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl.gz"
    args = ["filter", str(CORPUS), "--keep", str(keep), "--reject", str(reject), "--model", str(tiny_model_dir), "--max-score", "0.5",
            "--quiet"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    before = {path: path.read_bytes() for path in tmp_path.iterdir()}
    monkeypatch.setattr(gzip.GzipFile, "write", no_space)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output == full_disk_message(reject)
    assert {path: path.read_bytes() for path in tmp_path.iterdir()} == before
