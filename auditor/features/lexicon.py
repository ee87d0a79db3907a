"""Chat-model vocabulary: how often a document uses the words and stock phrases chat models over-use.

Studies of text before and after chat models arrived found words whose frequency
jumped once they did ("delve", "intricate", "pivotal", "showcasing", "underscores",
"meticulous", "commendable", ...): Liang et al. 2024 (peer reviews, "Monitoring
AI-Modified Content at Scale") and Kobak et al. 2024 ("Delving into ChatGPT usage in
academic writing through excess vocabulary"). Each word alone is topic; their summed
rate is a style, and, unlike a per-word feature, one a detector cannot turn into a
topic detector. Two features, both ``sqrt`` of a rate per 1,000 words (as the
function-word rates):

=================  ===================================================================
``lx_chat_words``  share of words in :data:`CHAT_WORDS`
``lx_chat_phrases`` matches of :data:`CHAT_PHRASES` (regular expressions on the lower-cased
                   normalized text; non-overlapping, left to right)
=================  ===================================================================

Human writers use every one of these too; the detector weighs the rates with everything
else, and a writer asked to avoid them (the pool's ``humanized`` texts) is detected, or
not, by the other features.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from auditor.features.minhash import word_hash64
from auditor.features.tokens import TokenBatch, segment_sums

CHAT_WORDS: tuple[str, ...] = tuple(sorted(set("""
    delve delves delved delving showcase showcases showcasing showcased underscore underscores underscoring
    underscored pivotal crucial crucially comprehensive intricate intricacies meticulous meticulously notable notably
    noteworthy commendable invaluable groundbreaking realm realms tapestry testament landscape landscapes
    multifaceted nuanced nuance nuances foster fosters fostering fostered leverage leverages leveraging leveraged
    robust seamless seamlessly streamline streamlined enhance enhances enhancing enhanced elevate elevates elevating
    vibrant bustling navigate navigating navigates embark embarks embarking unwavering unparalleled paramount
    profound profoundly resonate resonates resonating additionally furthermore moreover ultimately overall essential
    essentially vital significantly significant insights insightful holistic dynamic dynamics innovative innovation
    transformative transformation empower empowering intriguing captivating compelling compellingly evolving
    cornerstone interplay myriad plethora garner garnered unveil unveils unveiled unveiling harness harnessing beacon
    enduring indelible poignant nestled boasts boast rich journey endeavor endeavors endeavour strive strives
    striving align aligns aligning ensuring ensure ensures facilitate facilitates facilitating utilize utilizes
    utilizing utilization aforementioned
""".split())))
CHAT_PHRASES: tuple[str, ...] = (
    r"\bit'?s worth noting\b", r"\bit is worth noting\b", r"\bin conclusion\b", r"\bit is important to\b",
    r"\bplays? a (?:crucial|vital|key|pivotal|significant) role\b", r"\ba testament to\b", r"\bin today'?s\b",
    r"\bdelve into\b", r"\bdive into\b", r"\blet'?s\b", r"\bnot only\b.{0,80}?\bbut also\b", r"\bwhether you'?re\b",
    r"\bin the realm of\b", r"\bstands? as\b", r"\bserves? as\b", r"\bat its core\b", r"\bthe (?:key|real) (?:is|question)\b",
    r"\bhere'?s\b", r"\bthat said\b", r"\bin summary\b", r"\boverall,", r"\bremember,", r"\bnavigat\w* the\b",
    r"\bembark\w* on\b", r"\brich (?:history|tapestry|heritage)\b", r"\bfor example,", r"\bsuch as\b",
)
LEXICON_NAMES: tuple[str, ...] = ("lx_chat_words", "lx_chat_phrases")

_CHAT_HASHES = np.array(sorted(word_hash64(w) for w in CHAT_WORDS), dtype=np.uint64)
_PHRASES = re.compile("|".join(CHAT_PHRASES))


def lexicon_features(normalized_texts: Sequence[str], tokens: TokenBatch) -> dict[str, np.ndarray]:
    """``lx_chat_words`` and ``lx_chat_phrases`` of every document of a batch (0 for a document without words)."""
    if len(normalized_texts) != tokens.n_docs:
        raise ValueError(f"{len(normalized_texts)} texts but {tokens.n_docs} tokenized documents")
    words = np.maximum(tokens.counts, 1).astype(np.float64)
    hits = segment_sums(np.isin(tokens.word_hashes, _CHAT_HASHES).astype(np.int64), tokens.offsets)
    phrases = np.fromiter((len(_PHRASES.findall(text.lower())) for text in normalized_texts), dtype=np.float64,
                          count=len(normalized_texts))
    empty = tokens.counts == 0
    return {
        "lx_chat_words": np.where(empty, 0.0, np.sqrt(1000.0 * hits / words)),
        "lx_chat_phrases": np.where(empty, 0.0, np.sqrt(1000.0 * phrases / words)),
    }
