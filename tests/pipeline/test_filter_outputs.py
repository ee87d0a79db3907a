"""auditor filter's outputs: long documents written whole, keep and reject replaced as a pair with a
manifest, and nothing left behind by a killed run (neither beside the outputs nor in the system's temp)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.errors import InputError
from auditor.pipeline.filter import FilterOptions, filter_corpus
from auditor.pipeline.filter_outputs import MANIFEST_SCHEMA, manifest_path, verified_pair
from auditor.pipeline.scan import ScanOptions, scan
from conftest import SAMPLE

WORDS = "the keeper of the old lighthouse wrote long letters to his sister about storms and ships".split()
LONG = " ".join(WORDS[i % len(WORDS)] + str(i % 7) for i in range(400))  # ~2,800 characters


def run(args: list[object]):
    return CliRunner().invoke(cli, ["filter", *map(str, args)])


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Short documents, and a JSONL record and a .txt file longer than the --max-doc-chars the tests give (500)."""
    root = tmp_path_factory.mktemp("long") / "corpus"
    root.mkdir()
    records = [{"id": f"d{i}", "text": " ".join(WORDS[i:] + WORDS[:i]), "n": i} for i in range(6)]
    records.insert(3, {"id": "book", "text": LONG, "n": -1, "after": ["the", "text"]})
    (root / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (root / "b.txt").write_text(LONG[::-1], encoding="utf-8")
    return root


# --------------------------------------------------------------------------- item 2: long documents


def filter_long(inputs: list[Path], keep: Path, reject: Path, tmp_path: Path, model: Path, from_scan: bool, *extra: object):
    """``auditor filter INPUTS`` at --max-doc-chars 500 without the score filter: scoring now, or from a scan of them run first."""
    args = [*inputs, "--keep", keep, "--reject", reject, "--max-doc-chars", 500, "--no-score-filter", *extra]
    if from_scan:
        scanned = CliRunner().invoke(cli, ["scan", *map(str, inputs), "--out", str(tmp_path / "scan"), "--model", str(model),
                                           "--max-doc-chars", "500", "--quiet"])
        assert scanned.exit_code == 0, scanned.output
        args += ["--from-scan", tmp_path / "scan"]
    else:
        args += ["--model", model]
    result = run(args)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("from_scan", [False, True], ids=["scan-now", "from-scan"])
def test_documents_longer_than_max_doc_chars_are_written_whole(corpus, tmp_path, tiny_model_dir, from_scan):
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    filter_long([corpus], keep, reject, tmp_path, tiny_model_dir, from_scan, "--quiet")
    records = {r["auditor_id"]: r for r in read_jsonl(keep)}
    assert len(records) == 8 and read_jsonl(reject) == []
    assert records["book"]["text"] == LONG and records["book"]["after"] == ["the", "text"]
    assert records[str(corpus / "b.txt")]["text"] == LONG[::-1]


@pytest.mark.parametrize("from_scan", [False, True], ids=["scan-now", "from-scan"])
def test_records_the_scan_skipped_for_their_size_are_counted_and_the_rest_written(tmp_path, tiny_model_dir, from_scan):
    # Read with every field, the filter reads these two records whole; the scan, reading at most what
    # --max-doc-chars needs, skipped them: one whose text starts beyond that (record_too_large), one
    # whose kept characters are all blank. They must be counted, not stop the run or shift the rows.
    root = tmp_path / "corpus"
    root.mkdir()
    records = [{"id": f"d{i}", "text": " ".join(WORDS[i:] + WORDS[:i])} for i in range(4)]
    records.insert(1, {"id": "padded", "pad": "x" * 200_000, "text": LONG})
    records.insert(3, {"id": "blank-start", "text": " " * 600 + LONG})
    (root / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    args = [root, "--keep", keep, "--reject", reject, "--max-doc-chars", 500, "--no-score-filter", "--json"]
    scanned = CliRunner().invoke(cli, ["scan", str(root), "--out", str(tmp_path / "scan"), "--model", str(tiny_model_dir),
                                       "--max-doc-chars", "500", "--json"])
    assert scanned.exit_code == 0, scanned.output
    assert json.loads(scanned.stdout)["skipped"]["total"] == 2
    args += ["--from-scan", tmp_path / "scan"] if from_scan else ["--model", tiny_model_dir]
    result = run(args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["documents"] == summary["kept"] == 4
    assert summary["skipped"] == {"total": 2, "by_reason": {"not_in_scan": 2}}
    assert [r["auditor_id"] for r in read_jsonl(keep)] == ["d0", "d1", "d2", "d3"]


@pytest.mark.parametrize("order", [("a", "a"), ("z", "a", "z"), ("a", "skipped", "a", "skipped")])
@pytest.mark.parametrize("from_scan", [False, True], ids=["scan-now", "from-scan"])
def test_files_listed_again_line_up_with_the_scan_when_it_skipped_their_first_or_last_records(tmp_path, tiny_model_dir,
                                                                                             order, from_scan):
    # Each listing of a file is its own run of rows in the scan: a record the scan skipped at the end of one
    # run (or the start of the next) must not be matched against the other run's rows, nor skip them.
    root = tmp_path / "corpus"
    root.mkdir()
    blank = {"text": " " * 600 + LONG}  # skipped by the scan (its first 500 characters are blank), read whole here
    files = {"a": [blank] + [{"id": f"a{i}", "text": " ".join(WORDS[i:] + WORDS[:i])} for i in range(3)] + [blank],
             "z": [{"id": f"z{i}", "text": " ".join(WORDS[i + 3:] + WORDS[:i + 3])} for i in range(2)] + [blank],
             "skipped": [blank, blank]}
    for name, records in files.items():
        (root / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    inputs = [root / f"{name}.jsonl" for name in order]
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    result = filter_long(inputs, keep, reject, tmp_path, tiny_model_dir, from_scan, "--json")
    expected = [r["id"] for name in order for r in files[name] if "id" in r]
    assert [r["auditor_id"] for r in read_jsonl(keep)] == expected
    skipped = sum(1 for name in order for r in files[name] if "id" not in r)
    assert json.loads(result.stdout)["skipped"] == {"total": skipped, "by_reason": {"not_in_scan": skipped}}


def test_a_scan_of_the_inputs_under_another_path_is_named_in_the_refusal(corpus, tmp_path, tiny_model_dir):
    scan([str(corpus / "a.jsonl")], tmp_path / "scan", ScanOptions(model=str(tiny_model_dir), reports=False))
    moved = tmp_path / "moved.jsonl"
    moved.write_bytes((corpus / "a.jsonl").read_bytes())
    result = run([moved, "--keep", tmp_path / "k.jsonl", "--reject", tmp_path / "r.jsonl", "--from-scan", tmp_path / "scan"])
    assert result.exit_code == 2
    assert (f"does not match the inputs: the scan has 7 documents, the inputs 0; the scan has no row of {moved} "
            "(all skipped, or scanned under another path?); re-run 'auditor scan'") in result.output


def test_from_scan_with_another_max_doc_chars_is_refused_naming_the_option(corpus, tmp_path, tiny_model_dir):
    scan([str(corpus)], tmp_path / "scan", ScanOptions(model=str(tiny_model_dir), reports=False))  # default: 1,000,000
    result = run([corpus, "--keep", tmp_path / "k.jsonl", "--reject", tmp_path / "r.jsonl", "--from-scan", tmp_path / "scan",
                  "--max-doc-chars", 500])
    assert result.exit_code == 2
    assert "(normalized, of its first 500 characters) here but" in result.output and "--max-doc-chars)" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan"]


# --------------------------------------------------------------------------- item 9: a pair, with a manifest


@pytest.fixture(scope="module")
def scanned(corpus, tmp_path_factory, tiny_model_dir) -> Path:
    out = tmp_path_factory.mktemp("scanned") / "scan"
    scan([str(corpus)], out, ScanOptions(model=str(tiny_model_dir), reports=False))
    return out


def test_the_manifest_names_the_pair_with_their_hashes(corpus, scanned, tmp_path):
    keep, reject = tmp_path / "keep.parquet", tmp_path / "out" / "reject.jsonl"
    reject.parent.mkdir()
    result = filter_corpus([str(corpus)], keep, reject, FilterOptions(from_scan=str(scanned), max_score=0.5))
    manifest = json.loads(manifest_path(keep).read_text(encoding="utf-8"))
    assert result.manifest == manifest_path(keep) == tmp_path / "keep.parquet.manifest.json"
    assert result.summary["outputs"]["manifest"] == str(result.manifest)
    assert manifest["schema"] == MANIFEST_SCHEMA and manifest["run"]["pid"] == os.getpid()
    assert manifest["keep"] == {"path": "keep.parquet", "sha256": sha256(keep), "bytes": keep.stat().st_size,
                                "documents": result.summary["kept"]}
    assert manifest["reject"] == {"path": os.path.join("out", "reject.jsonl"), "sha256": sha256(reject),
                                  "bytes": reject.stat().st_size, "documents": result.summary["rejected"]["total"]}
    assert verified_pair(keep) == manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.parquet", "keep.parquet.manifest.json", "out"]


def test_the_manifest_finds_the_reject_file_when_the_keep_directory_is_a_link(corpus, scanned, tmp_path):
    # project/keep -> elsewhere/kept: "keep/../reject/..." is resolved by the system from elsewhere/kept, not project.
    (tmp_path / "elsewhere" / "kept").mkdir(parents=True)
    project = tmp_path / "project"
    (project / "reject").mkdir(parents=True)
    (project / "keep").symlink_to(tmp_path / "elsewhere" / "kept", target_is_directory=True)
    keep, reject = project / "keep" / "keep.jsonl", project / "reject" / "reject.jsonl"
    filter_corpus([str(corpus)], keep, reject, FilterOptions(from_scan=str(scanned), max_score=0.5))
    manifest = verified_pair(keep)
    assert (manifest_path(keep).parent / manifest["reject"]["path"]).resolve() == reject.resolve()
    assert manifest["keep"]["path"] == "keep.jsonl"


def test_an_interrupt_between_the_renames_never_leaves_a_mixed_pair(corpus, scanned, tmp_path, monkeypatch):
    keep, reject = tmp_path / "keep.jsonl", tmp_path / "reject.jsonl"
    assert run([corpus, "--keep", keep, "--reject", reject, "--from-scan", scanned, "--no-score-filter"]).exit_code == 0
    old_keep = keep.read_bytes()
    real_replace = os.replace

    def interrupted(src, dst):  # Ctrl-C (or SIGKILL) just after the keep file was replaced
        if Path(dst) == reject:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        filter_corpus([str(corpus)], keep, reject, FilterOptions(from_scan=str(scanned), max_score=0.0))
    monkeypatch.undo()
    assert keep.read_bytes() != old_keep  # the new keep file is in place ...
    assert not reject.exists()  # ... never beside the old reject file
    assert not manifest_path(keep).exists()
    with pytest.raises(InputError, match=r"keep\.jsonl\.manifest\.json: no manifest: the pair is being replaced, or the run "
                                         r"replacing it was interrupted; run 'auditor filter' again$"):
        verified_pair(keep)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.jsonl"]  # no temporary file, no lock, no scratch


def test_a_pair_that_is_not_the_manifests_is_refused(corpus, scanned, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for directory, max_score in ((first, 0.0), (second, 1.0)):
        directory.mkdir()
        filter_corpus([str(corpus)], directory / "keep.jsonl", directory / "reject.jsonl",
                      FilterOptions(from_scan=str(scanned), max_score=max_score))
    (first / "reject.jsonl").write_bytes((second / "reject.jsonl").read_bytes())
    with pytest.raises(InputError, match=r"first/reject\.jsonl: not the reject file keep\.jsonl\.manifest\.json names "
                                         r"\(missing, or its SHA-256 differs\): keep and reject are not one run's pair"):
        verified_pair(first / "keep.jsonl")


# --------------------------------------------------------------------------- item 8: leftovers


def test_a_killed_filter_leaves_nothing_in_the_system_temp_and_the_next_run_removes_its_leftovers(tmp_path, tiny_model_dir):
    out, temp = tmp_path / "out", tmp_path / "temp"
    out.mkdir()
    temp.mkdir()
    args = [SAMPLE, "--keep", out / "keep.parquet", "--reject", out / "reject.jsonl", "--model", tiny_model_dir, "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "auditor", "filter", *map(str, args)], env={**os.environ, "TMPDIR": str(temp)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # Killed while it scans: its scratch is there (beside the outputs, or in the temp directory).
    while not any(temp.iterdir()) and not any(".scratch-" in p.name for p in out.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, "the filter ended before it could be killed"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert list(temp.iterdir()) == []
    assert any(p.name.startswith(".") for p in out.iterdir())  # what the killed run left
    result = run(args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["keep.parquet", "keep.parquet.manifest.json", "reject.jsonl"]


def test_pending_files_of_earlier_versions_are_removed_when_their_process_is_gone(corpus, scanned, tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = os.getpid()
    names = [f".pending-{gone.pid}-keep.jsonl", f".pending-{gone.pid}-keep.jsonl.tmp-0123abcd",
             f".pending-{gone.pid}-reject.jsonl.tmp-ffff0000", f".pending-{alive}-keep.jsonl.tmp-0123abcd"]
    for name in names:
        (tmp_path / name).write_text("left over")
    scratch = tmp_path / f"..pending-{gone.pid}-keep.jsonl.tmp-0123abcd.scratch-x1y2"
    scratch.mkdir()
    (scratch / "piece-000000.arrow").write_bytes(b"staged")
    filter_corpus([str(corpus)], tmp_path / "keep.jsonl", tmp_path / "reject.jsonl", FilterOptions(from_scan=str(scanned)))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".pending-{alive}-keep.jsonl.tmp-0123abcd", "keep.jsonl", "keep.jsonl.manifest.json", "reject.jsonl"])
