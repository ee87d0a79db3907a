"""Scoring overhead of ``auditor scan`` over ``auditor fingerprint`` (target: at most +50%).

Usage (repository root)::

    python benchmarks/bench_scan.py                 # 20k synthetic documents of ~1.7 KB, ~1-2 min
    python benchmarks/bench_scan.py --sizes 100000

Uses the corpus generator of ``corpora.py`` (a realistic, open vocabulary) and the shipped model (models/default).
Each run is its own process pinned to one core; both runs include near-duplicate clustering and
Parquet output, so the difference is the detector: style features, the linear model, and the
two extra columns. Ratios are measured in the same run, so they compare across machines.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fingerprint import OUT, run  # noqa: E402
from corpora import benchmark_corpus  # noqa: E402

WORKER = r"""
import json, resource, sys, time
mode, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
if mode == "fingerprint":
    from auditor.corpus.runner import fingerprint
    docs = fingerprint([path], out=out + ".parquet").summary["documents"]
else:
    from auditor.pipeline.scan import scan
    docs = scan([path], out).summary["documents"]
seconds = time.perf_counter() - start
print(json.dumps({"docs": docs, "seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    parser.add_argument("--repeats", type=int, default=2, help="runs per mode; the fastest counts")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, one core pinned per run (taskset -c 0)")
    print(f"{'docs':>8} {'run':<12} {'MB/s':>7} {'docs/s':>9} {'peak RSS MB':>12} {'time / fingerprint':>19}")
    for n in args.sizes:
        corpus, size = benchmark_corpus(n)
        mb = size / 1e6
        results = {}
        for mode in ("fingerprint", "scan"):
            results[mode] = min(
                (run(mode, corpus, WORKER, OUT / f"{corpus.stem}.{mode}") for _ in range(args.repeats)), key=lambda r: r["seconds"]
            )
        base = results["fingerprint"]["seconds"]
        for mode, r in results.items():
            print(f"{n:>8} {mode:<12} {mb / r['seconds']:>7.2f} {r['docs'] / r['seconds']:>9.0f} {r['peak_rss_mb']:>12.0f} {r['seconds'] / base:>19.2f}")
        print(f"scoring adds {results['scan']['seconds'] / base - 1:+.0%} to fingerprint time (target <= +50%)")


if __name__ == "__main__":
    main()
