"""Where a projection's token distribution comes from: a scan, a corpus, or a Zipf law.

A scan (``auditor scan --out DIR``) writes ``DIR/tokens.parquet``: word counts
of its unflagged and flagged documents. The projection then uses the
unflagged (human-scored) part as ``p0``, fits the decoding sharpening on the
flagged part, and takes the corpus's token count as the tokens per
generation. ``--corpus`` counts words of documents without scoring them;
``--zipf-exponent`` needs no data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from auditor.errors import InputError
from auditor.engine import _batches_of
from auditor.features.tokens import tokenize_batch
from auditor.normalize import normalize
from auditor.projection import (
    DEFAULT_SHARPENING,
    REGIMES,
    ProjectionOptions,
    SharpeningFit,
    distribution,
    fit_sharpening,
    generations_until,
    max_synthetic_fraction,
    project_distribution,
    zipf_distribution,
)
from auditor.readers import ReaderOptions, ReadReport, read_documents
from auditor.tokencounts import TokenCounter, TokenCounts

TOKENS_FILE = "tokens.parquet"
DEFAULT_MAX_DRIFT = 0.05


@dataclass(frozen=True)
class ProjectionSource:
    """A token distribution to project from, with what else its origin knows.

    Attributes:
        p0: probabilities, most probable first.
        tokens: the corpus's token count (None for a Zipf law).
        sharpening: fitted or default decoding map.
        synthetic_fraction: the scan's estimate with its interval, when from a scan.
        description: where ``p0`` comes from, for the output.
    """

    p0: np.ndarray
    tokens: int | None
    sharpening: SharpeningFit
    description: str
    synthetic_fraction: dict[str, float] | None = None


def _default_sharpening(reason: str) -> SharpeningFit:
    return SharpeningFit(DEFAULT_SHARPENING, f"default ({reason})", 0, 0.0)


def source_from_counts(counts: TokenCounts, origin: str) -> ProjectionSource:
    """``p0`` from the unflagged words (all words when nothing is unflagged); sharpening fitted on the flagged."""
    if counts.unflagged.sum() > 0:
        p0_counts, description = counts.unflagged, f"{origin} (unflagged documents)"
        sharpening = fit_sharpening(counts.unflagged, counts.flagged)
    else:
        p0_counts, description = counts.total, f"{origin} (all documents: none was unflagged)"
        sharpening = _default_sharpening("no unflagged documents")
    try:
        p0 = distribution(p0_counts)
    except ValueError:
        raise InputError(f"{origin}: no words to project from (the corpus is empty)") from None
    return ProjectionSource(p0, int(counts.total.sum()), sharpening, description)


def source_from_summary(path: str | os.PathLike[str]) -> ProjectionSource:
    """The token distribution and estimate of a scan, from its ``summary.json``."""
    path = Path(path)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"--from-summary {path}: cannot read it as JSON ({err}); pass the summary.json of an 'auditor scan --out DIR'") from None
    if not isinstance(summary, dict) or not str(summary.get("schema", "")).startswith("auditor.summary/"):
        raise InputError(f"--from-summary {path}: not an auditor scan summary (no 'auditor.summary/' schema)")
    tokens_name = (summary.get("outputs") or {}).get("tokens")
    if not tokens_name:
        raise InputError(f"--from-summary {path}: this scan recorded no token counts (made by an older auditor); re-run 'auditor scan'")
    source = source_from_counts(TokenCounts.read(path.parent / tokens_name), f"scan {path}")
    fraction = summary.get("synthetic_fraction") or {}
    estimate = {key: float(fraction[key]) for key in ("estimate", "low", "high") if isinstance(fraction.get(key), (int, float))}
    return replace(source, synthetic_fraction=estimate if "estimate" in estimate else None)


def source_from_corpus(paths: Sequence[str], reader: ReaderOptions, report: ReadReport) -> ProjectionSource:
    """Word counts of every document under ``paths`` (unscored: the default sharpening applies)."""
    counter = TokenCounter()
    for docs in _batches_of(read_documents(paths, reader, report), 1000, 4_000_000):
        tokens = tokenize_batch([normalize(d.text) for d in docs])
        counter.add(tokens.word_hashes, tokens.doc, np.zeros(tokens.n_docs, dtype=bool))
    counts = counter.result()
    if counts.total.sum() == 0:
        raise InputError(f"--corpus {', '.join(paths)}: no words to project from (no readable documents with text)")
    total = counts.total
    return ProjectionSource(distribution(total), int(total.sum()), _default_sharpening("no scores for --corpus"), f"corpus {', '.join(paths)}")


def source_from_zipf(exponent: float, vocab_size: int) -> ProjectionSource:
    return ProjectionSource(zipf_distribution(exponent, vocab_size), None, _default_sharpening("no corpus"),
                            f"Zipf law, exponent {exponent:g}")


def scan_projection(counts: TokenCounts, fraction: dict[str, object], generations: int = 10, max_drift: float = DEFAULT_MAX_DRIFT) -> dict[str, object]:
    """``projection`` of summary.json: every regime at the estimate and its interval bounds, and the safe fraction."""
    if counts.total.sum() == 0:
        return {"computed": False, "reason": "no words in the corpus"}
    source = source_from_counts(counts, "this scan")
    options = ProjectionOptions(float(fraction["estimate"]), float(source.tokens or 1), generations, REGIMES, source.sharpening.tau)
    full = project_distribution(source.p0, options)
    at = {}
    for key in ("estimate", "low", "high"):
        projection = full if key == "estimate" else project_distribution(source.p0, replace(options, synthetic_fraction=float(fraction[key])))
        at[key] = {
            "synthetic_fraction": float(fraction[key]),
            "regimes": {
                regime: {**rows[-1], "generations_to_10pct": generations_until(rows)} for regime, rows in projection.regimes.items()
            },
        }
    return {
        "computed": True,
        "model": "unigram proxy (DESIGN.md: collapse projection); not a prediction for a specific language model",
        "inputs": {**full.inputs, "p0": source.description, "sharpening_source": source.sharpening.source,
                   "unmatched_flagged_share": source.sharpening.unmatched_share},
        "at": at,
        "regimes": full.regimes,
        "max_drift": max_drift,
        "max_synthetic_fraction": {regime: max_synthetic_fraction(source.p0, options, max_drift, regime) for regime in REGIMES},
    }


def _bound(value: float | None) -> str:
    return "none (sampling error alone exceeds it)" if value is None else f"<= {value:.2f}"


def drift_verdict(projection: dict[str, object], estimate: float) -> str:
    """One line for a scan: the estimate next to the largest fraction within the drift budget, per regime."""
    if not projection.get("computed"):
        return f"collapse projection: not computed ({projection.get('reason')})"
    safe = projection["max_synthetic_fraction"]
    generations = projection["inputs"]["generations"]  # type: ignore[index]
    parts = "; ".join(f"{regime} {_bound(value)}" for regime, value in safe.items())  # type: ignore[union-attr]
    return (f"this corpus: {estimate:.2f}; to stay within {projection['max_drift']:.0%} perplexity-proxy drift over "
            f"{generations} generations: {parts}")
