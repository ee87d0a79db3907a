"""The ``auditor`` group itself: --version, --help, ``python -m auditor``, progress output, SIGTERM."""

import json
from pathlib import Path

from click.testing import CliRunner

from auditor import __version__
from auditor.cli import cli


def run(args):
    return CliRunner().invoke(cli, args)


def test_version_and_help():
    result = run(["--version"])
    assert result.exit_code == 0
    assert result.output == f"auditor, version {__version__}\n"
    result = run(["--help"])
    assert result.exit_code == 0
    assert "auditor scan sample_data/ --out audit/" in result.output
    for command in ("scan", "fingerprint", "train", "evaluate", "index"):
        result = run([command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output


def test_python_dash_m_entry_point():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "auditor", "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout == f"auditor, version {__version__}\n"


def test_progress_shown_only_on_a_terminal_and_not_when_quiet(monkeypatch, capsys):
    import sys

    from auditor.cli import output as cli_module
    from auditor.corpus.batches import Progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli_module.progress_printer(quiet=True) is None
    show = cli_module.progress_printer(quiet=False)
    show(Progress(documents=1234, text_bytes=5_000_000, seconds=2.0))
    assert capsys.readouterr().err == "\r1,234 documents  5.0 MB  2.5 MB/s"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert cli_module.progress_printer(quiet=False) is None


def test_the_progress_bar_runs_over_the_input_files_bytes_to_100_percent(monkeypatch, capsys):
    import sys

    from auditor.cli import output as cli_module
    from auditor.corpus.batches import Progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    show = cli_module.progress_printer(quiet=False)
    show(Progress(documents=500, text_bytes=1_500_000, seconds=1.0, input_bytes=2_500_000, total_bytes=10_000_000))
    assert capsys.readouterr().err.endswith("reading  [######------------------]   25%  500 documents  1.5 MB/s  ETA 0:03")
    show(Progress(documents=900, text_bytes=3_000_000, seconds=2.0, input_bytes=9_000_000, total_bytes=10_000_000))
    show.finish()  # the last shard's bytes: the bar ends full, then the line ends
    last = capsys.readouterr().err.split("\r")[-1]  # the bar's last state, padded over the longer line before it
    assert last == "\x1b[?25lreading  [########################]  100%  900 documents  1.5 MB/s" + " " * 10 + "\x1b[?25h\n"


def test_a_run_reports_its_input_bytes_up_to_the_files_size(tmp_path):
    from auditor.corpus.parallel import ExecutionOptions
    from auditor.corpus.runner import fingerprint

    texts = [f"Document number {i} says something about topic {i % 7} in words of its own." for i in range(300)]
    paths = []
    for part in range(3):
        path = tmp_path / f"part{part}.jsonl"
        path.write_text("".join(f'{{"text": "{text}"}}\n' for text in texts[part::3]))
        paths.append(str(path))
    events = []
    fingerprint(paths, out=tmp_path / "fp.parquet", progress=events.append, execution=ExecutionOptions(shard_bytes=4096))
    total = sum(Path(path).stat().st_size for path in paths)
    assert {event.total_bytes for event in events} == {total}
    done = [event.input_bytes for event in events]
    assert done == sorted(done) and 0 < done[-1] <= total
    assert done[-1] >= total - 4096 * 2  # all but the last shard's bytes at the last batch


def test_sigterm_mid_run_exits_143_and_leaves_no_output_files(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    words = [f"w{i}" for i in range(3000)]
    with open(tmp_path / "big.jsonl", "w", encoding="utf-8") as fh:
        for i in range(40_000):
            text = " ".join(words[(i * 7 + j * 13) % 3000] for j in range(300))
            fh.write(json.dumps({"text": text}) + "\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor", "fingerprint", "big.jsonl", "--out", "fp.parquet", "--quiet"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    # Wait until the first pass has started writing (its checkpoint directory exists).
    deadline = time.time() + 60
    while time.time() < deadline and not (tmp_path / ".fp.parquet.partial").is_dir():
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert b"Traceback" not in err
    # No output, no temporary file; at most the checkpoint, kept for --resume when a shard was completed.
    assert sorted(p.name for p in tmp_path.iterdir()) in (["big.jsonl"], [".fp.parquet.partial", "big.jsonl"])
    partial = tmp_path / ".fp.parquet.partial"
    if partial.exists():
        assert all(not p.name.startswith(".") for p in partial.iterdir())  # no half-written shard file
