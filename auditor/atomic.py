"""Atomic output files: written under a temporary name, renamed into place on success.

A run that crashes or is killed never leaves a half-written output behind; at
worst a hidden ``.<name>.tmp-*`` file remains next to where the output would be.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it to ``path`` on success.

    The temporary file lives in the same directory so the final ``os.replace``
    is an atomic rename on the same file system. On any exception it is removed
    and the previous content of ``path`` (if any) is left untouched.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"output directory {directory} does not exist")
    # Created with mode 0666 so the umask applies, as for a plain open()
    # (mkstemp would force 0600); O_EXCL makes the random name ours alone.
    tmp = directory / f".{target.name}.tmp-{secrets.token_hex(8)}"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def scratch_path(near: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a hidden temporary file path beside ``near``, always removed at exit.

    For intermediate files that are too large for memory and must be on the
    same file system as the output (e.g. a first pass over a corpus).
    """
    target = Path(near)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.scratch-", dir=target.parent if str(target.parent) else ".")
    os.close(fd)
    try:
        yield Path(tmp_name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
