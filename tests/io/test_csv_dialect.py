"""How inputs are decoded and split into cells: ``ReaderOptions.encoding`` and ``csv_delimiter``, the sniffed delimiter.

The CLI side (flags, exact messages, exit codes) is in tests/cli/test_reader_options.py.
"""

from __future__ import annotations

import csv
import gzip
import json
import pickle
from dataclasses import asdict
from pathlib import Path

import pytest

from auditor.corpus.batches import FingerprintOptions
from auditor.errors import InputError
from auditor.io.documents import ReaderOptions
from auditor.io.formats import csv as csv_format
from auditor.io.problems import Problem, ReadReport
from auditor.io.reading import read_documents

SEMICOLONS = "id;text\n1;Hello, world\n2;Second document\n3;Third, with a comma\n"
SNIFFED = ("the header has no 'text' column with ',' as the delimiter: read with ';', the delimiter csv.Sniffer finds "
           "(pass --csv-delimiter ';' to say so)")


def write(path: Path, data: bytes | str) -> str:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def read(path: str, **options: object) -> tuple[list[tuple[str, str]], ReadReport]:
    report = ReadReport()
    docs = [(d.id, d.text) for d in read_documents([path], ReaderOptions(**options), report)]  # type: ignore[arg-type]  # test keywords
    return docs, report


def refusal(path: str, **options: object) -> str:
    """The message of the InputError reading ``path`` raises."""
    with pytest.raises(InputError) as raised:
        read(path, **options)
    return str(raised.value)


def problems(report: ReadReport) -> list[tuple[str, str, str]]:
    return [(p.location(), p.reason, p.detail) for p in report.examples]


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(("given", "stored"), [("utf-8", "utf-8"), ("UTF8", "utf-8"), ("utf-8-sig", "utf-8"), ("latin-1", "iso8859-1"),
                                               ("CP1252", "cp1252"), ("utf-16", "utf-16")])
def test_encoding_is_stored_as_the_codec_name(given: str, stored: str) -> None:
    assert ReaderOptions(encoding=given).encoding == stored


CODEC_NAMES = "give a Python codec name such as utf-8, latin-1, cp1252 or utf-16"


@pytest.mark.parametrize(("options", "message"), [
    ({"encoding": "nope"}, f"'nope': unknown encoding; {CODEC_NAMES}"),
    ({"encoding": "base64"}, f"'base64': not a text encoding; {CODEC_NAMES}"),
    ({"encoding": "rot13"}, f"'rot13': not a text encoding; {CODEC_NAMES}"),
    ({"encoding": ""}, "encoding must be a codec name such as utf-8, latin-1 or cp1252, not ''"),
    ({"csv_delimiter": ";;"}, "the CSV delimiter must be one character (\\t for tab), not ';;'"),
    ({"csv_delimiter": ""}, "the CSV delimiter must be one character (\\t for tab), not ''"),
    ({"csv_delimiter": '"'}, "the CSV delimiter cannot be '\"': it quotes cells or ends rows"),
    ({"csv_delimiter": "\n"}, "the CSV delimiter cannot be '\\n': it quotes cells or ends rows"),
])
def test_unknown_encodings_and_bad_delimiters_are_refused(options: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        ReaderOptions(**options)  # type: ignore[arg-type]  # test keywords
    assert str(raised.value) == message


def test_options_travel_to_workers_and_into_the_resume_identity() -> None:
    options = ReaderOptions(csv_delimiter=";", encoding="cp1252")
    assert pickle.loads(pickle.dumps(options)) == options
    settings = asdict(FingerprintOptions(reader=options))["reader"]  # what runner._identity records
    assert (settings["csv_delimiter"], settings["encoding"]) == (";", "cp1252")


# --------------------------------------------------------------------------- the delimiter


def test_a_given_delimiter_is_used_and_nothing_is_sniffed(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", SEMICOLONS)
    docs, report = read(path, csv_delimiter=";")
    assert docs == [("1", "Hello, world"), ("2", "Second document"), ("3", "Third, with a comma")]
    assert report.examples == []


def test_a_given_delimiter_applies_to_tsv_files_too(tmp_path: Path) -> None:
    path = write(tmp_path / "s.tsv", "id|text\n1|a\tb\n")
    assert read(path, csv_delimiter="|")[0] == [("1", "a\tb")]


def test_a_given_delimiter_is_not_second_guessed(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", SEMICOLONS)
    assert refusal(path, csv_delimiter=",") == (
        f"{path}: the header has no 'text' column (columns: 'id;text') with ',' as the delimiter; pass "
        "--text-field with the name of the text column, or --csv-delimiter with the file's delimiter")


def test_without_one_the_sniffed_delimiter_is_used_and_noted(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "\n\n" + SEMICOLONS)  # blank lines before the header are read again too
    docs, report = read(path)
    assert docs == [("1", "Hello, world"), ("2", "Second document"), ("3", "Third, with a comma")]
    assert [d.record for d in read_documents([path])] == [4, 5, 6]  # lines of the file, not of the second read
    assert problems(report) == [(path, "csv_delimiter", SNIFFED)]
    assert (report.skipped_by_reason, report.repaired_by_reason) == ({}, {})  # a note: counted nowhere


def test_sniffing_reads_compressed_files_and_standard_input_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = "".join(f"{i};document number {i}, with commas, in it\n" for i in range(5000))  # beyond the sniffed sample
    path = write(tmp_path / "s.csv.gz", gzip.compress(("id;text\n" + rows).encode()))
    docs, report = read(path)
    assert len(docs) == 5000 and docs[-1] == ("4999", "document number 4999, with commas, in it")
    assert [p.reason for p in report.examples] == ["csv_delimiter"]


def test_a_tab_separated_csv_is_sniffed_and_the_note_spells_the_flag(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id\ttext\n1\thello, there\n2\tagain, here\n")
    docs, report = read(path)
    assert docs == [("1", "hello, there"), ("2", "again, here")]
    assert problems(report) == [(path, "csv_delimiter", "the header has no 'text' column with ',' as the delimiter: read with tab, "
                                                        "the delimiter csv.Sniffer finds (pass --csv-delimiter '\\t' to say so)")]


def test_a_header_without_the_text_column_whatever_the_delimiter_names_what_was_tried(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", SEMICOLONS.replace("id;text", "id;body"))
    assert refusal(path) == (
        f"{path}: the header has no 'text' column (columns: 'id;body') with ',' as the delimiter, nor with ';', the delimiter "
        "csv.Sniffer finds (columns: 'id', 'body'); pass --text-field with the name of the text column, or --csv-delimiter "
        "with the file's delimiter")
    assert read(path, text_field="body")[0][0] == ("1", "Hello, world")  # the sniffed delimiter serves any text field


def test_the_sniffer_finding_the_default_delimiter_says_so(tmp_path: Path) -> None:
    path = write(tmp_path / "s.tsv", "id\tbody\nx\ty\nz\tw\n")
    assert refusal(path) == (
        f"{path}: the header has no 'text' column (columns: 'id', 'body') with tab as the delimiter, the "
        "delimiter csv.Sniffer finds too; pass --text-field with the name of the text column, or "
        "--csv-delimiter with the file's delimiter")


def test_a_sniffer_without_a_verdict_is_quoted(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "id;text\n1;Hello, world; and more\n")
    assert refusal(path) == (
        f"{path}: the header has no 'text' column (columns: 'id;text') with ',' as the delimiter, and "
        "csv.Sniffer could not tell the delimiter from the start of the file (Could not determine "
        "delimiter); pass --text-field with the name of the text column, or --csv-delimiter with the "
        "file's delimiter")


def test_a_one_column_csv_is_read_as_is(tmp_path: Path) -> None:
    # The header names the text column: nothing to sniff, though the texts hold semicolons.
    path = write(tmp_path / "s.csv", "text\nfirst; with a semicolon\nsecond; too\n")
    docs, report = read(path)
    assert [text for _, text in docs] == ["first; with a semicolon", "second; too"]
    assert report.examples == []


def test_a_bad_row_before_the_header_is_not_read_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A counted problem before the header (a field over the csv module's limit, made small here): reading
    # the file again would count it twice, so the header's error stands.
    monkeypatch.setattr(csv_format, "_raise_field_size_limit", lambda: csv.field_size_limit(16))
    path = write(tmp_path / "s.csv", "a" * 20 + "\nid;text\n1;x\n2;y\n")
    report = ReadReport()
    limit = csv.field_size_limit()
    try:
        with pytest.raises(InputError, match=r"the header has no 'text' column \(columns: 'id;text'\) with ',' as the delimiter;"):
            list(read_documents([path], ReaderOptions(), report))
    finally:
        csv.field_size_limit(limit)
    assert report.skipped_by_reason == {"invalid_csv": 1}


def test_notes_outlast_the_examples_cap_and_survive_merge_and_checkpoints() -> None:
    report = ReadReport(max_examples=1)
    report.add_skipped(Problem("a.jsonl", 1, "invalid_json", "x"))
    report.add_skipped(Problem("a.jsonl", 2, "invalid_json", "x"))  # beyond the cap: counted, not kept
    shard = ReadReport(max_examples=1)
    shard.add_note(Problem("b.csv", None, "csv_delimiter", "sniffed"))
    report.merge(ReadReport.from_state(json.loads(json.dumps(shard.to_state()))))
    assert [(p.location(), p.reason) for p in report.examples] == [("a.jsonl:1", "invalid_json"), ("b.csv", "csv_delimiter")]
    with pytest.raises(ValueError, match="'invalid_json' is not a note; one of csv_delimiter"):
        report.add_note(Problem("a.jsonl", 3, "invalid_json", "x"))


# --------------------------------------------------------------------------- the encoding


def test_a_utf8_byte_order_mark_is_skipped_in_every_text_format(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    assert read(write(tmp_path / "b.csv", bom + b"id,text\nb1,hello\n"))[0] == [("b1", "hello")]
    assert read(write(tmp_path / "b.jsonl", bom + b'{"id": "j1", "text": "hello"}\n'))[0] == [("j1", "hello")]
    path = write(tmp_path / "b.txt", bom + b"hello")
    assert read(path)[0] == [(path, "hello")]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_every_text_format_decodes_with_the_encoding(tmp_path: Path, encoding: str) -> None:
    text = "café crème; déjà vu"
    csv_path = write(tmp_path / "l.csv", f"id,text\ncafé,{text}\n".encode(encoding))
    jsonl_path = write(tmp_path / "l.jsonl", (json.dumps({"id": "café", "text": text}, ensure_ascii=False) + "\n").encode(encoding))
    txt_path = write(tmp_path / "l.txt", text.encode(encoding))
    for path, doc_id in ((csv_path, "café"), (jsonl_path, "café"), (txt_path, txt_path)):
        docs, report = read(path, encoding=encoding)
        assert (docs, report.repaired_by_reason) == ([(doc_id, text)], {}), path
    # The same bytes read as UTF-8: repaired, as always.
    assert read(csv_path)[1].repaired_by_reason == {"invalid_utf8": 1}


def test_invalid_bytes_in_another_encoding_are_counted_naming_it(tmp_path: Path) -> None:
    # 0x81 and 0x8d have no character in cp1252.
    csv_path = write(tmp_path / "c.csv", b"id,text\n1,bad \x81 byte\n2,fine \x93quoted\x94\n")
    docs, report = read(csv_path, encoding="cp1252")
    assert docs == [("1", "bad \ufffd byte"), ("2", "fine \u201cquoted\u201d")]
    assert problems(report) == [(f"{csv_path}:2", "invalid_encoding", "invalid cp1252 bytes replaced with U+FFFD")]
    jsonl_path = write(tmp_path / "c.jsonl", b'{"text": "bad \x8d byte"}\n')
    docs, report = read(jsonl_path, encoding="cp1252")
    assert docs == [(f"{jsonl_path}:1", "bad \ufffd byte")]
    assert problems(report) == [(f"{jsonl_path}:1", "invalid_encoding", "invalid cp1252 byte(s) at byte 14 replaced with U+FFFD")]
    txt_path = write(tmp_path / "c.txt", b"bad \x81")
    assert problems(read(txt_path, encoding="cp1252")[1]) == [(f"{txt_path}:1", "invalid_encoding",
                                                               "invalid cp1252 byte(s) at byte 4 replaced with U+FFFD")]
    with pytest.raises(InputError, match=r":2: invalid_encoding: invalid cp1252 bytes replaced with U\+FFFD \(rerun without --strict"):
        read(csv_path, encoding="cp1252", strict=True)


def test_invalid_utf8_in_a_csv_is_replaced_as_before(tmp_path: Path) -> None:
    # One U+FFFD per invalid sequence, as bytes.decode(..., "replace") gives: a cut 3-byte character is one.
    cell = b"a\xe2\x82b \xff\xfe c\xc3"
    path = write(tmp_path / "u.csv", b"text\n" + cell + b"\n")
    docs, report = read(path)
    assert docs == [(f"{path}:2", cell.decode("utf-8", "replace"))]
    assert problems(report) == [(f"{path}:2", "invalid_utf8", "invalid UTF-8 bytes replaced with U+FFFD")]


def test_utf16_csv_and_txt_are_read_with_the_encoding(tmp_path: Path) -> None:
    csv_path = write(tmp_path / "w.csv", "\ufeffid;text\n1;café, crème\n".encode("utf-16-be"))
    docs, report = read(csv_path, encoding="utf-16")
    assert docs == [("1", "café, crème")] and [p.reason for p in report.examples] == ["csv_delimiter"]
    txt_path = write(tmp_path / "w.txt", "\ufeffa UTF-16 text, café".encode("utf-16-le"))
    assert read(txt_path, encoding="utf-16")[0] == [(txt_path, "a UTF-16 text, café")]


def test_a_broken_utf16_sequence_is_repaired_not_a_crash(tmp_path: Path) -> None:
    # A lone high surrogate followed by ASCII: surrogateescape cannot escape these bytes; the row is repaired.
    data = "\ufeffid,text\n1,ok\n".encode("utf-16-le") + b"2\x00,\x00\x00\xd8A\x00\n\x00"
    path = write(tmp_path / "w.csv", data)
    docs, report = read(path, encoding="utf-16")
    assert docs == [("1", "ok"), ("2", "\ufffdA")]
    assert problems(report) == [(f"{path}:3", "invalid_encoding", "invalid utf-16 bytes replaced with U+FFFD")]


def test_a_wide_byte_order_mark_read_as_utf8_names_the_encoding_to_pass(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "\ufeffid,text\n1,x\n".encode("utf-16-le"))
    assert refusal(path) == (
        f"{path}: the file is UTF-16 (it starts with a UTF-16 byte order mark), read as UTF-8 by default; "
        "pass --encoding UTF-16 (CSV/TSV and .txt files), or convert it to UTF-8, e.g. iconv -f UTF-16 "
        "-t UTF-8")


def test_jsonl_refuses_an_encoding_that_does_not_keep_newlines(tmp_path: Path) -> None:
    path = write(tmp_path / "w.jsonl", '{"text": "x"}\n'.encode("utf-16-le"))
    assert refusal(path, encoding="utf-16-le") == (
        f"{path}: JSONL cannot be read as utf-16-le: its lines are found by the byte \\n, which that "
        "encoding does not keep; convert the file to UTF-8, e.g. iconv -f utf-16-le -t UTF-8")


def test_a_long_line_or_file_is_cut_on_a_character_of_the_encoding(tmp_path: Path) -> None:
    # Longer than what is kept of a line (6 bytes a character and 64 KiB): read from its start, decoded as latin-1.
    line = json.dumps({"text": "é" * 70_000}, ensure_ascii=False) + "\n"
    jsonl_path = write(tmp_path / "l.jsonl", line.encode("latin-1"))
    docs, report = read(jsonl_path, encoding="latin-1", max_doc_chars=10)
    assert docs == [(f"{jsonl_path}:1", "é" * 10)]
    assert problems(report) == [(f"{jsonl_path}:1", "truncated", f"a line of {len(line):,} bytes; features use the first 10 "
                                                                 "characters of its text")]
    # 31 bytes of a UTF-16 file are kept for 7 characters: the half character at their end is left out, not invalid.
    txt_path = write(tmp_path / "l.txt", ("é" * 50).encode("utf-16-le"))
    docs, report = read(txt_path, encoding="utf-16-le", max_doc_chars=7)
    assert docs == [(txt_path, "é" * 7)] and list(report.repaired_by_reason) == ["truncated"]
