"""Where shards run: in this process, in local worker processes (joblib/loky), or on a dask.distributed cluster.

One code path for all three: :func:`run_ordered` maps a function over tasks with
``joblib.Parallel(return_as="generator")`` and yields the results **in task
order**, whatever order they finish in. The caller merges them in that order, so
every output is byte-identical whatever ``--jobs`` or backend (tested).
In-flight tasks are bounded (``pre_dispatch``), so memory does not grow with the
corpus however fast the workers are.

dask.distributed is the joblib backend when one machine is not enough
(``pip install 'auditor[dask]'``): with ``scheduler`` the work goes to an
existing cluster, whose workers must see the input files at the same absolute
paths (shared storage) and run the same auditor version; without it a
``LocalCluster`` sized to this machine is started for the run.

Local workers end when the main process dies, even by SIGKILL: loky's through
:func:`auditor.corpus.watchdog.exit_with_parent`, dask's by distributed's own
parent-alive pipe (tests/crosscutting/test_orphans.py).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from auditor.corpus.watchdog import exit_with_parent
from auditor.errors import ConfigError

if TYPE_CHECKING:
    from distributed import Client

BACKENDS = ("loky", "dask")
# Input bytes a local worker must have to pay for itself. A worker is a fresh interpreter that
# imports numpy, pyarrow and the scan's modules and unpickles the detector (the imports alone 0.35-0.43 s of a core);
# on ~1 KB documents --jobs 2 broke even at ~10 MB and was 0.86x --jobs 1 at 5 MB, 1.31x at
# 20 MB (benchmarks/bench_mix.py, 2 cores).
WORKER_MIN_BYTES = 8 << 20
DASK_HINT = "pip install 'auditor[dask]'"

Task = TypeVar("Task")
Result = TypeVar("Result")


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class ExecutionOptions:
    """How a run is spread over processes; never changes what it computes.

    Attributes:
        jobs: worker processes. None: 1 with loky (in this process), one per
            available core for a local dask cluster, every worker of a remote
            one. -1: one per available core.
        backend: ``loky`` (local processes) or ``dask`` (dask.distributed).
        scheduler: address of a running dask scheduler (``tcp://host:8786``);
            only with ``backend="dask"``.
        shard_bytes: bytes of input per shard; None sizes shards to the corpus
            and the workers (:func:`auditor.corpus.shards.shard_target`).
    """

    jobs: int | None = None
    backend: str = "loky"
    scheduler: str | None = None
    shard_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.jobs is not None and self.jobs != -1 and self.jobs < 1:
            raise ValueError(f"jobs must be a positive number of workers, or -1 for one per core; got {self.jobs}")
        if self.scheduler is not None and self.backend != "dask":
            raise ValueError("a scheduler address needs the dask backend: add --backend dask")
        if self.shard_bytes is not None and self.shard_bytes < 1:
            raise ValueError(f"shard_bytes must be positive, got {self.shard_bytes}")

    @property
    def workers(self) -> int:
        """Workers the shards are sized for (a remote cluster's size is unknown before connecting)."""
        if self.jobs is None:
            return 1 if self.backend == "loky" else available_cores()
        return available_cores() if self.jobs == -1 else self.jobs

    @property
    def in_process(self) -> bool:
        return self.backend == "loky" and self.workers == 1

    def sized_for(self, corpus_bytes: int | None) -> ExecutionOptions:
        """These options with no more local workers than a corpus of ``corpus_bytes`` can keep busy.

        One worker per :data:`WORKER_MIN_BYTES` of input (at least one, so a small corpus runs in
        this process): below that a worker's start-up costs more than its share of the work saves.
        Unchanged with dask (a cluster is started or joined on purpose), with ``shard_bytes`` set
        (the caller chose the sharding) and when the size is unknown (standard input).
        """
        if self.backend != "loky" or self.shard_bytes is not None or corpus_bytes is None:
            return self
        useful = max(1, corpus_bytes // WORKER_MIN_BYTES)
        return replace(self, jobs=useful) if useful < self.workers else self


def run_ordered(
    function: Callable[[Task], Result], tasks: Iterable[Task], options: ExecutionOptions | None = None
) -> Generator[Result, None, None]:
    """``function(task)`` for every task, yielded in task order; tasks are drawn lazily.

    ``function`` must be importable by name (a module-level function) and tasks
    and results picklable, unless the run is in process.
    """
    options = options if options is not None else ExecutionOptions()
    if options.in_process:
        yield from map(function, tasks)
        return
    from joblib import Parallel, delayed, parallel_config

    # parallel_config, not Parallel(backend=...): it is what registers joblib's dask backend.
    with _backend(options) as (backend, n_jobs, params), parallel_config(backend=backend, n_jobs=n_jobs, **params):
        # batch_size=1: a task is a shard (~1-8 MiB of text), never worth grouping, and grouping
        # leaves a worker idle at the end of a run.
        parallel = Parallel(return_as="generator", pre_dispatch="2*n_jobs", batch_size=1)
        with warnings.catch_warnings():
            # Stopping at a failing shard cancels the rest by design; joblib's advice about it is noise.
            warnings.filterwarnings("ignore", message=r"(?s).*adjusting the input task iterator", category=UserWarning)
            yield from parallel(delayed(function)(task) for task in tasks)


@contextmanager
def _backend(options: ExecutionOptions) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """The joblib backend's name, n_jobs and parameters, with whatever it runs on started for the run."""
    if options.backend == "loky":
        # loky workers outlive a killed main process (blocked on a pipe, for good) unless they watch it.
        yield "loky", options.workers, {"initializer": exit_with_parent, "initargs": (os.getpid(),)}
        return
    try:
        import distributed
    except ImportError:
        raise ConfigError(f"--backend dask needs dask.distributed, which is not installed: {DASK_HINT}") from None
    with ExitStack() as stack:
        if options.scheduler is not None:
            client = _connect(distributed, options.scheduler)
        else:
            cluster = distributed.LocalCluster(
                n_workers=options.workers, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.ERROR,
            )
            stack.callback(cluster.close)
            client = distributed.Client(cluster)
        stack.callback(client.close)
        # The joblib backend submits through the current client, which this one is until closed.
        yield "dask", options.jobs if options.jobs not in (None, -1) else -1, {}


def _connect(distributed: ModuleType, address: str) -> Client:
    try:
        return distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(
            f"cannot reach the dask scheduler at {address} ({exc}); check the address (e.g. tcp://host:8786) "
            "and that the scheduler is running, or drop --scheduler to start a local cluster"
        ) from None
