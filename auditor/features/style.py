"""Dense style features of the machine-text detector, computed over a batch at once.

Three groups, from the batch inputs the engine already has (the normalized texts and their
:class:`~auditor.features.tokens.TokenBatch`). Zipf values and ranks come from a
:class:`FrequencyTable` (the word-frequency profile of pre-LLM English, stored in the model);
a word missing from it has Zipf 0 and a rank beyond every cutoff. ``n`` is the document's word
count, ``c`` its length in characters; all statistics are per document.

=================================  =====================================================================
Feature                            Definition
=================================  =====================================================================
``wf_mean``, ``wf_std``            mean and population std of the Zipf value of the ``n`` words
``wf_q5`` ... ``wf_q75``           Zipf quantiles (:data:`ZIPF_QUANTILES` percent), numpy's default
                                   ``linear`` method, i.e. equal to ``np.quantile(zipf, q / 100)``
``wf_beyond_<k>``                  fraction of words of rank >= k (:data:`RANK_CUTOFFS`; rank 0 is the
                                   most frequent word; unknown words count as beyond)
``wf_oov``                         fraction of words not in the table
``wf_mean_inlist``                 mean Zipf of the words that are in the table
``wf_sentence_std``                population std, over the document's sentences, of the sentence's
                                   mean Zipf (burstiness of word rarity)
``wf_sentence_min_minus_mean``     lowest sentence mean Zipf minus the mean of the sentence means (<= 0)
``fw_<word>``                      ``sqrt(1000 * count(word) / n)`` for each of :data:`FUNCTION_WORDS`
                                   (lower-cased words; contractions such as "don't" are one word)
``fw_total``                       ``sqrt`` of the summed rates of all function words
``pu_<mark>``                      ``sqrt(1000 * text.count(mark) / c)`` for each of :data:`PUNCTUATION`
                                   (non-overlapping occurrences: ``pu_period`` counts every ".",
                                   including those of an ellipsis; ``pu_ellipsis`` counts "..." runs)
=================================  =====================================================================

Sentences are those of the tokenizer: a document's ``sentence_lengths`` are its non-empty sentences
in order and sum to its word count (checked), so word ``j`` of the batch belongs to sentence
``repeat(arange(n_sentences), sentence_lengths)[j]``. Degenerate documents get 0, never NaN: no
words -> every ``wf_``/``fw_`` feature is 0; one sentence -> both sentence features are 0; empty
text -> every ``pu_`` feature is 0. The square roots tame the heavy right tails of rare marks/words.
:func:`style_features` computes all groups; :func:`frequency_features`, :func:`function_word_features`
and :func:`punctuation_features` compute one each. Cost (2 shared cores): ~15-25 ms per MB of text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import version

import numpy as np

from auditor.features.minhash import word_hash64
from auditor.features.tokens import TokenBatch, segment_sums

# English stop words, contractions and informal words (commoner in human text), then LLM-favoured words.
FUNCTION_WORDS: tuple[str, ...] = tuple(dict.fromkeys("""
    a about above across after afterwards again against all almost alone along already also although always am
    among amongst an and another any anyhow anyone anything anyway anywhere are around as at be became because
    become becomes been before beforehand behind being below beside besides between beyond both but by can cannot
    could did do does doing done down during each either else elsewhere enough even ever every everyone everything
    everywhere except few for former formerly from further had has have having he hence her here hereafter hereby
    herein hers herself him himself his how however i if in indeed instead into is it its itself just last least
    less many may me meanwhile might mine more moreover most mostly much must my myself namely neither never
    nevertheless next no nobody none nor not nothing now nowhere of off often on once one only onto or other
    others otherwise our ours ourselves out over own per perhaps quite rather really same several shall she should
    since so some somehow someone something sometimes somewhat somewhere still such than that the their theirs
    them themselves then thence there thereafter thereby therefore therein these they this those though through
    throughout thus to together too toward towards under unless until up upon us very via was we well were what
    whatever when whence whenever where whereas whereby wherever whether which while whither who whoever whole
    whom whose why will with within without would yet you your yours yourself yourselves i'm don't it's can't
    won't didn't doesn't isn't wasn't aren't i've i'd you're they're we're that's there's let's shouldn't wouldn't
    couldn't ok okay oh yeah like actually basically overall additionally furthermore crucial essential
    significant various ensure""".split()))

_PUNCTUATION_NAMES: dict[str, str] = {
    ",": "comma", ";": "semicolon", ":": "colon", "!": "exclamation", "?": "question", '"': "double_quote",
    "'": "apostrophe", "(": "open_paren", "-": "hyphen", "\u2014": "em_dash", "\u2013": "en_dash",
    "...": "ellipsis", ".": "period", "*": "asterisk", "#": "hash", "/": "slash",
}
PUNCTUATION: tuple[str, ...] = tuple(_PUNCTUATION_NAMES)
ZIPF_QUANTILES: tuple[int, ...] = (5, 10, 25, 50, 75)
RANK_CUTOFFS: tuple[int, ...] = (100, 1_000, 10_000, 50_000)

_WF_NAMES: tuple[str, ...] = (
    "wf_mean", "wf_std", *(f"wf_q{q}" for q in ZIPF_QUANTILES), *(f"wf_beyond_{k}" for k in RANK_CUTOFFS),
    "wf_oov", "wf_mean_inlist", "wf_sentence_std", "wf_sentence_min_minus_mean",
)
_FW_NAMES: tuple[str, ...] = (*(f"fw_{w}" for w in FUNCTION_WORDS), "fw_total")
_PU_NAMES: tuple[str, ...] = tuple(f"pu_{name}" for name in _PUNCTUATION_NAMES.values())
_FW_HASHES = np.array([word_hash64(w) for w in FUNCTION_WORDS], dtype=np.uint64)


def _perfect_hash(hashes: np.ndarray, bits: int = 16) -> tuple[np.uint64, np.ndarray]:
    """Shift ``s`` such that the ``bits`` bits of ``hashes >> s`` are distinct, and the slot table.

    ``table[(h >> s) & mask]`` is 1 + the index of the only candidate word for hash ``h`` (0: none):
    two small-table gathers per word, ~5x faster than ``np.searchsorted`` on 10^5 unsorted hashes.
    """
    mask = np.uint64((1 << bits) - 1)
    for shift in map(np.uint64, range(64 - bits + 1)):
        slots = (hashes >> shift) & mask
        if len(np.unique(slots)) == len(hashes):
            table = np.zeros(1 << bits, dtype=np.int16)
            table[slots.astype(np.int64)] = np.arange(1, len(hashes) + 1)
            return shift, table
    return _perfect_hash(hashes, bits + 1)


_FW_SHIFT, _FW_SLOTS = _perfect_hash(_FW_HASHES)
_FW_CANDIDATES = np.concatenate((np.zeros(1, dtype=np.uint64), _FW_HASHES))  # slot value 0: no candidate
# Byte scan of punctuation_features: flag (0/1) and code (index in PUNCTUATION) of every byte.
_DASH_LEAD, _EM_DASH, _EN_DASH = len(PUNCTUATION), PUNCTUATION.index("\u2014"), PUNCTUATION.index("\u2013")
_PERIOD, _ELLIPSIS = PUNCTUATION.index("."), PUNCTUATION.index("...")
_MARK_CODES = np.full(256, -1, dtype=np.int64)
for _i, _mark in enumerate(PUNCTUATION):
    if len(_mark) == 1 and _mark.isascii():
        _MARK_CODES[ord(_mark)] = _i
_MARK_CODES[0xE2] = _DASH_LEAD
_MARK_BYTES = bytes(int(code >= 0) for code in _MARK_CODES)
_ARRAY_KEYS = {"freq_hashes": np.uint64, "freq_zipf": np.float32, "freq_ranks": np.int32}


@dataclass(frozen=True, eq=False)  # eq=False: identity equality/hash (fields are arrays)
class FrequencyTable:
    """Word-frequency profile of pre-LLM English: sorted uint64 word hashes, Zipf values (float32), frequency ranks (int32).

    ``hashes`` are :func:`~auditor.features.minhash.word_hash64` of lower-cased words, strictly
    increasing; ``zipf[i]`` (``log10`` of frequency per billion words) and ``ranks[i]`` (0 = most
    frequent) belong to ``hashes[i]``. The constructor validates the arrays and makes them read-only (it
    takes ownership: :meth:`from_arrays` copies).
    """

    hashes: np.ndarray
    zipf: np.ndarray
    ranks: np.ndarray
    source: str

    def __post_init__(self) -> None:
        for key, array in zip(_ARRAY_KEYS, (self.hashes, self.zipf, self.ranks)):
            dtype = _ARRAY_KEYS[key]
            if not isinstance(array, np.ndarray) or array.dtype != dtype or array.ndim != 1:
                raise ValueError(f"frequency table: {key} must be a 1-D {np.dtype(dtype).name} array")
        if not len(self.hashes) == len(self.zipf) == len(self.ranks) > 0:
            raise ValueError("frequency table: hashes, zipf and ranks must be non-empty and of equal length")
        if (self.hashes[1:] <= self.hashes[:-1]).any():
            raise ValueError("frequency table: hashes must be strictly increasing (sorted, no duplicates)")
        if not np.isfinite(self.zipf).all() or (self.ranks < 0).any():
            raise ValueError("frequency table: zipf must be finite and ranks non-negative")
        for array in (self.hashes, self.zipf, self.ranks):
            array.flags.writeable = False

    @classmethod
    def from_wordfreq(cls, top_n: int = 200_000) -> FrequencyTable:
        """The ``top_n`` most frequent words of wordfreq's large English list (training only)."""
        try:
            import wordfreq
        except ImportError as error:
            raise ValueError("building a frequency table needs wordfreq: pip install 'auditor[train]'") from error
        frequencies = wordfreq.get_frequency_dict("en", "large")  # most frequent first
        words = list(frequencies)[:top_n]
        hashes = np.fromiter(map(word_hash64, words), dtype=np.uint64, count=len(words))
        zipf = np.log10(np.fromiter(map(frequencies.__getitem__, words), dtype=np.float64, count=len(words)) * 1e9)
        order = np.argsort(hashes, kind="stable")
        keep = np.ones(len(order), dtype=bool)  # a 64-bit collision keeps the more frequent word
        keep[1:] = hashes[order][1:] != hashes[order][:-1]
        order = order[keep]
        source = f"wordfreq {version('wordfreq')} en large, top {len(words)}"
        return cls(hashes[order], zipf[order].astype(np.float32), order.astype(np.int32), source)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays to store in a model ``.npz`` (plain arrays, no pickles)."""
        return {"freq_hashes": self.hashes, "freq_zipf": self.zipf, "freq_ranks": self.ranks}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], source: str) -> FrequencyTable:
        """Inverse of :meth:`to_arrays` (copies); ValueError on missing keys, wrong dtypes, shapes or order."""
        missing = [key for key in _ARRAY_KEYS if key not in arrays]
        if missing:
            raise ValueError(f"frequency table: missing arrays {missing}")
        hashes, zipf, ranks = (np.array(arrays[key], copy=True) for key in _ARRAY_KEYS)
        return cls(hashes, zipf, ranks, source=source)

    @cached_property
    def _packed(self) -> np.ndarray:
        """uint64 per entry, plus a last entry (position -1) for unknown words: the Zipf value's
        :func:`_sortable_bits` in bits 0-31 and the rank bucket above (number of cutoffs <= rank;
        unknown words: ``len(RANK_CUTOFFS) + 1``). One gather per word instead of three."""
        bits = _sortable_bits(np.append(self.zipf, np.float32(0)))
        bucket = np.append((self.ranks[:, None] >= np.array(RANK_CUTOFFS)).sum(axis=1), len(RANK_CUTOFFS) + 1)
        return bits | (bucket.astype(np.uint64) << np.uint64(32))

    @cached_property
    def _slots(self) -> tuple[np.uint64, np.ndarray]:
        """Open-addressing hash table of the entries: ``(shift, slots)``, a row ``(hash, packed value)`` per slot.

        A hash's home slot is its top bits (``hash >> shift``: the hashes are uniform), with at
        least 4 slots per entry; a taken slot passes an entry on to the next one (linear probing).
        Inserting the sorted hashes in order, entry ``i`` lands in slot
        ``max(home[i], slot[i - 1] + 1)``, a running maximum, so the table builds in one numpy pass.
        Empty slots hold the unknown-word value, which no entry has, and an empty slot follows
        every run, so probing stops. Measured on 10^5-10^6 lookups into 2 * 10^5 entries: 2-3x
        faster than a pandas ``Index`` on real text (a hash and its value share a cache line: one
        gather), up to ~25% slower when no word is in the table; and no pandas (0.4 s to import).
        """
        n = len(self.hashes)
        bits = (4 * n - 1).bit_length()
        shift = np.uint64(64 - bits)
        order = np.arange(n)
        taken = np.maximum.accumulate((self.hashes >> shift).astype(np.int64) - order) + order
        slots = np.zeros((max(int(taken[-1]) + 2, 1 << bits), 2), dtype=np.uint64)
        slots[:, 1] = self._packed[-1]
        slots[taken, 0], slots[taken, 1] = self.hashes, self._packed[:-1]
        return shift, slots

    def packed_values(self, word_hashes: np.ndarray) -> np.ndarray:
        """:attr:`_packed` value of each word hash (the unknown-word value for hashes not in the table)."""
        shift, slots = self._slots
        unknown = self._packed[-1]
        slot = (word_hashes >> shift).astype(np.intp)
        row = np.take(slots, slot, axis=0)
        packed = row[:, 1].copy()
        probe = np.flatnonzero((row[:, 0] != word_hashes) & (packed != unknown))  # another word holds the slot
        slot = slot[probe]
        while len(probe):
            slot += 1
            row = np.take(slots, slot, axis=0)
            found = row[:, 0] == word_hashes[probe]
            packed[probe] = np.where(found, row[:, 1], unknown)
            more = ~found & (row[:, 1] != unknown)  # an empty slot ends the search
            probe, slot = probe[more], slot[more]
        return packed


def style_feature_names() -> tuple[str, ...]:
    """Names of :func:`style_features`, in their fixed order (frequency, function words, punctuation)."""
    return _WF_NAMES + _FW_NAMES + _PU_NAMES


def style_features(normalized_texts: Sequence[str], tokens: TokenBatch, table: FrequencyTable) -> dict[str, np.ndarray]:
    """Every style feature of a batch: name -> float64 array of ``n_docs`` values, in :func:`style_feature_names` order."""
    if len(normalized_texts) != tokens.n_docs:
        raise ValueError(f"{len(normalized_texts)} texts but {tokens.n_docs} tokenized documents")
    return {
        **frequency_features(tokens, table),
        **function_word_features(tokens),
        **punctuation_features(normalized_texts),
    }


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, 0 where the denominator is 0."""
    return numerator / np.maximum(denominator, 1)


def _segment_mean_std(values: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population std of each contiguous segment (two passes: exact 0 for constant segments)."""
    counts = np.diff(offsets)
    mean = _ratio(segment_sums(values, offsets), counts)
    deviation = values - np.repeat(mean, counts)
    return mean, np.sqrt(_ratio(segment_sums(deviation * deviation, offsets), counts))


def _sortable_bits(values: np.ndarray) -> np.ndarray:
    """uint64 of float32 ``values`` whose unsigned order is the float order (finite values)."""
    bits = values.view(np.uint32)
    return np.where(bits >> 31 != 0, ~bits, bits | np.uint32(0x80000000)).astype(np.uint64)


def _from_sortable_bits(bits: np.ndarray) -> np.ndarray:
    bits = bits.astype(np.uint32)
    return np.where(bits >> 31 != 0, bits & np.uint32(0x7FFFFFFF), ~bits).view(np.float32)


def _segment_quantiles(bits: np.ndarray, offsets: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """``np.quantile(values[offsets[i]:offsets[i+1]], quantiles)`` of every segment, ``(len(quantiles), n)``.

    ``bits`` are :func:`_sortable_bits` of the float32 values. One sort of (segment, value) keys packed in
    uint64 orders every segment at once; numpy's linear interpolation (with its ``t >= 0.5`` branch of
    ``lerp``) is replayed with index arithmetic, so results equal ``np.quantile``. Empty segments get 0.
    """
    counts = np.diff(offsets)
    segment = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    ordered = _from_sortable_bits(np.sort((segment << np.uint64(32)) | bits)).astype(np.float64)
    out = np.zeros((len(quantiles), len(counts)))
    nonempty = np.flatnonzero(counts)
    if not len(nonempty):
        return out
    last, start = counts[nonempty] - 1, offsets[nonempty]
    for row, q in enumerate(np.asarray(quantiles, dtype=np.float64)):
        virtual = last * q
        below = np.floor(virtual)
        t = virtual - below
        low = np.minimum(below.astype(np.int64), last)
        a, b = ordered[start + low], ordered[start + np.minimum(low + 1, last)]
        diff = b - a
        out[row, nonempty] = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    return out


def frequency_features(tokens: TokenBatch, table: FrequencyTable) -> dict[str, np.ndarray]:
    """The ``wf_`` features (see the module docstring)."""
    n_docs, offsets, counts = tokens.n_docs, tokens.offsets, tokens.counts
    if len(tokens.sentence_offsets) != n_docs + 1 or not np.array_equal(
        segment_sums(tokens.sentence_lengths, tokens.sentence_offsets), counts
    ):
        raise ValueError("token batch: the sentence lengths do not cover each document's words")
    packed = table.packed_values(tokens.word_hashes)
    bits = packed & np.uint64(0xFFFFFFFF)
    zipf = _from_sortable_bits(bits).astype(np.float64)
    features = {}
    features["wf_mean"], features["wf_std"] = _segment_mean_std(zipf, offsets)
    quantiles = _segment_quantiles(bits, offsets, [q / 100 for q in ZIPF_QUANTILES])
    features.update((f"wf_q{q}", row) for q, row in zip(ZIPF_QUANTILES, quantiles))
    n_buckets = len(RANK_CUTOFFS) + 2
    buckets = np.bincount((packed >> np.uint64(32)).astype(np.int64) * n_docs + tokens.doc, minlength=n_buckets * n_docs)
    beyond = np.cumsum(buckets.reshape(n_buckets, n_docs)[::-1], axis=0)[::-1]  # beyond[j]: words in buckets >= j
    for j, k in enumerate(RANK_CUTOFFS, start=1):
        features[f"wf_beyond_{k}"] = _ratio(beyond[j], counts)
    oov = beyond[-1]
    features["wf_oov"] = _ratio(oov, counts)
    features["wf_mean_inlist"] = _ratio(segment_sums(zipf, offsets), counts - oov)  # unknown words add 0
    # Sentences cover the words in order (checked above): contiguous segments of the word arrays.
    lengths = tokens.sentence_lengths
    sentence_mean = _ratio(segment_sums(zipf, np.concatenate(([0], np.cumsum(lengths)))), lengths)
    mean, features["wf_sentence_std"] = _segment_mean_std(sentence_mean, tokens.sentence_offsets)
    has_sentences = np.flatnonzero(np.diff(tokens.sentence_offsets))
    lowest = np.zeros(n_docs)
    if len(has_sentences):
        lowest[has_sentences] = np.minimum.reduceat(sentence_mean, tokens.sentence_offsets[has_sentences])
    features["wf_sentence_min_minus_mean"] = np.minimum(lowest - mean, 0.0)  # rounding never makes it > 0
    return {name: features[name] for name in _WF_NAMES}


def function_word_features(tokens: TokenBatch) -> dict[str, np.ndarray]:
    """The ``fw_`` features (see the module docstring)."""
    n_docs, n_words = tokens.n_docs, len(FUNCTION_WORDS)
    hashes = tokens.word_hashes
    candidate = _FW_SLOTS[((hashes >> _FW_SHIFT) & np.uint64(len(_FW_SLOTS) - 1)).astype(np.intp)]
    row = np.where(_FW_CANDIDATES[candidate] == hashes, candidate.astype(np.int64), 0)  # 0: no function word
    counts = np.bincount(row * n_docs + tokens.doc, minlength=(n_words + 1) * n_docs).reshape(n_words + 1, n_docs)[1:]
    rates = counts * (1000.0 / np.maximum(tokens.counts, 1))
    features = dict(zip(_FW_NAMES, np.sqrt(rates)))
    # From the integer counts: exact, whereas summing the float rates over axis 0 rounds
    # differently for a batch of one document (numpy then sums pairwise), and a score must
    # not depend on the batch it was computed in.
    features["fw_total"] = np.sqrt(counts.sum(axis=0) * (1000.0 / np.maximum(tokens.counts, 1)))
    return features


def punctuation_features(normalized_texts: Sequence[str]) -> dict[str, np.ndarray]:
    """The ``pu_`` features (see the module docstring); equal to per-mark ``str.count``, ~4x faster.

    The UTF-8 bytes of the batch are scanned once: ``bytes.translate`` flags the bytes of marks (ASCII
    marks, and the 0xE2 lead byte of the dashes), numpy finds them and maps each to its document.
    Ellipses are runs of "." (``str.count("...")`` finds ``len // 3`` in a run of ``len``).
    """
    n_docs = len(normalized_texts)
    encoded = [text.encode("utf-8", "surrogatepass") for text in normalized_texts]
    starts = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=n_docs) + 1, out=starts[1:])
    joined = b"\n".join(encoded) + b"\n\n"  # the separator is no mark: runs of dots stop at document ends
    data = np.frombuffer(joined, dtype=np.uint8)
    position = np.flatnonzero(np.frombuffer(joined.translate(_MARK_BYTES), dtype=bool))
    code = _MARK_CODES[data[position]]
    dash = np.flatnonzero(code == _DASH_LEAD)
    if len(dash):  # U+2014 is E2 80 94, U+2013 is E2 80 93
        after = position[dash]
        second, third = data[after + 1], data[after + 2]
        dash_code = np.where(third == 0x94, _EM_DASH, np.where(third == 0x93, _EN_DASH, -1))
        code[dash] = np.where(second == 0x80, dash_code, -1)
    dots = position[code == _PERIOD]
    if len(dots):
        run_start = np.flatnonzero(np.diff(dots, prepend=-2) != 1)
        ellipses = np.diff(run_start, append=len(dots)) // 3
        position = np.concatenate((position, np.repeat(dots[run_start], ellipses)))
        code = np.concatenate((code, np.full(int(ellipses.sum()), _ELLIPSIS)))
    valid = code >= 0
    doc = np.searchsorted(starts, position[valid], side="right") - 1
    n_marks = len(PUNCTUATION)
    counts = np.bincount(code[valid] * n_docs + doc, minlength=n_marks * n_docs).reshape(n_marks, n_docs)
    chars = np.fromiter(map(len, normalized_texts), dtype=np.int64, count=n_docs)
    rates = np.sqrt(counts * (1000.0 / np.maximum(chars, 1)))
    return dict(zip(_PU_NAMES, rates))
