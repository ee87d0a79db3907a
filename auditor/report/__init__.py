"""Curation reports of a scan: ``report.md`` (a pull-request comment) and ``report.html`` (one self-contained page).

Both are rendered from ``summary.json``'s content; the HTML plots also read a
few columns of ``documents.parquet`` (scores, flags, clusters, features, never
the text). The same summary and table give byte-identical reports.

The package imports nothing until a name is used (the terminal lines of :mod:`.terminal` stay light).

Example::

    from auditor.report import load_summary, write_reports
    summary = load_summary("audit/summary.json")
    write_reports(summary, "audit/documents.parquet", "audit")
"""

from __future__ import annotations

from auditor.lazy import lazy_exports


# Public name -> the module defining it, imported on first use (PEP 562).
_EXPORTS = {
    "REPORT_HTML": "auditor.report.files",
    "REPORT_MD": "auditor.report.files",
    "write_reports": "auditor.report.files",
    "DocumentColumns": "auditor.report.data",
    "documents_path_of": "auditor.report.data",
    "load_summary": "auditor.report.data",
    "read_documents": "auditor.report.data",
    "render_html": "auditor.report.html",
    "escape_md": "auditor.report.markdown",
    "render_markdown": "auditor.report.markdown",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
