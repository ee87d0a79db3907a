"""``auditor filter``."""

from __future__ import annotations

import click

from auditor.cli._common import FiniteFloat, echo, echo_json, echo_read_summary, handle_errors, reader_options, run_options, run_with_progress
from auditor.cli.fingerprint import corpus_options, near_duplicate_options
from auditor.filter import FilterOptions, filter_corpus, score_reason
from auditor.scan import ScanOptions

# Scoring options that a reused scan already fixed: given with --from-scan they would be ignored.
_SCAN_ONLY = ("model_path", "num_perm", "seed", "dup_threshold", "near_duplicates")


def _given(name: str) -> bool:
    return click.get_current_context().get_parameter_source(name) != click.core.ParameterSource.DEFAULT


def _flag(name: str) -> str:
    return "--" + ("model" if name == "model_path" else "near-duplicates/--no-near-duplicates" if name == "near_duplicates" else name.replace("_", "-"))


@click.command("filter")
@click.argument("paths", nargs=-1, required=True)
@click.option("--keep", required=True, type=click.Path(dir_okay=False),
              help="File for the kept documents: .jsonl, .jsonl.gz or .parquet.")
@click.option("--reject", required=True, type=click.Path(dir_okay=False),
              help="File for the rejected documents, with their reasons: .jsonl, .jsonl.gz or .parquet.")
@click.option("--max-score", type=FiniteFloat(0, 1), default=None,
              help="Reject documents with p_synthetic at or above this  [default: the flagged threshold: the model's, "
                   "or the scan's with --from-scan].")
@click.option("--no-score-filter", is_flag=True, help="Reject no document for its score (with --dedup: near-duplicates only).")
@click.option("--dedup", is_flag=True,
              help="Keep one document per near-duplicate cluster: the first in input order not rejected for its score.")
@click.option("--from-scan", type=click.Path(file_okay=False), default=None,
              help="Use the scores and clusters of 'auditor scan PATH... --out DIR' (same inputs) instead of scanning again.")
@click.option("--model", "model_path", default=None, type=click.Path(),
              help="Model directory written by 'auditor train'  [default: the shipped model].")
@reader_options
@near_duplicate_options
@run_options
@handle_errors
def filter_command(paths: tuple[str, ...], keep: str, reject: str, max_score: float | None, no_score_filter: bool, dedup: bool,
                   from_scan: str | None, model_path: str | None,
                   fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int,
                   num_perm: int, seed: int, dup_threshold: float, near_duplicates: bool,
                   as_json: bool, quiet: bool, debug: bool) -> None:
    """Split a corpus into kept and rejected documents, each with all its original fields.

    Every document read goes to KEEP or REJECT (JSONL or Parquet, by
    extension) with its original fields plus p_synthetic, dup_cluster,
    reasons (e.g. synthetic>=0.83, near-duplicate-of:ID; empty when kept) and
    auditor_id. An original field named like one of these keeps its name; the
    auditor's is then written as auditor_<name>. Scores are a scan's: computed
    now, or read from --from-scan DIR.

    \b
    Example:
      auditor filter corpus.jsonl --keep clean.jsonl --reject rejected.jsonl --dedup
    """
    if max_score is not None and no_score_filter:
        raise click.UsageError("--max-score and --no-score-filter contradict each other; drop one of them")
    if dedup and not near_duplicates:
        raise click.UsageError("--dedup needs near-duplicate clusters; drop --no-near-duplicates")
    if from_scan is not None:
        given = [_flag(name) for name in _SCAN_ONLY if _given(name)]
        if given:
            verb = "has" if len(given) == 1 else "have"
            raise click.UsageError(f"{', '.join(given)} {verb} no effect with --from-scan (the scan's scores and clusters are used); "
                                   "drop it, or drop --from-scan to scan again")
    options = FilterOptions(
        scan=ScanOptions(
            fingerprint=corpus_options(fmt, text_field, id_field, strict, max_doc_chars, num_perm, seed, near_duplicates, dup_threshold),
            model=model_path,
        ),
        max_score=max_score,
        score_filter=not no_score_filter,
        dedup=dedup,
        from_scan=from_scan,
    )
    result = run_with_progress(lambda progress: filter_corpus(list(paths), keep, reject, options, progress=progress), quiet)
    summary = result.summary
    if not quiet:
        echo_summary(summary, result.seconds)
    if as_json:
        echo_json(summary)


def echo_summary(summary: dict, seconds: float) -> None:
    """The filter's outcome on stderr: documents read, kept, rejected by reason, skipped."""
    scores = summary["scores"]
    source = f"scan {scores['from_scan']}" if scores["from_scan"] else "a scan run now"
    echo(f"read {summary['documents']:,} documents in {seconds:.1f} s (scores from {source}, model {scores['model']['name']})", err=True)
    echo_read_summary(summary)
    rejected = summary["rejected"]
    echo(f"kept {summary['kept']:,} -> {summary['outputs']['keep']}", err=True)
    echo(f"rejected {rejected['total']:,} -> {summary['outputs']['reject']}", err=True)
    if summary["max_score"] is not None:
        echo(f"  {score_reason(summary['max_score'])}: {rejected['by_reason']['synthetic']:,}", err=True)
    else:
        echo("  no score filter", err=True)
    if summary["dedup"]:
        echo(f"  near-duplicate: {rejected['by_reason']['near_duplicate']:,} (both reasons: {rejected['both']:,})", err=True)
    for name, columns in summary["json_columns"].items():
        echo(f"{summary['outputs'][name]}: written as JSON text (values with no common Parquet type): {', '.join(columns)}", err=True)
