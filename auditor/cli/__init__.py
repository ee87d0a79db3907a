"""Command-line interface: a thin Click layer over the library.

Each command parses options, builds one frozen options object, calls one
library function, renders the result and picks the exit code. Exit codes:
0 clean; 1 a threshold was exceeded (a finding); 2 usage, input or
configuration error (never Click's default 1); 3 a hook baseline was rewritten.
"""

from __future__ import annotations

import signal
import sys

import click

from auditor import __version__
from auditor.cli._common import EXIT_ERROR
from auditor.cli.filter import filter_command
from auditor.cli.fingerprint import fingerprint_command
from auditor.cli.index import index_group
from auditor.cli.model import evaluate_command, train_command
from auditor.cli.project import project_command
from auditor.cli.report import report_command
from auditor.cli.scan import scan_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit a text corpus for machine-generated content before training on it.

    \b
    Example:
      auditor scan sample_data/ --out audit/
    """


for _command in (scan_command, fingerprint_command, project_command, train_command, evaluate_command, index_group, report_command, filter_command):
    cli.add_command(_command)


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
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else 0)
