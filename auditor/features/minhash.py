"""MinHash signatures of word 5-gram shingles, computed in bulk with numpy.

The signatures are exactly those of :class:`datasketch.MinHash` in its
``affine32`` scheme (datasketch 2.x) with :func:`shingle_hash32` as the hash
function: ``datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash32)`` fed
the same shingles ends with the same ``hashvalues`` (a test checks this). They
can therefore be wrapped in :class:`datasketch.LeanMinHash` and put in a
:class:`datasketch.MinHashLSH` index.

What is vectorised: datasketch hashes each shingle with a Python callable and
then permutes; here every word is hashed once per batch (BLAKE2b, 64 bits), a
shingle's hash is a polynomial over its words' hashes, and permutation plus
minimum run as uint32 numpy arithmetic over whole batches of documents.

Scheme, recorded next to every stored signature (:func:`scheme_metadata`):
- shingles: word 5-grams of the lower-cased normalized text (words as
  :func:`auditor.features.tokens.split_words` defines them: runs of letters,
  marks, digits and inner apostrophes); a document with 1-4 words is one
  shingle of all of them;
  a document with no word has the empty-set signature (all ``2**32 - 1``).
- word hash: first 8 bytes of BLAKE2b(word UTF-8), little-endian.
- shingle hash: Horner polynomial of word hashes with multiplier
  ``_POLY`` modulo 2**64, MurmurHash3 fmix64, upper 32 bits.
- permutations: datasketch ``affine32`` (fmix32 then ``a*h+b`` modulo 2**32,
  ``a``/``b`` drawn by datasketch from ``numpy.random.RandomState(seed)``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import version
from typing import TYPE_CHECKING

import numpy as np

# datasketch is imported where it is used: it imports scipy.integrate (~0.6 s),
# which tokenizing and word hashing must not pay for.
if TYPE_CHECKING:
    from datasketch import LeanMinHash

SCHEME = "auditor-word5-blake2b-poly/datasketch-affine32"
SHINGLE_SIZE = 5
DEFAULT_NUM_PERM = 128
DEFAULT_SEED = 1
EMPTY_HASH = np.uint32(0xFFFFFFFF)

_MASK64 = (1 << 64) - 1
_POLY = 0x100000001B3  # FNV-1a 64-bit prime: odd, so the polynomial loses no bits
# Shingles per permutation chunk: 4096 x 128 uint32 = 2 MiB, small enough to
# stay in cache while large enough to amortise numpy's per-call overhead.
_CHUNK_SHINGLES = 4096


def word_hash64(word: str) -> int:
    """64-bit hash of one (lower-cased, normalized) word."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def _fmix64_int(h: int) -> int:
    (s1, s2, s3), (m1, m2), _ = _FMIX[64]
    h ^= h >> s1
    h = (h * m1) & _MASK64
    h ^= h >> s2
    h = (h * m2) & _MASK64
    return h ^ (h >> s3)


def shingle_hash32(shingle: Sequence[str]) -> int:
    """Reference (scalar) hash of one shingle, a tuple of words.

    Defines the scheme; :func:`signatures` computes the same values in bulk.
    Usable as ``hashfunc`` of :class:`datasketch.MinHash`.
    """
    h = 0
    for word in shingle:
        h = (h * _POLY + word_hash64(word)) & _MASK64
    return _fmix64_int(h) >> 32


# MurmurHash3 finalizer constants per width: (shifts, multipliers, dtype).
_FMIX = {
    64: ((33, 33, 33), (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53), np.uint64),
    32: ((16, 13, 16), (0x85EBCA6B, 0xC2B2AE35), np.uint32),
}


def _fmix(h: np.ndarray, width: int) -> np.ndarray:
    """MurmurHash3 finalizer on uint arrays (32-bit: as datasketch applies it before permuting)."""
    (s1, s2, s3), (m1, m2), dtype = _FMIX[width]
    h = h ^ (h >> dtype(s1))
    h *= dtype(m1)
    h ^= h >> dtype(s2)
    h *= dtype(m2)
    h ^= h >> dtype(s3)
    return h


@lru_cache(maxsize=8)
def permutations(num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``affine32`` permutation parameters ``(a, b)``, as uint32.

    Drawn as ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` draws them (a legacy
    ``RandomState(seed)``: odd multipliers ``a``, then offsets ``b``, 32 bits each) without
    importing datasketch, whose scipy costs ~1 s in every process; ``tests/features/test_minhash.py``
    compares them with datasketch's.
    """
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.ascontiguousarray(a, dtype=np.uint32), np.ascontiguousarray(b, dtype=np.uint32)


def shingle_hashes(token_hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every document's shingles, flattened, with per-document offsets.

    ``token_hashes`` holds the 64-bit word hashes of a batch of documents back
    to back; document ``i`` owns ``token_hashes[offsets[i]:offsets[i+1]]``.
    Returns ``(hashes, shingle_offsets)`` laid out the same way.
    """
    counts = np.diff(offsets)
    k = SHINGLE_SIZE
    n_tokens = len(token_hashes)
    # Full k-gram hashes at every start position in the flat array; windows
    # that cross a document boundary are dropped below.
    if n_tokens >= k:
        poly = np.zeros(n_tokens - k + 1, dtype=np.uint64)
        for j in range(k):
            poly *= np.uint64(_POLY)
            poly += token_hashes[j : n_tokens - k + 1 + j]
    else:
        poly = np.zeros(0, dtype=np.uint64)
    starts = offsets[:-1]
    n_shingles = np.where(counts >= k, counts - k + 1, np.minimum(counts, 1))
    shingle_offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(n_shingles, out=shingle_offsets[1:])
    out = np.empty(int(shingle_offsets[-1]), dtype=np.uint64)
    long_docs = np.flatnonzero(counts >= k)
    if len(long_docs):
        reps = n_shingles[long_docs]
        out[_ranges(shingle_offsets[long_docs], reps)] = poly[_ranges(starts[long_docs], reps)]
    for d in np.flatnonzero((counts > 0) & (counts < k)):
        # Short documents: one shingle of all their words (Horner over < k words).
        h = 0
        for t in token_hashes[offsets[d] : offsets[d + 1]].tolist():
            h = (h * _POLY + t) & _MASK64
        out[shingle_offsets[d]] = h
    return (_fmix(out, 64) >> np.uint64(32)).astype(np.uint32), shingle_offsets


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + n)`` for each (s, n >= 1), without a Python loop."""
    total = int(lengths.sum())
    steps = np.ones(total, dtype=np.int64)
    heads = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=heads[1:])
    steps[heads] = starts - np.concatenate(([0], starts[:-1] + lengths[:-1] - 1))
    return np.cumsum(steps)


def signatures(
    shingles: np.ndarray,
    shingle_offsets: np.ndarray,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: int = DEFAULT_SEED,
) -> np.ndarray:
    """MinHash signatures, shape ``(n_docs, num_perm)`` uint32, one row per document."""
    a, b = permutations(num_perm, seed)
    n_docs = len(shingle_offsets) - 1
    sigs = np.full((n_docs, num_perm), EMPTY_HASH, dtype=np.uint32)
    mixed = _fmix(shingles, 32)
    counts = np.diff(shingle_offsets)
    doc = 0
    while doc < n_docs:
        # Take whole documents until the chunk is full (at least one document).
        end = int(np.searchsorted(shingle_offsets, shingle_offsets[doc] + _CHUNK_SHINGLES, side="right")) - 1
        end = max(end, doc + 1)
        lo, hi = int(shingle_offsets[doc]), int(shingle_offsets[end])
        if hi > lo:
            # Permutation-major layout: the reduction then runs along
            # contiguous memory, about 4x faster than shingle-major.
            permuted = a[:, None] * mixed[None, lo:hi]
            permuted += b[:, None]
            nonempty = np.flatnonzero(counts[doc:end]) + doc
            sigs[nonempty] = np.minimum.reduceat(permuted, shingle_offsets[nonempty] - lo, axis=1).T
        doc = end
    return sigs


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures (fraction of equal slots)."""
    return float(np.count_nonzero(sig_a == sig_b)) / len(sig_a)


def lean_minhash(signature: np.ndarray, seed: int = DEFAULT_SEED) -> LeanMinHash:
    """Wrap a signature row as a datasketch :class:`LeanMinHash` (for LSH)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=signature, scheme="affine32")


def scheme_metadata(num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED) -> dict[str, object]:
    """What a reader needs to know before comparing stored signatures."""
    return {
        "scheme": SCHEME,
        "shingle": f"word-{SHINGLE_SIZE}gram",
        "num_perm": num_perm,
        "seed": seed,
        "datasketch_version": version("datasketch"),
        "datasketch_scheme": "affine32",
    }
