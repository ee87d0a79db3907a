"""``report.html``: one self-contained page (inline CSS and SVG, no script, no external URL).

The template lives in this module (nothing to ship as package data) and is
rendered by Jinja2 with autoescape on, so every corpus-derived string (ids,
sources, excerpts, problem details, reasons) is HTML-escaped; before that, every
string the template prints goes through :func:`auditor.visible.visible` (the
environment's ``finalize``), so control, bidi and separator characters are shown
escaped, as in the terminal. Markup passes as it is: the CSS, the SVG produced by
:mod:`auditor.report.plots` (never corpus text), and the excerpts, which are made
visible (line breaks kept) and HTML-escaped before rendering. A
Content-Security-Policy forbids scripts and every fetch as a second line of defence.

Laid out for a desktop and a phone alike, with CSS only: plot panels and their
companion text sit in a grid of columns at least 340 px wide (two on a desktop,
one on a phone); below 600 px the per-source and documents tables turn into one
card per row and the wide projection table scrolls sideways; paths and ids
carry ``<wbr>`` after their separators (:func:`breakable`), the only places a
narrow column may break them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape

from auditor.report.data import DocumentColumns, projection_of, source_rows, top_flagged, verdict
from auditor.report.headline import UNINFORMATIVE, estimate_text, interval_text, is_informative, ranking_note, step_of
from auditor.report.plots import MAX_PLOTTED_SOURCES, all_plots
from auditor.report.projection_section import COLUMNS, assumption_lines, section_caption, section_rows
from auditor.report.text import fraction_text, plural
from auditor.summary import ScanSummary
from auditor.visible import visible

MAX_SOURCES = 500  # the page stays usable for folders of many files; summary.json has them all
MAX_LISTED = 20

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fff;margin:0 auto;max-width:980px;padding:1.2em 1.5em 3em}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta,.note{color:#666;font-size:.9em}.headline{background:#f6f8fa;border:1px solid #ddd;border-radius:6px;padding:.8em 1.1em;margin:1em 0}
.big{font-size:1.9em;font-weight:600;line-height:1.2}.warn{color:#8a4b00}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em;width:100%}th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.text{width:50%;white-space:pre-wrap;word-break:break-word;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}
td.id{min-width:7em}.scroll{overflow-x:auto}figure{margin:1em 0;min-width:0}figcaption{font-weight:600;margin-bottom:.3em}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,340px),1fr));gap:.6em 1.6em;align-items:start}
.panels>*{min-width:0}figure svg{display:block;width:100%;height:auto;max-width:560px}
.flag{color:#a33;font-weight:600}ul{padding-left:1.3em}
@media (max-width:600px){
body{padding:.8em .7em 2em}.big{font-size:1.4em}.headline{padding:.6em .8em}
table.cards,table.cards tbody,table.cards tr{display:block;width:auto}table.cards thead{display:none}
table.cards tr{border:1px solid #ddd;border-radius:4px;margin:.6em 0;padding:.2em 0}table.cards td:empty{display:none}
table.cards td{display:inline-block;width:auto;border:0;text-align:left;white-space:normal}table.cards td.src,table.cards td.text{display:block}
table.cards td::before{font:600 .85em system-ui,sans-serif;color:#666;margin-right:.4em}
.cards td.score::before{content:"p_synthetic"}.cards td.id::before{content:"id"}.cards td.src::before{content:"source"}
.cards td.row::before{content:"row"}.cards td.text::before{content:"excerpt";display:block}.cards td.plot::before{content:"plot"}
.cards td.docs::before{content:"documents"}.cards td.est::before{content:"estimate"}.cards td.ci::before{content:"interval"}
}
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>auditor report: synthetic fraction {% if informative %}{{ "%.2f"|format(fraction.estimate) }}{% else %}uninformative ({{ interval }}){% endif %}</title>
<link rel="icon" href="data:,">
<style>{{ css }}</style>
</head>
<body>
{% macro figure(plot) %}<figure><figcaption>{{ plot.title }}</figcaption>
{% if plot.panels|length > 1 %}<div class="panels">{% endif %}{% for svg in plot.panels %}{{ svg }}{% endfor %}{% if plot.panels|length > 1 %}</div>{% endif %}
{% if plot.note %}<p class="note">{{ plot.note }}</p>{% endif %}</figure>{% endmacro %}
<h1>auditor report</h1>
<p class="meta">auditor {{ tool.version }} &middot; model {{ model.name }} (sha256 {{ model_sha }}) &middot; {{ "{:,}".format(documents) }} documents from {% for path in inputs %}{{ path|breakable }}{{ ", " if not loop.last }}{% endfor %}</p>
<div class="headline">
{% if informative %}<div class="big">Synthetic fraction {{ fraction_line }}</div>
{% else %}<div class="big">Synthetic fraction: {{ uninformative }}</div>
<div>{{ interval }}; {{ next_step }}</div>
{% endif %}<div>method {{ method }}; flagged {{ "{:,}".format(flagged.count) }} documents at p_synthetic &ge; {{ "%.4f"|format(flagged.threshold) }}</div>
{% if allowance %}<p class="warn">The interval includes &plusmn;{{ "%.2f"|format(allowance) }} for the model's cross-domain error (no in-domain reference): pass <code>--reference-human</code> with documents known to be human-written from this domain to narrow it.</p>{% endif %}
{% for line in verdict %}<div>{{ line }}</div>
{% endfor %}</div>
<h2>Estimate</h2>
<div class="panels"><div>
<table><tr><th>method</th><th>estimate</th><th>interval</th></tr>
{% for name, block, estimate in methods %}<tr><td>{{ name }}</td><td class="num">{{ estimate }}</td><td class="num">{{ "%.3f"|format(block.low) }}&ndash;{{ "%.3f"|format(block.high) }}</td></tr>
{% endfor %}</table>
{% if not informative %}<p class="note">An estimate whose interval is wider than 0.3 is uninformative: only its interval is shown.</p>
{% endif %}{% for kind, ref in references %}<p class="note">{{ kind }} reference: {{ ref.source|breakable }} ({{ "{:,}".format(ref.documents) }} documents)</p>
{% endfor %}{% if count_threshold is not none %}<p class="note">Classify-and-count threshold: {{ "%.4f"|format(count_threshold) }}</p>{% endif %}
</div>
{{ figure(plots.fraction) }}
</div>
{% if sources %}<table class="cards"><thead><tr><th>plot</th><th>source</th><th>documents</th><th>estimate</th><th>interval</th></tr></thead><tbody>
{% for row in sources %}<tr><td class="plot">{{ row.label }}</td><td class="src">{{ row.source|breakable }}</td><td class="num docs">{{ "{:,}".format(row.documents) }}</td><td class="num est">{{ row.shown }}</td><td class="num ci">{{ "%.3f"|format(row.low) }}&ndash;{{ "%.3f"|format(row.high) }}</td></tr>
{% endfor %}</tbody></table>{% if hidden_sources %}<p class="note">{{ "{:,}".format(hidden_sources) }} more sources in summary.json.</p>{% endif %}
{% endif %}{% if evasion and evasion.documents %}<p class="warn">Evasion characters: {{ "{:,}".format(evasion.documents) }} documents hold {{ "{:,}".format(evasion.characters) }} invisible or look-alike characters (removed or folded before scoring; per document: <code>evasion_chars</code> in documents.parquet).</p>{% endif %}
{% if known %}<p>Known synthetic: {{ "{:,}".format(known.matched) }} documents match the index {{ known.index|breakable }} at Jaccard &ge; {{ known.threshold }} (counted as machine).</p>{% endif %}
<h2>Scores</h2>
{{ figure(plots.scores) }}
{{ figure(plots.features) }}
<h2>Near-duplicates</h2>
<div class="panels">{{ figure(plots.clusters) }}
{% if dups.enabled %}<p>{{ "{:,}".format(dups.clusters) }} clusters at Jaccard &ge; {{ dups.threshold }} hold {{ "{:,}".format(dups.documents_in_clusters) }} documents ({{ "%.1f"|format(100 * dups.fraction_in_clusters) }}%); keeping one per cluster would drop {{ "{:,}".format(dups.redundant_documents) }}; the largest has {{ "{:,}".format(dups.largest_cluster) }}.</p>{% endif %}
</div>
<h2>Collapse projection</h2>
{% for line in verdict %}<p>{{ line }}</p>
{% endfor %}{% if regime_rows %}<p>{{ regime_caption }}</p>
<div class="scroll"><table><tr>{% for name in regime_columns %}<th>{{ name }}</th>{% endfor %}</tr>
{% for row in regime_rows %}<tr>{% for cell in row %}<td{% if not loop.first %} class="num"{% endif %}>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table></div>
<p class="note">{{ projection_model }}</p>{% endif %}
<div class="panels">{{ figure(plots.projection) }}
{% if assumption_lines %}<div><p>Assumptions:</p>
<ul>{% for line in assumption_lines %}<li>{{ line }}</li>{% endfor %}</ul></div>{% endif %}
</div>
<h2>Highest-scoring documents</h2>
{% if top %}<p class="note">{{ flagged_top }} of these {{ top|length }} reached the threshold (marked). Excerpts are the first characters of the original text.</p>
{% if ranking %}<p>{{ ranking }}</p>
{% endif %}<table class="docs cards"><thead><tr><th>p_synthetic</th><th>id</th><th>source</th><th>row</th><th>excerpt</th></tr></thead><tbody>
{% for doc in top %}<tr><td class="num score{% if doc.p_synthetic >= flagged.threshold %} flag{% endif %}">{{ "%.4f"|format(doc.p_synthetic) }}{% if doc.p_synthetic >= flagged.threshold %} &#9873;{% endif %}</td><td class="id">{{ doc.id|breakable }}</td><td class="src">{{ doc.source|breakable }}</td><td class="num row">{{ doc.row }}</td><td class="text">{{ doc.excerpt }}</td></tr>
{% endfor %}</tbody></table>{% else %}<p class="note">The summary lists no documents.</p>{% endif %}
<h2>Input</h2>
<ul>
<li>{{ "{:,}".format(documents) }} documents read; {{ "{:,}".format(skipped.total) }} records skipped{% for reason, count in skipped.by_reason|dictsort %}{{ ", " if not loop.first else ": " }}{{ reason }} {{ "{:,}".format(count) }}{% endfor %}</li>
{% if repaired.total %}<li>{{ "{:,}".format(repaired.total) }} records repaired{% for reason, count in repaired.by_reason|dictsort %}{{ ", " if not loop.first else ": " }}{{ reason }} {{ "{:,}".format(count) }}{% endfor %}</li>{% endif %}
{% for problem in problems %}<li><code>{{ problem.location|breakable }}</code>: {{ problem.reason }}: {{ problem.detail }}</li>
{% endfor %}{% if ignored %}<li>{{ ignored_count }} skipped, not read (if they hold documents, rename them to a corpus extension or read them with --format): {% for path in ignored[:20] %}{{ path|breakable }}{{ ", " if not loop.last }}{% endfor %}{% if ignored|length > 20 %}, ...{% endif %}</li>{% endif %}
</ul>
<p class="meta">Scores are statistical estimates: read the model card (models/README.md) before acting on them. Rendered from summary.json ({{ schema }}).</p>
</body>
</html>
"""

# Where a displayed path or id may wrap: after a separator, never inside a name.
_BREAK_AFTER = re.compile(r"([/\\_.:-])")


def breakable(value: object) -> Markup:
    """A path or id made visible and HTML-escaped, with ``<wbr>`` after each ``/ \\ _ . : -``: a narrow
    column wraps it at its separators (``sample_data/<wbr>mixed.<wbr>jsonl``), not mid-word."""
    return Markup(_BREAK_AFTER.sub(r"\1<wbr>", str(escape(visible(str(value))))))


def _shown(value: object) -> object:
    """What a ``{{ ... }}`` prints, before autoescaping: strings made visible; markup (CSS, SVG, excerpts) as it is."""
    return visible(value) if isinstance(value, str) and not isinstance(value, Markup) else value


_ENV = Environment(autoescape=True, finalize=_shown, undefined=StrictUndefined, keep_trailing_newline=True)
_ENV.filters["breakable"] = breakable
_COMPILED = _ENV.from_string(_TEMPLATE)


def _sources(summary: ScanSummary) -> tuple[list[dict[str, object]], int]:
    rows, hidden = source_rows(summary, MAX_SOURCES)
    plotted = len(rows) > 1  # fraction_plot labels sources only when there are several
    return [{**row, "documents": int(row.get("documents", 0)), "shown": estimate_text(row, 3),
             "label": f"S{i + 1}" if plotted and i < MAX_PLOTTED_SOURCES else ""} for i, row in enumerate(rows)], hidden


def render_html(summary: ScanSummary, columns: DocumentColumns) -> str:
    """The HTML report of a scan summary and its documents' columns."""
    fraction = summary["synthetic_fraction"]
    assert isinstance(fraction, dict)
    projection = projection_of(summary)
    # The one place markup is trusted: SVG drawn by matplotlib from numbers and fixed labels only.
    plots = {plot.key: replace(plot, panels=tuple(Markup(svg) for svg in plot.panels))
             for plot in all_plots(summary, columns)}
    sources, hidden = _sources(summary)
    # An excerpt keeps its line breaks (the cell is pre-wrap); everything else in it is shown escaped.
    top = [{**doc, "excerpt": escape(visible(doc.get("excerpt", ""), keep_newlines=True))}
           for doc in summary.get("top_documents") or []]
    model = summary.get("model") or {}
    computed = bool(projection.get("computed"))
    methods = [(fraction.get("method", "?"), fraction), *sorted((fraction.get("other_methods") or {}).items())]
    return _COMPILED.render(
        css=Markup(_CSS),
        tool=summary.get("tool") or {"version": "?"},
        model={"name": model.get("name", "?")},
        model_sha=str(model.get("sha256") or "")[:12],
        documents=int(summary["documents"]),
        inputs=summary.get("inputs") or [],
        fraction=fraction,
        fraction_line=fraction_text(fraction),
        informative=is_informative(fraction),
        uninformative=UNINFORMATIVE,
        interval=interval_text(fraction),
        next_step=step_of(fraction),
        method=fraction.get("method", "?"),
        allowance=float(fraction.get("domain_mismatch_allowance") or 0.0),
        flagged=summary["flagged"],
        verdict=verdict(summary),
        methods=[(name, block, estimate_text(block, 3)) for name, block in methods],
        references=[(kind.capitalize(), ref) for kind, ref in sorted((fraction.get("reference") or {}).items())
                    if isinstance(ref, dict) and {"source", "documents"} <= set(ref)],
        count_threshold=(fraction.get("reference") or {}).get("count_threshold"),
        known=summary.get("known_synthetic"),
        evasion=summary.get("evasion"),
        plots=plots,
        regime_rows=section_rows(summary),
        regime_columns=COLUMNS,
        regime_caption=section_caption(summary) if computed else "",
        assumption_lines=assumption_lines(summary),
        projection_model=projection.get("model", "") if computed else "",
        sources=sources,
        hidden_sources=hidden,
        dups=summary.get("near_duplicates") or {"enabled": False},
        top=top,
        flagged_top=len(top_flagged(summary)),
        ranking=ranking_note(fraction, summary.get("posterior")),
        skipped=summary.get("skipped") or {"total": 0, "by_reason": {}},
        repaired=summary.get("repaired") or {"total": 0, "by_reason": {}},
        problems=(summary.get("problems") or [])[:MAX_LISTED],
        ignored=summary.get("ignored_files") or [],
        ignored_count=plural(len(summary.get("ignored_files") or []), "non-corpus file"),
        schema=summary.get("schema", "?"),
    )
