"""Token (word) counts of a corpus, split by whether documents were flagged: the projection's input.

Words are identified by the stable 64-bit hashes the tokenizer already computes
(:mod:`auditor.features.tokens`), so counting costs one ``np.unique`` per batch
and memory grows with the vocabulary (24 bytes a distinct word), not with the
corpus. Counts are stored as Parquet (``hash``, ``unflagged``, ``flagged``),
never pickled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from auditor.arrow_numpy import array_from_numpy
from auditor.atomic import atomic_path
from auditor.errors import InputError

# Pending (hash, count) pairs are merged once they exceed twice the merged
# vocabulary (at least _REDUCE_MIN): the buffer then follows the vocabulary,
# not the corpus, and each merge still amortizes over as many new pairs as it
# re-sorts.
_REDUCE_MIN = 250_000


@dataclass(frozen=True)
class TokenCounts:
    """Per-word counts in unflagged (human-scored) and flagged (machine-scored) documents.

    Attributes:
        hashes: uint64 word hashes, sorted, unique.
        unflagged / flagged: int64 counts aligned with ``hashes``.
    """

    hashes: np.ndarray
    unflagged: np.ndarray
    flagged: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.unflagged + self.flagged

    def write(self, path: str | os.PathLike[str]) -> None:
        columns = [self.hashes.astype(np.uint64, copy=False), self.unflagged.astype(np.int64, copy=False),
                   self.flagged.astype(np.int64, copy=False)]
        table = pa.Table.from_arrays([array_from_numpy(c) for c in columns], names=["hash", "unflagged", "flagged"])
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> TokenCounts:
        try:
            table = pq.read_table(path, columns=["hash", "unflagged", "flagged"])
        except (OSError, pa.ArrowInvalid, KeyError) as err:
            raise InputError(f"{path}: not a token-count file written by auditor scan ({err}); re-run the scan") from None
        hashes = table.column("hash").to_numpy().astype(np.uint64)
        unflagged = table.column("unflagged").to_numpy().astype(np.int64)
        flagged = table.column("flagged").to_numpy().astype(np.int64)
        if (unflagged < 0).any() or (flagged < 0).any():
            raise InputError(f"{path}: negative token counts; re-run the scan")
        return cls(hashes, unflagged, flagged)


class TokenCounter:
    """Accumulates word counts batch by batch (see :class:`TokenCounts`)."""

    def __init__(self) -> None:
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._size = 0
        self._reduce_at = _REDUCE_MIN

    @classmethod
    def of(cls, counts: TokenCounts) -> TokenCounter:
        """A counter holding ``counts`` (e.g. read back from a checkpoint)."""
        counter = cls()
        if len(counts.hashes):
            counter._pending = [(counts.hashes, counts.unflagged, counts.flagged)]
            counter._size = len(counts.hashes)
        return counter

    def add(self, word_hashes: np.ndarray, token_doc: np.ndarray, doc_flagged: np.ndarray) -> None:
        """Count one batch: every token's hash and document index, and which documents are flagged."""
        if len(word_hashes) == 0:
            return
        unique, total = np.unique(word_hashes, return_counts=True)  # no inverse: sorting alone is cheaper
        flagged = np.zeros(len(unique), dtype=np.int64)
        flagged_docs = np.asarray(doc_flagged, dtype=bool)
        if flagged_docs.any():
            words, counts = np.unique(word_hashes[flagged_docs[token_doc]], return_counts=True)
            flagged[np.searchsorted(unique, words)] = counts
        unflagged = total.astype(np.int64) - flagged
        self._pending.append((unique, unflagged, flagged))
        self._size += len(unique)
        if self._size > self._reduce_at:
            self._reduce()

    def __getstate__(self) -> dict[str, object]:
        self._reduce()  # a worker's counter travels merged: one sorted array per column, not one per batch
        return self.__dict__

    def update(self, other: TokenCounter) -> None:
        """Add ``other``'s counts (a shard's, counted in a worker); the result does not depend on the grouping."""
        self._pending.extend(other._pending)
        self._size += other._size
        if self._size > self._reduce_at:
            self._reduce()

    def _reduce(self) -> None:
        if len(self._pending) <= 1:
            return
        hashes = np.concatenate([part[0] for part in self._pending])
        unique, inverse = np.unique(hashes, return_inverse=True)
        merged = [
            np.bincount(inverse, weights=np.concatenate([part[i] for part in self._pending]), minlength=len(unique)).astype(np.int64)
            for i in (1, 2)
        ]
        self._pending = [(unique, merged[0], merged[1])]
        self._size = len(unique)
        self._reduce_at = max(_REDUCE_MIN, 2 * len(unique))

    def result(self) -> TokenCounts:
        self._reduce()
        if not self._pending:
            empty = np.zeros(0, dtype=np.int64)
            return TokenCounts(np.zeros(0, dtype=np.uint64), empty, empty.copy())
        hashes, unflagged, flagged = self._pending[0]
        return TokenCounts(hashes, unflagged, flagged)
