"""Tokenization of a batch of normalized documents into flat numpy arrays.

Every per-document statistic is computed over a whole batch at once: the
words of all documents sit back to back in one array and ``offsets`` says
where each document starts, so numpy does the counting instead of a Python
loop per document.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditor.features.minhash import word_hash64

# Marks a sentence end in the token stream. NUL never survives normalization
# (control characters are removed), is not whitespace to str.split, and is
# kept by the separator tables below, so it comes out as a token of its own.
_SENTINEL = "\x00"
# A sentence ends at ".", "!" or "?", optionally followed by one closing quote
# or bracket, followed by a space (normalized text has single spaces only).
# Plain str.replace per pattern is several times faster than one regex.
_SENTENCE_ENDS = tuple(end + close + " " for end in ".!?" for close in ("", '"', "'", ")", "]"))
_MAX_CACHED_WORDS = 100_000
_MAX_CACHED_WORD_LENGTH = 64


def _is_word_char(char: str) -> bool:
    return char == "'" or char == _SENTINEL or unicodedata.category(char)[0] in "LMN"


# ASCII bytes that separate words become spaces; bytes >= 128 (parts of
# non-ASCII characters) pass through and are handled per token below.
_ASCII_SEPARATORS = bytes(i if i >= 128 or _is_word_char(chr(i)) else 32 for i in range(256))


class _SeparatorTable(dict):
    """``str.translate`` table for non-ASCII tokens: non-word characters become spaces.

    Word characters are letters, marks, numbers and the apostrophe (kept for
    "don't"; stripped from word edges later). Filled lazily per code point.
    """

    def __missing__(self, cp: int) -> int:
        value = cp if _is_word_char(chr(cp)) else 32
        self[cp] = value
        return value


_SEPARATORS = _SeparatorTable()
_word_hash_cache: dict[str, int] = {}
_SENTINEL_HASH = np.uint64(word_hash64(_SENTINEL))


@dataclass(frozen=True)
class TokenBatch:
    """Words of a batch of documents, flattened.

    Attributes:
        offsets: int64, ``n_docs + 1``; document ``i`` owns tokens
            ``offsets[i]:offsets[i+1]``.
        doc: int64 document index of every token.
        word_hashes: uint64 stable 64-bit hash of every token's word.
        word_lengths: int64 characters in every token.
        sentence_offsets: int64, ``n_docs + 1``, into ``sentence_lengths``.
        sentence_lengths: int64 words in every non-empty sentence of every document.
    """

    offsets: np.ndarray
    doc: np.ndarray
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


def _raw_tokens(normalized: str) -> list[str]:
    """Lower-cased words of one normalized text, with a sentinel after every sentence."""
    text = normalized.lower()
    if _SENTINEL in text:
        text = text.replace(_SENTINEL, " ")
    for end in _SENTENCE_ENDS:
        if end in text:
            text = text.replace(end, " " + _SENTINEL + " ")
    tokens = text.encode("utf-8").translate(_ASCII_SEPARATORS).decode("utf-8").split()
    if not text.isascii():
        # Only tokens with non-ASCII characters can still hold a separator
        # (an em dash, a non-ASCII symbol); split those with the full table.
        tokens = [part for token in tokens for part in (token.translate(_SEPARATORS).split() if not token.isascii() else (token,))]
    if "'" in text:
        tokens = [t for t in (w.strip("'") for w in tokens) if t]
    tokens.append(_SENTINEL)
    return tokens


def split_words(normalized: str) -> tuple[list[str], list[int]]:
    """Lower-cased words of one normalized text and the word count of each sentence.

    A word is a maximal run of letters, marks, numbers and inner apostrophes;
    everything else separates words. The scalar counterpart of
    :func:`tokenize_batch`, for tests and single documents.
    """
    words: list[str] = []
    sentence_lengths: list[int] = []
    current = 0
    for token in _raw_tokens(normalized):
        if token == _SENTINEL:
            if current:
                sentence_lengths.append(current)
            current = 0
        else:
            words.append(token)
            current += 1
    return words, sentence_lengths


def _hash_words(tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hash and length of every token, computing each distinct word once."""
    codes, uniques = pd.factorize(np.array(tokens, dtype=object), sort=False)
    cache = _word_hash_cache
    fresh = {w: word_hash64(w) for w in uniques if w not in cache}
    # Only ordinary words are cached (long tokens such as base64 blobs would
    # make a count-bounded cache unbounded in bytes); the cache is cleared when
    # full: hashes are recomputed, never different.
    cacheable = {w: h for w, h in fresh.items() if len(w) <= _MAX_CACHED_WORD_LENGTH}
    if len(cache) + len(cacheable) > _MAX_CACHED_WORDS:
        cache.clear()
    cache.update(cacheable)
    unique_hashes = np.fromiter((fresh[w] if w in fresh else cache[w] for w in uniques), dtype=np.uint64, count=len(uniques))
    unique_lengths = np.fromiter(map(len, uniques), dtype=np.int64, count=len(uniques))
    return unique_hashes[codes], unique_lengths[codes]


def tokenize_batch(normalized_texts: Sequence[str]) -> TokenBatch:
    """Tokenize a batch of normalized texts into a :class:`TokenBatch`."""
    n_docs = len(normalized_texts)
    flat: list[str] = []
    raw_counts = np.zeros(n_docs, dtype=np.int64)
    for i, text in enumerate(normalized_texts):
        tokens = _raw_tokens(text)
        flat.extend(tokens)
        raw_counts[i] = len(tokens)
    hashes, lengths = _hash_words(flat)
    is_end = hashes == _SENTINEL_HASH
    ends = np.flatnonzero(is_end)
    # Every document's token list ends with a sentinel, so the words of a
    # sentence are those between two consecutive sentinels.
    sentence_words = np.diff(ends, prepend=-1) - 1
    doc_of_sentence = np.repeat(np.arange(n_docs, dtype=np.int64), raw_counts)[ends]
    nonempty = sentence_words > 0
    word_counts = raw_counts - np.bincount(doc_of_sentence, minlength=n_docs)
    is_word = ~is_end
    return TokenBatch(
        offsets=_offsets(word_counts),
        doc=np.repeat(np.arange(n_docs, dtype=np.int64), word_counts),
        word_hashes=hashes[is_word],
        word_lengths=lengths[is_word],
        sentence_offsets=_offsets(np.bincount(doc_of_sentence[nonempty], minlength=n_docs)),
        sentence_lengths=sentence_words[nonempty],
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
