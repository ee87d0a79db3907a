"""``auditor scan``: fingerprint + score every document, write ``documents.parquet`` and ``summary.json``.

The output follows the CLI contract in DESIGN.md: ``documents.parquet`` has one
row per document read, in input order, with ``source``, ``row``, ``id``,
``p_synthetic``, ``flagged``, ``dup_cluster`` and the fingerprint features;
``summary.json`` (schema ``auditor.summary/1``) has the corpus figures. Each
file is written atomically, the table first.

The synthetic fraction here is classify-and-count (the share of documents at
or above the threshold) with a Wilson interval for that share; ``method``
says so. It inherits the detector's error rates; the mixture estimator of the
estimation stage replaces it as the default.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from auditor import __version__
from auditor.atomic import atomic_path
from auditor.detector import Detector, load_detector
from auditor.errors import InputError
from auditor.fingerprint import Batch, FingerprintOptions, Progress, fingerprint

SCHEMA = "auditor.summary/1"
CONFIDENCE = 0.95
_Z = 1.959963984540054  # standard normal quantile for a 95% two-sided interval


@dataclass(frozen=True)
class ScanOptions:
    """Settings of ``auditor scan``.

    Attributes:
        fingerprint: reading, MinHash and near-duplicate settings.
        model: model directory (None: the shipped default).
        threshold: ``flagged`` threshold on ``p_synthetic`` (None: the model's).
    """

    fingerprint: FingerprintOptions = field(default_factory=FingerprintOptions)
    model: str | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        if self.threshold is not None and not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {self.threshold}")


@dataclass
class ScanResult:
    """What :func:`scan` wrote: the summary, and timing kept out of it (outputs stay byte-identical)."""

    summary: dict[str, object]
    out: Path
    seconds: float
    text_bytes: int


def wilson_interval(successes: int, n: int, z: float = _Z) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (sensible at 0 and n, unlike the normal one)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, center - half), min(1.0, center + half)


class _Scorer:
    """Annotator adding ``p_synthetic`` and ``flagged``; keeps per-source counts for the summary."""

    fields = (pa.field("p_synthetic", pa.float64()), pa.field("flagged", pa.bool_()))

    def __init__(self, detector: Detector, threshold: float):
        self.detector = detector
        self.threshold = threshold
        self.by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # documents, flagged

    def columns(self, batch: Batch) -> list[pa.Array]:
        scores = self.detector.score(batch.texts, batch.tokens, batch.features)
        flagged = scores >= self.threshold
        for doc, hit in zip(batch.documents, flagged.tolist()):
            counts = self.by_source[doc.source]
            counts[0] += 1
            counts[1] += hit
        return [pa.array(scores), pa.array(flagged)]


def _fraction(flagged: int, n: int) -> dict[str, object]:
    low, high = wilson_interval(flagged, n)
    return {
        "estimate": flagged / n if n else 0.0,
        "low": low,
        "high": high,
        "confidence": CONFIDENCE,
        "method": "cc",
        "documents": n,
    }


def scan(
    paths: Sequence[str],
    out: str | os.PathLike[str],
    options: ScanOptions = ScanOptions(),
    progress: Callable[[Progress], None] | None = None,
    detector: Detector | None = None,
) -> ScanResult:
    """Scan ``paths`` into the directory ``out`` (created if missing). Raises AuditorError subclasses."""
    detector = detector if detector is not None else load_detector(options.model)
    threshold = detector.threshold if options.threshold is None else options.threshold
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file: pass a directory for the scan's outputs")
    out_dir.mkdir(parents=True, exist_ok=True)
    scorer = _Scorer(detector, threshold)
    start = time.perf_counter()
    result = fingerprint(paths, out=out_dir / "documents.parquet", options=options.fingerprint, progress=progress, annotator=scorer)
    fp = result.summary
    total_flagged = sum(c[1] for c in scorer.by_source.values())
    documents = int(fp["documents"])  # type: ignore[arg-type]
    overall = _fraction(total_flagged, documents)
    overall["note"] = "classify-and-count: share of documents with p_synthetic >= threshold, with a Wilson interval for that share"
    summary: dict[str, object] = {
        "schema": SCHEMA,
        "tool": {"name": "auditor", "version": __version__},
        "inputs": fp["inputs"],
        "model": {
            "name": detector.name,
            "sha256": detector.sha256,
            "path": str(detector.path) if detector.path is not None else None,
            "threshold": detector.threshold,
        },
        "documents": documents,
        "skipped": fp["skipped"],
        "repaired": fp["repaired"],
        "ignored_files": fp["ignored_files"],
        "problems": fp["problems"],
        "synthetic_fraction": {**overall, "by_source": {s: _fraction(c[1], c[0]) for s, c in sorted(scorer.by_source.items())}},
        "flagged": {"threshold": threshold, "count": total_flagged},
        "near_duplicates": fp["near_duplicates"],
        "fingerprint": fp["fingerprint"],
        "projection": {"computed": False, "reason": "collapse projection is not part of this version"},
        "outputs": {"documents": "documents.parquet"},
    }
    with atomic_path(out_dir / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    return ScanResult(summary, out_dir, time.perf_counter() - start, result.text_bytes)


def flagged_share(summary: dict[str, object]) -> str:
    """The one-line headline, e.g. ``synthetic fraction 0.23 (95% CI 0.19-0.27, cc)``."""
    f = summary["synthetic_fraction"]
    assert isinstance(f, dict)
    return f"synthetic fraction {f['estimate']:.2f} ({round(f['confidence'] * 100)}% CI {f['low']:.2f}-{f['high']:.2f}, {f['method']})"
