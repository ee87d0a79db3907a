"""The corpus the filter tests split: JSONL, CSV, Parquet and text files with every kind of field and bad record.

Shared by tests/pipeline/test_filter.py (what ``auditor filter`` keeps, rejects and writes) and
tests/cli/test_filter.py (its usage errors). Each module scans the corpus once, in its own ``scanned``
fixture, with :func:`scan_corpus`.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from auditor.cli import cli
from auditor.pipeline.scan import ScanOptions, scan

SENTENCES = [
    "The old lighthouse keeper wrote letters to his sister every winter, describing the storms that battered the coast.",
    "Our neighbours planted tomatoes along the fence this spring, and by August the vines had climbed into our garden.",
    "A group of volunteers repaired the footbridge over the creek after the flood washed away two of its planks.",
    "She learned to play the cello at forty, practising for an hour each evening after the children had gone to bed.",
    "The bakery on the corner sells rye bread on Tuesdays only, so a queue forms outside before the doors open at seven.",
    "On the long train journey north, two strangers found they had attended the same school decades apart.",
    "Rain fell steadily through the night, filling the barrels and turning the track to the farm into thick mud.",
    "The museum reopened its mineral gallery with new lighting that makes the quartz crystals glitter like ice.",
    "Every player on the youth football team received a medal, although only three of them had scored all season.",
    "My grandfather kept a notebook of the birds he saw from his kitchen window, with dates going back fifty years.",
    "The ferry was delayed by fog, so the passengers drank coffee in the harbour cafe and watched the gulls squabble.",
    "Researchers counted the frogs in the pond each March and saw the numbers rise once the reeds were left to grow.",
]
DUPLICATE = (
    "When the power failed across the valley on Sunday evening, the families on our street carried candles and "
    "blankets into the church hall, where the caretaker lit the old wood stove and somebody found a guitar, and "
    "nobody seemed in any hurry to go home even after the lights came back on shortly before midnight."
)
ROW_MISSING_TEXT = json.dumps({"id": "m1", "body": "no text field here"})


def text(i: int) -> str:
    """Document i (0-12): two of the sentences, a different pair for each i."""
    first = i % len(SENTENCES)
    return f"{SENTENCES[first]} {SENTENCES[(first + 1 + i // len(SENTENCES) * 5) % len(SENTENCES)]}"


def jsonl_records() -> list[dict]:
    records = []
    for i in range(9):
        records.append({
            "id": f"j{i}",
            "text": text(i),
            "meta": {"author": {"name": f"writer {i}", "age": 30 + i}, "tags": ["essay", f"t{i % 3}"]},
            "score": i,
            "ratio": 0.25 * i,
            "ok": i % 2 == 0,
            "note": None if i % 3 else f"café – note {i}",
        })
    # The planted near-duplicates: same key set (so Parquet structs need no widening), in input order dup-a, dup-b, dup-c.
    for n, (ident, body) in enumerate((("dup-a", DUPLICATE), ("dup-b", DUPLICATE + " Truly."), ("dup-c", DUPLICATE + " Really."))):
        records.insert(2 + 3 * n, {"id": ident, "text": body, "meta": {"author": {"name": "same", "age": 50}, "tags": []},
                                   "score": 100 + n, "ratio": 1, "ok": True, "note": "near-duplicate"})
    return records


CSV_ROWS = [
    {"id": "c1", "text": text(9), "lang": "en", "score": "4"},
    {"id": "c2", "text": text(10), "lang": "en-GB", "score": ""},
]
PARQUET_ROWS = [
    {"id": "p1", "text": text(11), "year": 1999, "weights": [0.5, 1.5]},
    {"id": "p2", "text": None, "year": 2001, "weights": []},  # missing_text
    {"id": "p3", "text": text(12), "year": 2024, "weights": None},
]
TXT = "A plain text file is a document too: the note about the garden gate that squeaks whenever the wind turns east.\n"


def write_corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in jsonl_records()]
    lines[4:4] = ["{not json", ROW_MISSING_TEXT, json.dumps({"id": "e1", "text": "   "})]
    (root / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(root / "b.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "lang", "score"])
        for row in CSV_ROWS:
            writer.writerow(list(row.values()))
        writer.writerow(["c3", "a ragged row"])  # ragged_row
    pq.write_table(pa.Table.from_pylist(PARQUET_ROWS), root / "c.parquet")
    (root / "d.txt").write_text(TXT, encoding="utf-8")
    return root


def scan_corpus(tmp_path_factory, model_dir: Path) -> tuple[Path, Path]:
    """The corpus and one scan of it (with ``model_dir``): the root of the corpus and the scan directory."""
    base = tmp_path_factory.mktemp("filter")
    root = write_corpus(base / "corpus")
    out = base / "scan"
    scan([str(root)], out, ScanOptions(model=str(model_dir)))
    return root, out


def run(args):
    return CliRunner().invoke(cli, ["filter", *[str(a) for a in args]])
