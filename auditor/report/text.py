"""The sentences every rendering of a summary shares: terminal lines, ``report.md`` and ``report.html``.

One wording per fact: the synthetic fraction with its interval, a projection's plain figures
and verdicts, counts by reason. :mod:`auditor.report.headline` says whether an interval is
worth a number; :mod:`auditor.report.terminal` puts these sentences on a command's stderr.
"""

from __future__ import annotations

from collections.abc import Mapping

from auditor.estimate.fraction import CONFIDENCE
from auditor.summary import EstimateBlock, ProjectionBlock


def fraction_text(block: EstimateBlock) -> str:
    """``0.23 (95% CI 0.19-0.27)`` for an estimate block (:meth:`Estimate.to_dict`)."""
    confidence = round(float(block.get("confidence", CONFIDENCE)) * 100)
    return f"{block['estimate']:.2f} ({confidence}% CI {block['low']:.2f}-{block['high']:.2f})"


def percent(value: float) -> str:
    return f"{value:.1%}" if abs(value) < 1e3 else f"{value:.3g}x"


def signed(value: float, fmt: str) -> str:
    text = format(value, fmt)
    return text if text.startswith("-") else "+" + text


def plain_figures(row: dict[str, float]) -> str:
    """One generation's plain figures, each with what synthetic data adds over the baseline."""
    return (f"tail mass lost {row['tail_mass_lost']:.2%} ({signed(row['tail_mass_lost_added'], '.2%')} from synthetic data); "
            f"words lost {row['vocab_lost']:,.0f} ({signed(row['vocab_lost_added'], ',.0f')}); "
            f"entropy {signed(row['entropy_change_bits'], '.3f')} bits ({signed(row['entropy_change_bits_added'], '.3f')}); "
            f"effective vocabulary {row['effective_vocab']:,.0f} ({signed(row['effective_vocab_added'], ',.0f')})")


def band_text(band: dict[str, float]) -> str:
    """``x1.02-x1.09``: one regime's excess over the tau band, low to high."""
    low, high = sorted((band["excess_at_tau_low"], band["excess_at_tau_high"]))
    return f"x{low:.3f}-x{high:.3f}"


def bound_text(value: float | None) -> str:
    return "n/a" if value is None else f"<= {value:.2f}"


def drift_verdict(projection: ProjectionBlock, estimate: float, label: str) -> list[str]:
    """A scan's verdict lines: the estimate against the largest fraction within the budget on the excess,
    then, when refitting alone already exceeds the budget, that fact stated separately.

    ``label`` says the estimate instead of its bare number (``uninformative (95% CI ...; projected at ...)``,
    :func:`auditor.report.headline.at_estimate`): a report must not state a point its interval does not support.
    """
    if not projection.get("computed"):
        return [f"collapse projection: not computed ({projection.get('reason')})"]
    safe = projection["max_synthetic_fraction"]
    inputs = projection["inputs"]
    budget = float(projection["max_drift"])
    parts = "; ".join(f"{regime} {bound_text(value)}" for regime, value in safe.items())
    lines = [f"this corpus: {label}; to keep synthetic data's added perplexity-proxy drift within {budget:.0%} over "
             f"{inputs['generations']} generations: {parts}"]
    final = ((projection.get("at") or {}).get("estimate") or {}).get("regimes") or {}
    over = [(regime, row) for regime, row in final.items() if regime in safe and row["baseline_ppl_ratio"] > 1 + budget]
    if over:
        tokens = float(inputs["tokens_per_generation"])
        lines.append(f"with {tokens:,.0f} tokens per generation, refitting alone (no synthetic data) drifts past the budget: " + "; ".join(
            f"{regime} +{percent(row['baseline_ppl_ratio'] - 1)} alone, synthetic data at {estimate:.2f} adds +{percent(row['synthetic_excess'] - 1)}"
            for regime, row in over))
    return lines


def format_counts(counts: Mapping[str, int]) -> str:
    """``invalid_json 2, empty_text 1``: counts by reason, in the order given."""
    return ", ".join(f"{reason} {count}" for reason, count in counts.items())


def plural(count: int, noun: str) -> str:
    """``1 file``, ``2 files``, ``1,000 documents``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
