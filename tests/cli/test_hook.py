"""``auditor hook`` via CliRunner in a temporary data repository: exact messages, exit codes and escaping.

Which documents are findings, and when the baseline is stale, is tested in tests/hook/test_hook.py.
"""

from __future__ import annotations

import json

import pytest

from conftest import held_out_lines
from hook_repo import BASELINE, add_machine, baseline_command, hook


def test_machine_heavy_file_is_blocked_with_a_useful_message(repo):
    add_machine(repo)
    result = hook("data/human.jsonl", "data/generated.jsonl")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("data/generated.jsonl: ")  # the human file passes silently (see above)
    assert " new findings in 30 documents; estimated synthetic fraction 1.00 (95% CI " in lines[0]
    assert lines[0].endswith(", its lower end over fail-above 0.1")
    new = int(lines[0].split(": ")[1].split(" new findings")[0])
    assert new >= 20  # the held-out machine documents are found, not only a few
    first_id = json.loads(held_out_lines("machine")[0])["id"]
    assert lines[1].startswith(f"  data/generated.jsonl:1 id={first_id} p_synthetic=0.") and lines[1].endswith(" > 0.50")
    assert lines[11] == f"  ... and {new - 10} more (--max-shown 0 lists them all)"
    assert lines[12:] == [
        f"auditor: 1 file with machine-written text beyond what {BASELINE} accepts.",
        "Fix: remove the listed documents, or accept them with",
        "  auditor baseline update data/generated.jsonl",
        f"and commit {BASELINE} (review accepted findings with 'auditor baseline audit').",
    ]
    every = hook("--max-shown", "0", "data/generated.jsonl")
    assert len([line for line in every.output.splitlines() if line.startswith("  data/generated.jsonl:")]) == new


def test_broken_inputs_exit_2_naming_the_file(repo):
    missing = hook("data/missing.jsonl")
    assert (missing.exit_code, missing.output) == (2, "error: data/missing.jsonl: no such file or directory; check the path\n")
    (repo / BASELINE).write_text("{not json", encoding="utf-8")
    broken = hook("data/human.jsonl")
    assert broken.exit_code == 2
    assert broken.output.startswith(f"error: {repo.resolve() / BASELINE}:1: not valid JSON")


def test_non_data_files_are_ignored(repo):
    (repo / "notes.md").write_text("# notes\n", encoding="utf-8")
    result = hook("--verbose", "notes.md")
    assert (result.exit_code, result.output) == (0, "notes.md: not a data file, ignored\n")


def test_a_file_whose_records_are_all_skipped_is_an_error_not_a_pass(repo):
    lines = [json.dumps({"content": json.loads(line)["text"]}) for line in held_out_lines("machine")]
    add_machine(repo, lines)
    result = hook("data/generated.jsonl")
    assert result.exit_code == 2
    assert result.output.startswith("error: no documents read from data/generated.jsonl: 30 records skipped (30 missing_text)")
    assert result.output.rstrip().endswith("check --text-field / --format")


def test_the_printed_fix_carries_the_hooks_flags_and_converges(repo):
    add_machine(repo)
    first = hook("--threshold", "0.2", "data/generated.jsonl")
    assert first.exit_code == 1
    command = next(line.strip() for line in first.output.splitlines() if line.startswith("  auditor baseline update"))
    assert command == "auditor baseline update --threshold 0.2 data/generated.jsonl"
    assert baseline_command(*command.split()[2:]).exit_code == 0
    assert hook("--threshold", "0.2", "data/generated.jsonl").exit_code == 0


def test_terminal_escapes_in_ids_and_text_never_reach_the_output(repo):
    records = [json.loads(line) for line in held_out_lines("machine")]
    for record in records:
        record["id"] = "\x1b]0;pwned\x07" + record["id"] + "\x1b[2J"
    records[0]["text"] = "\x1b]52;c;Y2xpcA==\x07\u202e" + records[0]["text"]
    add_machine(repo, [json.dumps(r) for r in records])
    blocked = hook("--max-shown", "0", "data/generated.jsonl")
    assert blocked.exit_code == 1 and "\\x1b]0;pwned\\x07" in blocked.output  # auditor.visible's escapes
    assert baseline_command("update", "data/generated.jsonl").exit_code == 0
    audit = baseline_command("audit", input="s\n" * 40)
    for output in (blocked.output, audit.output):
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
    assert "\\x1b]52;c;Y2xpcA==\\x07\\u202e" in audit.output  # the excerpt, escaped


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (".auditor.toml", b"fail-above = \xff\n", ".auditor.toml: invalid TOML"),
        (BASELINE, json.dumps({"schema": "auditor.baseline/1", "model": {}, "settings": {},
                               "files": {"a": {"0" * 64: {"id": "x", "p_synthetic": float("nan"), "status": "accepted"}}}}).encode(),
         "p_synthetic must be a number in [0, 1], got nan"),
        (BASELINE, b"[" * 100_000 + b"]" * 100_000, "nested too deeply to be a baseline"),
        (BASELINE, json.dumps({"schema": "auditor.baseline/1", "model": {}, "settings": {}, "files": {}, "accept-all": True}).encode(),
         f"{BASELINE}: malformed baseline (unknown key 'accept-all' in the top level"),
        (".auditor.toml", b"a = " + b"[" * 100_000 + b"]" * 100_000, ".auditor.toml: invalid TOML (nested too deeply)"),
    ],
    ids=["config-not-utf8", "baseline-nan-score", "baseline-deep-nesting", "baseline-unknown-key", "config-deep-nesting"],
)
def test_broken_settings_and_baselines_name_the_file(repo, name, content, message):
    (repo / name).write_bytes(content)
    result = hook("data/human.jsonl")
    assert result.exit_code == 2 and message in result.output and result.output.startswith("error: ")
