"""Shell completion through the installed ``auditor`` console script (Click's ``_AUDITOR_COMPLETE``), as the README documents it.

The script is the one ``pip install`` put beside this interpreter (``sysconfig``'s scripts directory, as
tests/hook/test_precommit.py finds it), run in a subprocess: completion goes through ``auditor.cli.main``,
whose ``standalone_mode=False`` and lazy command loading must not get in its way.
"""

from __future__ import annotations

import os
import subprocess
import sysconfig
from pathlib import Path

SCRIPTS = sysconfig.get_path("scripts")
AUDITOR = Path(SCRIPTS) / "auditor"


def complete(instruction: str, words: str = "", cword: int = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "_AUDITOR_COMPLETE": instruction, "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    return subprocess.run([str(AUDITOR)], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_bash_source_prints_a_completion_function_that_completes_subcommands(tmp_path):
    assert AUDITOR.is_file(), f"{AUDITOR}: the console script is not installed (pip install -e .)"
    script = complete("bash_source")
    assert (script.returncode, script.stderr) == (0, "")
    assert script.stdout.startswith("_auditor_completion() {\n")
    assert "complete -o nosort -F _auditor_completion auditor\n" in script.stdout
    # The function bash would call on TAB, run by bash itself: `auditor sc<TAB>` offers scan.
    (tmp_path / "auditor.bash").write_text(script.stdout, encoding="utf-8")
    driver = ('. "$1"; COMP_WORDS=(auditor sc); COMP_CWORD=1; _auditor_completion auditor; printf "%s\\n" "${COMPREPLY[@]}"; '
              'COMP_WORDS=(auditor baseline u); COMP_CWORD=2; COMPREPLY=(); _auditor_completion auditor; printf "%s\\n" "${COMPREPLY[@]}"')
    env = {**os.environ, "PATH": SCRIPTS + os.pathsep + os.environ.get("PATH", "")}
    offered = subprocess.run(["bash", "-c", driver, "bash", str(tmp_path / "auditor.bash")], env=env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert (offered.returncode, offered.stderr) == (0, "")
    assert offered.stdout == "scan\nupdate\n"


def test_completion_answers_and_the_other_shells_scripts():
    assert complete("bash_complete", "auditor sc", 1).stdout == "plain,scan\n"
    assert complete("bash_complete", "auditor project --gen", 2).stdout == "plain,--generations\n"
    assert complete("bash_complete", "auditor report --js", 2).stdout == "plain,--json\n"
    zsh = complete("zsh_source")
    assert zsh.returncode == 0 and zsh.stdout.startswith("#compdef auditor\n")
    fish = complete("fish_source")
    assert fish.returncode == 0 and "complete --no-files --command auditor --arguments" in fish.stdout
