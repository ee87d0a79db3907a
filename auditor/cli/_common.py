"""Helpers shared by the CLI commands: error handling, reader options, progress, summaries."""

from __future__ import annotations

import functools
import math
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from auditor.errors import AuditorError
from auditor.corpus.runner import Progress
from auditor.corpus.parallel import BACKENDS, ExecutionOptions
from auditor.io.documents import DEFAULT_MAX_DOC_CHARS, FORMATS, ReaderOptions
from auditor.visible import visible

EXIT_FINDING = 1  # a threshold was exceeded: a result, not an error
EXIT_ERROR = 2


def echo(message: str = "", err: bool = False) -> None:
    """Print one human-facing line on stdout (stderr with ``err``).

    Every line a command prints goes through here: control, bidi and separator
    characters that file names, ids or model names bring along are shown escaped
    (:func:`auditor.visible.visible`), so a line always ends where the command ends
    it. A message that spans lines is printed one ``echo`` per line.
    """
    click.echo(visible(message), err=err)


def echo_table(table: str, err: bool = False) -> None:
    """A multi-line table (:func:`auditor.detector.metrics.metrics_table`): each of its lines through :func:`echo`.

    Its cells are already shown visibly; :func:`~auditor.visible.visible` is idempotent,
    so passing them through again changes nothing but keeps every printed line escaped.
    """
    for line in table.split("\n"):
        echo(line, err=err)


def echo_json(payload: object) -> None:
    """``--json`` output on stdout: exact strings, JSON escapes them itself."""
    click.echo(json.dumps(payload, indent=2, sort_keys=True, allow_nan=False))


def _fail(message: str) -> None:
    echo(f"error: {message}", err=True)  # messages name files, which may hold anything
    sys.exit(EXIT_ERROR)


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into ``error: ...`` on stderr and exit 2, never a traceback.

    ``--debug`` (a parameter of every command using this) re-raises instead.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = kwargs.get("debug", False)
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # usage errors and exits keep Click's format (exit 2 for usage)
        except (AuditorError, ValueError, OSError) as err:
            if debug:
                raise
            _fail(str(err))
        except Exception as err:  # a bug: say so, but still exit 2 without a traceback
            if debug:
                raise
            _fail(f"internal error: {type(err).__name__}: {err} (rerun with --debug for a traceback and report it)")

    return wrapper


def reader_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The input options shared by every command that reads a corpus."""
    for decorator in reversed(
        [
            click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True,
                         help="Input format; auto picks it from each file's extension."),
            click.option("--text-field", default="text", show_default=True, help="Field / column holding the text."),
            click.option("--id-field", default=None, help="Field / column holding a document id  [default: id when present, else file:record]."),
            click.option("--strict", is_flag=True, help="Stop with exit 2 at the first bad record instead of skipping it."),
            click.option("--max-doc-chars", type=click.IntRange(min=1), default=DEFAULT_MAX_DOC_CHARS, show_default=True, metavar="N",
                         help="Compute features on the first N characters of a longer document (counted as truncated); "
                              "memory stays bounded whatever one record holds."),
        ]
    ):
        command = decorator(command)
    return command


class FiniteFloat(click.FloatRange):
    """A float in a range that is also finite (FloatRange lets ``nan`` through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--json, --quiet and --debug, shared by the commands that process a corpus."""
    for decorator in reversed(
        [
            click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout."),
            click.option("--quiet", is_flag=True, help="No progress bar or summary on stderr."),
            click.option("--debug", is_flag=True, help="Show a traceback on errors."),
        ]
    ):
        command = decorator(command)
    return command


class ByteSize(click.ParamType):
    """A number of bytes, with an optional k / M / G suffix (powers of 1024): ``512k``, ``8M``."""

    name = "size"
    _UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower().removesuffix("b").removesuffix("i")
        unit = text[-1:] if text[-1:] in ("k", "m", "g") else ""
        try:
            size = float(text[: len(text) - len(unit)]) * self._UNITS[unit]
        except ValueError:
            size = math.nan
        if not math.isfinite(size) or size < 1:
            self.fail(f"{value!r} is not a size: give bytes, or a number with k, M or G (e.g. 8M)", param, ctx)
        return int(size)


def execution_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--jobs, --backend, --scheduler, --shard-size and --resume: how the shards of a corpus are
    processed (never what comes out)."""
    for decorator in reversed(
        [
            click.option("--jobs", type=int, default=None, metavar="N",
                         help="Worker processes; -1: one per core  [default: 1; with --backend dask: one per core, "
                              "or every worker of the --scheduler's cluster]."),
            click.option("--backend", type=click.Choice(BACKENDS), default="loky", show_default=True,
                         help="loky: local processes; dask: a dask.distributed cluster (pip install 'auditor[dask]')."),
            click.option("--scheduler", default=None, metavar="ADDR",
                         help="Address of a running dask scheduler, e.g. tcp://host:8786 (with --backend dask; its workers "
                              "must see the inputs at the same absolute paths)  [default: start a local cluster]."),
            click.option("--shard-size", "shard_bytes", type=ByteSize(), default=None,
                         help="Input per shard, e.g. 8M: the unit of work of a worker and of --resume  "
                              "[default: 1-8M, from the corpus size and the workers]."),
            click.option("--resume", is_flag=True,
                         help="Continue an interrupted run with the same inputs and settings from the shards it "
                              "completed (kept hidden beside the output); the output is the same as an uninterrupted run's."),
        ]
    ):
        command = decorator(command)
    return command


def execution_from(jobs: int | None, backend: str, scheduler: str | None, shard_bytes: int | None = None) -> ExecutionOptions:
    """ExecutionOptions from the flags; contradictions are usage errors (exit 2)."""
    try:
        return ExecutionOptions(jobs=jobs, backend=backend, scheduler=scheduler, shard_bytes=shard_bytes)
    except ValueError as err:
        raise click.UsageError(str(err)) from None


def reader_from(fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int) -> ReaderOptions:
    return ReaderOptions(format=fmt, text_field=text_field, id_field=id_field, strict=strict, max_doc_chars=max_doc_chars)


def progress_printer(quiet: bool) -> Callable[[Progress], None] | None:
    if quiet or not sys.stderr.isatty():
        return None

    def show(progress: Progress) -> None:
        rate = progress.text_bytes / 1e6 / progress.seconds if progress.seconds > 0 else 0.0
        click.echo(
            f"\r{progress.documents:,} documents  {progress.text_bytes / 1e6:,.1f} MB  {rate:.1f} MB/s",
            err=True,
            nl=False,
        )

    return show


def format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in counts.items())


def echo_read_summary(summary: dict[str, Any]) -> None:
    for kind in ("skipped", "repaired"):
        block = summary[kind]
        if block["total"]:
            echo(f"{kind} {block['total']} records: {format_counts(block['by_reason'])}", err=True)
    for problem in summary.get("problems", [])[:5]:
        echo(f"  {problem['location']}: {problem['reason']}: {problem['detail']}", err=True)
    if summary.get("ignored_files"):
        echo(f"ignored {len(summary['ignored_files'])} files with unsupported extensions "
             f"(first: {summary['ignored_files'][0]}); use --format to read them", err=True)


def run_with_progress(call: Callable[[Callable[[Progress], None] | None], Any], quiet: bool) -> Any:
    """Run ``call(progress)`` with a progress line on a terminal, ending the line afterwards."""
    progress = progress_printer(quiet)
    result = call(progress)
    if progress is not None:
        echo(err=True)
    return result


def echo_throughput(verb: str, documents: int, text_bytes: int, seconds: float, suffix: str = "") -> None:
    """``<verb> N documents (X MB) in S s (R MB/s, D docs/s)<suffix>`` on stderr."""
    elapsed = max(seconds, 1e-9)
    echo(
        f"{verb} {documents:,} documents ({text_bytes / 1e6:.1f} MB) in {seconds:.1f} s "
        f"({text_bytes / 1e6 / elapsed:.1f} MB/s, {documents / elapsed:,.0f} docs/s){suffix}",
        err=True,
    )


def echo_resumed(resumed: int, shards: int) -> None:
    """``resumed N of M shards ...`` on stderr, when a run continued an interrupted one."""
    if resumed:
        echo(f"resumed {resumed:,} of {plural(shards, 'shard')} from the interrupted run (throughput above counts them)", err=True)


def plural(count: int, noun: str) -> str:
    """``1 file``, ``2 files``, ``1,000 documents``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"

