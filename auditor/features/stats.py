"""Per-document fingerprint statistics, computed over a batch at once.

Every feature is defined on the normalized text (see :mod:`auditor.normalize`)
and its lower-cased words (see :mod:`auditor.features.tokens`); the feature
table in README.md documents each one. Conventions for degenerate documents
(fewer words than an n-gram order, no sentence, no letter): ratios of nothing
are 0, except ``distinct_n`` which is 1 (nothing repeats).
"""

from __future__ import annotations

import unicodedata
import zlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

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

_ZLIB_LEVEL = 1  # level 1: 2.5x faster than 9 on 2 KB texts, same redundancy signal

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
    joined = "".join(texts)
    # Every character gets a small id: ASCII keeps its code point, the batch's
    # few other characters get ids after 128, so a (document x id) count grid
    # stays small. One pass over the characters fills the grid; entropy and
    # the class ratios are then computed from the grid, not from the text.
    if joined.isascii():
        ids = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).astype(np.intp)
        id_classes = _bmp_classes()[:128]
    else:
        codepoints = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        ids = codepoints.astype(np.intp)
        non_ascii = ids >= 128
        others, inverse = np.unique(codepoints[non_ascii], return_inverse=True)
        ids[non_ascii] = 128 + inverse.reshape(-1)
        id_classes = np.concatenate([_bmp_classes()[:128], _char_classes(others)])
    width = len(id_classes)
    keys = np.repeat(np.arange(n_docs, dtype=np.intp) * width, lengths) + ids
    if n_docs * width <= 1 << 23:
        grid = np.bincount(keys, minlength=n_docs * width)
        pair_counts = grid[grid > 0]
        pair_key = np.flatnonzero(grid)
    else:  # a batch with very many distinct characters (e.g. CJK): sort instead
        sorted_keys = np.sort(keys)
        run_starts, pair_counts = _runs(sorted_keys)
        pair_key = sorted_keys[run_starts]
    pair_doc, pair_class = pair_key // width, id_classes[pair_key % width]

    def count(flag: int) -> np.ndarray:
        return np.bincount(pair_doc, weights=pair_counts * ((pair_class & flag) > 0), minlength=n_docs)

    stats = {
        "chars": lengths.astype(np.float64),
        "punctuation_ratio": _safe_div(count(_PUNCT), lengths),
        "digit_ratio": _safe_div(count(_DIGIT), lengths),
        "uppercase_ratio": _safe_div(count(_UPPER), count(_LETTER)),
        "char_entropy": _entropy_from_counts(pair_counts, pair_doc, n_docs),
    }
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    stats["compression_ratio"] = _safe_div(
        np.fromiter((len(zlib.compress(b, _ZLIB_LEVEL)) for b in encoded), dtype=np.float64, count=n_docs),
        np.fromiter(map(len, encoded), dtype=np.float64, count=n_docs),
    )
    return stats


MAX_BATCH_DOCS = 4096


class _KeyPacker:
    """Packs (document, n-gram hash) into one uint64 sort key.

    The document index sits in the high bits, so sorting the keys groups them
    by document, and within a document equal n-grams become adjacent runs:
    one SIMD ``np.sort`` replaces a hash table. One document slot past the
    last is reserved for :attr:`invalid` (n-grams that would cross a document
    end), which therefore sorts after every real key. The hash keeps
    ``64 - doc_bits`` >= 51 bits; two distinct n-grams of one document
    collide with probability about ``pairs / 2**51``, negligible for text.
    """

    def __init__(self, tokens: TokenBatch):
        if tokens.n_docs > MAX_BATCH_DOCS:
            raise ValueError(f"batches are limited to {MAX_BATCH_DOCS} documents, got {tokens.n_docs}")
        self.doc_bits = np.uint64(max(1, tokens.n_docs.bit_length()))
        self.doc_shift = np.uint64(64) - self.doc_bits
        self.doc_key = tokens.doc.astype(np.uint64) << self.doc_shift  # per token
        self.invalid = np.uint64(tokens.n_docs) << self.doc_shift

    def pack(self, token_index: np.ndarray | slice, hashes: np.ndarray) -> np.ndarray:
        """Keys of the n-grams starting at ``token_index`` with these hashes."""
        keys = hashes >> self.doc_bits
        keys |= self.doc_key[token_index]
        return keys

    def doc_of(self, keys: np.ndarray) -> np.ndarray:
        return (keys >> self.doc_shift).astype(np.int64)


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of every run of equal values in a sorted array."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return starts, np.diff(starts, append=len(sorted_keys))


def _repeated(order: np.ndarray, run_lengths: np.ndarray) -> np.ndarray:
    """Per original position: does its key occur more than once? (``order`` sorted the keys.)"""
    mask = np.zeros(len(order), dtype=bool)
    mask[order] = np.repeat(run_lengths > 1, run_lengths)
    return mask


def _group_max(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Maximum of ``values`` per group; ``groups`` must be sorted; 0 for empty groups."""
    out = np.zeros(n_groups, dtype=values.dtype)
    if len(values):
        firsts = np.flatnonzero(np.concatenate(([True], groups[1:] != groups[:-1])))
        out[groups[firsts]] = np.maximum.reduceat(values, firsts)
    return out


def _ngram_stats(tokens: TokenBatch) -> dict[str, np.ndarray]:
    n_docs, n_tokens = tokens.n_docs, len(tokens.doc)
    packer = _KeyPacker(tokens)
    positions = np.arange(n_tokens, dtype=np.int64)
    doc_end = tokens.offsets[1:][tokens.doc]  # one past each token's document end
    tokens_left = doc_end - positions
    counts = tokens.counts
    word_chars = segment_sums(tokens.word_lengths, tokens.offsets)
    char_cum = np.zeros(n_tokens + 1, dtype=np.int64)
    np.cumsum(tokens.word_lengths, out=char_cum[1:])
    stats: dict[str, np.ndarray] = {}

    # Orders 1-4: every n-gram is counted (distinct-n, word entropy, top n-gram).
    # Keys are indexed by start position; an n-gram crossing a document end
    # gets the invalid key, which sorts last and is cut off after sorting.
    full_orders = max(max(DISTINCT_ORDERS), max(TOP_NGRAM_ORDERS))
    rolling = tokens.word_hashes.copy()  # hash of the n-gram starting at each token
    for n in range(1, full_orders + 1):
        if n > 1:
            rolling = rolling[:-1] * _NGRAM_MULT + tokens.word_hashes[n - 1 :]
        width = len(rolling)
        keys = packer.pack(slice(0, width), rolling)
        crossing = tokens_left[:width] < n
        keys[crossing] = packer.invalid
        n_valid = width - int(np.count_nonzero(crossing))
        # Top n-gram shares and the repeated positions fed to order 5 need to
        # map runs back to positions (argsort); plain counting needs only a sort.
        order = np.argsort(keys)[:n_valid] if n in TOP_NGRAM_ORDERS else None
        sorted_keys = keys[order] if order is not None else np.sort(keys)[:n_valid]
        run_starts, run_lengths = _runs(sorted_keys)
        run_doc = packer.doc_of(sorted_keys[run_starts])
        if n in DISTINCT_ORDERS:
            distinct = np.bincount(run_doc, minlength=n_docs)
            stats[f"distinct_{n}"] = _safe_div(distinct, np.maximum(counts - (n - 1), 0), empty=1.0)
        if n == 1:
            stats["word_entropy"] = _entropy_from_counts(run_lengths, run_doc, n_docs)
        if n in TOP_NGRAM_ORDERS:
            # Most frequent n-gram per document (ties: the longer one), as a
            # share of the document's word characters; 0 when nothing repeats.
            assert order is not None  # argsorted above for these orders
            first = order[run_starts]
            run_chars = char_cum[first + n] - char_cum[first]
            # Rank by count, then by length: count * (longest + 1) + length
            # stays far below 2**63 for any batch that fits in memory.
            scale = int(run_chars.max(initial=0)) + 1
            best = _group_max(run_lengths * scale + run_chars, run_doc, n_docs)
            count, best_chars = best // scale, best % scale
            stats[f"top_{n}gram_char_frac"] = _safe_div(np.where(count > 1, count * best_chars, 0), word_chars)
        if n == full_orders:
            assert order is not None  # the last full order is one of TOP_NGRAM_ORDERS
            rep_positions = np.sort(order[np.repeat(run_lengths > 1, run_lengths)])
            rep_rolling = rolling[rep_positions]

    # Orders 5-10: a repeated n-gram at i contains repeated (n-1)-grams at i
    # and i+1, so only those positions are followed; for natural text they are
    # a small fraction of the tokens, and the work below is proportional to them.
    assert tuple(DUP_NGRAM_ORDERS) == tuple(range(full_orders + 1, full_orders + 1 + len(DUP_NGRAM_ORDERS)))
    for n in DUP_NGRAM_ORDERS:
        follow = np.searchsorted(rep_positions, rep_positions + 1)
        has_next = follow < len(rep_positions)
        has_next[has_next] = rep_positions[follow[has_next]] == rep_positions[has_next] + 1
        has_next &= rep_positions + n <= doc_end[rep_positions]
        cand = rep_positions[has_next]
        cand_rolling = rep_rolling[has_next] * _NGRAM_MULT + tokens.word_hashes[cand + n - 1]
        keys = packer.pack(cand, cand_rolling)
        order = np.argsort(keys)
        _, run_lengths = _runs(keys[order])
        repeated_mask = _repeated(order, run_lengths)
        rep_positions, rep_rolling = cand[repeated_mask], cand_rolling[repeated_mask]
        # Characters covered by the union of the repeated n-grams' spans, each
        # counted once (Rae et al. 2021, Gopher, appendix A). All spans have
        # length n, so in start order a span adds the characters up to the
        # next start or its own end; spans never cross a document end.
        span_end = np.minimum(rep_positions + n, np.append(rep_positions[1:], n_tokens + n))
        covered = char_cum[span_end] - char_cum[rep_positions]
        stats[f"dup_{n}gram_char_frac"] = _safe_div(
            np.bincount(tokens.doc[rep_positions], weights=covered, minlength=n_docs), word_chars
        )
    stats[f"ttr_{TTR_WINDOW}"] = _segmental_ttr(tokens, positions, packer)
    return stats


def _segmental_ttr(tokens: TokenBatch, positions: np.ndarray, packer: _KeyPacker) -> np.ndarray:
    """Mean segmental type-token ratio over full 100-word segments (whole doc when shorter).

    With equal segment lengths the mean of per-segment ratios is the number of
    distinct (segment, word) pairs over the number of tokens counted.
    """
    n_docs = tokens.n_docs
    pos_in_doc = positions - tokens.offsets[tokens.doc]
    full_segments = tokens.counts[tokens.doc] // TTR_WINDOW
    segment = pos_in_doc // TTR_WINDOW
    kept = (full_segments == 0) | (segment < full_segments)
    # Mix the segment number into the hash so (segment, word) pairs are distinct keys.
    mixed = tokens.word_hashes[kept] ^ (segment[kept].astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93))
    sorted_keys = np.sort(packer.pack(kept, mixed))
    run_starts, _ = _runs(sorted_keys)
    distinct = np.bincount(packer.doc_of(sorted_keys[run_starts]), minlength=n_docs)
    return _safe_div(distinct, np.bincount(tokens.doc[kept], minlength=n_docs))


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
