import os
import stat

import pytest

from auditor.atomic import atomic_path, remove_leftovers


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
    remove_leftovers(tmp_path / "out[1].json")  # glob characters in the name are literal
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.tmp-0123", "out[1].json", "out[1].json.tmp-x"]
