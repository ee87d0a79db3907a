"""report.html's plots, read from the SVG they render: where the threshold line lies, which bars have height,
what the legends and tick labels say, that each panel scales to its container and keeps its labels inside.

The plots tag what these tests look for with ids (``threshold``, ``area``: the plot area, ``size-3``: a bar,
``flagged`` / ``unflagged``: a feature's histograms), prefixed per panel as in the page.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from auditor.report.data import SCORE_BINS, DocumentColumns, FeatureCounts
from auditor.report.plots import all_plots, cluster_size_plot, feature_plot, fraction_plot, projection_plot, score_histogram, zoom_window
from auditor.report.svg import PANEL

INTEGER = re.compile(r"\d{1,3}(,\d{3})*")


def path_points(svg: str, gid: str) -> np.ndarray:
    """The (x, y) points of the first path inside the element with id ``gid`` (SVG y grows downwards)."""
    found = re.search(rf'<g id="{re.escape(gid)}"[^>]*>\s*<path d="([^"]*)"', svg)
    assert found, f"no element {gid}"
    return np.array([float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", found[1])]).reshape(-1, 2)


def texts(svg: str) -> list[str]:
    return re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)


def columns_with_scores(scores: np.ndarray, threshold: float) -> DocumentColumns:
    return DocumentColumns.of(scores, scores >= threshold)


@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.95, 0.99, 0.995, 0.999, 1.0])
def test_the_threshold_line_lies_inside_both_score_panels_with_a_label(threshold):
    scores = np.r_[np.random.default_rng(1).beta(0.5, 2, 400), np.full(4, 0.9995)]
    columns = columns_with_scores(scores, threshold)
    plot = score_histogram(columns, threshold)
    assert len(plot.panels) == 2
    for index, svg in enumerate(plot.panels, 1):
        area = path_points(svg, f"scores-{index}-area")
        left, right = area[:, 0].min(), area[:, 0].max()
        x = path_points(svg, f"scores-{index}-threshold")[:, 0]
        assert x[0] == x[1], "a vertical line"
        # Off the frame on both sides: 0.99 used to be drawn 3 px from the right edge, 1.0 on it.
        assert left + 0.02 * (right - left) <= x[0] <= right - 0.02 * (right - left), (threshold, left, x[0], right)
        assert f"threshold {threshold:.4f}" in texts(svg) and f"{columns.flagged:,} flagged" in texts(svg)
        assert "0" in texts(svg)  # the count axis starts at a labelled 0
    # Around the threshold, it stands well inside: the panel is there to show what lies on either side.
    area, x = path_points(plot.panels[1], "scores-2-area")[:, 0], path_points(plot.panels[1], "scores-2-threshold")[0, 0]
    if threshold not in (0.0, 1.0):  # at an end of the range, the zoom ends there too
        assert 0.25 <= (x - area.min()) / (area.max() - area.min()) <= 0.95, threshold


def test_the_zoomed_panel_shows_the_top_of_the_range_for_a_high_threshold():
    assert [(lo / SCORE_BINS, hi / SCORE_BINS) for lo, hi, _ in map(lambda t: zoom_window(t, SCORE_BINS), (0.95, 0.99, 0.999))] == [
        (0.85, 1.0), (0.97, 1.0), (0.989, 1.0)]
    lo, hi, group = zoom_window(0.5, SCORE_BINS)
    assert (lo / SCORE_BINS, hi / SCORE_BINS) == (0.4, 0.6) and (hi - lo) // group <= 40
    plot = score_histogram(columns_with_scores(np.array([0.991, 0.992, 0.9995, 0.2]), 0.99), 0.99)
    assert "around the threshold: 0.970-1.000" in texts(plot.panels[1])


def cluster_columns(sizes: dict[int, int]) -> DocumentColumns:
    """Documents in clusters: ``sizes[size]`` clusters of each size."""
    ids, next_id = [], 0
    for size, clusters in sizes.items():
        for _ in range(clusters):
            ids += [next_id] * size
            next_id += 1
    return DocumentColumns.of(np.zeros(len(ids)), np.zeros(len(ids), dtype=bool), cluster_ids=np.array(ids))


def test_every_cluster_size_present_has_a_bar_and_the_ticks_are_plain_integers():
    # The sample's shape: 297 clusters of 2 and 3 of 3; the log axis started near 2.5, so the 3 had no height.
    svg = cluster_size_plot(cluster_columns({2: 297, 3: 3}), enabled=True).panels[0]
    heights = {size: np.ptp(path_points(svg, f"clusters-size-{size}")[:, 1]) for size in (2, 3)}
    assert heights[3] >= 20 and heights[2] > heights[3], heights
    one = cluster_size_plot(cluster_columns({2: 5000, 7: 1}), enabled=True).panels[0]
    assert np.ptp(path_points(one, "clusters-size-7")[:, 1]) >= 10  # a single cluster still shows
    for plot in (svg, one, cluster_size_plot(cluster_columns({2: 40, 3: 9, 60: 2, 500: 1}), enabled=True).panels[0]):
        labels = [t for t in texts(plot) if t not in ("documents in the cluster", "clusters")]
        assert labels and all(INTEGER.fullmatch(t) for t in labels), labels  # no 1e3
        assert "<tspan" not in plot  # no 10^1, 3x10^1: matplotlib's log labels are mathtext, drawn as tspans
    assert {"297", "3"} <= set(texts(svg))  # each bar says its count


def test_feature_histograms_count_documents_and_say_n_per_group():
    rng = np.random.default_rng(0)
    values = np.r_[rng.normal(0.5, 0.05, 399), np.full(4, 0.62)]
    flagged = np.r_[np.zeros(399, dtype=bool), np.ones(4, dtype=bool)]
    plot = feature_plot(DocumentColumns.of(values, flagged, features={"compression_ratio": values}))
    svg = plot.panels[0]
    assert "unflagged (n=399)" in texts(svg) and "flagged (n=4)" in texts(svg)
    # Counts: 4 documents in one bin stand lower than the unflagged peak (as densities they stood 3x higher).
    tops = {group: path_points(svg, f"features-1-{group}")[:, 1].min() for group in ("flagged", "unflagged")}
    assert tops["flagged"] > tops["unflagged"] + 20, tops
    assert "<tspan" not in svg  # counts as plain numbers: matplotlib's default 10^k log labels are mathtext, drawn as tspans


def test_every_panel_scales_to_its_container(mixed_scan):
    html = (mixed_scan / "report.html").read_text(encoding="utf-8")
    tags = re.findall(r"<svg\b[^>]*>", html)
    assert len(tags) == 9
    for tag in tags:
        assert re.fullmatch(r'<svg width="100%" role="img" aria-label="[^"]+" viewBox="0 0 [\d.]+ [\d.]+" version="1.1">', tag), tag
    assert "figure svg{display:block;width:100%;height:auto;max-width:560px}" in html
    width, height = map(float, re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', tags[1]).groups())
    assert (width / 72, height / 72) == pytest.approx(PANEL)  # drawn at about the size a panel gets: half a desktop column


def extreme_summary() -> dict:
    """A summary whose plots need the widest labels: 30 sources, uninformative estimates, a collapsing regime."""
    block = lambda e, lo, hi: {"estimate": e, "low": lo, "high": hi, "confidence": 0.95, "method": "em", "documents": 10**6}  # noqa: E731
    rows = [{"generation": g, "synthetic_excess": 1.5**g, "ppl_ratio": 2.0**g} for g in range(11)]
    return {"documents": 10**7, "flagged": {"threshold": 0.999, "count": 10**6},
            "synthetic_fraction": {**block(0.5, 0.0, 1.0), "by_source": {f"s{i}": block(0.1, 0.0, 0.9) for i in range(40)}},
            "near_duplicates": {"enabled": True},
            "projection": {"computed": True, "max_drift": 0.05, "regimes": {"replace": rows, "mix": rows[:3]},
                           "excess_band": {"replace": {"low": [1.0] * 11, "high": [2.0**g for g in range(11)]}}}}


def test_labels_stay_inside_every_figure_with_fixed_margins(monkeypatch):
    """Fixed margins replace the constrained layout: every label must still fit, with the widest numbers."""
    from matplotlib.figure import Figure

    figures = []
    original = Figure.savefig

    def spy(self, *args, **kwargs):
        figures.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    edges = np.linspace(0.0, 1.0, 31)
    counts = np.full(SCORE_BINS, 5_000, dtype=np.int64)
    big = FeatureCounts(edges, np.full(30, 2_000_000), np.full(30, 1_000_000))
    columns = DocumentColumns(10**7, 10**6, counts, np.r_[np.full(1_000_000, 2), [3, 40]],
                              {"compression_ratio": big, "word_entropy": FeatureCounts(edges * 1e4, np.ones(30, int), np.zeros(30, int))})
    summary = extreme_summary()
    plots = [*all_plots(summary, columns), cluster_size_plot(DocumentColumns(cluster_sizes=np.array([2, 3, 900, 12_000])), True),
             projection_plot({**summary["projection"], "regimes": {"mix": [{"generation": 0, "ppl_ratio": 1.0}]}})]
    assert all(plot.panels for plot in plots) and len(figures) == sum(len(plot.panels) for plot in plots)
    assert fraction_plot(summary).note == "10 smaller sources are not plotted."
    for figure in figures:
        assert figure.get_layout_engine() is None  # the constrained layout cost 0.35 s of a report's 0.9 s
        box = figure.get_tightbbox(figure.canvas.get_renderer())
        width, height = figure.get_size_inches()
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, (figure.axes[0].get_title(), box, width, height)
