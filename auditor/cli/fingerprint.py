"""``auditor fingerprint``."""

from __future__ import annotations

import click

from auditor.cli.options import corpus_options, execution_from, execution_options, near_duplicate_options, reader_options, run_options
from auditor.cli.output import echo_json, echo_lines, handle_errors, run_with_progress
from auditor.corpus.runner import fingerprint
from auditor.report.terminal import fingerprint_lines, resumed_lines, throughput_line, workers_lines


@click.command("fingerprint")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Output file, in the format its name says: .parquet, .jsonl, .csv, .tsv (all but .parquet also as .gz or .zst); "
                   "CSV/TSV/JSONL get the summary beside them in OUT.summary.json.")
@reader_options
@near_duplicate_options
@execution_options
@run_options
@handle_errors
def fingerprint_command(paths: tuple[str, ...], out: str, fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int, csv_delimiter: str | None, encoding: str,
                        num_perm: int, seed: int, dup_threshold: float, near_duplicates: bool,
                        jobs: int | None, backend: str, scheduler: str | None, shard_bytes: int | None, resume: bool,
                        as_json: bool, quiet: bool, debug: bool) -> None:
    """Per-document n-gram, entropy and MinHash features, and near-duplicate clusters.

    PATHS are files (.jsonl[.gz|.zst], .parquet, .csv, .tsv, .txt), directories
    (read recursively) or glob patterns. Writes one row per document to OUT with
    its source, row, record, row_in_file, id, features, MinHash signature and
    dup_cluster: Parquet with the run's summary in its metadata, or CSV, TSV or
    JSONL (the signature as a JSON list) with the summary in OUT.summary.json.

    \b
    Example:
      auditor fingerprint sample_data/mixed.jsonl --out fingerprint.parquet
    """
    options = corpus_options(fmt, text_field, id_field, strict, max_doc_chars, csv_delimiter, encoding, num_perm, seed, near_duplicates, dup_threshold)
    execution = execution_from(jobs, backend, scheduler, shard_bytes)
    result = run_with_progress(lambda progress: fingerprint(list(paths), out=out, options=options, progress=progress,
                                                            execution=execution, resume=resume), quiet)
    summary = result.summary
    if not quiet:
        echo_lines([throughput_line("fingerprinted", summary["documents"], result.text_bytes, result.seconds),
                    *workers_lines(execution.workers, result.workers),
                    *resumed_lines(result.resumed_shards, result.shards), *fingerprint_lines(summary), f"wrote {out}",
                    *([f"wrote {result.summary_file} (the summary: only a Parquet file has room for it)"]
                      if result.summary_file is not None else [])])
    if as_json:
        echo_json(summary)


