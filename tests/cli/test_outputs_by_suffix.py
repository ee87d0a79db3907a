"""Outputs in the format their name asks for, via CliRunner: ``fingerprint --out`` as Parquet, CSV or JSONL (or
refused, exit 2), ``filter`` into new directories and as CSV/TSV, ``dup_cluster`` a nullable integer, ``row_in_file``."""

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.corpus.runner import read_metadata
from filter_corpus import run as run_filter
from filter_corpus import scan_corpus

ACCEPTED = "*.jsonl, *.ndjson, *.parquet, *.csv or *.tsv (all but *.parquet may end in .gz or .zst too)"
TEXTS = [f"document number {i} says something of its own about the {word} in the garden." for i, word in
         enumerate(["roses", "hedge", "pond", "bench", "gate"])]


def run(args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["fp.csv", "fp.tsv", "fp.jsonl", "fp.jsonl.gz"])
def test_fingerprint_writes_text_formats_with_the_summary_beside_them(corpus, tmp_path, name):
    out = tmp_path / name
    result = run(["fingerprint", corpus, "--out", out, "--json"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-3:] == [
        "near-duplicates: 0 clusters holding 0 documents (0.0%) at Jaccard >= 0.8",
        f"wrote {out}",
        f"wrote {out}.summary.json (the summary: only a Parquet file has room for it)",
    ]
    assert read_metadata(out) == json.loads(result.stdout) == json.loads((tmp_path / f"{name}.summary.json").read_text())
    if name.endswith((".csv", ".tsv")):
        with open(out, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t" if name.endswith(".tsv") else ","))
        assert [row["id"] for row in rows] == ["d0", "d1", "d2", "d3", "d4"]
        assert [(row["row"], row["record"], row["row_in_file"]) for row in rows][-1] == ("4", "5", "4")
        assert len(json.loads(rows[0]["minhash"])) == 128 and rows[0]["dup_cluster"] == ""
        assert list(rows[0])[:4] == ["source", "row", "record", "id"] and list(rows[0])[-1] == "row_in_file"
    else:
        import gzip

        opener = gzip.open if name.endswith(".gz") else open
        with opener(out, "rt", encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle]
        assert [r["id"] for r in records] == ["d0", "d1", "d2", "d3", "d4"] and records[0]["dup_cluster"] is None
        assert len(records[0]["minhash"]) == 128 and all(type(v) is int for v in records[0]["minhash"])


def test_fingerprint_parquet_keeps_its_summary_inside(corpus, tmp_path):
    out = tmp_path / "fp.parquet"
    result = run(["fingerprint", corpus, "--out", out])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == f"wrote {out}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "fp.parquet"]
    assert read_metadata(out)["documents"] == 5 and pq.read_table(out).num_rows == 5


@pytest.mark.parametrize("name", ["fp.xlsx", "fp.txt", "fp.parquet.gz", "fp"])
def test_fingerprint_refuses_a_name_no_format_answers_to(corpus, tmp_path, name):
    out = tmp_path / name
    result = run(["fingerprint", corpus, "--out", out])
    assert result.exit_code == 2
    assert result.stderr == f"error: --out {out}: unsupported output extension; name the file {ACCEPTED}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl"]


def test_row_in_file_counts_as_each_format_numbers_records(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [json.dumps({"text": TEXTS[0]}), "", "{not json", json.dumps({"text": TEXTS[1]})]
    (corpus / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(corpus / "b.csv", "w", newline="", encoding="utf-8") as handle:
        handle.write(f'id,text\r\nb1,"{TEXTS[2]}\r\nsecond line"\r\n\r\nb2,{TEXTS[3]}\r\n')
    pq.write_table(pa.table({"text": [TEXTS[4], None, TEXTS[0] + " again"]}), corpus / "c.parquet")
    (corpus / "d.txt").write_text(TEXTS[1] + " as text", encoding="utf-8")
    out = tmp_path / "fp.parquet"
    result = run(["fingerprint", corpus, "--out", out])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == f"wrote {out}"
    table = pq.read_table(out, columns=["source", "row", "record", "row_in_file"]).to_pylist()
    assert [(r["source"].rsplit("/", 1)[1], r["row"], r["record"], r["row_in_file"]) for r in table] == [
        ("a.jsonl", 0, 1, 0), ("a.jsonl", 1, 4, 3),  # lines 2 (blank) and 3 (invalid) count, as in record
        ("b.csv", 2, 2, 0), ("b.csv", 3, 5, 1),  # data rows: the first spans lines 2-3, line 4 is blank
        ("c.parquet", 4, 1, 0), ("c.parquet", 5, 3, 2),  # row 1 has no text: skipped, still a row
        ("d.txt", 6, 1, 0),
    ]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, linear_model_dir):
    return scan_corpus(tmp_path_factory, linear_model_dir)


def test_filter_creates_the_directories_it_writes_into(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "out" / "2024" / "keep.jsonl", tmp_path / "rejected" / "reject.jsonl"
    result = run_filter([root, "--keep", keep, "--reject", reject, "--from-scan", scan_dir, "--no-score-filter"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert f"kept 17 -> {keep}" in lines and f"rejected 0 -> {reject}" in lines
    assert len(keep.read_text(encoding="utf-8").splitlines()) == 17 and reject.read_bytes() == b""


def test_filter_writes_csv_and_tsv(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "x.csv", tmp_path / "y.tsv"
    result = run_filter([root, "--keep", keep, "--reject", reject, "--from-scan", scan_dir, "--max-score", "0.5", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    lines = result.stderr.splitlines()
    assert f"kept {summary['kept']:,} -> {keep}" in lines and f"rejected {summary['rejected']['total']:,} -> {reject}" in lines
    with open(keep, newline="", encoding="utf-8") as handle:
        kept = list(csv.DictReader(handle))
    with open(reject, newline="", encoding="utf-8") as handle:
        rejected = list(csv.DictReader(handle, delimiter="\t"))
    assert (len(kept), len(rejected)) == (summary["kept"], summary["rejected"]["total"]) and len(kept) + len(rejected) == 17
    auditor = ["p_synthetic", "p_machine_given_corpus", "dup_cluster", "reasons", "auditor_id"]
    assert kept and rejected and list(kept[0])[-5:] == list(rejected[0])[-5:] == auditor  # each file: its records' fields, then these
    assert {"id", "text", "meta", "score", "lang", "year", "weights"} <= set(kept[0]) | set(rejected[0])
    by_id = {row["auditor_id"]: row for row in kept + rejected}
    assert json.loads(by_id["j1"]["meta"]) == {"author": {"name": "writer 1", "age": 31}, "tags": ["essay", "t1"]}
    assert (by_id["c1"]["lang"], by_id["p1"]["year"], by_id["p1"]["weights"], by_id["p3"]["weights"]) == ("en", "1999", "[0.5, 1.5]", "")
    assert all(json.loads(row["reasons"]) == [] for row in kept)
    assert all(json.loads(row["reasons"])[0].startswith("p_synthetic ") for row in rejected)


def test_filter_parquet_dup_cluster_is_int64_with_nulls(scanned, tmp_path):
    root, scan_dir = scanned
    keep = tmp_path / "keep.parquet"
    result = run_filter([root, "--keep", keep, "--reject", tmp_path / "reject.parquet", "--from-scan", scan_dir, "--no-score-filter",
                         "--quiet"])
    assert result.exit_code == 0 and result.stderr == ""
    column = pq.read_table(keep).column("dup_cluster")
    assert column.type == pa.int64() and 0 < column.null_count < len(column) == 17
