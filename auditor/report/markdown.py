"""``report.md``: a scan's result short enough for a pull-request comment.

Every string that comes from the corpus or the user (ids, sources, paths,
excerpts, reasons, model names) goes through :func:`escape_md`, so a document
cannot break a table, inject HTML into the rendered comment or turn into a link,
and shows control, bidi and separator characters escaped (:func:`auditor.visible.visible`).
"""

from __future__ import annotations

import html
import re

from auditor.report.data import source_rows, top_flagged, verdict
from auditor.report.headline import UNINFORMATIVE, estimate_text, interval_text, is_informative, ranking_note, step_of
from auditor.report.projection_section import COLUMNS, assumption_lines, section_caption, section_rows
from auditor.report.text import fraction_text, plural
from auditor.summary import ScanSummary
from auditor.visible import visible

MAX_SOURCES = 20  # a pull-request comment stays readable; summary.json has them all
MAX_DOCUMENTS = 5
MAX_PROBLEMS = 5
EXCERPT_CHARS = 120

# Inline Markdown syntax, table cells (|) and GitHub math ($); line-start syntax cannot
# occur because every value is folded onto one line inside a table cell or after a label.
_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")


# GitHub turns @user, #123 and bare URLs into mentions and links even in plain text: a word
# joiner (U+2060, invisible) after "@" / "#", inside "://" and after "www" keeps them inert.
_AUTOLINK = re.compile(r"([@#]|:(?=//)|(?i:\bwww)(?=\.))")


def escape_md(value: object) -> str:
    """``value`` as literal text in Markdown: one line, controls shown escaped, no HTML, no inline syntax,
    no mentions or autolinks."""
    text = " ".join(visible(value).split())  # line breaks are escaped; other spaces folded (a table cell is one line)
    return _AUTOLINK.sub("\\1\u2060", _SPECIAL.sub(r"\\\1", html.escape(text, quote=False)))


def _excerpt(text: object) -> str:
    folded = " ".join(str(text).split())  # the document's own layout: line breaks are only spacing here
    return escape_md(folded if len(folded) <= EXCERPT_CHARS else folded[: EXCERPT_CHARS - 1] + "\u2026")


def _count_list(counts: dict[str, int]) -> str:
    return ", ".join(f"{escape_md(reason)} {count:,}" for reason, count in counts.items())


def _facts(summary: ScanSummary) -> list[str]:
    """The bullet lines: flags, near-duplicates, known synthetic text, projection, skipped input."""
    documents = int(summary["documents"])
    flagged = summary["flagged"]
    share = f" ({flagged['count'] / documents:.1%})" if documents else ""
    lines = [f"- **Flagged:** {flagged['count']:,} documents{share} at p\\_synthetic >= {flagged['threshold']:.4f}"]
    dups = summary.get("near_duplicates") or {}
    if isinstance(dups, dict) and dups.get("enabled"):
        lines.append(
            f"- **Near-duplicates:** {dups['clusters']:,} clusters (Jaccard >= {dups['threshold']}) holding "
            f"{dups['documents_in_clusters']:,} documents ({dups['fraction_in_clusters']:.1%}); "
            f"{dups['redundant_documents']:,} redundant; largest cluster {dups['largest_cluster']:,}"
        )
    else:
        lines.append("- **Near-duplicates:** not computed (--no-near-duplicates)")
    known = summary.get("known_synthetic")
    if isinstance(known, dict):
        lines.append(f"- **Known synthetic:** {known['matched']:,} documents match {escape_md(known['index'])} "
                     f"at Jaccard >= {known['threshold']} (counted as machine)")
    evasion = summary.get("evasion")
    if isinstance(evasion, dict) and evasion.get("documents"):
        lines.append(f"- **Evasion characters:** {evasion['documents']:,} documents hold {evasion['characters']:,} invisible "
                     "or look-alike characters (removed or folded before scoring; per document: `evasion_chars`)")
    first, *more = verdict(summary)
    lines += [f"- **Collapse projection** (unigram proxy): {escape_md(first)}", *(f"  - {escape_md(line)}" for line in more)]
    skipped, repaired = summary.get("skipped") or {}, summary.get("repaired") or {}
    if skipped.get("total"):
        lines.append(f"- **Skipped records:** {skipped['total']:,} ({_count_list(skipped['by_reason'])})")
    else:
        lines.append("- **Skipped records:** none")
    if repaired.get("total"):
        lines.append(f"- **Repaired records:** {repaired['total']:,} ({_count_list(repaired['by_reason'])})")
    for problem in (summary.get("problems") or [])[:MAX_PROBLEMS]:
        lines.append(f"  - {escape_md(problem['location'])}: {escape_md(problem['reason'])}: {escape_md(problem['detail'])}")
    ignored = summary.get("ignored_files") or []
    if ignored:
        lines.append(f"- **Skipped files:** {plural(len(ignored), 'non-corpus file')}, not read (first {escape_md(ignored[0])}); "
                     "if they hold documents, rename them to a corpus extension or read them with --format")
    return lines


def _source_table(summary: ScanSummary) -> list[str]:
    rows, hidden = source_rows(summary, MAX_SOURCES)
    if not rows:
        return []
    confidence = round(float(summary["synthetic_fraction"].get("confidence", 0.95)) * 100)
    lines = ["", "### By source", "", f"| source | documents | estimate | {confidence}% CI |", "|---|---:|---:|---|"]
    for row in rows:
        lines.append(f"| {escape_md(row['source'])} | {int(row.get('documents', 0)):,} | {estimate_text(row)} | {row['low']:.2f}-{row['high']:.2f} |")
    if hidden:
        lines.append(f"\n{hidden:,} more sources in summary.json.")
    return lines


def _projection_section(summary: ScanSummary) -> list[str]:
    rows = section_rows(summary)
    if not rows:
        return []
    lines = ["", "### Collapse projection (unigram proxy)", "", escape_md(section_caption(summary)), "",
             "| " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * (len(COLUMNS) - 1)]
    lines += ["| " + " | ".join(escape_md(cell) for cell in row) + " |" for row in rows]
    return [*lines, "", *(f"- {escape_md(line)}" for line in assumption_lines(summary))]


def _document_table(summary: ScanSummary) -> list[str]:
    documents = top_flagged(summary)[:MAX_DOCUMENTS]
    if not documents:
        return ["", "No document reached the threshold."]
    note = ranking_note(summary["synthetic_fraction"], summary.get("posterior"))
    lines = ["", "### Highest-scoring flagged documents", *(["", escape_md(note)] if note else []), "",
             "| p_synthetic | id | source | row | excerpt |", "|---:|---|---|---:|---|"]
    for doc in documents:
        lines.append(f"| {doc['p_synthetic']:.4f} | {escape_md(doc['id'])} | {escape_md(doc['source'])} | {doc['row']} | {_excerpt(doc['excerpt'])} |")
    return lines


def render_markdown(summary: ScanSummary) -> str:
    """The Markdown report of a scan summary (``summary.json`` as a dict)."""
    fraction = summary["synthetic_fraction"]
    assert isinstance(fraction, dict)
    documents = int(summary["documents"])
    method = f"method {escape_md(fraction.get('method', '?'))}, over {documents:,} documents"
    if is_informative(fraction):
        headline = f"**Synthetic fraction {fraction_text(fraction)}**, {method}."
    else:  # no point estimate in bold: the interval says it could be almost anything
        headline = f"**Synthetic fraction: {UNINFORMATIVE}** ({interval_text(fraction)}), {method}; {escape_md(step_of(fraction))}."
    lines = ["## auditor report", "", headline]
    allowance = float(fraction.get("domain_mismatch_allowance") or 0.0)
    if allowance:
        lines += ["", f"The interval includes +/-{allowance:.2f} for the model's cross-domain error: pass "
                      "--reference-human with documents known to be human-written from this domain to narrow it."]
    lines += ["", *_facts(summary), *_source_table(summary), *_projection_section(summary), *_document_table(summary)]
    tool, model = summary.get("tool") or {}, summary.get("model") or {}
    sha = str(model.get("sha256") or "")[:12]
    lines += [
        "",
        f"<sub>auditor {escape_md(tool.get('version', '?'))}, model {escape_md(model.get('name', '?'))} (sha256 {escape_md(sha)}). "
        "Scores are statistical estimates: read the model card (models/README.md) before acting on them.</sub>",
    ]
    return "\n".join(lines) + "\n"
