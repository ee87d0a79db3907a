"""A hand-made scan summary touching every part of the reports, hostile strings included.

tests/golden/report.md is its report.md (tests/report/test_report.py); tests/report/test_report_words.py
varies it (an uninformative interval, a posterior block).
"""

from __future__ import annotations


def golden_projection() -> dict:
    """A scan's projection block (keys sorted as in summary.json), with refitting alone past the budget under replace."""
    def final(excess, baseline, tail, tail_added, words, words_added, bits, bits_added, vocab, vocab_added):
        return {"baseline_ppl_ratio": baseline, "effective_vocab": vocab, "effective_vocab_added": vocab_added,
                "entropy_change_bits": bits, "entropy_change_bits_added": bits_added, "generation": 10,
                "ppl_ratio": excess * baseline, "synthetic_excess": excess, "tail_mass_lost": tail,
                "tail_mass_lost_added": tail_added, "vocab_lost": words, "vocab_lost_added": words_added}

    at = {key: {"synthetic_fraction": lam, "regimes": {
        "accumulate": final(1 + d / 4, 1.005, 0.0001, 0.0001, 6, 6, -0.15, -0.14 * d, 556, -60 * d),
        "mix": final(1 + d / 2, 1.048, 0.0236, 0.0042 * d, 767, 114 * d, -0.299, -0.23 * d, 503, -87 * d),
        "replace": final(1 + d, 1.604, 0.1171, 0.0, 2227, 0, -1.807, -1.125 * d, 177, -209 * d)}}
        for key, lam, d in (("estimate", 0.234, 0.06), ("high", 0.281, 0.09), ("low", 0.19, 0.04))}
    band = {"excess_at_tau_high": 1.03, "excess_at_tau_low": 1.134, "tau_high": 0.98, "tau_low": 0.96}
    return {
        "schema": "auditor.projection/1", "computed": True, "max_drift": 0.05, "model": "unigram proxy",
        "inputs": {"generations": 10, "tokens_per_generation": 40896.0}, "at": at,
        "max_synthetic_fraction": {"accumulate": 0.95, "mix": 0.61, "replace": 0.45},
        "assumptions": {
            "accumulate_bias": "accumulate's sampling part is bounded; its decoding-bias part keeps growing",
            "decoding": "generated text follows T(p) ~ p^(1/tau), tau = 0.97",
            "model": "unigram token distribution, maximum-likelihood refits",
            "regimes": {"accumulate": "nothing is thrown away", "mix": "the rest fresh real text",
                        "replace": "the rest resampled with replacement"},
            "sharpening_sensitivity": {"by_regime": {"accumulate": band, "mix": band, "replace": band},
                                       "note": "synthetic_excess after 10 generations at tau -/+ 0.01"},
            "sharpening_source": "fitted on the flagged documents (<b>12,345</b> tokens)",
            "synthetic_fraction": "lambda = 0.234, the same in every generation",
            "tokens_per_generation": 40896.0,
        },
    }


def golden_summary() -> dict:
    """A hand-made summary touching every part of report.md, hostile strings included."""
    block = lambda e, lo, hi, n: {"estimate": e, "low": lo, "high": hi, "confidence": 0.95, "method": "em", "documents": n, "known_synthetic": 0}  # noqa: E731
    return {
        "schema": "auditor.summary/1", "tool": {"name": "auditor", "version": "9.9.9"},
        "model": {"name": "demo_model *v1*", "sha256": "0123456789abcdef0123"},
        "documents": 1200, "inputs": ["corpus/"],
        "skipped": {"total": 3, "by_reason": {"empty_text": 1, "invalid_json": 2}},
        "repaired": {"total": 1, "by_reason": {"invalid_utf8": 1}},
        "problems": [{"location": "corpus/a|b.jsonl:7", "reason": "invalid_json", "detail": "Expecting value: <tag>"}],
        "ignored_files": ["corpus/notes_[draft].md"],
        "synthetic_fraction": {**block(0.234, 0.19, 0.281, 1200), "domain_mismatch_allowance": 0.0,
                               "by_source": {"corpus/web.jsonl": block(0.3, 0.25, 0.35, 1000),
                                             "corpus/<b>evil</b>|x.jsonl": block(0.01, 0.0, 0.05, 200)}},
        "flagged": {"threshold": 0.9, "count": 150},
        "near_duplicates": {"enabled": True, "threshold": 0.8, "clusters": 40, "documents_in_clusters": 95,
                            "fraction_in_clusters": 95 / 1200, "redundant_documents": 55, "largest_cluster": 6},
        "known_synthetic": {"index": "known_index/", "matched": 12, "threshold": 0.8, "indexed_documents": 100},
        "projection": golden_projection(),
        "top_documents": [
            {"id": "doc-1", "source": "corpus/web.jsonl", "row": 17, "p_synthetic": 0.998, "excerpt": "As an AI language model, I can summarise:\n\n* point one\n* point two " * 3},
            {"id": "<script>alert(1)</script>", "source": "corpus/<b>evil</b>|x.jsonl", "row": 1100, "p_synthetic": 0.95, "excerpt": "a | b `code` $x$ ~~s~~ [l](u)"},
            {"id": "below", "source": "corpus/web.jsonl", "row": 3, "p_synthetic": 0.5, "excerpt": "not flagged"},
        ],
    }
