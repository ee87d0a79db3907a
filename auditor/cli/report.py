"""``auditor report``: re-render a scan's reports from its summary.json and documents table."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.summary import ScanSummary
from auditor.cli.options import FiniteFloat, config_option, resolve_settings
from auditor.cli.output import echo, echo_json, handle_errors
from auditor.detector.store import load_stored
from auditor.errors import ConfigError, InputError
from auditor.estimate.fraction import METHODS
from auditor.hook.settings import HookSettings
from auditor.lock import outputs_lock
from auditor.report.data import documents_path_of, load_summary
from auditor.report.files import REPORT_HTML, REPORT_MD, write_reports

# Setting -> parameter. A report renders a scan as it was made; these settings are what the
# repository expects of it, so a scan made otherwise is refused rather than shown as the repository's.
REPORT_PARAMETERS = {"model": "model_path", "threshold": "threshold", "method": "method"}


def _output(path: str | None, flag: str) -> Path | None:
    if path is None:
        return None
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InputError(f"{flag} {target}: is a directory; pass a file name such as {target / (REPORT_MD if flag == '--md' else REPORT_HTML)}")
    if not parent.is_dir():
        raise InputError(f"{flag} {target}: directory {parent} does not exist; create it or choose another path")
    return target


@click.command("report")
@click.argument("summary_path", metavar="DIR/summary.json", type=click.Path())
@click.option("--html", "html_path", default=None, type=click.Path(), help="Write the HTML report here.")
@click.option("--md", "md_path", default=None, type=click.Path(), help="Write the Markdown report here.")
@click.option("--model", "model_path", default=None, type=click.Path(),
              help="Refuse a scan made with another model  [default: from the settings, else any].")
@click.option("--threshold", type=FiniteFloat(0, 1), default=None,
              help="Refuse a scan that flagged at another threshold  [default: from the settings, else any].")
@click.option("--method", type=click.Choice(METHODS), default=None,
              help="Refuse a scan estimated with another method  [default: from the settings, else any].")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the reports written as JSON on stdout.")
@click.option("--quiet", is_flag=True, help="No 'wrote ...' line on stderr.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def report_command(summary_path: str, html_path: str | None, md_path: str | None, model_path: str | None,
                   threshold: float | None, method: str | None, config: str | None, as_json: bool, quiet: bool, debug: bool) -> None:
    """Render a scan's report.md and report.html again from its summary.json.

    Reads DIR/summary.json and the documents.parquet it names (for the plots).
    With neither --html nor --md, writes report.md and report.html next to the
    summary; otherwise only the reports asked for.

    The model, threshold and method given as flags, in AUDITOR_* variables or
    in [tool.auditor] / .auditor.toml must be those the scan was made with
    (exit 2 otherwise), so that a report never shows a scan made with other
    settings as the repository's; settings given nowhere accept any scan.

    \b
    Examples:
      auditor report audit/summary.json
      auditor report audit/summary.json --md comment.md
    """
    summary = load_summary(summary_path)
    check_scan_settings(summary, summary_path, resolve_settings(REPORT_PARAMETERS))
    html_target, md_target = _output(html_path, "--html"), _output(md_path, "--md")
    inputs = {Path(summary_path).resolve(): summary_path, documents_path_of(summary, summary_path).resolve(): "the documents table"}
    for flag, target in (("--html", html_target), ("--md", md_target)):
        if target is not None and target.resolve() in inputs:
            raise InputError(f"{flag} {target}: is the scan's {inputs[target.resolve()]}; writing there would destroy it, choose another file")
    if html_target is not None and md_target is not None and html_target.resolve() == md_target.resolve():
        raise InputError(f"--html and --md are the same file {html_target}; give each report its own file")
    wants_html = html_target is not None or md_target is None
    documents = documents_path_of(summary, summary_path) if wants_html else None
    if documents is not None and not documents.is_file():
        raise InputError(f"{documents}: documents table not found (named by {summary_path}); "
                         "keep the scan's output files together or re-run 'auditor scan'")
    # Not while another run writes the scan's directory (into it) or the same report files (auditor.lock).
    into_directory = md_target is None and html_target is None
    directory = Path(summary_path).parent
    outputs = {"md": directory / REPORT_MD, "html": directory / REPORT_HTML} if into_directory else {"md": md_target, "html": html_target}
    targets = [(target, "report" if into_directory else f"--{kind}") for kind, target in outputs.items() if target is not None]
    with outputs_lock(targets, directory=(directory, "report directory") if into_directory else None):
        written = write_reports(summary, documents, directory, md_path=md_target, html_path=html_target)
    if not quiet:
        echo(f"wrote {', '.join(str(path) for path in written)}", err=True)
    if as_json:  # a report not asked for is null
        echo_json({"summary": summary_path, **{kind: None if target is None else str(target) for kind, target in outputs.items()}})


def check_scan_settings(summary: ScanSummary, summary_path: str, settings: HookSettings) -> None:
    """Refuse (ConfigError, exit 2) a scan made with another model, threshold or method than the settings give.

    Only settings given somewhere (flag, environment, file) are compared: with none, any scan is reported.
    """
    fraction = summary.get("synthetic_fraction") or {}
    scanned = {"threshold": summary["flagged"]["threshold"], "method": fraction.get("method")}
    differences, fixes = [], []
    for name in ("threshold", "method"):
        if settings.given(name) and getattr(settings, name) != scanned[name]:
            differences.append(f"{name} {scanned[name]}, not {getattr(settings, name)} (from {settings.sources[name]})")
            fixes.append(f"--{name} {scanned[name]}")
    if settings.given("model"):
        model = summary.get("model") or {}
        model_path = settings.model_path
        assert model_path is not None  # given("model") means the setting holds a path
        expected = load_stored(model_path).identity
        if expected != model.get("sha256"):
            differences.append(f"model {model.get('name')} (SHA-256 {str(model.get('sha256'))[:12]}), not {settings.model_path} "
                               f"(SHA-256 {expected[:12]}) (from {settings.sources['model']})")
            fixes.append(f"--model {model.get('path') or 'DIR'}")
    if differences:
        raise ConfigError(f"{summary_path}: the scan was made with {'; '.join(differences)}. Re-run 'auditor scan' with "
                          f"these settings, or report the scan as it was made with {' '.join(fixes)}")
