"""The package type-checks: mypy (configured in pyproject.toml, [tool.mypy]) finds no error, and
every ``# type: ignore`` left in it names its error codes and says why it is needed."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "auditor"

# ``# type: ignore[code, ...]  # reason``: the codes in brackets, then a comment saying why.
_IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<rest>.*)")
_EXPLAINED = re.compile(r"\[\s*[a-z][a-z0-9-]*(\s*,\s*[a-z][a-z0-9-]*)*\s*\]\s*#\s*\S")


def test_mypy_finds_no_error():
    pytest.importorskip("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"mypy failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"


def _ignores(path: Path) -> list[tuple[int, str]]:
    """``(line, comment)`` of every comment of ``path`` holding ``type: ignore`` (comments only, not strings)."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return [(token.start[0], token.string) for token in tokens
            if token.type == tokenize.COMMENT and _IGNORE.search(token.string)]


def test_every_type_ignore_names_its_codes_and_a_reason():
    unexplained = [f"{path.relative_to(ROOT)}:{line}: {comment}"
                   for path in sorted(PACKAGE.rglob("*.py"))
                   for line, comment in _ignores(path)
                   if not _EXPLAINED.match(_IGNORE.search(comment)["rest"])]
    assert not unexplained, ("each '# type: ignore' needs its error codes and a reason, as in "
                             "'# type: ignore[attr-defined]  # why':\n" + "\n".join(unexplained))
