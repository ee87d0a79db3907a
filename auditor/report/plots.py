"""The HTML report's plots: each a few panels of inline SVG (:mod:`auditor.report.svg`), laid out by the page.

No corpus-derived string (source path, id, text) is ever drawn: sources are
labelled S1, S2, ... and the HTML table maps the labels to the (escaped) paths.
What each plot is for decides its axes: the threshold must be seen wherever it
lies (a zoomed panel around it), a cluster size held by a few clusters must
still have a bar (a log count axis from 0.5), and a handful of flagged
documents must not look like a crowd (counts, not densities, and n in the legend).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from auditor.report.data import FEATURE_LABELS, DocumentColumns, FeatureCounts, regime_order, source_rows
from auditor.report.headline import is_informative
from auditor.report.svg import Margins, Plot, count_width, integer_ticks, log_counts, plain_integers, render, set_title
from auditor.summary import ProjectionBlock, ScanSummary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAX_PLOTTED_SOURCES = 30
HUMAN_COLOR, MACHINE_COLOR, ACCENT = "#4C72B0", "#DD8452", "#C44E52"
SCORE_PANEL_BINS = 50  # bars of the full-range score panel
ZOOM_BARS = 40  # at most, in the panel around the threshold
TITLE_SPACE = 0.35  # inches above a titled panel's plot area


def _threshold(ax: Axes, threshold: float, flagged: int, span: tuple[float, float]) -> None:
    """The threshold as a dashed line over the shaded flagged range, labelled on the side with room."""
    lo, hi = span
    ax.axvspan(threshold, hi, color=ACCENT, alpha=0.1, linewidth=0, zorder=0)
    ax.axvline(threshold, color=ACCENT, linestyle="--", linewidth=1.6, gid="threshold")
    left = (threshold - lo) / (hi - lo) > 0.4
    ax.annotate(f"threshold {threshold:.4f}\n{flagged:,} flagged", xy=(threshold, 1), xycoords=("data", "axes fraction"),
                xytext=(-5 if left else 5, -5), textcoords="offset points", ha="right" if left else "left", va="top",
                color=ACCENT, fontsize=9, bbox={"boxstyle": "square,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})


def _padded(lo: float, hi: float) -> tuple[float, float]:
    """The x range with 3% of room at both ends: a threshold at 0 or 1 stays off the axes' frame."""
    pad = 0.03 * (hi - lo)
    return lo - pad, hi + pad


def zoom_window(threshold: float, bins: int) -> tuple[int, int, int]:
    """The fine score bins around the threshold that the zoomed panel shows, and how many make one bar.

    On each side, twice the distance to 1 (at least 0.01, at most 0.1): 0.95 shows 0.85-1, 0.99 shows
    0.97-1 (the threshold two thirds in), 0.999 shows 0.989-1; a low threshold, +/-0.1 around it.
    Bars of 1, 2, 5, 10 or 20 fine bins, the window's ends on whole bars (``bins`` is a multiple of 20).
    """
    reach = round(2 * min(max(1.0 - threshold, 0.005), 0.05) * bins)
    centre = round(threshold * bins)
    lo, hi = max(0, centre - reach), min(bins, centre + reach)
    group = next(g for g in (1, 2, 5, 10, 20) if (hi - lo) / g <= ZOOM_BARS)
    return lo // group * group, min(bins, -(-hi // group) * group), group


def score_histogram(columns: DocumentColumns, threshold: float) -> Plot:
    """Histogram of ``p_synthetic``: the whole range, then the range around the flagging threshold."""
    title = "Scores: p_synthetic per document"
    if not columns.documents:
        return Plot("scores", title, (), "No documents: nothing to plot.")
    counts = columns.score_counts
    bins = len(counts)

    def panel(lo: int, hi: int, group: int, name: str) -> Callable[[Figure], None]:
        def draw(fig: Figure) -> None:
            ax = fig.add_subplot()
            edges = np.linspace(lo / bins, hi / bins, (hi - lo) // group + 1)
            ax.stairs(counts[lo:hi].reshape(-1, group).sum(axis=1), edges, fill=True, color=HUMAN_COLOR)
            span = _padded(lo / bins, hi / bins)
            ax.set(xlabel="p_synthetic", ylabel="documents", xlim=span)
            integer_ticks(ax.yaxis)  # whole numbers, written out: "200,000", not "2" under a "1e5"
            plain_integers(ax.yaxis)
            set_title(ax, name)
            _threshold(ax, threshold, columns.flagged, span)
            ax.patch.set_gid("area")

        return draw

    lo, hi, group = zoom_window(threshold, bins)
    margins = Margins(left=count_width(int(counts.reshape(SCORE_PANEL_BINS, -1).sum(axis=1).max())), top=TITLE_SPACE)
    full = panel(0, bins, bins // SCORE_PANEL_BINS, "all documents")
    zoom = panel(lo, hi, group, f"around the threshold: {lo / bins:.3f}-{hi / bins:.3f}")
    return Plot("scores", title, (render("scores-1", "score histogram, all documents", full, margins=margins),
                                  render("scores-2", "score histogram around the threshold", zoom, margins=margins)))


def fraction_plot(summary: ScanSummary) -> Plot:
    """The estimated synthetic fraction with its interval, overall and per source (labelled S1, S2, ...).

    An uninformative estimate (interval wider than 0.3) is drawn hollow: the interval is what it says.
    """
    fraction = summary["synthetic_fraction"]
    assert isinstance(fraction, dict)
    rows, hidden = source_rows(summary, MAX_PLOTTED_SOURCES)
    blocks = [fraction, *rows] if len(rows) > 1 else [fraction]
    labels = ["all"] + [f"S{i + 1}" for i in range(len(blocks) - 1)]
    estimates = np.array([float(b["estimate"]) for b in blocks])
    errors = [estimates - np.array([float(b["low"]) for b in blocks]), np.array([float(b["high"]) for b in blocks]) - estimates]
    hollow = np.array([not is_informative(b) for b in blocks])
    confidence = round(float(fraction.get("confidence", 0.95)) * 100)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        y = np.arange(len(blocks))[::-1]
        ax.errorbar(estimates, y, xerr=errors, fmt="none", ecolor="#555555", capsize=3)
        for mask, face in ((~hollow, MACHINE_COLOR), (hollow, "white")):
            ax.plot(estimates[mask], y[mask], "o", color=MACHINE_COLOR, markerfacecolor=face, markersize=7)
        ax.set_yticks(y, labels)
        ax.set(xlim=(-0.03, 1.03), ylim=(-0.6, len(blocks) - 0.4),
               xlabel=f"synthetic fraction; bars: {confidence}% interval" + ("\nhollow: uninformative (interval wider than 0.3)" if hollow.any() else ""))
        ax.grid(axis="x", alpha=0.3)

    bottom = 0.72 if hollow.any() else 0.5
    size = (4.8, bottom + 0.15 + max(0.3 * len(blocks), 0.9))
    note = f"{hidden:,} smaller sources are not plotted." if hidden else ""
    return Plot("fraction", "Estimated synthetic fraction", (render("fraction", "estimated synthetic fraction", draw, size, Margins(left=0.45, bottom=bottom)),), note)


def cluster_size_plot(columns: DocumentColumns, enabled: bool) -> Plot:
    """How many near-duplicate clusters have each size, on a log count axis: a size held by one cluster still shows."""
    title = "Near-duplicate cluster sizes"
    sizes = columns.cluster_sizes
    if not enabled:
        return Plot("clusters", title, (), "Near-duplicates were not computed (--no-near-duplicates).")
    if not len(sizes):
        return Plot("clusters", title, (), "No near-duplicate clusters: every document is unique at this threshold.")
    small = bool(sizes.max() <= 40)
    if small:  # a bar per size present
        by_size = np.bincount(sizes)
        present = np.flatnonzero(by_size)
        counts = by_size[present]
    else:  # very large clusters: logarithmic size bins
        edges = np.unique(np.geomspace(2, sizes.max() + 1, 30).round())
        counts = np.histogram(sizes, edges)[0]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        if small:
            bars = ax.bar(present, counts, color=HUMAN_COLOR, width=0.8)
            for size, bar in zip(present, bars):
                bar.set_gid(f"size-{size}")
            if len(present) <= 15:
                ax.bar_label(bars, labels=[f"{c:,}" for c in counts], padding=2, fontsize=9)
                ax.set_xticks(present)
            else:
                integer_ticks(ax.xaxis)
        else:
            ax.stairs(counts, edges, fill=True, color=HUMAN_COLOR)
            ax.set_xscale("log")
            plain_integers(ax.xaxis)
        log_counts(ax, counts.max())
        ax.set(xlabel="documents in the cluster", ylabel="clusters")

    margins = Margins(left=count_width(2.5 * int(counts.max())))
    return Plot("clusters", title, (render("clusters", title, draw, margins=margins),))


def projection_plot(projection: ProjectionBlock) -> Plot:
    """Per regime, synthetic data's excess over refitting without it per generation, with the estimate's interval
    as a shaded band and the drift budget (older summaries without the excess: the perplexity-ratio proxy)."""
    title = "Collapse projection (unigram proxy)"
    if not isinstance(projection, dict) or not projection.get("computed"):
        reason = projection.get("reason", "not in the summary") if isinstance(projection, dict) else "not in the summary"
        return Plot("projection", title, (), f"Not computed ({reason}).")
    if not projection.get("regimes"):
        return Plot("projection", title, (), "The summary holds no per-generation curves.")
    regimes = projection["regimes"]
    order = regime_order(regimes)
    key = "synthetic_excess" if all("synthetic_excess" in row for rows in regimes.values() for row in rows) else "ppl_ratio"
    bands = projection.get("excess_band") or {} if key == "synthetic_excess" else {}

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        peak = 1.0
        for regime in order:
            rows = regimes[regime]
            generations = [row["generation"] for row in rows]
            values = [float(row[key]) for row in rows]
            peak = max(peak, *values)
            (line,) = ax.plot(generations, values, marker="o", markersize=3, label=regime)
            band = bands.get(regime) or {}
            if len(band.get("low") or []) == len(generations) == len(band.get("high") or []):
                ax.fill_between(generations, band["low"], band["high"], color=line.get_color(), alpha=0.2, linewidth=0)
                peak = max(peak, *band["high"])
        if "max_drift" in projection:
            ax.axhline(1 + float(projection["max_drift"]), color=ACCENT, linestyle="--", label=f"drift budget +{float(projection['max_drift']):.0%}")
        if peak > 10:  # a collapsing regime would flatten the others
            ax.set_yscale("log")
            plain_integers(ax.yaxis)
        ylabel = "excess over refitting alone" if key == "synthetic_excess" else "perplexity ratio to generation 0"
        ax.set(xlabel="generation (band: the estimate's interval)" if bands else "generation", ylabel=ylabel)
        ax.legend(loc="best")
        ax.grid(alpha=0.3)

    return Plot("projection", title, (render("projection", title, draw, margins=Margins(left=0.8)),))


def _feature_axes(ax: Axes, name: str, counts: FeatureCounts, documents: int, flagged: int) -> None:
    groups = [("unflagged", counts.unflagged, documents - flagged, HUMAN_COLOR, 0.45), ("flagged", counts.flagged, flagged, MACHINE_COLOR, 0.6)]
    for label, weights, size, color, alpha in groups:
        if size:
            ax.stairs(weights, counts.edges, fill=True, alpha=alpha, color=color, label=f"{label} (n={size:,})", gid=label)
    log_counts(ax, max(int(counts.unflagged.max()), int(counts.flagged.max())))
    ax.set(ylabel="documents")
    set_title(ax, FEATURE_LABELS.get(name, name))
    ax.legend(loc="upper left")


def feature_plot(columns: DocumentColumns) -> Plot:
    """Distributions of a few fingerprint features, flagged vs unflagged documents, as counts on a log axis."""
    title = "Fingerprint features: flagged vs unflagged documents"
    if not columns.documents or not columns.features:
        return Plot("features", title, (), "No documents or no fingerprint features: nothing to plot.")
    note = "" if columns.flagged else "No document is flagged: the plots show every document."
    panels = []
    for index, (name, counts) in enumerate(columns.features.items()):
        def draw(fig: Figure, name: str = name, counts: FeatureCounts = counts) -> None:
            _feature_axes(fig.add_subplot(), name, counts, columns.documents, columns.flagged)

        largest = max(int(counts.unflagged.max()), int(counts.flagged.max()))
        margins = Margins(left=count_width(2.5 * largest), top=TITLE_SPACE, bottom=0.3)  # no x label: the title names it
        panels.append(render(f"features-{index + 1}", FEATURE_LABELS.get(name, name), draw, margins=margins))
    return Plot("features", title, tuple(panels), note)


def all_plots(summary: ScanSummary, columns: DocumentColumns) -> list[Plot]:
    """Every plot of the HTML report, in display order."""
    dups = summary.get("near_duplicates")
    return [
        fraction_plot(summary),
        score_histogram(columns, float(summary["flagged"]["threshold"])),
        feature_plot(columns),
        cluster_size_plot(columns, bool(isinstance(dups, dict) and dups.get("enabled"))),
        projection_plot(summary.get("projection")),
    ]
