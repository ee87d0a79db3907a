"""--max-doc-chars: long documents cut for the features, counted, and never held whole."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.errors import InputError
from auditor.io.documents import DEFAULT_MAX_DOC_CHARS, ReaderOptions
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents

WORDS = "the quick brown fox jumps over the lazy dog and keeps running through the field "


def read(paths: list[Path], **options) -> tuple[list, dict]:
    report = ReadReport()
    docs = list(read_documents([str(p) for p in paths], ReaderOptions(**options), report))
    return docs, report.to_dict()


def test_a_long_jsonl_line_is_cut_and_counted_with_the_fields_before_its_text(tmp_path):
    path = tmp_path / "c.jsonl"
    long_text = WORDS * 2000  # 164k characters
    lines = [{"id": "first", "source": "s", "text": long_text, "after": "lost"}, {"text": "short document here"},
             {"text": "caf\u00e9 " * 50_000, "id": "after-the-text"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    docs, report = read([path], max_doc_chars=1000, extra_fields=("source", "after"))
    assert [d.id for d in docs] == ["first", f"{path}:2", f"{path}:3"]  # an id after a cut text is out of reach
    assert docs[0].text == long_text[:1000] and docs[0].fields == {"source": "s", "after": None}
    assert docs[2].text == ("caf\u00e9 " * 50_000)[:1000]
    assert report["repaired"]["by_reason"] == {"truncated": 2}
    assert report["examples"][0]["detail"] == f"a line of {len(json.dumps(lines[0])) + 1:,} bytes; features use the first 1,000 characters of its text"


def test_long_lines_that_cannot_give_a_text(tmp_path):
    path = tmp_path / "c.jsonl"
    rows = [json.dumps({"meta": "x" * 200_000, "text": "too late"}), json.dumps({"text": list(range(50_000))}),
            "[" * 200_000, json.dumps({"text": "fine"})]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    docs, report = read([path], max_doc_chars=100)
    assert [d.text for d in docs] == ["fine"]
    assert report["skipped"]["by_reason"] == {"record_too_large": 1, "non_string_text": 1, "invalid_json": 1}
    assert report["examples"][0]["detail"].startswith(f"a line of {len(rows[0]) + 1:,} bytes whose 'text' field does not start in its first ")


def test_long_txt_files_and_compressed_lines_are_cut(tmp_path):
    text = "\ufeff" + "h\u00e9llo w\u00f6rld " * 30_000
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    with gzip.open(tmp_path / "b.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": text[1:]}, ensure_ascii=False) + "\n" + json.dumps({"text": "next line"}) + "\n")
    docs, report = read([tmp_path / "a.txt", tmp_path / "b.jsonl.gz"], max_doc_chars=777)
    assert [d.text for d in docs] == [text[1:778]] * 2 + ["next line"]  # no BOM, no character cut in half
    assert report["repaired"]["by_reason"] == {"truncated": 2}


def test_csv_and_parquet_cells_are_cut_too(tmp_path):
    long_text = WORDS * 100
    (tmp_path / "a.csv").write_text("id,text\n1," + long_text + "\n2,short text\n", encoding="utf-8")
    pq.write_table(pa.table({"text": [long_text, "short text"]}), tmp_path / "b.parquet")
    docs, report = read([tmp_path / "a.csv", tmp_path / "b.parquet"], max_doc_chars=500)
    assert [len(d.text) for d in docs] == [500, 10, 500, 10]
    assert report["repaired"]["by_reason"] == {"truncated": 2}


def test_limits_do_not_apply_when_records_are_written_back_whole_and_strict_accepts_them(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"text": WORDS * 100}) + "\n", encoding="utf-8")
    docs, report = read([path], max_doc_chars=10, all_fields=True)
    assert docs[0].text == WORDS * 100 and report["repaired"]["total"] == 0
    docs, report = read([path], max_doc_chars=10, strict=True)  # a cut for the features is not a defect of the data
    assert docs[0].text == WORDS[:10] and report["repaired"]["by_reason"] == {"truncated": 1}
    assert len(read([path], max_doc_chars=None)[0][0].text) == len(WORDS) * 100


@pytest.mark.parametrize("value", [0, -5, True, 2.5])
def test_max_doc_chars_must_be_a_positive_count(value):
    with pytest.raises(ValueError, match="max_doc_chars must be a positive number of characters"):
        ReaderOptions(max_doc_chars=value)


def test_memory_stays_bounded_on_a_huge_single_document(tmp_path):
    """A 96 MB JSONL line and a 96 MB text file: Python allocations stay near what the limit keeps."""
    line = tmp_path / "one.jsonl"
    with open(line, "w", encoding="utf-8") as handle:
        handle.write('{"id": "big", "text": "')
        for _ in range(96):
            handle.write((WORDS * 13_000)[: 1 << 20])
        handle.write('"}\n')
    text = tmp_path / "one.txt"
    with open(text, "w", encoding="utf-8") as handle:
        for _ in range(96):
            handle.write((WORDS * 13_000)[: 1 << 20])
    for path in (line, text):
        tracemalloc.start()
        docs, report = read([path])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(docs) == 1 and len(docs[0].text) == DEFAULT_MAX_DOC_CHARS
        assert report["repaired"]["by_reason"] == {"truncated": 1}
        assert peak < 40 * 2**20, f"{path.name}: {peak / 2**20:.0f} MB allocated at the peak"


def test_cli_flag_and_counts_in_the_summary(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"text": WORDS * n}) + "\n" for n in (1, 3, 30)), encoding="utf-8")
    result = CliRunner().invoke(cli, ["fingerprint", str(path), "--out", str(tmp_path / "f.parquet"), "--max-doc-chars", "200", "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["repaired"] == {"total": 2, "by_reason": {"truncated": 2}}
    result = CliRunner().invoke(cli, ["scan", str(path), "--out", str(tmp_path / "o"), "--max-doc-chars", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--max-doc-chars': 0 is not in the range x>=1." in result.output


def test_input_error_still_names_the_file(tmp_path):
    with pytest.raises(InputError, match="missing.jsonl"):
        read([tmp_path / "missing.jsonl"], max_doc_chars=10)
