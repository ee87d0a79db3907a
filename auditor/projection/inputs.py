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
from typing import Any

import numpy as np

from auditor.corpus.batches import document_batches
from auditor.errors import InputError
from auditor.features.tokens import tokenize_batch
from auditor.io.documents import ReaderOptions
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents
from auditor.normalize import normalize
from auditor.projection.bounds import generations_until, max_synthetic_fraction
from auditor.projection.collapse import (
    DEFAULT_SHARPENING,
    REGIMES,
    ProjectionOptions,
    distribution,
    dot,
    logsumexp,
    project_distribution,
    zipf_distribution,
)
from auditor.projection.figures import DEFAULT_MAX_DRIFT, MODEL, SCHEMA, UNITS, assumptions, sharpening_band
from auditor.projection.token_counts import TokenCounter, TokenCounts
from auditor.summary import EstimateBlock, ProjectionBlock

TOKENS_FILE = "tokens.parquet"
MIN_FIT_TOKENS = 1000  # fewer flagged tokens than this: keep the default sharpening


@dataclass(frozen=True)
class SharpeningFit:
    """A fitted decoding map: ``tau`` and what it was fitted on."""

    tau: float
    source: str
    machine_tokens: int
    unmatched_share: float  # share of machine tokens whose word never occurs in the human part


def fit_sharpening(human_counts: np.ndarray, machine_counts: np.ndarray) -> SharpeningFit:
    """``tau`` minimizing KL(p_machine || T_tau(p_human)) over the words both parts share.

    ``human_counts`` and ``machine_counts`` are aligned per word. With fewer than
    :data:`MIN_FIT_TOKENS` machine tokens the default is kept. In ``beta = 1 / tau``
    the objective is a log-partition minus a linear term, so it is convex and
    the bounded 1-D search (tau in [1/3, 3]) finds its minimum.
    """
    from scipy.optimize import minimize_scalar  # scipy.optimize is slow to import; only fits need it

    human = np.asarray(human_counts, dtype=np.float64)
    machine = np.asarray(machine_counts, dtype=np.float64)
    total = float(machine.sum())
    shared = (human > 0) & (machine > 0)
    matched = float(machine[human > 0].sum())
    unmatched = 1.0 - matched / total if total else 0.0
    if matched < MIN_FIT_TOKENS or int(np.count_nonzero(human)) < 2:
        return SharpeningFit(DEFAULT_SHARPENING, f"default (fewer than {MIN_FIT_TOKENS} flagged tokens of words the unflagged part "
                             "also has, or a one-word vocabulary)", int(total), unmatched)
    support = human > 0
    logp = np.log(human[support] / human[support].sum())
    q = machine[support] / matched
    cross = dot(q[shared[support]], logp[shared[support]])

    def objective(beta: float) -> float:
        return logsumexp(beta * logp) - beta * cross

    beta = minimize_scalar(objective, bounds=(1 / 3, 3), method="bounded", options={"xatol": 1e-6}).x
    return SharpeningFit(round(1.0 / beta, 6), f"fitted on the flagged documents ({int(total)} tokens)", int(total), unmatched)


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
    for docs in document_batches(read_documents(paths, reader, report), 1000, 4_000_000):
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


def scan_projection(counts: TokenCounts, fraction: EstimateBlock, generations: int = 10, max_drift: float = DEFAULT_MAX_DRIFT) -> ProjectionBlock:
    """``projection`` of summary.json: every regime at the estimate and its interval bounds, and the safe fraction.

    ``excess_band`` keeps every generation's ``synthetic_excess`` at the interval's
    bounds (the shaded band of report.html's plot).
    """
    if counts.total.sum() == 0:
        return {"schema": SCHEMA, "computed": False, "reason": "no words in the corpus"}
    source = source_from_counts(counts, "this scan")
    options = ProjectionOptions(float(fraction["estimate"]), float(source.tokens or 1), generations, REGIMES, source.sharpening.tau)
    full = project_distribution(source.p0, options)
    at: dict[str, dict[str, Any]] = {}
    band: dict[str, dict[str, list[float]]] = {}
    bounds = {key: float(fraction[key]) for key in ("estimate", "low", "high")}
    for key, value in bounds.items():
        projection = full if key == "estimate" else project_distribution(source.p0, replace(options, synthetic_fraction=value))
        at[key] = {
            "synthetic_fraction": float(value),
            "regimes": {
                regime: {**rows[-1], "generations_to_budget": generations_until(rows, max_drift)} for regime, rows in projection.regimes.items()
            },
        }
        if key != "estimate":
            band[key] = {regime: [row["synthetic_excess"] for row in rows] for regime, rows in projection.regimes.items()}
    return {
        "schema": SCHEMA,
        "computed": True,
        "model": MODEL,
        "inputs": {**full.inputs, "p0": source.description, "sharpening_source": source.sharpening.source,
                   "unmatched_flagged_share": source.sharpening.unmatched_share},
        "units": UNITS,
        "assumptions": assumptions(options, source.sharpening.source, sharpening_band(source.p0, options)),
        "at": at,
        "regimes": full.regimes,
        "excess_band": {regime: {key: band[key][regime] for key in ("low", "high")} for regime in REGIMES},
        "max_drift": max_drift,
        "max_synthetic_fraction": {regime: max_synthetic_fraction(source.p0, options, max_drift, regime) for regime in REGIMES},
    }
