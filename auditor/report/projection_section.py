"""The collapse-projection section both reports show: plain figures per regime, then the assumptions.

The cells are plain strings (numbers and fixed words; the sharpening source is
the only free text, and each renderer escapes it), so report.md and report.html
state the same figures.
"""

from __future__ import annotations

from auditor.report.data import projection_of, regime_order
from auditor.report.headline import at_estimate, is_informative
from auditor.report.text import band_text
from auditor.summary import ScanSummary

COLUMNS = ("regime", "synthetic_excess (interval bounds)", "excess at tau -/+0.01", "tail mass lost", "words lost",
           "entropy change", "effective vocabulary", "largest fraction within budget")


def _added(value: float, fmt: str) -> str:
    text = format(value, fmt)
    return f"({text if text.startswith('-') else '+' + text})"


def section_rows(summary: ScanSummary) -> list[tuple[str, str, str, str, str, str, str, str]]:
    """One row of cells per regime (last generation at the estimate), or none for summaries without plain figures."""
    projection = projection_of(summary)
    at = projection.get("at") or {}
    final = (at.get("estimate") or {}).get("regimes") or {}
    if not projection.get("computed") or not all("synthetic_excess" in row for row in final.values()):
        return []
    safe = projection.get("max_synthetic_fraction") or {}
    bands = ((projection.get("assumptions") or {}).get("sharpening_sensitivity") or {}).get("by_regime") or {}
    rows = []
    for regime in regime_order(final):
        row = final[regime]
        bounds = [((at.get(key) or {}).get("regimes") or {}).get(regime, {}).get("synthetic_excess") for key in ("low", "high")]
        interval = f" (x{bounds[0]:.3f}-x{bounds[1]:.3f})" if None not in bounds else ""
        rows.append((
            regime,
            f"x{row['synthetic_excess']:.3f}{interval}",
            band_text(bands[regime]) if regime in bands else "n/a",
            f"{row['tail_mass_lost']:.2%} {_added(row['tail_mass_lost_added'], '.2%')}",
            f"{row['vocab_lost']:,.0f} {_added(row['vocab_lost_added'], ',.0f')}",
            f"{row['entropy_change_bits']:+.3f} bits {_added(row['entropy_change_bits_added'], '.3f')}",
            f"{row['effective_vocab']:,.0f} {_added(row['effective_vocab_added'], ',.0f')}",
            "n/a" if (bound := safe.get(regime)) is None else f"{bound:.2f}",
        ))
    return rows


def section_caption(summary: ScanSummary) -> str:
    projection = projection_of(summary)
    generations = (projection.get("inputs") or {}).get("generations", "?")
    fraction = summary["synthetic_fraction"]
    at = f"the estimate {at_estimate(fraction)}" if is_informative(fraction) else at_estimate(fraction).replace("uninformative", "an uninformative estimate", 1)
    return (f"After {generations} generations at {at}: "
            "each figure, then in brackets what synthetic data adds over the same refits without it.")


def assumption_lines(summary: ScanSummary) -> list[str]:
    """The assumptions block as sentences (empty for summaries without one)."""
    block = projection_of(summary).get("assumptions")
    if not isinstance(block, dict):
        return []
    tokens = float(block["tokens_per_generation"])
    lines = [f"Model: {block['model']}; {block['synthetic_fraction']}; {tokens:,.0f} tokens per generation.",
             *(f"{regime}: {block['regimes'][regime]}." for regime in regime_order(block["regimes"])),
             f"Decoding: {block['decoding']} ({block['sharpening_source']}); {block['sharpening_sensitivity']['note']}.",
             f"{block['accumulate_bias'][0].upper()}{block['accumulate_bias'][1:]}."]
    return lines
