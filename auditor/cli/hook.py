"""``auditor hook``: the pre-commit entry point."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence

import click
from click.core import ParameterSource

from auditor.cli.options import HOOK_PARAMETERS, READER_PARAMETERS, resolve_settings, settings_options
from auditor.cli.output import EXIT_FINDING, echo, echo_json, handle_errors
from auditor.hook.run import FileScan, FileVerdict, HookResult, ScoredDocument, relative_to_cwd, run_hook
from auditor.hook.settings import ENVIRONMENT, HookSettings
from auditor.hook.verdicts import REJECTED_REASON, finding_reason, hook_json
from auditor.io.documents import FORMATS
from auditor.report.text import format_counts, fraction_text, plural

EXIT_BASELINE_REWRITTEN = 3
# The hook's parameters that 'auditor baseline update' takes as the same flags.
FIX_FLAGS = {"config": "--config", "baseline": "--baseline", "model": "--model", "threshold": "--threshold", "method": "--method",
             "fail_above": "--fail-above"}


def location(settings: HookSettings, key: str, doc: ScoredDocument) -> str:
    return f"{relative_to_cwd(settings, key)}:{doc.record} id={doc.id} p_synthetic={doc.p_synthetic:.4f}"


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
    listed = [(doc, f"  {REJECTED_REASON}") for doc in verdict.rejected]
    listed += [(doc, f"  {finding_reason(doc, scan.threshold)}") for doc in verdict.new]
    shown = listed if max_shown == 0 else listed[:max_shown]
    for doc, note in shown:
        echo(f"  {location(settings, scan.key, doc)}{note}")
    if len(shown) < len(listed):
        echo(f"  ... and {len(listed) - len(shown)} more (--max-shown 0 lists them all)")


def fix_command(settings: HookSettings, blocked: Sequence[FileVerdict], given: Mapping[str, object]) -> str | None:
    """The ``auditor baseline update`` accepting the new findings of ``blocked`` (None: there are none).

    ``given``: the hook's parameters typed on the command line (``args:`` in .pre-commit-config.yaml),
    repeated so that the update records what the hook checks. The reader settings, which the
    baseline commands take from the settings and the environment only, go first as ``AUDITOR_*``
    variables (the same precedence: above the settings file).
    """
    files = [shlex.quote(relative_to_cwd(settings, v.scan.key)) for v in blocked if v.new]
    if not files:
        return None
    variables = [f"{ENVIRONMENT[setting]}={shlex.quote(str(given[parameter]))}"
                 for setting, parameter in READER_PARAMETERS.items() if given.get(parameter) is not None]
    flags = [part for parameter, flag in FIX_FLAGS.items() if given.get(parameter) is not None
             for part in (flag, shlex.quote(str(given[parameter])))]
    return " ".join([*variables, "auditor", "baseline", "update", *flags, *files])


def _echo_fix(settings: HookSettings, blocked: Sequence[FileVerdict], command: str | None) -> None:
    baseline = os.path.relpath(settings.baseline_path)
    echo(f"auditor: {plural(len(blocked), 'file')} with machine-written text beyond what {baseline} accepts.")
    if command is not None:
        echo("Fix: remove the listed documents, or accept them with")
        echo(f"  {command}")
        echo(f"and commit {baseline} (review accepted findings with 'auditor baseline audit').")
    if any(v.rejected for v in blocked):
        echo("Documents rejected in the baseline audit must be removed (or re-reviewed with 'auditor baseline audit --all').")


def exit_code(result: HookResult) -> int:
    """The hook's contract: 3 the baseline was rewritten, else 1 a file blocks, else 0."""
    if result.rewritten:
        return EXIT_BASELINE_REWRITTEN
    return EXIT_FINDING if result.blocked else 0


def render(settings: HookSettings, result: HookResult, max_shown: int, verbose: bool, fix: str | None = None, quiet: bool = False) -> int:
    """Print the hook's result on stdout and return its exit code.

    Files that pass are reported when they have skipped records (pre-commit shows a
    passing hook's output with --verbose), and always with ``verbose``; the auditor's
    own outputs, skipped, always. ``quiet`` prints only what explains a failure: the
    blocked files, the fix and a rewritten baseline (a commit must not fail unexplained).
    """
    if verbose:
        for path in result.ignored:
            echo(f"{path}: not a data file, ignored")
    if not quiet:
        for path, kind in result.outputs.items():
            echo(f"{path}: skipped (auditor output: {kind})")
    for verdict in result.files:
        if verdict.blocked:
            _echo_verdict(settings, verdict, max_shown)
        elif verbose or (verdict.scan.skipped and not quiet):
            scan = verdict.scan
            echo(f"{relative_to_cwd(settings, scan.key)}: ok: {plural(scan.documents, 'document')}, "
                 f"{plural(len(scan.flagged), 'finding')} ({verdict.accepted} in the baseline), estimated synthetic fraction "
                 f"{fraction_text(scan.fraction)}, fail-above {scan.fail_above:g}{_skipped(scan)}")
    if result.blocked:
        _echo_fix(settings, result.blocked, fix)
    if result.rewritten:
        baseline = os.path.relpath(settings.baseline_path)
        echo(f"auditor: the baseline {baseline} was out of date: {'; '.join(result.stale)}.")
        echo(f"It has been rewritten with the current model and settings ({plural(len(result.rescored), 'file')} rescored, "
             f"statuses kept, nothing new accepted): review it and 'git add {baseline}'.")
    return exit_code(result)


@click.command("hook")
@click.argument("files", nargs=-1, type=click.Path())
@settings_options
@click.option("--text-field", default=None,
              help="Field / column holding the text  [default: text-field of the settings, else text].")
@click.option("--id-field", default=None, help="Field / column holding a document id  [default: id-field of the settings, else id when present].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Input format  [default: format of the settings, else auto: from each file's extension].")
@click.option("--max-shown", type=click.IntRange(min=0), default=10, show_default=True, help="Findings listed per file (0: all).")
@click.option("--verbose", is_flag=True, help="Also report files that pass, and files ignored.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout instead: every file's verdict and finding.")
@click.option("--quiet", is_flag=True, help="Print nothing on success; on failure only the blocked files, the fix and a rewritten baseline.")
@handle_errors
def hook_command(files: tuple[str, ...], config: str | None, baseline: str | None, model: str | None, threshold: float | None,
                 method: str | None, fail_above: float | None, debug: bool, text_field: str | None, id_field: str | None,
                 fmt: str | None, max_shown: int, verbose: bool, as_json: bool, quiet: bool) -> None:
    """Block a commit that adds machine-written text the baseline does not accept.

    The pre-commit entry point: FILES are the staged data files. Settings come
    from [tool.auditor] in pyproject.toml or from .auditor.toml (text-field,
    id-field and format too). Exit codes:
    0 nothing new; 1 new findings (listed with file:line, id, scores and why):
    documents whose posterior given the file (p_machine_given_corpus) exceeds the
    threshold, and, when the lower end of the file's interval is over fail-above,
    the documents whose removal brings the rest within it;
    2 error; 3 the baseline was out of date and has been rewritten (git add it).
    The auditor's own outputs (a scan's directory, fingerprint tables, the
    baseline, a model, ...) are recognised by their content, skipped and listed.

    \b
    Example (.pre-commit-config.yaml):
      - repo: https://github.com/<org>/auditor
        rev: <tag>
        hooks: [{id: auditor}]
    """
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose contradict each other; give one of them")
    settings = resolve_settings({**HOOK_PARAMETERS, **READER_PARAMETERS})
    result = run_hook(list(files), settings)
    ctx = click.get_current_context()
    typed = {name: value for name, value in ctx.params.items() if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE}
    fix = fix_command(settings, result.blocked, typed)
    if as_json:
        echo_json(hook_json(settings, result, exit_code(result), fix))
        sys.exit(exit_code(result))
    sys.exit(render(settings, result, max_shown, verbose, fix, quiet))
