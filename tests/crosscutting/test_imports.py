"""Start-up cost: the modules the CLI and the pre-commit hook need import no heavy library.

pandas, scipy, scikit-learn, matplotlib and datasketch take ~3 s to import together; the hook
must finish a commit's files in less. Each is imported only inside the functions that need it.
"""

import subprocess
import sys

import pytest

HEAVY = ("pandas", "scipy", "sklearn", "matplotlib", "datasketch")
LIGHT_MODULES = (
    "auditor.io.reading", "auditor.detector.scorer", "auditor.estimate.fraction", "auditor.features.stats",
    "auditor.features.style", "auditor.features.tokens", "auditor.normalize", "auditor.cli",
)


def python_output(code: str) -> str:
    """What a fresh interpreter prints running ``code`` (nothing imported before it)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_scoring_modules_and_the_cli_import_no_heavy_library():
    imported = python_output(f"import {', '.join(LIGHT_MODULES)}; import sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert imported == "[]"


@pytest.mark.parametrize("command", ["fingerprint", "project"])
def test_invoking_a_command_imports_only_its_module(command):
    imported = python_output(
        "from click.testing import CliRunner; from auditor.cli import cli; "
        f"assert CliRunner().invoke(cli, [{command!r}, '--help']).exit_code == 0; "
        "import sys; print(sorted(m for m in sys.modules if m.startswith('auditor.cli.')))"
    )
    assert imported == str(sorted(["auditor.cli.options", "auditor.cli.output", f"auditor.cli.{command}"]))


def test_the_hook_imports_only_what_it_uses():
    # The hook scores a commit's files one by one: no shards, workers, checkpoints, writers or reports.
    imported = python_output(
        "import auditor.hook.run, auditor.cli.hook, sys; "
        "print(sorted(m for m in sys.modules if m.startswith(('auditor.corpus.', 'auditor.pipeline', 'auditor.report.', 'auditor.io.writers'))))"
    )
    assert imported == str(["auditor.corpus.batches", "auditor.corpus.parallel", "auditor.corpus.watchdog", "auditor.report.text"])
