"""``auditor project`` via CliRunner: exact exit codes, JSON shape, messages, and the scan -> project round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.features.tokens import split_words
from auditor.normalize import normalize
from auditor.report.headline import at_estimate
from conftest import DOCSTRINGS

ROW_KEYS = {"chi2", "gini_simpson", "vocab_lost", "tail_mass_lost", "kl", "entropy", "truncated_mass", "ppl_ratio", "generation",
            "synthetic_excess", "baseline_ppl_ratio", "entropy_change_bits", "effective_vocab", "tail_mass_lost_added",
            "vocab_lost_added", "entropy_change_bits_added", "effective_vocab_added"}
REGIMES = ("replace", "mix", "accumulate")
ZIPF = ["project", "--zipf-exponent", "1.1", "--vocab-size", "1000", "--tokens-per-generation", "10000"]

SENTENCES = [
    "The river rose quickly after three days of heavy rain.",
    "My grandmother kept a small garden behind the old house.",
    "We missed the last train and walked home under the stars.",
    "She painted the kitchen a pale shade of yellow, then changed her mind.",
    "The committee will meet again next Tuesday to review the budget.",
    "Children were playing football in the park until dusk.",
    "Nobody remembered who had left the gate open, but the dog was gone.",
    "He'd rather read the newspaper than watch the evening news.",
]


def run(args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def run_json(args):
    result = run([*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def english_docs(n: int) -> list[dict[str, str]]:
    return [{"id": f"d{i}", "text": f"{SENTENCES[i % len(SENTENCES)]} {SENTENCES[(i * 3 + 1) % len(SENTENCES)]} Entry {i}."} for i in range(n)]


def final_ppl(args, fraction: float, regime: str) -> float:
    payload = run_json([*args, "--synthetic-fraction", repr(fraction), "--regime", regime])
    assert list(payload["regimes"]) == [regime]
    return payload["regimes"][regime][-1]["ppl_ratio"]


# --- 1. JSON shape -------------------------------------------------------------------------------


def test_zipf_json_has_every_regime_and_generation():
    payload = run_json([*ZIPF, "--synthetic-fraction", "0.5"])
    assert set(payload) == {"schema", "model", "inputs", "units", "assumptions", "regimes", "max_drift", "max_synthetic_fraction"}
    assert payload["schema"] == "auditor.projection/1" and payload["max_drift"] == 0.05
    assert {"synthetic_excess", "tail_mass_lost", "*_added"} <= set(payload["units"])
    assumptions = payload["assumptions"]
    assert assumptions["tokens_per_generation"] == 10000 and assumptions["sharpening_source"] == "default (no corpus)"
    assert set(assumptions["sharpening_sensitivity"]["by_regime"]) == set(REGIMES)
    inputs = payload["inputs"]
    assert inputs["synthetic_fraction"] == 0.5
    assert inputs["tokens_per_generation"] == 10000
    assert inputs["vocab_size"] == 1000
    assert inputs["generations"] == 10
    assert inputs["sharpening"] == 0.97
    assert inputs["p0"] == "Zipf law, exponent 1.1"
    assert inputs["sharpening_source"] == "default (no corpus)"
    assert "skipped" not in inputs
    assert set(payload["regimes"]) == set(REGIMES)
    for regime in REGIMES:
        rows = payload["regimes"][regime]
        assert len(rows) == 11
        assert [row["generation"] for row in rows] == list(range(11))
        for row in rows:
            assert set(row) == ROW_KEYS
        first = rows[0]
        assert first["chi2"] == 0
        assert first["kl"] == 0
        assert first["ppl_ratio"] == 1 and first["synthetic_excess"] == 1
        assert first["vocab_lost"] == 0
        assert first["entropy"] == pytest.approx(inputs["entropy_0"])
        assert first["gini_simpson"] == pytest.approx(inputs["gini_simpson_0"])
        # synthetic data at 0.5 moves every regime away from p0
        assert rows[-1]["ppl_ratio"] > 1 and rows[-1]["synthetic_excess"] > 1
        assert rows[-1]["kl"] > 0
    # replace compounds sampling error, accumulate dilutes it
    finals = {regime: payload["regimes"][regime][-1]["ppl_ratio"] for regime in REGIMES}
    assert finals["replace"] > finals["mix"] > finals["accumulate"]


def test_regime_and_generations_options_limit_the_output():
    payload = run_json([*ZIPF, "--synthetic-fraction", "0.5", "--regime", "mix"])
    assert list(payload["regimes"]) == ["mix"]
    assert len(payload["regimes"]["mix"]) == 11

    payload = run_json([*ZIPF, "--synthetic-fraction", "0.5", "--generations", "3"])
    assert payload["inputs"]["generations"] == 3
    assert set(payload["regimes"]) == set(REGIMES)
    for rows in payload["regimes"].values():
        assert [row["generation"] for row in rows] == [0, 1, 2, 3]

    payload = run_json([*ZIPF, "--synthetic-fraction", "0.5", "--regime", "accumulate", "--regime", "replace", "--generations", "2"])
    assert set(payload["regimes"]) == {"accumulate", "replace"}
    assert all(len(rows) == 3 for rows in payload["regimes"].values())


def test_no_synthetic_data_leaves_only_sampling_error():
    payload = run_json([*ZIPF, "--synthetic-fraction", "0"])
    for regime in REGIMES:
        last = payload["regimes"][regime][-1]
        assert last["kl"] == 0
        assert last["chi2"] > 0  # finite samples still drift ...
        assert last["synthetic_excess"] == 1.0  # ... which is the baseline, not synthetic data's doing


# --- 2. readable output --------------------------------------------------------------------------


def test_readable_output_leads_with_plain_figures_and_a_verdict_per_regime():
    result = run([*ZIPF, "--synthetic-fraction", "0.5"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("p0: Zipf law, exponent 1.1, 1,000 types")
    assert "synthetic fraction 0.500; 10,000 tokens per generation; sharpening tau 0.97" in lines[0]
    assert lines[1] == "budget: synthetic data may raise the perplexity proxy (a unigram proxy) at most 5% over refitting without it"
    for regime in REGIMES:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{regime} after 10 generations: synthetic data x"))
        assert lines[at + 1].startswith("  tail mass lost ") and "from synthetic data); words lost " in lines[at + 1]
        assert lines[at + 2].split()[:4] == ["gen", "excess", "tail_lost", "+synth"]
        assert [line.split()[0] for line in lines[at + 3:at + 14]] == [str(g) for g in range(11)]
        assert lines[at + 14].startswith(f"{regime}: synthetic data adds ")
    assert "replace after 10 generations: synthetic data x1.071 over refitting alone (refitting alone x1.573)" in lines
    assert "replace: synthetic data adds more than 5% by generation 9" in lines
    assert ("replace: with 10,000 tokens per generation, refitting alone drifts 57.3% (past the budget); synthetic data adds 7.1%") in lines
    assert "mix: synthetic data adds at most 5% over 10 generations" in lines
    assert "accumulate: synthetic data adds at most 5% over 10 generations" in lines
    assert lines[-5] == "largest synthetic fraction adding at most 5% over refitting alone after 10 generations:"
    assert lines[-1].startswith("assumptions: unigram model, maximum-likelihood refits, lambda constant over generations; tau 0.97 ")
    assert "at tau -/+0.01: replace x1.030-x1.134; mix x" in lines[-1]


def test_readable_output_with_one_regime_and_max_drift():
    result = run([*ZIPF, "--synthetic-fraction", "0.5", "--regime", "mix", "--max-drift", "0.01"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert not any(line.startswith(("replace", "accumulate")) for line in lines)
    assert "mix: synthetic data adds more than 1% by generation 2" in lines
    assert lines[-3] == "largest synthetic fraction adding at most 1% over refitting alone after 10 generations:"
    assert lines[-2].startswith("  mix: 0.")


# --- 3. --max-drift -----------------------------------------------------------------------------


def final_excess(args, fraction: float, regime: str) -> float:
    payload = run_json([*args, "--synthetic-fraction", repr(fraction), "--regime", regime])
    return payload["regimes"][regime][-1]["synthetic_excess"]


def test_max_drift_fraction_keeps_the_excess_within_the_budget():
    payload = run_json([*ZIPF, "--synthetic-fraction", "0.5", "--max-drift", "0.05"])
    assert payload["max_drift"] == 0.05
    safe = payload["max_synthetic_fraction"]
    assert set(safe) == set(REGIMES)
    for regime, value in safe.items():
        assert 0.0 < value <= 1.0  # never "none": at lambda = 0 the excess is exactly 1
        assert final_excess(ZIPF, value, regime) <= 1.05 + 1e-6
        if value < 0.99:
            assert final_excess(ZIPF, value + 0.01, regime) > 1.05
    # under replace, refitting 10,000 tokens alone exceeds the budget: stated separately, not as "none"
    assert final_ppl(ZIPF, 0.0, "replace") > 1.05


def test_max_drift_readable_lines_match_the_json():
    safe = run_json([*ZIPF, "--synthetic-fraction", "0.5", "--max-drift", "0.05"])["max_synthetic_fraction"]
    result = run([*ZIPF, "--synthetic-fraction", "0.5", "--max-drift", "0.05"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-4:-1] == [f"  {regime}: {safe[regime]:.3f}" for regime in REGIMES]


def test_max_drift_must_be_positive():
    result = run([*ZIPF, "--synthetic-fraction", "0.5", "--max-drift", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--max-drift'" in result.stderr


# --- 4. usage errors -----------------------------------------------------------------------------


def assert_usage_error(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_exactly_one_source_is_required(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", english_docs(3))
    one_source = "give exactly one of --from-summary, --corpus or --zipf-exponent (with --vocab-size)"
    assert_usage_error(run(["project", "--synthetic-fraction", "0.5"]), one_source)
    assert_usage_error(run(["project"]), one_source)
    assert_usage_error(run([*ZIPF, "--synthetic-fraction", "0.5", "--corpus", path]), one_source)


def test_zipf_needs_vocab_size_and_tokens_per_generation():
    assert_usage_error(run(["project", "--zipf-exponent", "1.1", "--tokens-per-generation", "10000", "--synthetic-fraction", "0.5"]),
                       "--zipf-exponent and --vocab-size go together")
    assert_usage_error(run(["project", "--zipf-exponent", "1.1", "--vocab-size", "1000", "--synthetic-fraction", "0.5"]),
                       "--tokens-per-generation is required with --zipf-exponent")


def test_synthetic_fraction_is_required_without_a_summary(tmp_path):
    message = "--synthetic-fraction is required (except with --from-summary"
    assert_usage_error(run(ZIPF), message)
    path = write_jsonl(tmp_path / "c.jsonl", english_docs(3))
    assert_usage_error(run(["project", "--corpus", path]), message)


def test_out_of_range_values_are_click_usage_errors():
    result = run([*ZIPF, "--synthetic-fraction", "1.5"])
    assert_usage_error(result, "Invalid value for '--synthetic-fraction': 1.5 is not in the range 0<=x<=1")
    assert result.stderr.startswith("Usage: ")
    assert_usage_error(run([*ZIPF, "--synthetic-fraction", "nan"]), "'nan' is not a finite number")
    assert_usage_error(run([*ZIPF, "--synthetic-fraction", "0.5", "--tokens-per-generation", "inf"]), "'inf' is not a finite number")
    assert_usage_error(run([*ZIPF, "--synthetic-fraction", "0.5", "--max-drift", "inf"]), "'inf' is not a finite number")
    assert_usage_error(run([*ZIPF, "--synthetic-fraction", "0.5", "--regime", "bogus"]), "Invalid value for '--regime'")
    assert_usage_error(run([*ZIPF, "--synthetic-fraction", "0.5", "--generations", "0"]), "Invalid value for '--generations'")
    assert_usage_error(run(["project", "--zipf-exponent", "0", "--vocab-size", "10", "--tokens-per-generation", "10",
                            "--synthetic-fraction", "0.5"]), "Invalid value for '--zipf-exponent'")


def test_usage_errors_in_the_command_body_are_not_reported_as_internal_errors():
    for args in (["project"], ["project", "--zipf-exponent", "1.1", "--synthetic-fraction", "0.5"], ZIPF):
        result = run(args)
        assert result.exit_code == 2
        assert "internal error" not in result.stderr
        assert result.stderr.startswith("Usage: ")


# --- 5. --corpus ---------------------------------------------------------------------------------


def test_corpus_hand_counted(tmp_path):
    # the cat sat on the mat / a cat / the dog's bone: 11 words, 8 distinct (the, cat, sat, on, mat, a, dog's, bone)
    path = write_jsonl(tmp_path / "tiny.jsonl", [{"text": "The cat sat on the mat."}, {"text": "A cat! The dog's bone."}])
    payload = run_json(["project", "--corpus", path, "--synthetic-fraction", "0.3", "--generations", "2"])
    inputs = payload["inputs"]
    assert inputs["vocab_size"] == 8
    assert inputs["tokens_per_generation"] == 11
    assert inputs["synthetic_fraction"] == 0.3
    assert inputs["p0"] == f"corpus {path}"
    assert inputs["sharpening_source"] == "default (no scores for --corpus)"
    assert inputs["skipped"] == {"by_reason": {}, "total": 0}


def test_corpus_counts_lower_cased_words(tmp_path):
    docs = english_docs(12)
    path = write_jsonl(tmp_path / "c.jsonl", [*docs, {"text": "   "}])
    words = [w for doc in docs for w in split_words(normalize(doc["text"]))[0]]
    assert "the" in words and "The" not in words
    payload = run_json(["project", "--corpus", path, "--synthetic-fraction", "0.5"])
    inputs = payload["inputs"]
    assert inputs["vocab_size"] == len(set(words))
    assert inputs["tokens_per_generation"] == len(words)
    assert inputs["skipped"] == {"by_reason": {"empty_text": 1}, "total": 1}
    assert set(payload["regimes"]) == set(REGIMES)
    # --tokens-per-generation overrides the corpus's count
    assert run_json(["project", "--corpus", path, "--synthetic-fraction", "0.5", "--tokens-per-generation", "5000"])["inputs"]["tokens_per_generation"] == 5000


def test_corpus_without_text_is_exit_2_naming_it(tmp_path):
    path = write_jsonl(tmp_path / "empty.jsonl", [{"text": ""}, {"text": "   "}, {"text": "\n"}])
    result = run(["project", "--corpus", path, "--synthetic-fraction", "0.5"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert str(path) in result.stderr
    assert "internal error" not in result.stderr


def test_corpus_without_words_is_exit_2_naming_it(tmp_path):
    path = write_jsonl(tmp_path / "punct.jsonl", [{"text": "... !!! ???"}])
    result = run(["project", "--corpus", path, "--synthetic-fraction", "0.5"])
    assert result.exit_code == 2
    assert result.stderr == f"error: --corpus {path}: no words to project from (no readable documents with text)\n"


def test_missing_corpus_is_exit_2(tmp_path):
    result = run(["project", "--corpus", tmp_path / "nope.jsonl", "--synthetic-fraction", "0.5"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "nope.jsonl" in result.stderr


# --- 6. --from-summary ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("scan")
    path = write_jsonl(base / "corpus.jsonl", english_docs(30))
    out = base / "out"
    result = run(["scan", path, "--out", out, "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    return out


def test_scan_records_tokens_and_projection(scanned):
    summary = json.loads((scanned / "summary.json").read_text(encoding="utf-8"))
    assert summary["outputs"]["tokens"] == "tokens.parquet"
    assert (scanned / "tokens.parquet").is_file()
    projection = summary["projection"]
    assert projection["computed"] is True
    assert set(projection["at"]) == {"estimate", "low", "high"}
    for key in ("estimate", "low", "high"):
        at = projection["at"][key]
        assert at["synthetic_fraction"] == summary["synthetic_fraction"][key]
        assert set(at["regimes"]) == set(REGIMES)
        for row in at["regimes"].values():
            assert set(row) == ROW_KEYS | {"generations_to_budget"}
            assert row["generation"] == 10
    assert set(projection["max_synthetic_fraction"]) == set(REGIMES)
    for value in projection["max_synthetic_fraction"].values():
        assert 0.0 < value <= 1.0
    assert projection["schema"] == "auditor.projection/1" and projection["max_drift"] == 0.05
    assert projection["assumptions"]["sharpening_source"] == projection["inputs"]["sharpening_source"]
    for regime in REGIMES:  # the interval's band, every generation
        band = projection["excess_band"][regime]
        assert len(band["low"]) == len(band["high"]) == 11 and band["low"][0] == band["high"][0] == 1.0


def test_project_from_summary_uses_the_scan(scanned):
    summary_path = scanned / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    payload = run_json(["project", "--from-summary", summary_path])
    inputs = payload["inputs"]
    assert inputs["synthetic_fraction"] == summary["synthetic_fraction"]["estimate"]
    assert "scan" in inputs["p0"]
    assert inputs["p0"] == f"scan {summary_path} (unflagged documents)"
    assert inputs["vocab_size"] == summary["projection"]["inputs"]["vocab_size"]
    assert inputs["tokens_per_generation"] == summary["projection"]["inputs"]["tokens_per_generation"]
    # the same distribution and options as the scan's own projection give the same rows
    assert payload["regimes"] == summary["projection"]["regimes"]
    # an explicit fraction overrides the scan's estimate
    assert run_json(["project", "--from-summary", summary_path, "--synthetic-fraction", "0.25"])["inputs"]["synthetic_fraction"] == 0.25


def test_project_from_summary_takes_the_estimate_from_the_file(scanned):
    summary = json.loads((scanned / "summary.json").read_text(encoding="utf-8"))
    summary["synthetic_fraction"]["estimate"] = 0.37
    edited = scanned / "edited.json"  # next to tokens.parquet, which outputs.tokens names relative to it
    edited.write_text(json.dumps(summary), encoding="utf-8")
    assert run_json(["project", "--from-summary", edited])["inputs"]["synthetic_fraction"] == 0.37


def test_a_summary_with_an_impossible_estimate_is_an_error_not_a_usage_error(scanned):
    # Only the options' own mistakes are usage errors; a bad value in a file is an error naming it (exit 2).
    summary = json.loads((scanned / "summary.json").read_text(encoding="utf-8"))
    summary["synthetic_fraction"]["estimate"] = 1.5
    edited = scanned / "impossible.json"
    edited.write_text(json.dumps(summary), encoding="utf-8")
    result = run(["project", "--from-summary", edited])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: synthetic fraction must be in [0, 1], got 1.5\n"


def test_reader_options_are_read_only_with_a_corpus():
    # --text-field '' means nothing to a Zipf law or a summary: it was never checked there.
    assert run_json([*ZIPF, "--synthetic-fraction", "0.2", "--text-field", ""])["inputs"]["synthetic_fraction"] == 0.2


def test_summary_that_is_not_json_is_exit_2_naming_it(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text("{not json", encoding="utf-8")
    result = run(["project", "--from-summary", path])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: --from-summary {path}: cannot read it as JSON (")


def test_summary_without_token_counts_is_exit_2_naming_it(scanned, tmp_path):
    summary = json.loads((scanned / "summary.json").read_text(encoding="utf-8"))
    del summary["outputs"]["tokens"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(summary), encoding="utf-8")
    result = run(["project", "--from-summary", path])
    assert result.exit_code == 2
    assert result.stderr == (f"error: --from-summary {path}: this scan recorded no token counts (made by an older auditor); "
                             "re-run 'auditor scan'\n")


def test_summary_with_a_missing_tokens_file_or_foreign_schema_is_exit_2(scanned, tmp_path):
    summary = json.loads((scanned / "summary.json").read_text(encoding="utf-8"))
    path = tmp_path / "summary.json"  # no tokens.parquet next to it
    path.write_text(json.dumps(summary), encoding="utf-8")
    result = run(["project", "--from-summary", path])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'tokens.parquet'}: not a token-count file written by auditor scan")

    path.write_text(json.dumps({"schema": "other/1", "outputs": {"tokens": "tokens.parquet"}}), encoding="utf-8")
    result = run(["project", "--from-summary", path])
    assert result.exit_code == 2
    assert result.stderr == f"error: --from-summary {path}: not an auditor scan summary (no 'auditor.summary/' schema)\n"


def test_scan_prints_the_drift_verdict_next_to_the_estimate(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", english_docs(30))
    result = run(["scan", corpus, "--out", tmp_path / "out"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    safe = summary["projection"]["max_synthetic_fraction"]
    expected = (f"this corpus: {at_estimate(summary['synthetic_fraction'])}; to keep synthetic data's added perplexity-proxy "
                "drift within 5% over 10 generations: " + "; ".join(f"{r} <= {safe[r]:.2f}" for r in REGIMES))
    assert expected in result.stderr.splitlines()


HUMAN_DOCSTRINGS = DOCSTRINGS / "human_stdlib_docstrings.jsonl"


def test_scan_of_a_human_only_corpus_never_says_none(tmp_path):
    result = run(["scan", HUMAN_DOCSTRINGS, "--out", tmp_path / "out"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    verdict = next(line for line in lines if line.startswith("this corpus: "))
    assert "none" not in result.stderr and "; mix <= 0." in verdict
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    tokens = summary["projection"]["inputs"]["tokens_per_generation"]
    # refitting its ~41k tokens alone drifts past 5% under replace: said separately, with what synthetic data adds
    assert any(line.startswith(f"with {tokens:,.0f} tokens per generation, refitting alone (no synthetic data) drifts past the budget: replace +")
               for line in lines)


def test_scan_with_every_document_flagged_projects_from_all_words(tmp_path):
    corpus = write_jsonl(tmp_path / "c.jsonl", english_docs(30))
    assert run(["scan", corpus, "--out", tmp_path / "out", "--threshold", "0", "--quiet"]).exit_code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["flagged"]["count"] == 30
    inputs = summary["projection"]["inputs"]
    assert inputs["p0"] == "this scan (all documents: none was unflagged)"
    assert inputs["sharpening_source"] == "default (no unflagged documents)"


def test_known_synthetic_documents_do_not_count_as_human_words(tmp_path):
    import pyarrow.parquet as pq

    docs = english_docs(30)
    corpus = write_jsonl(tmp_path / "c.jsonl", docs)
    known = write_jsonl(tmp_path / "known.jsonl", docs[:4])
    assert run(["index", "build", known, "--out", tmp_path / "index"]).exit_code == 0
    assert run(["scan", corpus, "--out", tmp_path / "out", "--known-synthetic", tmp_path / "index", "--quiet"]).exit_code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["flagged"]["count"] == 0 and summary["known_synthetic"]["matched"] >= 4
    tokens = pq.read_table(tmp_path / "out" / "tokens.parquet").to_pydict()
    matched_words = sum(len(split_words(normalize(d["text"]))[0]) for d in docs if d["text"] in {k["text"] for k in docs[:4]})
    assert sum(tokens["flagged"]) >= matched_words > 0


def test_csv_has_one_row_per_regime_and_generation_with_every_column():
    import csv
    import io

    payload = run_json([*ZIPF, "--synthetic-fraction", "0.5"])
    result = run([*ZIPF, "--synthetic-fraction", "0.5", "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3 * 11 and set(rows[0]) == ROW_KEYS | {"regime"}
    for row in rows:
        expected = payload["regimes"][row["regime"]][int(row["generation"])]
        assert {key: float(value) for key, value in row.items() if key != "regime"} == expected
    assert_usage_error(run([*ZIPF, "--synthetic-fraction", "0.5", "--csv", "--json"]), "give at most one of --json and --csv")
