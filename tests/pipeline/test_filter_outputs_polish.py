"""auditor filter's outputs: CSV/TSV files with every field, directories created (and removed on failure),
``dup_cluster`` as a nullable integer in every format."""

import csv
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from auditor.errors import InputError
from auditor.io.documents import ReaderOptions
from auditor.io.reading import read_documents
from auditor.pipeline.filter import AUDITOR_FIELDS, FilterOptions, filter_corpus
from filter_corpus import scan_corpus

AUDITOR_NAMES = [field.name for field in AUDITOR_FIELDS]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, linear_model_dir):
    return scan_corpus(tmp_path_factory, linear_model_dir)


def originals(root):
    """Every document of the corpus by id, with all its fields as the readers give them."""
    return {doc.id: dict(doc.fields) for doc in read_documents([str(root)], ReaderOptions(all_fields=True))}


def rows(path, delimiter):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_csv_and_tsv_outputs_hold_every_original_field_and_the_auditors(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "keep.csv", tmp_path / "reject.tsv"
    result = filter_corpus([str(root)], keep, reject, FilterOptions(from_scan=str(scan_dir), dedup=True))
    written = rows(keep, ",") + rows(reject, "\t")
    assert len(rows(keep, ",")) == result.summary["kept"] and len(written) == result.summary["documents"] == 17
    expected = originals(root)
    assert sorted(row["auditor_id"] for row in written) == sorted(expected)
    for row in written:
        original = expected[row["auditor_id"]]
        for name, value in original.items():  # every field, as text: a string as is, nothing empty, the rest JSON
            cell = row[name]
            assert cell == ("" if value is None else value if isinstance(value, str) else
                            "true" if value is True else "false" if value is False else
                            json.dumps(value, ensure_ascii=False, separators=(", ", ": "))), (name, value, cell)
        assert set(AUDITOR_NAMES) <= set(row)
        assert isinstance(json.loads(row["reasons"]), list)
        assert row["dup_cluster"] == "" or int(row["dup_cluster"]) >= 0
    assert {row["dup_cluster"] for row in written} > {""}  # some documents in no cluster, some in one
    assert [json.loads(row["reasons"]) for row in rows(keep, ",")] == [[]] * result.summary["kept"]


def test_dup_cluster_is_a_nullable_integer_in_every_format(scanned, tmp_path):
    root, scan_dir = scanned
    everything = FilterOptions(from_scan=str(scan_dir), score_filter=False)  # every document kept: in a cluster or not
    filter_corpus([str(root)], tmp_path / "k.parquet", tmp_path / "r.parquet", everything)
    table = pq.read_table(tmp_path / "k.parquet")
    assert table.schema.field("dup_cluster").type == pa.int64()
    column = table.column("dup_cluster")
    assert 0 < column.null_count < table.num_rows == 17
    frame = pd.read_parquet(tmp_path / "k.parquet")
    assert str(frame["dup_cluster"].dtype) == "Int64" and frame["dup_cluster"].isna().sum() == column.null_count
    filter_corpus([str(root)], tmp_path / "k.jsonl", tmp_path / "r.jsonl", everything)
    clusters = [json.loads(line)["dup_cluster"] for line in (tmp_path / "k.jsonl").read_text(encoding="utf-8").splitlines()]
    assert clusters == column.to_pylist() and None in clusters and all(c is None or type(c) is int for c in clusters)


def test_missing_directories_are_created(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "new" / "deeper" / "keep.jsonl", tmp_path / "other" / "reject.parquet"
    result = filter_corpus([str(root)], keep, reject, FilterOptions(from_scan=str(scan_dir)))
    assert keep.is_file() and reject.is_file() and result.manifest == keep.with_name("keep.jsonl.manifest.json")
    assert result.manifest.is_file()


def test_a_failed_run_removes_the_directories_it_created(scanned, tmp_path):
    root, _ = scanned
    keep, reject = tmp_path / "new" / "deeper" / "keep.jsonl", tmp_path / "other" / "reject.jsonl"
    with pytest.raises(InputError, match="not a directory"):
        filter_corpus([str(root)], keep, reject, FilterOptions(from_scan=str(tmp_path / "no-scan")))
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_the_way_of_a_directory_is_refused(scanned, tmp_path):
    root, scan_dir = scanned
    (tmp_path / "taken").write_text("a file\n", encoding="utf-8")
    keep = tmp_path / "taken" / "sub" / "keep.jsonl"
    with pytest.raises(InputError) as error:
        filter_corpus([str(root)], keep, tmp_path / "r.jsonl", FilterOptions(from_scan=str(scan_dir)))
    assert str(error.value) == f"--keep {keep}: {tmp_path / 'taken'} exists and is not a directory; choose another path"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
