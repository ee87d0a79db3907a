"""Fingerprint throughput and peak memory, against a bare read-and-tokenize pass.

Usage (from the repository root)::

    python benchmarks/bench_fingerprint.py                 # 10k and 100k documents
    python benchmarks/bench_fingerprint.py --sizes 2000    # quick look

For each corpus size it generates a deterministic synthetic JSONL corpus
(``corpora.py``: ~1.7 KB per document, an open Zipfian pseudo-word vocabulary with
hundreds of thousands of distinct words, 2% planted near-duplicates)
under ``benchmarks/out/``, then runs in separate processes, one core each:

- ``bare``: read every document with auditor's reader and split it into
  lower-cased whitespace tokens (the floor any fingerprinting pays);
- ``fingerprint``: the full fingerprint with MinHash and near-duplicate LSH,
  writing Parquet;
- ``fingerprint-nolsh``: the same without the near-duplicate index, to report
  the index's memory separately.

It prints MB/s, docs/s and peak RSS for each, the ratio of fingerprint time to
the bare pass (measured in the same run), and the RSS ratio between sizes.
Targets (issue 2): fingerprint >= 5 MB/s on one core; peak RSS of the
no-LSH run at 100k <= 1.3x that at 10k.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import OUT, benchmark_corpus, distinct_words  # noqa: E402

WORKER = r"""
import json, resource, sys, time
mode, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
if mode == "bare":
    from auditor.io.reading import read_documents
    docs = tokens = 0
    for doc in read_documents([path]):
        tokens += len(doc.text.lower().split())
        docs += 1
else:
    from auditor.corpus.batches import FingerprintOptions
    from auditor.corpus.runner import fingerprint
    result = fingerprint([path], out=out, options=FingerprintOptions(near_duplicates=(mode == "fingerprint")))
    docs = result.summary["documents"]
seconds = time.perf_counter() - start
print(json.dumps({"docs": docs, "seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(mode: str, corpus: Path, worker: str = WORKER, out: Path | None = None) -> dict[str, float]:
    """Run ``worker`` (a script printing a JSON line) for ``mode`` in its own process pinned to core 0."""
    out = out if out is not None else OUT / f"{corpus.stem}.{mode}.parquet"
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-c", worker, mode, str(corpus), str(out)],
        capture_output=True, text=True, env=env, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{mode} on {corpus} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        corpus, size = benchmark_corpus(n)
        mb = size / 1e6
        print(f"{n:,} documents: {mb:.1f} MB, {distinct_words(corpus):,} distinct words", flush=True)
        results = {mode: run(mode, corpus) for mode in ("bare", "fingerprint", "fingerprint-nolsh")}
        for mode, r in results.items():
            rows.append((n, mode, mb / r["seconds"], r["docs"] / r["seconds"], r["peak_rss_mb"], r["seconds"] / results["bare"]["seconds"]))
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, one core pinned per run (taskset -c 0)")
    print(f"{'docs':>8} {'run':<18} {'MB/s':>7} {'docs/s':>9} {'peak RSS MB':>12} {'time / bare':>12}")
    for n, mode, mbs, dps, rss, ratio in rows:
        print(f"{n:>8} {mode:<18} {mbs:>7.2f} {dps:>9.0f} {rss:>12.0f} {ratio:>12.1f}")
    by = {(n, mode): rss for n, mode, _, _, rss, _ in rows}
    sizes = sorted(args.sizes)
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        print(f"peak RSS ratio {hi} / {lo} docs without LSH: {by[(hi, 'fingerprint-nolsh')] / by[(lo, 'fingerprint-nolsh')]:.2f} (target <= 1.3)")
        growth = (by[(hi, "fingerprint")] - by[(hi, "fingerprint-nolsh")]) / hi * 1e6
        print(f"LSH index (signatures + band tables): {growth:,.0f} MB per million documents (RSS difference at {hi})")


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"benchmark took {time.time() - started:.0f} s")
