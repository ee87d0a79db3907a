"""``auditor scan``."""

from __future__ import annotations

import sys

import click

from auditor.cli._common import FiniteFloat, EXIT_FINDING, echo, echo_json, execution_from, execution_options, echo_read_summary, echo_resumed, echo_throughput, handle_errors, reader_options, run_options, run_with_progress
from auditor.cli.fingerprint import corpus_options, echo_evasion, echo_near_duplicates, near_duplicate_options
from auditor.estimate import METHODS
from auditor.projection_inputs import drift_verdict
from auditor.scan import ScanOptions, headline, scan


@click.command("scan")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Output directory (created if missing): documents.parquet, tokens.parquet, report.md, report.html, summary.json.")
@click.option("--model", "model_path", default=None, type=click.Path(),
              help="Model directory written by 'auditor train'  [default: the shipped model].")
@click.option("--threshold", default=None, type=FiniteFloat(0, 1),
              help="Flag documents with p_synthetic at or above this  [default: the model's threshold].")
@click.option("--method", type=click.Choice(METHODS), default="em", show_default=True,
              help="Synthetic-fraction estimator: mixture likelihood (em), adjusted (acc) or plain (cc) classify-and-count.")
@click.option("--reference-human", multiple=True, type=click.Path(),
              help="Documents known to be human-written, from your own domain (repeatable); calibrates the estimate.")
@click.option("--reference-machine", multiple=True, type=click.Path(),
              help="Documents known to be machine-written (repeatable)  [default: the model's validation scores].")
@click.option("--known-synthetic", type=click.Path(), default=None,
              help="Index of known machine-generated text ('auditor index build'); matching documents count as machine.")
@click.option("--known-threshold", type=FiniteFloat(0, 1, min_open=True), default=0.8, show_default=True,
              help="Estimated Jaccard (word 5-grams) at which a document matches the known-synthetic index.")
@click.option("--fail-above", type=FiniteFloat(0, 1), default=None,
              help="Exit 1 when the estimated synthetic fraction exceeds this (outputs are still written).")
@reader_options
@near_duplicate_options
@execution_options
@run_options
@handle_errors
def scan_command(paths: tuple[str, ...], out: str, model_path: str | None, threshold: float | None, method: str,
                 reference_human: tuple[str, ...], reference_machine: tuple[str, ...], known_synthetic: str | None,
                 known_threshold: float, fail_above: float | None,
                 fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int,
                 num_perm: int, seed: int, dup_threshold: float, near_duplicates: bool,
                 jobs: int | None, backend: str, scheduler: str | None, shard_bytes: int | None, resume: bool,
                 as_json: bool, quiet: bool, debug: bool) -> None:
    """Score every document and estimate how much of the corpus is machine-written.

    Reads PATHS like 'auditor fingerprint', scores each document with the
    detector, and writes OUT/documents.parquet (source, row, id, p_synthetic,
    flagged, dup_cluster, features), OUT/report.md (a pull-request comment),
    OUT/report.html (one self-contained page with plots) and OUT/summary.json.

    \b
    Example:
      auditor scan sample_data/ --out audit/
    """
    if known_synthetic is None and click.get_current_context().get_parameter_source("known_threshold") != click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--known-threshold needs --known-synthetic INDEX_DIR")
    options = ScanOptions(
        fingerprint=corpus_options(fmt, text_field, id_field, strict, max_doc_chars, num_perm, seed, near_duplicates, dup_threshold),
        model=model_path,
        threshold=threshold,
        method=method,
        reference_human=reference_human,
        reference_machine=reference_machine,
        known_synthetic=known_synthetic,
        known_threshold=known_threshold,
        execution=execution_from(jobs, backend, scheduler, shard_bytes),
    )
    result = run_with_progress(lambda progress: scan(list(paths), out, options, progress=progress, resume=resume), quiet)
    summary = result.summary
    if not quiet:
        echo_throughput("scanned", summary["documents"], result.text_bytes, result.seconds, f" with model {summary['model']['name']}")
        echo_resumed(result.resumed_shards, result.shards)
        echo_read_summary(summary)
        fraction, flagged = summary["synthetic_fraction"], summary["flagged"]
        references = fraction["reference"]
        echo(headline(summary), err=True)
        echo(
            f"  method {fraction['method']}; human reference: {references['human']['source']} ({references['human']['documents']:,} documents); "
            f"machine reference: {references['machine']['source']} ({references['machine']['documents']:,} documents)",
            err=True,
        )
        echo(f"flagged {flagged['count']:,} documents at p_synthetic >= {flagged['threshold']:.4f}", err=True)
        if summary["known_synthetic"] is not None:
            known = summary["known_synthetic"]
            echo(f"known synthetic: {known['matched']:,} documents match {known['index']} at Jaccard >= {known['threshold']} "
                 "(counted as machine)", err=True)
        echo_near_duplicates(summary["near_duplicates"])
        echo_evasion(summary)
        echo(drift_verdict(summary["projection"], fraction["estimate"]), err=True)
        echo(f"wrote {result.out}/documents.parquet, tokens.parquet, report.md, report.html and summary.json", err=True)
    if as_json:
        echo_json(summary)
    estimate = summary["synthetic_fraction"]["estimate"]
    if fail_above is not None and estimate > fail_above:
        echo(f"synthetic fraction {estimate:.3f} is above --fail-above {fail_above:g}", err=True)
        sys.exit(EXIT_FINDING)
