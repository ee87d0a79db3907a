"""report.html in a real browser: headless system Chromium via Playwright.

Opens the report from a file URL and checks that it loads without console
errors, renders something (the screenshot is not blank) and that the scripts
planted in a document's text did not run; then, at a desktop width (1280 px)
and a phone's (390 px), that the page is laid out for it: nothing wider than
the screen, plots as wide as the column allows with their text 9-16 px high,
paths wrapped only at their separators. Skipped when Chromium (Debian package
``chromium``) or the ``playwright`` package is missing. With
``AUDITOR_SCREENSHOTS=DIR`` the layout test saves its full-page screenshots there.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from report_scans import planted_corpus, scan_to

CHROMIUM = shutil.which("chromium")
SEPARATORS = "/\\_.:-"

# Per figure <svg>: its box on the page, and the smallest and largest text in it as drawn (CSS px).
FIGURES_JS = """() => [...document.querySelectorAll('figure svg')].map(svg => {
  const box = svg.getBoundingClientRect(), scale = box.width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  return {left: box.left, top: box.top, width: box.width, height: box.height,
          ratio: svg.viewBox.baseVal.height / svg.viewBox.baseVal.width,
          smallest: Math.min(...sizes), largest: Math.max(...sizes)};
})"""

# For each wrapped line of a path cell: the characters on both sides of the break.
BREAKS_JS = """(selector) => [...document.querySelectorAll(selector)].flatMap(cell => {
  const breaks = [], walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  let top = null, previous = '';
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0) continue;  // collapsed white space
      if (top !== null && rect.top > top + 2) breaks.push(previous + node.data[i]);
      top = rect.top; previous = node.data[i];
    }
  }
  return breaks;
})"""


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        # CI sets AUDITOR_REQUIRE_BROWSER: there the browser test must run, never skip quietly.
        if os.environ.get("AUDITOR_REQUIRE_BROWSER"):
            pytest.fail("AUDITOR_REQUIRE_BROWSER is set but chromium is not on PATH (Debian package 'chromium')")
        pytest.skip("no chromium on PATH (Debian package 'chromium'; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def planted_report(tmp_path_factory, tiny_model_dir) -> Path:
    """report.html of the planted corpus (threshold 0: every document flagged), under a long temporary path."""
    root = tmp_path_factory.mktemp("browser")
    scan_to(root / "audit", planted_corpus(root / "a_rather_long-corpus.directory_name" / "corpus"), tiny_model_dir, "--threshold", "0")
    return root / "audit" / "report.html"


def open_page(browser, path: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"console {message.type}: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, errors


def test_report_html_renders_and_runs_no_planted_script(browser, planted_report):
    import matplotlib.image

    page, errors = open_page(browser, planted_report, 1100)
    assert errors == []
    assert page.evaluate("window.__pwned") is None
    assert page.title() != "PWNED" and page.title().startswith("auditor report: synthetic fraction ")
    # fraction 1 panel, scores 2, features 4, projection 1; no cluster sizes: no near-duplicates here
    assert page.locator("figure svg").count() == 8
    # The planted markup shows as text in the documents table.
    assert "<script>alert(1)</script>" in page.inner_text("body")
    assert page.locator("td.id").filter(has_text="<script>alert(1)</script> | pipe |").count() == 1

    image = matplotlib.image.imread(io.BytesIO(page.screenshot(full_page=True)), format="png")
    colours = np.unique(image.reshape(-1, image.shape[-1]), axis=0)
    assert len(colours) > 10, "the screenshot is blank"
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_report_is_laid_out_for_desktop_and_phone_widths(browser, mixed_scan, planted_report, width):
    for report in (mixed_scan / "report.html", planted_report):
        page, errors = open_page(browser, report, width)
        assert errors == []
        if os.environ.get("AUDITOR_SCREENSHOTS"):
            page.screenshot(path=str(Path(os.environ["AUDITOR_SCREENSHOTS"]) / f"{report.parent.parent.name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page is wider than the screen"
        column = page.evaluate("document.body.clientWidth - parseFloat(getComputedStyle(document.body).paddingLeft) * 2")
        figures = page.evaluate(FIGURES_JS)
        for figure in figures:
            assert figure["height"] == pytest.approx(figure["width"] * figure["ratio"], abs=2)  # the height follows the width
            assert 9 <= figure["smallest"] and figure["largest"] <= 17, figure
            assert figure["left"] + figure["width"] <= width
        first, second = figures[1], figures[2]  # the score panels: all documents, around the threshold
        if width == 1280:
            # Side by side, together nearly the column's width: no half-empty page.
            assert first["top"] == second["top"] and second["left"] >= first["left"] + first["width"]
            assert second["left"] + second["width"] - first["left"] >= 0.9 * column
            assert all(f["width"] >= 400 for f in figures)
        else:
            # One above the other, each the column's width.
            assert all(f["width"] >= 0.95 * column for f in figures), (column, figures)
            assert first["top"] + first["height"] <= second["top"]
        for pair in page.evaluate(BREAKS_JS, "td.src, td.id, p.meta"):
            assert pair[0] in SEPARATORS or pair[0] == " ", f"a path or id wraps inside a name: {pair!r}"
        page.close()
