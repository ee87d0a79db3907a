"""``--csv-delimiter`` and ``--encoding`` on every command that reads a corpus, and the files a folder holds that are not read.

Exact stderr lines and exit codes via ``auditor fingerprint`` (the cheapest reading command); what the
readers do with the options is tested in tests/io/test_csv_dialect.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from auditor.cli import cli
from auditor.corpus.checkpoint import checkpoint_dir
from auditor.corpus.batches import FingerprintOptions
from auditor.corpus.parallel import ExecutionOptions
from auditor.corpus.runner import fingerprint
from auditor.io.documents import ReaderOptions
from conftest import SAMPLE

READING_COMMANDS = [["scan"], ["fingerprint"], ["filter"], ["evaluate"], ["train"], ["index", "build"], ["project"]]
NEAR_DUPLICATES = "near-duplicates: 0 clusters holding 0 documents (0.0%) at Jaccard >= 0.8"
SEMICOLONS = "id;text\n1;Hello, world\n2;Second document\n3;Third, with a comma\n"


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def fingerprinted(tmp_path: Path, *args: object) -> tuple[list[str], list[str]]:
    """stderr after the throughput line (checked for the document count), and the ids written, of a run that succeeded."""
    out = tmp_path / "fp.parquet"
    result = run("fingerprint", *args, "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    ids = pq.read_table(out, columns=["id"]).column("id").to_pylist()
    assert lines[0].startswith(f"fingerprinted {len(ids)} documents ("), lines[0]
    assert lines[-1] == f"wrote {out}"
    return lines[1:-1], ids


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_every_reading_command_lists_them_with_the_other_reader_options(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    order = [result.output.index(f"  {name} ") for name in ("--id-field TEXT", "--csv-delimiter CHAR", "--encoding CODEC", "--strict")]
    assert order == sorted(order)
    words = " ".join(result.output.split())
    assert "--csv-delimiter CHAR Character separating the cells of CSV/TSV inputs (\\t: tab) [default: comma, tab for .tsv;" in words
    assert "a UTF-8 byte order mark is skipped. Parquet is always UTF-8. [default: utf-8]" in words


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_an_unknown_encoding_is_exit_2_before_anything_is_read(command: list[str]) -> None:
    result = run(*command, "--encoding", "latin-9000", "missing.csv")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == ("Error: Invalid value for '--encoding': 'latin-9000': unknown encoding; give a "
                                             "Python codec name such as utf-8, latin-1, cp1252 or utf-16")


def test_an_unknown_encoding_exact_output(tmp_path: Path) -> None:
    result = run("fingerprint", write(tmp_path / "s.csv", SEMICOLONS), "--out", tmp_path / "fp.parquet", "--encoding", "nope")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Usage: cli fingerprint [OPTIONS] PATHS...\nTry 'cli fingerprint --help' for help.\n\n"
                             "Error: Invalid value for '--encoding': 'nope': unknown encoding; give a Python codec name such as "
                             "utf-8, latin-1, cp1252 or utf-16\n")
    assert not (tmp_path / "fp.parquet").exists()


def test_a_delimiter_of_two_characters_is_exit_2(tmp_path: Path) -> None:
    result = run("fingerprint", write(tmp_path / "s.csv", SEMICOLONS), "--out", tmp_path / "fp.parquet", "--csv-delimiter", ";;")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == ("Error: Invalid value for '--csv-delimiter': the CSV delimiter must be one "
                                             "character (\\t for tab), not ';;'")


def test_a_semicolon_csv_with_its_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", SEMICOLONS)
    assert fingerprinted(tmp_path, path, "--csv-delimiter", ";") == ([NEAR_DUPLICATES], ["1", "2", "3"])


def test_a_semicolon_csv_without_it_is_sniffed_and_noted(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", SEMICOLONS)
    assert fingerprinted(tmp_path, path) == (
        [f"note: {path}: the header has no 'text' column with ',' as the delimiter: read with ';', the delimiter csv.Sniffer "
         "finds (pass --csv-delimiter ';' to say so)", NEAR_DUPLICATES], ["1", "2", "3"])
    result = run("fingerprint", path, "--out", tmp_path / "again.parquet", "--json", "--quiet")
    assert json.loads(result.stdout)["problems"] == [
        {"location": str(path), "reason": "csv_delimiter", "detail": "the header has no 'text' column with ',' as the delimiter: "
         "read with ';', the delimiter csv.Sniffer finds (pass --csv-delimiter ';' to say so)"}]


def test_one_note_line_for_a_folder_of_sniffed_files(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        write(corpus / f"{i}.csv", "id;text\n" + "".join(f"{i}-{j};document {j} of file {i}, a few words\n" for j in range(3)))
    lines, ids = fingerprinted(tmp_path, corpus)
    assert len(ids) == 9
    assert lines == [f"note: {corpus / '0.csv'} and 2 more files: the header has no 'text' column with ',' as the delimiter: read "
                     "with ';', the delimiter csv.Sniffer finds (pass --csv-delimiter ';' to say so)", NEAR_DUPLICATES]


def test_a_tab_delimiter_is_given_as_backslash_t(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id\ttext\n1\thello, there\n")
    assert fingerprinted(tmp_path, path, "--csv-delimiter", "\\t") == ([NEAR_DUPLICATES], ["1"])


def test_a_csv_whose_header_lacks_the_text_column_whatever_the_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", SEMICOLONS.replace("id;text", "id;body"))
    result = run("fingerprint", path, "--out", tmp_path / "fp.parquet")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: {path}: the header has no 'text' column (columns: 'id;body') with ',' as the delimiter, nor "
                             "with ';', the delimiter csv.Sniffer finds (columns: 'id', 'body'); pass --text-field with the name "
                             "of the text column, or --csv-delimiter with the file's delimiter\n")


def test_a_latin1_file_with_its_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "l.csv", "id,text\ncafé,déjà vu\ncrème,au lait\n".encode("latin-1"))
    assert fingerprinted(tmp_path, path, "--encoding", "latin-1") == ([NEAR_DUPLICATES], ["café", "crème"])
    # Without it: read as UTF-8, the invalid bytes replaced and counted, as before.
    assert fingerprinted(tmp_path, path) == (
        ["repaired 2 records: invalid_utf8 2",
         f"  {path}:2: invalid_utf8: invalid UTF-8 bytes replaced with U+FFFD",
         f"  {path}:3: invalid_utf8: invalid UTF-8 bytes replaced with U+FFFD", NEAR_DUPLICATES], ["caf\ufffd", "cr\ufffdme"])


def test_bytes_invalid_in_the_encoding_are_counted_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", b"id,text\n1,bad \x81 byte\n2,fine \x93quoted\x94\n")
    assert fingerprinted(tmp_path, path, "--encoding", "cp1252") == (
        ["repaired 1 records: invalid_encoding 1", f"  {path}:2: invalid_encoding: invalid cp1252 bytes replaced with U+FFFD",
         NEAR_DUPLICATES], ["1", "2"])
    result = run("fingerprint", path, "--out", tmp_path / "strict.parquet", "--encoding", "cp1252", "--strict")
    assert (result.exit_code, result.stderr) == (2, f"error: {path}:2: invalid_encoding: invalid cp1252 bytes replaced with U+FFFD "
                                                    "(rerun without --strict to skip and count such records)\n")


def test_a_utf8_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    # Read as part of the first column's name, the BOM would hide the id column: ids would be file:line.
    path = write(tmp_path / "b.csv", b"\xef\xbb\xbfid,text\nb1,with a byte order mark\n")
    assert fingerprinted(tmp_path, path) == ([NEAR_DUPLICATES], ["b1"])


def test_a_utf16_csv_names_the_encoding_to_pass(tmp_path: Path) -> None:
    path = write(tmp_path / "w.csv", "\ufeffid,text\nw1,café crème\n".encode("utf-16-le"))
    result = run("fingerprint", path, "--out", tmp_path / "fp.parquet")
    assert (result.exit_code, result.stderr) == (
        2, f"error: {path}: the file is UTF-16 (it starts with a UTF-16 byte order mark), read as UTF-8 by default; pass --encoding "
           "UTF-16 (CSV/TSV and .txt files), or convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8\n")
    assert fingerprinted(tmp_path, path, "--encoding", "UTF-16") == ([NEAR_DUPLICATES], ["w1"])


def test_workers_read_with_the_options_and_resume_refuses_other_ones(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(4):
        rows = "".join(f"{i}-{j}-é;document {j} of file {i}, café crème\n" for j in range(40))
        write(corpus / f"{i}.csv", ("id;text\n" + rows).encode("cp1252"))
    lines, ids = fingerprinted(tmp_path, corpus, "--encoding", "cp1252", "--csv-delimiter", ";", "--jobs", "2", "--shard-size", "1k")
    assert lines == [NEAR_DUPLICATES] and len(ids) == 160 and ids[:2] == ["0-0-é", "0-1-é"]

    out = tmp_path / "interrupted.parquet"

    def stop(progress) -> None:
        if progress.documents >= 80:  # the first shard is saved by then
            raise KeyboardInterrupt

    reader = ReaderOptions(csv_delimiter=";", encoding="cp1252")
    with pytest.raises(KeyboardInterrupt):
        fingerprint([str(corpus)], out=out, options=FingerprintOptions(reader=reader), execution=ExecutionOptions(shard_bytes=1024),
                    progress=stop)
    result = run("fingerprint", corpus, "--out", out, "--resume", "--shard-size", "1k", "--csv-delimiter", ";", "--encoding", "latin-1")
    assert (result.exit_code, result.stderr) == (
        2, f"error: {checkpoint_dir(out)}: the interrupted run had other settings (an input file changed, or another setting, model "
           "or version); run again without --resume to start over\n")
    resumed = run("fingerprint", corpus, "--out", out, "--resume", "--shard-size", "1k", "--csv-delimiter", ";", "--encoding", "cp1252")
    assert resumed.exit_code == 0, resumed.output
    assert pq.read_table(out, columns=["id"]).column("id").to_pylist() == ids


def test_files_without_a_corpus_extension_are_said_to_be_skipped_not_offered_to_format(tmp_path: Path) -> None:
    lines, ids = fingerprinted(tmp_path, SAMPLE)
    assert len(ids) == 683
    assert lines[0] == (f"skipped 2 non-corpus files, not read (first: {SAMPLE / 'PSF-LICENSE'}); if they hold documents, rename "
                        "them to a corpus extension (.txt, .jsonl, .csv, ...) or read them with --format")
    result = run("fingerprint", SAMPLE, "--out", tmp_path / "again.parquet", "--json", "--quiet")
    assert json.loads(result.stdout)["ignored_files"] == [str(SAMPLE / "PSF-LICENSE"), str(SAMPLE / "README.md")]


def test_one_file_without_a_corpus_extension(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write(corpus / "a.jsonl", json.dumps({"text": "one document with some words in it"}) + "\n")
    write(corpus / "LICENSE", "Permission is hereby granted")
    lines, _ = fingerprinted(tmp_path, corpus)
    assert lines == [f"skipped 1 non-corpus file, not read (first: {corpus / 'LICENSE'}); if they hold documents, rename them to a "
                     "corpus extension (.txt, .jsonl, .csv, ...) or read them with --format", NEAR_DUPLICATES]
