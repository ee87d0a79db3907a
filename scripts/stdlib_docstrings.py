"""Human-written docstrings from the running interpreter's standard library (used by ``make_sample_data.py``).

Extracted with :mod:`ast` from the ``.py`` sources (nothing is imported). Files carrying a
copyright notice of a holder other than the PSF, test suites, generated files, licence
boilerplate and docstrings that are mostly code are left out, so that every docstring is
PSF-licensed prose.
"""

from __future__ import annotations

import ast
import inspect
import os
import platform
import re
import sysconfig
from collections import Counter
from pathlib import Path

MIN_CHARS = 400
MAX_CHARS = 4000
MAX_CODE_FRACTION = 0.30   # doctest / indented-code lines over non-blank lines
MIN_LETTER_FRACTION = 0.70  # letters + spaces over all characters

HUMAN_SOURCE = "python-stdlib-docstrings"

# Directory names skipped anywhere in the tree: test suites, IDLE, lib2to3,
# third-party packages, bytecode caches, bundled wheels, demos, generated data.
SKIP_DIRS = {
    "test", "tests", "idlelib", "lib2to3", "site-packages", "dist-packages",
    "__pycache__", "ensurepip", "turtledemo", "pydoc_data", "__phello__",
}
SKIP_DIR_PREFIXES = ("config-",)  # build configuration (python-config etc.)
SKIP_FILE_PREFIXES = ("_sysconfigdata",)  # generated at build time

# Text that marks licence boilerplate or generated content.
BOILERPLATE_RE = re.compile(
    r"copyright|all rights reserved|permission is hereby granted|"
    r"permission to use, copy|without (?:any )?warranty|licen[cs]e agreement|"
    r"(?:file|module|code|table) (?:is|was) (?:auto-?|automatically )?generated|"
    r"generated (?:by|from|with) \S+\.(?:py|txt)|gencodec|do not edit",
    re.IGNORECASE,
)

# A copyright notice naming a holder other than the PSF (in the first lines
# of the file, or a dated notice / ``__copyright__`` anywhere): such files
# carry their author's own permission notice in addition to the PSF licence,
# so they are left out to keep the sample under one licence notice.
HEADER_LINES = 40
COPYRIGHT_RE = re.compile(r"\bcopyright\b|©", re.IGNORECASE)
# Anywhere in the file: a dated notice or a ``__copyright__`` string.
NOTICE_RE = re.compile(r"copyright\s+(?:\(c\)\s*)?\d{4}|\(c\)\s*copyright|__copyright__", re.IGNORECASE)
PSF_RE = re.compile(r"python software foundation|\bpsf\b", re.IGNORECASE)

CODE_LINE_RE = re.compile(r"[=(){}\[\];]|^\s*(?:def|class|import|from|return|if|for|while)\b")


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def iter_source_files(root: Path):
    """Yield ``.py`` files under *root* in a stable, sorted order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIP_DIRS and not d.startswith(SKIP_DIR_PREFIXES) and not d.startswith(".")
        )
        for name in sorted(filenames):
            if name.endswith(".py") and not name.startswith(SKIP_FILE_PREFIXES):
                yield Path(dirpath) / name


def has_third_party_copyright(source: str) -> bool:
    for number, line in enumerate(source.splitlines()):
        pattern = COPYRIGHT_RE if number < HEADER_LINES else NOTICE_RE
        if pattern.search(line) and not PSF_RE.search(line):
            return True
    return False


def iter_docstrings(tree: ast.Module):
    """Yield ``(qualname, docstring)`` for the module, its classes and functions.

    Definitions nested in ``if``/``try``/``with`` blocks are found too; the
    qualified name follows class and function nesting only.
    """
    doc = ast.get_docstring(tree, clean=False)
    if doc is not None:
        yield "<module>", doc

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{node.name}"
                doc = ast.get_docstring(node, clean=False)
                if doc is not None:
                    yield name, doc
                yield from visit(node.body, name + ".")
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    child = getattr(node, field, None)
                    if isinstance(child, list):
                        yield from visit(child, prefix)
                if isinstance(node, ast.Match):
                    for case in node.cases:
                        yield from visit(case.body, prefix)

    yield from visit(tree.body, "")


def code_fraction(text: str) -> float:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return 1.0
    code = 0
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith((">>>", "...")):
            code += 1
        elif line.startswith(("    ", "\t")) and CODE_LINE_RE.search(line):
            code += 1
    return code / len(lines)


def letter_fraction(text: str) -> float:
    return sum(ch.isalpha() or ch == " " for ch in text) / len(text)


def rejection_reason(text: str) -> str | None:
    if len(text) < MIN_CHARS:
        return "too_short"
    if len(text) > MAX_CHARS:
        return "too_long"
    if BOILERPLATE_RE.search(text):
        return "boilerplate_or_generated"
    if code_fraction(text) > MAX_CODE_FRACTION:
        return "mostly_code"
    if letter_fraction(text) < MIN_LETTER_FRACTION:
        return "not_prose"
    return None


def collect_candidates(root: Path, stats: Counter) -> list[dict]:
    version = platform.python_version()
    candidates: dict[str, dict] = {}
    seen_text: set[str] = set()
    for path in iter_source_files(root):
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        try:
            tree = ast.parse(data, filename=rel)
        except (SyntaxError, ValueError):
            stats["file_unparsable"] += 1
            continue
        stats["files"] += 1
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            source = data.decode("latin-1")
        if has_third_party_copyright(source):
            stats["file_third_party_copyright"] += 1
            continue
        for qualname, raw in iter_docstrings(tree):
            stats["docstrings"] += 1
            text = inspect.cleandoc(raw).strip()
            reason = rejection_reason(text)
            if reason:
                stats[f"rejected_{reason}"] += 1
                continue
            doc_id = f"stdlib:{rel}:{qualname}"
            if doc_id in candidates:  # e.g. platform-specific redefinitions
                stats["rejected_duplicate_id"] += 1
                continue
            if text in seen_text:  # the same docstring copied into two places
                stats["rejected_duplicate_text"] += 1
                continue
            seen_text.add(text)
            candidates[doc_id] = {
                "id": doc_id,
                "text": text,
                "label": "human",
                "source": HUMAN_SOURCE,
                "source_file": rel,
                "python_version": version,
            }
    return [candidates[k] for k in sorted(candidates)]
