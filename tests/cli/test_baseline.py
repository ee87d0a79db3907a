"""``auditor baseline create|update|audit`` via CliRunner in a temporary data repository: exact messages and answers."""

from __future__ import annotations

import json

from auditor.hook.baseline import ACCEPTED, REJECTED, UNREVIEWED, Baseline
from conftest import held_out_lines
from hook_repo import BASELINE, add_machine, baseline_command


def test_audit_walks_unreviewed_findings_and_saves_each_answer(repo):
    add_machine(repo)
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    total = sum(Baseline.load(repo / BASELINE).counts().values())
    result = baseline_command("audit", input="a\nr\ns\nx\nq\n")
    assert result.exit_code == 0
    assert "Error: 'x' is not one of 'a', 'r', 's', 'q'." in result.output
    counts = Baseline.load(repo / BASELINE).counts()
    assert counts == {UNREVIEWED: total - 2, ACCEPTED: 1, REJECTED: 1}
    assert result.output.endswith(f"reviewed 2 findings: 1 accepted, 1 rejected, {total - 2} unreviewed in {BASELINE}\n")
    # End of input stops the walk and keeps what was decided.
    assert baseline_command("audit", input="a\n").exit_code == 0
    assert Baseline.load(repo / BASELINE).counts()[ACCEPTED] == 2
    accepted = baseline_command("audit", "--accept-all")
    assert (accepted.exit_code, accepted.output) == (0, f"accepted {total - 3} findings in {BASELINE}\n")
    assert Baseline.load(repo / BASELINE).counts() == {UNREVIEWED: 0, ACCEPTED: total - 1, REJECTED: 1}
    nothing = baseline_command("audit")
    assert nothing.output == f"reviewed 0 findings: {total - 1} accepted, 1 rejected, 0 unreviewed in {BASELINE}\n"


def test_audit_shows_terminal_control_characters_escaped(repo):
    record = json.loads(held_out_lines("machine")[0])
    record["text"] = "\x1b[31mred\x1b[0m \u202e" + record["text"]
    add_machine(repo, [json.dumps(record)] + held_out_lines("machine")[1:])
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    output = baseline_command("audit", input="q\n").output
    assert "\x1b" not in output and "\u202e" not in output


def test_create_refuses_to_replace_and_update_drops_deleted_files(repo):
    add_machine(repo)
    created = baseline_command("create")
    assert created.exit_code == 0, created.output
    assert "data/generated.jsonl" in Baseline.load(repo / BASELINE).files
    again = baseline_command("create")
    assert again.exit_code == 2
    assert again.output == f"error: {BASELINE} exists: 'auditor baseline update' keeps its reviews; --force replaces it\n"
    assert baseline_command("create", "--force").exit_code == 0
    (repo / "data" / "generated.jsonl").unlink()
    updated = baseline_command("update", "data/human.jsonl")
    assert updated.exit_code == 0
    assert "data/generated.jsonl" not in Baseline.load(repo / BASELINE).files


def test_audit_without_a_baseline_is_an_error(repo):
    result = baseline_command("audit")
    assert (result.exit_code, result.output) == (2, f"error: {BASELINE} does not exist: create it with 'auditor baseline create'\n")
