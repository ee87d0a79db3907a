"""Slow, obviously-correct per-document reference implementations of the features.

The batched numpy engine in auditor.features.stats must agree with these.
"""

from __future__ import annotations

import math
import unicodedata
import zlib
from collections import Counter

from auditor.features.tokens import split_words


def _entropy(counter: Counter) -> float:
    total = sum(counter.values())
    return -sum(c / total * math.log2(c / total) for c in counter.values()) if total else 0.0


def reference_features(text: str) -> dict[str, float]:
    """Features of one *normalized* text, computed the slow way."""
    words, sentences = split_words(text)
    chars_of_words = sum(len(w) for w in words)
    out: dict[str, float] = {"chars": len(text), "words": len(words)}
    out["mean_word_length"] = chars_of_words / len(words) if words else 0.0
    if len(words) < 100:
        out["ttr_100"] = len(set(words)) / len(words) if words else 0.0
    else:
        segs = [words[i : i + 100] for i in range(0, len(words) // 100 * 100, 100)]
        out["ttr_100"] = sum(len(set(s)) for s in segs) / (100 * len(segs))
    for n in (1, 2, 3):
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        out[f"distinct_{n}"] = len(set(grams)) / len(grams) if grams else 1.0
    for n in (2, 3, 4):
        grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
        best = 0.0
        if grams:
            top_count = max(grams.values())
            if top_count > 1:
                best = max(top_count * sum(map(len, g)) for g, c in grams.items() if c == top_count)
        out[f"top_{n}gram_char_frac"] = best / chars_of_words if chars_of_words else 0.0
    for n in range(5, 11):
        grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
        covered = [False] * len(words)
        for i in range(len(words) - n + 1):
            if grams[tuple(words[i : i + n])] > 1:
                for j in range(i, i + n):
                    covered[j] = True
        dup = sum(len(w) for w, c in zip(words, covered) if c)
        out[f"dup_{n}gram_char_frac"] = dup / chars_of_words if chars_of_words else 0.0
    out["char_entropy"] = _entropy(Counter(text))
    out["word_entropy"] = _entropy(Counter(words))
    raw = text.encode("utf-8")
    out["compression_ratio"] = len(zlib.compress(raw, 1)) / len(raw) if raw else 0.0
    if sentences:
        mean = sum(sentences) / len(sentences)
        out["sentence_length_mean"] = mean
        out["sentence_length_std"] = math.sqrt(sum((s - mean) ** 2 for s in sentences) / len(sentences))
    else:
        out["sentence_length_mean"] = out["sentence_length_std"] = 0.0
    cats = [unicodedata.category(c) for c in text]
    letters = sum(c[0] == "L" for c in cats)
    out["punctuation_ratio"] = sum(c[0] == "P" for c in cats) / len(text) if text else 0.0
    out["digit_ratio"] = sum(c == "Nd" for c in cats) / len(text) if text else 0.0
    out["uppercase_ratio"] = sum(c == "Lu" for c in cats) / letters if letters else 0.0
    return out
