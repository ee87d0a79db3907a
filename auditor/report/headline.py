"""The synthetic-fraction headline of ``auditor scan`` and its reports, and when it has nothing to say.

An estimate whose interval is wider than :data:`UNINFORMATIVE_WIDTH` says little
about the corpus: the headline (stderr, ``report.md``, ``report.html``) then
shows no point estimate, only the interval and the one step that would narrow
it (``next_step`` in ``summary.json``, chosen by :func:`next_step`). The point
estimate stays in ``summary.json``, with ``informative: false``.
"""

from __future__ import annotations

from auditor.estimate.fraction import CONFIDENCE, MIN_DOCUMENTS
from auditor.report.text import fraction_text
from auditor.summary import EstimateBlock, FractionBlock, PosteriorBlock

UNINFORMATIVE_WIDTH = 0.3  # an interval wider than this (high - low) is uninformative
LARGE_REFERENCE = 100  # documents a reference should have
GENERAL_STEP = ("give a human reference: --reference-human FILE (a hundred or more documents of this corpus's kind "
                "known to be human), or --human-before DATE --date-field FIELD")
UNINFORMATIVE = "uninformative for this corpus"


def is_informative(block: EstimateBlock) -> bool:
    """Whether an estimate block's interval is narrow enough to headline its point estimate.

    A summary's own ``informative`` decides; an older summary without one is judged by its interval.
    """
    informative = block.get("informative")
    if isinstance(informative, bool):
        return informative
    return round(float(block["high"]) - float(block["low"]), 9) <= UNINFORMATIVE_WIDTH


def next_step(documents: int, human: int | None, machine: bool, date_field: str | None = None) -> str:
    """The one step that would narrow a wide interval.

    ``human``: documents in the in-domain human reference (None: the model's own);
    ``machine``: an in-domain machine reference was given; ``date_field``: a field of
    the corpus's documents that holds dates (:func:`auditor.estimate.corpus_reference.date_like_field`).
    """
    if documents < MIN_DOCUMENTS:
        return f"scan more documents: the interval of fewer than {MIN_DOCUMENTS} is [0, 1]"
    if human is None:
        if date_field is not None:
            return (f"give a human reference from the corpus itself: --human-before DATE --date-field {date_field} "
                    f"(its documents carry dates in {date_field!r})")
        return GENERAL_STEP
    if human < LARGE_REFERENCE:
        return f"give a larger human reference ({human:,} documents now; a hundred or more of this corpus's kind)"
    if not machine:
        return ("give a machine reference: --reference-machine FILE (a hundred or more documents of this corpus's kind "
                "written by a chat model)")
    return "give larger references: a few hundred documents each for --reference-human and --reference-machine"


def interval_text(block: EstimateBlock) -> str:
    """``95% CI 0.00-0.42``."""
    confidence = round(float(block.get("confidence", CONFIDENCE)) * 100)
    return f"{confidence}% CI {block['low']:.2f}-{block['high']:.2f}"


def step_of(block: FractionBlock) -> str:
    """The block's ``next_step``, or the general one (a summary written before there was one)."""
    step = block.get("next_step")
    return step if isinstance(step, str) and step else GENERAL_STEP


def headline(block: FractionBlock) -> str:
    """``synthetic fraction 0.23 (95% CI 0.19-0.27)``, or, for a wide interval,
    ``synthetic fraction: uninformative for this corpus (95% CI 0.00-0.42); give ...``."""
    if is_informative(block):
        return f"synthetic fraction {fraction_text(block)}"
    return f"synthetic fraction: {UNINFORMATIVE} ({interval_text(block)}); {step_of(block)}"


def estimate_text(block: EstimateBlock, digits: int = 2) -> str:
    """A table cell's estimate: ``0.23``, or ``uninformative`` for a block whose interval is too wide to name a point
    (a source's block as well as the corpus's, and each method's)."""
    return f"{float(block['estimate']):.{digits}f}" if is_informative(block) else "uninformative"


def at_estimate(block: FractionBlock) -> str:
    """The fraction a projection was computed at: ``0.23``, or for a wide interval
    ``uninformative (95% CI 0.00-0.59; projected at its point estimate 0.27)``."""
    point = f"{float(block['estimate']):.2f}"
    return point if is_informative(block) else f"uninformative ({interval_text(block)}; projected at its point estimate {point})"


def ranking_note(block: FractionBlock, posterior: PosteriorBlock | None) -> str:
    """What the highest-scoring documents can and cannot tell, given the estimate (empty: nothing to add).

    ``p_synthetic`` ranks documents; whether one is machine-written given this corpus is its
    ``p_machine_given_corpus``, which rests on the estimate: with an uninformative one, neither counts documents.
    """
    if not is_informative(block):
        return ("The synthetic fraction is uninformative for this corpus: these scores rank documents, they do not tell "
                "how many are machine-written" + (", nor does p_machine_given_corpus, which rests on that fraction." if posterior else "."))
    if not posterior:
        return ""
    return (f"Given this corpus's estimate, {int(posterior['above_half']):,} documents have p_machine_given_corpus above 0.5 "
            "(documents.parquet): auditor filter and the hook decide by it, not by p_synthetic.")
