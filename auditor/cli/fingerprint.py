"""``auditor fingerprint``."""

from __future__ import annotations

import click

from auditor.cli._common import FiniteFloat, echo, echo_json, echo_read_summary, echo_resumed, execution_from, execution_options, echo_throughput, handle_errors, reader_from, reader_options, run_options, run_with_progress
from auditor.features.dedup import DEFAULT_THRESHOLD
from auditor.features.minhash import DEFAULT_NUM_PERM, DEFAULT_SEED
from auditor.corpus.runner import FingerprintOptions, fingerprint


def near_duplicate_options(command):
    """MinHash and near-duplicate options shared by fingerprint and scan."""
    for decorator in reversed(
        [
            click.option("--num-perm", default=DEFAULT_NUM_PERM, show_default=True, type=click.IntRange(1, 1024),
                         help="MinHash signature length."),
            click.option("--seed", default=DEFAULT_SEED, show_default=True, type=click.IntRange(0, 2**32 - 1),
                         help="MinHash permutation seed."),
            click.option("--dup-threshold", default=DEFAULT_THRESHOLD, show_default=True,
                         type=FiniteFloat(0, 1, min_open=True),
                         help="Estimated Jaccard similarity (word 5-grams) at which documents are near-duplicates."),
            click.option("--near-duplicates/--no-near-duplicates", default=True, show_default=True,
                         help="Cluster near-duplicates (the index holds about 0.6 KB per document)."),
        ]
    ):
        command = decorator(command)
    return command


def refuse_ignored_dup_threshold(near_duplicates: bool) -> None:
    """``--dup-threshold`` with ``--no-near-duplicates`` would be silently ignored: say so instead."""
    source = click.get_current_context().get_parameter_source("dup_threshold")
    if not near_duplicates and source != click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--dup-threshold has no effect with --no-near-duplicates; drop one of them")


def corpus_options(fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int,
                   num_perm: int, seed: int, near_duplicates: bool, dup_threshold: float) -> FingerprintOptions:
    """FingerprintOptions from the shared reader and near-duplicate options (after refusing contradictions)."""
    refuse_ignored_dup_threshold(near_duplicates)
    return FingerprintOptions(
        reader=reader_from(fmt, text_field, id_field, strict, max_doc_chars),
        num_perm=num_perm, seed=seed, near_duplicates=near_duplicates, dup_threshold=dup_threshold,
    )


def echo_near_duplicates(near: dict) -> None:
    if near.get("enabled"):
        echo(
            f"near-duplicates: {near['clusters']} clusters holding {near['documents_in_clusters']} documents "
            f"({near['fraction_in_clusters']:.1%}) at Jaccard >= {near['threshold']}",
            err=True,
        )


def echo_evasion(summary: dict) -> None:
    evasion = summary.get("evasion") or {}
    if evasion.get("documents"):
        echo(f"evasion characters: {evasion['documents']:,} documents hold {evasion['characters']:,} invisible or "
             "look-alike characters (removed or folded before scoring; see evasion_chars)", err=True)


@click.command("fingerprint")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output Parquet file.")
@reader_options
@near_duplicate_options
@execution_options
@run_options
@handle_errors
def fingerprint_command(paths: tuple[str, ...], out: str, fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int,
                        num_perm: int, seed: int, dup_threshold: float, near_duplicates: bool,
                        jobs: int | None, backend: str, scheduler: str | None, shard_bytes: int | None, resume: bool,
                        as_json: bool, quiet: bool, debug: bool) -> None:
    """Per-document n-gram, entropy and MinHash features, and near-duplicate clusters.

    PATHS are files (.jsonl[.gz|.zst], .parquet, .csv, .tsv, .txt), directories
    (read recursively) or glob patterns. Writes one row per document to OUT with
    its source, row, id, features, MinHash signature and dup_cluster.

    \b
    Example:
      auditor fingerprint sample_data/mixed.jsonl --out fingerprint.parquet
    """
    options = corpus_options(fmt, text_field, id_field, strict, max_doc_chars, num_perm, seed, near_duplicates, dup_threshold)
    execution = execution_from(jobs, backend, scheduler, shard_bytes)
    result = run_with_progress(lambda progress: fingerprint(list(paths), out=out, options=options, progress=progress,
                                                            execution=execution, resume=resume), quiet)
    summary = result.summary
    if not quiet:
        echo_throughput("fingerprinted", summary["documents"], result.text_bytes, result.seconds)
        echo_resumed(result.resumed_shards, result.shards)
        echo_read_summary(summary)
        echo_near_duplicates(summary["near_duplicates"])
        echo_evasion(summary)
        echo(f"wrote {out}", err=True)
    if as_json:
        echo_json(summary)


