"""End-to-end ``auditor scan`` at 1k / 10k / 100k documents, --jobs 1 vs 2, against ZipPy and a bare pass.

Usage (from the repository root; needs the bench extra: ``pip install -e '.[bench]'``)::

    python benchmarks/bench_scale.py                          # 1k, 10k, 100k documents (~6 min)
    python benchmarks/bench_scale.py --sizes 1000 10000       # quicker
    python benchmarks/bench_scale.py --sizes 100000 1000000 --runs bare scan-j2 scan-j2-nolsh   # memory at 1M

For each size it generates the deterministic synthetic JSONL corpus of
``corpora.py`` (~1.7 KB a document, hundreds of thousands of distinct words, 2% planted
near-duplicates) under
``benchmarks/out/`` and runs, each in its own process tree, all cores available:

- ``bare``: auditor's reader + lower-cased whitespace split (the floor: reading and
  tokenizing, one process);
- ``scan-j1`` / ``scan-j2``: ``auditor scan CORPUS --out DIR --quiet --jobs N``, the whole
  command (start-up, fingerprint, score, near-duplicates, estimate, projection, reports);
- ``scan-j2-nolsh``: the same with ``--no-near-duplicates``, to tell the near-duplicate
  index's memory from the rest;
- ``zippy``: the ZipPy detector (``thinkst-zippy``, LZMA, its default) on the first
  ``--zippy-docs`` documents of the same corpus (it runs at ~16 docs/s here, so the whole
  100k would take two hours; its rate does not depend on corpus size).

Peak RSS is sampled every 20 ms with psutil: ``tree`` sums the main process and its
workers, ``main`` is the main process alone. Ratios are computed between runs of the
same invocation, so they compare across machines; targets (issue 8), on 2 cores:
scan >= 4 MB/s with --jobs 2; >= 50x ZipPy's documents per second; <= 10x the time of
the bare pass; peak RSS flat in corpus size except the near-duplicate index, reported
per million documents. Results also go to ``benchmarks/out/bench_scale.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import OUT, benchmark_corpus  # noqa: E402

BARE = r"""
import sys
from auditor.io.reading import read_documents
docs = tokens = 0
for doc in read_documents([sys.argv[1]]):
    tokens += len(doc.text.lower().split())
    docs += 1
print(docs)
"""

ZIPPY = r"""
import json, sys
from zippy import Zippy
detector = Zippy()
limit = int(sys.argv[2])
docs = 0
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        if docs == limit:
            break
        detector.run_on_text_chunked(json.loads(line)["text"])
        docs += 1
print(docs)
"""


def measure(command: list[str]) -> dict[str, float]:
    """Wall time and peak RSS (tree and main process) of ``command``; its stdout's last line as ``output``."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)
        root = psutil.Process(proc.pid)
        tree_peak = main_peak = 0
        while proc.poll() is None:
            try:
                main_rss = root.memory_info().rss
                tree = main_rss + sum(_rss(child) for child in root.children(recursive=True))
            except psutil.NoSuchProcess:
                break
            tree_peak, main_peak = max(tree_peak, tree), max(main_peak, main_rss)
            time.sleep(0.02)
        proc.wait()
        seconds = time.perf_counter() - start
        stdout.seek(0), stderr.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr.read()}")
        lines = stdout.read().strip().splitlines()
    return {"seconds": seconds, "tree_rss_mb": tree_peak / 2**20, "main_rss_mb": main_peak / 2**20,
            "output": lines[-1] if lines else ""}


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.NoSuchProcess:
        return 0


RUNS = ("bare", "scan-j1", "scan-j2", "scan-j2-nolsh", "zippy")


def run_size(n: int, zippy_docs: int, selected: Sequence[str] = RUNS) -> list[dict[str, object]]:
    corpus, size = benchmark_corpus(n)
    scan = [sys.executable, "-m", "auditor", "scan", str(corpus), "--quiet", "--out"]
    runs = {
        "bare": [sys.executable, "-c", BARE, str(corpus)],
        "scan-j1": [*scan, str(OUT / f"scan-{n}-j1"), "--jobs", "1"],
        "scan-j2": [*scan, str(OUT / f"scan-{n}-j2"), "--jobs", "2"],
        "scan-j2-nolsh": [*scan, str(OUT / f"scan-{n}-j2-nolsh"), "--jobs", "2", "--no-near-duplicates"],
        "zippy": [sys.executable, "-c", ZIPPY, str(corpus), str(min(n, zippy_docs))],
    }
    rows = []
    for name, command in runs.items():
        if name not in selected:
            continue
        result = measure(command)
        docs = int(result["output"]) if name in ("bare", "zippy") else n
        mb = size / 1e6 * (docs / n)
        rows.append({"docs": n, "run": name, "measured_docs": docs, "seconds": result["seconds"],
                     "mb_per_s": mb / result["seconds"], "docs_per_s": docs / result["seconds"],
                     "tree_rss_mb": result["tree_rss_mb"], "main_rss_mb": result["main_rss_mb"]})
        print(f"  {n:>7} {name:<14} {result['seconds']:7.1f} s", file=sys.stderr, flush=True)
    same = None
    if "scan-j1" in selected and "scan-j2" in selected:
        same = all((OUT / f"scan-{n}-j1" / name).read_bytes() == (OUT / f"scan-{n}-j2" / name).read_bytes()
                   for name in ("documents.parquet", "summary.json"))
    for row in rows:
        row["j1_equals_j2"] = same
    return rows


def report(rows: list[dict[str, object]]) -> None:
    by = {(r["docs"], r["run"]): r for r in rows}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}")
    print(f"{'docs':>8} {'run':<14} {'seconds':>8} {'MB/s':>7} {'docs/s':>8} {'tree RSS MB':>12} {'main RSS MB':>12} {'time/bare':>10}")
    for r in rows:
        bare = by.get((r["docs"], "bare"))
        ratio = f"{(r['seconds'] / r['measured_docs']) / (bare['seconds'] / bare['measured_docs']):>10.1f}" if bare else f"{'-':>10}"
        print(f"{r['docs']:>8} {r['run']:<14} {r['seconds']:>8.2f} {r['mb_per_s']:>7.2f} {r['docs_per_s']:>8.0f} "
              f"{r['tree_rss_mb']:>12.0f} {r['main_rss_mb']:>12.0f} {ratio}")
    sizes = sorted({r["docs"] for r in rows})
    hi = sizes[-1]
    j1, j2, bare, zippy = (by.get((hi, run)) for run in ("scan-j1", "scan-j2", "bare", "zippy"))
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(f"\nat {hi:,} documents:")
    if j2:
        print(f"  scan --jobs 2: {j2['mb_per_s']:.2f} MB/s (target >= 4: {verdict(j2['mb_per_s'] >= 4)})"
              + (f"; --jobs 1 -> 2 speed-up {j1['seconds'] / j2['seconds']:.2f}x" if j1 else ""))
    if j2 and zippy:
        print(f"  vs ZipPy: {j2['docs_per_s'] / zippy['docs_per_s']:.0f}x the documents per second "
              f"(target >= 50: {verdict(j2['docs_per_s'] / zippy['docs_per_s'] >= 50)}; ZipPy {zippy['docs_per_s']:.1f} docs/s "
              f"on {zippy['measured_docs']} documents)")
    if j2 and bare:
        print(f"  vs bare read+tokenize: {j2['seconds'] / bare['seconds']:.1f}x its time (target <= 10: "
              f"{verdict(j2['seconds'] / bare['seconds'] <= 10)})" + (f"; --jobs 1: {j1['seconds'] / bare['seconds']:.1f}x" if j1 else ""))
    if j2 and j2["j1_equals_j2"] is not None:
        print(f"  outputs of --jobs 1 and --jobs 2 byte-identical: {j2['j1_equals_j2']}")
    if len(sizes) >= 2:
        lo = sizes[-2]
        for run in ("scan-j2-nolsh", "scan-j2"):
            if (lo, run) not in by or (hi, run) not in by:
                continue
            a, b = by[(lo, run)], by[(hi, run)]
            per_million = (b["main_rss_mb"] - a["main_rss_mb"]) / (hi - lo) * 1e6
            print(f"  {run}: main RSS {a['main_rss_mb']:.0f} -> {b['main_rss_mb']:.0f} MB from {lo:,} to {hi:,} documents "
                  f"(x{b['main_rss_mb'] / a['main_rss_mb']:.2f}; {per_million:,.0f} MB per million documents); "
                  f"tree {a['tree_rss_mb']:.0f} -> {b['tree_rss_mb']:.0f} MB")
        if (hi, "scan-j2") in by and (hi, "scan-j2-nolsh") in by:
            lsh = (by[(hi, "scan-j2")]["main_rss_mb"] - by[(hi, "scan-j2-nolsh")]["main_rss_mb"]) / hi * 1e6
            print(f"  near-duplicate index: {lsh:,.0f} MB per million documents (RSS with - without it at {hi:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--zippy-docs", type=int, default=200, help="documents ZipPy scores per size (default 200)")
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS), help="which runs (default: all)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows = [row for n in sorted(args.sizes) for row in run_size(n, args.zippy_docs, args.runs)]
    save_and_report(rows, "bench_scale.json", report)


def save_and_report(rows: list[dict[str, object]], name: str, report: Callable[[list[dict[str, object]]], None]) -> None:
    """Write the rows to ``benchmarks/out/NAME`` and print their report."""
    (OUT / name).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    report(rows)


def timed(main: Callable[[], None]) -> None:
    """Run a benchmark's ``main`` and say how long the whole benchmark took."""
    started = time.time()
    main()
    print(f"benchmark took {time.time() - started:.0f} s")


if __name__ == "__main__":
    timed(main)
