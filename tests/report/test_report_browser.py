"""report.html in a real browser: headless system Chromium via Playwright.

Opens the report from a file URL and checks that it loads without console
errors, renders something (the screenshot is not blank) and that the scripts
planted in a document's text did not run. Skipped when Chromium (Debian
package ``chromium``) or the ``playwright`` package is missing.
"""

from __future__ import annotations

import io
import os
import shutil

import numpy as np
import pytest

from report_scans import planted_corpus, scan_to

CHROMIUM = shutil.which("chromium")


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


def test_report_html_renders_and_runs_no_planted_script(browser, tmp_path, tiny_model_dir):
    import matplotlib.image

    out = tmp_path / "audit"
    scan_to(out, planted_corpus(tmp_path / "corpus"), tiny_model_dir, "--threshold", "0")
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"console {message.type}: {message.text}") if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.goto((out / "report.html").resolve().as_uri())
    page.wait_for_load_state("load")

    assert errors == []
    assert page.evaluate("window.__pwned") is None
    assert page.title() != "PWNED" and page.title().startswith("auditor report: synthetic fraction ")
    assert page.locator("figure svg").count() == 4  # every plot but the cluster sizes: no near-duplicates here
    # The planted markup shows as text in the documents table.
    assert "<script>alert(1)</script>" in page.inner_text("body")
    assert page.locator("td.id").filter(has_text="<script>alert(1)</script> | pipe |").count() == 1

    image = matplotlib.image.imread(io.BytesIO(page.screenshot(full_page=True)), format="png")
    colours = np.unique(image.reshape(-1, image.shape[-1]), axis=0)
    assert len(colours) > 10, "the screenshot is blank"
    page.close()
