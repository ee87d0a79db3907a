"""Tokenization of a batch of normalized documents into flat numpy arrays.

Every per-document statistic is computed over a whole batch at once: the
words of all documents sit back to back in one array and ``offsets`` says
where each document starts, so numpy does the counting instead of a Python
loop per document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditor.features.minhash import word_hash64

# A word is a run of word characters, with inner apostrophes kept ("don't").
# Normalization has already folded typographic apostrophes to "'".
WORD_RE = re.compile(r"\w+(?:'\w+)*")
# A sentence ends at . ! or ? (possibly repeated, possibly followed by a
# closing quote or bracket) followed by a space; normalized text has single
# spaces only, so this is the whole rule.
_SENTENCE_END_RE = re.compile(r"[.!?]+['\")\]]* ")


@dataclass(frozen=True)
class TokenBatch:
    """Words of a batch of documents, flattened.

    Attributes:
        offsets: int64, ``n_docs + 1``; document ``i`` owns tokens
            ``offsets[i]:offsets[i+1]``.
        doc: int64 document index of every token.
        word_ids: int64 batch-local id of every token's word (equal words,
            equal ids; ids are only meaningful within this batch).
        word_hashes: uint64 stable 64-bit hash of every token's word.
        word_lengths: int64 characters in every token.
        sentence_offsets: int64, ``n_docs + 1``, into ``sentence_lengths``.
        sentence_lengths: int64 words in every sentence of every document.
    """

    offsets: np.ndarray
    doc: np.ndarray
    word_ids: np.ndarray
    word_hashes: np.ndarray
    word_lengths: np.ndarray
    sentence_offsets: np.ndarray
    sentence_lengths: np.ndarray

    @property
    def n_docs(self) -> int:
        return len(self.offsets) - 1

    @property
    def counts(self) -> np.ndarray:
        """Words per document."""
        return np.diff(self.offsets)


def split_words(normalized: str) -> tuple[list[str], list[int]]:
    """Lower-cased words of one normalized text and the word count of each sentence."""
    words: list[str] = []
    sentence_lengths: list[int] = []
    for sentence in _SENTENCE_END_RE.split(normalized.lower()):
        found = WORD_RE.findall(sentence)
        if found:
            words.extend(found)
            sentence_lengths.append(len(found))
    return words, sentence_lengths


def tokenize_batch(normalized_texts: Sequence[str]) -> TokenBatch:
    """Tokenize a batch of normalized texts into a :class:`TokenBatch`."""
    words: list[str] = []
    word_counts = np.zeros(len(normalized_texts), dtype=np.int64)
    sentence_lengths: list[int] = []
    sentence_counts = np.zeros(len(normalized_texts), dtype=np.int64)
    for i, text in enumerate(normalized_texts):
        doc_words, doc_sentences = split_words(text)
        words.extend(doc_words)
        word_counts[i] = len(doc_words)
        sentence_lengths.extend(doc_sentences)
        sentence_counts[i] = len(doc_sentences)

    offsets = _offsets(word_counts)
    # Hash each distinct word once per batch; pandas' hash table does the
    # word -> id mapping in C.
    word_ids, uniques = pd.factorize(np.array(words, dtype=object), sort=False)
    unique_hashes = np.fromiter(map(word_hash64, uniques), dtype=np.uint64, count=len(uniques))
    unique_lengths = np.fromiter(map(len, uniques), dtype=np.int64, count=len(uniques))
    word_ids = word_ids.astype(np.int64, copy=False)
    return TokenBatch(
        offsets=offsets,
        doc=np.repeat(np.arange(len(normalized_texts), dtype=np.int64), word_counts),
        word_ids=word_ids,
        word_hashes=unique_hashes[word_ids],
        word_lengths=unique_lengths[word_ids],
        sentence_offsets=_offsets(sentence_counts),
        sentence_lengths=np.asarray(sentence_lengths, dtype=np.int64),
    )


def _offsets(counts: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def segment_sums(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sum of ``values[offsets[i]:offsets[i+1]]`` for every segment (0 when empty)."""
    sums = np.zeros(len(offsets) - 1, dtype=np.result_type(values.dtype, np.int64))
    nonempty = np.flatnonzero(np.diff(offsets) > 0)
    if len(nonempty):
        sums[nonempty] = np.add.reduceat(values, offsets[nonempty])
    return sums
