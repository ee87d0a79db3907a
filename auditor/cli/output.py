"""How every command speaks: lines on stdout/stderr (escaped), JSON, errors as exit 2, the progress line."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import click

from auditor.corpus.batches import Progress
from auditor.errors import AuditorError
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


class ProgressDisplay:
    """A run's progress on a terminal: a bar over the input files' bytes, with documents, rate and ETA.

    The bar is :func:`click.progressbar`; the time left is the label's (:func:`_progress_label`, at the
    run's rate so far). When the total is unknown (standard input) a line of running counts takes its
    place. Only numbers are shown.
    """

    def __init__(self) -> None:
        self._bar: Any = None
        self._last = Progress(0, 0, 0.0)

    def __call__(self, progress: Progress) -> None:
        if not progress.total_bytes:
            rate = progress.text_bytes / 1e6 / progress.seconds if progress.seconds > 0 else 0.0
            click.echo(f"\r{progress.documents:,} documents  {progress.text_bytes / 1e6:,.1f} MB  {rate:.1f} MB/s", err=True, nl=False)
            return
        if self._bar is None:
            # The ETA is the label's, from the run's own clock and bytes (click's waits a second per estimate).
            self._bar = click.progressbar(length=progress.total_bytes, file=sys.stderr, label="reading", show_eta=False,
                                          show_percent=True, item_show_func=_progress_label, width=24)
        self._bar.update(max(min(progress.input_bytes, progress.total_bytes) - self._bar.pos, 0), progress)
        self._last = progress

    def finish(self) -> None:
        """Complete the bar (the last shard's bytes) or end the counts line."""
        if self._bar is not None:
            done = replace(self._last, input_bytes=self._bar.length)  # all read: no time left to show
            self._bar.update(self._bar.length - self._bar.pos, done)
            self._bar.render_finish()
        else:
            echo(err=True)


def _progress_label(progress: Progress | None) -> str:
    if progress is None:
        return ""
    # The rate of text, as the throughput line after the run reports it; the bar itself runs over file bytes.
    rate = progress.text_bytes / 1e6 / progress.seconds if progress.seconds > 0 else 0.0
    label = f"{progress.documents:,} documents  {rate:.1f} MB/s"
    if progress.total_bytes and 0 < progress.input_bytes < progress.total_bytes and progress.seconds > 0:
        left = round(progress.seconds * (progress.total_bytes - progress.input_bytes) / progress.input_bytes)
        label += f"  ETA {left // 60}:{left % 60:02d}"
    return label


def progress_printer(quiet: bool) -> ProgressDisplay | None:
    """The display of a run's progress: none with ``--quiet`` or when stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    return ProgressDisplay()


def run_with_progress(call: Callable[[Callable[[Progress], None] | None], Any], quiet: bool) -> Any:
    """Run ``call(progress)`` with a progress display on a terminal, completing it afterwards."""
    display = progress_printer(quiet)
    result = call(display)
    if display is not None:
        display.finish()
    return result


def echo_lines(lines: list[str], err: bool = True) -> None:
    """Each of ``lines`` through :func:`echo` (stderr by default: summaries, not results)."""
    for line in lines:
        echo(line, err=err)
