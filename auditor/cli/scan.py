"""``auditor scan``."""

from __future__ import annotations

import sys

import click

from auditor.cli.options import (
    READER_PARAMETERS,
    FiniteFloat,
    config_option,
    corpus_options,
    execution_from,
    execution_options,
    near_duplicate_options,
    reader_options,
    resolve_settings,
    run_options,
)
from auditor.cli.output import EXIT_FINDING, echo, echo_json, echo_lines, handle_errors, run_with_progress
from auditor.estimate.corpus_reference import Selection, parse_day
from auditor.estimate.fraction import METHODS
from auditor.hook.settings import FLAG
from auditor.pipeline.scan import ScanOptions, scan
from auditor.report.terminal import resumed_lines, scan_lines, throughput_line, workers_lines

# Setting -> parameter: what [tool.auditor] and AUDITOR_* set when the flag is not typed.
SCAN_PARAMETERS = {"model": "model_path", "threshold": "threshold", "method": "method", "reference_human": "reference_human",
                   "fail_above": "fail_above", **READER_PARAMETERS}

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
@click.option("--human-before", metavar="DATE", default=None,
              help="Corpus documents dated before DATE (YYYY-MM-DD, e.g. 2022-11-30) in --date-field are the human reference.")
@click.option("--date-field", metavar="FIELD", default=None,
              help="Field / column holding each document's date (ISO date or datetime, Unix seconds, Parquet date/timestamp).")
@click.option("--reference-where", metavar="FIELD=VALUE", default=None,
              help="Documents whose FIELD equals VALUE (as a string) are the human reference: the corpus's, or with "
                   "--reference-human those files' records.")
@click.option("--known-synthetic", type=click.Path(), default=None,
              help="Index of known machine-generated text ('auditor index build'); matching documents count as machine.")
@click.option("--known-threshold", type=FiniteFloat(0, 1, min_open=True), default=0.8, show_default=True,
              help="Estimated Jaccard (word 5-grams) at which a document matches the known-synthetic index.")
@click.option("--fail-above", type=FiniteFloat(0, 1), default=None,
              help="Exit 1 when the estimated synthetic fraction exceeds this (outputs are still written).")
@config_option
@reader_options
@near_duplicate_options
@execution_options
@run_options
@handle_errors
def scan_command(paths: tuple[str, ...], out: str, model_path: str | None, threshold: float | None, method: str,
                 reference_human: tuple[str, ...], reference_machine: tuple[str, ...], human_before: str | None,
                 date_field: str | None, reference_where: str | None, known_synthetic: str | None,
                 known_threshold: float, fail_above: float | None, config: str | None,
                 fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int, csv_delimiter: str | None, encoding: str,
                 num_perm: int, seed: int, dup_threshold: float, near_duplicates: bool,
                 jobs: int | None, backend: str, scheduler: str | None, shard_bytes: int | None, resume: bool,
                 as_json: bool, quiet: bool, debug: bool) -> None:
    """Score every document and estimate how much of the corpus is machine-written.

    Reads PATHS like 'auditor fingerprint', scores each document with the
    detector, and writes OUT/documents.parquet (source, row, id, p_synthetic,
    flagged, dup_cluster, features), OUT/report.md (a pull-request comment),
    OUT/report.html (one self-contained page with plots) and OUT/summary.json.

    --model, --threshold, --method, --reference-human, --fail-above, --format,
    --text-field and --id-field not given here come from AUDITOR_* variables,
    then from [tool.auditor] / .auditor.toml (looked up like the hook's).

    The human reference can come from the corpus itself: documents dated
    before --human-before in --date-field, or whose field matches
    --reference-where. An interval wider than 0.3 is headlined as
    uninformative, with the step that would narrow it.

    \b
    Example:
      auditor scan sample_data/ --out audit/
      auditor scan corpus.jsonl --out audit/ --human-before 2022-11-30 --date-field date
    """
    if known_synthetic is None and click.get_current_context().get_parameter_source("known_threshold") != click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--known-threshold needs --known-synthetic INDEX_DIR")
    selection = corpus_selection(human_before, date_field, reference_where)
    settings = resolve_settings(SCAN_PARAMETERS)
    options = ScanOptions(
        fingerprint=corpus_options(settings.format, settings.text_field, settings.id_field, strict, max_doc_chars, csv_delimiter, encoding,
                                   num_perm, seed, near_duplicates, dup_threshold),
        model=None if settings.model_path is None else str(settings.model_path),
        threshold=settings.threshold,
        method=settings.method,
        # --human-before / --reference-where pick from the corpus unless --reference-human is typed (a configured one is not used).
        reference_human=tuple(settings.reference_paths()) if selection is None or typed("reference_human") else (),
        reference_machine=reference_machine,
        corpus_reference=selection,
        known_synthetic=known_synthetic,
        known_threshold=known_threshold,
        execution=execution_from(jobs, backend, scheduler, shard_bytes),
    )
    result = run_with_progress(lambda progress: scan(list(paths), out, options, progress=progress, resume=resume), quiet)
    summary = result.summary
    if not quiet:
        echo_lines([throughput_line("scanned", summary["documents"], result.text_bytes, result.seconds, f" with model {summary['model']['name']}"),
                    *workers_lines(options.execution.workers, result.workers),
                    *resumed_lines(result.resumed_shards, result.shards), *scan_lines(summary)])
        echo(f"wrote {result.out}/documents.parquet, tokens.parquet, report.md, report.html and summary.json", err=True)
    if as_json:
        echo_json(summary)
    low = summary["synthetic_fraction"]["low"]
    # The hook's test: the interval's lower end (what the scan knows for sure) over the tolerance. Unlike
    # the hook's per-file tolerance, a scan fails only when fail-above was given somewhere.
    if settings.given("fail_above") and low > settings.fail_above:
        source = settings.sources["fail_above"]
        limit = f"{source} {settings.fail_above:g}" if source.kind == FLAG else f"fail-above {settings.fail_above:g} (from {source})"
        echo(f"synthetic fraction: the interval's lower end {low:.3f} is above {limit}", err=True)
        sys.exit(EXIT_FINDING)


def corpus_selection(human_before: str | None, date_field: str | None, reference_where: str | None) -> Selection | None:
    """The human reference picked by a field (``--human-before`` + ``--date-field``, ``--reference-where``); usage errors exit 2."""
    if human_before is not None and date_field is None:
        raise click.UsageError("--human-before needs --date-field FIELD (the field holding each document's date)")
    if date_field is not None and human_before is None:
        raise click.UsageError("--date-field needs --human-before DATE (documents dated before it are the human reference)")
    if reference_where is not None and human_before is not None:
        raise click.UsageError("--reference-where and --human-before both choose the human reference: give one of them")
    if date_field == "":
        raise click.BadParameter("give the name of the field holding each document's date", param_hint="--date-field")
    if human_before is not None:
        try:
            return Selection(str(date_field), before=parse_day(human_before))
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--human-before") from None
    if reference_where is not None:
        name, equals, value = reference_where.partition("=")
        if not name or not equals or not value:
            raise click.BadParameter(f"{reference_where!r}: give FIELD=VALUE, e.g. source=wikipedia", param_hint="--reference-where")
        return Selection(name, equals=value)
    return None


def typed(parameter: str) -> bool:
    """Whether the option was given on the command line (not by default, environment or configuration)."""
    return click.get_current_context().get_parameter_source(parameter) == click.core.ParameterSource.COMMANDLINE
