"""``auditor project``."""

from __future__ import annotations

import csv
import io

import click

from auditor.cli.options import FiniteFloat, reader_from, reader_options
from auditor.cli.output import echo, echo_json, handle_errors
from auditor.io.documents import ReaderOptions
from auditor.projection.bounds import generations_until
from auditor.projection.collapse import DEFAULT_GENERATIONS, REGIMES
from auditor.projection.figures import DEFAULT_MAX_DRIFT
from auditor.projection.run import ProjectionOptionError, choose_source, run_projection
from auditor.report.text import band_text, plain_figures


def _table(rows: list[dict[str, float]]) -> list[str]:
    """Plain figures first (each followed by what synthetic data adds, "+synth"), then the proxy and its parts."""
    header = (f"{'gen':>4} {'excess':>7} {'tail_lost':>9} {'+synth':>8} {'words_lost':>10} {'+synth':>7} {'dH_bits':>8} {'+synth':>7} "
              f"{'eff_vocab':>10} {'+synth':>8} | {'ppl_ratio':>9} {'baseline':>9} {'chi2':>9} {'kl':>8}")
    lines = [header]
    for r in rows:
        lines.append(f"{r['generation']:>4} {r['synthetic_excess']:>7.4g} {r['tail_mass_lost']:>9.2%} {r['tail_mass_lost_added']:>+8.2%} "
                     f"{r['vocab_lost']:>10,.0f} {r['vocab_lost_added']:>+7,.0f} {r['entropy_change_bits']:>+8.3f} "
                     f"{r['entropy_change_bits_added']:>+7.3f} {r['effective_vocab']:>10,.0f} {r['effective_vocab_added']:>+8,.0f} | "
                     f"{r['ppl_ratio']:>9.4g} {r['baseline_ppl_ratio']:>9.4g} {r['chi2']:>9.4g} {r['kl']:>8.4g}")
    return lines


def _regime_lines(regime: str, rows: list[dict[str, float]], max_drift: float, tokens: float) -> list[str]:
    final = rows[-1]
    generations = int(final["generation"])
    lines = [f"{regime} after {generations} generations: synthetic data x{final['synthetic_excess']:.3f} over refitting alone "
             f"(refitting alone x{final['baseline_ppl_ratio']:.3f})",
             f"  {plain_figures(final)}", *_table(rows)]
    reached = generations_until(rows, max_drift)
    lines.append(f"{regime}: " + (f"synthetic data adds more than {max_drift:.0%} by generation {reached}" if reached is not None
                                  else f"synthetic data adds at most {max_drift:.0%} over {generations} generations"))
    if final["baseline_ppl_ratio"] > 1 + max_drift:
        lines.append(f"{regime}: with {tokens:,.0f} tokens per generation, refitting alone drifts {final['baseline_ppl_ratio'] - 1:.1%} "
                     f"(past the budget); synthetic data adds {final['synthetic_excess'] - 1:.1%}")
    return lines


def _echo_csv(regimes: dict[str, list[dict[str, float]]]) -> None:
    buffer = io.StringIO()
    columns = ["regime", *next(iter(regimes.values()))[0]]
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for regime, rows in regimes.items():
        writer.writerows({"regime": regime, **{key: repr(value) for key, value in row.items()}} for row in rows)
    for line in buffer.getvalue().splitlines():  # numbers and fixed names only; echo still shows any control escaped
        echo(line)


@click.command("project")
@click.option("--from-summary", type=click.Path(dir_okay=False), default=None,
              help="summary.json of 'auditor scan': its estimate, token distribution (unflagged documents) and fitted sharpening.")
@click.option("--corpus", multiple=True, type=click.Path(), help="Documents whose word distribution is p0 (repeatable).")
@click.option("--zipf-exponent", type=FiniteFloat(min=0, min_open=True), default=None, help="p0 as a Zipf law with this exponent.")
@click.option("--vocab-size", type=click.IntRange(min=1), default=None, help="Types of the Zipf law.")
@click.option("--synthetic-fraction", type=FiniteFloat(0, 1), default=None,
              help="Share of each generation's new training data written by a model  [default with --from-summary: the scan's estimate].")
@click.option("--tokens-per-generation", type=FiniteFloat(min=1), default=None,
              help="Training tokens per generation  [default: the corpus's token count; required with --zipf-exponent].")
@click.option("--generations", type=click.IntRange(1, 10_000), default=DEFAULT_GENERATIONS, show_default=True,
              help="Generations to project (G): rounds of retraining, each on data that the previous generation's model partly wrote.")
@click.option("--regime", "regimes", multiple=True, type=click.Choice(REGIMES), help="Regime(s) to project  [default: all three].")
@click.option("--sharpening", type=FiniteFloat(0.05, 20), default=None,
              help="Decoding sharpening tau, T(p) ~ p^(1/tau)  [default: fitted on a scan's flagged documents, else 0.97, "
                   "calibrated on Shumailov et al.'s OPT-125m result].")
@click.option("--truncate-rank", type=click.IntRange(min=1), default=None, help="Generated text uses only the K most probable types.")
@click.option("--max-drift", type=FiniteFloat(min=0, min_open=True), default=DEFAULT_MAX_DRIFT, show_default=True,
              help="Budget: how much synthetic data may raise the perplexity proxy over refitting without it (synthetic_excess <= 1 + X) "
                   "after G generations; the largest synthetic fraction within it is reported per regime.")
@reader_options
@click.option("--json", "as_json", is_flag=True, help="Print the projection as JSON on stdout instead of the table.")
@click.option("--csv", "as_csv", is_flag=True, help="Print the table as CSV on stdout: one row per regime and generation.")
@click.option("--quiet", is_flag=True, help="Print nothing but what --json or --csv asks for (errors still go to stderr).")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def project_command(from_summary: str | None, corpus: tuple[str, ...], zipf_exponent: float | None, vocab_size: int | None,
                    synthetic_fraction: float | None, tokens_per_generation: float | None, generations: int, regimes: tuple[str, ...],
                    sharpening: float | None, truncate_rank: int | None, max_drift: float,
                    fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int, csv_delimiter: str | None, encoding: str,
                    as_json: bool, as_csv: bool, quiet: bool, debug: bool) -> None:
    """Project how far a model trained on this data, and retrained over generations, drifts toward collapse.

    Every figure is also stated against the no-synthetic baseline (the same
    refits with lambda = 0): synthetic_excess = ppl_ratio / baseline_ppl_ratio,
    and "+synth" columns for tail mass lost, words lost, entropy change (bits)
    and effective vocabulary exp(H). Sampling error (chi2) and decoding bias (KL)
    stay separate in the JSON. ppl_ratio = exp(KL + chi2/2) is a unigram proxy,
    not a prediction for a particular model.

    \b
    Examples:
      auditor project --from-summary audit/summary.json --max-drift 0.05
      auditor project --zipf-exponent 1.1 --vocab-size 50000 --tokens-per-generation 2e6 --synthetic-fraction 0.9 --regime mix
    """
    if as_json and as_csv:
        raise click.UsageError("give at most one of --json and --csv")
    # The reader options matter only to --corpus (as before, they are not checked otherwise).
    reader = reader_from(fmt, text_field, id_field, strict, max_doc_chars, csv_delimiter, encoding) if corpus else ReaderOptions()
    try:
        source, skipped = choose_source(from_summary, corpus, zipf_exponent, vocab_size, reader)
        run = run_projection(source, synthetic_fraction, tokens_per_generation, generations, regimes, sharpening, truncate_rank, max_drift,
                             skipped, bounds=not as_csv)
    except ProjectionOptionError as err:
        raise click.UsageError(str(err)) from None
    if as_csv:
        _echo_csv(run.projection.regimes)
        return
    if as_json:
        echo_json(run.to_dict())
        return
    if quiet:
        return
    options, inputs, tau, tokens = run.options, run.inputs, run.options.sharpening, run.options.tokens_per_generation
    sharpening_source, safe, band = run.sharpening_source, run.max_synthetic_fraction or {}, run.band or {}
    echo(f"p0: {source.description}, {inputs['vocab_size']:,} types; synthetic fraction {options.synthetic_fraction:.3f}; "
         f"{tokens:,.0f} tokens per generation; sharpening tau {tau:g}: {inputs['sharpening_source']}")
    echo(f"budget: synthetic data may raise the perplexity proxy (a unigram proxy) at most {max_drift:.0%} over refitting without it")
    for regime, rows in run.projection.regimes.items():
        echo()
        for line in _regime_lines(regime, rows, max_drift, float(tokens)):
            echo(line)
    echo()
    echo(f"largest synthetic fraction adding at most {max_drift:.0%} over refitting alone after {generations} generations:")
    for regime, value in safe.items():
        echo(f"  {regime}: {value:.3f}")
    echo(f"assumptions: unigram model, maximum-likelihood refits, lambda constant over generations; tau {tau:g} ({sharpening_source}); "
         f"synthetic_excess after {generations} generations at tau -/+0.01: " + "; ".join(f"{r} {band_text(b)}" for r, b in band.items()))
