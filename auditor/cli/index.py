"""``auditor index build``: an index of known machine-generated text for ``scan --known-synthetic``."""

from __future__ import annotations

import click

from auditor.cli.options import reader_from, reader_options
from auditor.cli.output import echo, echo_json, echo_lines, handle_errors, run_with_progress
from auditor.corpus.batches import FingerprintOptions
from auditor.detector.known import build_index
from auditor.features.minhash import DEFAULT_NUM_PERM, DEFAULT_SEED
from auditor.report.terminal import read_summary_lines


@click.group("index")
def index_group() -> None:
    """Indexes of text known to be machine-generated.

    \b
    Example:
      auditor index build synthetic_dataset.jsonl --out known-index/
    """


@index_group.command("build")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Index directory to write.")
@reader_options
@click.option("--num-perm", default=DEFAULT_NUM_PERM, show_default=True, type=click.IntRange(1, 1024),
              help="MinHash signature length (scans using the index must use the same).")
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(0, 2**32 - 1),
              help="MinHash permutation seed (scans using the index must use the same).")
@click.option("--json", "as_json", is_flag=True, help="Print the index summary as JSON on stdout.")
@click.option("--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def index_build_command(paths: tuple[str, ...], out: str, fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int, csv_delimiter: str | None, encoding: str,
                        num_perm: int, seed: int, as_json: bool, quiet: bool, debug: bool) -> None:
    """MinHash signatures of known machine-generated texts (arrays + JSON, never pickle).

    A scan with --known-synthetic OUT marks documents that near-duplicate one
    of them and counts them as machine-written.

    \b
    Example:
      auditor index build synthetic_dataset.jsonl --out known-index/
    """
    options = FingerprintOptions(reader=reader_from(fmt, text_field, id_field, strict, max_doc_chars, csv_delimiter, encoding), num_perm=num_perm, seed=seed, near_duplicates=False)
    summary = run_with_progress(lambda progress: build_index(list(paths), out, options, progress=progress), quiet)
    if not quiet:
        echo(f"indexed {summary['indexed']:,} distinct signatures of {summary['documents']:,} documents", err=True)
        echo_lines(read_summary_lines(summary))
        echo(f"wrote {out}", err=True)
    if as_json:
        echo_json(summary)
