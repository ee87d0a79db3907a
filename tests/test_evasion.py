"""Evasion by invisible characters and look-alike letters: scores unchanged, presence counted and reported."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner

from auditor.cli import cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
LOOKALIKES = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445", "A": "\u0410", "O": "\u041e"}
INVISIBLE = ("\u200b", "\u200d", "\u2060", "\ufeff")  # zero-width space and joiner, word joiner, BOM


def disguise(text: str, rng: random.Random) -> tuple[str, int]:
    """``text`` with a third of its a/e/o/p/c/x letters swapped for Cyrillic ones and invisible
    characters slipped between letters; and how many characters were changed or added."""
    out, changed = [], 0
    for i, char in enumerate(text):
        if char in LOOKALIKES and rng.random() < 0.33:
            out.append(LOOKALIKES[char])
            changed += 1
        else:
            out.append(char)
        if char.isascii() and char.isalpha() and i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalpha() \
                and rng.random() < 0.05:
            out.append(rng.choice(INVISIBLE))
            changed += 1
    return "".join(out), changed


def test_disguised_documents_score_the_same_and_are_counted(tmp_path):
    records = []
    for name in ("machine_docstrings.jsonl", "human_stdlib_docstrings.jsonl"):
        records += [json.loads(line) for line in (SAMPLE / name).read_text(encoding="utf-8").splitlines()[:40]]
    rng = random.Random(7)
    disguised, expected = [], []
    for record in records:
        text, changed = disguise(record["text"], rng)
        disguised.append({**record, "text": text})
        expected.append(changed)
    assert sum(expected) > 1000
    for name, rows in (("plain", records), ("disguised", disguised)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        result = CliRunner().invoke(cli, ["scan", str(tmp_path / f"{name}.jsonl"), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    plain = pq.read_table(tmp_path / "plain" / "documents.parquet").to_pandas()
    masked = pq.read_table(tmp_path / "disguised" / "documents.parquet").to_pandas()
    assert (masked["p_synthetic"] - plain["p_synthetic"]).abs().max() <= 1e-9
    assert masked["dup_cluster"].fillna(-1).tolist() == plain["dup_cluster"].fillna(-1).tolist()
    assert plain["evasion_chars"].sum() == 0
    assert masked["evasion_chars"].tolist() == expected
    summary = json.loads((tmp_path / "disguised" / "summary.json").read_text(encoding="utf-8"))
    assert summary["evasion"]["documents"] == sum(1 for n in expected if n) and summary["evasion"]["characters"] == sum(expected)
    documents, characters = f"{summary['evasion']['documents']:,}", f"{summary['evasion']['characters']:,}"
    assert f"evasion characters: {documents} documents hold {characters} invisible or look-alike characters" in result.output
    assert f"- **Evasion characters:** {documents} documents hold {characters} invisible" in (tmp_path / "disguised" / "report.md").read_text()
    assert f"Evasion characters: {documents} documents hold {characters}" in (tmp_path / "disguised" / "report.html").read_text()
    plain_summary = json.loads((tmp_path / "plain" / "summary.json").read_text(encoding="utf-8"))
    assert plain_summary["evasion"]["documents"] == 0
    assert "Evasion characters" not in (tmp_path / "plain" / "report.md").read_text()
