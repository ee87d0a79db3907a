"""Tests for auditor.io.reading: formats, discovery, bad records, fatal errors, streaming."""

from __future__ import annotations

import copy
import gzip
import io
import json
import os
import pickle
import random
import sys
import zlib
from dataclasses import asdict, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.io.source import ZSTD_MAGIC
from auditor.io.documents import NO_FIELDS
from auditor.io import source as _formats, reading as readers
from auditor.errors import InputError
from auditor.io.documents import FORMATS, Document, ReaderOptions
from auditor.io.problems import Problem, ReadReport
from auditor.io.inputs import expand_inputs
from auditor.io.reading import read_documents


# --------------------------------------------------------------------------- helpers



def spy_parquet_batches(monkeypatch, expect_columns=None):
    """Record the keyword arguments and batch sizes of every ParquetFile.iter_batches call."""
    calls: list[dict] = []
    batch_sizes: list[int] = []
    original = pq.ParquetFile.iter_batches

    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        for batch in original(self, *args, **kwargs):
            batch_sizes.append(batch.num_rows)
            if expect_columns is not None:
                assert batch.schema.names == expect_columns
            yield batch

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    return calls, batch_sizes

def jsonl_bytes(records: list[object]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def write(path: Path, data: bytes | str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def read(paths, report: ReadReport | None = None, **options) -> list[Document]:
    return list(read_documents(paths, ReaderOptions(**options), report))


def texts(docs: list[Document]) -> list[str]:
    return [d.text for d in docs]


def set_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def many_lines(n: int) -> bytes:
    """Distinct, poorly compressible lines: compressed streams span many blocks."""
    rng = random.Random(n)
    return jsonl_bytes([{"text": f"document number {i} %032x" % rng.getrandbits(128)} for i in range(n)])


# --------------------------------------------------------------------------- options and report


def test_reader_options_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="auto, jsonl, parquet, csv, txt"):
        ReaderOptions(format="json")
    assert FORMATS == ("auto", "jsonl", "parquet", "csv", "txt")
    assert ReaderOptions().format == "auto"


def test_problem_location() -> None:
    assert Problem("a.jsonl", 3, "invalid_json", "x").location() == "a.jsonl:3"
    assert Problem("a.jsonl", None, "truncated_stream", "x").location() == "a.jsonl"


def test_report_to_dict_sorts_reasons_and_limits_examples() -> None:
    report = ReadReport(max_examples=2)
    report.add_skipped(Problem("f", 2, "not_an_object", "d2"))
    report.add_skipped(Problem("f", 1, "invalid_json", "d1"))
    report.add_repaired(Problem("f", 3, "invalid_utf8", "d3"))
    report.add_skipped(Problem("f", 4, "invalid_json", "d4"))
    assert report.skipped_total == 3
    assert report.repaired_total == 1
    out = report.to_dict()
    assert out == {
        "documents": 0,
        "files": 0,
        "skipped": {"total": 3, "by_reason": {"invalid_json": 2, "not_an_object": 1}},
        "repaired": {"total": 1, "by_reason": {"invalid_utf8": 1}},
        "ignored_files": [],
        "examples": [
            {"location": "f:2", "reason": "not_an_object", "detail": "d2"},
            {"location": "f:1", "reason": "invalid_json", "detail": "d1"},
        ],
    }
    assert list(out["skipped"]["by_reason"]) == ["invalid_json", "not_an_object"]
    json.dumps(out)


# --------------------------------------------------------------------------- JSONL


def test_jsonl_documents_ids_rows_and_records(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl_bytes([{"text": "alpha"}, {"text": "beta", "x": 1}]) + b"\n" + jsonl_bytes([{"text": "gamma"}]))
    report = ReadReport()
    docs = read([path], report)
    assert docs == [
        Document(f"{path}:1", "alpha", path, 0, 1),
        Document(f"{path}:2", "beta", path, 1, 2),
        Document(f"{path}:4", "gamma", path, 2, 4),  # line 3 is blank: ignored, not counted
    ]
    assert report.documents == 3
    assert report.files_read == 1
    assert report.bytes_read == os.path.getsize(path)
    assert report.skipped_total == 0 and report.repaired_total == 0


def test_ndjson_extension_and_single_string_path(tmp_path: Path) -> None:
    path = write(tmp_path / "a.ndjson", jsonl_bytes([{"text": "one"}]))
    assert texts(read(path)) == ["one"]


def test_bom_and_crlf_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", b'\xef\xbb\xbf{"text": "first"}\r\n{"text": "second"}\r\n\r\n')
    report = ReadReport()
    docs = read([path], report)
    assert texts(docs) == ["first", "second"]
    assert [d.record for d in docs] == [1, 2]
    assert report.skipped_total == 0


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst", ".ndjson.gz"])
def test_compressed_jsonl(tmp_path: Path, suffix: str) -> None:
    raw = jsonl_bytes([{"text": f"doc {i}", "id": f"k{i}"} for i in range(3)])
    data = gzip.compress(raw) if suffix.endswith(".gz") else zstandard.ZstdCompressor().compress(raw)
    path = write(tmp_path / f"corpus{suffix}", data)
    report = ReadReport()
    docs = read([path], report, id_field="id")
    assert [(d.id, d.text, d.record) for d in docs] == [("k0", "doc 0", 1), ("k1", "doc 1", 2), ("k2", "doc 2", 3)]
    assert report.bytes_read == len(data)
    assert report.repaired_total == 0


def test_zstd_concatenated_frames(tmp_path: Path) -> None:
    cctx = zstandard.ZstdCompressor()
    data = cctx.compress(jsonl_bytes([{"text": "a"}])) + cctx.compress(jsonl_bytes([{"text": "b"}, {"text": "c"}]))
    path = write(tmp_path / "multi.jsonl.zst", data)
    report = ReadReport()
    assert texts(read([path], report)) == ["a", "b", "c"]
    assert report.skipped_total == 0


def test_compression_detected_by_magic_bytes_not_extension(tmp_path: Path) -> None:
    gz_named_plain = write(tmp_path / "a.jsonl", gzip.compress(jsonl_bytes([{"text": "gz inside"}])))
    plain_named_gz = write(tmp_path / "b.jsonl.gz", jsonl_bytes([{"text": "plain inside"}]))
    zst_named_plain = write(tmp_path / "c.jsonl", zstandard.ZstdCompressor().compress(jsonl_bytes([{"text": "zst inside"}])))
    assert texts(read([gz_named_plain, plain_named_gz, zst_named_plain])) == ["gz inside", "plain inside", "zst inside"]


def test_jsonl_is_streamed_not_loaded(tmp_path: Path) -> None:
    raw = many_lines(20000)
    plain = write(tmp_path / "big.jsonl", raw)
    packed = write(tmp_path / "big.jsonl.gz", gzip.compress(raw))
    for path in (plain, packed):
        report = ReadReport()
        iterator = read_documents([path], ReaderOptions(), report)
        first = next(iterator)
        assert first.text == json.loads(raw.split(b"\n", 1)[0])["text"]
        # One buffer's worth, not the whole file, was read for the first document.
        assert 0 < report.bytes_read <= 2 * 65536 < os.path.getsize(path)
        iterator.close()


# --------------------------------------------------------------------------- bad records


def test_each_jsonl_bad_record_reason_counted_with_location(tmp_path: Path) -> None:
    lines = [
        b'{"text": "good one"}',  # 1
        b"{not json",  # 2 invalid_json
        b'["text", "list"]',  # 3 not_an_object
        b'"just a string"',  # 4 not_an_object
        b'{"body": "no text"}',  # 5 missing_text
        b'{"text": null}',  # 6 missing_text
        b'{"text": 42}',  # 7 non_string_text
        b'{"text": ["a"]}',  # 8 non_string_text
        b'{"text": {"a": 1}}',  # 9 non_string_text
        b'{"text": true}',  # 10 non_string_text
        b'{"text": ""}',  # 11 empty_text
        b'{"text": " \\n\\t "}',  # 12 empty_text
        b"   ",  # 13 blank: ignored
        b"[" * 100_000,  # 14 invalid_json (too deep or unterminated, never a traceback)
        b'{"text": "good two"}',  # 15
    ]
    path = write(tmp_path / "bad.jsonl", b"\n".join(lines) + b"\n")
    report = ReadReport()
    docs = read([path], report)
    assert [(d.text, d.record, d.row) for d in docs] == [("good one", 1, 0), ("good two", 15, 1)]
    assert report.skipped_by_reason == {
        "invalid_json": 2,
        "not_an_object": 2,
        "missing_text": 2,
        "non_string_text": 4,
        "empty_text": 2,
    }
    assert report.repaired_by_reason == {}
    assert [(p.location(), p.reason) for p in report.examples] == [
        (f"{path}:2", "invalid_json"),
        (f"{path}:3", "not_an_object"),
        (f"{path}:4", "not_an_object"),
        (f"{path}:5", "missing_text"),
        (f"{path}:6", "missing_text"),
        (f"{path}:7", "non_string_text"),
        (f"{path}:8", "non_string_text"),
        (f"{path}:9", "non_string_text"),
        (f"{path}:10", "non_string_text"),
        (f"{path}:11", "empty_text"),
        (f"{path}:12", "empty_text"),
        (f"{path}:14", "invalid_json"),
    ]
    details = {p.location(): p.detail for p in report.examples}
    assert details[f"{path}:3"] == "line is a JSON array, expected an object"
    assert details[f"{path}:5"] == "no 'text' field (fields: 'body')"
    assert details[f"{path}:6"] == "'text' is null"
    assert details[f"{path}:7"] == "'text' is a JSON number, expected a string"


def test_invalid_utf8_in_jsonl_is_repaired_and_attributed(tmp_path: Path) -> None:
    data = b'{"text": "fine"}\n{"text": "caf\xe9 au lait"}\n{"text": "bad \\ud800 escape"}\n{"text": "ok \\ud83d\\ude00"}\n'
    path = write(tmp_path / "u.jsonl", data)
    report = ReadReport()
    docs = read([path], report)
    assert texts(docs) == ["fine", "caf\ufffd au lait", "bad \ufffd escape", "ok \U0001f600"]
    assert report.repaired_by_reason == {"invalid_utf8": 2}
    assert [(p.location(), p.reason) for p in report.examples] == [(f"{path}:2", "invalid_utf8"), (f"{path}:3", "invalid_utf8")]
    for doc in docs:
        doc.text.encode("utf-8")  # every text is encodable downstream


def test_skip_outranks_repair_for_one_record(tmp_path: Path) -> None:
    path = write(tmp_path / "u.jsonl", b'{"text": "\xff"}\n{"text": "kept"}\n{"nope": "\xff"}\n')
    report = ReadReport()
    # Line 1's text is just U+FFFD, which is not whitespace: kept and repaired.
    assert texts(read([path], report)) == ["\ufffd", "kept"]
    assert report.repaired_by_reason == {"invalid_utf8": 1}
    assert report.skipped_by_reason == {"missing_text": 1}


def test_id_field_handling(tmp_path: Path) -> None:
    records = [
        {"text": "a", "id": "doc-a"},
        {"text": "b", "id": 7},
        {"text": "c"},
        {"text": "d", "id": None},
        {"text": "e", "id": 1.5},
        {"text": "f", "id": True},
        {"text": "g", "id": ["x"]},
        {"text": "h", "id": ""},
    ]
    path = write(tmp_path / "ids.jsonl", jsonl_bytes(records))
    report = ReadReport()
    docs = read([path], report, id_field="id")
    assert [d.id for d in docs] == ["doc-a", "7", f"{path}:3", f"{path}:4", f"{path}:5", f"{path}:6", f"{path}:7", f"{path}:8"]
    assert report.repaired_by_reason == {"missing_id": 3, "bad_id": 3}
    assert report.skipped_total == 0
    assert [(p.location(), p.reason) for p in report.examples][:3] == [
        (f"{path}:3", "missing_id"),
        (f"{path}:4", "missing_id"),
        (f"{path}:5", "bad_id"),
    ]


def test_id_with_lone_surrogate_is_repaired(tmp_path: Path) -> None:
    path = write(tmp_path / "ids.jsonl", b'{"text": "a", "id": "x\\udc80y"}\n')
    report = ReadReport()
    assert [d.id for d in read([path], report, id_field="id")] == ["x\ufffdy"]
    assert report.repaired_by_reason == {"invalid_utf8": 1}


# --------------------------------------------------------------------------- truncated / corrupt streams


def _complete_lines(partial: bytes) -> int:
    return partial.count(b"\n")


def test_truncated_gzip_keeps_documents_before_the_break(tmp_path: Path) -> None:
    raw = many_lines(3000)
    packed = gzip.compress(raw)
    cut = packed[: len(packed) // 2]
    expected = _complete_lines(zlib.decompressobj(wbits=31).decompress(cut))
    assert 0 < expected < 3000
    path = write(tmp_path / "cut.jsonl.gz", cut)
    report = ReadReport()
    docs = read([path], report)
    assert texts(docs) == [json.loads(line)["text"] for line in raw.splitlines()[:expected]]
    assert report.skipped_by_reason == {"truncated_stream": 1}
    problem = report.examples[0]
    assert problem.location() == f"{path}:{expected + 1}"
    assert "gzip stream ends early" in problem.detail


def test_truncated_zstd_is_detected(tmp_path: Path) -> None:
    raw = many_lines(10000)
    packed = zstandard.ZstdCompressor().compress(raw)
    cut = packed[: len(packed) // 2]
    expected = _complete_lines(zstandard.ZstdDecompressor().decompressobj().decompress(cut))
    assert 0 < expected < 10000
    path = write(tmp_path / "cut.jsonl.zst", cut)
    report = ReadReport()
    docs = read([path], report)
    assert len(docs) == expected
    assert [d.record for d in docs] == list(range(1, expected + 1))
    assert report.skipped_by_reason == {"truncated_stream": 1}
    assert report.examples[0].location() == f"{path}:{expected + 1}"
    assert "zstd stream ends early" in report.examples[0].detail


def test_zstd_missing_only_its_checksum_is_still_truncated(tmp_path: Path) -> None:
    # Every line decodes, but the frame never ends: a silent short read would miss this.
    data = zstandard.ZstdCompressor(write_checksum=True).compress(jsonl_bytes([{"text": "a"}, {"text": "b"}]))
    path = write(tmp_path / "cut.jsonl.zst", data[:-4])
    report = ReadReport()
    assert texts(read([path], report)) == ["a", "b"]
    assert report.skipped_by_reason == {"truncated_stream": 1}
    assert report.examples[0].location() == f"{path}:3"


def test_corrupt_gzip_crc_counts_truncated_stream(tmp_path: Path) -> None:
    packed = bytearray(gzip.compress(jsonl_bytes([{"text": "a"}, {"text": "b"}])))
    packed[-8] ^= 0xFF  # CRC32 of the trailer
    path = write(tmp_path / "crc.jsonl.gz", bytes(packed))
    report = ReadReport()
    assert texts(read([path], report)) == ["a", "b"]
    assert report.skipped_by_reason == {"truncated_stream": 1}
    assert report.examples[0].location() == f"{path}:3"
    assert "gzip stream is corrupt" in report.examples[0].detail


def test_garbage_zstd_counts_truncated_stream(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.jsonl.zst", ZSTD_MAGIC + b"this is not a zstd frame at all")
    good = write(tmp_path / "good.jsonl", jsonl_bytes([{"text": "fine"}]))
    report = ReadReport()
    docs = read([bad, good], report)
    assert [(d.text, d.row) for d in docs] == [("fine", 0)]
    assert report.skipped_by_reason == {"truncated_stream": 1}
    assert report.examples[0].location() == f"{bad}:1"
    assert "zstd stream is corrupt" in report.examples[0].detail


# --------------------------------------------------------------------------- Parquet


def write_parquet(path: Path, table: pa.Table, **kwargs) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **kwargs)
    return str(path)


def test_parquet_in_batches_reads_only_needed_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 2500
    text = [f"row {i}" for i in range(n)]
    text[1500] = None
    table = pa.table({"text": text, "doc_id": list(range(n)), "junk": ["x" * 10] * n})
    path = write_parquet(tmp_path / "t.parquet", table, row_group_size=700)
    calls, batch_sizes = spy_parquet_batches(monkeypatch, expect_columns=["text", "doc_id"])
    report = ReadReport()
    docs = read([path], report, id_field="doc_id")
    assert calls == [{"batch_size": 1024, "columns": ["text", "doc_id"]}]
    assert len(batch_sizes) > 1 and max(batch_sizes) <= 1024 and sum(batch_sizes) == n
    assert len(docs) == n - 1
    assert [d.row for d in docs] == list(range(n - 1))
    assert (docs[0].id, docs[0].record, docs[0].text) == ("0", 1, "row 0")
    assert (docs[1500].id, docs[1500].record, docs[1500].text) == ("1501", 1502, "row 1501")
    assert report.skipped_by_reason == {"missing_text": 1}
    assert report.examples[0].location() == f"{path}:1501"
    assert report.bytes_read == os.path.getsize(path)


def test_parquet_default_ids_and_large_string(tmp_path: Path) -> None:
    table = pa.table({"body": pa.array(["x", "  ", "y"], type=pa.large_string())})
    path = write_parquet(tmp_path / "t.parquet", table)
    report = ReadReport()
    docs = read([path], report, text_field="body", id_field="missing_col")
    assert [(d.id, d.text) for d in docs] == [(f"{path}:1", "x"), (f"{path}:3", "y")]
    assert report.skipped_by_reason == {"empty_text": 1}
    assert report.repaired_by_reason == {"missing_id": 2}


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_missing_text_column_is_fatal(tmp_path: Path, kind: str) -> None:
    if kind == "parquet":
        path = write_parquet(tmp_path / "t.parquet", pa.table({"body": ["a"], "label": [1]}))
    else:
        path = write(tmp_path / "t.csv", "body,label\nx,1\n")
    with pytest.raises(InputError) as info:
        read([path])
    message = str(info.value)
    assert path in message and "no 'text' column" in message
    assert "'body', 'label'" in message and "--text-field" in message


def test_parquet_non_string_text_column_is_fatal(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "t.parquet", pa.table({"text": pa.array([1, 2], type=pa.int64())}))
    with pytest.raises(InputError, match=r"column 'text' has type int64, not string"):
        read([path])


def test_invalid_parquet_is_fatal(tmp_path: Path) -> None:
    path = write(tmp_path / "t.parquet", b"definitely not parquet")
    with pytest.raises(InputError) as info:
        read([path])
    assert f"{path}: not a valid Parquet file" in str(info.value)


# --------------------------------------------------------------------------- CSV / TSV


def test_csv_rows_records_multiline_bom_crlf(tmp_path: Path) -> None:
    data = (
        b"\xef\xbb\xbfid,text,extra\r\n"  # 1
        b"a,hello,1\r\n"  # 2
        b'b,"multi\r\nline, with comma",2\r\n'  # 3-4
        b"\r\n"  # 5 blank
        b"c,,3\r\n"  # 6 empty_text
        b"d,too,many,fields\r\n"  # 7 ragged_row
        b"e\r\n"  # 8 ragged_row
        b"f,last,6\r\n"  # 9
    )
    path = write(tmp_path / "t.csv", data)
    report = ReadReport()
    docs = read([path], report, id_field="id")
    assert [(d.id, d.text, d.record, d.row) for d in docs] == [
        ("a", "hello", 2, 0),
        ("b", "multi\r\nline, with comma", 3, 1),
        ("f", "last", 9, 2),
    ]
    assert report.skipped_by_reason == {"empty_text": 1, "ragged_row": 2}
    assert [(p.location(), p.reason) for p in report.examples] == [
        (f"{path}:6", "empty_text"),
        (f"{path}:7", "ragged_row"),
        (f"{path}:8", "ragged_row"),
    ]
    assert report.examples[1].detail == "4 fields, the header has 3"


def test_tsv_uses_tab_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "text\tid\nhello, world\t1\nsecond\t2\n")
    docs = read([path], id_field="id")
    assert [(d.id, d.text, d.record) for d in docs] == [("1", "hello, world", 2), ("2", "second", 3)]


def test_compressed_tsv(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv.gz", gzip.compress(b"text\nalpha, beta\n"))
    assert texts(read([path])) == ["alpha, beta"]


def test_csv_long_field(tmp_path: Path) -> None:
    long_text = "word " * 100_000  # beyond csv's default 128 KiB field limit
    path = write(tmp_path / "t.csv", f"text\n{long_text}\n")
    assert texts(read([path])) == [long_text]


def test_csv_invalid_utf8_repaired_per_row(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", b"text,id\nclean,1\ncaf\xe9,2\n")
    report = ReadReport()
    docs = read([path], report, id_field="id")
    assert [(d.id, d.text) for d in docs] == [("1", "clean"), ("2", "caf\ufffd")]
    assert report.repaired_by_reason == {"invalid_utf8": 1}
    assert report.examples[0].location() == f"{path}:3"


def test_csv_missing_id_column_falls_back(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "text\nx\n")
    report = ReadReport()
    assert [d.id for d in read([path], report, id_field="id")] == [f"{path}:2"]
    assert report.repaired_by_reason == {"missing_id": 1}


def test_truncated_csv_gz(tmp_path: Path) -> None:
    raw = b"text\n" + b"".join(b"line number %d with some padding words\n" % i for i in range(4000))
    packed = gzip.compress(raw)
    cut = packed[: len(packed) // 2]
    lines = _complete_lines(zlib.decompressobj(wbits=31).decompress(cut))
    path = write(tmp_path / "t.csv.gz", cut)
    report = ReadReport()
    docs = read([path], report)
    assert len(docs) == lines - 1  # minus the header
    assert report.skipped_by_reason == {"truncated_stream": 1}
    assert report.examples[0].location() == f"{path}:{lines + 1}"


# --------------------------------------------------------------------------- txt


def test_txt_is_one_document(tmp_path: Path) -> None:
    path = write(tmp_path / "doc.txt", b"\xef\xbb\xbfline one\r\nline two\n")
    report = ReadReport()
    docs = read([path], report, id_field="id")
    assert docs == [Document(path, "line one\r\nline two\n", path, 0, 1)]
    assert report.repaired_total == 0


def test_txt_invalid_utf8_and_empty(tmp_path: Path) -> None:
    bad = write(tmp_path / "a.txt", b"ol\xe9")
    empty = write(tmp_path / "b.txt", b" \n\n")
    report = ReadReport()
    assert texts(read([bad, empty], report)) == ["ol\ufffd"]
    assert report.repaired_by_reason == {"invalid_utf8": 1}
    assert report.skipped_by_reason == {"empty_text": 1}
    assert report.examples[1].location() == f"{empty}:1"


# --------------------------------------------------------------------------- discovery


def make_tree(root: Path) -> None:
    write(root / "b.jsonl", jsonl_bytes([{"text": "b1"}, {"text": "b2"}]))
    write(root / "a" / "z.jsonl", jsonl_bytes([{"text": "az"}]))
    write(root / "a" / "b" / "c.txt", "abc")
    write(root / "a-b.csv", "text\nab\n")
    write(root / ".git" / "x.jsonl", jsonl_bytes([{"text": "hidden dir"}]))
    write(root / ".hidden.jsonl", jsonl_bytes([{"text": "hidden file"}]))
    write(root / "notes.md", "# notes")
    write(root / "a" / "data.json", "{}")


def test_directory_walk_order_hidden_and_ignored(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    make_tree(root)
    given = str(root)
    j = os.path.join
    assert expand_inputs([given]) == [
        (j(given, "a", "b", "c.txt"), "txt"),
        (j(given, "a", "z.jsonl"), "jsonl"),
        (j(given, "a-b.csv"), "csv"),
        (j(given, "b.jsonl"), "jsonl"),
    ]
    report = ReadReport()
    docs = read([given], report)
    assert [(d.text, d.source, d.row, d.record) for d in docs] == [
        ("abc", j(given, "a", "b", "c.txt"), 0, 1),
        ("az", j(given, "a", "z.jsonl"), 1, 1),
        ("ab", j(given, "a-b.csv"), 2, 2),
        ("b1", j(given, "b.jsonl"), 3, 1),
        ("b2", j(given, "b.jsonl"), 4, 2),
    ]
    assert report.ignored_files == [j(given, "a", "data.json"), j(given, "notes.md")]
    assert report.files_read == 4
    assert report.to_dict()["ignored_files"] == report.ignored_files


def test_directory_source_keeps_given_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "d" / "x.jsonl", jsonl_bytes([{"text": "x"}]))
    monkeypatch.chdir(tmp_path)
    assert [d.source for d in read(["d/"])] == ["d/x.jsonl"]
    assert [d.id for d in read(["d"])] == [os.path.join("d", "x.jsonl") + ":1"]


def test_directory_with_explicit_format_reads_every_visible_file(tmp_path: Path) -> None:
    write(tmp_path / "d" / "one.data", jsonl_bytes([{"text": "1"}]))
    write(tmp_path / "d" / "two", jsonl_bytes([{"text": "2"}]))
    write(tmp_path / "d" / ".skip", jsonl_bytes([{"text": "hidden"}]))
    report = ReadReport()
    assert texts(read([str(tmp_path / "d")], report, format="jsonl")) == ["1", "2"]
    assert report.ignored_files == []


def test_directory_without_supported_files_is_fatal(tmp_path: Path) -> None:
    write(tmp_path / "d" / "a.json", "{}")
    write(tmp_path / "d" / "b.md", "x")
    with pytest.raises(InputError) as info:
        read([str(tmp_path / "d")])
    message = str(info.value)
    assert "no supported files (2 ignored:" in message and ".jsonl" in message and "--format" in message
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="directory contains no files"):
        read([str(tmp_path / "empty")])


def test_glob_expansion_sorted_and_deduplicated(tmp_path: Path) -> None:
    write(tmp_path / "g" / "b.jsonl", jsonl_bytes([{"text": "b"}]))
    write(tmp_path / "g" / "a.jsonl", jsonl_bytes([{"text": "a"}]))
    write(tmp_path / "g" / "sub" / "c.jsonl", jsonl_bytes([{"text": "c"}]))
    write(tmp_path / "g" / "skip.json", "{}")
    pattern = str(tmp_path / "g" / "*.jsonl")
    assert texts(read([pattern])) == ["a", "b"]
    report = ReadReport()
    # "**" matches the folder, the subfolder and the files: each file is read once.
    assert sorted(texts(read([str(tmp_path / "g" / "**")], report))) == ["a", "b", "c"]
    assert report.ignored_files == [str(tmp_path / "g" / "skip.json")]


def test_glob_without_match_is_fatal(tmp_path: Path) -> None:
    pattern = str(tmp_path / "nothing*.jsonl")
    with pytest.raises(InputError) as info:
        read([pattern])
    assert str(info.value) == f"no files match '{pattern}': check the pattern and quoting"


def test_glob_matching_only_unsupported_files_is_fatal(tmp_path: Path) -> None:
    write(tmp_path / "a.json", "{}")
    with pytest.raises(InputError, match="no supported files"):
        read([str(tmp_path / "*.json")])


def test_format_override_for_explicit_files(tmp_path: Path) -> None:
    as_txt = write(tmp_path / "records.txt", jsonl_bytes([{"text": "x"}, {"text": "y"}]))
    assert texts(read([as_txt], format="jsonl")) == ["x", "y"]
    assert texts(read([as_txt])) == ['{"text": "x"}\n{"text": "y"}\n']
    no_ext = write(tmp_path / "export", b"text\nrow\n")
    assert texts(read([no_ext], format="csv")) == ["row"]
    gz_txt = write(tmp_path / "doc.gz", gzip.compress(b"compressed text"))
    assert expand_inputs([gz_txt], "txt") == [(gz_txt, "txt")]
    assert texts(read([gz_txt], format="txt")) == ["compressed text"]


def test_rows_are_contiguous_across_inputs(tmp_path: Path) -> None:
    first = write(tmp_path / "1.jsonl", b'{"text": "a"}\n{"oops": 1}\n{"text": "b"}\n')
    second = write(tmp_path / "2.csv", "text\nc\n\nd\n")
    third = write(tmp_path / "3.txt", "e")
    fourth = write_parquet(tmp_path / "4.parquet", pa.table({"text": ["f", None, "g"]}))
    report = ReadReport()
    docs = read([first, second, third, fourth, first], report)
    assert [(d.text, d.row, d.record) for d in docs] == [
        ("a", 0, 1),
        ("b", 1, 3),
        ("c", 2, 2),
        ("d", 3, 4),
        ("e", 4, 1),
        ("f", 5, 1),
        ("g", 6, 3),
        ("a", 7, 1),
        ("b", 8, 3),
    ]
    assert report.files_read == 5
    assert report.documents == 9
    assert report.skipped_by_reason == {"missing_text": 3}


# --------------------------------------------------------------------------- stdin


def test_stdin_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    set_stdin(monkeypatch, jsonl_bytes([{"text": "from stdin", "id": 3}]))
    report = ReadReport()
    assert read(["-"], report, id_field="id") == [Document("3", "from stdin", "-", 0, 1)]
    assert report.bytes_read == len(jsonl_bytes([{"text": "from stdin", "id": 3}]))


def test_stdin_gzip_csv_and_txt(monkeypatch: pytest.MonkeyPatch) -> None:
    set_stdin(monkeypatch, gzip.compress(jsonl_bytes([{"text": "zipped"}])))
    assert texts(read(["-"])) == ["zipped"]
    set_stdin(monkeypatch, b"text\nfrom csv\n")
    assert [(d.text, d.id) for d in read(["-"], format="csv")] == [("from csv", "-:2")]
    set_stdin(monkeypatch, b"whole text")
    assert [(d.text, d.id) for d in read(["-"], format="txt")] == [("whole text", "-")]


def test_stdin_parquet_is_fatal() -> None:
    with pytest.raises(InputError, match="standard input"):
        read(["-"], format="parquet")


# --------------------------------------------------------------------------- strict mode


def test_strict_raises_on_first_skip_with_location(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", b'{"text": "ok"}\n{"text": 5}\n{broken\n')
    seen: list[str] = []
    with pytest.raises(InputError) as info:
        for doc in read_documents([path], ReaderOptions(strict=True)):
            seen.append(doc.text)
    assert seen == ["ok"]
    assert str(info.value) == (
        f"{path}:2: non_string_text: 'text' is a JSON number, expected a string "
        "(rerun without --strict to skip and count such records)"
    )


def test_strict_raises_on_repair(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", b"text\nok\nbad \xff\n")
    with pytest.raises(InputError, match=rf"^{path}:3: invalid_utf8: .*rerun without --strict"):
        read([path], strict=True)
    ids = write(tmp_path / "ids.jsonl", jsonl_bytes([{"text": "x"}]))
    with pytest.raises(InputError, match=rf"{ids}:1: missing_id"):
        read([ids], strict=True, id_field="id")


def test_strict_raises_on_truncated_stream(tmp_path: Path) -> None:
    packed = gzip.compress(many_lines(50))
    path = write(tmp_path / "t.jsonl.gz", packed[:-12])
    with pytest.raises(InputError, match=rf"{path}:\d+: truncated_stream"):
        read([path], strict=True)


# --------------------------------------------------------------------------- fatal errors


def test_missing_path_is_fatal_before_reading(tmp_path: Path) -> None:
    good = write(tmp_path / "a.jsonl", jsonl_bytes([{"text": "x"}]))
    missing = str(tmp_path / "nope.jsonl")
    with pytest.raises(InputError) as info:
        read_documents([good, missing])  # raised at call time, not on first next()
    assert str(info.value) == f"{missing}: no such file or directory; check the path"


def test_unknown_extension_is_fatal_for_explicit_path(tmp_path: Path) -> None:
    path = write(tmp_path / "data.json", "{}")
    with pytest.raises(InputError) as info:
        read([path])
    message = str(info.value)
    assert message.startswith(f"{path}: unknown format")
    assert ".jsonl" in message and ".parquet" in message and "--format" in message


def test_unreadable_file_is_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "a.jsonl", jsonl_bytes([{"text": "x"}]))
    monkeypatch.setattr(readers.os, "access", lambda p, mode: False)
    with pytest.raises(InputError, match=rf"^{path}: permission denied; check the file's permissions$"):
        read([path])


def test_permission_error_at_open_is_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "a.jsonl", jsonl_bytes([{"text": "x"}]))

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(_formats, "open_regular", denied)
    with pytest.raises(InputError, match="permission denied"):
        read([path])


def test_unreadable_directory_is_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "d").mkdir()

    def denied(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(readers.os, "scandir", denied)
    with pytest.raises(InputError, match=r"d: permission denied; check the directory's permissions"):
        read([str(tmp_path / "d")])


def test_zero_documents_is_fatal_with_counts(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl_bytes([{"body": "x"}, {"body": "y"}, [1]]))
    with pytest.raises(InputError) as info:
        read([path])
    assert str(info.value) == (
        f"no documents read from {path}: 3 records skipped (2 missing_text, 1 not_an_object); "
        f"first: {path}:1: missing_text: no 'text' field (fields: 'body'); check --text-field / --format"
    )


def test_zero_documents_from_empty_inputs(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", b"\n\n")
    with pytest.raises(InputError, match=rf"^no documents read from {path}: the inputs contain no records; check --text-field / --format$"):
        read([path])


def test_invalid_format_argument_to_expand_inputs() -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        expand_inputs(["x"], "xml")


# --------------------------------------------------------------------------- invariants


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.binary(max_size=40), st.sampled_from([b'{"text": "ok"}', b'{"text": "\\ud800"}', b"[]", b"{"])), max_size=12))
def test_arbitrary_jsonl_bytes_never_traceback(tmp_path: Path, lines: list[bytes]) -> None:
    path = write(tmp_path / "fuzz.jsonl", b"\n".join(lines))
    report = ReadReport()
    try:
        docs = read([path], report)
    except InputError as exc:
        # Nothing readable, or bytes that start like a UTF-16 / UTF-32 file (refused, naming the file).
        assert str(exc).startswith("no documents read from") or str(exc).startswith(f"{path}: the file is UTF-")
        docs = []
    assert [d.row for d in docs] == list(range(len(docs)))
    assert report.documents == len(docs)
    for doc in docs:
        doc.text.encode("utf-8")
        assert doc.text.strip()


def test_no_paths_is_fatal() -> None:
    with pytest.raises(InputError, match="no input paths given"):
        read_documents([])


def test_implicit_id_field_uses_id_when_present_without_counting_absence(tmp_path):
    path = tmp_path / "ids.jsonl"
    path.write_text('{"id": "a1", "text": "x"}\n{"text": "y"}\n{"id": 7, "text": "z"}\n', encoding="utf-8")
    report = ReadReport()
    docs = list(read_documents([str(path)], ReaderOptions(), report))
    assert [d.id for d in docs] == ["a1", f"{path}:2", "7"]
    assert report.repaired_by_reason == {}


def test_explicit_id_field_counts_missing_ids(tmp_path):
    path = tmp_path / "ids.jsonl"
    path.write_text('{"key": "a1", "text": "x"}\n{"id": "b", "text": "y"}\n', encoding="utf-8")
    report = ReadReport()
    docs = list(read_documents([str(path)], ReaderOptions(id_field="key"), report))
    assert [d.id for d in docs] == ["a1", f"{path}:2"]
    assert report.repaired_by_reason == {"missing_id": 1}


# --------------------------------------------------------------------------- extra fields


def fields_of(docs: list[Document]) -> list[dict[str, object]]:
    return [dict(d.fields) for d in docs]


def assert_clean(report: ReadReport, documents: int) -> None:
    assert report.documents == documents
    assert report.skipped_by_reason == {} and report.repaired_by_reason == {}
    assert report.examples == []


def test_reader_options_extra_fields_default_and_normalised() -> None:
    assert ReaderOptions().extra_fields == ()
    assert ReaderOptions(extra_fields=["label", "source"]).extra_fields == ("label", "source")
    assert ReaderOptions(extra_fields=(n for n in ("b", "a"))).extra_fields == ("b", "a")
    assert ReaderOptions(extra_fields=("label",)).extra_fields == ("label",)
    assert isinstance(ReaderOptions(extra_fields=["label"]).extra_fields, tuple)
    replaced = replace(ReaderOptions(text_field="body"), extra_fields=["domain"])
    assert (replaced.text_field, replaced.extra_fields) == ("body", ("domain",))
    assert hash(ReaderOptions(extra_fields=["a"])) == hash(ReaderOptions(extra_fields=("a",)))


@pytest.mark.parametrize(
    "value, message",
    [
        ("label", "extra_fields must be a sequence of field names"),
        (b"label", "extra_fields must be a sequence of field names"),
        (None, "extra_fields must be a sequence of field names"),
        (5, "extra_fields must be a sequence of field names"),
        (("label", ""), "every name must be a non-empty string, not ''"),
        (("label", 3), "every name must be a non-empty string, not 3"),
        (("label", None), "every name must be a non-empty string, not None"),
        (("label", "source", "label"), "duplicate name(s) 'label'"),
    ],
)
def test_reader_options_rejects_invalid_extra_fields(value: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        ReaderOptions(extra_fields=value)
    assert message in str(info.value)


def test_no_extra_fields_gives_one_shared_empty_mapping(tmp_path: Path) -> None:
    jsonl = write(tmp_path / "a.jsonl", jsonl_bytes([{"text": "a", "label": 1}, {"text": "b"}]))
    csv_path = write(tmp_path / "b.csv", "text,label\nc,1\n")
    txt = write(tmp_path / "c.txt", "d")
    parquet = write_parquet(tmp_path / "d.parquet", pa.table({"text": ["e"], "label": [1]}))
    docs = read([jsonl, csv_path, txt, parquet])
    assert texts(docs) == ["a", "b", "c", "d", "e"]
    assert all(d.fields == {} and len(d.fields) == 0 for d in docs)
    assert all(d.fields is NO_FIELDS for d in docs)
    # The positional five-argument constructor still works and compares equal.
    assert docs[0] == Document(f"{jsonl}:1", "a", jsonl, 0, 1)
    assert Document("i", "t", "s", 0, 1).fields == {}


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_jsonl_extra_fields_values_and_types(tmp_path: Path, suffix: str) -> None:
    raw = (
        jsonl_bytes(
            [
                {"text": "one", "id": 7, "label": "machine", "source": "web", "score": 0.5, "n": 3, "flag": True,
                 "tags": ["x", 1], "meta": {"k": None}},
                {"text": "two", "source": None, "score": 1, "flag": False},  # no label, null source
            ]
        )
        + b"{broken\n"
        + jsonl_bytes([{"text": "three"}])  # none of the extra fields
    )
    data = gzip.compress(raw) if suffix.endswith(".gz") else raw
    path = write(tmp_path / f"labelled{suffix}", data)
    extra = ("label", "source", "score", "n", "flag", "tags", "meta", "id", "text", "absent")
    report = ReadReport()
    docs = read([path], report, extra_fields=extra)
    assert [(d.id, d.text, d.record, d.row) for d in docs] == [("7", "one", 1, 0), (f"{path}:2", "two", 2, 1), (f"{path}:4", "three", 4, 2)]
    assert fields_of(docs) == [
        {"label": "machine", "source": "web", "score": 0.5, "n": 3, "flag": True, "tags": ["x", 1], "meta": {"k": None},
         "id": 7, "text": "one", "absent": None},
        {"label": None, "source": None, "score": 1, "n": None, "flag": False, "tags": None, "meta": None,
         "id": None, "text": "two", "absent": None},
        {"label": None, "source": None, "score": None, "n": None, "flag": None, "tags": None, "meta": None,
         "id": None, "text": "three", "absent": None},
    ]
    assert [list(d.fields) for d in docs] == [list(extra)] * 3
    first = docs[0].fields
    assert [type(first[k]) for k in ("label", "score", "n", "flag", "tags", "meta", "id")] == [str, float, int, bool, list, dict, int]
    assert type(docs[1].fields["score"]) is int
    # Missing fields are not problems: only the broken line is counted.
    assert report.documents == 3
    assert report.skipped_by_reason == {"invalid_json": 1}
    assert report.repaired_by_reason == {}
    assert [p.location() for p in report.examples] == [f"{path}:3"]


def test_missing_extra_field_is_not_a_problem_in_strict_mode(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl_bytes([{"text": "x", "label": 1}, {"text": "y"}]))
    report = ReadReport()
    docs = list(read_documents([path], ReaderOptions(strict=True, extra_fields=("label",)), report))
    assert fields_of(docs) == [{"label": 1}, {"label": None}]
    assert_clean(report, 2)


def test_document_fields_are_read_only_and_plain_data(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", jsonl_bytes([{"text": "x", "label": "human", "tags": ["a"]}]))
    (doc,) = read([path], extra_fields=("label", "tags"))
    with pytest.raises(TypeError):
        doc.fields["label"] = "machine"  # type: ignore[index]
    assert doc.fields.get("label") == "human" and doc.fields.get("nope") is None and doc.fields.get("nope", 0) == 0
    assert "label" in doc.fields and "nope" not in doc.fields
    assert repr(doc.fields) == "{'label': 'human', 'tags': ['a']}"
    assert pickle.loads(pickle.dumps(doc)) == doc
    assert copy.deepcopy(doc) == doc
    assert asdict(doc)["fields"] == {"label": "human", "tags": ["a"]}
    assert hash(doc) == hash(Document(doc.id, doc.text, doc.source, doc.row, doc.record))  # fields are not hashed
    assert doc != Document(doc.id, doc.text, doc.source, doc.row, doc.record)  # but they are compared
    assert doc == Document(doc.id, doc.text, doc.source, doc.row, doc.record, {"label": "human", "tags": ["a"]})


def test_csv_extra_fields_are_strings(tmp_path: Path) -> None:
    data = (
        b"id,text,label,source\n"
        b"a,first,1,web\n"
        b'b,"second, quoted",machine,\n'  # empty source cell: the format gives ""
        b"c,third\n"  # ragged: still skipped as before
        b"d,fourth,0,news\n"
    )
    path = write(tmp_path / "t.csv", data)
    report = ReadReport()
    docs = read([path], report, id_field="id", extra_fields=("label", "source", "absent", "id"))
    assert [(d.id, d.text, d.record) for d in docs] == [("a", "first", 2), ("b", "second, quoted", 3), ("d", "fourth", 5)]
    assert fields_of(docs) == [
        {"label": "1", "source": "web", "absent": None, "id": "a"},
        {"label": "machine", "source": "", "absent": None, "id": "b"},
        {"label": "0", "source": "news", "absent": None, "id": "d"},
    ]
    assert all(type(d.fields["label"]) is str for d in docs)
    assert report.documents == 3
    assert report.skipped_by_reason == {"ragged_row": 1}
    assert report.repaired_by_reason == {}


def test_csv_header_without_extra_column_gives_none_without_counting(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "text\nx\ny\n")
    report = ReadReport()
    docs = read([path], report, extra_fields=("label", "source"))
    assert fields_of(docs) == [{"label": None, "source": None}, {"label": None, "source": None}]
    assert_clean(report, 2)


def test_csv_invalid_utf8_in_extra_field_is_repaired_once(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", b"text,label,source\nclean,ok,caf\xe9\nbad \xff,caf\xe9,x\n")
    report = ReadReport()
    docs = read([path], report, extra_fields=("label", "source"))
    assert fields_of(docs) == [{"label": "ok", "source": "caf\ufffd"}, {"label": "caf\ufffd", "source": "x"}]
    assert docs[1].text == "bad \ufffd"
    assert report.repaired_by_reason == {"invalid_utf8": 2}  # one repair per record
    assert [p.location() for p in report.examples] == [f"{path}:2", f"{path}:3"]
    # Not requested, not read: invalid bytes in other columns stay uncounted.
    report = ReadReport()
    docs = read([path], report, extra_fields=("label",))
    assert fields_of(docs) == [{"label": "ok"}, {"label": "caf\ufffd"}]
    assert report.repaired_by_reason == {"invalid_utf8": 1}  # line 3 (text and label), not line 2's source
    assert [p.location() for p in report.examples] == [f"{path}:3"]
    clean = write(tmp_path / "c.csv", b"text,label,other\nx,1,caf\xe9\n")
    report = ReadReport()
    assert fields_of(read([clean], report, extra_fields=("label",))) == [{"label": "1"}]
    assert_clean(report, 1)


@pytest.mark.parametrize("suffix", [".tsv", ".tsv.gz"])
def test_tsv_extra_fields(tmp_path: Path, suffix: str) -> None:
    raw = b"text\tlabel\tdomain\nhello, world\thuman\tnews\nsecond\tmachine\t\n"
    data = gzip.compress(raw) if suffix.endswith(".gz") else raw
    path = write(tmp_path / f"t{suffix}", data)
    report = ReadReport()
    docs = read([path], report, extra_fields=("domain", "label", "absent"))
    assert [(d.text, d.record) for d in docs] == [("hello, world", 2), ("second", 3)]
    assert fields_of(docs) == [
        {"domain": "news", "label": "human", "absent": None},
        {"domain": "", "label": "machine", "absent": None},
    ]
    assert [list(d.fields) for d in docs] == [["domain", "label", "absent"]] * 2
    assert_clean(report, 2)


def test_parquet_extra_fields_read_only_needed_columns_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    n = 2500
    text = [f"row {i}" for i in range(n)]
    text[1500] = None
    label = [i % 2 for i in range(n)]
    source = [None if i % 3 == 0 else f"s{i % 3}" for i in range(n)]
    tags = [[i, i + 1] for i in range(n)]
    table = pa.table(
        {
            "label": pa.array(label, type=pa.int64()),  # before the text column in the file
            "text": text,
            "doc_id": list(range(n)),
            "source": source,
            "score": [i / 4 for i in range(n)],
            "tags": tags,
            "junk": ["x" * 10] * n,
        }
    )
    path = write_parquet(tmp_path / "t.parquet", table, row_group_size=700)
    calls, batch_sizes = spy_parquet_batches(monkeypatch)
    report = ReadReport()
    extra = ("source", "label", "tags", "doc_id", "absent", "score")
    docs = read([path], report, id_field="doc_id", extra_fields=extra)
    assert calls == [{"batch_size": 1024, "columns": ["text", "doc_id", "source", "label", "tags", "score"]}]
    assert len(batch_sizes) > 1 and sum(batch_sizes) == n
    assert len(docs) == n - 1
    expected = [
        {"source": source[i], "label": label[i], "tags": tags[i], "doc_id": i, "absent": None, "score": i / 4}
        for i in range(n)
        if i != 1500
    ]
    assert fields_of(docs) == expected
    assert [d.id for d in docs] == [str(i) for i in range(n) if i != 1500]
    assert docs[0].fields == {"source": None, "label": 0, "tags": [0, 1], "doc_id": 0, "absent": None, "score": 0.0}
    assert docs[1500].fields == {"source": "s1", "label": 1, "tags": [1501, 1502], "doc_id": 1501, "absent": None, "score": 375.25}
    assert [type(docs[1].fields[k]) for k in ("source", "label", "tags", "doc_id", "score")] == [str, int, list, int, float]
    assert report.skipped_by_reason == {"missing_text": 1}
    assert report.repaired_by_reason == {}


def test_parquet_extra_field_that_is_the_text_or_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_parquet(tmp_path / "t.parquet", pa.table({"body": ["a", "b"], "other": [1, 2]}))
    calls: list[dict] = []
    original = pq.ParquetFile.iter_batches

    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        yield from original(self, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    report = ReadReport()
    docs = read([path], report, text_field="body", extra_fields=("body", "label"))
    assert calls == [{"batch_size": 1024, "columns": ["body"]}]
    assert fields_of(docs) == [{"body": "a", "label": None}, {"body": "b", "label": None}]
    assert_clean(report, 2)


def test_txt_extra_fields_are_none(tmp_path: Path) -> None:
    good = write(tmp_path / "a.txt", "some text")
    bad = write(tmp_path / "b.txt", b"ol\xe9")
    report = ReadReport()
    docs = read([good, bad], report, extra_fields=("label", "source"))
    assert [(d.id, d.text) for d in docs] == [(good, "some text"), (bad, "ol\ufffd")]
    assert fields_of(docs) == [{"label": None, "source": None}, {"label": None, "source": None}]
    assert [list(d.fields) for d in docs] == [["label", "source"]] * 2
    assert report.skipped_by_reason == {}
    assert report.repaired_by_reason == {"invalid_utf8": 1}  # the bytes, not the absent fields


def test_extra_fields_across_formats_in_one_read(tmp_path: Path) -> None:
    jsonl = write(tmp_path / "1.jsonl", jsonl_bytes([{"text": "a", "label": 1}]))
    csv_path = write(tmp_path / "2.csv", "label,text\n0,b\n")
    txt = write(tmp_path / "3.txt", "c")
    parquet = write_parquet(tmp_path / "4.parquet", pa.table({"text": ["d"], "label": [True]}))
    report = ReadReport()
    docs = read([jsonl, csv_path, txt, parquet], report, extra_fields=("label",))
    assert [(d.text, d.row, d.fields["label"]) for d in docs] == [("a", 0, 1), ("b", 1, "0"), ("c", 2, None), ("d", 3, True)]
    assert_clean(report, 4)


def test_invisible_only_text_is_skipped_as_empty(tmp_path):
    path = tmp_path / "inv.jsonl"
    path.write_text('{"text": "\\u200b\\u200c \\n"}\n{"text": "\\u0007\\u0000"}\n{"text": "real words"}\n', encoding="utf-8")
    report = ReadReport()
    docs = list(read_documents([str(path)], ReaderOptions(), report))
    assert [d.text for d in docs] == ["real words"]
    assert report.to_dict()["skipped"] == {"total": 2, "by_reason": {"empty_text": 2}}
