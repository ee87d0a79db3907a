"""Command-line interface: a thin Click layer over the library.

Each command parses options, builds one frozen options object, calls one
library function, renders the result and picks the exit code. Exit codes:
0 clean; 1 a threshold was exceeded (a finding); 2 usage, input or
configuration error (never Click's default 1); 3 a hook baseline was rewritten.

Commands are imported when used (:class:`LazyGroup`): ``auditor hook`` runs on
every commit, so it must not pay for importing scikit-learn or matplotlib
that other commands need.
"""

from __future__ import annotations

import importlib
import importlib.util
import signal
import sys
from collections.abc import Mapping
from typing import Any

import click

from auditor import __version__
from auditor.cli.output import EXIT_ERROR, echo

# Command name -> "module:attribute" of its Click command.
COMMANDS: dict[str, str] = {
    "scan": "auditor.cli.scan:scan_command",
    "fingerprint": "auditor.cli.fingerprint:fingerprint_command",
    "project": "auditor.cli.project:project_command",
    "train": "auditor.cli.model:train_command",
    "evaluate": "auditor.cli.model:evaluate_command",
    "index": "auditor.cli.index:index_group",
    "report": "auditor.cli.report:report_command",
    "filter": "auditor.cli.filter:filter_command",
    "hook": "auditor.cli.hook:hook_command",
    "baseline": "auditor.cli.baseline:baseline_group",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use.

    Invoking a command imports only its module; ``--help`` imports all (it shows
    each one's help). Listing names imports none: shell completion of
    ``auditor sc<TAB>`` imports the scan module alone, not the training
    stack. A registered command whose module does not exist (yet) is left
    out; any other import error propagates when the command is loaded.
    """

    def __init__(self, *args: Any, lazy_commands: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # click.Group's own arguments
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        names.update(name for name, target in self.lazy_commands.items()
                     if name in self.commands or importlib.util.find_spec(target.split(":")[0]) is not None)
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            module_name, attribute = self.lazy_commands[cmd_name].split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as err:
                if err.name != module_name:  # the module exists but one of its imports is missing: a real error
                    raise
                return None
            self.add_command(getattr(module, attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit a text corpus for machine-generated content before training on it.

    \b
    Example:
      auditor scan sample_data/ --out audit/
    """


def _terminate(signum: int, frame: object) -> None:
    # Unwind (SystemExit is an exception) so context managers remove temporary files.
    raise SystemExit(128 + signum)


def main() -> None:
    """Console-script entry point.

    Ctrl-C and SIGTERM exit 130 / 143 after cleaning up temporary files; they
    never exit 1, which means "threshold exceeded".
    """
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = cli(prog_name="auditor", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
