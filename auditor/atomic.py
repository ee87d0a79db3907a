"""Atomic output files: written under a temporary name, renamed into place on success.

A run that crashes or is killed never leaves a half-written output behind; at
worst a hidden ``.<name>.tmp-*`` file (or a ``.<name>.scratch-*`` directory of
staging files) remains next to where the output would be, which the next run
writing that output removes (:func:`remove_leftovers`, called under the
output's lock, :mod:`auditor.lock`, so it never touches a live run's files).

A full disk while writing is reported as :class:`~auditor.errors.OutOfSpace`
naming the output: the temporary file is removed and the previous output is
left as it was.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from auditor.errors import OutOfSpace
from auditor.regular_files import open_regular

# EDQUOT: a user's disk quota is full, which is the same situation to the user.
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def directory_of(path: str | os.PathLike[str]) -> Path:
    """The directory an output file goes into (``.`` for a bare file name)."""
    target = Path(path)
    return target.parent if str(target.parent) else Path(".")


def is_out_of_space(error: BaseException) -> bool:
    """Whether ``error`` is a full disk or quota (pyarrow's OSError carries the reason only in its text)."""
    if not isinstance(error, OSError):
        return False
    return error.errno in _NO_SPACE or os.strerror(errno.ENOSPC) in str(error)


def out_of_space(path: str | os.PathLike[str]) -> OutOfSpace:
    """The error for a full disk while ``path`` was being written."""
    return OutOfSpace(f"{os.fspath(path)}: no space left on device while writing; earlier outputs are intact, "
                      "free space and re-run")


@contextlib.contextmanager
def naming_full_disk(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn a full-disk OSError raised in the block into :class:`OutOfSpace` naming ``path``."""
    try:
        yield
    except OSError as err:
        if is_out_of_space(err):
            raise out_of_space(path) from err
        raise


@contextlib.contextmanager
def staged_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a new empty temporary file beside ``path`` (``.<name>.tmp-<random>``), removed when the block ends.

    The caller moves it into place (``os.replace``) when it is complete; whatever
    is still at the temporary name when the block ends, normally or not, is
    removed. The caller names the output when the disk fills up while it writes
    (:func:`naming_full_disk`): a block may write several staged files.
    """
    target = Path(path)
    directory = directory_of(target)
    if not directory.is_dir():
        raise FileNotFoundError(f"output directory {directory} does not exist")
    # Created with mode 0666 so the umask applies, as for a plain open()
    # (mkstemp would force 0600); O_EXCL makes the random name ours alone.
    tmp = directory / f".{target.name}.tmp-{secrets.token_hex(8)}"
    with naming_full_disk(target):
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it to ``path`` on success.

    The temporary file lives in the same directory so the final ``os.replace``
    is an atomic rename on the same file system. On any exception it is removed
    and the previous content of ``path`` (if any) is left untouched; a full disk
    raises :class:`OutOfSpace` naming ``path``.
    """
    with staged_path(path) as tmp, naming_full_disk(path):
        yield tmp
        os.replace(tmp, path)


def scratch_dir(path: str | os.PathLike[str]) -> Path:
    """Create a private directory for staging files beside ``path`` (``.<name>.scratch-<random>``).

    Beside the output rather than in the system's temporary directory: it holds
    about as much as the output (so it belongs on the same disk), and a killed
    run's scratch is found and removed by the next run (:func:`remove_leftovers`).
    The caller removes it (``shutil.rmtree``) when done.
    """
    target = Path(path)
    directory = directory_of(target) / f".{target.name}.scratch-{secrets.token_hex(8)}"
    with naming_full_disk(target):
        directory.mkdir()
    return directory


def remove_leftovers(path: str | os.PathLike[str]) -> None:
    """Remove what a killed run left while writing ``path``: its temporary files and scratch directories.

    Call it only while holding the output's lock (:mod:`auditor.lock`): a run
    still writing ``path`` would lose its files.
    """
    target = Path(path)
    directory = directory_of(target)
    name = glob.escape(target.name)
    for leftover in directory.glob(f".{name}.tmp-*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
    for leftover in directory.glob(f".{name}.scratch-*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


def file_sha256(path: str | os.PathLike[str]) -> str | None:
    """The SHA-256 (hex) of a written file, None when it does not exist (checkpoint shards, filter manifests).

    Only a regular file is read: what is found where a file was written may have been
    replaced by a FIFO or a link to ``/dev/zero`` (:class:`~auditor.regular_files.NotRegularFileError`).
    """
    try:
        with open_regular(path) as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return None
