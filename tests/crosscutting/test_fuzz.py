"""Hostile and broken inputs through the CLI: never a traceback, always exit 0 or a clear exit 2.

Every case ends either in exit 2 with ``error: ...`` naming the offending file (and
line, where there is one), or in exit 0 with the bad records counted in the summary
(``--json``). ``tests/io/test_readers.py`` checks the readers' detail on well-formed
corner cases; this file throws broken files at ``auditor fingerprint`` (fast: no
model) and a few at ``auditor scan``, by hand and with Hypothesis.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import tempfile
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from auditor.cli import cli
from auditor.normalize import is_blank

EXTENSIONS = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet", ".csv", ".tsv", ".txt")
# AUDITOR_FUZZ_EXAMPLES=1000 searches harder (minutes); the default keeps the file well under a minute.
FUZZ = settings(max_examples=int(os.environ.get("AUDITOR_FUZZ_EXAMPLES", "25")), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")  # UTF-16 / UTF-32: refused, naming the encoding

WORDS = "the quick brown fox jumps over a lazy dog while seven wizards quietly judge its boxing form".split()


def sentence(i: int) -> str:
    rng = random.Random(i)
    return f"record {i}: " + " ".join(rng.choice(WORDS) for _ in range(12))


def good_lines(n: int, start: int = 0) -> bytes:
    return "".join(json.dumps({"id": f"doc-{i}", "text": sentence(i)}) + "\n" for i in range(start, start + n)).encode()


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def write_parquet(path: Path, columns: dict[str, list], **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path, **kwargs)
    return path


# --------------------------------------------------------------------------- running the CLI


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def fingerprint(paths: Path | list[Path], out_dir: Path, *extra: object) -> Result:
    paths = paths if isinstance(paths, list) else [paths]
    return run("fingerprint", *paths, "--out", out_dir / "fp.parquet", "--quiet", "--json", *extra)


def scan(paths: Path | list[Path], out_dir: Path, *extra: object) -> Result:
    paths = paths if isinstance(paths, list) else [paths]
    return run("scan", *paths, "--out", out_dir / "scan", "--quiet", "--json", *extra)


def assert_clean(result: Result) -> None:
    """No traceback and no escaped exception, whatever the exit code."""
    assert "Traceback" not in result.output, result.output
    assert "internal error" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), (result.exit_code, result.output)


def ok(result: Result) -> dict:
    """Exit 0: the summary printed by ``--json``."""
    assert_clean(result)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def error(result: Result, *names: object) -> str:
    """Exit 2 with one ``error: ...`` line on stderr naming every one of ``names``."""
    assert_clean(result)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    message = result.stderr
    assert message.startswith("error: ") and message.count("\n") == 1, message
    for name in names:
        assert str(name) in message, (name, message)
    return message


def skipped(summary: dict) -> dict[str, int]:
    return summary["skipped"]["by_reason"]


def repaired(summary: dict) -> dict[str, int]:
    return summary["repaired"]["by_reason"]


def locations(summary: dict) -> list[tuple[str, str]]:
    return [(p["location"], p["reason"]) for p in summary["problems"]]


def output_rows(out_dir: Path) -> pa.Table:
    return pq.read_table(out_dir / "fp.parquet", columns=["source", "record", "id"])


def error_or_read(result: Result, path: Path, out_dir: Path) -> dict | None:
    """Exit 2 naming ``path`` (None), or exit 0 with at least one document, all of them in the output (the summary)."""
    assert_clean(result)
    if result.exit_code == 2:
        error(result, path)
        return None
    summary = ok(result)
    assert summary["documents"] >= 1
    assert output_rows(out_dir).num_rows == summary["documents"]
    return summary


def complete_lines(data: bytes) -> int:
    """Non-blank lines of JSONL bytes, as the reader counts records (a BOM starting a line is not content)."""
    return sum(1 for line in data.split(b"\n") if line.removeprefix(BOM).strip())


# --------------------------------------------------------------------------- random bytes under every extension

# A plausible start makes the reader get past its first check more often (a CSV header with
# the text column, Parquet's magic, a compression magic) before the bytes turn to noise.
PLAUSIBLE_STARTS = {
    ".jsonl": [b"", b'{"text": "', BOM],
    ".jsonl.gz": [b"", GZIP_MAGIC, GZIP_MAGIC + b"\x08\x00"],
    ".jsonl.zst": [b"", ZSTD_MAGIC],
    ".parquet": [b"", b"PAR1"],
    ".csv": [b"", b"text,id\n", BOM + b"id,text\r\n"],
    ".tsv": [b"", b"text\tid\n"],
    ".txt": [b"", BOM, b"\xff\xfe"],
}


@FUZZ
@given(st.sampled_from(EXTENSIONS), st.data(), st.binary(max_size=400))
def test_random_bytes_under_every_extension(ext: str, data: st.DataObject, noise: bytes) -> None:
    start = data.draw(st.sampled_from(PLAUSIBLE_STARTS[ext]))
    end = b"PAR1" if ext == ".parquet" and data.draw(st.booleans()) else b""
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / f"random{ext}", start + noise + end)
        summary = error_or_read(fingerprint(path, Path(tmp)), path, Path(tmp))
        if summary is not None:
            assert {p["location"].rsplit(":", 1)[0] for p in summary["problems"]} <= {str(path)}


# Lines: good records, JSON that is not a usable record, raw noise (no newline: one line each).
JSONL_LINES = st.one_of(
    st.sampled_from([b'{"text": "a perfectly ordinary line of text"}', b'{"text": ""}', b'{"text": null}', b"[]", b"{", b"",
                     b'{"text": 1e999}', b'{"text": "\\ud800 lone"}', b'\xef\xbb\xbf{"text": "bom"}', b"\x00", b"\r"]),
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")),
)


@FUZZ
@given(st.lists(JSONL_LINES, max_size=15), st.booleans())
def test_every_jsonl_line_is_a_document_or_a_counted_skip(lines: list[bytes], final_newline: bool) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline else b"")
    assume(not data.startswith((GZIP_MAGIC, ZSTD_MAGIC)))  # those are read as compressed streams
    records = complete_lines(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "lines.jsonl", data)
        result = fingerprint(path, Path(tmp))
        if result.exit_code == 0:
            summary = ok(result)
            assert summary["documents"] + summary["skipped"]["total"] == records  # nothing lost silently
            assert output_rows(Path(tmp)).num_rows == summary["documents"]
        elif data.startswith(WIDE_BOMS):
            error(result, f"{path}: the file is UTF-")
        else:
            message = error(result, path)
            found = f"{records} records skipped" if records else "the inputs contain no records"
            assert f"no documents read from {path}: {found}" in message


# --------------------------------------------------------------------------- JSON values of the wrong type

ABSENT = object()
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=6)
TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "   ", "\t\r\n", "\u200b\u2060", "\x00", "\ud800 lone surrogate", "fine \udfff", "\ufeffbom inside"]),
    JSON_VALUES,
)
IDS = st.one_of(st.just(ABSENT), JSON_VALUES, st.sampled_from(["", "id-\ud83d", 0, -1, 10**30, True, 1.5, [], {"a": 1}]))


def has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def repair(text: str) -> str:
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


def expected_outcome(path: Path, line: int, text: object, id_value: object) -> tuple[str, str | None, list[str]]:
    """What one record must become: ("skip", reason, []) or ("doc", id, repairs), from the readers' documented rules."""
    if text is None:
        return "skip", "missing_text", []
    if not isinstance(text, str):
        return "skip", "non_string_text", []
    repairs = ["invalid_utf8"] if has_surrogate(text) else []
    if is_blank(repair(text)):
        return "skip", "empty_text", []
    default = f"{path}:{line}"
    if id_value is ABSENT or id_value is None or id_value == "":
        return "doc", default, repairs
    if isinstance(id_value, bool) or not isinstance(id_value, (str, int)):
        return "doc", default, repairs + ["bad_id"]
    if isinstance(id_value, str) and has_surrogate(id_value):
        return "doc", repair(id_value), repairs + ["invalid_utf8"]
    return "doc", str(id_value), repairs


@FUZZ
@given(st.lists(st.tuples(TEXTS, IDS), min_size=1, max_size=8))
def test_json_values_of_any_type_for_text_and_id(records: list[tuple[object, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "values.jsonl"
        lines = [json.dumps({"text": text} if id_value is ABSENT else {"text": text, "id": id_value}) for text, id_value in records]
        write(path, "\n".join(lines) + "\n")
        outcomes = [expected_outcome(path, i, text, id_value) for i, (text, id_value) in enumerate(records, 1)]
        want_skipped: dict[str, int] = {}
        want_repaired: dict[str, int] = {}
        want_ids = []
        for kind, value, repairs in outcomes:
            if kind == "skip":
                want_skipped[value] = want_skipped.get(value, 0) + 1
            else:
                want_ids.append(value)
                for reason in repairs:
                    want_repaired[reason] = want_repaired.get(reason, 0) + 1
        result = fingerprint(path, Path(tmp))
        if not want_ids:
            error(result, f"no documents read from {path}", f"{len(records)} records skipped")
            return
        summary = ok(result)
        assert summary["documents"] == len(want_ids)
        assert skipped(summary) == dict(sorted(want_skipped.items()))
        assert repaired(summary) == dict(sorted(want_repaired.items()))
        assert output_rows(Path(tmp)).column("id").to_pylist() == want_ids


# --------------------------------------------------------------------------- mutated compressed and Parquet files

RAW = good_lines(60)
PACKED = {".jsonl.gz": gzip.compress(RAW), ".jsonl.zst": zstandard.ZstdCompressor(write_checksum=True).compress(RAW)}


def decompressible_prefix(ext: str, packed: bytes) -> bytes:
    """What can be decompressed from the start of ``packed`` (a truncated stream)."""
    if ext == ".jsonl.gz":
        return zlib.decompressobj(wbits=31).decompress(packed)
    return zstandard.ZstdDecompressor().decompressobj().decompress(packed)


def mutate(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    mutated = bytearray(data[: cut % (len(data) + 1)])
    for position, mask in flips:
        if mutated:
            mutated[position % len(mutated)] ^= mask
    return bytes(mutated)


@FUZZ
@given(st.sampled_from(sorted(PACKED)), st.integers(min_value=0))
def test_truncated_compressed_jsonl_keeps_every_complete_line(ext: str, cut: int) -> None:
    packed = PACKED[ext]
    magic = GZIP_MAGIC if ext == ".jsonl.gz" else ZSTD_MAGIC
    cut = len(magic) + cut % (len(packed) - len(magic))  # magic intact, at least one byte missing
    prefix = decompressible_prefix(ext, packed[:cut])
    complete = prefix.count(b"\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / f"cut{ext}", packed[:cut])
        result = fingerprint(path, Path(tmp))
        if complete == 0:
            error(result, f"no documents read from {path}: 1 records skipped (1 truncated_stream)")
            return
        summary = ok(result)
        assert summary["documents"] == complete
        assert skipped(summary) == {"truncated_stream": 1}
        assert locations(summary) == [(f"{path}:{complete + 1}", "truncated_stream")]
        assert "ends early" in summary["problems"][0]["detail"]
        strict = fingerprint(path, Path(tmp), "--strict")
        error(strict, f"error: {path}:{complete + 1}: truncated_stream", "--strict")


@FUZZ
@given(st.sampled_from(sorted(PACKED)), st.integers(min_value=0), st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=4))
def test_corrupted_compressed_jsonl(ext: str, cut: int, flips: list[tuple[int, int]]) -> None:
    packed = PACKED[ext]
    data = mutate(packed, len(packed) if cut % 2 else cut, flips)  # half of the examples whole, half truncated too
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / f"flipped{ext}", data)
        summary = error_or_read(fingerprint(path, Path(tmp)), path, Path(tmp))
        if summary is not None:
            assert all(p["location"].startswith(f"{path}:") for p in summary["problems"])


def parquet_bytes(compression: str) -> bytes:
    sink = io.BytesIO()
    table = pa.table({"id": [f"doc-{i}" for i in range(40)], "text": [sentence(i) for i in range(40)]})
    pq.write_table(table, sink, compression=compression, row_group_size=15)
    return sink.getvalue()


PARQUET = {compression: parquet_bytes(compression) for compression in ("none", "snappy", "zstd")}


@FUZZ
@given(st.sampled_from(sorted(PARQUET)), st.integers(min_value=0), st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), max_size=3))
@example("none", 1, [(236595884, 128)])  # found by CI: a column name in the footer no longer UTF-8 (pyarrow raised UnicodeDecodeError)
def test_corrupted_parquet(compression: str, cut: int, flips: list[tuple[int, int]]) -> None:
    valid = PARQUET[compression]
    data = mutate(valid, len(valid) if cut % 3 else cut, flips)  # a third of the examples truncated
    assume(data != valid)
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "mutated.parquet", data)
        summary = error_or_read(fingerprint(path, Path(tmp)), path, Path(tmp))
        if summary is not None:
            assert summary["documents"] <= 40
            assert summary["documents"] + summary["skipped"]["total"] == 40


# --------------------------------------------------------------------------- very long lines

TWENTY_MB = 20 * 2**20


def long_text(size: int) -> str:
    """About ``size`` bytes of varied words (not one repeated block: MinHash and the features see real work)."""
    rng = random.Random(size)
    vocabulary = [f"{word}{i}" for i in range(400) for word in ("alpha", "beta", "gamma")]
    words = rng.choices(vocabulary, k=size // 8)
    return " ".join(words)[:size]


def test_20mb_single_line_jsonl_record(tmp_path: Path) -> None:
    text = long_text(TWENTY_MB)
    path = tmp_path / "long.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "long", "text": text}) + "\n")
        fh.write('{"id": "cut", "text": "' + text[: 2**20])  # a 1 MB line whose string never ends
        fh.write("\n" + json.dumps({"id": "short", "text": sentence(1)}) + "\n")
    summary = ok(fingerprint(path, tmp_path))
    assert summary["documents"] == 2
    assert skipped(summary) == {"invalid_json": 1}
    assert (f"{path}:2", "invalid_json") in locations(summary)
    # Features may be computed on the start of a long text only (--max-doc-chars): then the cut is counted.
    assert repaired(summary) in ({}, {"truncated": 1})
    assert output_rows(tmp_path).column("id").to_pylist() == ["long", "short"]


def test_20mb_txt_file(tmp_path: Path) -> None:
    path = write(tmp_path / "long.txt", long_text(TWENTY_MB))
    summary = ok(fingerprint(path, tmp_path))
    assert summary["documents"] == 1
    assert summary["skipped"]["total"] == 0
    assert repaired(summary) in ({}, {"truncated": 1})
    assert output_rows(tmp_path).column("id").to_pylist() == [str(path)]


# --------------------------------------------------------------------------- deeply nested JSON


def test_deeply_nested_json_is_counted_not_a_crash(tmp_path: Path) -> None:
    depth = 100_000
    lines = [
        good_lines(1),
        b"[" * depth + b"\n",  # never closed
        b"[" * depth + b"]" * depth + b"\n",  # valid JSON, not an object
        b'{"text": "nested metadata", "meta": ' + b"[" * depth + b"]" * depth + b"}\n",
        b'{"a": ' * depth + b"1" + b"}" * depth + b"\n",
        good_lines(1, start=1),
    ]
    path = write(tmp_path / "deep.jsonl", b"".join(lines))
    summary = ok(fingerprint(path, tmp_path))
    assert summary["documents"] == 2
    assert skipped(summary) == {"invalid_json": 4}
    assert locations(summary) == [(f"{path}:{line}", "invalid_json") for line in (2, 3, 4, 5)]
    assert all(p["detail"] == "JSON nested too deeply" for p in summary["problems"])
    error(fingerprint(path, tmp_path, "--strict"), f"error: {path}:2: invalid_json: JSON nested too deeply")


# --------------------------------------------------------------------------- BOMs, NUL bytes, CRLF


def test_utf8_boms_everywhere(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "a.jsonl", BOM + good_lines(2))
    # Two BOM-prefixed files joined with cat: the second BOM starts line 3.
    write(corpus / "b.jsonl", BOM + good_lines(2, 10) + BOM + good_lines(1, 20))
    write(corpus / "c.jsonl.gz", gzip.compress(BOM + good_lines(1, 30)))
    write(corpus / "d.jsonl.zst", zstandard.ZstdCompressor().compress(BOM + good_lines(1, 40)))
    write(corpus / "e.csv", BOM + b"text,id\n" + sentence(50).encode() + b",e1\n")
    write(corpus / "f.tsv.gz", gzip.compress(BOM + b"id\ttext\nf1\t" + sentence(60).encode() + b"\n"))
    write(corpus / "g.txt", BOM + sentence(70).encode())
    write(corpus / "h.txt", BOM)  # nothing but a BOM: an empty document
    summary = ok(fingerprint(corpus, tmp_path))
    assert summary["documents"] == 10
    assert skipped(summary) == {"empty_text": 1}
    assert locations(summary) == [(f"{corpus / 'h.txt'}:1", "empty_text")]
    assert summary["repaired"]["total"] == 0
    ids = output_rows(tmp_path).column("id").to_pylist()
    assert ids[:5] == ["doc-0", "doc-1", "doc-10", "doc-11", "doc-20"]
    assert "e1" in ids and "f1" in ids


def test_nul_bytes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "a.jsonl", b"".join([
        b'{"text": "escaped \\u0000 nul is fine"}\n',
        b'{"text": "raw \x00 nul inside a string"}\n',  # a control character: invalid JSON
        b"\x00\x00\x00\n",
        b'{"text": "after the nuls"}\n',
        b'{"text": "\\u0000\\u0000"}\n',  # nothing visible
    ]))
    write(corpus / "b.csv", b"text,id\nnul \x00 in a cell,b1\n\x00,b2\n")
    write(corpus / "c.txt", b"nul \x00 in a text file")
    write(corpus / "d.txt", b"\x00" * 100)
    summary = ok(fingerprint(corpus, tmp_path))
    assert summary["documents"] == 4
    assert skipped(summary) == {"empty_text": 3, "invalid_json": 2}
    a = corpus / "a.jsonl"
    assert locations(summary) == [(f"{a}:2", "invalid_json"), (f"{a}:3", "invalid_json"), (f"{a}:5", "empty_text"),
                                  (f"{corpus / 'b.csv'}:3", "empty_text"), (f"{corpus / 'd.txt'}:1", "empty_text")]


def test_crlf_line_ends_in_every_text_format(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    crlf = good_lines(300).replace(b"\n", b"\r\n")
    write(corpus / "a.jsonl", crlf + b"\r\n" + b"not json\r\n")
    write(corpus / "b.jsonl.gz", gzip.compress(crlf))
    write(corpus / "c.csv", b'id,text\r\nc1,"two\r\nlines"\r\nc2,one line\r\nc3,too,many\r\n')
    write(corpus / "d.tsv", b"id\ttext\r\nd1\tfirst\r\n\r\nd2\tsecond\r\n")
    write(corpus / "e.txt", b"line one\r\nline two\r\n")
    # A small shard size splits a.jsonl at line ends: the CRLF lines keep their numbers.
    summary = ok(fingerprint(corpus, tmp_path, "--shard-size", "4k"))
    assert summary["documents"] == 300 + 300 + 2 + 2 + 1
    assert skipped(summary) == {"invalid_json": 1, "ragged_row": 1}
    assert locations(summary) == [(f"{corpus / 'a.jsonl'}:302", "invalid_json"), (f"{corpus / 'c.csv'}:5", "ragged_row")]
    table = output_rows(tmp_path).to_pylist()
    assert [row["record"] for row in table if row["source"].endswith("a.jsonl")] == list(range(1, 301))
    assert [(row["id"], row["record"]) for row in table if row["source"].endswith(("c.csv", "d.tsv"))] == [
        ("c1", 2), ("c2", 4), ("d1", 2), ("d2", 4)]


# --------------------------------------------------------------------------- empty files and directories


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_empty_file_alone_is_exit_2_naming_it(tmp_path: Path, ext: str) -> None:
    path = write(tmp_path / f"empty{ext}", b"")
    message = error(fingerprint(path, tmp_path), path)
    if ext == ".parquet":
        assert "not a valid Parquet file" in message
    elif ext == ".txt":
        assert f"no documents read from {path}: 1 records skipped (1 empty_text)" in message
    else:
        assert f"no documents read from {path}: the inputs contain no records" in message


def test_empty_files_beside_good_ones(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "good.jsonl", good_lines(3))
    for name in ("e.jsonl", "e.jsonl.gz", "e.jsonl.zst", "e.csv", "e.tsv", "e.txt"):
        write(corpus / name, b"")
    write(corpus / "gz-of-nothing.jsonl.gz", gzip.compress(b""))
    write(corpus / "zst-of-nothing.jsonl.zst", zstandard.ZstdCompressor().compress(b""))
    write(corpus / "header-only.csv", b"text,id\r\n")
    write_parquet(corpus / "no-rows.parquet", {"text": pa.array([], pa.string())})
    (corpus / "empty-subdirectory").mkdir()
    summary = ok(fingerprint(corpus, tmp_path))
    assert summary["documents"] == 3
    assert skipped(summary) == {"empty_text": 1}  # only the .txt file is a (blank) record
    assert locations(summary) == [(f"{corpus / 'e.txt'}:1", "empty_text")]
    assert summary["ignored_files"] == []
    # A zero-byte .parquet is not a Parquet file (no footer): fatal, naming it.
    bad = write(corpus / "zero.parquet", b"")
    error(fingerprint(corpus, tmp_path), bad, "not a valid Parquet file")


def test_empty_directories(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    error(fingerprint(empty, tmp_path), f"{empty}: directory contains no files")
    (empty / "a" / "b").mkdir(parents=True)
    write(empty / ".hidden.jsonl", good_lines(1))
    error(fingerprint(empty, tmp_path), f"{empty}: directory contains no files (hidden files are skipped)")
    write(empty / "a" / "notes.md", "# not data")
    error(fingerprint(empty, tmp_path), f"{empty}: no supported files (1 ignored: {empty / 'a' / 'notes.md'})")


# --------------------------------------------------------------------------- unreadable files, symlinks


@pytest.mark.skipif(IS_ROOT, reason="root reads files whatever their permissions")
@pytest.mark.parametrize("ext", [".jsonl", ".jsonl.gz", ".csv", ".txt", ".parquet"])
def test_unreadable_file(tmp_path: Path, ext: str) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "a-good.jsonl", good_lines(2))
    locked = write(corpus / f"locked{ext}", b"")
    locked.chmod(0)
    try:
        error(fingerprint(locked, tmp_path), f"{locked}: permission denied")  # given explicitly
        error(fingerprint(corpus, tmp_path), f"{locked}: permission denied")  # found in a directory
    finally:
        locked.chmod(0o644)


@pytest.mark.skipif(IS_ROOT, reason="root reads directories whatever their permissions")
def test_unreadable_directory(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "good.jsonl", good_lines(2))
    locked = corpus / "locked"
    write(locked / "x.jsonl", good_lines(1))
    locked.chmod(0)
    try:
        error(fingerprint(corpus, tmp_path), f"{locked}: permission denied")
    finally:
        locked.chmod(0o755)


def test_unreadable_file_in_a_directory_fails_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What chmod 000 does to anyone but root, for the runs as root (CI containers) too.
    from auditor.io import reading as readers

    corpus = tmp_path / "corpus"
    write(corpus / "a.jsonl", good_lines(2))
    locked = write(corpus / "b-locked.parquet", b"")
    real_access = os.access
    monkeypatch.setattr(readers.os, "access", lambda path, mode: path != str(locked) and real_access(path, mode))
    error(fingerprint(corpus, tmp_path), f"error: {locked}: permission denied; check the file's permissions")
    assert not (tmp_path / "fp.parquet").exists()


def test_symlink_loops(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "a.jsonl", good_lines(2))
    write(corpus / "sub" / "b.jsonl", good_lines(3, 10))
    (corpus / "sub" / "up").symlink_to("..")  # corpus/sub/up -> corpus: a cycle
    (corpus / "self").symlink_to(".")  # corpus/self -> corpus
    (corpus / "sub" / "twin").symlink_to(corpus / "sub")  # the same folder reached twice
    summary = ok(fingerprint(corpus, tmp_path))
    assert summary["documents"] == 5  # every file read once
    assert summary["skipped"]["total"] == 0
    assert sorted(set(output_rows(tmp_path).column("source").to_pylist())) == [str(corpus / "a.jsonl"), str(corpus / "sub" / "b.jsonl")]


def test_file_symlink_loop_and_dangling_links(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "a.jsonl", good_lines(2))
    loop = corpus / "loop.jsonl"
    loop.symlink_to("loop.jsonl")  # points to itself
    error(fingerprint(loop, tmp_path), loop)
    error(fingerprint(corpus, tmp_path), loop)
    loop.unlink()
    for name in ("gone.jsonl", "gone.parquet", "gone.txt"):
        dangling = corpus / name
        dangling.symlink_to(tmp_path / "nowhere" / name)  # e.g. a git-annex file whose content is not fetched
        assert "broken symbolic link" in error(fingerprint(dangling, tmp_path), dangling)
        assert "broken symbolic link" in error(fingerprint(corpus, tmp_path), dangling)
        dangling.unlink()


# --------------------------------------------------------------------------- wrong columns and ragged rows


def test_parquet_without_the_text_column(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "data" / "no-text.parquet", {"id": ["a", "b"], "body": ["one", "two"]})
    message = error(fingerprint(path, tmp_path), f"{path}: no 'text' column (columns: 'id', 'body')", "--text-field")
    assert message == error(scan(path, tmp_path), path)  # scan fails the same way, before scoring anything
    summary = ok(fingerprint(path, tmp_path, "--text-field", "body"))
    assert summary["documents"] == 2
    wrong_type = write_parquet(tmp_path / "data" / "numbers.parquet", {"text": [1, 2]})
    error(fingerprint(wrong_type, tmp_path), f"{wrong_type}: column 'text' has type int64, not string")
    only_nulls = write_parquet(tmp_path / "data" / "nulls.parquet", {"text": pa.array([None, None], pa.string())})
    error(fingerprint(only_nulls, tmp_path), f"no documents read from {only_nulls}: 2 records skipped (2 missing_text)")


def test_parquet_string_column_holding_invalid_utf8(tmp_path: Path) -> None:
    # pyarrow writes and reads such a column without checking it (a buggy writer, a flipped bit).
    def strings(values: list[bytes | None]) -> pa.Array:
        return pa.array(values, pa.binary()).view(pa.string())

    path = write_parquet(tmp_path / "latin1.parquet", {
        "id": strings([b"a", b"caf\xe9", b"c", None]),
        "text": strings([b"clean text", b"caf\xe9 au lait", None, b"\xff\xfe"]),
    })
    summary = ok(fingerprint(path, tmp_path))
    assert summary["documents"] == 3
    assert skipped(summary) == {"missing_text": 1}
    assert repaired(summary) == {"invalid_utf8": 2}
    assert locations(summary) == [(f"{path}:2", "invalid_utf8"), (f"{path}:3", "missing_text"), (f"{path}:4", "invalid_utf8")]
    assert output_rows(tmp_path).column("id").to_pylist() == ["a", "caf\ufffd", f"{path}:4"]
    error(fingerprint(path, tmp_path, "--strict"), f"error: {path}:2: invalid_utf8")


def test_csv_with_ragged_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "ragged.csv", b"".join([
        b"id,text,label\n",
        b"r1,a complete row,human\n",
        b"r2,too short\n",
        b"r3,too,many,fields\n",
        b"\n",
        b"r4,\"a quoted, comma\",machine\n",
        b"lonely\n",
        b'r5,"a quote never closed,human\n',
        b"r6,swallowed by the open quote,human\n",
    ]))
    summary = ok(fingerprint(path, tmp_path))
    assert summary["documents"] == 2
    assert skipped(summary) == {"invalid_csv": 1, "ragged_row": 3}
    assert locations(summary) == [(f"{path}:3", "ragged_row"), (f"{path}:4", "ragged_row"), (f"{path}:7", "ragged_row"),
                                  (f"{path}:8", "invalid_csv")]
    assert "never closes" in summary["problems"][-1]["detail"]
    assert output_rows(tmp_path).column("record").to_pylist() == [2, 6]
    # The same open quote where the swallowed lines leave the field count right: not one valid record either.
    merged = write(tmp_path / "merged.csv", b'id,text\nm0,fine\nm1,"opened here\nm2,lost inside the quotes\nm3,and this\n')
    summary = ok(fingerprint(merged, tmp_path))
    assert output_rows(tmp_path).column("id").to_pylist() == ["m0"]
    assert locations(summary) == [(f"{merged}:3", "invalid_csv")]
    error(fingerprint(path, tmp_path, "--strict"), f"error: {path}:3: ragged_row: 2 fields, the header has 3", "--strict")
    no_text = write(tmp_path / "no-text.tsv", b"id\tbody\nx\ty\n")
    error(fingerprint(no_text, tmp_path), f"{no_text}: the header has no 'text' column (columns: 'id', 'body')")


# --------------------------------------------------------------------------- mixed encodings


def test_latin1_and_cp1252_bytes_inside_utf8_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path / "mixed.jsonl", b"".join([
        '{"id": "utf8", "text": "café au lait, déjà vu"}\n'.encode("utf-8"),
        '{"id": "latin1", "text": "café au lait, déjà vu"}\n'.encode("latin-1"),
        '{"id": "cp1252", "text": "“smart quotes” – and a dash"}\n'.encode("cp1252"),
        b'{"id": "caf\xe9", "text": "the id is latin-1"}\n',
        b'{"text\xe9": "a latin-1 key: no text field"}\n',
    ]))
    summary = ok(fingerprint(path, tmp_path))
    assert summary["documents"] == 4
    assert repaired(summary) == {"invalid_utf8": 3}
    assert skipped(summary) == {"missing_text": 1}
    assert locations(summary) == [(f"{path}:2", "invalid_utf8"), (f"{path}:3", "invalid_utf8"), (f"{path}:4", "invalid_utf8"),
                                  (f"{path}:5", "missing_text")]
    assert output_rows(tmp_path).column("id").to_pylist() == ["utf8", "latin1", "cp1252", "caf\ufffd"]
    error(fingerprint(path, tmp_path, "--strict"), f"error: {path}:2: invalid_utf8: invalid UTF-8 byte(s) at byte 29")


UTF16_TEXT = "A document saved as UTF-16 by a Windows editor, with accents: café."


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("ext", [".jsonl", ".jsonl.gz", ".csv", ".tsv", ".txt"])
def test_utf16_and_utf32_files_are_refused_naming_the_encoding(tmp_path: Path, ext: str, encoding: str) -> None:
    if ext.startswith(".jsonl"):
        content = json.dumps({"text": UTF16_TEXT}, ensure_ascii=False) + "\n"
    elif ext in (".csv", ".tsv"):
        content = f"text\n{UTF16_TEXT}\n"
    else:
        content = UTF16_TEXT
    data = ("\ufeff" + content).encode(encoding.removesuffix("-be") + ("-be" if encoding.endswith("-be") else "-le"))
    if ext.endswith(".gz"):
        data = gzip.compress(data)
    path = write(tmp_path / f"wide{ext}", data)
    name = "UTF-32" if encoding == "utf-32" else "UTF-16"
    error(fingerprint(path, tmp_path), f"{path}: the file is {name}", "convert it to UTF-8")


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, data in ((b"caf\xe9.jsonl", good_lines(2)), (b"caf\xe8.jsonl", good_lines(1, 5)), (b"notes\xe9.md", b"# notes")):
        with open(os.path.join(os.fsencode(corpus), name), "wb") as fh:  # latin-1 file names
            fh.write(data)
    summary = ok(fingerprint(corpus, tmp_path))
    assert summary["documents"] == 3
    # The bytes spelled out: sources, ids and reports must be encodable, and the two names kept apart.
    first, second = str(corpus / "caf\\xe8.jsonl"), str(corpus / "caf\\xe9.jsonl")
    assert output_rows(tmp_path).column("source").to_pylist() == [first, second, second]
    assert summary["ignored_files"] == [str(corpus / "notes\\xe9.md")]
    summary = ok(scan(corpus, tmp_path))  # writes report.md and report.html listing the ignored file
    assert summary["documents"] == 3
    # (report.html puts a <wbr> break hint after each separator of a path)
    assert f"{corpus / 'notes'}\\xe9.md</li>" in (tmp_path / "scan" / "report.html").read_text(encoding="utf-8").replace("<wbr>", "")


# --------------------------------------------------------------------------- auditor scan


def test_scan_counts_every_kind_of_bad_record(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus / "a.jsonl", BOM + good_lines(20) + b"not json\n" + b"[" * 100_000 + b"\n" + b'{"text": 5}\n{"text": null}\n')
    write(corpus / "b.jsonl.gz", gzip.compress(good_lines(20, 100))[:-30])
    write(corpus / "c.csv", b"id,text\r\nc1,caf\xe9 cr\xe8me \x00 nul\r\nc2\r\n")
    write(corpus / "d.txt", b"\x00\r\n")
    summary = ok(scan(corpus, tmp_path))
    assert skipped(summary) == {"empty_text": 1, "invalid_json": 2, "missing_text": 1, "non_string_text": 1, "ragged_row": 1,
                                "truncated_stream": 1}
    assert repaired(summary) == {"invalid_utf8": 1}
    assert 20 + 1 <= summary["documents"] <= 20 + 19 + 1
    assert (tmp_path / "scan" / "report.html").is_file()
    error(scan(corpus, tmp_path, "--strict"), f"error: {corpus / 'a.jsonl'}:21: invalid_json")


def test_broken_bytes_on_standard_input(tmp_path: Path) -> None:
    packed = gzip.compress(good_lines(50))
    cut = packed[: len(packed) * 2 // 3]
    complete = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
    result = CliRunner().invoke(cli, ["fingerprint", "-", "--out", str(tmp_path / "fp.parquet"), "--quiet", "--json"], input=cut)
    summary = ok(result)
    assert summary["documents"] == complete
    assert locations(summary) == [(f"-:{complete + 1}", "truncated_stream")]
    result = CliRunner().invoke(cli, ["fingerprint", "-", "--out", str(tmp_path / "fp.parquet"), "--quiet"], input=b"\x00\xff[{\n" * 3)
    error(result, "no documents read from -: 3 records skipped (3 invalid_json)")
