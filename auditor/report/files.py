"""Writing a scan's ``report.md`` and ``report.html``, atomically, from its summary (and documents table)."""

from __future__ import annotations

import os
from pathlib import Path

from auditor.atomic import atomic_path
from auditor.report.data import DocumentColumns, canonical, check_summary, read_documents
from auditor.report.html import render_html
from auditor.report.markdown import render_markdown
from auditor.summary import ScanSummary

REPORT_MD = "report.md"
REPORT_HTML = "report.html"

def _write(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        # newline="" keeps "\n" on every platform: the bytes must not depend on the OS.
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    return path


def write_reports(
    summary: ScanSummary,
    documents_path: str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str] | None,
    md_path: str | os.PathLike[str] | None = None,
    html_path: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Write the reports of a scan atomically and return their paths.

    With neither ``md_path`` nor ``html_path``, writes ``out_dir/report.md`` and
    ``out_dir/report.html``; otherwise only the report(s) given, where given.
    ``documents_path`` (the scan's ``documents.parquet``) is read only for the
    HTML report. Raises :class:`~auditor.errors.InputError` for an incomplete
    summary or an unreadable documents table.
    """
    summary = canonical(check_summary(summary, "summary"))
    if md_path is None and html_path is None:
        if out_dir is None:
            raise ValueError("write_reports needs out_dir, md_path or html_path")
        md_path, html_path = Path(out_dir) / REPORT_MD, Path(out_dir) / REPORT_HTML
    written = []
    if html_path is not None:
        # Read before writing anything: a bad table must not leave a new report.md next to an old report.html.
        columns = read_documents(documents_path) if documents_path is not None else DocumentColumns()
        html = render_html(summary, columns)
    if md_path is not None:
        written.append(_write(Path(md_path), render_markdown(summary)))
    if html_path is not None:
        written.append(_write(Path(html_path), html))
    return written
