"""Reports: report.md / report.html from every scan, determinism, escaping, plots.

``auditor report`` itself (re-rendering, its options and errors) is tested in tests/cli/test_report.py.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from auditor.report import DocumentColumns, escape_md, render_markdown, write_reports
from auditor.report.plots import cluster_size_plot, feature_plot, projection_plot, score_histogram
from conftest import DOCSTRINGS, SAMPLE, TESTS
from report_golden import golden_summary
from report_scans import MIXED, SCRIPT, planted_corpus, run, scan_to


@pytest.fixture(scope="module")
def planted(tmp_path_factory, tiny_model_dir) -> Path:
    """A scan (threshold 0: every document flagged) of the planted corpus."""
    root = tmp_path_factory.mktemp("planted")
    scan_to(root / "audit", planted_corpus(root / "corpus"), tiny_model_dir, "--threshold", "0")
    return root / "audit"


def test_scan_writes_reports_and_lists_them(mixed_scan):
    summary = json.loads((mixed_scan / "summary.json").read_text(encoding="utf-8"))
    assert summary["outputs"] == {"documents": "documents.parquet", "tokens": "tokens.parquet",
                                  "report_md": "report.md", "report_html": "report.html"}
    md = (mixed_scan / "report.md").read_text(encoding="utf-8")
    assert md.startswith("## auditor report\n")
    estimate = summary["synthetic_fraction"]
    ci = f"95% CI {estimate['low']:.2f}-{estimate['high']:.2f}"
    if estimate["high"] - estimate["low"] > 0.3:  # the tiny model's cross-domain allowance: uninformative, no bold estimate
        assert md.splitlines()[2] == (f"**Synthetic fraction: uninformative for this corpus** ({ci}), method em, over 303 documents; "
                                      f"{estimate['next_step']}.")
    else:
        assert f"**Synthetic fraction {estimate['estimate']:.2f} ({ci})**" in md
    assert f"- **Flagged:** {summary['flagged']['count']:,} documents" in md
    assert f"- **Near-duplicates:** {summary['near_duplicates']['clusters']:,} clusters" in md
    assert "- **Collapse projection** (unigram proxy): this corpus: " in md and "- **Skipped records:** none" in md
    assert "| source | documents | estimate | 95% CI |" in md
    html = (mixed_scan / "report.html").read_text(encoding="utf-8")
    # fraction 1 panel, scores 2 (all, around the threshold), features 4, clusters 1, projection 1
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 9
    for title in ("Scores: p_synthetic per document", "Estimated synthetic fraction", "Near-duplicate cluster sizes",
                  "Collapse projection (unigram proxy)", "Fingerprint features: flagged vs unflagged documents"):
        assert f"<figcaption>{title}</figcaption>" in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids must be unique across the inline SVGs"


def test_html_is_self_contained(mixed_scan, planted):
    for out in (mixed_scan, planted):
        html = (out / "report.html").read_text(encoding="utf-8")
        assert "http://" not in html and "https://" not in html
        assert "<script" not in html.lower()
        assert not re.search(r"""(src|href)=["'](?!#|data:)""", html), "no external resources"
        assert "Content-Security-Policy" in html


def test_two_scans_give_identical_reports(mixed_scan, tmp_path, tiny_model_dir):
    scan_to(tmp_path / "again", [MIXED], tiny_model_dir)
    for name in ("report.md", "report.html"):
        assert (tmp_path / "again" / name).read_bytes() == (mixed_scan / name).read_bytes(), name


def text_of(html_path: Path) -> str:
    """report.html without its ``<wbr>`` break hints (paths and ids carry one after each separator)."""
    return html_path.read_text(encoding="utf-8").replace("<wbr>", "")


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_corpus_text_is_escaped_in_markdown(planted):
    md = (planted / "report.md").read_text(encoding="utf-8")
    assert SCRIPT not in md and "<b>" not in md and "<img" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| pipe \\| \\[link\\](x) \\*bold\\*" in md  # the id
    assert "pipe\\|src&lt;b&gt;bold.jsonl" in md  # the source
    table = [line for line in md.splitlines() if line.startswith("| ")]
    sources = [line for line in table if "src&lt;b&gt;" in line]
    assert len(sources) >= 2  # per-source table and the documents table
    projection = ("| regime |", "| replace |", "| mix |", "| accumulate |")  # eight columns of numbers, no corpus text
    for line in table:
        width = 9 if line.startswith(projection) else 6 if "| p_synthetic |" in line or line.startswith(("| 0.", "| 1.")) else 5
        assert unescaped_pipes(line) == width, line


def test_corpus_text_is_escaped_in_html(planted):
    html = text_of(planted / "report.html")
    assert SCRIPT not in html and "<b>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | pipe |" in html  # the id and the excerpt
    assert "pipe|src&lt;b&gt;bold.jsonl" in html
    assert "onerror=&#34;window.__pwned=2&#34;" in html
    assert "Highest-scoring documents" in html and "&#9873;" in html  # flagged marker (threshold 0)
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert svgs and not any(word in svg for svg in svgs for word in ("pipe", "alert", "plain.jsonl", "bold"))  # no corpus text in plots


def test_escape_md():
    # A line break is shown (\n), not folded: a file name "a\nb" must not read like "a b". The backslash of
    # the escape, like any backslash, is then escaped for Markdown (a backslash shows as itself).
    assert escape_md("a|b\n<i>*x*</i> `c` [d](e) $f$ ~g~ \\") == "a\\|b\\\\n&lt;i&gt;\\*x\\*&lt;/i&gt; \\`c\\` \\[d\\](e) \\$f\\$ \\~g\\~ \\\\"
    assert escape_md("a  b\u00a0c") == "a b c"  # spaces are still folded
    assert escape_md("&lt;") == "&amp;lt;"


def test_plots_without_data_say_so():
    empty = DocumentColumns()
    assert score_histogram(empty, 0.5).svg is None and "No documents" in score_histogram(empty, 0.5).note
    assert feature_plot(empty).svg is None
    assert cluster_size_plot(empty, enabled=True).note.startswith("No near-duplicate clusters")
    assert "not computed" in cluster_size_plot(empty, enabled=False).note
    assert projection_plot({"computed": False, "reason": "no words in the corpus"}).note == "Not computed (no words in the corpus)."
    unflagged = DocumentColumns.of(np.array([0.1, 0.2]), np.array([False, False]), features={"compression_ratio": np.array([0.4, 0.5])})
    plot = feature_plot(unflagged)
    assert plot.svg is not None and plot.note == "No document is flagged: the plots show every document."
    assert "http" not in plot.svg and "<?xml" not in plot.svg and "<metadata" not in plot.svg


def test_minimal_summary_renders(tmp_path):
    summary = {"schema": "auditor.summary/1", "documents": 0, "flagged": {"threshold": 0.5, "count": 0},
               "synthetic_fraction": {"estimate": 0.0, "low": 0.0, "high": 1.0}}
    written = write_reports(summary, None, tmp_path)
    assert [p.name for p in written] == ["report.md", "report.html"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "No documents: nothing to plot." in html and "collapse projection: not computed" in html
    # An interval of 0.00-1.00 says nothing: no point estimate in the headline (a summary without
    # ``informative``, as older scans wrote, is judged by its interval).
    assert render_markdown(summary).splitlines()[2] == (
        "**Synthetic fraction: uninformative for this corpus** (95% CI 0.00-1.00), method ?, over 0 documents; give a human "
        "reference: --reference-human FILE (a hundred or more documents of this corpus's kind known to be human), or "
        "--human-before DATE --date-field FIELD.")


def test_reports_of_other_scan_settings(tmp_path, tiny_model_dir):
    """Skipped records, --method acc / cc, --no-near-duplicates and a known-synthetic index all render."""
    machine = str(DOCSTRINGS / "machine_docstrings.jsonl")
    assert run(["index", "build", machine, "--out", str(tmp_path / "index")]).exit_code == 0
    corpus = tmp_path / "bad<i>.jsonl"
    corpus.write_text((SAMPLE / "mixed.jsonl").read_text(encoding="utf-8") + "not json <i>\n" + json.dumps({"text": ""}) + "\n", encoding="utf-8")
    for method, extra in (("acc", ["--known-synthetic", str(tmp_path / "index")]), ("cc", ["--no-near-duplicates"])):
        out = tmp_path / method
        summary = scan_to(out, [str(corpus)], tiny_model_dir, "--method", method, *extra)
        md, html = (out / "report.md").read_text(encoding="utf-8"), (out / "report.html").read_text(encoding="utf-8")
        assert "- **Skipped records:** 2 (empty\\_text 1, invalid\\_json 1)" in md
        assert f"  - {escape_md(str(corpus))}:304: invalid\\_json: " in md and "<i>" not in md and "<i>" not in html
        assert f"method {method}" in md and "Classify-and-count threshold: " in html
        if method == "acc":
            assert f"- **Known synthetic:** {summary['known_synthetic']['matched']:,} documents match " in md
            assert "documents match the index" in html
        else:
            assert "- **Near-duplicates:** not computed (--no-near-duplicates)" in md
            assert "Near-duplicates were not computed (--no-near-duplicates)." in html


GOLDEN = TESTS / "golden" / "report.md"


def test_markdown_golden():
    """report.md of a fixed summary, byte for byte (AUDITOR_UPDATE_GOLDEN=1 rewrites the file after a deliberate change)."""
    text = render_markdown(golden_summary())
    if os.environ.get("AUDITOR_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_html_of_the_golden_summary(tmp_path):
    write_reports(golden_summary(), None, tmp_path)
    html = text_of(tmp_path / "report.html")
    assert "<script" not in html and "<b>" not in html and "<tag>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "corpus/&lt;b&gt;evil&lt;/b&gt;|x.jsonl" in html
    assert "The summary holds no per-generation curves." in html and "12 documents match the index known_index/" in html
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")


def test_markdown_neutralises_mentions_issue_links_and_autolinks():
    from auditor.report.markdown import escape_md

    text = escape_md("ping @octocat about #12 at https://evil.example or www.evil.example")
    assert "@octocat" not in text and "#12" not in text and "https://" not in text and "www.evil" not in text
    assert text.replace("\u2060", "") == "ping @octocat about #12 at https://evil.example or www.evil.example"


def test_hostile_field_names_file_names_and_problem_details_are_escaped(tmp_path, tiny_model_dir):
    """Field names of a record show up in problem details; file names in sources and locations."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    name = "[click](javascript:alert(1)) `tick` <i>x.jsonl"  # no slash: a file name
    ordinary = [json.loads(line) for line in (DOCSTRINGS / "human_stdlib_docstrings.jsonl").read_text(encoding="utf-8").splitlines()[:3]]
    lines = [json.dumps({"<img src=x onerror=alert(1)>": "no text here", "**bold** | [l](u)": 1})]
    lines += [json.dumps(record) for record in ordinary]
    (corpus / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "audit"
    summary = scan_to(out, [str(corpus)], tiny_model_dir)
    assert summary["skipped"]["by_reason"] == {"missing_text": 1}
    assert "<img src=x onerror=alert(1)>" in summary["problems"][0]["detail"]  # the raw field name, kept in the JSON
    md = (out / "report.md").read_text(encoding="utf-8")
    html = text_of(out / "report.html")
    for raw in ("<img", "<i>", "[click](javascript", "**bold**", "[l](u)", "`tick`"):
        assert raw not in md, raw
    assert "&lt;img src=x onerror=alert(1)&gt;" in md and "\\*\\*bold\\*\\* \\| \\[l\\](u)" in md
    assert "\\[click\\](javascript:alert(1)) \\`tick\\` &lt;i&gt;x.jsonl" in md  # no link, no code span
    assert "<img" not in html and "<i>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;i&gt;x.jsonl" in html


def test_documents_are_binned_row_group_by_row_group_as_in_memory(tmp_path):
    from auditor.report.data import read_documents

    rng = np.random.default_rng(3)
    scores, features = rng.random(100), {"compression_ratio": rng.random(100) * 3, "word_entropy": rng.normal(8, 1, 100)}
    clusters = np.where(rng.random(100) < 0.3, rng.integers(0, 9, 100), -1)
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"p_synthetic": scores, "flagged": scores >= 0.7, **features,
                      "dup_cluster": pa.array([None if c < 0 else int(c) for c in clusters], pa.int64())})
    pq.write_table(table, tmp_path / "documents.parquet", row_group_size=7)  # 15 row groups
    streamed = read_documents(tmp_path / "documents.parquet")
    whole = DocumentColumns.of(scores, scores >= 0.7, features, clusters)
    assert (streamed.documents, streamed.flagged) == (100, int((scores >= 0.7).sum()))
    assert streamed.score_counts.tolist() == whole.score_counts.tolist() == np.histogram(scores, np.linspace(0, 1, 2001))[0].tolist()
    # The full-range panel's 50 bars are sums of 40 fine bins each: the same as binning by 0.02.
    assert whole.score_counts.reshape(50, -1).sum(axis=1).tolist() == np.histogram(scores, np.linspace(0, 1, 51))[0].tolist()
    assert streamed.cluster_sizes.tolist() == whole.cluster_sizes.tolist() == np.bincount(clusters[clusters >= 0])[np.unique(clusters[clusters >= 0])].tolist()
    for name in features:
        assert streamed.features[name].edges.tolist() == whole.features[name].edges.tolist()
        assert streamed.features[name].unflagged.tolist() == whole.features[name].unflagged.tolist()
        assert streamed.features[name].flagged.sum() == int((scores >= 0.7).sum())


def test_projection_plot_draws_the_excess_with_the_interval_band():
    rows = [{"generation": g, "synthetic_excess": 1 + 0.01 * g, "ppl_ratio": 1 + 0.05 * g} for g in range(4)]
    projection = {"computed": True, "max_drift": 0.05, "regimes": {"mix": rows},
                  "excess_band": {"mix": {"low": [1.0, 1.005, 1.01, 1.015], "high": [1.0, 1.02, 1.04, 1.06]}}}
    plot = projection_plot(projection)
    assert plot.svg is not None and not plot.note
    assert projection_plot({**projection, "excess_band": {}}).svg != plot.svg  # the band is drawn


def test_a_summary_written_by_another_tool_with_float_counts_reads_as_counts(tmp_path):
    # A summary re-serialized elsewhere may carry 1000.0 for 1000: the reports print counts as counts.
    summary = golden_summary()
    for block in summary["synthetic_fraction"]["by_source"].values():
        block["documents"] = float(block["documents"])
    write_reports(summary, None, tmp_path)
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")
    assert "1000.0" not in (tmp_path / "report.html").read_text(encoding="utf-8")
