"""Command-line interface: a thin Click layer over the library.

Each command parses options, builds one frozen options object, calls one
library function, renders the result and picks the exit code. Exit codes:
0 clean; 1 a threshold was exceeded (a finding); 2 usage, input or
configuration error (never Click's default 1); 3 a hook baseline was rewritten.
"""

from __future__ import annotations

import functools
import signal
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

import click

from auditor import __version__
from auditor.errors import AuditorError
from auditor.features.dedup import DEFAULT_THRESHOLD
from auditor.features.minhash import DEFAULT_NUM_PERM, DEFAULT_SEED
from auditor.fingerprint import FingerprintOptions, Progress, fingerprint
from auditor.readers import FORMATS, ReaderOptions

EXIT_ERROR = 2


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
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
        ]
    ):
        command = decorator(command)
    return command


def _progress_printer(quiet: bool) -> Callable[[Progress], None] | None:
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


def _format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in counts.items())


def _echo_read_summary(summary: dict[str, Any]) -> None:
    for kind in ("skipped", "repaired"):
        block = summary[kind]
        if block["total"]:
            click.echo(f"{kind} {block['total']} records: {_format_counts(block['by_reason'])}", err=True)
    for problem in summary["problems"][:5]:
        click.echo(f"  {problem['location']}: {problem['reason']}: {problem['detail']}", err=True)
    if summary["ignored_files"]:
        click.echo(f"ignored {len(summary['ignored_files'])} files with unsupported extensions "
                   f"(first: {summary['ignored_files'][0]}); use --format to read them", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit a text corpus for machine-generated content before training on it.

    \b
    Example:
      auditor fingerprint sample_data/mixed.jsonl --out fingerprint.parquet
    """


@cli.command("fingerprint")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output Parquet file.")
@reader_options
@click.option("--num-perm", default=DEFAULT_NUM_PERM, show_default=True, type=click.IntRange(1, 1024),
              help="MinHash signature length.")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(0, 2**32 - 1),
              help="MinHash permutation seed.")
@click.option("--dup-threshold", default=DEFAULT_THRESHOLD, show_default=True, type=click.FloatRange(0, 1, min_open=True),
              help="Estimated Jaccard similarity (word 5-grams) at which documents are near-duplicates.")
@click.option("--near-duplicates/--no-near-duplicates", default=True, show_default=True,
              help="Cluster near-duplicates (the index holds about 4 KB per document).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.option("--quiet", is_flag=True, help="No progress bar or summary on stderr.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def fingerprint_command(paths: tuple[str, ...], out: str, fmt: str, text_field: str, id_field: str | None, strict: bool,
                        num_perm: int, seed: int, dup_threshold: float, near_duplicates: bool,
                        as_json: bool, quiet: bool, debug: bool) -> None:
    """Per-document n-gram, entropy and MinHash features, and near-duplicate clusters.

    PATHS are files (.jsonl[.gz|.zst], .parquet, .csv, .tsv, .txt), directories
    (read recursively) or glob patterns. Writes one row per document to OUT with
    its source, row, id, features, MinHash signature and dup_cluster.

    \b
    Example:
      auditor fingerprint sample_data/mixed.jsonl --out fingerprint.parquet
    """
    options = FingerprintOptions(
        reader=ReaderOptions(format=fmt, text_field=text_field, id_field=id_field, strict=strict),
        num_perm=num_perm, seed=seed, near_duplicates=near_duplicates, dup_threshold=dup_threshold,
    )
    progress = _progress_printer(quiet)
    result = fingerprint(list(paths), out=out, options=options, progress=progress)
    if progress is not None:
        click.echo("", err=True)
    summary = result.summary
    if not quiet:
        seconds = max(result.seconds, 1e-9)
        click.echo(
            f"fingerprinted {summary['documents']:,} documents ({result.text_bytes / 1e6:.1f} MB) in {result.seconds:.1f} s "
            f"({result.text_bytes / 1e6 / seconds:.1f} MB/s, {summary['documents'] / seconds:,.0f} docs/s)",
            err=True,
        )
        _echo_read_summary(summary)
        near = summary["near_duplicates"]
        if near.get("enabled"):
            click.echo(
                f"near-duplicates: {near['clusters']} clusters holding {near['documents_in_clusters']} documents "
                f"({near['fraction_in_clusters']:.1%}) at Jaccard >= {near['threshold']}",
                err=True,
            )
        click.echo(f"wrote {out}", err=True)
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True))


def _terminate(signum: int, frame: object) -> None:
    # Unwind (SystemExit is an exception) so context managers remove temporary files.
    raise SystemExit(128 + signum)


def main() -> None:
    """Console-script entry point.

    Ctrl-C and SIGTERM exit 130 / 143 after cleaning up temporary files; they
    never exit 1, which means "threshold exceeded".
    """
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = cli(prog_name="auditor", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
