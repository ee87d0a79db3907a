"""Style features: hand-computed values, slow per-document references, table storage."""

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.features.minhash import word_hash64
from auditor.features.style import (
    FUNCTION_WORDS,
    PUNCTUATION,
    RANK_CUTOFFS,
    ZIPF_QUANTILES,
    FrequencyTable,
    function_word_features,
    punctuation_features,
    style_feature_names,
    style_features,
)
from auditor.features.tokens import TokenBatch, split_words, tokenize_batch
from auditor.normalize import normalize

# word -> (Zipf, rank)
TINY = {"the": (7.5, 0), "cat": (4.5, 150), "sat": (3.0, 2000), "ran": (2.0, 60000)}


def make_table(entries):
    words = list(entries)
    hashes = np.array([word_hash64(w) for w in words], dtype=np.uint64)
    order = np.argsort(hashes)
    zipf = np.array([entries[w][0] for w in words], dtype=np.float32)[order]
    ranks = np.array([entries[w][1] for w in words], dtype=np.int32)[order]
    return FrequencyTable(hashes[order], zipf, ranks, source="test")


def features_of(texts, table):
    normalized = [normalize(t) for t in texts]
    return style_features(normalized, tokenize_batch(normalized), table)


def doc_features(features, i):
    return {name: values[i] for name, values in features.items()}


def test_names_are_fixed_unique_and_complete():
    names = style_feature_names()
    assert len(set(names)) == len(names) == 15 + len(FUNCTION_WORDS) + 1 + len(PUNCTUATION)
    assert names[:2] == ("wf_mean", "wf_std") and names[-1] == "pu_slash"
    assert all(name.isascii() and " " not in name for name in names)
    assert len(set(FUNCTION_WORDS)) == len(FUNCTION_WORDS) == 281 and FUNCTION_WORDS[-1] == "ensure"
    assert {"pu_comma", "pu_semicolon", "pu_em_dash", "pu_en_dash", "pu_ellipsis", "pu_period"} <= set(names)


def test_contractions_are_single_words():
    assert split_words("Don't stop, it's fine; I'm here.")[0] == ["don't", "stop", "it's", "fine", "i'm", "here"]


def test_hand_computed_values():
    texts = ["The cat sat. The zorp ran!", "", "Don't... it's \u2014 ok? well-known \u2013 x"]
    features = features_of(texts, make_table(TINY))
    assert list(features) == list(style_feature_names())
    assert all(v.dtype == np.float64 and v.shape == (3,) for v in features.values())

    a = doc_features(features, 0)  # zipf by word: the 7.5 cat 4.5 sat 3 | the 7.5 zorp 0 ran 2
    assert a["wf_mean"] == pytest.approx(24.5 / 6)
    assert a["wf_std"] == pytest.approx(np.std([7.5, 4.5, 3.0, 7.5, 0.0, 2.0]))
    # sorted 0 2 3 4.5 7.5 7.5; position q * 5
    expected_q = {5: 0.5, 10: 1.0, 25: 2.25, 50: 3.75, 75: 6.75}
    assert {q: a[f"wf_q{q}"] for q in ZIPF_QUANTILES} == pytest.approx(expected_q)
    # ranks 0 150 2000 0 (unknown) 60000
    assert [a[f"wf_beyond_{k}"] for k in RANK_CUTOFFS] == pytest.approx([4 / 6, 3 / 6, 2 / 6, 2 / 6])
    assert a["wf_oov"] == pytest.approx(1 / 6)
    assert a["wf_mean_inlist"] == pytest.approx(24.5 / 5)
    # sentence means 5 and 9.5 / 3; their mean 49 / 12
    assert a["wf_sentence_std"] == pytest.approx((5 - 9.5 / 3) / 2)
    assert a["wf_sentence_min_minus_mean"] == pytest.approx(9.5 / 3 - 49 / 12)
    assert a["fw_the"] == pytest.approx(math.sqrt(2 * 1000 / 6))
    assert a["fw_total"] == pytest.approx(math.sqrt(2 * 1000 / 6))
    assert a["fw_a"] == 0 and a["fw_don't"] == 0
    assert a["pu_period"] == pytest.approx(math.sqrt(1000 / 26))
    assert a["pu_exclamation"] == pytest.approx(math.sqrt(1000 / 26))
    assert a["pu_comma"] == 0 and a["pu_ellipsis"] == 0

    assert all(v == 0 for v in doc_features(features, 1).values())

    c = doc_features(features, 2)  # words: don't it's ok | well known x (no word in TINY)
    assert c["wf_mean"] == 0 and c["wf_oov"] == 1 and c["wf_mean_inlist"] == 0
    assert all(c[f"wf_beyond_{k}"] == 1 for k in RANK_CUTOFFS)
    assert c["wf_sentence_std"] == 0 and c["wf_sentence_min_minus_mean"] == 0
    for word in ("don't", "it's", "ok", "well"):
        assert c[f"fw_{word}"] == pytest.approx(math.sqrt(1000 / 6))
    assert c["fw_total"] == pytest.approx(math.sqrt(4 * 1000 / 6))
    chars = len("Don't... it's \u2014 ok? well-known \u2013 x")
    assert chars == 34
    for name, count in [("apostrophe", 2), ("period", 3), ("ellipsis", 1), ("em_dash", 1), ("en_dash", 1),
                        ("question", 1), ("hyphen", 1), ("comma", 0)]:
        assert c[f"pu_{name}"] == pytest.approx(math.sqrt(count * 1000 / chars)), name


def reference_frequency_features(text, entries):
    """Slow per-document definition of the wf_ features, from split_words."""
    words, sentence_lengths = split_words(text)
    zipf = np.array([entries[w][0] if w in entries else 0.0 for w in words], dtype=np.float32).astype(np.float64)
    ranks = np.array([entries[w][1] if w in entries else np.inf for w in words])
    known = np.array([w in entries for w in words], dtype=bool)
    f = dict.fromkeys(style_feature_names()[:15], 0.0)
    if not words:
        return f
    f["wf_mean"], f["wf_std"] = zipf.mean(), zipf.std()
    for q in ZIPF_QUANTILES:
        f[f"wf_q{q}"] = np.quantile(zipf, q / 100)
    for k in RANK_CUTOFFS:
        f[f"wf_beyond_{k}"] = np.mean(ranks >= k)
    f["wf_oov"] = np.mean(~known)
    f["wf_mean_inlist"] = zipf[known].mean() if known.any() else 0.0
    bounds = np.cumsum([0, *sentence_lengths])
    means = np.array([zipf[a:b].mean() for a, b in zip(bounds[:-1], bounds[1:])])
    f["wf_sentence_std"] = means.std()
    f["wf_sentence_min_minus_mean"] = means.min() - means.mean()
    return f


def random_corpus(seed, n_docs=300):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(60)] + ["the", "don't", "ok", "however"]
    values = np.round(rng.uniform(0.5, 8, size=40), 1).astype(np.float32)  # few distinct values: ties
    entries = {w: (float(rng.choice(values)), int(rng.integers(0, 100_000))) for w in rng.choice(vocab, 45, replace=False)}
    texts = []
    for _ in range(n_docs):
        n = int(rng.choice([0, 1, 2, 3, int(rng.integers(4, 120))]))
        words = [str(w) for w in rng.choice(vocab, size=n)]
        ends = rng.random(n) < 0.15
        texts.append(" ".join(w + (". " if e else "") for w, e in zip(words, ends)).strip())
    return texts, entries


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frequency_features_match_the_per_document_reference(seed):
    texts, entries = random_corpus(seed)
    features = features_of(texts, make_table(entries))
    for i, text in enumerate(texts):
        reference = reference_frequency_features(normalize(text), entries)
        for name, expected in reference.items():
            assert features[name][i] == pytest.approx(expected, rel=1e-12, abs=1e-12), (name, text)
        for q in ZIPF_QUANTILES:  # the vectorised quantiles replay numpy's interpolation exactly
            assert features[f"wf_q{q}"][i] == reference[f"wf_q{q}"]


def test_function_words_match_counter():
    texts, _ = random_corpus(3)
    normalized = [normalize(t) for t in texts]
    features = function_word_features(tokenize_batch(normalized))
    for i, text in enumerate(normalized):
        words = split_words(text)[0]
        counts = Counter(words)
        for word in ("the", "don't", "ok", "however", "a"):
            assert features[f"fw_{word}"][i] == pytest.approx(math.sqrt(1000 * counts[word] / max(len(words), 1)))
        total = sum(counts[w] for w in FUNCTION_WORDS)
        assert features["fw_total"][i] == pytest.approx(math.sqrt(1000 * total / max(len(words), 1)))


PUNCT_ALPHABET = st.sampled_from(
    [*PUNCTUATION, "a", " ", "\u00e9", "\u20ac", "\u2012", "\u2015", "\u4e2d", "..", "\U0001f600", "\n"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(PUNCT_ALPHABET, max_size=30).map("".join), max_size=6))
def test_punctuation_matches_str_count(texts):
    features = punctuation_features(texts)
    for j, mark in enumerate(PUNCTUATION):
        values = features[style_feature_names()[-len(PUNCTUATION) + j]]
        assert values.shape == (len(texts),)
        for i, text in enumerate(texts):
            assert values[i] == pytest.approx(math.sqrt(1000 * text.count(mark) / max(len(text), 1)), rel=1e-12)


def test_batch_composition_does_not_change_a_document():
    texts, entries = random_corpus(4, n_docs=60)
    table = make_table(entries)
    whole = features_of(texts, table)
    order = np.random.default_rng(0).permutation(len(texts))
    shuffled = features_of([texts[i] for i in order], table)
    for name in style_feature_names():
        np.testing.assert_allclose(shuffled[name], whole[name][order], rtol=1e-12, atol=0, err_msg=name)
    for i in (0, 7, 31):
        alone = features_of([texts[i]], table)
        for name in style_feature_names():
            assert alone[name][0] == pytest.approx(whole[name][i], rel=1e-12, abs=0), name


def test_degenerate_documents_are_zero_not_nan():
    table = make_table(TINY)
    texts = ["", "   ", "...", "\u2014", "?!", "cat", "The"]
    features = features_of(texts, table)
    stacked = np.array(list(features.values()))
    assert np.isfinite(stacked).all()
    assert (stacked[:, :2] == 0).all()  # no words at all in the first two
    empty = features_of([], table)
    assert list(empty) == list(style_feature_names()) and all(v.shape == (0,) for v in empty.values())


def test_inconsistent_inputs_are_rejected():
    table = make_table(TINY)
    normalized = ["the cat. sat", "ran"]
    tokens = tokenize_batch(normalized)
    with pytest.raises(ValueError, match="texts"):
        style_features(normalized[:1], tokens, table)
    broken = TokenBatch(**{**tokens.__dict__, "sentence_lengths": tokens.sentence_lengths + 1})
    with pytest.raises(ValueError, match="sentence"):
        style_features(normalized, broken, table)


def test_table_round_trip_through_npz(tmp_path):
    table = make_table(TINY)
    arrays = table.to_arrays()
    assert set(arrays) == {"freq_hashes", "freq_zipf", "freq_ranks"}
    np.savez(tmp_path / "model.npz", **arrays)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as stored:
        again = FrequencyTable.from_arrays(stored, source=table.source)
    for key, value in again.to_arrays().items():
        assert value.dtype == arrays[key].dtype and np.array_equal(value, arrays[key])
        assert not value.flags.writeable
    assert again.source == "test"
    assert features_of(["The cat sat."], again)["wf_mean"][0] == pytest.approx(5.0)


# Keys crowded into a few home slots (equal top bits), so lookups probe past taken slots.
_KEY = st.one_of(st.integers(0, 2**64 - 1), st.builds(lambda top, low: (top << 61) | low, st.integers(0, 7), st.integers(0, 15)))


@settings(max_examples=200, deadline=None)
@given(st.sets(_KEY, min_size=1, max_size=200), st.lists(_KEY, max_size=100))
def test_packed_values_equal_a_sorted_search(keys, others):
    hashes = np.array(sorted(keys), dtype=np.uint64)
    n = len(hashes)
    table = FrequencyTable(hashes, np.linspace(1, 7, n, dtype=np.float32), np.arange(n, dtype=np.int32)[::-1].copy(), "test")
    queries = np.array(list(keys) + others, dtype=np.uint64)
    position = np.minimum(np.searchsorted(hashes, queries), n - 1)
    expected = table._packed[np.where(hashes[position] == queries, position, -1)]
    assert np.array_equal(table.packed_values(queries), expected)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a.update(freq_hashes=a["freq_hashes"][::-1].copy()), "increasing"),
        (lambda a: a.update(freq_hashes=np.repeat(a["freq_hashes"][:1], 4)), "increasing"),
        (lambda a: a.update(freq_hashes=a["freq_hashes"].astype(np.int64)), "uint64"),
        (lambda a: a.update(freq_zipf=a["freq_zipf"].astype(np.float64)), "float32"),
        (lambda a: a.update(freq_ranks=a["freq_ranks"].astype(np.int64)), "int32"),
        (lambda a: a.update(freq_ranks=a["freq_ranks"][:2]), "equal length"),
        (lambda a: a.update(freq_zipf=a["freq_zipf"].reshape(2, 2)), "1-D"),
        (lambda a: a.update(freq_zipf=np.full(4, np.nan, dtype=np.float32)), "finite"),
        (lambda a: a.update(freq_ranks=np.full(4, -1, dtype=np.int32)), "non-negative"),
        (lambda a: a.pop("freq_ranks"), "missing"),
        (lambda a: a.update({k: v[:0] for k, v in a.items()}), "non-empty"),
    ],
)
def test_from_arrays_rejects_bad_arrays(change, message):
    arrays = {k: v.copy() for k, v in make_table(TINY).to_arrays().items()}
    change(arrays)
    with pytest.raises(ValueError, match=message):
        FrequencyTable.from_arrays(arrays, source="bad")


def test_from_wordfreq_explains_a_missing_dependency(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "wordfreq", None)
    with pytest.raises(ValueError, match=r"pip install 'auditor\[train\]'"):
        FrequencyTable.from_wordfreq()


def test_from_wordfreq_builds_a_sorted_table():
    pytest.importorskip("wordfreq")
    table = FrequencyTable.from_wordfreq(top_n=5000)
    assert len(table.hashes) == 5000 and (np.diff(table.hashes) > 0).all()
    the = int(np.flatnonzero(table.hashes == np.uint64(word_hash64("the")))[0])
    assert table.zipf[the] == table.zipf.max() and table.ranks[the] == 0
    assert sorted(table.ranks.tolist()) == list(range(5000))
    assert table.source.startswith("wordfreq ") and "top 5000" in table.source
