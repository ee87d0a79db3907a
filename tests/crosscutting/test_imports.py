"""Start-up cost: the modules the CLI and the pre-commit hook need import no heavy library, nor does a scan's worker.

pandas, scipy, scikit-learn, matplotlib and datasketch take ~3 s to import together; the hook
must finish a commit's files in less. Each is imported only inside the functions that need it.
pyarrow imports pandas (~0.4 s) on its first ``pa.array`` or ``to_numpy``: every ``--jobs`` worker
would pay it, so the per-batch path converts through :mod:`auditor.arrow_numpy` instead.
"""

import pickle
import subprocess
import sys

import pytest

import auditor.corpus.runner as runner
from auditor.corpus.parallel import ExecutionOptions
from auditor.corpus.shard_work import fingerprint_shard
from auditor.pipeline.scan import ScanOptions, scan

HEAVY = ("pandas", "scipy", "sklearn", "matplotlib", "datasketch")
LIGHT_MODULES = (
    "auditor.io.reading", "auditor.detector.scorer", "auditor.estimate.fraction", "auditor.features.stats",
    "auditor.features.style", "auditor.features.tokens", "auditor.normalize", "auditor.cli",
)


def python_output(code: str) -> str:
    """What a fresh interpreter prints running ``code`` (nothing imported before it)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_scoring_modules_and_the_cli_import_no_heavy_library():
    imported = python_output(f"import {', '.join(LIGHT_MODULES)}; import sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert imported == "[]"


@pytest.mark.parametrize("command", ["fingerprint", "project"])
def test_invoking_a_command_imports_only_its_module(command):
    imported = python_output(
        "from click.testing import CliRunner; from auditor.cli import cli; "
        f"assert CliRunner().invoke(cli, [{command!r}, '--help']).exit_code == 0; "
        "import sys; print(sorted(m for m in sys.modules if m.startswith('auditor.cli.')))"
    )
    assert imported == str(sorted(["auditor.cli.options", "auditor.cli.output", f"auditor.cli.{command}"]))


def test_the_hook_imports_only_what_it_uses():
    # The hook scores a commit's files one by one: no shards, workers, checkpoints, writers or reports.
    imported = python_output(
        "import auditor.hook.run, auditor.cli.hook, sys; "
        "print(sorted(m for m in sys.modules if m.startswith(('auditor.corpus.', 'auditor.pipeline', 'auditor.report.', 'auditor.io.writers'))))"
    )
    assert imported == str(["auditor.corpus.batches", "auditor.corpus.parallel", "auditor.corpus.watchdog", "auditor.report.text"])


# Run in a fresh interpreter on the pickled task of a shard (what a worker receives); prints where
# pandas was first imported, if it was.
WORKER = """
import pickle, sys, traceback
first = []
class Tracer:
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" and not first:
            first.append("".join(traceback.format_stack()[:-1]))
sys.meta_path.insert(0, Tracer())
with open(sys.argv[1], "rb") as f:
    task = pickle.load(f)
{work}
assert rows == {rows}, rows
print(first[0] if first else "")
"""
WHOLE_SHARD = """
from auditor.corpus.shard_work import fingerprint_shard
[result] = fingerprint_shard(task)
assert result.error is None, result.error
rows = result.table.num_rows
"""
PER_BATCH = """
from auditor.corpus.batches import fingerprint_batches
from auditor.corpus.table import record_batch
from auditor.io.problems import ReadReport
from auditor.io.reading import read_pieces
batches = fingerprint_batches(read_pieces(task.shard.pieces, task.options.reader, ReadReport()), task.options)
rows = sum(record_batch(batch, task.schema, task.annotator).num_rows for batch in batches)
"""
DOCUMENTS = 40


@pytest.fixture(scope="module")
def shard_task(tmp_path_factory):
    """The pickled task of the first shard of a ``--jobs 2`` scan (shipped model), as the scan sends it to a worker."""
    tmp = tmp_path_factory.mktemp("worker")
    corpus = tmp / "corpus.jsonl"
    words = "the cat sat on a mat. Don't panic! Naïve café déjà vu — Привет, мир? 東京は大きい。 x'y' 'quoted' 42".split()
    lines = [f'{{"id": "d{i}", "text": "{" ".join(words[(i + j) % len(words)] for j in range(30 + i))}"}}\n' for i in range(DOCUMENTS)]
    corpus.write_text("".join(lines), encoding="utf-8")
    tasks = []

    def capture(function, all_tasks, options=None):
        assert function is fingerprint_shard  # what a worker runs
        for task in all_tasks:
            tasks.append(pickle.dumps(task))
            yield function(task)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "run_ordered", capture)
        scan([str(corpus)], tmp / "out", ScanOptions(reports=False, execution=ExecutionOptions(jobs=2, shard_bytes=1 << 20)))
    assert len(tasks) == 1
    path = tmp / "task.pickle"
    path.write_bytes(tasks[0])
    return path


def _pandas_import(work: str, task) -> str:
    return subprocess.run([sys.executable, "-c", WORKER.format(work=work, rows=DOCUMENTS), str(task)],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_a_workers_batches_import_no_pandas(shard_task):
    # Tokens, the table's columns and the scores: pyarrow imports pandas on its first pa.array or to_numpy.
    assert _pandas_import(PER_BATCH, shard_task) == ""


def test_a_worker_imports_no_pandas(shard_task):
    assert _pandas_import(WHOLE_SHARD, shard_task) == ""
