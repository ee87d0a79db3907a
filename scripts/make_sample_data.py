#!/usr/bin/env python3
"""Regenerate the redistributable sample in ``sample_data/``.

Run from anywhere (paths are relative to the repository root)::

    python scripts/make_sample_data.py

What it writes:

* ``sample_data/human_stdlib_docstrings.jsonl`` -- human-written docstrings
  extracted with :mod:`ast` from the ``.py`` sources of the running
  interpreter's standard library (nothing is imported).
* ``sample_data/mixed.jsonl`` -- 240 human + 60 machine documents, shuffled,
  plus 3 planted near-duplicates of human documents (303 in total).
* ``sample_data/PSF-LICENSE`` -- the CPython licence file shipped
  with the same interpreter (the notice that must accompany the docstrings).

It reads ``sample_data/machine_docstrings.jsonl``, which is hand-written input
(machine-generated text written for this project), not generated here.

Only the standard library is used, so the script runs before the project is
installed.  Output is deterministic for a given interpreter version: the
stdlib sources are walked in sorted order, candidates are sorted by id and
every random choice uses a fixed seed.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import platform
import random
import re
import shutil
import sys
import sysconfig
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "sample_data"
HUMAN_PATH = OUT_DIR / "human_stdlib_docstrings.jsonl"
MACHINE_PATH = OUT_DIR / "machine_docstrings.jsonl"
MIXED_PATH = OUT_DIR / "mixed.jsonl"
LICENSE_COPY = OUT_DIR / "PSF-LICENSE"

SEED = 2026
N_HUMAN = 300
N_MIXED_HUMAN = 240
N_MIXED_MACHINE = 60
N_PLANTED = 3

MIN_CHARS = 400
MAX_CHARS = 4000
MAX_CODE_FRACTION = 0.30   # doctest / indented-code lines over non-blank lines
MIN_LETTER_FRACTION = 0.70  # letters + spaces over all characters
MAX_PER_FILE = 6            # keep the sample spread over many modules
MAX_SHINGLE_JACCARD = 0.5   # no natural near-duplicates inside the human sample

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


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def select_human(candidates: list[dict], stats: Counter) -> list[dict]:
    """Pick N_HUMAN candidates with a fixed-seed shuffle of the id-sorted list.

    Walk the shuffled list and accept a document unless its file already
    contributed MAX_PER_FILE documents or it is a near-duplicate (word
    5-gram Jaccard above MAX_SHINGLE_JACCARD) of one already accepted.
    """
    order = list(candidates)
    random.Random(SEED).shuffle(order)
    chosen: list[dict] = []
    chosen_shingles: list[set] = []
    per_file: Counter = Counter()
    for doc in order:
        if len(chosen) == N_HUMAN:
            break
        if per_file[doc["source_file"]] >= MAX_PER_FILE:
            stats["skipped_per_file_cap"] += 1
            continue
        sh = shingles(doc["text"])
        if any(jaccard(sh, other) > MAX_SHINGLE_JACCARD for other in chosen_shingles):
            stats["skipped_near_duplicate"] += 1
            continue
        chosen.append(doc)
        chosen_shingles.append(sh)
        per_file[doc["source_file"]] += 1
    if len(chosen) < N_HUMAN:
        sys.exit(f"only {len(chosen)} human documents available, need {N_HUMAN}")
    chosen.sort(key=lambda d: d["id"])
    return chosen


# Small, deterministic edits for the planted near-duplicates.  Each keeps the
# word 5-gram Jaccard similarity to the original well above 0.8.
def _append_sentence(text: str) -> tuple[str, str]:
    sentence = "See the module documentation for further details."
    return text.rstrip() + " " + sentence, f"appended sentence: {sentence!r}"


def _change_word(text: str) -> tuple[str, str]:
    # Replace the first standalone "the" (or, failing that, "a") with a
    # different determiner: a one-word substitution.
    for old, new in (("the", "this"), ("a", "one")):
        m = re.search(rf"\b{old}\b", text)
        if m:
            return text[:m.start()] + new + text[m.end():], f"word changed: {old!r} -> {new!r} at offset {m.start()}"
    return _append_sentence(text)


def _append_note(text: str) -> tuple[str, str]:
    sentence = "Note that this behaviour may change in a future release."
    return text.rstrip() + "\n\n" + sentence, f"appended sentence: {sentence!r}"


PLANT_EDITS = (_change_word, _append_sentence, _append_note)
PLANT_MIN_WORDS = 150  # long enough that one edit keeps Jaccard > 0.9


def build_mixed(human: list[dict], machine: list[dict]) -> list[dict]:
    rng = random.Random(SEED)
    human_part = rng.sample(sorted(human, key=lambda d: d["id"]), N_MIXED_HUMAN)
    machine_part = rng.sample(sorted(machine, key=lambda d: d["id"]), N_MIXED_MACHINE)

    long_enough = sorted(
        (d for d in human_part if len(re.findall(r"\w+", d["text"])) >= PLANT_MIN_WORDS),
        key=lambda d: d["id"],
    )
    if len(long_enough) < N_PLANTED:
        sys.exit("not enough long human documents to plant near-duplicates")
    planted = []
    for original, edit in zip(rng.sample(long_enough, N_PLANTED), PLANT_EDITS):
        text, description = edit(original["text"])
        dup = dict(original)
        dup["id"] = original["id"] + "-dup"
        dup["text"] = text
        dup["planted_near_duplicate_of"] = original["id"]
        dup["planted_edit"] = description
        planted.append(dup)

    mixed = human_part + machine_part + planted
    rng.shuffle(mixed)
    return mixed


def write_jsonl(path: Path, records: list[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main() -> int:
    root = stdlib_dir()
    if not MACHINE_PATH.exists():
        sys.exit(f"missing hand-written input {MACHINE_PATH}")
    stats: Counter = Counter()
    candidates = collect_candidates(root, stats)
    human = select_human(candidates, stats)
    machine = read_jsonl(MACHINE_PATH)
    if len(machine) < N_MIXED_MACHINE or any(d.get("label") != "machine" for d in machine):
        sys.exit(f"{MACHINE_PATH} must hold at least {N_MIXED_MACHINE} records labelled 'machine'")
    mixed = build_mixed(human, machine)

    OUT_DIR.mkdir(exist_ok=True)
    write_jsonl(HUMAN_PATH, human)
    write_jsonl(MIXED_PATH, mixed)
    license_src = root / "LICENSE.txt"
    if license_src.exists():
        shutil.copyfile(license_src, LICENSE_COPY)

    n_machine = sum(d["label"] == "machine" for d in mixed)
    print(f"python {platform.python_version()} stdlib: {root}")
    print(f"  files parsed: {stats['files']}, unparsable: {stats['file_unparsable']}, "
          f"skipped (third-party copyright notice): {stats['file_third_party_copyright']}")
    print(f"  docstrings seen: {stats['docstrings']}, candidates kept: {len(candidates)}")
    for key in sorted(k for k in stats if k.startswith(("rejected_", "skipped_"))):
        print(f"    {key}: {stats[key]}")
    print(f"wrote {HUMAN_PATH.relative_to(ROOT)}: {len(human)} documents")
    print(f"read  {MACHINE_PATH.relative_to(ROOT)}: {len(machine)} documents")
    print(f"wrote {MIXED_PATH.relative_to(ROOT)}: {len(mixed)} documents "
          f"({len(mixed) - n_machine} human incl. {N_PLANTED} planted near-duplicates, {n_machine} machine; "
          f"machine fraction {n_machine}/{len(mixed)} = {n_machine / len(mixed):.6f})")
    if license_src.exists():
        print(f"wrote {LICENSE_COPY.relative_to(ROOT)} (copy of {license_src})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
