"""``auditor hook``: the pre-commit entry point."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence

import click
import numpy as np

from auditor.cli.options import hook_settings, settings_options
from auditor.cli.output import EXIT_FINDING, echo, handle_errors
from auditor.estimate.posterior import COLUMN as POSTERIOR
from auditor.estimate.posterior import ScoreRule
from auditor.hook.run import FileScan, FileVerdict, HookResult, ScoredDocument, relative_to_cwd, run_hook
from auditor.hook.settings import HookSettings
from auditor.report.text import format_counts, fraction_text, plural

EXIT_BASELINE_REWRITTEN = 3


def location(settings: HookSettings, key: str, doc: ScoredDocument) -> str:
    return f"{relative_to_cwd(settings, key)}:{doc.record} id={doc.id} p_synthetic={doc.p_synthetic:.4f}"


def _why(doc: ScoredDocument, threshold: float) -> str:
    """Why a document is listed: its posterior reached the threshold, or the file is still over without it."""
    rule = ScoreRule(POSTERIOR, threshold)  # the hook's finding rule (auditor.hook.run)
    if rule.rejects(np.float64(doc.posterior)):
        return rule.reason(doc.posterior)
    return f"{POSTERIOR} {doc.posterior:.2f}; the file is over fail-above without it"


def _skipped(scan: FileScan) -> str:
    return f"; skipped {format_counts(scan.skipped)}" if scan.skipped else ""


def _headline(settings: HookSettings, verdict: FileVerdict) -> str:
    scan = verdict.scan
    where = "its lower end over" if verdict.over_tolerance else "its lower end within"
    after = ""
    if verdict.over_tolerance and scan.remaining is not None:
        after = f"; without the listed documents {fraction_text(scan.remaining)}"
    return (f"{relative_to_cwd(settings, scan.key)}: {plural(len(verdict.new), 'new finding')} in "
            f"{plural(scan.documents, 'document')}; estimated synthetic fraction {fraction_text(scan.fraction)}, "
            f"{where} fail-above {scan.fail_above:g}{after}{_skipped(scan)}")


def _echo_verdict(settings: HookSettings, verdict: FileVerdict, max_shown: int) -> None:
    scan = verdict.scan
    echo(_headline(settings, verdict))
    listed = [(doc, "  rejected in the baseline audit: remove it") for doc in verdict.rejected]
    listed += [(doc, f"  {_why(doc, scan.threshold)}") for doc in verdict.new]
    shown = listed if max_shown == 0 else listed[:max_shown]
    for doc, note in shown:
        echo(f"  {location(settings, scan.key, doc)}{note}")
    if len(shown) < len(listed):
        echo(f"  ... and {len(listed) - len(shown)} more (--max-shown 0 lists them all)")


def _echo_fix(settings: HookSettings, blocked: Sequence[FileVerdict], fix_options: Sequence[str]) -> None:
    baseline = os.path.relpath(settings.baseline_path)
    files = " ".join(shlex.quote(relative_to_cwd(settings, v.scan.key)) for v in blocked if v.new)
    echo(f"auditor: {plural(len(blocked), 'file')} with machine-written text beyond what {baseline} accepts.")
    if files:
        # The same settings as this run, or the update would record other findings than the hook checks.
        command = " ".join(["auditor", "baseline", "update", *map(shlex.quote, fix_options), files])
        echo("Fix: remove the listed documents, or accept them with")
        echo(f"  {command}")
        echo(f"and commit {baseline} (review accepted findings with 'auditor baseline audit').")
    if any(v.rejected for v in blocked):
        echo("Documents rejected in the baseline audit must be removed (or re-reviewed with 'auditor baseline audit --all').")


def render(settings: HookSettings, result: HookResult, max_shown: int, verbose: bool, fix_options: Sequence[str] = ()) -> int:
    """Print the hook's result on stdout and return its exit code.

    Files that pass are reported when they have skipped records (pre-commit shows a
    passing hook's output with --verbose), and always with ``verbose``.
    """
    if verbose:
        for path in result.ignored:
            echo(f"{path}: not a data file, ignored")
    for verdict in result.files:
        if verdict.blocked:
            _echo_verdict(settings, verdict, max_shown)
        elif verbose or verdict.scan.skipped:
            scan = verdict.scan
            echo(f"{relative_to_cwd(settings, scan.key)}: ok: {plural(scan.documents, 'document')}, "
                 f"{plural(len(scan.flagged), 'finding')} ({verdict.accepted} in the baseline), estimated synthetic fraction "
                 f"{fraction_text(scan.fraction)}, fail-above {scan.fail_above:g}{_skipped(scan)}")
    blocked = result.blocked
    if blocked:
        _echo_fix(settings, blocked, fix_options)
    if result.rewritten:
        baseline = os.path.relpath(settings.baseline_path)
        echo(f"auditor: the baseline {baseline} was out of date: {'; '.join(result.stale)}.")
        echo(f"It has been rewritten with the current model and settings ({plural(len(result.rescored), 'file')} rescored, "
             f"statuses kept, nothing new accepted): review it and 'git add {baseline}'.")
        return EXIT_BASELINE_REWRITTEN
    return EXIT_FINDING if blocked else 0


@click.command("hook")
@click.argument("files", nargs=-1, type=click.Path())
@settings_options
@click.option("--max-shown", type=click.IntRange(min=0), default=10, show_default=True, help="Findings listed per file (0: all).")
@click.option("--verbose", is_flag=True, help="Also report files that pass, and files ignored.")
@handle_errors
def hook_command(files: tuple[str, ...], config: str | None, baseline: str | None, model: str | None, threshold: float | None,
                 method: str | None, fail_above: float | None, debug: bool, max_shown: int, verbose: bool) -> None:
    """Block a commit that adds machine-written text the baseline does not accept.

    The pre-commit entry point: FILES are the staged data files. Settings come
    from [tool.auditor] in pyproject.toml or from .auditor.toml. Exit codes:
    0 nothing new; 1 new findings (listed with file:line, id, scores and why):
    documents whose posterior given the file (p_machine_given_corpus) exceeds the
    threshold, and, when the lower end of the file's interval is over fail-above,
    the documents whose removal brings the rest within it;
    2 error; 3 the baseline was out of date and has been rewritten (git add it).

    \b
    Example (.pre-commit-config.yaml):
      - repo: https://github.com/<org>/auditor
        rev: <tag>
        hooks: [{id: auditor}]
    """
    settings = hook_settings()
    result = run_hook(list(files), settings)
    given = {"--config": config, "--baseline": baseline, "--model": model, "--threshold": threshold, "--method": method,
             "--fail-above": fail_above}
    fix_options = [part for flag, value in given.items() if value is not None for part in (flag, str(value))]
    sys.exit(render(settings, result, max_shown, verbose, fix_options))
