"""A projection as ``auditor project`` states it: from a source to the regimes, the safe fractions and the JSON.

The CLI only parses options and prints; everything it computes is here, for library use::

    from auditor.projection.run import choose_source, run_projection

    source, skipped = choose_source(from_summary="audit/summary.json")
    run = run_projection(source, max_drift=0.05)
    run.max_synthetic_fraction["mix"], run.to_dict()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from auditor.io.documents import ReaderOptions
from auditor.io.problems import ReadReport
from auditor.projection.bounds import max_synthetic_fraction
from auditor.projection.collapse import DEFAULT_GENERATIONS, REGIMES, Projection, ProjectionOptions, project_distribution
from auditor.projection.figures import DEFAULT_MAX_DRIFT, MODEL, SCHEMA, UNITS, assumptions, sharpening_band
from auditor.projection.inputs import ProjectionSource, source_from_corpus, source_from_summary, source_from_zipf
from auditor.summary import ReasonCounts


class ProjectionOptionError(ValueError):
    """The options name no single source, or leave out a value the source cannot supply (the CLI's usage errors)."""


def choose_source(from_summary: str | None = None, corpus: Sequence[str] = (), zipf_exponent: float | None = None,
                  vocab_size: int | None = None, reader: ReaderOptions = ReaderOptions()) -> tuple[ProjectionSource, ReasonCounts | None]:
    """The token distribution to project from: a scan's summary, a corpus read with ``reader``, or a Zipf law.

    Exactly one of them; returns the source and, for a corpus, its skipped records by reason
    (None otherwise). Raises :class:`ProjectionOptionError` (worded as the CLI's options) for any other combination.
    """
    given = [name for name, value in (("--from-summary", from_summary), ("--corpus", corpus), ("--zipf-exponent", zipf_exponent)) if value]
    if len(given) != 1:
        raise ProjectionOptionError("give exactly one of --from-summary, --corpus or --zipf-exponent (with --vocab-size)")
    if (zipf_exponent is None) != (vocab_size is None):
        raise ProjectionOptionError("--zipf-exponent and --vocab-size go together")
    if from_summary:
        return source_from_summary(from_summary), None
    if corpus:
        report = ReadReport()
        source = source_from_corpus(list(corpus), reader, report)
        return source, report.to_dict()["skipped"]
    assert zipf_exponent is not None and vocab_size is not None  # checked above
    return source_from_zipf(zipf_exponent, vocab_size), None


@dataclass(frozen=True)
class ProjectionRun:
    """One projection with what it is stated against.

    Attributes:
        source: where the token distribution came from.
        options: synthetic fraction, tokens per generation, generations, regimes, tau, truncation.
        projection: one row per generation and regime (:class:`~auditor.projection.collapse.Projection`).
        sharpening_source: where tau came from (``--sharpening``, a fit on a scan, or the default).
        skipped: a corpus source's skipped records by reason (None for other sources).
        max_drift: the budget on synthetic data's added drift.
        max_synthetic_fraction: per regime, the largest fraction within the budget (None when not computed).
        band: per regime, the excess at tau -/+0.01 (None when not computed).
    """

    source: ProjectionSource
    options: ProjectionOptions
    projection: Projection
    sharpening_source: str
    skipped: ReasonCounts | None
    max_drift: float
    max_synthetic_fraction: dict[str, float] | None
    band: dict[str, dict[str, float]] | None

    @property
    def inputs(self) -> dict[str, object]:
        inputs = {**self.projection.inputs, "p0": self.source.description, "sharpening_source": self.sharpening_source}
        if self.skipped is not None:
            inputs["skipped"] = self.skipped
        return inputs

    def to_dict(self) -> dict[str, object]:
        """What ``auditor project --json`` prints (schema ``auditor.projection/1``)."""
        if self.band is None or self.max_synthetic_fraction is None:
            raise ValueError("this run was made without safe fractions (bounds=False); run it with bounds=True")
        return {"schema": SCHEMA, "model": MODEL, "inputs": self.inputs, "units": UNITS,
                "assumptions": assumptions(self.options, self.sharpening_source, self.band),
                "regimes": self.projection.regimes, "max_drift": self.max_drift, "max_synthetic_fraction": self.max_synthetic_fraction}


def run_projection(source: ProjectionSource, synthetic_fraction: float | None = None, tokens_per_generation: float | None = None,
                   generations: int = DEFAULT_GENERATIONS, regimes: Sequence[str] = (), sharpening: float | None = None,
                   truncate_rank: int | None = None, max_drift: float = DEFAULT_MAX_DRIFT, skipped: ReasonCounts | None = None,
                   bounds: bool = True) -> ProjectionRun:
    """Project from ``source``; the defaults are the source's (a scan's estimate, the corpus's token count, a fitted tau).

    ``regimes`` empty means all three. ``bounds``: also bisect for the largest safe fraction per
    regime and the tau band (a few projections more). Raises :class:`ProjectionOptionError` (worded as
    the CLI's options) when the source cannot supply a missing value.
    """
    if synthetic_fraction is None:
        if source.synthetic_fraction is None:
            raise ProjectionOptionError("--synthetic-fraction is required (except with --from-summary, which uses the scan's estimate)")
        synthetic_fraction = source.synthetic_fraction["estimate"]
    tokens = tokens_per_generation if tokens_per_generation is not None else source.tokens
    if tokens is None:
        raise ProjectionOptionError("--tokens-per-generation is required with --zipf-exponent (there is no corpus to count)")
    tau = sharpening if sharpening is not None else source.sharpening.tau
    options = ProjectionOptions(synthetic_fraction, float(tokens), generations, tuple(regimes) or REGIMES, tau, truncate_rank)
    projection = project_distribution(source.p0, options)
    safe = {regime: max_synthetic_fraction(source.p0, options, max_drift, regime) for regime in options.regimes} if bounds else None
    band = sharpening_band(source.p0, options) if bounds else None
    return ProjectionRun(source, options, projection, "--sharpening" if sharpening is not None else source.sharpening.source,
                         skipped, max_drift, safe, band)
