"""Atomic output files: written under a temporary name, renamed into place on success.

A run that crashes or is killed never leaves a half-written output behind; at
worst a hidden ``.<name>.tmp-*`` file remains next to where the output would be.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
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


def remove_leftovers(path: str | os.PathLike[str]) -> None:
    """Remove the temporary files a killed run left while writing ``path`` (:func:`atomic_path`'s)."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    for leftover in directory.glob(f".{glob.escape(target.name)}.tmp-*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
