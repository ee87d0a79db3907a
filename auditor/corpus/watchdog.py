"""Worker processes end when the process that started them dies, however it dies.

A loky worker never notices on its own: killed with SIGKILL, the main process
leaves its workers blocked forever writing a result into a pipe that the workers
themselves hold open, and with them loky's resource trackers (which exit, and
remove the run's semaphores and memory-mapped folders, once the last worker is
gone). So each worker runs a thread that polls its parent's pid and ends the
worker when it changes: the kernel re-parents an orphan to init or a subreaper,
never back to the dead parent.

Why not ``prctl(PR_SET_PDEATHSIG)``: on Linux it fires when the *thread* that
forked the worker exits, not the process. loky starts workers from whichever
thread submits (a caller's thread, its own manager thread) and keeps them for
later runs, so a healthy worker would be killed when that thread ends. Polling
costs one ``getppid`` a second and works on Linux and macOS alike.
"""

from __future__ import annotations

import os
import threading
import time

#: Seconds between two looks at the parent: how long an orphaned worker outlives its parent.
POLL_SECONDS = 1.0
#: Exit status of a worker that ended because its parent died (EX_SOFTWARE; nobody is left to read it).
ORPHANED_EXIT = 70


def exit_with_parent(parent_pid: int, poll_seconds: float = POLL_SECONDS) -> None:
    """End this process once ``parent_pid`` is no longer its parent (a worker initializer).

    ``parent_pid`` is the starting process's pid taken *there*: read in the
    worker, a parent that died during the start would already be init's.
    Returns at once; the watch runs in a daemon thread, which keeps running while
    the worker's main thread is blocked in a read or a write.
    """
    if os.getppid() != parent_pid:
        os._exit(ORPHANED_EXIT)
    threading.Thread(
        target=_watch, args=(parent_pid, poll_seconds), name="auditor-parent-watch", daemon=True
    ).start()


def _watch(parent_pid: int, poll_seconds: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(poll_seconds)
    # os._exit, not sys.exit: the main thread may be stuck in a write that would never return,
    # and the results it holds have nobody to go to.
    os._exit(ORPHANED_EXIT)
