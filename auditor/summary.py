"""The shape of ``summary.json``: one typed dictionary per block, built once by a run, rendered by :mod:`auditor.report`.

A scan's summary (:class:`ScanSummary`, schema ``auditor.summary/1``) extends the corpus
summary of ``auditor fingerprint`` (:class:`FingerprintSummary`, stored in the fingerprint
table's metadata) with the model, the estimate, the decisions and the projection. The blocks
are :class:`typing.TypedDict`: plain dicts at run time (``json.dumps`` writes them as they are,
so the files keep their bytes) that the type checker follows key by key. Who builds what:

- :func:`auditor.corpus.runner.fingerprint`: :class:`FingerprintSummary`;
- :func:`auditor.estimate.references.fraction_summary`: :class:`FractionBlock`;
- :func:`auditor.projection.inputs.scan_projection`: :class:`ProjectionBlock`;
- :func:`auditor.pipeline.scan.scan`: the rest, once, into :class:`ScanSummary`.

The deepest parts (a projection's per-generation rows, its assumptions, a reference's
description) stay ``dict[str, Any]``: they are reported as they are, not read key by key.
"""

from __future__ import annotations

from typing import Any, TypedDict


class ToolBlock(TypedDict):
    name: str
    version: str


class ReasonCounts(TypedDict):
    """Records skipped (or repaired) while reading: how many, and how many for each reason."""

    total: int
    by_reason: dict[str, int]


class ProblemBlock(TypedDict):
    """One located example of a skipped or repaired record (``path:record``)."""

    location: str
    reason: str
    detail: str


class ReadSummary(TypedDict):
    """What reading took and left out (:meth:`auditor.io.problems.ReadReport.to_dict`)."""

    documents: int
    files: int
    skipped: ReasonCounts
    repaired: ReasonCounts
    ignored_files: list[str]
    examples: list[ProblemBlock]


class ReadBlocks(TypedDict):
    """The reading blocks every corpus summary has (fingerprint, scan, filter): what was left out and why."""

    skipped: ReasonCounts
    repaired: ReasonCounts
    ignored_files: list[str]
    problems: list[ProblemBlock]


class FingerprintBlock(TypedDict):
    """How the fingerprint was computed: feature names, normalization, the MinHash scheme."""

    features: list[str]
    normalization: str
    minhash: dict[str, Any]


class NearDuplicateBlock(TypedDict, total=False):
    """Near-duplicate clusters; only ``enabled`` when clustering was off (``--no-near-duplicates``)."""

    enabled: bool
    threshold: float
    clusters: int
    documents_in_clusters: int
    fraction_in_clusters: float
    largest_cluster: int
    redundant_documents: int
    lsh_bands: int
    lsh_rows_per_band: int


class EvasionBlock(TypedDict):
    """Invisible and look-alike characters removed or folded before scoring."""

    characters: int
    documents: int
    what: str


class FingerprintSummary(TypedDict):
    """What ``auditor fingerprint`` reports (and every scan summary starts from)."""

    schema: str
    tool: ToolBlock
    inputs: list[str]
    documents: int
    skipped: ReasonCounts
    repaired: ReasonCounts
    ignored_files: list[str]
    problems: list[ProblemBlock]
    fingerprint: FingerprintBlock
    near_duplicates: NearDuplicateBlock
    evasion: EvasionBlock


class EstimateBlock(TypedDict):
    """A synthetic-fraction estimate with its interval (:meth:`auditor.estimate.fraction.Estimate.to_dict`)."""

    estimate: float
    low: float
    high: float
    confidence: float
    method: str
    documents: int


class SourceEstimateBlock(EstimateBlock):
    """An estimate over documents some of which may match known synthetic text (counted as machine)."""

    known_synthetic: int


class FractionBlock(SourceEstimateBlock, total=False):
    """``synthetic_fraction``: the overall estimate, its references, other methods, per source, and the headline's verdict.

    ``reference`` describes the human and machine references (source, documents, how selected);
    ``informative`` and ``next_step`` are set by the scan (an interval wider than 0.3 says nothing).
    """

    reference: dict[str, Any]
    domain_mismatch_allowance: float
    other_methods: dict[str, SourceEstimateBlock]
    by_source: dict[str, SourceEstimateBlock]
    informative: bool
    next_step: str | None


class ModelBlock(TypedDict):
    name: str
    sha256: str
    arrays_sha256: str
    path: str | None
    threshold: float


class FlaggedBlock(TypedDict):
    """Documents at or above the threshold on ``p_synthetic`` (a ranking, not the estimate)."""

    threshold: float
    count: int


class PosteriorBlock(TypedDict):
    """``p_machine_given_corpus``: the column, the prior it used, and what it decides."""

    column: str
    prior: float
    expected_machine_documents: float
    above_half: int


class KnownSyntheticBlock(TypedDict):
    index: str
    indexed_documents: int
    threshold: float
    matched: int


class ProjectionBlock(TypedDict, total=False):
    """The collapse projection from the scan's own tokens; ``computed`` False with a ``reason`` when it could not be.

    ``regimes`` holds one row per generation (plain numbers); ``at`` the final rows at the
    estimate and at its interval's ends; ``excess_band`` the excess path over that interval.
    """

    computed: bool
    reason: str
    schema: str
    model: str
    inputs: dict[str, Any]
    units: dict[str, str]
    assumptions: dict[str, Any]
    regimes: dict[str, list[dict[str, float]]]
    max_drift: float
    max_synthetic_fraction: dict[str, float | None]
    at: dict[str, dict[str, Any]]
    excess_band: dict[str, dict[str, list[float]]]


class OutputsBlock(TypedDict, total=False):
    documents: str
    tokens: str
    report_md: str
    report_html: str


class TopDocument(TypedDict):
    """One of the highest-scoring documents, as the reports list them."""

    id: str
    source: str
    row: int
    p_synthetic: float
    excerpt: str


class ScanSummary(FingerprintSummary):
    """``summary.json`` of ``auditor scan --out DIR`` (schema ``auditor.summary/1``)."""

    model: ModelBlock
    synthetic_fraction: FractionBlock
    flagged: FlaggedBlock
    posterior: PosteriorBlock
    known_synthetic: KnownSyntheticBlock | None
    projection: ProjectionBlock
    top_documents: list[TopDocument]
    outputs: OutputsBlock
