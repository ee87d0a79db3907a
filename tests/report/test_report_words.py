"""What the reports say in words: an uninformative estimate everywhere it would show as a number, what the
highest-scoring documents can tell, paths that wrap at their separators, and files that were not read."""

from __future__ import annotations

import re

from markupsafe import escape

from auditor.report import render_html, render_markdown
from auditor.report.data import DocumentColumns
from auditor.report.headline import GENERAL_STEP
from auditor.report.html import breakable
from report_golden import golden_summary

POSTERIOR = {"column": "p_machine_given_corpus", "prior": 0.269, "expected_machine_documents": 173.9, "above_half": 149}
RANKING = ("The synthetic fraction is uninformative for this corpus: these scores rank documents, they do not tell how many "
           "are machine-written, nor does p_machine_given_corpus, which rests on that fraction.")


def uninformative_summary() -> dict:
    """The golden summary with the sample's interval (0.00-0.59 around 0.27), as the shipped model gives it."""
    summary = golden_summary()
    block = lambda method, e, lo, hi: {"estimate": e, "low": lo, "high": hi, "confidence": 0.95, "method": method, "documents": 1200}  # noqa: E731
    fraction = summary["synthetic_fraction"]
    fraction.update(block("em", 0.269, 0.0, 0.59), informative=False, next_step=GENERAL_STEP,
                    other_methods={"acc": block("acc", 0.33, 0.0, 0.671), "cc": block("cc", 0.028, 0.0, 0.253)})
    fraction["by_source"]["corpus/web.jsonl"].update(low=0.0, high=0.6)
    summary["posterior"] = POSTERIOR
    return summary


def test_markdown_says_an_uninformative_estimate_in_words():
    md = render_markdown(uninformative_summary())
    lines = md.splitlines()
    assert lines[2] == f"**Synthetic fraction: uninformative for this corpus** (95% CI 0.00-0.59), method em, over 1,200 documents; {GENERAL_STEP}."
    assert "| corpus/web.jsonl | 1,000 | uninformative | 0.00-0.60 |" in lines
    assert "| corpus/&lt;b&gt;evil&lt;/b&gt;\\|x.jsonl | 200 | 0.01 | 0.00-0.05 |" in lines  # a narrow source keeps its number
    assert ("- **Collapse projection** (unigram proxy): this corpus: uninformative (95% CI 0.00-0.59; projected at its point "
            "estimate 0.27); to keep synthetic data's added perplexity-proxy drift within 5% over 10 generations: ") in md
    assert ("After 10 generations at an uninformative estimate (95% CI 0.00-0.59; projected at its point estimate 0.27): "
            "each figure, then in brackets") in md
    assert RANKING.replace("_", "\\_") in lines
    # The point estimate appears only as the point the projection was computed at, never on its own.
    for found in re.finditer(r"0\.27\b", md):
        assert md[: found.start()].endswith(("point estimate ", "synthetic data at ")), md[found.start() - 40: found.end()]


def test_html_says_an_uninformative_estimate_in_words():
    html = render_html(uninformative_summary(), DocumentColumns())
    assert "<title>auditor report: synthetic fraction uninformative (95% CI 0.00-0.59)</title>" in html
    assert '<div class="big">Synthetic fraction: uninformative for this corpus</div>' in html
    # The methods table: a wide interval has no estimate in its row, a narrow one keeps it.
    assert '<tr><td>em</td><td class="num">uninformative</td><td class="num">0.000&ndash;0.590</td></tr>' in html
    assert '<tr><td>acc</td><td class="num">uninformative</td><td class="num">0.000&ndash;0.671</td></tr>' in html
    assert '<tr><td>cc</td><td class="num">0.028</td><td class="num">0.000&ndash;0.253</td></tr>' in html
    assert '<td class="num docs">1,000</td><td class="num est">uninformative</td><td class="num ci">0.000&ndash;0.600</td>' in html
    assert "<div>this corpus: uninformative (95% CI 0.00-0.59; projected at its point estimate 0.27); to keep " in html
    assert f"<p>{RANKING}</p>" in html
    assert ">0.269<" not in html and ">0.27<" not in html
    # The plot draws an uninformative estimate hollow, and its axis says so.
    assert ">hollow: uninformative (interval wider than 0.3)</text>" in html


def test_an_informative_estimate_points_to_the_posterior_for_decisions():
    summary = golden_summary()
    summary["posterior"] = POSTERIOR
    note = ("Given this corpus's estimate, 149 documents have p_machine_given_corpus above 0.5 (documents.parquet): "
            "auditor filter and the hook decide by it, not by p_synthetic.")
    assert note.replace("_", "\\_") in render_markdown(summary).splitlines()
    html = render_html(summary, DocumentColumns())
    assert f"<p>{escape(note)}</p>" in html and '<tr><td>em</td><td class="num">0.234</td>' in html
    assert "hollow" not in html


def test_paths_and_ids_wrap_at_their_separators_only():
    assert breakable("sample_data/mixed.jsonl") == "sample_<wbr>data/<wbr>mixed.<wbr>jsonl"
    assert breakable("C:\\corpus\\a-b.csv:7") == "C:<wbr>\\<wbr>corpus\\<wbr>a-<wbr>b.<wbr>csv:<wbr>7"
    assert breakable("<b>x</b>\x1b") == "&lt;b&gt;x&lt;/<wbr>b&gt;\\<wbr>x1b"  # made visible and escaped first
    html = render_html(golden_summary(), DocumentColumns())
    assert '<td class="src">corpus/<wbr>web.<wbr>jsonl</td>' in html  # the per-source table and the documents table
    assert '<td class="id">doc-<wbr>1</td><td class="src">corpus/<wbr>web.<wbr>jsonl</td>' in html
    assert "documents from corpus/<wbr></p>" in html and "<code>corpus/<wbr>a|b.<wbr>jsonl:<wbr>7</code>" in html
    assert "index known_<wbr>index/<wbr> at Jaccard" in html
    # Nothing lets a browser break a path anywhere else.
    css = html[html.index("<style>"): html.index("</style>")]
    assert "break-all" not in css and "anywhere" not in css and not re.search(r"td\.(src|id)[^{]*\{[^}]*word-break", css)


def test_files_not_read_are_said_to_be_non_corpus_files():
    summary = golden_summary()
    assert ("- **Skipped files:** 1 non-corpus file, not read (first corpus/notes\\_\\[draft\\].md); if they hold documents, "
            "rename them to a corpus extension or read them with --format") in render_markdown(summary).splitlines()
    summary["ignored_files"] = ["a/LICENSE", "a/notes.md"]
    assert ("<li>2 non-corpus files skipped, not read (if they hold documents, rename them to a corpus extension or read them "
            "with --format): a/<wbr>LICENSE, a/<wbr>notes.<wbr>md</li>") in render_html(summary, DocumentColumns())
