"""What the reports show: a scan summary checked for the blocks they need, and a few documents columns.

Both renderers (:mod:`auditor.report.markdown`, :mod:`auditor.report.html`)
take their figures from here, so the two reports never disagree.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from auditor.errors import InputError
from auditor.projection_inputs import drift_verdict
from auditor.projection import REGIMES

REQUIRED_BLOCKS = ("documents", "synthetic_fraction", "flagged")
# Fingerprint features whose flagged / unflagged distributions the HTML report plots
# (the first four present in the table): compressibility, n-gram variety, vocabulary spread.
PLOTTED_FEATURES = ("compression_ratio", "distinct_2", "word_entropy", "ttr_100", "distinct_1", "char_entropy")
FEATURE_LABELS = {
    "compression_ratio": "compression ratio (zlib)",
    "distinct_2": "distinct 2-grams / 2-grams",
    "word_entropy": "word entropy (bits)",
    "ttr_100": "type-token ratio (100-word segments)",
    "distinct_1": "distinct words / words",
    "char_entropy": "character entropy (bits)",
}


@dataclass(frozen=True)
class DocumentColumns:
    """The per-document values the plots need (never the text).

    Attributes:
        p_synthetic: every document's score.
        flagged: ``p_synthetic >= threshold`` per document.
        cluster_sizes: the size of every near-duplicate cluster.
        features: the plotted fingerprint features that the table has, by name.
    """

    p_synthetic: np.ndarray = field(default_factory=lambda: np.zeros(0))
    flagged: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    cluster_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    features: dict[str, np.ndarray] = field(default_factory=dict)


def canonical(summary: dict[str, object]) -> dict[str, object]:
    """The summary as ``summary.json`` holds it (sorted keys, JSON types).

    A scan renders from its in-memory summary and ``auditor report`` from the
    file; passing both through JSON makes the two renderings byte-identical.
    """
    return json.loads(json.dumps(summary, sort_keys=True, allow_nan=False))


def check_summary(summary: object, name: str) -> dict[str, object]:
    """``summary`` if it is a scan summary with the blocks the reports need; else InputError naming ``name``."""
    if not isinstance(summary, dict) or not str(summary.get("schema", "")).startswith("auditor.summary/"):
        raise InputError(f"{name}: not an auditor scan summary (no 'auditor.summary/' schema); pass the summary.json written by 'auditor scan --out DIR'")
    missing = [key for key in REQUIRED_BLOCKS if key not in summary]
    fraction = summary.get("synthetic_fraction")
    if not missing and not (isinstance(fraction, dict) and all(isinstance(fraction.get(k), (int, float)) for k in ("estimate", "low", "high"))):
        missing.append("synthetic_fraction.estimate/low/high")
    flagged = summary.get("flagged")
    if not missing and not (isinstance(flagged, dict) and all(isinstance(flagged.get(k), (int, float)) for k in ("threshold", "count"))):
        missing.append("flagged.threshold/count")
    if not missing and not isinstance(summary["documents"], int):
        missing.append("documents (a count)")
    if missing:
        raise InputError(f"{name}: the summary has no {', '.join(missing)}; re-run 'auditor scan' to write a complete one")
    return summary


def load_summary(path: str | os.PathLike[str]) -> dict[str, object]:
    """Read and check a ``summary.json``; InputError (naming the file and the fix) when unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; pass the summary.json written by 'auditor scan --out DIR'") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; pass the summary.json inside it") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read it ({err}); check the file's permissions") from None
    try:
        summary = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}:{err.lineno}: not valid JSON ({err.msg}); re-run 'auditor scan' to rewrite it") from None
    return check_summary(summary, str(path))


def documents_path_of(summary: dict[str, object], summary_path: str | os.PathLike[str]) -> Path:
    """The documents table a summary names (``outputs.documents``), next to the summary."""
    outputs = summary.get("outputs")
    name = outputs.get("documents") if isinstance(outputs, dict) else None
    if not isinstance(name, str) or not name:
        raise InputError(f"{summary_path}: the summary names no documents table (outputs.documents); re-run 'auditor scan'")
    return Path(summary_path).parent / name


def read_documents(path: str | os.PathLike[str]) -> DocumentColumns:
    """Scores, flags, cluster sizes and the plotted features of a ``documents.parquet``."""
    path = Path(path)
    try:
        names = set(pq.read_schema(path).names)
        if not {"p_synthetic", "flagged"} <= names:
            raise InputError(f"{path}: no p_synthetic / flagged columns (a fingerprint table, not a scan's); re-run 'auditor scan'")
        features = [name for name in PLOTTED_FEATURES if name in names][:4]
        columns = ["p_synthetic", "flagged", *features] + (["dup_cluster"] if "dup_cluster" in names else [])
        table = pq.read_table(path, columns=columns)
    except FileNotFoundError:
        raise InputError(f"{path}: documents table not found (the summary names it); re-run 'auditor scan' or keep the scan's files together") from None
    except (OSError, pa.ArrowException) as err:
        raise InputError(f"{path}: cannot read the documents table ({err}); re-run 'auditor scan'") from None
    clusters = (
        np.asarray(table.column("dup_cluster").drop_null().to_numpy(), dtype=np.int64) if "dup_cluster" in names else np.zeros(0, dtype=np.int64)
    )
    clusters = clusters[clusters >= 0]
    return DocumentColumns(
        p_synthetic=_floats(table, "p_synthetic"),
        flagged=np.asarray(table.column("flagged").to_numpy(zero_copy_only=False), dtype=bool),
        cluster_sizes=np.bincount(clusters)[np.unique(clusters)] if len(clusters) else np.zeros(0, dtype=np.int64),
        features={name: _floats(table, name) for name in features},
    )


def _floats(table: pa.Table, name: str) -> np.ndarray:
    values = np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.nan_to_num(values, nan=0.0)


def source_rows(summary: dict[str, object], limit: int | None = None) -> tuple[list[dict[str, object]], int]:
    """Per-source estimates, most documents first (ties by name), and how many were left out by ``limit``."""
    by_source = summary["synthetic_fraction"].get("by_source") or {}  # type: ignore[union-attr]
    rows = [{"source": name, **block} for name, block in by_source.items()]
    rows.sort(key=lambda row: (-int(row.get("documents", 0)), row["source"]))
    if limit is None or len(rows) <= limit:
        return rows, 0
    return rows[:limit], len(rows) - limit


def top_flagged(summary: dict[str, object]) -> list[dict[str, object]]:
    """The summary's highest-scoring documents that reached the threshold."""
    threshold = float(summary["flagged"]["threshold"])  # type: ignore[index]
    return [doc for doc in summary.get("top_documents") or [] if float(doc["p_synthetic"]) >= threshold]  # type: ignore[union-attr]


def regime_order(names: object) -> list[str]:
    """Regime names in the projection's own order (summary.json sorts them alphabetically)."""
    names = list(names)  # type: ignore[call-overload]
    return [r for r in REGIMES if r in names] + sorted(r for r in names if r not in REGIMES)


def projection_of(summary: dict[str, object]) -> dict[str, object]:
    """The summary's ``projection`` block, or a not-computed one when the summary has none."""
    projection = summary.get("projection")
    return projection if isinstance(projection, dict) else {"computed": False, "reason": "not in the summary"}


def verdict(summary: dict[str, object]) -> str:
    """:func:`~auditor.projection_inputs.drift_verdict` of the summary, regimes in the scan's order."""
    projection = projection_of(summary)
    if isinstance(projection.get("max_synthetic_fraction"), dict):
        safe = projection["max_synthetic_fraction"]
        projection = {**projection, "max_synthetic_fraction": {r: safe[r] for r in regime_order(safe)}}
    return drift_verdict(projection, float(summary["synthetic_fraction"]["estimate"]))  # type: ignore[index]
