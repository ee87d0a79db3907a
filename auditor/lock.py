"""One run at a time per output location: an advisory lock held for the whole run.

Two runs writing into the same place would mix their files (a table of one
corpus next to the summary of another, one run discarding the other's
checkpoint), so every command that writes an output takes its lock first and
holds it until it is done:

- a directory (``auditor scan --out DIR``): ``DIR/.auditor.lock``;
- a file (``auditor fingerprint --out FILE``, ``auditor filter``'s keep and
  reject files): ``.<name>.lock`` beside it.

The lock is ``fcntl.flock`` on that file, which holds the owner's pid. The
kernel releases it when the process ends however it ends, so a run killed with
SIGKILL never leaves a stale lock: the next run takes it at once. A second run
that finds it held stops at once with :class:`~auditor.errors.OutputLocked`
(exit 2) naming the location and the holder's pid; it never waits.

The lock file is removed on release, while still locked, and a run that locks a
file checks that it is still the one at the path (else it locks the new one):
so two runs can never both believe they hold the lock.

A command writing several files into a directory holds the directory's lock and
each file's (:func:`outputs_lock`): ``auditor scan`` holds ``DIR/.auditor.lock``
and ``DIR/.documents.parquet.lock``, ``DIR/.summary.json.lock``, ... for the whole
run, so a command writing one of those files directly (``auditor fingerprint
--out DIR/documents.parquet``, ``auditor report --md DIR/report.md``) is refused
too, instead of replacing a file the scan has written and then vouching for it.

Locks are re-entrant within a thread (``auditor scan`` locks ``documents.parquet``
and the fingerprint stage inside it locks it again). On a file system
without ``flock`` support (some network mounts) the run goes on unlocked.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from auditor.atomic import directory_of
from auditor.errors import OutputError, OutputLocked

DIRECTORY_LOCK = ".auditor.lock"
# flock not supported here: locking is skipped rather than making the output unusable.
_UNSUPPORTED = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL})

_held: dict[str, tuple[int, int]] = {}  # lock file (real path) -> (owning thread, depth)
_held_guard = threading.Lock()


def lock_file_for(path: str | os.PathLike[str], directory: bool) -> Path:
    """The lock file of an output: ``DIR/.auditor.lock`` for a directory, ``.<name>.lock`` beside a file."""
    target = Path(path)
    if directory:
        return target / DIRECTORY_LOCK
    return directory_of(target) / f".{target.name}.lock"


def holder_pid(lock_file: str | os.PathLike[str]) -> int | None:
    """The pid recorded in a lock file, or None (no file, or not yet written)."""
    try:
        with open(lock_file, "rb") as handle:
            text = handle.read(32).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def output_lock(path: str | os.PathLike[str], option: str, directory: bool = False) -> Iterator[None]:
    """Hold the lock of the output ``path`` (a directory when ``directory``; it must exist) for the block.

    ``option`` names the output in messages (``--out``, ``--keep``). Raises
    :class:`OutputLocked` at once when another run holds it.
    """
    lock_file = lock_file_for(path, directory)
    key = os.path.realpath(lock_file)
    me = threading.get_ident()
    with _held_guard:
        owner, depth = _held.get(key, (me, 0))
        if depth and owner == me:
            _held[key] = (me, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] = (me, _held[key][1] - 1)
        return
    fd = _acquire(lock_file, Path(path), option)
    with _held_guard:
        _held[key] = (me, 1)
    try:
        yield
    finally:
        with _held_guard:
            del _held[key]
        if fd is not None:
            _release(lock_file, fd)


@contextlib.contextmanager
def outputs_lock(files: Iterable[tuple[str | os.PathLike[str], str]], directory: tuple[str | os.PathLike[str], str] | None = None
                 ) -> Iterator[None]:
    """Hold the lock of ``directory`` (when given; it must exist), then of each output file of ``files``, for the block.

    ``files``: ``(path, option)`` pairs, ``directory`` a ``(path, option)`` pair; ``option``
    names the output in messages. Raises :class:`OutputLocked` at once when another run holds any of them.
    """
    with contextlib.ExitStack() as stack:
        if directory is not None:
            stack.enter_context(output_lock(directory[0], directory[1], directory=True))
        for file, option in files:
            stack.enter_context(output_lock(file, option))
        yield


def _acquire(lock_file: Path, target: Path, option: str) -> int | None:
    """Lock ``lock_file`` (created if missing) and write this process's pid into it; None when unsupported."""
    import fcntl  # POSIX only; imported here so the module loads anywhere

    while True:
        try:
            fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as err:
            raise OutputError(f"{option} {target}: cannot create the lock file {lock_file} ({err.strerror or err}); "
                              "check that the location is writable") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid = holder_pid(lock_file)
            holder = f"pid {pid}" if pid is not None else "pid not yet recorded"
            raise OutputLocked(f"{option} {target}: in use by another auditor run ({holder}, lock {lock_file}); "
                               "wait for it to finish, or write elsewhere") from None
        except OSError as err:
            os.close(fd)
            if err.errno in _UNSUPPORTED:
                return None
            raise
        # The previous holder removes the file as it releases it: if that happened between our
        # open and our flock, we hold the lock of a file nobody else will ever look at. Retry.
        try:
            current = os.stat(lock_file)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(current, os.fstat(fd)):
            break
        os.close(fd)
    with contextlib.suppress(OSError):  # only for the message of a run that finds it held
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return fd


def _release(lock_file: Path, fd: int) -> None:
    # Removed before it is unlocked (closing the descriptor unlocks it), so nobody can lock
    # this file after we let go and believe it is the live one.
    with contextlib.suppress(OSError):
        os.unlink(lock_file)
    os.close(fd)
