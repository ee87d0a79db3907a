"""auditor filter: nothing lost, every original field kept, reasons, --from-scan, output formats, atomicity.

The command's usage errors and refused outputs are tested in tests/cli/test_filter.py.
"""

import errno
import gzip
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.io.documents import NO_FIELDS
from auditor.cli import cli
from auditor.errors import InputError
from auditor.pipeline.filter import FilterOptions, ScoreRule, decide, filter_corpus
from auditor.io.documents import ReaderOptions
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents
from auditor.pipeline.scan import ScanOptions, scan
from auditor.io.formats.output import output_format_for
from auditor.io.writers import ParquetRecordWriter, auditor_name, record_writer
from filter_corpus import CSV_ROWS, PARQUET_ROWS, TXT, jsonl_records, run, scan_corpus, text

SKIPPED = {"empty_text": 1, "invalid_json": 1, "missing_text": 2, "ragged_row": 1}


def originals(root: Path) -> dict[str, dict]:
    """Every readable record of the corpus by document id, as the source files hold it."""
    records = {r["id"]: r for r in jsonl_records()}
    records.update({r["id"]: r for r in CSV_ROWS})
    records.update({r["id"]: r for r in PARQUET_ROWS if r["text"] is not None})
    records[str(root / "d.txt")] = {"text": TXT}
    return records


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, linear_model_dir):
    """The corpus and one scan of it (tiny model), shared: most tests reuse it with --from-scan."""
    return scan_corpus(tmp_path_factory, linear_model_dir)


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def read_records(path: Path) -> list[dict]:
    return pq.read_table(path).to_pylist() if str(path).endswith(".parquet") else read_jsonl(path)


def scan_table(scan_dir: Path) -> dict[str, dict]:
    table = pq.read_table(scan_dir / "documents.parquet", columns=["id", "p_synthetic", "dup_cluster"]).to_pylist()
    return {row["id"]: row for row in table}


# --------------------------------------------------------------------------- nothing lost


def test_counts_add_up_and_skipped_records_are_reported(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    result = run([root, "--keep", keep, "--reject", reject, "--from-scan", scan_dir, "--dedup", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    kept, rejected = read_jsonl(keep), read_jsonl(reject)
    documents = pq.read_metadata(scan_dir / "documents.parquet").num_rows
    assert summary["documents"] == documents == len(originals(root)) == 17
    assert summary["kept"] + summary["rejected"]["total"] == documents
    assert (len(kept), len(rejected)) == (summary["kept"], summary["rejected"]["total"])
    ids = [r["auditor_id"] for r in kept + rejected]
    assert sorted(ids) == sorted(originals(root)) and len(set(ids)) == len(ids)
    assert summary["skipped"] == {"total": 5, "by_reason": SKIPPED}
    assert {p["location"] for p in summary["problems"]} >= {f"{root / 'a.jsonl'}:5", f"{root / 'b.csv'}:4", f"{root / 'c.parquet'}:2"}
    assert summary["schema"] == "auditor.filter/1" and summary["scores"]["from_scan"] == str(scan_dir)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("read 17 documents in ") and f"scores from scan {scan_dir}, model linear)" in lines[0]
    assert lines[1] == "skipped 5 records: empty_text 1, invalid_json 1, missing_text 2, ragged_row 1"
    assert f"kept {summary['kept']} -> {keep}" in lines and f"rejected {summary['rejected']['total']} -> {reject}" in lines


def test_by_default_documents_are_rejected_by_their_posterior_given_the_corpus(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    result = run([root, "--keep", keep, "--reject", reject, "--from-scan", scan_dir, "--quiet", "--json"])
    assert result.exit_code == 0 and result.stderr == ""
    table = pq.read_table(scan_dir / "documents.parquet", columns=["id", "p_machine_given_corpus"]).to_pylist()
    rejected = {r["auditor_id"]: r["reasons"] for r in read_jsonl(reject)}
    rule = ScoreRule("p_machine_given_corpus", 0.5)
    assert rejected == {row["id"]: [rule.reason(row["p_machine_given_corpus"])] for row in table if row["p_machine_given_corpus"] > 0.5}
    assert all(r["reasons"] == [] and r["p_machine_given_corpus"] <= 0.5 for r in read_jsonl(keep))
    summary = json.loads(result.stdout)
    assert summary["max_posterior"] == 0.5 and summary["max_score"] is None
    assert summary["rule"] == {"column": "p_machine_given_corpus", "operator": ">", "cut": 0.5}


def test_the_rejected_count_follows_the_estimate_of_a_well_separated_corpus(tmp_path, tiny_model_dir):
    from conftest import held_out_lines

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(held_out_lines("human") + held_out_lines("machine")) + "\n", encoding="utf-8")  # 100 + 30
    scan_dir = tmp_path / "scan"
    assert CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(scan_dir), "--model", str(tiny_model_dir), "--quiet"]).exit_code == 0
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    summary = json.loads(run([corpus, "--keep", keep, "--reject", reject, "--from-scan", scan_dir, "--quiet", "--json"]).stdout)
    estimate = summary["estimate"]
    assert estimate["documents_low"] <= summary["rejected"]["by_reason"]["synthetic"] <= estimate["documents_high"]


def test_score_rules_and_their_reasons():
    posterior, score = ScoreRule("p_machine_given_corpus", 0.5), ScoreRule("p_synthetic", 0.9)
    assert posterior.rejects(np.array([0.5, 0.51])).tolist() == [False, True]
    assert score.rejects(np.array([0.9, 0.89])).tolist() == [True, False]
    assert score.reason(0.97) == "p_synthetic 0.97 >= 0.90"
    assert posterior.reason(0.973) == "p_machine_given_corpus 0.97 > 0.50"
    assert posterior.reason(0.5004) == "p_machine_given_corpus 0.5004 > 0.5000"  # never shown equal to the cut
    assert FilterOptions().rule() == posterior and FilterOptions(max_score=0.9).rule() == score
    assert FilterOptions(score_filter=False).rule() is None
    with pytest.raises(ValueError, match="give one of them"):
        FilterOptions(max_score=0.9, max_posterior=0.5)


# --------------------------------------------------------------------------- every field survives


def check_round_trip(records: list[dict], root: Path, json_columns=()) -> None:
    auditor = {"p_synthetic", "p_machine_given_corpus", "dup_cluster", "reasons", "auditor_id"}
    expected = originals(root)
    assert sorted(r["auditor_id"] for r in records) == sorted(expected)
    for record in records:
        original = expected[record["auditor_id"]]
        for key, value in original.items():
            got = record[key]
            assert (json.loads(got) if key in json_columns and got is not None else got) == value, (record["auditor_id"], key)
        others = set(record) - set(original) - auditor
        assert all(record[key] is None for key in others)  # Parquet: columns of other records are null here


def test_every_original_field_survives_in_jsonl(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "keep.jsonl.gz", tmp_path / "reject.jsonl"
    result = run([root, "--keep", keep, "--reject", reject, "--from-scan", scan_dir, "--max-score", "0.5"])
    assert result.exit_code == 0, result.output
    records = read_jsonl(keep) + read_jsonl(reject)
    check_round_trip(records, root)
    expected = originals(root)
    for record in records:  # JSONL: exactly the original keys, in order, then the auditor's
        assert list(record) == list(expected[record["auditor_id"]]) + ["p_synthetic", "p_machine_given_corpus", "dup_cluster", "reasons", "auditor_id"]
    assert gzip.open(keep).read(1) == b"{"  # really gzip


def test_every_original_field_survives_in_parquet(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "keep.parquet", tmp_path / "reject.parquet"
    result = run([root, "--keep", keep, "--reject", reject, "--from-scan", scan_dir, "--no-score-filter", "--json"])
    assert result.exit_code == 0, result.output
    # "score" is a JSON number in a.jsonl and CSV text in b.csv: no common type, so JSON text.
    assert json.loads(result.stdout)["json_columns"] == {"keep": ["score"]}
    check_round_trip(read_records(keep), root, json_columns=("score",))
    assert pq.read_table(reject).num_rows == 0
    schema = pq.read_schema(keep)
    assert schema.names[-5:] == ["p_synthetic", "p_machine_given_corpus", "dup_cluster", "reasons", "auditor_id"]
    assert schema.field("meta").type == pa.struct([("author", pa.struct([("name", pa.string()), ("age", pa.int64())])),
                                                   ("tags", pa.list_(pa.string()))])
    assert json.loads(schema.metadata[b"auditor"])["file"] == "keep"
    assert "written as JSON text (values with no common Parquet type): score" in result.stderr


def test_jsonl_only_corpus_round_trips_through_parquet_with_native_types(scanned, tmp_path, linear_model_dir):
    root, _ = scanned
    keep, reject = tmp_path / "keep.parquet", tmp_path / "reject.parquet"
    result = run([root / "a.jsonl", "--keep", keep, "--reject", reject, "--max-score", "0.5", "--json", "--model", linear_model_dir])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["json_columns"] == {}
    records = read_records(keep) + read_records(reject)
    expected = {r["id"]: r for r in jsonl_records()}
    assert sorted(r["id"] for r in records) == sorted(expected)
    for record in records:
        assert {k: record[k] for k in expected[record["id"]]} == expected[record["id"]]
    assert pq.read_schema(keep).field("score").type == pa.int64()


def test_auditor_fields_never_overwrite_original_ones(tmp_path, linear_model_dir):
    corpus = tmp_path / "c.jsonl"
    rows = [
        {"id": "x1", "text": text(1), "p_synthetic": "the user's own", "auditor_p_synthetic": 1, "reasons": ["mine"]},
        {"id": "x2", "text": text(2)},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    scan([str(corpus)], tmp_path / "scan", ScanOptions(model=str(linear_model_dir)))
    for suffix in (".jsonl", ".parquet"):
        keep, reject = tmp_path / f"keep{suffix}", tmp_path / f"reject{suffix}"
        result = run([corpus, "--keep", keep, "--reject", reject, "--no-score-filter", "--from-scan", tmp_path / "scan", "--quiet"])
        assert result.exit_code == 0, result.output
        first, second = read_records(keep)
        assert first["p_synthetic"] == "the user's own" and first["auditor_p_synthetic"] == 1 and first["reasons"] == ["mine"]
        assert 0 <= first["auditor_auditor_p_synthetic"] <= 1 and first["auditor_reasons"] == []
        if suffix == ".jsonl":  # per record: x2 has no such fields, so the auditor's keep their names
            assert set(second) == {"id", "text", "p_synthetic", "p_machine_given_corpus", "dup_cluster", "reasons", "auditor_id"}
            assert 0 <= second["p_synthetic"] <= 1
        else:  # per file: one schema, decided by every record
            assert second["p_synthetic"] is None and 0 <= second["auditor_auditor_p_synthetic"] <= 1
    assert auditor_name("reasons", {"reasons": 1, "auditor_reasons": 2}) == "auditor_auditor_reasons"


# --------------------------------------------------------------------------- reasons


def test_dedup_rule_on_scores_and_clusters():
    p = np.array([0.9, 0.1, 0.2, 0.95, 0.99, 0.3, 0.1])
    clusters = np.array([0, 0, 0, 1, 1, -1, 2])
    rule = ScoreRule("p_synthetic", 0.8)
    for_score, duplicate_of = decide(p, clusters, rule, dedup=True)
    assert for_score.tolist() == [True, False, False, True, True, False, False]
    # Cluster 0: document 0 is rejected for its score, so document 1 is kept and 0 gets both reasons;
    # cluster 1: every member rejected for its score, none kept; cluster 2 has one member.
    assert duplicate_of.tolist() == [1, -1, 1, -1, -1, -1, -1]
    assert decide(p, clusters, None, dedup=True)[1].tolist() == [-1, 0, 0, -1, 3, -1, -1]
    assert decide(p, clusters, rule, dedup=False)[1].tolist() == [-1] * 7


def test_reasons_for_score_and_near_duplicates(scanned, tmp_path):
    root, scan_dir = scanned
    rows = scan_table(scan_dir)
    dup_cluster = rows["dup-a"]["dup_cluster"]
    assert dup_cluster is not None and rows["dup-b"]["dup_cluster"] == rows["dup-c"]["dup_cluster"] == dup_cluster
    # A max score just above dup-a's rejects it for its score, so dup-b (the next in input order) is the one kept.
    max_score = rows["dup-a"]["p_synthetic"]
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    result = run([root, "--keep", keep, "--reject", reject, "--from-scan", scan_dir, "--dedup", "--max-score", max_score, "--json"])
    assert result.exit_code == 0, result.output
    reasons = {r["auditor_id"]: r["reasons"] for r in read_jsonl(keep) + read_jsonl(reject)}
    rule = ScoreRule("p_synthetic", max_score)
    for ident, row in rows.items():
        expected = [rule.reason(row["p_synthetic"])] if row["p_synthetic"] >= max_score else []
        members = [i for i, r in rows.items() if r["dup_cluster"] is not None and r["dup_cluster"] == row["dup_cluster"]]
        keeper = next((i for i in members if rows[i]["p_synthetic"] < max_score), None)
        if keeper is not None and keeper != ident:
            expected.append(f"near-duplicate-of:{keeper}")
        assert reasons[ident] == expected, ident
    assert rows["dup-b"]["p_synthetic"] < max_score  # the corpus gives the case this test is about:
    assert reasons["dup-a"] == [rule.reason(rows["dup-a"]["p_synthetic"]), "near-duplicate-of:dup-b"] and reasons["dup-b"] == []
    assert reasons["dup-c"][-1] == "near-duplicate-of:dup-b"
    summary = json.loads(result.stdout)
    by_reason = summary["rejected"]["by_reason"]
    assert by_reason["synthetic"] == sum(r["p_synthetic"] >= max_score for r in rows.values())
    assert by_reason["near_duplicate"] == sum(any(x.startswith("near-duplicate-of:") for x in v) for v in reasons.values())
    assert summary["rejected"]["both"] >= 1
    for record in read_jsonl(keep) + read_jsonl(reject):
        assert record["p_synthetic"] == rows[record["auditor_id"]]["p_synthetic"]
        assert record["dup_cluster"] == rows[record["auditor_id"]]["dup_cluster"]


def test_dedup_alone_keeps_the_first_of_each_cluster(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    result = run([root, "--keep", keep, "--reject", reject, "--from-scan", scan_dir, "--dedup", "--no-score-filter", "--json"])
    assert result.exit_code == 0, result.output
    rejected = {r["auditor_id"]: r["reasons"] for r in read_jsonl(reject)}
    assert rejected == {"dup-b": ["near-duplicate-of:dup-a"], "dup-c": ["near-duplicate-of:dup-a"]}
    assert json.loads(result.stdout)["max_score"] is None
    assert "  no score filter" in result.stderr.splitlines()


# --------------------------------------------------------------------------- --from-scan


def test_from_scan_gives_the_same_output_as_scanning_now(scanned, tmp_path, linear_model_dir):
    root, scan_dir = scanned
    reused = [tmp_path / "k1.jsonl", tmp_path / "r1.jsonl"]
    fresh = [tmp_path / "k2.jsonl", tmp_path / "r2.jsonl"]
    assert run([root, "--keep", reused[0], "--reject", reused[1], "--from-scan", scan_dir, "--dedup"]).exit_code == 0
    result = run([root, "--keep", fresh[0], "--reject", fresh[1], "--model", linear_model_dir, "--dedup"])
    assert result.exit_code == 0, result.output
    assert "scores from a scan run now, model linear)" in result.stderr
    for a, b in zip(reused, fresh):
        assert a.read_bytes() == b.read_bytes()


def test_from_scan_refuses_a_scan_of_other_inputs(scanned, tmp_path):
    root, scan_dir = scanned
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    result = run([root / "b.csv", "--keep", keep, "--reject", reject, "--from-scan", scan_dir])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --from-scan {scan_dir / 'documents.parquet'} does not match the inputs: document 0 is 'j0' from "
        f"{root / 'a.jsonl'} in the scan but 'c1' from {root / 'b.csv'} in the inputs; re-run 'auditor scan' on these inputs "
        "with the same reader options (--format, --text-field, --id-field, --csv-delimiter, --encoding, --strict, --max-doc-chars), "
        "or drop --from-scan to score them now\n"
    )
    result = run([root / "a.jsonl", "--keep", keep, "--reject", reject, "--from-scan", scan_dir])
    assert result.exit_code == 2 and "does not match the inputs: the scan has 17 documents, the inputs 12; " in result.stderr
    # The same files, ids and order, but a text edited since the scan.
    edited = tmp_path / "corpus"
    shutil.copytree(root, edited)
    (edited / "d.txt").write_text(TXT + "One more line.\n", encoding="utf-8")
    stale = tmp_path / "stale"
    shutil.copytree(scan_dir, stale)
    table = pq.read_table(scan_dir / "documents.parquet")
    sources = pa.array([s.replace(str(root), str(edited)) for s in table.column("source").to_pylist()])
    ids = pa.array([i.replace(str(root), str(edited)) for i in table.column("id").to_pylist()])
    table = table.set_column(0, "source", sources).set_column(table.schema.get_field_index("id"), "id", ids)
    pq.write_table(table, stale / "documents.parquet")
    result = run([edited, "--keep", keep, "--reject", reject, "--from-scan", stale])
    assert result.exit_code == 2
    assert (f"the text of document 16 ({str(edited / 'd.txt')!r}, {edited / 'd.txt'}:1) has 125 characters (normalized) here "
            "but 110 in the scan (edited since, or another --text-field?)") in result.stderr
    shutil.rmtree(edited)
    shutil.rmtree(stale)
    # A scan with one document fewer (same order): the document it lacks is not one it skipped, so refused.
    short = tmp_path / "short"
    shutil.copytree(scan_dir, short)
    table = pq.read_table(scan_dir / "documents.parquet")
    pq.write_table(table.slice(0, table.num_rows - 1), short / "documents.parquet")
    summary = json.loads((short / "summary.json").read_text())
    summary["documents"] = table.num_rows - 1
    (short / "summary.json").write_text(json.dumps(summary))
    result = run([root, "--keep", keep, "--reject", reject, "--from-scan", short])
    assert result.exit_code == 2
    skipped = summary["skipped"]["total"]
    assert f"{skipped + 1} record(s) skipped here or missing from the scan, but the scan skipped {skipped} (records added or changed since?)" in result.stderr
    (short / "summary.json").unlink()
    result = run([root, "--keep", keep, "--reject", reject, "--from-scan", short])
    assert result.exit_code == 2
    assert f"error: --from-scan {short / 'summary.json'}: no such file (the scan did not finish); re-run 'auditor scan" in result.stderr
    result = run([root, "--keep", keep, "--reject", reject, "--from-scan", tmp_path / "nope"])
    assert result.exit_code == 2 and "not a directory" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short"]  # nothing written, no temporary files


# --------------------------------------------------------------------------- outputs


def test_output_format_by_extension():
    assert [output_format_for(n, "output").name for n in ("a.jsonl", "A.JSONL.GZ", "b.parquet")] == ["jsonl", "jsonl.gz", "parquet"]


# --------------------------------------------------------------------------- atomicity


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_failure_mid_run_leaves_no_output_and_no_temporary_file(scanned, tmp_path, monkeypatch, suffix):
    root, scan_dir = scanned
    keep, reject = tmp_path / f"keep{suffix}", tmp_path / f"reject{suffix}"
    keep.write_bytes(b"previous run\n")
    from auditor.io import writers

    calls = {"n": 0}
    original = writers.JsonlRecordWriter.write if suffix == ".jsonl" else writers.ParquetRecordWriter.write

    def failing(self, fields, auditor):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(errno.EIO, "Input/output error")
        return original(self, fields, auditor)

    monkeypatch.setattr(writers.JsonlRecordWriter if suffix == ".jsonl" else writers.ParquetRecordWriter, "write", failing)
    monkeypatch.setattr(writers, "BATCH_ROWS", 2)  # Parquet: staging pieces exist when it fails
    options = FilterOptions(from_scan=str(scan_dir))
    with pytest.raises(OSError, match="Input/output error"):
        filter_corpus([str(root)], keep, reject, options)
    assert sorted(p.name for p in tmp_path.iterdir()) == [keep.name]
    assert keep.read_bytes() == b"previous run\n"


def test_parquet_failure_while_assembling_leaves_neither_file(scanned, tmp_path, monkeypatch):
    root, scan_dir = scanned

    def broken(self):
        raise RuntimeError("disk went away")

    monkeypatch.setattr(ParquetRecordWriter, "finish", broken)
    with pytest.raises(RuntimeError):
        filter_corpus([str(root)], tmp_path / "k.jsonl", tmp_path / "r.parquet", FilterOptions(from_scan=str(scan_dir)))
    assert list(tmp_path.iterdir()) == []  # the JSONL file complete but not renamed: both or neither


def test_same_inputs_give_identical_bytes(scanned, tmp_path):
    root, scan_dir = scanned
    for name in ("a", "b"):
        result = run([root, "--keep", tmp_path / f"{name}.parquet", "--reject", tmp_path / f"{name}.jsonl.gz", "--from-scan", scan_dir,
                      "--dedup", "--quiet"])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()


# --------------------------------------------------------------------------- the Parquet writer


def write_parquet(tmp_path: Path, rows: list[dict], batch_rows: int, monkeypatch) -> tuple[pa.Table, list[str]]:
    from auditor.io import writers

    monkeypatch.setattr(writers, "BATCH_ROWS", batch_rows)
    path = tmp_path / "out.parquet"
    fields = [pa.field("reasons", pa.list_(pa.string()))]
    with record_writer(path, fields, {"k": 1}) as writer:
        for row in rows:
            writer.write(row, {"reasons": []})
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]  # staging files removed
    return pq.read_table(path), list(writer.json_columns)


def test_parquet_writer_widens_types_across_batches(tmp_path, monkeypatch):
    rows = [{"a": None, "n": 1, "s": {"x": 1}}, {"a": "text", "n": 2.5, "s": {"y": "why"}}, {"b": True}]
    table, json_columns = write_parquet(tmp_path, rows, 1, monkeypatch)
    assert json_columns == []
    assert table.schema.field("a").type == pa.string() and table.schema.field("n").type == pa.float64()
    assert table.column("s").to_pylist() == [{"x": 1, "y": None}, {"x": None, "y": "why"}, None]
    assert table.column_names == ["a", "n", "s", "b", "reasons"]


@pytest.mark.parametrize("batch_rows", [1, 100])
def test_parquet_writer_falls_back_to_json_text_without_a_common_type(tmp_path, monkeypatch, batch_rows):
    rows = [{"v": 1, "e": {}, "u": "\ud800 lone"}, {"v": "one", "e": {}, "u": "fine"}, {"v": None, "e": None, "u": None}]
    table, json_columns = write_parquet(tmp_path, rows, batch_rows, monkeypatch)
    assert sorted(json_columns) == ["e", "v"]
    assert table.column("v").to_pylist() == ["1", '"one"', None]
    assert table.column("e").to_pylist() == ["{}", "{}", None]
    assert table.column("u").to_pylist() == ["\ufffd lone", "fine", None]  # Parquet text must be valid UTF-8


def test_parquet_writer_stores_too_deep_a_nesting_as_json_text(tmp_path, monkeypatch):
    nested: object = {"leaf": 1}
    for _ in range(100):  # Arrow cannot write types nested beyond 64 levels
        nested = {"n": nested}
    shallow = {"n": {"leaf": 2}}
    table, json_columns = write_parquet(tmp_path, [{"deep": nested, "shallow": shallow}], 1, monkeypatch)
    assert json_columns == ["deep"]
    assert json.loads(table.column("deep")[0].as_py()) == nested
    assert table.column("shallow").to_pylist() == [shallow]


def test_empty_outputs_are_valid_files(tmp_path):
    fields = [pa.field("reasons", pa.list_(pa.string()))]
    for name in ("e.parquet", "e.jsonl"):
        with record_writer(tmp_path / name, fields):
            pass
    assert pq.read_table(tmp_path / "e.parquet").num_rows == 0 and (tmp_path / "e.jsonl").read_bytes() == b""


def test_jsonl_keeps_lone_surrogates_escaped(tmp_path):
    with record_writer(tmp_path / "s.jsonl", []) as writer:
        writer.write({"k": "\udc00", "t": "café"}, {})
    line = (tmp_path / "s.jsonl").read_bytes()
    assert line == '{"k": "\\udc00", "t": "caf\\u00e9"}\n'.encode() and json.loads(line) == {"k": "\udc00", "t": "café"}


# --------------------------------------------------------------------------- the reader capability


def test_reader_all_fields_carries_every_field_in_order(scanned):
    root, _ = scanned
    report = ReadReport()
    docs = list(read_documents([str(root)], ReaderOptions(all_fields=True), report))
    by_id = {d.id: dict(d.fields) for d in docs}
    assert by_id == originals(root)
    assert [list(by_id[r["id"]]) for r in jsonl_records()] == [list(r) for r in jsonl_records()]
    assert report.skipped_by_reason == SKIPPED
    plain = list(read_documents([str(root)], ReaderOptions()))
    assert [(d.id, d.text, d.row) for d in plain] == [(d.id, d.text, d.row) for d in docs]
    assert all(d.fields is NO_FIELDS for d in plain)  # the default is unchanged


def test_reader_all_fields_keeps_repeated_csv_columns(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text,a,a,a.1\nsome words here,1,2,3\n", encoding="utf-8")
    (doc,) = read_documents([str(path)], ReaderOptions(all_fields=True))
    assert dict(doc.fields) == {"text": "some words here", "a": "1", "a.2": "2", "a.1": "3"}
    with pytest.raises(ValueError, match="not both"):
        ReaderOptions(all_fields=True, extra_fields=("a",))


def test_filter_corpus_reports_unusable_inputs(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        filter_corpus([str(tmp_path / "nope.jsonl")], tmp_path / "k.jsonl", tmp_path / "r.jsonl", FilterOptions(from_scan=str(tmp_path)))
    assert os.listdir(tmp_path) == []


def test_values_json_cannot_hold_are_written_as_text_in_jsonl(tmp_path):
    import datetime
    import decimal

    values = {"when": datetime.datetime(2024, 5, 1, 12, 30), "day": datetime.date(2024, 5, 1),
              "amount": decimal.Decimal("12.50"), "blob": b"\x00\xff"}
    with record_writer(tmp_path / "v.jsonl", []) as writer:
        writer.write(values, {})
    with record_writer(tmp_path / "v.parquet", []) as writer:
        writer.write(values, {})
    assert read_jsonl(tmp_path / "v.jsonl") == [{"when": "2024-05-01T12:30:00", "day": "2024-05-01", "amount": "12.50", "blob": "AP8="}]
    assert pq.read_table(tmp_path / "v.parquet").to_pylist() == [values]  # Parquet keeps them typed
