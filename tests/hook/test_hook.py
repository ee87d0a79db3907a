"""The hook's decisions, driven through ``auditor hook`` and ``auditor baseline`` in a temporary data repository.

What is a finding, what the baseline accepts, when it is stale and what is rescored. The model is
trained on part of sample_data (conftest ``hook_model_dir``); the files committed here hold the
documents it has not seen. The commands' own messages and exit codes are tested in tests/cli/test_hook.py
and tests/cli/test_baseline.py.
"""

from __future__ import annotations

import json
import shutil

from auditor.hook.baseline import ACCEPTED, REJECTED, UNREVIEWED, Baseline
from auditor.hook.settings import load_settings
from auditor.hook.run import FileScorer, run_hook
from conftest import held_out_lines
from hook_repo import BASELINE, add_machine, baseline_command, hook, scores_of


def test_human_text_passes_and_a_stray_high_score_is_no_finding(repo):
    # Two of the 100 held-out human documents score over the threshold, but the file's estimate is
    # near 0, so their posterior given the file is low: no finding, nothing printed.
    settings = load_settings()
    scores = FileScorer(settings).scan("data/human.jsonl")
    assert scores.flagged == [] and float(scores.fraction["high"]) < 0.1
    result = hook("data/human.jsonl")
    assert (result.exit_code, result.output) == (0, "")
    verbose = hook("--verbose", "data/human.jsonl").output
    assert verbose.startswith("data/human.jsonl: ok: 100 documents, 0 findings (0 in the baseline), estimated synthetic fraction 0.0")


def test_update_accepts_and_line_moves_or_new_ids_do_not_create_findings(repo):
    path = add_machine(repo)
    result = baseline_command("update", "data/generated.jsonl")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"updated {BASELINE}: scanned 1 file (30 documents) with model hook-test at p_synthetic >= ")
    assert hook("data/generated.jsonl").exit_code == 0
    recorded = Baseline.load(repo / BASELINE)
    assert set(recorded.files) == {"data/generated.jsonl"}
    assert all(f.status == UNREVIEWED for _, _, f in recorded.findings())
    # Reorder the documents, give them new ids and reformat their whitespace: still the same findings.
    moved = []
    for i, line in enumerate(reversed(held_out_lines("machine"))):
        record = json.loads(line)
        moved.append(json.dumps({"id": f"renamed-{i}", "text": record["text"].replace(" ", "  ")}))
    path.write_text("\n".join(moved) + "\n", encoding="utf-8")
    assert (hook("data/generated.jsonl").exit_code, hook("data/generated.jsonl").output) == (0, "")


def test_a_document_added_after_the_baseline_is_a_new_finding(repo):
    lines = held_out_lines("machine")
    add_machine(repo)
    flagged = FileScorer(load_settings()).scan("data/generated.jsonl").flagged
    late = lines[flagged[0].record - 1]  # a document the model flags, to be added after the baseline
    add_machine(repo, [line for line in lines if line != late])
    assert baseline_command("update").exit_code == 0  # default paths: the repository's data files
    assert "data/generated.jsonl" in Baseline.load(repo / BASELINE).files
    add_machine(repo, [line for line in lines if line != late] + [late])
    result = hook("data/generated.jsonl")
    assert result.exit_code == 1
    output = result.output.splitlines()
    assert output[0].startswith("data/generated.jsonl: 1 new finding in 30 documents")
    assert output[1].startswith(f"  data/generated.jsonl:30 id={flagged[0].id} p_synthetic={flagged[0].p_synthetic:.4f}  "
                                "p_machine_given_corpus ")


def test_model_change_marks_the_baseline_stale_and_rewrites_it(repo, tiny_model_dir):
    add_machine(repo)
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    before = Baseline.load(repo / BASELINE)
    shutil.rmtree(repo / "models" / "detector")
    shutil.copytree(tiny_model_dir, repo / "models" / "detector")
    result = hook("data/generated.jsonl")
    assert result.exit_code == 3
    assert f"auditor: the baseline {BASELINE} was out of date: the model changed (hook-test " in result.output
    assert f"review it and 'git add {BASELINE}'." in result.output
    after = Baseline.load(repo / BASELINE)
    assert after.model["name"] == "tiny" and after.model["sha256"] != before.model["sha256"]
    assert after.settings["model-sha256"] == after.model["sha256"]
    assert set(after.files["data/generated.jsonl"]) == set(before.files["data/generated.jsonl"])  # nothing new accepted
    # Once rewritten the baseline is current: the hook no longer says so (it may list new findings: exit 0 or 1).
    assert hook("data/generated.jsonl").exit_code in (0, 1)
    assert "out of date" not in hook("data/generated.jsonl").output


def test_settings_change_marks_the_baseline_stale(repo):
    add_machine(repo)
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    (repo / "pyproject.toml").write_text('[tool.auditor]\nmodel = "models/detector"\nfail-above = 0.2\n', encoding="utf-8")
    result = hook("data/generated.jsonl")
    assert result.exit_code == 3
    assert "fail-above changed (0.1 -> 0.2)" in result.output
    assert hook("data/generated.jsonl").exit_code == 0


def test_fail_above_and_per_file_rules(repo):
    add_machine(repo)
    # A fraction of 1.0 is not above 1, but each document's posterior (1.0 in a machine file) exceeds 0.5.
    assert hook("--fail-above", "1", "data/generated.jsonl").exit_code == 1
    assert hook("--fail-above", "1", "--threshold", "1", "data/generated.jsonl").exit_code == 0
    (repo / "pyproject.toml").write_text(
        '[tool.auditor]\nmodel = "models/detector"\n[tool.auditor.files."data/gen*"]\nfail-above = 1.0\nthreshold = 1.0\n',
        encoding="utf-8")
    assert hook("data/generated.jsonl").exit_code == 0
    add_machine(repo, name="other/generated.jsonl")
    assert hook("other/generated.jsonl").exit_code == 1


def test_rejected_in_the_audit_blocks_until_removed(repo):
    lines = held_out_lines("machine")
    add_machine(repo)
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    recorded = Baseline.load(repo / BASELINE)
    key, digest, finding = next(recorded.findings())
    result = baseline_command("audit", input="r\nq\n")
    assert result.exit_code == 0
    assert f"[1/{len(recorded.files[key])}] data/generated.jsonl:" in result.output
    assert f"id={finding.id} p_synthetic={finding.p_synthetic:.4f} (unreviewed)" in result.output
    assert Baseline.load(repo / BASELINE).files[key][digest].status == REJECTED
    blocked = hook("data/generated.jsonl")
    assert blocked.exit_code == 1
    assert f"id={finding.id} p_synthetic=" in blocked.output and "rejected in the baseline audit: remove it" in blocked.output
    kept = [line for line in lines if json.loads(line)["id"] != finding.id]
    assert len(kept) == len(lines) - 1
    add_machine(repo, kept)
    assert hook("data/generated.jsonl").exit_code == 0


def test_bad_records_are_skipped_and_counted_not_fatal(repo):
    path = repo / "data" / "mixed.jsonl"
    path.write_text(held_out_lines("human")[0] + "\n{broken\n\n", encoding="utf-8")
    result = hook("--verbose", "data/mixed.jsonl")
    assert result.exit_code == 0
    assert "data/mixed.jsonl: ok: 1 document" in result.output and "skipped invalid_json 1" in result.output
    (repo / "data" / "empty.jsonl").write_text("", encoding="utf-8")
    empty = hook("--verbose", "data/empty.jsonl")
    assert empty.exit_code == 0 and "data/empty.jsonl: ok: 0 documents, 0 findings" in empty.output


def test_model_is_loaded_lazily_and_once(repo, monkeypatch):
    settings = load_settings()
    scorer = FileScorer(settings)
    assert run_hook(["pyproject.toml"], settings, scorer).files == []
    assert "detector" not in scorer.__dict__  # nothing to score: no model loaded
    loads = []
    import auditor.hook.run

    original = auditor.hook.run.load_detector
    monkeypatch.setattr(auditor.hook.run, "load_detector", lambda path: loads.append(path) or original(path))
    add_machine(repo)
    result = run_hook(["data/human.jsonl", "data/generated.jsonl"], settings, FileScorer(settings))
    assert len(result.files) == 2 and len(loads) == 1


def test_update_keeps_reviews_whatever_the_spelling_of_the_path(repo):
    add_machine(repo)
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    assert baseline_command("audit", input="r\na\nq\n").exit_code == 0
    statuses = lambda: {d: f.status for d, f in Baseline.load(repo / BASELINE).files["data/generated.jsonl"].items()}  # noqa: E731
    before = statuses()
    assert sorted(before.values()).count(REJECTED) == 1 and sorted(before.values()).count(ACCEPTED) == 1
    assert baseline_command("update", ".", "./data/generated.jsonl", "data/generated.jsonl").exit_code == 0
    assert statuses() == before
    assert hook("data/generated.jsonl").exit_code == 1  # the rejected document still blocks


def test_a_rejected_document_moved_to_another_file_still_blocks(repo):
    lines = held_out_lines("machine")
    add_machine(repo)
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    key, digest, finding = next(Baseline.load(repo / BASELINE).findings())
    assert baseline_command("audit", input="r\nq\n").exit_code == 0
    moved = next(line for line in lines if json.loads(line)["id"] == finding.id)
    add_machine(repo, [line for line in lines if line != moved])
    add_machine(repo, held_out_lines("human")[:20] + [moved], name="data/other.jsonl")
    result = hook("data/generated.jsonl", "data/other.jsonl")
    assert result.exit_code == 1
    assert f"  data/other.jsonl:21 id={finding.id} " in result.output and "rejected in the baseline audit" in result.output


def test_stale_update_of_one_file_accepts_nothing_in_the_others(repo, tiny_model_dir):
    lines = held_out_lines("machine")
    add_machine(repo, lines[:15], name="data/a.jsonl")
    add_machine(repo, lines[15:], name="data/b.jsonl")
    assert baseline_command("update", "data/a.jsonl", "data/b.jsonl").exit_code == 0
    before = Baseline.load(repo / BASELINE)
    shutil.rmtree(repo / "models" / "detector")
    shutil.copytree(tiny_model_dir, repo / "models" / "detector")
    updated = baseline_command("update", "data/a.jsonl")
    assert updated.exit_code == 0
    assert "1 other file it named rescored (statuses kept, nothing added)" in updated.output
    after = Baseline.load(repo / BASELINE)
    assert set(after.files["data/b.jsonl"]) <= set(before.files["data/b.jsonl"])  # nothing added to b
    assert scores_of(repo, "data/b.jsonl") != {f.id: f.p_synthetic for f in before.files["data/b.jsonl"].values()}  # rescored


def test_stale_hook_rescores_every_recorded_file(repo, tiny_model_dir):
    lines = held_out_lines("machine")
    add_machine(repo, lines[:15], name="data/a.jsonl")
    add_machine(repo, lines[15:], name="data/b.jsonl")
    assert baseline_command("update").exit_code == 0
    old_b = scores_of(repo, "data/b.jsonl")
    shutil.rmtree(repo / "models" / "detector")
    shutil.copytree(tiny_model_dir, repo / "models" / "detector")
    result = hook("data/a.jsonl")
    # a.jsonl and b.jsonl (human.jsonl has no finding to record)
    assert result.exit_code == 3 and "(2 files rescored, statuses kept, nothing new accepted)" in result.output
    assert scores_of(repo, "data/b.jsonl") != old_b and set(scores_of(repo, "data/b.jsonl")) <= set(old_b)


def test_a_commit_changing_only_the_settings_finds_the_baseline_stale(repo):
    add_machine(repo)
    assert baseline_command("update").exit_code == 0
    (repo / "pyproject.toml").write_text('[tool.auditor]\nmodel = "models/detector"\nthreshold = 0.3\n', encoding="utf-8")
    result = hook("pyproject.toml")
    assert result.exit_code == 3 and "threshold changed (" in result.output
    assert hook("pyproject.toml").exit_code == 0


def test_reference_files_are_recorded_by_content_and_not_estimated_against_themselves(repo):
    (repo / "refs").mkdir()
    reference = repo / "refs" / "human.jsonl"
    reference.write_text("\n".join(held_out_lines("human")[:60]) + "\n", encoding="utf-8")
    (repo / "pyproject.toml").write_text(
        '[tool.auditor]\nmodel = "models/detector"\nreference-human = "refs/human.jsonl"\n', encoding="utf-8")
    assert baseline_command("update", "data/human.jsonl").exit_code == 0
    assert hook("data/human.jsonl").exit_code == 0
    # Machine text slipped into the reference: the baseline is stale, and the reference file itself is blocked.
    reference.write_text("\n".join(held_out_lines("human")[:60] + held_out_lines("machine")) + "\n", encoding="utf-8")
    result = hook("refs/human.jsonl")
    assert result.exit_code == 3 and "reference-human changed (" in result.output
    again = hook("refs/human.jsonl")
    assert again.exit_code == 1 and again.output.startswith("refs/human.jsonl: ")


def test_per_file_threshold_rule_changes_what_is_a_finding(repo):
    add_machine(repo)
    (repo / "pyproject.toml").write_text(
        '[tool.auditor]\nmodel = "models/detector"\n[tool.auditor.files."data/gen*"]\nthreshold = 1.0\n', encoding="utf-8")
    # No posterior exceeds 1.0, but the file is over fail-above: the documents that bring it under are listed.
    over = hook("data/generated.jsonl")
    assert over.exit_code == 1 and "; the file is over fail-above without it" in over.output
    (repo / "pyproject.toml").write_text(
        '[tool.auditor]\nmodel = "models/detector"\n[tool.auditor.files."data/gen*"]\nthreshold = 1.0\nfail-above = 1.0\n',
        encoding="utf-8")
    result = hook("--verbose", "data/generated.jsonl")
    assert result.exit_code == 0 and "data/generated.jsonl: ok: 30 documents, 0 findings" in result.output


def test_repository_files_are_data_files_only_whatever_the_format(repo):
    add_machine(repo)
    (repo / "pyproject.toml").write_text('[tool.auditor]\nmodel = "models/detector"\nformat = "jsonl"\n', encoding="utf-8")
    (repo / "notes.md").write_text("# notes\n", encoding="utf-8")
    assert baseline_command("create").exit_code == 0
    assert set(Baseline.load(repo / BASELINE).files) <= {"data/generated.jsonl", "data/human.jsonl"}


# --------------------------------------------------------------------------- decisions follow the estimate


def _listed_records(output: str, name: str) -> list[int]:
    return [int(line.split(":")[1].split(" ")[0]) for line in output.splitlines() if line.startswith(f"  {name}:")]


def test_a_file_of_machine_text_scoring_under_the_threshold_is_still_blocked(repo):
    # Before: no document reached p_synthetic >= 0.99, so a file estimated 1.00 passed with 0 findings.
    path = add_machine(repo)
    settings = load_settings()
    scan = FileScorer(settings).scan(str(path))
    assert scan.estimate == 1.0
    result = hook("--threshold", "0.99", "--max-shown", "0", "data/generated.jsonl")
    assert result.exit_code == 1
    listed = _listed_records(result.output, "data/generated.jsonl")
    assert len(listed) >= 20 and "its lower end over fail-above 0.1" in result.output.splitlines()[0]


def test_removing_only_the_highest_scores_does_not_let_the_rest_through(repo):
    lines = held_out_lines("machine")[:20] + held_out_lines("human")[:10]
    path = add_machine(repo, lines)
    first = hook("--max-shown", "0", "data/generated.jsonl")
    assert first.exit_code == 1
    listed = _listed_records(first.output, "data/generated.jsonl")
    # Delete the three highest-scoring documents only: the rest is still over, and still blocked.
    scores = {doc.record: doc.p_synthetic for doc in FileScorer(load_settings()).scan(str(path), watch=()).flagged}
    top3 = sorted(scores, key=scores.get, reverse=True)[:3]
    add_machine(repo, [line for i, line in enumerate(lines, 1) if i not in top3])
    assert hook("data/generated.jsonl").exit_code == 1
    # Delete every listed document: what is left is within fail-above, and passes.
    add_machine(repo, [line for i, line in enumerate(lines, 1) if i not in listed])
    after = hook("--verbose", "data/generated.jsonl")
    assert after.exit_code == 0, after.output


def test_a_baseline_recorded_under_the_earlier_finding_rule_is_stale_and_rewritten(repo):
    add_machine(repo)
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    recorded = json.loads((repo / BASELINE).read_text(encoding="utf-8"))
    assert recorded["settings"]["finding"].startswith("p_machine_given_corpus > threshold")
    del recorded["settings"]["finding"]  # what a baseline of the p_synthetic rule holds
    (repo / BASELINE).write_text(json.dumps(recorded), encoding="utf-8")
    result = hook("data/generated.jsonl")
    assert result.exit_code == 3 and "was out of date" in result.output and "finding" in result.output
