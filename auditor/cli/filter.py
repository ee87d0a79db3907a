"""``auditor filter``."""

from __future__ import annotations

from typing import cast

import click

from auditor.summary import ReadBlocks
from auditor.cli.options import (
    READER_PARAMETERS,
    FiniteFloat,
    config_option,
    corpus_options,
    near_duplicate_options,
    reader_options,
    resolve_settings,
    run_options,
)
from auditor.cli.output import echo, echo_json, echo_lines, handle_errors, run_with_progress
from auditor.pipeline.filter import FilterOptions, filter_corpus
from auditor.pipeline.scan import ScanOptions
from auditor.report.terminal import read_summary_lines

# Scoring options that a reused scan already fixed: given with --from-scan they would be ignored.
_SCAN_ONLY = ("model_path", "num_perm", "seed", "dup_threshold", "near_duplicates")
# Setting -> parameter. threshold has no flag here: from AUDITOR_THRESHOLD or the settings file it is
# the flagged threshold of the scan run now, as in 'auditor scan'; --max-score is the filter's own rule.
FILTER_PARAMETERS = {"model": "model_path", **READER_PARAMETERS}


def _given(name: str) -> bool:
    return click.get_current_context().get_parameter_source(name) != click.core.ParameterSource.DEFAULT


def _flag(name: str) -> str:
    return "--" + ("model" if name == "model_path" else "near-duplicates/--no-near-duplicates" if name == "near_duplicates" else name.replace("_", "-"))


@click.command("filter")
@click.argument("paths", nargs=-1, required=True)
@click.option("--keep", required=True, type=click.Path(dir_okay=False),
              help="File for the kept documents, in the format its name says: .jsonl, .csv, .tsv, .parquet (all but "
                   ".parquet also as .gz or .zst); missing directories are created.")
@click.option("--reject", required=True, type=click.Path(dir_okay=False),
              help="File for the rejected documents, with their reasons; named as --keep.")
@click.option("--max-posterior", type=FiniteFloat(0, 1), default=None,
              help="Reject documents whose p_machine_given_corpus (posterior under the corpus's fitted mixture) is above this "
                   "(the default rule, at 0.5: the rejected count follows the corpus's estimate).")
@click.option("--max-score", type=FiniteFloat(0, 1), default=None,
              help="Reject documents with p_synthetic at or above this instead (a fixed cut on the score).")
@click.option("--no-score-filter", is_flag=True, help="Reject no document for its score (with --dedup: near-duplicates only).")
@click.option("--dedup", is_flag=True,
              help="Keep one document per near-duplicate cluster: the first in input order not rejected for its score.")
@click.option("--from-scan", type=click.Path(file_okay=False), default=None,
              help="Use the scores and clusters of 'auditor scan PATH... --out DIR' (same inputs) instead of scanning again.")
@click.option("--model", "model_path", default=None, type=click.Path(),
              help="Model directory written by 'auditor train'  [default: the shipped model].")
@config_option
@reader_options
@near_duplicate_options
@run_options
@handle_errors
def filter_command(paths: tuple[str, ...], keep: str, reject: str, max_posterior: float | None, max_score: float | None,
                   no_score_filter: bool, dedup: bool,
                   from_scan: str | None, model_path: str | None, config: str | None,
                   fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int, csv_delimiter: str | None, encoding: str,
                   num_perm: int, seed: int, dup_threshold: float, near_duplicates: bool,
                   as_json: bool, quiet: bool, debug: bool) -> None:
    """Split a corpus into kept and rejected documents, each with all its original fields.

    Every document read goes to KEEP or REJECT (JSONL, CSV, TSV or Parquet,
    as the name's extension says) with its original fields plus p_synthetic,
    p_machine_given_corpus, dup_cluster, reasons (e.g. "p_machine_given_corpus
    0.97 > 0.50", near-duplicate-of:ID; empty when kept) and auditor_id. By
    default a document is rejected when its posterior under the corpus's fitted
    mixture is over 0.5 (--max-posterior), so the rejected count follows the
    corpus's estimated machine share; --max-score cuts on p_synthetic instead. An original field named like one of these keeps its name; the
    auditor's is then written as auditor_<name>. Scores are a scan's: computed
    now, or read from --from-scan DIR. --model, --format, --text-field and
    --id-field not given here, and the threshold a scan run now flags at, come
    from AUDITOR_* variables, then from [tool.auditor] / .auditor.toml.

    \b
    Example:
      auditor filter corpus.jsonl --keep clean.jsonl --reject rejected.jsonl --dedup
    """
    given: str | list[str]  # the flag in conflict, or the flags --from-scan makes useless
    if (max_score is not None or max_posterior is not None) and no_score_filter:
        given = "--max-score" if max_score is not None else "--max-posterior"
        raise click.UsageError(f"{given} and --no-score-filter contradict each other; drop one of them")
    if max_score is not None and max_posterior is not None:
        raise click.UsageError("--max-score and --max-posterior are two rules for one decision; give one of them")
    if dedup and not near_duplicates:
        raise click.UsageError("--dedup needs near-duplicate clusters; drop --no-near-duplicates")
    if from_scan is not None:
        given = [_flag(name) for name in _SCAN_ONLY if _given(name)]
        if given:
            verb = "has" if len(given) == 1 else "have"
            raise click.UsageError(f"{', '.join(given)} {verb} no effect with --from-scan (the scan's scores and clusters are used); "
                                   "drop it, or drop --from-scan to scan again")
    settings = resolve_settings(FILTER_PARAMETERS)
    options = FilterOptions(
        scan=ScanOptions(
            fingerprint=corpus_options(settings.format, settings.text_field, settings.id_field, strict, max_doc_chars, csv_delimiter, encoding,
                                       num_perm, seed, near_duplicates, dup_threshold),
            model=None if settings.model_path is None else str(settings.model_path),
            threshold=settings.threshold,
            # The posterior rule depends on the estimate: the scan run now estimates as 'auditor scan' would.
            method=settings.method,
            reference_human=tuple(settings.reference_paths()),
        ),
        max_score=max_score,
        max_posterior=max_posterior,
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
    echo_lines(read_summary_lines(cast(ReadBlocks, summary)))  # filter_corpus copies the reading blocks of its read
    rejected = summary["rejected"]
    echo(f"kept {summary['kept']:,} -> {summary['outputs']['keep']}", err=True)
    echo(f"rejected {rejected['total']:,} -> {summary['outputs']['reject']}", err=True)
    rule = summary["rule"]
    if rule is not None:
        estimate = summary["estimate"]
        echo(f"  {rule['column']} {rule['operator']} {rule['cut']:g}: {rejected['by_reason']['synthetic']:,} (the scan estimates "
             f"{estimate['documents_low']:,.0f}-{estimate['documents_high']:,.0f} machine documents)", err=True)
    else:
        echo("  no score filter", err=True)
    if summary["dedup"]:
        echo(f"  near-duplicate: {rejected['by_reason']['near_duplicate']:,} (both reasons: {rejected['both']:,})", err=True)
    for name, columns in summary["json_columns"].items():
        echo(f"{summary['outputs'][name]}: written as JSON text (values with no common Parquet type): {', '.join(columns)}", err=True)
