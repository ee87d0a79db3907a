"""``auditor project``."""

from __future__ import annotations

import click

from auditor.cli._common import FiniteFloat, echo, echo_json, handle_errors, reader_from, reader_options
from auditor.projection import DEFAULT_GENERATIONS, REGIMES, ProjectionOptions, generations_until, max_synthetic_fraction, project_distribution
from auditor.projection_inputs import ProjectionSource, source_from_corpus, source_from_summary, source_from_zipf
from auditor.readers import ReadReport

def _source(from_summary: str | None, corpus: tuple[str, ...], zipf_exponent: float | None, vocab_size: int | None,
            reader_args: tuple[str, str, str | None, bool]) -> tuple[ProjectionSource, dict[str, object] | None]:
    given = [name for name, value in (("--from-summary", from_summary), ("--corpus", corpus), ("--zipf-exponent", zipf_exponent)) if value]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --from-summary, --corpus or --zipf-exponent (with --vocab-size)")
    if (zipf_exponent is None) != (vocab_size is None):
        raise click.UsageError("--zipf-exponent and --vocab-size go together")
    if from_summary:
        return source_from_summary(from_summary), None
    if corpus:
        report = ReadReport()
        source = source_from_corpus(list(corpus), reader_from(*reader_args), report)
        return source, report.to_dict()["skipped"]
    return source_from_zipf(zipf_exponent, vocab_size), None  # type: ignore[arg-type]


def _table(rows: list[dict[str, float]]) -> list[str]:
    header = f"{'gen':>4} {'chi2':>10} {'gini_simp':>10} {'vocab_lost':>11} {'tail_lost':>10} | {'kl':>8} {'entropy':>8} {'ppl_ratio':>9}"
    lines = [header]
    for r in rows:
        lines.append(f"{r['generation']:>4} {r['chi2']:>10.4g} {r['gini_simpson']:>10.6f} {r['vocab_lost']:>11.1f} {r['tail_mass_lost']:>10.3g} | "
                     f"{r['kl']:>8.4g} {r['entropy']:>8.4f} {r['ppl_ratio']:>9.4g}")
    return lines


@click.command("project")
@click.option("--synthetic-fraction", type=FiniteFloat(0, 1), default=None,
              help="Share of each generation's new training data written by a model  [default with --from-summary: the scan's estimate].")
@click.option("--from-summary", type=click.Path(dir_okay=False), default=None,
              help="summary.json of 'auditor scan': its estimate, token distribution (unflagged documents) and fitted sharpening.")
@click.option("--corpus", multiple=True, type=click.Path(), help="Documents whose word distribution is p0 (repeatable).")
@click.option("--zipf-exponent", type=FiniteFloat(min=0, min_open=True), default=None, help="p0 as a Zipf law with this exponent.")
@click.option("--vocab-size", type=click.IntRange(min=1), default=None, help="Types of the Zipf law.")
@click.option("--tokens-per-generation", type=FiniteFloat(min=1), default=None,
              help="Training tokens per generation  [default: the corpus's token count; required with --zipf-exponent].")
@click.option("--generations", type=click.IntRange(1, 10_000), default=DEFAULT_GENERATIONS, show_default=True)
@click.option("--regime", "regimes", multiple=True, type=click.Choice(REGIMES), help="Regime(s) to project  [default: all three].")
@click.option("--sharpening", type=FiniteFloat(0.05, 20), default=None,
              help="Decoding sharpening tau, T(p) ~ p^(1/tau)  [default: fitted on a scan's flagged documents, else 0.97, "
                   "calibrated on Shumailov et al.'s OPT-125m result].")
@click.option("--truncate-rank", type=click.IntRange(min=1), default=None, help="Generated text uses only the K most probable types.")
@click.option("--max-drift", type=FiniteFloat(min=0, min_open=True), default=None,
              help="Also report the largest synthetic fraction keeping the perplexity proxy within 1 + X of generation 0 after G generations.")
@click.option("--json", "as_json", is_flag=True, help="Print the projection as JSON on stdout.")
@reader_options
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def project_command(synthetic_fraction: float | None, from_summary: str | None, corpus: tuple[str, ...], zipf_exponent: float | None,
                    vocab_size: int | None, tokens_per_generation: float | None, generations: int, regimes: tuple[str, ...],
                    sharpening: float | None, truncate_rank: int | None, max_drift: float | None, as_json: bool,
                    fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int, debug: bool) -> None:
    """Project how far a model trained on this data, and retrained over generations, drifts toward collapse.

    Two parts, always separate: sampling error (chi-square to p0, Gini-Simpson
    diversity, vocabulary and probability mass lost) and decoding bias (KL to p0,
    entropy). ppl_ratio = exp(KL + chi2/2) is a unigram proxy, not a prediction
    for a particular model.

    \b
    Examples:
      auditor project --from-summary audit/summary.json --max-drift 0.05
      auditor project --zipf-exponent 1.1 --vocab-size 50000 --tokens-per-generation 2e6 --synthetic-fraction 0.9 --regime mix
    """
    source, skipped = _source(from_summary, corpus, zipf_exponent, vocab_size, (fmt, text_field, id_field, strict, max_doc_chars))
    if synthetic_fraction is None:
        if source.synthetic_fraction is None:
            raise click.UsageError("--synthetic-fraction is required (except with --from-summary, which uses the scan's estimate)")
        synthetic_fraction = source.synthetic_fraction["estimate"]
    tokens = tokens_per_generation if tokens_per_generation is not None else source.tokens
    if tokens is None:
        raise click.UsageError("--tokens-per-generation is required with --zipf-exponent (there is no corpus to count)")
    tau = sharpening if sharpening is not None else source.sharpening.tau
    options = ProjectionOptions(synthetic_fraction, float(tokens), generations, regimes or REGIMES, tau, truncate_rank)
    projection = project_distribution(source.p0, options)
    inputs = {**projection.inputs, "p0": source.description,
              "sharpening_source": "--sharpening" if sharpening is not None else source.sharpening.source}
    if skipped is not None:
        inputs["skipped"] = skipped
    safe = ({regime: max_synthetic_fraction(source.p0, options, max_drift, regime) for regime in options.regimes}
            if max_drift is not None else None)
    if as_json:
        payload: dict[str, object] = {"inputs": inputs, "regimes": projection.regimes}
        if safe is not None:
            payload["max_drift"] = {"drift": max_drift, "max_synthetic_fraction": safe}
        echo_json(payload)
        return
    echo(f"p0: {source.description}, {inputs['vocab_size']:,} types; synthetic fraction {synthetic_fraction:.3f}; "
         f"{tokens:,.0f} tokens per generation; sharpening tau {tau:g}: {inputs['sharpening_source']}")
    echo("sampling error (left of |) and decoding bias (right); ppl_ratio = exp(KL + chi2/2), a unigram proxy")
    for regime, rows in projection.regimes.items():
        echo()
        echo(regime)
        for line in _table(rows):
            echo(line)
        reached = generations_until(rows)
        verdict = (f"the perplexity proxy rises 10% by generation {reached}" if reached is not None
                   else f"the perplexity proxy stays within 10% over {generations} generations (x{rows[-1]['ppl_ratio']:.3f})")
        echo(f"{regime}: {verdict}")
    if safe is not None:
        echo()
        echo(f"largest synthetic fraction keeping the proxy within {max_drift:g} of generation 0 after {generations} generations:")
        for regime, value in safe.items():
            echo(f"  {regime}: " + ("none (sampling error alone exceeds it)" if value is None else f"{value:.3f}"))
