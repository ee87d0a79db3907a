"""The HTML report's plots: matplotlib figures rendered to inline SVG strings.

Deterministic (a fixed ``svg.hashsalt``, matplotlib's default style whatever
the user's matplotlibrc says, no date or creator metadata) so that the same
scan gives a byte-identical report. No corpus-derived string (source path,
id, text) is ever drawn: sources are labelled S1, S2, ... and the HTML table
maps the labels to the (escaped) paths. Figures are built on the Agg canvas,
never through pyplot, so no GUI backend or global figure state is touched.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from auditor.report.data import FEATURE_LABELS, SCORE_EDGES, DocumentColumns, FeatureCounts, regime_order, source_rows
from auditor.summary import ProjectionBlock, ScanSummary

if TYPE_CHECKING:  # matplotlib is imported by _render: it takes ~0.7 s, which commands that plot nothing must not pay
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAX_PLOTTED_SOURCES = 30
HUMAN_COLOR, MACHINE_COLOR, ACCENT = "#4C72B0", "#DD8452", "#C44E52"
_RC: dict[str, Any] = {"svg.hashsalt": "auditor-report", "svg.fonttype": "none", "font.size": 9}
# XML prologue, DOCTYPE and metadata carry URLs and versions; inline SVG in HTML needs none of them.
_PROLOGUE = re.compile(r"\A.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_IDS = re.compile(r'\bid="([^"]+)"')
_ID_USES = re.compile(r'(\bid="|url\(#|href="#)([^")]+)(?=[")])')


@dataclass(frozen=True)
class Plot:
    """One figure of the report: its title, the SVG markup or, without data, a note saying why."""

    key: str
    title: str
    svg: str | None
    note: str = ""


def _to_svg(fig: Figure, prefix: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = _METADATA.sub("", _PROLOGUE.sub("", buffer.getvalue(), count=1))
    svg = _NAMESPACES.sub("", svg)  # the HTML parser puts <svg> in the SVG namespace itself
    # Element ids (figure_1, clip paths, markers) repeat between figures: make them unique per plot.
    ids = set(_IDS.findall(svg))
    svg = _ID_USES.sub(lambda m: f"{m[1]}{prefix}-{m[2]}" if m[2] in ids else m[0], svg)
    return svg.strip() + "\n"


def _render(key: str, size: tuple[float, float], draw: Callable[[Figure], None]) -> str:
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.style.context("default"), matplotlib.rc_context(_RC):  # type: ignore[arg-type]  # the stubs type rc keys as literals; these are valid keys
        fig = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(fig)
        draw(fig)
        return _to_svg(fig, key)


def score_histogram(columns: DocumentColumns, threshold: float) -> Plot:
    """Histogram of ``p_synthetic`` with the flagging threshold."""
    title = "Scores: p_synthetic per document"
    if not columns.documents:
        return Plot("scores", title, None, "No documents: nothing to plot.")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.hist(SCORE_EDGES[:-1], bins=SCORE_EDGES, weights=columns.score_counts, color=HUMAN_COLOR)  # type: ignore[arg-type]  # matplotlib's stubs omit the ndarray bins hist takes
        ax.axvline(threshold, color=ACCENT, linestyle="--", label=f"threshold {threshold:.4f}")
        ax.set(xlabel="p_synthetic", ylabel="documents", xlim=(0, 1))
        ax.legend(loc="upper center")

    return Plot("scores", title, _render("scores", (6.4, 3.0), draw))


def fraction_plot(summary: ScanSummary) -> Plot:
    """The estimated synthetic fraction with its interval, overall and per source (labelled S1, S2, ...)."""
    fraction = summary["synthetic_fraction"]
    assert isinstance(fraction, dict)
    rows, hidden = source_rows(summary, MAX_PLOTTED_SOURCES)
    blocks = [fraction, *rows] if len(rows) > 1 else [fraction]
    labels = ["all"] + [f"S{i + 1}" for i in range(len(blocks) - 1)]
    estimates = np.array([float(b["estimate"]) for b in blocks])
    low = estimates - np.array([float(b["low"]) for b in blocks])
    high = np.array([float(b["high"]) for b in blocks]) - estimates

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        y = np.arange(len(blocks))[::-1]
        ax.errorbar(estimates, y, xerr=[low, high], fmt="o", color=MACHINE_COLOR, ecolor="#555555", capsize=3)
        ax.set_yticks(y, labels)
        ax.set(xlabel="estimated synthetic fraction (bars: confidence interval)", xlim=(-0.02, 1.02))
        ax.grid(axis="x", alpha=0.3)

    note = f"{hidden:,} smaller sources are not plotted." if hidden else ""
    return Plot("fraction", "Estimated synthetic fraction", _render("fraction", (6.4, 0.9 + 0.25 * len(blocks)), draw), note)


def cluster_size_plot(columns: DocumentColumns, enabled: bool) -> Plot:
    """How many near-duplicate clusters have each size."""
    title = "Near-duplicate cluster sizes"
    sizes = columns.cluster_sizes
    if not enabled:
        return Plot("clusters", title, None, "Near-duplicates were not computed (--no-near-duplicates).")
    if not len(sizes):
        return Plot("clusters", title, None, "No near-duplicate clusters: every document is unique at this threshold.")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        if sizes.max() <= 40:
            counts = np.bincount(sizes)
            present = np.flatnonzero(counts)
            ax.bar(present, counts[present], color=HUMAN_COLOR, width=0.8)
            ax.set_xticks(present if len(present) <= 15 else np.unique(np.linspace(present[0], present[-1], 10).round()))
        else:  # very large clusters: logarithmic size bins
            bins = np.unique(np.geomspace(2, sizes.max() + 1, 30).round())
            ax.hist(sizes, bins=bins, color=HUMAN_COLOR)  # type: ignore[arg-type]  # matplotlib's stubs omit the ndarray bins hist takes
            ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set(xlabel="documents in the cluster", ylabel="clusters")

    return Plot("clusters", title, _render("clusters", (6.4, 2.8), draw))


def projection_plot(projection: ProjectionBlock) -> Plot:
    """Per regime, synthetic data's excess over refitting without it per generation, with the estimate's interval
    as a shaded band and the drift budget (older summaries without the excess: the perplexity-ratio proxy)."""
    title = "Collapse projection (unigram proxy)"
    if not isinstance(projection, dict) or not projection.get("computed"):
        reason = projection.get("reason", "not in the summary") if isinstance(projection, dict) else "not in the summary"
        return Plot("projection", title, None, f"Not computed ({reason}).")
    if not projection.get("regimes"):
        return Plot("projection", title, None, "The summary holds no per-generation curves.")
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
        ylabel = "excess over refitting alone" if key == "synthetic_excess" else "perplexity ratio to generation 0"
        ax.set(xlabel="generation (band: the estimate's interval)" if bands else "generation", ylabel=ylabel)
        ax.legend()
        ax.grid(alpha=0.3)

    return Plot("projection", title, _render("projection", (6.4, 3.2), draw))


def _feature_axes(ax: Axes, name: str, counts: FeatureCounts, documents: int, flagged: int) -> None:
    bins = counts.edges
    groups = [("unflagged", counts.unflagged, documents - flagged, HUMAN_COLOR), ("flagged", counts.flagged, flagged, MACHINE_COLOR)]
    for label, weights, size, color in groups:
        if size:
            ax.hist(bins[:-1], bins=bins, weights=weights, density=True, histtype="stepfilled", alpha=0.45, color=color, label=f"{label} ({size:,})")  # type: ignore[arg-type]  # as above
    ax.set_title(FEATURE_LABELS.get(name, name))
    ax.set_yticks([])
    ax.legend(fontsize=7)


def feature_plot(columns: DocumentColumns) -> Plot:
    """Distributions of a few fingerprint features, flagged vs unflagged documents."""
    title = "Fingerprint features: flagged vs unflagged documents"
    if not columns.documents or not columns.features:
        return Plot("features", title, None, "No documents or no fingerprint features: nothing to plot.")
    names = list(columns.features)
    note = "" if columns.flagged else "No document is flagged: the plots show every document."

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1 if len(names) <= 2 else 2, 2, squeeze=False).ravel()
        for ax, name in zip(axes, names):
            _feature_axes(ax, name, columns.features[name], columns.documents, columns.flagged)
        for ax in axes[len(names):]:
            ax.set_visible(False)

    return Plot("features", title, _render("features", (6.4, 2.6 if len(names) <= 2 else 4.6), draw), note)


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
