"""What the reports show: a scan summary checked for the blocks they need, and a few documents columns.

Both renderers (:mod:`auditor.report.markdown`, :mod:`auditor.report.html`)
take their figures from here, so the two reports never disagree.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from typing import cast
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from auditor.arrow_numpy import numpy_from_column
from auditor.errors import InputError
from auditor.projection.collapse import REGIMES
from auditor.report.headline import at_estimate
from auditor.report.text import drift_verdict
from auditor.summary import ProjectionBlock, ScanSummary, SourceEstimateBlock, TopDocument

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


# The score histogram's bins: fine enough (0.0005) for the plot's zoom around any threshold (0.99 and
# above among them); the full-range panel sums them into 50.
SCORE_BINS = 2000
FEATURE_BINS = 30


@dataclass(frozen=True)
class FeatureCounts:
    """A feature's histogram: bin edges (its range in the corpus), unflagged and flagged counts per bin."""

    edges: np.ndarray
    unflagged: np.ndarray
    flagged: np.ndarray


@dataclass(frozen=True)
class DocumentColumns:
    """What the plots need of the documents, binned (never the text, never a value per document).

    Binned as the table is read, row group by row group, so the reports need memory for
    their bins, not for the corpus.

    Attributes:
        documents / flagged: documents, and how many reached the threshold.
        score_counts: documents per bin of ``[0, 1]`` cut into :data:`SCORE_BINS`.
        cluster_sizes: the size of every near-duplicate cluster.
        features: the plotted fingerprint features that the table has, by name.
    """

    documents: int = 0
    flagged: int = 0
    score_counts: np.ndarray = field(default_factory=lambda: np.zeros(SCORE_BINS, dtype=np.int64))
    cluster_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    features: dict[str, FeatureCounts] = field(default_factory=dict)

    @classmethod
    def of(cls, p_synthetic: np.ndarray, flagged: np.ndarray, features: dict[str, np.ndarray] | None = None,
           cluster_ids: np.ndarray | None = None) -> DocumentColumns:
        """The binned columns of documents given in memory (one value per document)."""
        binner = _Binner({name: (float(v.min()), float(v.max())) for name, v in (features or {}).items() if len(v)})
        binner.add(np.asarray(p_synthetic, dtype=np.float64), np.asarray(flagged, dtype=bool), features or {},
                   np.zeros(0, dtype=np.int64) if cluster_ids is None else np.asarray(cluster_ids, dtype=np.int64))
        return binner.result()


class _Binner:
    """Accumulates :class:`DocumentColumns` batch by batch, given each feature's range."""

    def __init__(self, ranges: dict[str, tuple[float, float]]):
        self.documents = self.flagged = 0
        self.scores = np.zeros(SCORE_BINS, dtype=np.int64)
        self.clusters = np.zeros(0, dtype=np.int64)
        self.edges = {name: np.linspace(lo, hi if hi > lo else lo + 1.0, FEATURE_BINS + 1) for name, (lo, hi) in ranges.items()}
        self.counts = {name: (np.zeros(FEATURE_BINS, dtype=np.int64), np.zeros(FEATURE_BINS, dtype=np.int64)) for name in ranges}

    def add(self, scores: np.ndarray, flagged: np.ndarray, features: dict[str, np.ndarray], cluster_ids: np.ndarray) -> None:
        self.documents += len(scores)
        self.flagged += int(flagged.sum())
        self.scores += np.histogram(scores, SCORE_BINS, (0.0, 1.0))[0]  # uniform bins: numpy's fast path, same edges
        for name, edges in self.edges.items():
            values = features[name]
            self.counts[name][0][:] += np.histogram(values[~flagged], edges)[0]
            self.counts[name][1][:] += np.histogram(values[flagged], edges)[0]
        ids = cluster_ids[cluster_ids >= 0]
        if len(ids):
            sizes = np.bincount(ids)
            if len(sizes) > len(self.clusters):
                self.clusters = np.concatenate([self.clusters, np.zeros(len(sizes) - len(self.clusters), dtype=np.int64)])
            self.clusters[: len(sizes)] += sizes

    def result(self) -> DocumentColumns:
        features = {name: FeatureCounts(self.edges[name], *self.counts[name]) for name in self.edges}
        return DocumentColumns(self.documents, self.flagged, self.scores, self.clusters[self.clusters > 0], features)


def canonical(summary: ScanSummary) -> ScanSummary:
    """The summary as ``summary.json`` holds it (sorted keys, JSON types).

    A scan renders from its in-memory summary and ``auditor report`` from the
    file; passing both through JSON makes the two renderings byte-identical.
    """
    return json.loads(json.dumps(summary, sort_keys=True, allow_nan=False))


def check_summary(summary: object, name: str) -> ScanSummary:
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
    return cast(ScanSummary, summary)  # the blocks the reports read are checked above


def load_summary(path: str | os.PathLike[str]) -> ScanSummary:
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


def documents_path_of(summary: ScanSummary, summary_path: str | os.PathLike[str]) -> Path:
    """The documents table a summary names (``outputs.documents``), next to the summary."""
    outputs = summary.get("outputs")
    name = outputs.get("documents") if isinstance(outputs, dict) else None
    if not isinstance(name, str) or not name:
        raise InputError(f"{summary_path}: the summary names no documents table (outputs.documents); re-run 'auditor scan'")
    return Path(summary_path).parent / name


def read_documents(path: str | os.PathLike[str]) -> DocumentColumns:
    """Scores, flags, cluster sizes and the plotted features of a ``documents.parquet``, binned.

    Read row group by row group, twice for the features (their ranges, then their bins),
    so memory does not grow with the corpus.
    """
    path = Path(path)
    try:
        table = pq.ParquetFile(path)
        names = set(table.schema_arrow.names)
        if not {"p_synthetic", "flagged"} <= names:
            raise InputError(f"{path}: no p_synthetic / flagged columns (a fingerprint table, not a scan's); re-run 'auditor scan'")
        features = [name for name in PLOTTED_FEATURES if name in names][:4]
        ranges: dict[str, tuple[float, float]] = {}
        for group in _row_groups(table, features):
            for name in features:
                values = _floats(group, name)
                if len(values):
                    lo, hi = ranges.get(name, (float(values.min()), float(values.max())))
                    ranges[name] = (min(lo, float(values.min())), max(hi, float(values.max())))
        binner = _Binner(ranges)
        clusters = ["dup_cluster"] if "dup_cluster" in names else []
        for group in _row_groups(table, ["p_synthetic", "flagged", *ranges, *clusters]):
            ids = _numpy(group.column("dup_cluster").drop_null(), np.int64) if clusters else np.zeros(0, dtype=np.int64)
            binner.add(_floats(group, "p_synthetic"), _numpy(group.column("flagged"), np.bool_),
                       {name: _floats(group, name) for name in ranges}, ids)
    except FileNotFoundError:
        raise InputError(f"{path}: documents table not found (the summary names it); re-run 'auditor scan' or keep the scan's files together") from None
    except (OSError, pa.ArrowException, UnicodeDecodeError) as err:  # a damaged footer: names that are not UTF-8
        raise InputError(f"{path}: cannot read the documents table ({err}); re-run 'auditor scan'") from None
    return binner.result()


def _row_groups(table: pq.ParquetFile, columns: list[str]) -> Iterator[pa.Table]:
    for index in range(table.num_row_groups):
        yield table.read_row_group(index, columns=columns)


def _floats(table: pa.Table, name: str) -> np.ndarray:
    return np.nan_to_num(_numpy(table.column(name), np.float64), nan=0.0)


def _numpy(column: pa.ChunkedArray, dtype: type[np.generic]) -> np.ndarray:
    """A numeric column as numpy; a scan's columns without pandas (:mod:`auditor.arrow_numpy`), any other through pyarrow."""
    numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_boolean(column.type)
    if numeric and column.null_count == 0:
        return numpy_from_column(column).astype(dtype, copy=False)
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=dtype)  # nulls come out as NaN / None


class SourceRow(SourceEstimateBlock):
    """One source's estimate, as the reports list it."""

    source: str


def source_rows(summary: ScanSummary, limit: int | None = None) -> tuple[list[SourceRow], int]:
    """Per-source estimates, most documents first (ties by name), and how many were left out by ``limit``."""
    by_source = summary["synthetic_fraction"].get("by_source") or {}
    rows: list[SourceRow] = [{"source": name, **block} for name, block in by_source.items()]
    rows.sort(key=lambda row: (-int(row.get("documents", 0)), row["source"]))
    if limit is None or len(rows) <= limit:
        return rows, 0
    return rows[:limit], len(rows) - limit


def top_flagged(summary: ScanSummary) -> list[TopDocument]:
    """The summary's highest-scoring documents that reached the threshold."""
    threshold = float(summary["flagged"]["threshold"])
    return [doc for doc in summary.get("top_documents") or [] if float(doc["p_synthetic"]) >= threshold]


def regime_order(names: Iterable[str]) -> list[str]:
    """Regime names in the projection's own order (summary.json sorts them alphabetically)."""
    names = list(names)
    return [r for r in REGIMES if r in names] + sorted(r for r in names if r not in REGIMES)


def projection_of(summary: ScanSummary) -> ProjectionBlock:
    """The summary's ``projection`` block, or a not-computed one when the summary has none."""
    projection = summary.get("projection")
    return projection if isinstance(projection, dict) else {"computed": False, "reason": "not in the summary"}


def verdict(summary: ScanSummary) -> list[str]:
    """:func:`~auditor.report.text.drift_verdict` of the summary (its lines), regimes in the scan's order,
    an uninformative estimate said in words."""
    projection = projection_of(summary)
    if isinstance(projection.get("max_synthetic_fraction"), dict):
        safe = projection["max_synthetic_fraction"]
        projection = {**projection, "max_synthetic_fraction": {r: safe[r] for r in regime_order(safe)}}
    fraction = summary["synthetic_fraction"]
    return drift_verdict(projection, float(fraction["estimate"]), at_estimate(fraction))
