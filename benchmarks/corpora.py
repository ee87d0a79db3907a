"""Deterministic synthetic corpora with a realistic vocabulary, for benchmarks and large tests.

Real corpora have an open vocabulary: a few megabytes of web or book text hold
more than 100,000 distinct words, and the count keeps growing with the corpus
(Heaps' law). A generator drawing from a fixed list of a few ten thousand words
hides every bug and cost that grows with the vocabulary (one such bug crashed
every command above 100,000 distinct words). Here word ranks are drawn from a
Zipf distribution with no upper bound short of ``MAX_RANK``, and each rank is
spelled as a pronounceable pseudo-word (frequent ranks are short words, as in
natural language), so the number of distinct words grows with the corpus like a
real one's: about 250,000 in 3 million words at the default exponent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out"  # generated corpora and results; ignored by git
SYLLABLES = ("ka", "lo", "mi", "ten", "ra", "su", "ve", "do", "pa", "ri", "on", "el", "an", "ist", "or", "th", "ew")
MAX_RANK = 20_000_000
DEFAULT_EXPONENT = 1.2
WORDS_PER_DOC = 300
WORDS_PER_SENTENCE = 15


def pseudo_word(rank: int) -> str:
    """The word of a rank >= 1: its digits in base len(SYLLABLES), one syllable each."""
    parts = []
    while rank:
        rank, digit = divmod(rank, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
    return "".join(parts)


def word_ranks(rng: np.random.Generator, count: int, exponent: float = DEFAULT_EXPONENT) -> np.ndarray:
    """``count`` Zipf-distributed ranks in [1, MAX_RANK] (the rare draws beyond it fold back into range)."""
    return (rng.zipf(exponent, count) - 1) % MAX_RANK + 1


def document_text(words: list[str]) -> str:
    """Words joined into capitalized sentences of WORDS_PER_SENTENCE words."""
    sentences = [" ".join(words[j : j + WORDS_PER_SENTENCE]).capitalize() + "." for j in range(0, len(words), WORDS_PER_SENTENCE)]
    return " ".join(sentences)


def make_corpus(path: Path, n_docs: int, seed: int = 2026, words_per_doc: int = WORDS_PER_DOC,
                exponent: float = DEFAULT_EXPONENT, duplicate_rate: float = 0.02) -> int:
    """Write ``n_docs`` JSONL documents (``id``, ``text``) to ``path``; return the file's size in bytes.

    About 2 KB a document at the default 300 words; ``duplicate_rate`` of the
    documents are planted near-duplicates (a recent document with three words
    changed). The file is written under a temporary name and renamed when
    complete, so a killed run never leaves a short corpus to be reused.
    """
    rng = np.random.default_rng(seed)
    spelled: dict[int, str] = {}

    def spell(ranks: np.ndarray) -> list[str]:
        return [spelled.get(r) or spelled.setdefault(r, pseudo_word(r)) for r in ranks.tolist()]

    recent: list[list[str]] = []
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as handle:
        for i in range(n_docs):
            if recent and rng.random() < duplicate_rate:
                words = list(recent[int(rng.integers(len(recent)))])
                for position, word in zip(rng.integers(len(words), size=3).tolist(), spell(word_ranks(rng, 3, exponent))):
                    words[position] = word
            else:
                words = spell(word_ranks(rng, words_per_doc, exponent))
            recent = (recent + [words])[-200:]
            handle.write(json.dumps({"id": f"doc{i}", "text": document_text(words)}) + "\n")
    os.replace(partial, path)
    return path.stat().st_size


def distinct_words(path: Path) -> int:
    """Distinct lower-cased words (letters only) in a corpus written by :func:`make_corpus`."""
    seen: set[str] = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            seen.update(json.loads(line)["text"].lower().replace(".", "").split())
    return len(seen)


def benchmark_corpus(n_docs: int) -> tuple[Path, int]:
    """The benchmarks' corpus of ``n_docs`` documents under :data:`OUT` (written once, then reused) and its size."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"realistic-{n_docs}.jsonl"
    return path, path.stat().st_size if path.exists() else make_corpus(path, n_docs)
