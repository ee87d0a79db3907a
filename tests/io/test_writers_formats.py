"""The output-format layer: which format a name asks for, CSV/TSV and compressed record files, the pandas
hint for nullable integers, and whole tables with their summary (in Parquet metadata or a sidecar)."""

import csv
import datetime
import decimal
import gzip
import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from click.testing import CliRunner

from auditor.cli import cli
from auditor.errors import ConfigError
from auditor.io.documents import ReaderOptions
from auditor.io.formats.output import ACCEPTED, output_format_for, summary_sidecar
from auditor.io.reading import read_documents
from auditor.io.table_output import read_summary, writing_table
from auditor.io.text_writers import csv_cell
from auditor.io.writers import record_writer

AUDITOR = [pa.field("dup_cluster", pa.int64()), pa.field("reasons", pa.list_(pa.string()))]


@pytest.mark.parametrize(("name", "expected"), [
    ("a.jsonl", ("jsonl", "jsonl", ",", "")), ("A.JSONL.GZ", ("jsonl.gz", "jsonl", ",", ".gz")), ("b.ndjson", ("jsonl", "jsonl", ",", "")),
    ("c.parquet", ("parquet", "parquet", ",", "")), ("d.csv", ("csv", "csv", ",", "")), ("e.TSV", ("tsv", "csv", "\t", "")),
    ("f.tsv.zst", ("tsv.zst", "csv", "\t", ".zst")),
])
def test_a_name_asks_for_the_format_it_reads_back_as(name, expected):
    fmt = output_format_for(name)
    assert (fmt.name, fmt.kind, fmt.delimiter, fmt.compression) == expected
    assert fmt.holds_metadata == (fmt.kind == "parquet")


@pytest.mark.parametrize("name", ["x.json", "x.txt", "x.parquet.gz", "x.csv.bz2", "x", ".csv"])
def test_other_names_are_refused_naming_the_accepted_ones(name):
    with pytest.raises(ConfigError) as error:
        output_format_for(name, "--out")
    assert str(error.value) == f"--out {name}: unsupported output extension; name the file {ACCEPTED}"
    assert ACCEPTED == "*.jsonl, *.ndjson, *.parquet, *.csv or *.tsv (all but *.parquet may end in .gz or .zst too)"


def test_csv_cells():
    when = datetime.datetime(2024, 5, 1, 12, 30)
    values = [None, "", "text, with \"quotes\"", True, False, 3, 2.5, float("nan"), [1, "a"], {"k": None}, when,
              decimal.Decimal("1.10"), b"\x00\xff", "lone \ud800"]
    assert [csv_cell(v) for v in values] == ["", "", "text, with \"quotes\"", "true", "false", "3", "2.5", "NaN", '[1, "a"]',
                                            '{"k": null}', "2024-05-01T12:30:00", "1.10", "AP8=", "lone \ufffd"]


def read_csv(path, delimiter=","):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def test_csv_records_have_one_header_and_every_field(tmp_path):
    path = tmp_path / "r.csv"
    with record_writer(path, AUDITOR, {"ignored": "CSV has no place for metadata"}) as writer:
        writer.write({"id": "a", "text": "one\ntwo", "n": 1}, {"dup_cluster": 3, "reasons": []})
        writer.write({"id": "b", "text": "three", "dup_cluster": "mine"}, {"dup_cluster": None, "reasons": ["x", "y"]})
    assert read_csv(path) == [
        ["id", "text", "n", "dup_cluster", "auditor_dup_cluster", "reasons"],  # the name is taken in the file: prefixed for every row
        ["a", "one\ntwo", "1", "", "3", "[]"],
        ["b", "three", "", "mine", "", '["x", "y"]'],
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]  # the staging directory is gone
    docs = list(read_documents([str(path)], ReaderOptions(all_fields=True)))
    assert [(d.record, d.row_in_file, d.fields["text"]) for d in docs] == [(2, 0, "one\ntwo"), (4, 1, "three")]


def test_tsv_and_compressed_outputs_read_back(tmp_path):
    names = ["r.tsv", "r.csv.gz", "r.jsonl.zst", "r.jsonl.gz"]
    for name in names:
        with record_writer(tmp_path / name, AUDITOR) as writer:
            writer.write({"text": "tab\there"}, {"dup_cluster": None, "reasons": ["why"]})
    assert read_csv(tmp_path / "r.tsv", "\t") == [["text", "dup_cluster", "reasons"], ["tab\there", "", '["why"]']]
    assert gzip.decompress((tmp_path / "r.csv.gz").read_bytes()) == b'text,dup_cluster,reasons\r\ntab\there,,"[""why""]"\r\n'
    line = b'{"text": "tab\\there", "dup_cluster": null, "reasons": ["why"]}\n'
    assert zstandard.ZstdDecompressor().stream_reader(io.BytesIO((tmp_path / "r.jsonl.zst").read_bytes())).read() == line
    assert gzip.decompress((tmp_path / "r.jsonl.gz").read_bytes()) == line
    for name in names:
        (doc,) = read_documents([str(tmp_path / name)], ReaderOptions(all_fields=True))
        assert doc.text == "tab\there"


def test_an_empty_csv_output_is_the_auditor_header(tmp_path):
    with record_writer(tmp_path / "e.csv", AUDITOR):
        pass
    assert (tmp_path / "e.csv").read_bytes() == b"dup_cluster,reasons\r\n"


def test_a_failing_csv_run_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="stop"), record_writer(tmp_path / "r.csv", AUDITOR) as writer:
        writer.write({"text": "a"}, {"dup_cluster": 1, "reasons": []})
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_parquet_integer_fields_read_as_nullable_integers(tmp_path):
    path = tmp_path / "r.parquet"
    with record_writer(path, AUDITOR) as writer:
        writer.write({"text": "a", "count": 2}, {"dup_cluster": 7, "reasons": []})
        writer.write({"text": "b", "count": None}, {"dup_cluster": None, "reasons": ["x"]})
    table = pq.read_table(path)
    assert table.schema.field("dup_cluster").type == pa.int64() and table.column("dup_cluster").to_pylist() == [7, None]
    frame = pd.read_parquet(path)
    assert str(frame["dup_cluster"].dtype) == "Int64" and frame["dup_cluster"].isna().tolist() == [False, True]
    assert str(frame["count"].dtype) == "float64"  # an original column: pandas converts it as it always did


SCHEMA = pa.schema([pa.field("id", pa.string()), pa.field("minhash", pa.list_(pa.uint32(), 2)), pa.field("dup_cluster", pa.int64())])
TABLE = pa.table({"id": ["a", "b"], "minhash": pa.array([[1, 2], [3, 4]], pa.list_(pa.uint32(), 2)),
                  "dup_cluster": pa.array([0, None], pa.int64())}, schema=SCHEMA)
SUMMARY = {"schema": "auditor.fingerprint/1", "documents": 2}


@pytest.mark.parametrize("name", ["t.parquet", "t.csv", "t.tsv", "t.jsonl", "t.jsonl.gz"])
def test_tables_carry_their_summary_in_the_file_or_beside_it(tmp_path, name):
    path = tmp_path / name
    with writing_table(path, SCHEMA, SUMMARY) as write:
        write(TABLE)
    assert read_summary(path) == SUMMARY
    if name.endswith(".parquet"):
        assert pq.read_table(path).equals(TABLE) and [p.name for p in tmp_path.iterdir()] == [name]
        return
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, summary_sidecar(path).name]) == sorted([name, f"{name}.summary.json"])
    if "csv" in name or "tsv" in name:
        assert read_csv(path, "\t" if name.endswith(".tsv") else ",") == [["id", "minhash", "dup_cluster"], ["a", "[1, 2]", "0"], ["b", "[3, 4]", ""]]
    else:
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            assert [json.loads(line) for line in handle] == [{"id": "a", "minhash": [1, 2], "dup_cluster": 0},
                                                             {"id": "b", "minhash": [3, 4], "dup_cluster": None}]


def test_a_table_without_its_sidecar_says_so(tmp_path):
    path = tmp_path / "t.csv"
    with writing_table(path, SCHEMA, SUMMARY) as write:
        write(TABLE)
    summary_sidecar(path).unlink()
    with pytest.raises(ValueError) as error:
        read_summary(path)
    assert str(error.value) == (f"{path}: no t.csv.summary.json beside it: not written by 'auditor fingerprint', "
                                "or the run writing it was interrupted; run it again")


def test_a_failing_table_run_keeps_the_earlier_pair(tmp_path):
    path = tmp_path / "t.csv"
    with writing_table(path, SCHEMA, SUMMARY) as write:
        write(TABLE)
    before = (path.read_bytes(), summary_sidecar(path).read_bytes())
    with pytest.raises(RuntimeError, match="stop"), writing_table(path, SCHEMA, {"documents": 9}) as write:
        write(TABLE.slice(0, 1))
        raise RuntimeError("stop")
    assert (path.read_bytes(), summary_sidecar(path).read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.csv.summary.json"]


def test_a_field_name_with_a_lone_surrogate_is_repaired_in_csv_output(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "a document", "\\ud800k": 1}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["filter", str(corpus), "--keep", str(tmp_path / "keep.csv"), "--reject", str(tmp_path / "reject.csv"),
                                      "--no-score-filter", "--quiet"])
    assert result.exit_code == 0, result.output
    header = (tmp_path / "keep.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[:2] == ["text", "\ufffdk"]
