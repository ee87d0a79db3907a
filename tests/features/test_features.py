"""Fingerprint features: hand-computed values, the slow reference, formatting invariance."""

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.features.stats import FEATURE_NAMES, compute_stats
from auditor.features.tokens import split_words, tokenize_batch
from auditor.normalize import normalize
from feature_reference import reference_features


def features_of(texts):
    normalized = [normalize(t) for t in texts]
    return compute_stats(normalized, tokenize_batch(normalized))


def test_tokenizer_words_and_sentences():
    words, sentences = split_words(normalize("Hello world. This isn't 'quoted'; well-known 3.14! \u00dcber \u2014 x"))
    assert words == ["hello", "world", "this", "isn't", "quoted", "well", "known", "3", "14", "\u00fcber", "x"]
    assert sentences == [2, 7, 2]


TOKEN_ALPHABET = st.sampled_from(list("aZ9 '.!?\")]-,") + ["\u00e9", "\u2014", "\u00ab", "\u2022", "\u0301", "\u4e2d", "\u00a0", "'t", ". ", "\u00c9"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(TOKEN_ALPHABET, max_size=40).map("".join), min_size=1, max_size=6))
def test_batch_tokenizer_agrees_with_the_scalar_definition(raw_texts):
    from auditor.features.minhash import word_hash64

    normalized = [normalize(t) for t in raw_texts]
    batch = tokenize_batch(normalized)
    for i, text in enumerate(normalized):
        words, sentences = split_words(text)
        lo, hi = batch.offsets[i], batch.offsets[i + 1]
        assert batch.word_hashes[lo:hi].tolist() == [word_hash64(w) for w in words], text
        assert batch.word_lengths[lo:hi].tolist() == [len(w) for w in words]
        assert batch.sentence_lengths[batch.sentence_offsets[i] : batch.sentence_offsets[i + 1]].tolist() == sentences


def test_sentence_ends_are_found_in_one_pass():
    # ".)" then ". ": the closing bracket does not end a second sentence.
    assert split_words("a.). b. c!\" d? e")[1] == [1, 1, 1, 1, 1]


def test_hand_computed_values():
    text = "the cat sat. the cat sat. the cat ran!"
    f = {k: v[0] for k, v in features_of([text]).items()}
    # words: the cat sat the cat sat the cat ran -> 9 words of 3 letters, 27 word chars
    assert f["words"] == 9
    assert f["chars"] == len(text)
    assert f["mean_word_length"] == pytest.approx(27 / 9)
    assert f["distinct_1"] == pytest.approx(4 / 9)  # the, cat, sat, ran
    assert f["distinct_2"] == pytest.approx(4 / 8)  # the-cat, cat-sat, sat-the, cat-ran
    assert f["ttr_100"] == pytest.approx(4 / 9)  # shorter than the window: whole document
    # "the cat" occurs 3 times, 6 chars each -> 18 / 27
    assert f["top_2gram_char_frac"] == pytest.approx(18 / 27)
    # 5-gram "the cat sat the cat" occurs twice (words 0-4 and 3-7): covers
    # every word but "ran" -> 24 / 27
    assert f["dup_5gram_char_frac"] == pytest.approx(24 / 27)
    assert f["dup_10gram_char_frac"] == 0.0
    p = np.array([3, 3, 2, 1]) / 9
    assert f["word_entropy"] == pytest.approx(-(p * np.log2(p)).sum())
    assert f["sentence_length_mean"] == 3.0
    assert f["sentence_length_std"] == 0.0
    assert f["punctuation_ratio"] == pytest.approx(3 / len(text))
    assert f["digit_ratio"] == 0.0
    assert f["uppercase_ratio"] == 0.0
    raw = text.encode()
    assert f["compression_ratio"] == pytest.approx(len(zlib.compress(raw, 1)) / len(raw))
    counts = {c: text.count(c) for c in set(text)}
    assert f["char_entropy"] == pytest.approx(-sum(n / len(text) * math.log2(n / len(text)) for n in counts.values()))


def test_uppercase_and_digit_ratios():
    f = {k: v[0] for k, v in features_of(["AB cd 12"]).items()}
    assert f["uppercase_ratio"] == pytest.approx(2 / 4)
    assert f["digit_ratio"] == pytest.approx(2 / 8)


def test_degenerate_documents_have_defined_values():
    f = features_of(["", "!!!", "word"])
    for name in FEATURE_NAMES:
        assert np.all(np.isfinite(f[name])), name
    assert f["words"].tolist() == [0, 0, 1]
    assert f["distinct_3"].tolist() == [1.0, 1.0, 1.0]
    assert f["char_entropy"][0] == 0.0


def test_batch_result_does_not_depend_on_batch_composition():
    texts = ["alpha beta gamma. delta!", "beta beta beta beta beta beta", "x y z " * 40]
    together = features_of(texts)
    for i, text in enumerate(texts):
        alone = features_of([text])
        for name in FEATURE_NAMES:
            assert together[name][i] == pytest.approx(alone[name][0], rel=1e-12), name


WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "\u00e9t\u00e9", "\u00dcber", "42", "3.14", "don't", "'quoted'",
         "well-known", "\u2014", "\U0001f600", "data", "model"]


@st.composite
def documents(draw):
    words = draw(st.lists(st.sampled_from(WORDS), max_size=260))
    ends = draw(st.lists(st.sampled_from(["", "", "", ".", "!", "?", ",", ".)", '."']), min_size=len(words), max_size=len(words)))
    return " ".join(w + e for w, e in zip(words, ends))


@settings(max_examples=60, deadline=None)
@given(st.lists(documents(), min_size=1, max_size=8))
def test_batched_engine_matches_slow_reference(texts):
    normalized = [normalize(t) for t in texts]
    got = compute_stats(normalized, tokenize_batch(normalized))
    for i, text in enumerate(normalized):
        expected = reference_features(text)
        for name in FEATURE_NAMES:
            assert got[name][i] == pytest.approx(expected[name], rel=1e-9, abs=1e-9), (name, text)


LAYOUT = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", " \r\n ", "\u00a0", "\u200b "])
QUOTES = {"'": ["'", "\u2019", "\u2018"], '"': ['"', "\u201c", "\u201d"]}


@settings(max_examples=60, deadline=None)
@given(documents(), st.data())
def test_features_invariant_to_formatting(text, data):
    # Re-lay out the same words: other whitespace runs, typographic quotes,
    # leading/trailing blank lines.
    pieces = text.split(" ")
    glue = [data.draw(LAYOUT) for _ in pieces]
    relaid = "".join(p + g for p, g in zip(pieces, glue))
    relaid = "".join(data.draw(st.sampled_from(QUOTES[c])) if c in QUOTES else c for c in relaid)
    relaid = "\n\n" + relaid + "\n"
    a, b = features_of([text]), features_of([relaid])
    for name in FEATURE_NAMES:
        assert a[name][0] == b[name][0], name


def test_words_longer_than_4095_characters_are_measured_exactly():
    long_word = "w" * 5000
    text = f"{long_word} x {long_word} x {long_word}"
    got = {k: v[0] for k, v in features_of([text]).items()}
    expected = reference_features(normalize(text))
    for name in ("top_2gram_char_frac", "top_3gram_char_frac", "top_4gram_char_frac", "dup_5gram_char_frac"):
        assert got[name] == pytest.approx(expected[name]), name
    # Overlapping occurrences count each time (Gopher's definition), so this can exceed 1.
    assert got["top_3gram_char_frac"] == pytest.approx(2 * 10001 / 15002)


def test_largest_batch_matches_reference():
    texts = [f"doc {i} says {i % 7} and {i % 7} again." for i in range(4096)]
    got = features_of(texts)
    for i in (0, 1234, 4095):
        expected = reference_features(normalize(texts[i]))
        for name in FEATURE_NAMES:
            assert got[name][i] == pytest.approx(expected[name], rel=1e-9, abs=1e-9), name


def test_long_tokens_are_hashed_but_not_cached():
    from auditor.features import tokens as tokens_module

    blob = "b" * 10_000
    batch = tokenize_batch([normalize(f"short {blob} words")])
    assert blob not in tokens_module._word_hash_cache
    assert "short" in tokens_module._word_hash_cache
    from auditor.features.minhash import word_hash64

    assert batch.word_hashes.tolist() == [word_hash64("short"), word_hash64(blob), word_hash64("words")]
