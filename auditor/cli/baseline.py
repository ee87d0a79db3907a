"""``auditor baseline create|update|audit``: the findings a data repository accepts."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from auditor.cli.options import config_option, hook_settings, resolve_settings, settings_options
from auditor.cli.output import echo, echo_json, handle_errors
from auditor.errors import ConfigError
from auditor.hook.baseline import ACCEPTED, REJECTED, UNREVIEWED, Baseline
from auditor.hook.run import relative_to_cwd
from auditor.hook.settings import HookSettings
from auditor.hook.update import Located, UpdateResult, locate, update_baseline
from auditor.report.text import plural

EXCERPT_CHARS = 600
_CHOICES = {"a": ACCEPTED, "r": REJECTED}


@click.group("baseline")
def baseline_group() -> None:
    """Record, update and review the findings a data repository accepts.

    The baseline (.auditor-baseline.json) lists findings by file and content
    hash with their scores, the model's SHA-256 and the settings; 'auditor
    hook' blocks only findings it does not hold.
    """


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--json`` (the outcome as one JSON document on stdout) and ``--quiet`` (no summary on stderr) of the baseline commands."""
    command = click.option("--quiet", is_flag=True, help="No summary on stderr (the audit's findings and questions still show).")(command)
    return click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")(command)


def _report(verb: str, settings: HookSettings, result: UpdateResult, as_json: bool, quiet: bool) -> None:
    if as_json:
        echo_json({"baseline": os.path.relpath(settings.baseline_path), **result.to_dict()})
    if not quiet:
        _summary(verb, settings, result)


def _summary(verb: str, settings: HookSettings, result: UpdateResult) -> None:
    baseline = result.baseline
    documents = sum(scan.documents for scan in result.scanned)
    counts = baseline.counts()
    echo(
        f"{verb} {os.path.relpath(settings.baseline_path)}: scanned {plural(len(result.scanned), 'file')} ({plural(documents, 'document')}) with model "
        f"{baseline.model['name']} at p_synthetic >= {baseline.settings['threshold']}: {result.added} findings added, "
        f"{result.removed} removed, {result.kept} kept; {sum(counts.values())} in total "
        f"({counts[UNREVIEWED]} unreviewed, {counts[ACCEPTED]} accepted, {counts[REJECTED]} rejected)",
        err=True,
    )
    if result.rescored:
        echo(f"  the previous baseline was made with another model or other settings: {plural(len(result.rescored), 'other file')} "
             "it named rescored (statuses kept, nothing added)", err=True)
    if result.ignored:
        echo(f"  ignored {len(result.ignored)} files that are not data files (first: {result.ignored[0]})", err=True)
    if counts[UNREVIEWED]:
        echo("  review the unreviewed findings with 'auditor baseline audit'", err=True)


@baseline_group.command("create")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--force", is_flag=True, help="Replace an existing baseline (its reviews are lost).")
@settings_options
@output_options
@handle_errors
def create_command(paths: tuple[str, ...], force: bool, config: str | None, baseline: str | None, model: str | None,
                   threshold: float | None, method: str | None, fail_above: float | None, debug: bool, as_json: bool,
                   quiet: bool) -> None:
    """Record every current finding of PATHS as accepted-until-reviewed.

    PATHS default to the repository's data files (git ls-files: tracked and
    untracked, not ignored). Refuses to replace an existing baseline without --force.
    """
    settings = hook_settings()
    if settings.baseline_path.exists() and not force:
        raise ConfigError(f"{os.path.relpath(settings.baseline_path)} exists: 'auditor baseline update' keeps its reviews; "
                          "--force replaces it")
    _report("created", settings, update_baseline(list(paths), settings, create=True), as_json, quiet)


@baseline_group.command("update")
@click.argument("paths", nargs=-1, type=click.Path())
@settings_options
@output_options
@handle_errors
def update_command(paths: tuple[str, ...], config: str | None, baseline: str | None, model: str | None,
                   threshold: float | None, method: str | None, fail_above: float | None, debug: bool, as_json: bool,
                   quiet: bool) -> None:
    """Accept the current findings of PATHS, keeping the reviews of those already recorded.

    New findings are recorded as unreviewed (accepted until 'auditor baseline
    audit' says otherwise); findings that are gone are dropped. PATHS default
    to the repository's data files. Creates the baseline when there is none.
    """
    settings = hook_settings()
    _report("updated", settings, update_baseline(list(paths), settings), as_json, quiet)


@baseline_group.command("audit")
@click.option("--accept-all", is_flag=True, help="Mark every finding under review accepted, without asking (for CI).")
@click.option("--all", "review_all", is_flag=True, help="Review every finding, not only the unreviewed ones.")
@config_option
@click.option("--baseline", default=None, type=click.Path(dir_okay=False), help="Baseline file  [default: from the settings].")
@output_options
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def audit_command(accept_all: bool, review_all: bool, config: str | None, baseline: str | None, as_json: bool, quiet: bool,
                  debug: bool) -> None:
    """Walk the findings and mark each accepted or rejected.

    Shows each finding's file, line, id, score and text, and asks: [a]ccept,
    [r]eject (the hook then blocks the file until the document is removed),
    [s]kip, [q]uit. Every answer is saved at once. With --json the walk and
    its questions go to stderr, so that stdout holds the JSON alone.
    """
    settings = resolve_settings({"baseline": "baseline"})
    path = settings.baseline_path
    if not path.exists():
        raise ConfigError(f"{os.path.relpath(path)} does not exist: create it with 'auditor baseline create'")
    recorded = Baseline.load(path)
    queue = [(key, digest, finding) for key, digest, finding in recorded.findings() if review_all or finding.status == UNREVIEWED]
    if accept_all:
        for key, digest, _ in queue:
            recorded.with_status(key, digest, ACCEPTED)
        recorded.save(path)
        _audited(f"accepted {plural(len(queue), 'finding')} in {os.path.relpath(path)}", path, len(queue), recorded, as_json, quiet)
        return
    decided = 0
    texts: dict[str, dict[str, Located]] = {}
    for number, (key, digest, finding) in enumerate(queue, 1):
        if key not in texts:
            texts[key] = locate(settings, key, [d for k, d, _ in queue if k == key])
        found = texts[key].get(digest)
        where = f"{relative_to_cwd(settings, key)}:{found.record}" if found else relative_to_cwd(settings, key)
        echo(f"[{number}/{len(queue)}] {where} id={finding.id} p_synthetic={finding.p_synthetic:.4f} ({finding.status})", err=as_json)
        if found is None:
            echo("    no longer in the file ('auditor baseline update' drops it)", err=as_json)
        else:
            excerpt = found.text[:EXCERPT_CHARS] + (" [...]" if len(found.text) > EXCERPT_CHARS else "")
            for line in excerpt.split("\n"):  # the text's own lines, each shown escaped
                echo("    " + line, err=as_json)
        try:
            answer = click.prompt("[a]ccept, [r]eject, [s]kip, [q]uit", type=click.Choice(["a", "r", "s", "q"]), show_choices=False,
                                  err=as_json)
        except click.exceptions.Abort:  # end of input: keep what was decided
            echo(err=True)
            break
        if answer == "q":
            break
        if answer in _CHOICES:
            recorded.with_status(key, digest, _CHOICES[answer])
            recorded.save(path)
            decided += 1
    counts = recorded.counts()
    _audited(f"reviewed {plural(decided, 'finding')}: {counts[ACCEPTED]} accepted, {counts[REJECTED]} rejected, "
             f"{counts[UNREVIEWED]} unreviewed in {os.path.relpath(path)}", path, decided, recorded, as_json, quiet)


def _audited(line: str, path: Path, decided: int, recorded: Baseline, as_json: bool, quiet: bool) -> None:
    """The audit's outcome: ``line`` on stderr unless ``quiet``; with ``as_json`` the findings decided now and by status."""
    if as_json:
        echo_json({"baseline": os.path.relpath(path), "decided": decided, "findings": recorded.counts()})
    if not quiet:
        echo(line, err=True)
