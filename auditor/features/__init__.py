"""Per-document features computed over a batch at once: tokens, n-gram and entropy statistics, style and lexicon rates, MinHash, near-duplicates."""
