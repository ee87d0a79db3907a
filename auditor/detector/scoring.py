"""Scoring documents with the detector, outside a corpus run: reference samples, texts in memory.

A scan scores inside its shards (:mod:`auditor.pipeline.scan`); these functions are for the
rest: a reference sample's score distribution, or a list of strings a program already holds::

    import auditor
    auditor.score_texts(["First text ...", "Second text ..."])   # array of p_synthetic
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np

from auditor.corpus.batches import FingerprintOptions, fingerprint_batches
from auditor.detector.scorer import Detector, load_detector
from auditor.io.documents import DEFAULT_MAX_DOC_CHARS, Document
from auditor.normalize import is_blank


def score_documents(documents: Iterable[Document], detector: Detector, options: FingerprintOptions | None = None) -> np.ndarray:
    """``p_synthetic`` of each document, in order (no MinHash, no near-duplicate index); ``options``: batch sizes."""
    # Not a default argument: FingerprintOptions() checks its near-duplicate banding with datasketch
    # (~0.5 s to import), which the hook, importing this module, must not pay.
    options = replace(options, near_duplicates=False, signatures=False) if options else FingerprintOptions(near_duplicates=False, signatures=False)
    parts = [detector.score(batch.texts, batch.tokens, batch.features) for batch in fingerprint_batches(documents, options)]
    return np.concatenate(parts) if parts else np.zeros(0)


def _in_memory(texts: Iterable[str]) -> Iterator[Document]:
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"texts[{index}] is a {type(text).__name__}, not a string")
        # Cut as the readers cut (a truncated repair there), then checked as they check: a scan and
        # score_texts give one score per text, and refuse the same texts.
        text = text[:DEFAULT_MAX_DOC_CHARS]
        if is_blank(text):
            raise ValueError(f"texts[{index}] is empty or whitespace-only: there is nothing to score")
        yield Document(f"texts:{index}", text, "texts", index, index + 1)


def score_texts(texts: Iterable[str], model: Detector | str | os.PathLike[str] | None = None) -> np.ndarray:
    """``p_synthetic`` of each text, in order: the probability the detector gives that a model wrote it.

    ``model``: a loaded :class:`~auditor.detector.scorer.Detector`, a model directory, or None for
    the shipped model. Texts are normalized and featurized exactly as a scan does (the first
    1,000,000 characters of a longer text). The scores rank documents; a corpus's synthetic
    fraction needs the estimate (:func:`auditor.scan`), not a count of high scores. Raises
    ``ValueError`` for a text that is not a string or is blank.
    """
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not one string: pass [text]")
    detector = model if isinstance(model, Detector) else load_detector(model)
    return score_documents(_in_memory(texts), detector)
