#!/usr/bin/env python3
"""Regenerate the redistributable sample in ``sample_data/`` and the docstring test data.

Run from anywhere (paths are relative to the repository root)::

    python scripts/make_sample_data.py [--docs DIR]

What it writes:

* ``sample_data/human_python_docs.jsonl`` -- 300 pieces of human-written prose from the
  Python 3.11 documentation (What's New 2.0-3.11, HOWTOs, tutorial, FAQ, extending), read
  from the reStructuredText sources of Debian's ``python3.11-doc`` package
  (``--docs``, default ``/usr/share/doc/python3.11/html/_sources``; see
  ``python_docs_prose.py``).
* ``sample_data/mixed.jsonl`` -- 240 human + 60 machine documents, shuffled, plus 3
  planted near-duplicates of human documents (303 in total).
* ``tests/data/docstrings/human_stdlib_docstrings.jsonl`` -- 300 docstrings of the running
  interpreter's standard library (``stdlib_docstrings.py``), a second genre for the tests.
* a copy of the CPython licence (``LICENSE.txt``, the PSF licence that covers both the
  sources and the documentation) beside each.

It reads ``sample_data/machine_python_docs.jsonl`` and
``tests/data/docstrings/machine_docstrings.jsonl``, which are hand-written input
(machine-generated text written for this project), not generated here.

Only the standard library is used, so the script runs before the project is installed.
Output is deterministic for a given interpreter and documentation version: sources are
walked in sorted order, candidates are sorted by id and every random choice uses a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import python_docs_prose  # noqa: E402  (scripts/ is not a package)
import stdlib_docstrings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "sample_data"
HUMAN_PATH = OUT_DIR / "human_python_docs.jsonl"
MACHINE_PATH = OUT_DIR / "machine_python_docs.jsonl"
MIXED_PATH = OUT_DIR / "mixed.jsonl"
DOCSTRING_DIR = ROOT / "tests" / "data" / "docstrings"
DOCSTRING_HUMAN_PATH = DOCSTRING_DIR / "human_stdlib_docstrings.jsonl"
DOCSTRING_MACHINE_PATH = DOCSTRING_DIR / "machine_docstrings.jsonl"
LICENSE_NAME = "PSF-LICENSE"

SEED = 2026
N_HUMAN = 300
N_MIXED_HUMAN = 240
N_MIXED_MACHINE = 60
N_PLANTED = 3

MAX_PER_PAGE = 12           # keep the prose spread over many documentation pages
MAX_PER_MODULE = 6          # and the docstrings over many modules
MAX_SHINGLE_JACCARD = 0.5   # no natural near-duplicates inside the human sample

def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def select_human(candidates: list[dict], stats: Counter, max_per_file: int) -> list[dict]:
    """Pick N_HUMAN candidates with a fixed-seed shuffle of the id-sorted list.

    Walk the shuffled list and accept a document unless its file already
    contributed ``max_per_file`` documents or it is a near-duplicate (word
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
        if per_file[doc["source_file"]] >= max_per_file:
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
    sentence = "See the library reference for further details."
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


def read_machine(path: Path) -> list[dict]:
    if not path.exists():
        sys.exit(f"missing hand-written input {path}")
    machine = read_jsonl(path)
    if len(machine) < N_MIXED_MACHINE or any(d.get("label") != "machine" for d in machine):
        sys.exit(f"{path} must hold at least {N_MIXED_MACHINE} records labelled 'machine'")
    return machine


def copy_license(directory: Path) -> None:
    license_src = stdlib_docstrings.stdlib_dir() / "LICENSE.txt"
    if license_src.exists():
        shutil.copyfile(license_src, directory / LICENSE_NAME)
        print(f"wrote {(directory / LICENSE_NAME).relative_to(ROOT)} (copy of {license_src})")


def print_stats(stats: Counter) -> None:
    for key in sorted(k for k in stats if k.startswith(("rejected_", "skipped_"))):
        print(f"    {key}: {stats[key]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=python_docs_prose.DEFAULT_SOURCES,
                        help="the Python documentation's _sources directory")
    args = parser.parse_args()

    stats: Counter = Counter()
    human = select_human(python_docs_prose.collect(args.docs), stats, MAX_PER_PAGE)
    machine = read_machine(MACHINE_PATH)
    mixed = build_mixed(human, machine)
    OUT_DIR.mkdir(exist_ok=True)
    write_jsonl(HUMAN_PATH, human)
    write_jsonl(MIXED_PATH, mixed)
    n_machine = sum(d["label"] == "machine" for d in mixed)
    print(f"python documentation sources: {args.docs}")
    print_stats(stats)
    print(f"wrote {HUMAN_PATH.relative_to(ROOT)}: {len(human)} documents")
    print(f"read  {MACHINE_PATH.relative_to(ROOT)}: {len(machine)} documents")
    print(f"wrote {MIXED_PATH.relative_to(ROOT)}: {len(mixed)} documents "
          f"({len(mixed) - n_machine} human incl. {N_PLANTED} planted near-duplicates, {n_machine} machine; "
          f"machine fraction {n_machine}/{len(mixed)} = {n_machine / len(mixed):.6f})")
    copy_license(OUT_DIR)

    root = stdlib_docstrings.stdlib_dir()
    stats = Counter()
    candidates = stdlib_docstrings.collect_candidates(root, stats)
    docstrings = select_human(candidates, stats, MAX_PER_MODULE)
    read_machine(DOCSTRING_MACHINE_PATH)
    DOCSTRING_DIR.mkdir(parents=True, exist_ok=True)
    write_jsonl(DOCSTRING_HUMAN_PATH, docstrings)
    print(f"python {platform.python_version()} stdlib: {root}")
    print(f"  files parsed: {stats['files']}, unparsable: {stats['file_unparsable']}, "
          f"skipped (third-party copyright notice): {stats['file_third_party_copyright']}")
    print(f"  docstrings seen: {stats['docstrings']}, candidates kept: {len(candidates)}")
    print_stats(stats)
    print(f"wrote {DOCSTRING_HUMAN_PATH.relative_to(ROOT)}: {len(docstrings)} documents")
    copy_license(DOCSTRING_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
