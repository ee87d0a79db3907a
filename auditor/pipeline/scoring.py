"""The scan's annotator: scores each batch where it is fingerprinted, keeps what the estimate and reports need.

:class:`Scorer` adds ``p_synthetic``, ``flagged`` (and ``known_synthetic_jaccard``) to the
fingerprint table (:class:`auditor.corpus.batches.Annotator`); its per-shard
:class:`ScoreState` travels back from workers small (no model, 9 bytes a document) and is
checkpointed with the shard for ``--resume``.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pyarrow as pa

from auditor.arrow_numpy import array_from_numpy
from auditor.corpus.batches import Annotator, AnnotatorState, Batch
from auditor.detector.known import QUERY_BANDING, KnownIndex
from auditor.detector.scorer import Detector
from auditor.estimate.corpus_reference import Selection
from auditor.projection.token_counts import TokenCounter, TokenCounts
from auditor.summary import TopDocument

TOP_DOCUMENTS = 20  # highest-scoring documents kept, with excerpts, for the reports
EXCERPT_CHARS = 300


@dataclass
class ScoreState:
    """What scoring keeps for the estimate and the reports: per shard in a worker, then for the corpus here.

    Per document 9 bytes (score, known-match flag); sources as runs; word counts by
    vocabulary; the best documents. Picklable and free of the model, so a worker's
    shard state travels back small.
    """

    scores: list[np.ndarray] = field(default_factory=list)
    matched: list[np.ndarray] = field(default_factory=list)
    source_runs: list[tuple[str, int]] = field(default_factory=list)
    tokens: TokenCounter = field(default_factory=TokenCounter)  # unflagged / flagged word counts, for the projection
    top: list[tuple[float, int, TopDocument]] = field(default_factory=list)  # min-heap of the highest scores
    reference: list[np.ndarray] = field(default_factory=list)  # with a corpus reference: which documents it holds
    reference_counts: list[int] = field(default_factory=lambda: [0, 0])  # documents without a field value / unreadable

    def offer(self, score: float, entry: TopDocument) -> None:
        item = (score, -int(entry["row"]), entry)
        if len(self.top) < TOP_DOCUMENTS:
            heapq.heappush(self.top, item)
        elif item[:2] > self.top[0][:2]:
            heapq.heapreplace(self.top, item)

    def add_sources(self, runs: Sequence[tuple[str, int]]) -> None:
        for name, count in runs:
            if self.source_runs and self.source_runs[-1][0] == name:
                self.source_runs[-1] = (name, self.source_runs[-1][1] + count)
            else:
                self.source_runs.append((name, count))


class Scorer(Annotator[ScoreState]):
    """Annotator adding ``p_synthetic``, ``flagged`` (and ``known_synthetic_jaccard`` with an index).

    A copy per shard (:meth:`spawn`) scores in the worker into its own :class:`ScoreState`,
    which :meth:`absorb` merges here, shard by shard in input order.
    """

    def __init__(self, detector: Detector, threshold: float, known_path: str | None, known_threshold: float,
                 selection: Selection | None = None):
        self.detector, self.threshold, self.selection = detector, threshold, selection
        # By path: a worker loads the index itself, once (KnownIndex.load_shared), instead of
        # receiving its signatures with every shard.
        self.known_path, self.known_threshold = known_path, known_threshold
        self.fields = [pa.field("p_synthetic", pa.float64()), pa.field("flagged", pa.bool_())]
        if known_path is not None:
            self.fields.append(pa.field("known_synthetic_jaccard", pa.float64()))
        self.state = ScoreState()

    def spawn(self) -> Scorer:
        return Scorer(self.detector, self.threshold, self.known_path, self.known_threshold, self.selection)

    def harvest(self) -> ScoreState:
        return self.state

    def top_documents(self) -> list[TopDocument]:
        """The highest-scoring documents, highest first (ties: earlier row first), with excerpts."""
        return [entry for _, _, entry in sorted(self.state.top, key=lambda item: (-item[0], -item[1]))]

    def columns(self, batch: Batch) -> list[pa.Array]:
        state = self.state
        scores = self.detector.score(batch.texts, batch.tokens, batch.features)
        state.scores.append(scores)
        state.add_sources([(doc.source, 1) for doc in batch.documents])
        flagged = scores >= self.threshold
        # Only the batch's own best TOP_DOCUMENTS (highest score, then earliest row) can enter
        # the running top: numpy picks them, so the Python loop never runs per document.
        for i in np.lexsort((np.arange(len(scores)), -scores))[:TOP_DOCUMENTS].tolist():
            doc = batch.documents[i]
            state.offer(float(scores[i]), {"row": doc.row, "id": doc.id, "source": doc.source, "p_synthetic": float(scores[i]),
                                           "excerpt": doc.text[:EXCERPT_CHARS]})
        columns = [array_from_numpy(scores), array_from_numpy(flagged)]
        matched = np.zeros(len(scores), dtype=bool)
        if self.known_path is not None:
            known = KnownIndex.load_shared(self.known_path)
            jaccard = known.best_jaccard(batch.signatures, min(self.known_threshold, QUERY_BANDING))
            matched = jaccard >= self.known_threshold
            columns.append(array_from_numpy(jaccard))
        state.matched.append(matched)
        if self.selection is not None:
            chosen, missing, unreadable = self.selection.select([doc.fields for doc in batch.documents])
            state.reference.append(chosen & ~matched)  # known synthetic text is not human
            state.reference_counts = [state.reference_counts[0] + missing, state.reference_counts[1] + unreadable]
        # Known synthetic text is machine text: it must not count as the human distribution p0.
        state.tokens.add(batch.tokens.word_hashes, batch.tokens.doc, flagged | matched)
        return columns

    def identity(self) -> dict[str, object]:
        known = None
        if self.known_path is not None:
            arrays = KnownIndex.load_shared(self.known_path).summary.get("arrays")
            known = {"path": self.known_path, "sha256": arrays.get("sha256") if isinstance(arrays, dict) else None}
        return {"model": self.detector.sha256, "threshold": self.threshold, "known_synthetic": known,
                "known_threshold": self.known_threshold, "corpus_reference": self.selection.identity() if self.selection else None}

    def dump(self, state: ScoreState) -> AnnotatorState:
        tokens = state.tokens.result()
        arrays = {"scores": np.concatenate(state.scores) if state.scores else np.zeros(0),
                  "matched": np.concatenate(state.matched) if state.matched else np.zeros(0, dtype=bool),
                  "token_hashes": tokens.hashes, "token_unflagged": tokens.unflagged, "token_flagged": tokens.flagged,
                  "reference": np.concatenate(state.reference) if state.reference else np.zeros(0, dtype=bool),
                  "reference_counts": np.array(state.reference_counts, dtype=np.int64)}
        # Scores go through JSON as repr'd floats, which read back bit for bit.
        return {"source_runs": [list(run) for run in state.source_runs], "top": [list(item) for item in state.top]}, arrays

    def load(self, saved: AnnotatorState) -> ScoreState:
        values, arrays = saved
        tokens = TokenCounts(arrays["token_hashes"].astype(np.uint64), arrays["token_unflagged"].astype(np.int64),
                             arrays["token_flagged"].astype(np.int64))
        return ScoreState(
            scores=[arrays["scores"].astype(np.float64)],
            matched=[arrays["matched"].astype(bool)],
            source_runs=[(str(name), int(count)) for name, count in cast(list[list[Any]], values["source_runs"])],  # as dump wrote them
            tokens=TokenCounter.of(tokens),
            top=[(float(score), int(row), cast(TopDocument, dict(entry))) for score, row, entry in cast(list[list[Any]], values["top"])],
            reference=[arrays["reference"].astype(bool)] if self.selection is not None else [],
            reference_counts=[int(n) for n in arrays["reference_counts"]],
        )

    def absorb(self, shard: ScoreState, row_offset: int) -> None:
        state = self.state
        state.scores.extend(shard.scores)
        state.matched.extend(shard.matched)
        state.add_sources(shard.source_runs)
        state.tokens.update(shard.tokens)
        state.reference.extend(shard.reference)
        state.reference_counts = [a + b for a, b in zip(state.reference_counts, shard.reference_counts)]
        for score, _, entry in shard.top:
            state.offer(score, {**entry, "row": int(entry["row"]) + row_offset})
