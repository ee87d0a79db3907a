"""Opening files that must be regular files: inputs, models, indexes, baselines, settings.

A path can name a FIFO, a device or a symbolic link to one (``/dev/zero``, ``/dev/urandom``);
reading it never ends, or never starts: a FIFO blocks in ``open`` until a writer comes. Such a
file can be committed to a data repository (a symbolic link) or planted in a corpus, so every
file the auditor reads from a path (standard input ``-`` aside) is opened here and refused unless
it is a regular file. The check is made on the opened descriptor (``fstat``), so a file swapped
between a check and the open cannot slip through, and the open itself is non-blocking, so a FIFO
is refused instead of waiting for a writer. A ``stat`` before the open keeps a device from being
opened at all in the common case (opening some devices has side effects).

Refusals are :class:`NotRegularFileError`, an :class:`OSError`: every caller already turns an
unreadable file into its own error naming the path (``InputError``, ``ModelError``, ...).
"""

from __future__ import annotations

import errno
import io
import os
import stat
from typing import BinaryIO, Literal, overload

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


class NotRegularFileError(OSError):
    """A path that must be a regular file is something else (a FIFO, a device, a directory, ...)."""


class FileTooLargeError(OSError):
    """A file is larger than what its kind may be (a model's JSON, a baseline, ...)."""


def refuse_non_regular(path: str | os.PathLike[str], mode: int) -> None:
    """Raise :class:`NotRegularFileError` unless ``mode`` (from ``stat``/``fstat`` of ``path``) is a regular file's."""
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    if os.path.islink(path):
        kind = f"a symbolic link to {os.path.realpath(path)}, {kind}"
    raise NotRegularFileError(errno.EINVAL, f"not a regular file but {kind}", os.fspath(path))


def check_regular(path: str | os.PathLike[str]) -> None:
    """Refuse ``path`` unless it resolves to a regular file (``OSError`` when it cannot be examined)."""
    refuse_non_regular(path, os.stat(path).st_mode)


@overload
def open_regular(path: str | os.PathLike[str], buffering: Literal[-1] = -1) -> io.BufferedReader: ...
@overload
def open_regular(path: str | os.PathLike[str], buffering: Literal[0]) -> io.FileIO: ...
def open_regular(path: str | os.PathLike[str], buffering: int = -1) -> BinaryIO:
    """``open(path, "rb", buffering)``, refused (:class:`NotRegularFileError`) unless it is a regular file."""
    check_regular(path)  # most refusals happen here, before a device is opened at all
    fd = os.open(path, _OPEN_FLAGS)
    try:
        refuse_non_regular(path, os.fstat(fd).st_mode)  # what was opened, whatever happened since the stat
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=buffering)
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], limit: int | None, what: str) -> bytes:
    """The whole content of the regular file ``path``, refused (:class:`FileTooLargeError`) above ``limit`` bytes.

    ``what`` names the kind of file in the message (``"model metadata"``). The limit is
    checked on the size before reading and on what is read, so a file growing meanwhile
    is bounded too. ``limit`` None: the file as it is.
    """
    with open_regular(path) as handle:
        if limit is None:
            return handle.read()
        too_large = os.fstat(handle.fileno()).st_size > limit
        data = b"" if too_large else handle.read(limit + 1)
    if too_large or len(data) > limit:
        raise FileTooLargeError(errno.EFBIG, f"larger than the {limit:,} bytes {what} may take", os.fspath(path))
    return data
