"""Tokenization of a batch of normalized documents into flat numpy arrays.

Every per-document statistic is computed over a whole batch at once: the
words of all documents sit back to back in one array and ``offsets`` says
where each document starts, so numpy does the counting instead of a Python
loop per document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from auditor.arrow_numpy import array_from_strings, numpy_from_array
from auditor.features.minhash import word_hash64

# Marks a sentence end in the token stream. NUL never survives normalization
# (control characters are removed), is not whitespace to str.split, and is
# kept by the separator tables below, so it comes out as a token of its own.
_SENTINEL = "\x00"
# A sentence ends at ".", "!" or "?", optionally followed by one closing quote
# or bracket, followed by a space (normalized text has single spaces only).
# One left-to-right pass; RE2 (pyarrow) and Python's re find the same matches.
_SENTENCE_END = r"[.!?][\"')\]]? "
_SENTENCE_END_RE = re.compile(_SENTENCE_END)
_SENTENCE_BREAK = " " + _SENTINEL + " "
_MAX_CACHED_WORDS = 100_000
_MAX_CACHED_WORD_LENGTH = 64


def _is_word_char(char: str) -> bool:
    return char == "'" or char == _SENTINEL or unicodedata.category(char)[0] in "LMN"


# ASCII bytes that separate words become spaces; bytes >= 128 (parts of
# non-ASCII characters) pass through and are handled per token below.
_ASCII_SEPARATORS = bytes(i if i >= 128 or _is_word_char(chr(i)) else 32 for i in range(256))
_ASCII_SEPARATOR_TABLE = np.frombuffer(_ASCII_SEPARATORS, dtype=np.uint8)


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


def _lowered(normalized: str) -> str:
    """Lower-cased text with a sentence end appended (every document closes its last sentence)."""
    text = normalized.lower()
    if _SENTINEL in text:
        text = text.replace(_SENTINEL, " ")
    return text + " " + _SENTINEL


def _token_parts(token: str) -> list[str]:
    """Words of one space-free raw token: split at non-ASCII separators, apostrophes stripped from edges."""
    parts = token.translate(_SEPARATORS).split() if not token.isascii() else [token] if token else []
    if "'" in token:
        parts = [p for p in (w.strip("'") for w in parts) if p]
    return parts


def _raw_tokens(normalized: str) -> list[str]:
    """Lower-cased words of one normalized text, with a sentinel after every sentence."""
    text = _SENTENCE_END_RE.sub(_SENTENCE_BREAK, _lowered(normalized))
    raw = text.encode("utf-8").translate(_ASCII_SEPARATORS).decode("utf-8").split(" ")
    return [part for token in raw for part in _token_parts(token)]


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


def _word_hashes(words: list[str]) -> np.ndarray:
    """64-bit hash of every word, through a bounded cache.

    Every hash is taken from the cache or computed *before* the cache is
    touched, so clearing it when full can never lose a hash this call needs
    (it once did, and any corpus of more than the cap's distinct words
    crashed). Only ordinary words are cached (long tokens such as base64 blobs
    would make a count-bounded cache unbounded in bytes), and at most
    ``_MAX_CACHED_WORDS`` of them: hashes are recomputed, never different.
    """
    cache = _word_hash_cache
    hashes = [cache.get(w) for w in words]
    fresh: dict[str, int] = {}
    for i, value in enumerate(hashes):
        if value is None:
            word = words[i]
            hashes[i] = fresh[word] = word_hash64(word)
    cacheable = [(w, h) for w, h in fresh.items() if len(w) <= _MAX_CACHED_WORD_LENGTH]
    if len(cache) + len(cacheable) > _MAX_CACHED_WORDS:
        cache.clear()
    cache.update(cacheable[:_MAX_CACHED_WORDS])
    return np.fromiter(hashes, dtype=np.uint64, count=len(words))


def _flat_tokens(normalized_texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hash, character length and count per document of every token (sentinels included).

    pyarrow splits the prepared texts at spaces and dictionary-encodes the raw
    tokens in C++, so Python touches each *distinct* raw token once; a raw
    token that holds several words (non-ASCII separators) or none (empty,
    apostrophes only) is expanded with numpy.
    """
    # The same steps as _raw_tokens, over the whole batch: sentence ends by
    # RE2, ASCII separators to spaces by a numpy lookup on the bytes.
    lowered = array_from_strings([_lowered(t).encode("utf-8") for t in normalized_texts], pa.large_binary())
    marked = pc.replace_substring_regex(lowered, _SENTENCE_END, _SENTENCE_BREAK)
    _, offsets, data = marked.buffers()
    translated = _ASCII_SEPARATOR_TABLE[np.frombuffer(data, dtype=np.uint8)]
    prepared = pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(marked), [None, offsets, pa.py_buffer(translated)], 0, marked.offset)
    lists = pc.split_pattern(prepared, " ")
    encoded = pc.dictionary_encode(lists.flatten())
    codes = numpy_from_array(encoded.indices).astype(np.int64)
    raw_per_doc = np.diff(numpy_from_array(lists.offsets))
    parts = [_token_parts(token.decode("utf-8")) for token in encoded.dictionary.to_pylist()]
    words = [w for p in parts for w in p]
    part_hashes = _word_hashes(words)
    part_lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    n_parts = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    if (n_parts == 1).all():  # the common case: every raw token is one word
        return part_hashes[codes], part_lengths[codes], raw_per_doc
    part_start = _offsets(n_parts)[:-1]
    per_token = n_parts[codes]
    # Output position j comes from raw token t = repeat(...)[j] and is its
    # (j - first output position of t)-th part.
    source = np.repeat(np.arange(len(codes)), per_token)
    rank = np.arange(len(source)) - np.repeat(_offsets(per_token)[:-1], per_token)
    index = part_start[codes[source]] + rank
    return part_hashes[index], part_lengths[index], segment_sums(per_token, _offsets(raw_per_doc))


def tokenize_batch(normalized_texts: Sequence[str]) -> TokenBatch:
    """Tokenize a batch of normalized texts into a :class:`TokenBatch`."""
    n_docs = len(normalized_texts)
    hashes, lengths, raw_counts = _flat_tokens(normalized_texts)
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
