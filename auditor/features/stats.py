"""Per-document fingerprint statistics, computed over a batch at once.

Every feature is defined on the normalized text (see :mod:`auditor.normalize`)
and its lower-cased words (see :mod:`auditor.features.tokens`); the table in
``docs/features.md`` documents each one. Conventions for degenerate documents
(fewer words than an n-gram order, no sentence, no letter): ratios of nothing
are 0, except ``distinct_n`` which is 1 (nothing repeats).
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from auditor.features.tokens import TokenBatch, segment_sums

TTR_WINDOW = 100
DISTINCT_ORDERS = (1, 2, 3)
TOP_NGRAM_ORDERS = (2, 3, 4)
DUP_NGRAM_ORDERS = (5, 6, 7, 8, 9, 10)

FEATURE_NAMES: tuple[str, ...] = (
    "chars",
    "words",
    "mean_word_length",
    f"ttr_{TTR_WINDOW}",
    *(f"distinct_{n}" for n in DISTINCT_ORDERS),
    *(f"top_{n}gram_char_frac" for n in TOP_NGRAM_ORDERS),
    *(f"dup_{n}gram_char_frac" for n in DUP_NGRAM_ORDERS),
    "char_entropy",
    "word_entropy",
    "compression_ratio",
    "sentence_length_mean",
    "sentence_length_std",
    "punctuation_ratio",
    "digit_ratio",
    "uppercase_ratio",
)

# Bit flags of the per-character class table.
_UPPER, _LETTER, _DIGIT, _PUNCT = 1, 2, 4, 8
_DOC_KEY_MIX = np.uint64(0x9E3779B97F4A7C15)
_NGRAM_MULT = np.uint64(0x100000001B3)


@lru_cache(maxsize=1)
def _bmp_classes() -> np.ndarray:
    """Class flags of every Basic Multilingual Plane code point."""
    table = np.zeros(0x10000, dtype=np.uint8)
    for cp in range(0x10000):
        category = unicodedata.category(chr(cp))
        flags = 0
        if category[0] == "L":
            flags |= _LETTER
            if category == "Lu":
                flags |= _UPPER
        elif category == "Nd":
            flags |= _DIGIT
        elif category[0] == "P":
            flags |= _PUNCT
        table[cp] = flags
    return table


def _char_classes(codepoints: np.ndarray) -> np.ndarray:
    classes = _bmp_classes()[np.minimum(codepoints, 0xFFFF)]
    astral = np.flatnonzero(codepoints > 0xFFFF)
    for i in astral:  # rare (emoji, historic scripts): classify one by one
        category = unicodedata.category(chr(int(codepoints[i])))
        classes[i] = (
            (_LETTER | (_UPPER if category == "Lu" else 0)) if category[0] == "L"
            else _DIGIT if category == "Nd" else _PUNCT if category[0] == "P" else 0
        )
    return classes


def _safe_div(num: np.ndarray, den: np.ndarray, empty: float = 0.0) -> np.ndarray:
    out = np.full(len(num), empty, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _entropy_from_counts(counts: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Shannon entropy (bits) per group, from the counts of each distinct item of that group."""
    counts = counts.astype(np.float64)
    totals = np.bincount(group, weights=counts, minlength=n_groups)
    clogc = np.bincount(group, weights=counts * np.log2(counts), minlength=n_groups)
    entropy = np.zeros(n_groups)
    has = totals > 0
    entropy[has] = np.log2(totals[has]) - clogc[has] / totals[has]
    return np.maximum(entropy, 0.0)  # clamp -0.0 and rounding below zero


def _character_stats(texts: Sequence[str]) -> dict[str, np.ndarray]:
    n_docs = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n_docs)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codepoints = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    classes = _char_classes(codepoints)
    letters = segment_sums((classes & _LETTER) > 0, offsets)
    stats = {
        "chars": lengths.astype(np.float64),
        "punctuation_ratio": _safe_div(segment_sums((classes & _PUNCT) > 0, offsets), lengths),
        "digit_ratio": _safe_div(segment_sums((classes & _DIGIT) > 0, offsets), lengths),
        "uppercase_ratio": _safe_div(segment_sums((classes & _UPPER) > 0, offsets), letters),
    }
    # Character entropy: count (document, character) pairs. ASCII characters
    # keep their code point as id; the batch's few other characters get ids
    # after 128, which keeps the (document x id) count table small.
    doc_of_char = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
    ids = codepoints.astype(np.int64)
    non_ascii = ids >= 128
    if non_ascii.any():
        _, inverse = np.unique(ids[non_ascii], return_inverse=True)
        ids[non_ascii] = 128 + inverse
    keys = doc_of_char * (int(ids.max(initial=0)) + 1) + ids
    key_codes, key_uniques = pd.factorize(keys, sort=False)
    pair_counts = np.bincount(key_codes, minlength=len(key_uniques))
    pair_doc = key_uniques // (int(ids.max(initial=0)) + 1)
    stats["char_entropy"] = _entropy_from_counts(pair_counts, pair_doc, n_docs)
    stats["compression_ratio"] = _safe_div(
        np.array([len(zlib.compress(b, 9)) for b in (t.encode("utf-8") for t in texts)], dtype=np.float64),
        np.fromiter((len(t.encode("utf-8")) for t in texts), dtype=np.float64, count=n_docs),
    )
    return stats


def _ngram_stats(tokens: TokenBatch) -> dict[str, np.ndarray]:
    n_docs, n_tokens = tokens.n_docs, len(tokens.doc)
    counts = tokens.counts
    doc_end = tokens.offsets[1:][tokens.doc]  # one past each token's document end
    positions = np.arange(n_tokens, dtype=np.int64)
    doc_key = tokens.doc.astype(np.uint64) * _DOC_KEY_MIX
    word_chars = segment_sums(tokens.word_lengths, tokens.offsets)
    char_cum = np.zeros(n_tokens + 1, dtype=np.int64)
    np.cumsum(tokens.word_lengths, out=char_cum[1:])
    stats: dict[str, np.ndarray] = {}

    # Rolling n-gram hash over the flat array; position i holds the n-gram
    # starting at token i, valid only where it ends inside i's document.
    rolling = tokens.word_hashes.copy()
    repeated_prev: np.ndarray | None = None  # repeated (n-1)-gram starts
    for n in range(1, max(DUP_NGRAM_ORDERS) + 1):
        if n > 1:
            rolling = rolling[:-1] * _NGRAM_MULT + tokens.word_hashes[n - 1 :]
        valid = positions[: len(rolling)][positions[: len(rolling)] + n <= doc_end[: len(rolling)]]
        full_count = n <= max(max(DISTINCT_ORDERS), max(TOP_NGRAM_ORDERS))
        if full_count:
            starts = valid
        else:
            # A repeated n-gram starting at i contains repeated (n-1)-grams at
            # i and i+1, so only those positions need counting.
            assert repeated_prev is not None
            starts = valid[repeated_prev[valid] & repeated_prev[valid + 1]]
        codes, uniques = pd.factorize(rolling[starts] ^ doc_key[starts], sort=False)
        occurrences = np.bincount(codes, minlength=len(uniques))[codes]
        repeated = np.zeros(n_tokens + 1, dtype=bool)
        repeated[starts[occurrences > 1]] = True
        repeated_prev = repeated

        if n in DISTINCT_ORDERS:
            ngrams = np.bincount(tokens.doc[starts], minlength=n_docs)
            distinct = np.bincount(tokens.doc[starts], weights=1.0 / occurrences, minlength=n_docs)
            stats[f"distinct_{n}"] = _safe_div(np.round(distinct), ngrams, empty=1.0)
            if n == 1:
                stats["word_entropy"] = _entropy_from_counts(
                    np.bincount(codes, minlength=len(uniques)), tokens.doc[starts][np.unique(codes, return_index=True)[1]], n_docs
                )
        if n in TOP_NGRAM_ORDERS:
            # Most frequent n-gram per document (ties: the longer one), as a
            # share of the document's word characters; 0 when nothing repeats.
            ngram_chars = char_cum[starts + n] - char_cum[starts]
            score = np.where(occurrences > 1, occurrences * ngram_chars, 0)
            rank = occurrences * (1 << 32) + ngram_chars
            best = np.zeros(n_docs, dtype=np.float64)
            if len(starts):
                order = np.lexsort((rank, tokens.doc[starts]))
                last = np.flatnonzero(np.diff(tokens.doc[starts][order], append=-1) != 0)
                winners = order[last]
                best[tokens.doc[starts][winners]] = score[winners]
            stats[f"top_{n}gram_char_frac"] = _safe_div(best, word_chars)
        if n in DUP_NGRAM_ORDERS:
            # Characters of words covered by any repeated n-gram, each counted
            # once (Rae et al. 2021, Gopher, appendix A).
            dup_starts = starts[occurrences > 1]
            cover = np.cumsum(
                np.bincount(dup_starts, minlength=n_tokens + n + 1) - np.bincount(dup_starts + n, minlength=n_tokens + n + 1)
            )[:n_tokens] > 0
            stats[f"dup_{n}gram_char_frac"] = _safe_div(
                np.bincount(tokens.doc, weights=tokens.word_lengths * cover, minlength=n_docs), word_chars
            )
        if n == 1:
            # Mean segmental type-token ratio: distinct words per full
            # 100-word segment (the whole document when it is shorter),
            # averaged; equal segment lengths make it sum(distinct)/tokens.
            pos_in_doc = positions - tokens.offsets[tokens.doc]
            full_segments = counts[tokens.doc] // TTR_WINDOW
            segment = pos_in_doc // TTR_WINDOW
            kept = (full_segments == 0) | (segment < full_segments)
            seg_codes, seg_uniques = pd.factorize(
                (tokens.word_ids[kept] * (int(segment.max(initial=0)) + 1) + segment[kept]) * max(n_docs, 1) + tokens.doc[kept],
                sort=False,
            )
            seg_occ = np.bincount(seg_codes, minlength=len(seg_uniques))[seg_codes]
            kept_docs = tokens.doc[kept]
            stats[f"ttr_{TTR_WINDOW}"] = _safe_div(
                np.round(np.bincount(kept_docs, weights=1.0 / seg_occ, minlength=n_docs)),
                np.bincount(kept_docs, minlength=n_docs),
            )
    return stats


def _sentence_stats(tokens: TokenBatch) -> dict[str, np.ndarray]:
    lengths = tokens.sentence_lengths.astype(np.float64)
    n_sentences = np.diff(tokens.sentence_offsets)
    mean = _safe_div(segment_sums(lengths, tokens.sentence_offsets), n_sentences)
    doc_of_sentence = np.repeat(np.arange(tokens.n_docs), n_sentences)
    sq_dev = (lengths - mean[doc_of_sentence]) ** 2
    std = np.sqrt(_safe_div(segment_sums(sq_dev, tokens.sentence_offsets), n_sentences))
    return {"sentence_length_mean": mean, "sentence_length_std": std}


def compute_stats(normalized_texts: Sequence[str], tokens: TokenBatch) -> dict[str, np.ndarray]:
    """All :data:`FEATURE_NAMES` for a batch, as float64 arrays in that order."""
    stats = _character_stats(normalized_texts)
    stats.update(_ngram_stats(tokens))
    stats.update(_sentence_stats(tokens))
    stats["words"] = tokens.counts.astype(np.float64)
    stats["mean_word_length"] = _safe_div(segment_sums(tokens.word_lengths, tokens.offsets), tokens.counts)
    return {name: stats[name] for name in FEATURE_NAMES}
