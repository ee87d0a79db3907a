"""Workers die with their main process: ``kill -9`` of a ``--jobs 2`` scan leaves no process behind.

Before the fix, loky's two workers stayed blocked writing results into a pipe they
hold open themselves, and kept loky's and multiprocessing's resource trackers alive
with them (~490 MB, for good). dask's LocalCluster workers already exit on their
own (distributed's parent-alive pipe); the test holds both backends to it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and re-parenting are POSIX")

# What a worker process's command line contains, per backend.
WORKER_MARK = {"loky": "popen_loky_posix", "dask": "multiprocessing.spawn"}
MARKER = "AUDITOR_ORPHAN_TEST"
WORKERS_TIMEOUT = 60.0  # only reached on failure: starting the workers takes a few seconds
GONE_TIMEOUT = 20.0
BUSY_CPU_SECONDS = 2.0  # past the imports (~1 s): the workers are scanning


@pytest.fixture(scope="module")
def long_corpus(tmp_path_factory) -> Path:
    """~20 MB of JSONL: with 256 KiB shards, a scan that lasts well beyond its workers' start."""
    rng = random.Random(17)
    words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(5000)]
    path = tmp_path_factory.mktemp("orphans") / "long.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        while handle.tell() < 20_000_000:
            handle.write(json.dumps({"text": " ".join(rng.choices(words, k=rng.randint(50, 300))) + "."}) + "\n")
    return path


def marked_processes(tag: str) -> list[psutil.Process]:
    """Every live process whose environment carries ``tag``: the run's descendants, even re-parented ones."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and process.environ().get(MARKER) == tag and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


def busy_workers(main: psutil.Process, backend: str) -> list[psutil.Process]:
    workers = []
    for child in main.children(recursive=True):
        try:
            if WORKER_MARK[backend] in command_line(child) and child.cpu_times().user >= BUSY_CPU_SECONDS:
                workers.append(child)
        except psutil.Error:
            continue
    return workers


def describe(processes: list[psutil.Process]) -> list[str]:
    described = []
    for process in processes:
        try:
            described.append(f"{process.pid} (parent {process.ppid()}): {command_line(process)[:120]}")
        except psutil.Error:
            continue
    return described


def kill_leftovers(tag: str) -> None:
    """A failed run must not leave its orphans on the machine, nor their shared memory."""
    left = marked_processes(tag)
    trackers = [process for process in left if "resource_tracker" in command_line(process)]
    for process in left:
        if process not in trackers:
            kill(process)
    # Once the workers are gone the trackers exit and remove the run's /dev/shm entries; SIGKILL would not.
    _, alive = psutil.wait_procs(trackers, timeout=5)
    for process in alive:
        kill(process)


def kill(process: psutil.Process) -> None:
    try:
        process.kill()
    except psutil.NoSuchProcess:
        pass


def command_line(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


@pytest.mark.parametrize("backend", ["loky", "dask"])
def test_kill_9_of_the_main_process_leaves_no_worker_behind(backend, long_corpus, tmp_path):
    if backend == "dask":
        pytest.importorskip("distributed")
    tag = uuid.uuid4().hex
    command = [sys.executable, "-m", "auditor", "scan", str(long_corpus), "--out", str(tmp_path / "out"),
               "--jobs", "2", "--shard-size", "256k", "--quiet", "--backend", backend]
    with open(tmp_path / "scan.log", "wb") as log:
        scan = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, MARKER: tag})
    try:
        main = psutil.Process(scan.pid)
        deadline = time.monotonic() + WORKERS_TIMEOUT
        while len(busy_workers(main, backend)) < 2:
            if scan.poll() is not None:
                log = (tmp_path / "scan.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"the scan ended (exit {scan.returncode}) before two workers were busy:\n{log}")
            assert time.monotonic() < deadline, f"no two busy {backend} workers after {WORKERS_TIMEOUT:.0f} s"
            time.sleep(0.2)
        before = marked_processes(tag)
        assert len(before) >= 3, describe(before)  # the main process and its workers at least

        os.kill(scan.pid, signal.SIGKILL)
        scan.wait()
        deadline = time.monotonic() + GONE_TIMEOUT
        while (left := marked_processes(tag)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"still alive {GONE_TIMEOUT:.0f} s after the main process was killed: {describe(left)}"
    finally:
        if scan.poll() is None:
            scan.kill()
            scan.wait()
        kill_leftovers(tag)
