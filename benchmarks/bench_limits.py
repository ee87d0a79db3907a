"""Peak memory of ``auditor fingerprint`` on one huge document, against a small one (``--max-doc-chars``).

Usage (from the repository root; needs psutil: ``pip install -e '.[bench]'``)::

    python benchmarks/bench_limits.py               # 1 GB single documents (~1-2 min, 2 GB of disk)
    python benchmarks/bench_limits.py --mb 200      # quicker

For each kind, a ``.txt`` file holding one document and a ``.jsonl`` file holding one
record on one line, it writes a 1 MB and a ``--mb`` MB file under ``benchmarks/out/``
and runs ``auditor fingerprint FILE --out OUT --quiet`` on each in its own process,
sampling its peak RSS with psutil. The target (issue 9): memory stays bounded on a
1 GB single-document file, i.e. the big file's peak RSS is within 1.5x the small
one's (the default ``--max-doc-chars 1000000`` keeps ~4 MB of a text file and ~6 MB
of a JSONL line). Results also go to ``benchmarks/out/bench_limits.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fingerprint import OUT  # noqa: E402
from bench_scale import measure  # noqa: E402

WORDS = "the quick brown fox jumps over the lazy dog while seven wizards quietly judge boxing matches "
MB = 1 << 20


def write_document(path: Path, megabytes: int, kind: str) -> None:
    """One document of ``megabytes`` MB: the text itself (``txt``) or one JSONL record on one line."""
    block = (WORDS * (MB // len(WORDS) + 1))[:MB]
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as handle:
        if kind == "jsonl":
            handle.write('{"id": "one", "text": "')
        for _ in range(megabytes):
            handle.write(block)
        if kind == "jsonl":
            handle.write('"}\n')
    partial.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1024, help="size of the big document in MB (default 1024)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    rows = []
    for kind in ("txt", "jsonl"):
        for megabytes in (1, args.mb):
            path = OUT / f"single-{megabytes}mb.{kind}"
            if not path.exists() or path.stat().st_size < megabytes * MB:
                write_document(path, megabytes, kind)
            result = measure([sys.executable, "-m", "auditor", "fingerprint", str(path), "--out", str(OUT / f"single-{kind}.parquet"), "--quiet"])
            rows.append({"kind": kind, "mb": megabytes, "seconds": result["seconds"], "rss_mb": result["main_rss_mb"]})
            print(f"  {kind:<5} {megabytes:>5} MB {result['seconds']:7.1f} s {result['main_rss_mb']:7.0f} MB RSS", file=sys.stderr, flush=True)
    (OUT / "bench_limits.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"{'kind':<6} {'document MB':>11} {'seconds':>8} {'MB/s, all':>9} {'peak RSS MB':>12} {'x small':>8}")
    for row in rows:
        small = next(r for r in rows if r["kind"] == row["kind"] and r["mb"] == 1)
        print(f"{row['kind']:<6} {row['mb']:>11} {row['seconds']:>8.1f} {row['mb'] / row['seconds']:>9.0f} {row['rss_mb']:>12.0f} "
              f"{row['rss_mb'] / small['rss_mb']:>8.2f}")
    for kind in ("txt", "jsonl"):
        small, big = (next(r for r in rows if r["kind"] == kind and r["mb"] == mb) for mb in (1, args.mb))
        ratio = big["rss_mb"] / small["rss_mb"]
        print(f"{kind}: {args.mb} MB document peak RSS {big['rss_mb']:.0f} MB = {ratio:.2f}x the 1 MB one's "
              f"(target <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"benchmark took {time.time() - started:.0f} s")
