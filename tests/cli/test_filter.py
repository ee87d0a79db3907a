"""``auditor filter`` via CliRunner: usage errors and refused outputs, with their exact messages.

What the filter keeps, rejects and writes is tested in tests/pipeline/test_filter.py.
"""

import pytest

from filter_corpus import run, scan_corpus


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, linear_model_dir):
    """The corpus and one scan of it (tiny model), shared: most tests reuse it with --from-scan."""
    return scan_corpus(tmp_path_factory, linear_model_dir)


@pytest.mark.parametrize("name", ["keep.json", "keep.parquet.gz", "keep.txt", "keep", ".jsonl"])
def test_unsupported_output_extension_exits_2(scanned, tmp_path, name):
    root, scan_dir = scanned
    result = run([root, "--keep", tmp_path / name, "--reject", tmp_path / "r.jsonl", "--from-scan", scan_dir])
    assert result.exit_code == 2
    assert result.stderr == (f"error: --keep {tmp_path / name}: unsupported output extension; name the file *.jsonl, *.ndjson, "
                             "*.parquet, *.csv or *.tsv (all but *.parquet may end in .gz or .zst too)\n")
    assert list(tmp_path.iterdir()) == []


def test_outputs_equal_to_an_input_or_to_each_other_are_refused(scanned, tmp_path):
    root, scan_dir = scanned
    original = (root / "a.jsonl").read_bytes()
    result = run([root, "--keep", root / "a.jsonl", "--reject", tmp_path / "r.jsonl", "--from-scan", scan_dir])
    assert result.exit_code == 2
    assert result.stderr == f"error: --keep {root / 'a.jsonl'} is also one of the inputs: choose an output path outside the corpus\n"
    assert (root / "a.jsonl").read_bytes() == original
    same = tmp_path / "x.jsonl"
    result = run([root, "--keep", same, "--reject", tmp_path / "." / "x.jsonl", "--from-scan", scan_dir])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --keep and --reject are the same file ({same})")
    result = run([root, "--keep", tmp_path / "k.parquet", "--reject", scan_dir / "documents.parquet", "--from-scan", scan_dir])
    assert result.exit_code == 2 and "is also part of --from-scan" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_usage_errors_exit_2(scanned, tmp_path):
    root, scan_dir = scanned
    outputs = ["--keep", tmp_path / "k.jsonl", "--reject", tmp_path / "r.jsonl"]
    result = run([root, *outputs, "--max-score", "0.5", "--no-score-filter"])
    assert result.exit_code == 2 and "--max-score and --no-score-filter contradict each other" in result.stderr
    result = run([root, *outputs, "--dedup", "--no-near-duplicates"])
    assert result.exit_code == 2 and "--dedup needs near-duplicate clusters" in result.stderr
    result = run([root, *outputs, "--max-score", "1.5"])
    assert result.exit_code == 2
    result = run(["-", *outputs])
    assert result.exit_code == 2 and "standard input" in result.stderr
    result = run([root])
    assert result.exit_code == 2 and "Missing option '--keep'" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_from_scan_refuses_scoring_options(scanned, tmp_path, linear_model_dir):
    root, scan_dir = scanned
    result = run([root, "--keep", tmp_path / "k.jsonl", "--reject", tmp_path / "r.jsonl", "--from-scan", scan_dir,
                  "--model", linear_model_dir, "--dup-threshold", "0.5"])
    assert result.exit_code == 2
    assert "--model, --dup-threshold have no effect with --from-scan" in result.stderr
