"""matplotlib figures as responsive inline SVG for ``report.html``: one panel per figure, fixed margins.

Deterministic (a fixed ``svg.hashsalt``, matplotlib's default style whatever
the user's matplotlibrc says, no date or creator metadata) so that the same
scan gives a byte-identical report. Figures are built on the Agg canvas, never
through pyplot, so no GUI backend or global figure state is touched.

Every panel is drawn at :data:`PANEL` size, about what it gets on the page (half
the column on a desktop, the whole column on a phone), and its ``<svg>`` scales
to the width it is given (``width="100%"`` with the viewBox, no fixed height),
so its text stays readable wherever the page's grid puts it (12-17 px on a desktop,
10-13 px on a 390 px phone: tests/report/test_report_browser.py measures it). The
margins are fixed, in inches, instead of matplotlib's constrained layout: that
layout costs more than drawing the figures (0.35 s of a report's 0.9 s); the
tests check that every label stays inside its figure.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib is imported by render: it takes ~0.7 s, which commands that plot nothing must not pay
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

PANEL = (4.8, 3.0)  # inches: 461 x 288 CSS px at scale 1
_RC: dict[str, Any] = {"svg.hashsalt": "auditor-report", "svg.fonttype": "none", "font.size": 10, "legend.fontsize": 9}
# XML prologue, DOCTYPE and metadata carry URLs and versions; inline SVG in HTML needs none of them.
_PROLOGUE = re.compile(r"\A.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_NAMESPACES = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
_SIZE = re.compile(r'\A<svg width="[^"]*" height="[^"]*"')
_IDS = re.compile(r'\bid="([^"]+)"')
_ID_USES = re.compile(r'(\bid="|url\(#|href="#)([^")]+)(?=[")])')


@dataclass(frozen=True)
class Margins:
    """Space around a panel's plot area, in inches: tick labels and axis labels live there."""

    left: float = 0.62
    right: float = 0.15
    bottom: float = 0.5
    top: float = 0.15


@dataclass(frozen=True)
class Plot:
    """One figure of the report: its title, the SVG markup of each panel or, without data, a note saying why."""

    key: str
    title: str
    panels: tuple[str, ...] = ()
    note: str = ""

    @property
    def svg(self) -> str | None:
        """Every panel's markup, one after the other (None when nothing is drawn)."""
        return "".join(self.panels) if self.panels else None


def to_svg(fig: Figure, prefix: str, label: str) -> str:
    """The figure as an inline ``<svg>``: no prologue or metadata, ids prefixed, as wide as its container."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = _METADATA.sub("", _PROLOGUE.sub("", buffer.getvalue(), count=1))
    svg = _NAMESPACES.sub("", svg)  # the HTML parser puts <svg> in the SVG namespace itself
    # The viewBox keeps the aspect ratio: the page gives the width, the height follows.
    svg = _SIZE.sub(f'<svg width="100%" role="img" aria-label="{html.escape(label)}"', svg, count=1)
    # Element ids (figure_1, clip paths, markers, gids) repeat between panels: make them unique per panel.
    ids = set(_IDS.findall(svg))
    svg = _ID_USES.sub(lambda m: f"{m[1]}{prefix}-{m[2]}" if m[2] in ids else m[0], svg)
    return svg.strip() + "\n"


def render(key: str, label: str, draw: Callable[[Figure], None], size: tuple[float, float] = PANEL,
           margins: Margins = Margins()) -> str:
    """One panel: ``draw`` fills a figure of ``size`` inches whose subplots leave ``margins`` around them."""
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.style.context("default"), matplotlib.rc_context(_RC):  # type: ignore[arg-type]  # the stubs type rc keys as literals; these are valid keys
        fig = Figure(figsize=size)
        FigureCanvasAgg(fig)
        width, height = size
        fig.subplots_adjust(left=margins.left / width, right=1 - margins.right / width,
                            bottom=margins.bottom / height, top=1 - margins.top / height)
        draw(fig)
        return to_svg(fig, key, label)


def count_width(largest: float) -> float:
    """Inches that the tick labels of a count axis up to ``largest`` (``1,000``) take, with the axis label beside them."""
    return 0.42 + 0.075 * len(f"{max(largest, 1):,.0f}")


def log_counts(ax: Axes, largest: float) -> None:
    """A logarithmic count y axis from 0.5 (a count of 1 still has height) with plain integer tick labels.

    matplotlib's own labels read ``10^1`` and, within a decade, ``3x10^1``; these read 1, 2, 5, 10, ...
    (1, 10, 100, ... beyond two decades).
    """
    from matplotlib.ticker import FixedLocator

    ax.set_yscale("log")
    top = max(float(largest), 1.0) * 2.5  # room above the tallest bar for its label
    ax.set_ylim(0.5, top)
    steps = (1, 2, 5) if top <= 250 else (1,)
    ticks = [step * 10**power for power in range(len(str(int(top)))) for step in steps if step * 10**power <= top]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    plain_integers(ax.yaxis)


def integer_ticks(axis: Axis) -> None:
    """Ticks on whole numbers only (a count axis up to 3 would otherwise read 0.5, 1.5, ...)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def plain_integers(axis: Axis) -> None:
    """Integer tick labels (``0``, ``12``, ``1,000``) on a count or log axis, none between 0 and 1, and no minor ticks
    (a log axis's minor ticks are a third of a panel's drawing time)."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 or value == 0 else ""))
    axis.set_minor_locator(NullLocator())


def set_title(ax: Axes, text: str) -> None:
    """A panel's title at a fixed height: matplotlib otherwise measures every tick label to place it (0.05 s a panel)."""
    ax.set_title(text, y=1.0, pad=5)
