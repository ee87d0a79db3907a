"""The streaming fingerprint engine: documents in, batches of features, evasion counts and MinHash out.

:func:`fingerprint_batches` is what every stage builds on (the corpus run of
:func:`auditor.corpus.runner.fingerprint`, scoring in the hook, training, reference
samples): it batches documents, normalizes them once (:mod:`auditor.normalize`),
tokenizes them once, and computes the statistics and signatures from those tokens.
:class:`Annotator` is how a stage adds its own columns (the scan's scores) to the
fingerprint table, shard by shard.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
import pyarrow as pa

from auditor.features import minhash
from auditor.features.dedup import DEFAULT_THRESHOLD, lsh_banding
from auditor.features.stats import MAX_BATCH_DOCS, compute_stats
from auditor.features.tokens import TokenBatch, tokenize_batch
from auditor.io.documents import Document, ReaderOptions
from auditor.normalize import normalize_counted


@dataclass(frozen=True)
class FingerprintOptions:
    """Settings of the fingerprint stage (resolved once, passed explicitly).

    Attributes:
        reader: how inputs are read.
        num_perm: MinHash signature length.
        seed: MinHash permutation seed.
        near_duplicates: cluster near-duplicates (costs memory per document).
        dup_threshold: estimated Jaccard similarity of word 5-gram sets at
            which two documents are near-duplicates.
        batch_docs / batch_chars: a batch closes at whichever comes first.
        signatures: compute MinHash signatures. Only :func:`fingerprint_batches` users
            that neither write nor match them (the hook's scoring) turn this off;
            batches then carry ``(n, 0)`` signatures.
    """

    reader: ReaderOptions = field(default_factory=ReaderOptions)
    num_perm: int = minhash.DEFAULT_NUM_PERM
    seed: int = minhash.DEFAULT_SEED
    near_duplicates: bool = True
    dup_threshold: float = DEFAULT_THRESHOLD
    batch_docs: int = 512
    batch_chars: int = 4_000_000
    signatures: bool = True

    def __post_init__(self) -> None:
        if self.near_duplicates and not self.signatures:
            raise ValueError("near-duplicate clustering needs MinHash signatures: keep signatures=True")
        if not 1 <= self.num_perm <= 1024:
            raise ValueError(f"num_perm must be between 1 and 1024, got {self.num_perm}")
        if not 0.0 < self.dup_threshold <= 1.0:
            raise ValueError(f"dup_threshold must be in (0, 1], got {self.dup_threshold}")
        if self.near_duplicates:
            try:  # banding that cannot be done with this many permutations (as datasketch refuses it)
                lsh_banding(self.dup_threshold, self.num_perm)
            except ValueError as err:
                raise ValueError(
                    f"near-duplicate threshold {self.dup_threshold} cannot be indexed with {self.num_perm} MinHash "
                    f"permutations ({err}): lower --dup-threshold or raise --num-perm"
                ) from None
        if not 1 <= self.batch_docs <= MAX_BATCH_DOCS or self.batch_chars < 1:
            raise ValueError(f"batch_docs must be in 1..{MAX_BATCH_DOCS} and batch_chars positive")


@dataclass(frozen=True)
class Batch:
    """One batch of fingerprinted documents."""

    documents: list[Document]
    features: dict[str, np.ndarray]
    evasion_chars: np.ndarray
    signatures: np.ndarray
    text_bytes: int
    texts: list[str]  # normalized, what every feature was computed on
    tokens: TokenBatch


# An annotator's state as a checkpoint stores it (auditor.corpus.checkpoint): the JSON part, the arrays part.
AnnotatorState = tuple[dict[str, object], dict[str, np.ndarray]]


# The per-shard state an annotator keeps (the scan's: scores, sources, top documents, token counts).
StateT = TypeVar("StateT")


class Annotator(Protocol[StateT]):
    """Adds columns to the fingerprint table (e.g. scores), computed batch by batch, shard by shard.

    ``fields`` are inserted after ``id``. For each shard the run calls ``spawn()``
    for an empty copy (it is pickled to a worker when there are workers), which
    gets ``columns(batch)`` for the shard's batches (one array per field) and may
    keep per-shard state; ``harvest()`` returns that state (picklable; it travels
    back), and here ``absorb(state, row_offset)`` merges it, shard by shard in input
    order (``row_offset``: documents in the shards before, to turn the shard's
    0-based rows into corpus rows).

    For checkpoints (:mod:`auditor.corpus.checkpoint`), ``dump(state)`` turns a harvest into
    JSON-ready values and named numpy arrays, ``load`` turns them back into an equal
    state, and ``identity()`` (JSON-ready) names what the columns depend on (a model,
    a threshold), so that a run is resumed only with the same.
    """

    fields: Sequence[pa.Field]

    def spawn(self) -> Annotator[StateT]: ...

    def columns(self, batch: Batch) -> list[pa.Array]: ...

    def harvest(self) -> StateT: ...

    def absorb(self, state: StateT, row_offset: int) -> None: ...

    def identity(self) -> dict[str, object]: ...

    def dump(self, state: StateT) -> AnnotatorState: ...

    def load(self, saved: AnnotatorState) -> StateT: ...


@dataclass(frozen=True)
class Progress:
    """Running totals passed to a progress callback after every batch.

    ``text_bytes`` counts the documents' text (UTF-8); ``input_bytes`` the input files' bytes read
    so far (compressed files count as stored), out of ``total_bytes`` (None when unknown, e.g.
    standard input): the second pair is what a progress bar shows.
    """

    documents: int
    text_bytes: int
    seconds: float
    input_bytes: int = 0
    total_bytes: int | None = None


def document_batches(documents: Iterable[Document], max_docs: int, max_chars: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    chars = 0
    for doc in documents:
        batch.append(doc)
        chars += len(doc.text)
        if len(batch) >= max_docs or chars >= max_chars:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def fingerprint_batches(documents: Iterable[Document], options: FingerprintOptions | None = None) -> Iterator[Batch]:
    """Fingerprint documents batch by batch (features, evasion counts, MinHash signatures; default options when None)."""
    options = options if options is not None else FingerprintOptions()
    for docs in document_batches(documents, options.batch_docs, options.batch_chars):
        normalized = [normalize_counted(d.text) for d in docs]
        texts = [text for text, _ in normalized]
        tokens = tokenize_batch(texts)
        if options.signatures:
            shingles, shingle_offsets = minhash.shingle_hashes(tokens.word_hashes, tokens.offsets)
            signatures = minhash.signatures(shingles, shingle_offsets, options.num_perm, options.seed)
        else:
            signatures = np.zeros((len(docs), 0), dtype=np.uint32)
        yield Batch(
            documents=docs,
            features=compute_stats(texts, tokens),
            evasion_chars=np.fromiter((evasion for _, evasion in normalized), dtype=np.int64, count=len(docs)),
            signatures=signatures,
            text_bytes=sum(len(d.text.encode("utf-8", "surrogatepass")) for d in docs),
            texts=texts,
            tokens=tokens,
        )
