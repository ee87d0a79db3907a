"""auditor scan --human-before / --date-field / --reference-where (a human reference from the corpus itself),
and the headline of an uninformative estimate (an interval wider than 0.3)."""

import csv
import json
import shutil
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.estimate.corpus_reference import Selection, parse_when
from auditor.report.headline import GENERAL_STEP, headline
from auditor.pipeline.scoring import Scorer, ScoreState

from conftest import sample_lines

CUTOFF = "2022-11-30"
OLD = 120  # human documents dated before the cutoff
ODD = ["not a date", None, None, ""]  # unreadable, then missing three ways (absent, null, blank)
# Dated before the cutoff in every supported way (JSON strings and numbers; CSV turns them all into strings).
OLD_VALUES = ["2019-03-14", "2021-06-01T12:30:00+02:00", "2020-01-01 08:00:00", 1546300800, 1600000000.5,
              "2022-11-29T23:59:59Z", "2022-11-30T01:00:00+02:00"]  # the last one is 2022-11-29 23:00 UTC
NEW_VALUES = ["2022-11-30", "2022-11-30T00:00:00Z", "2023-06-01T09:00:00", 1700000000, "2024-02-29"]


def records() -> list[dict]:
    """The docstrings corpus (300 human, 80 machine), each with a ``date`` and an ``origin``."""
    human = [json.loads(line) for line in sample_lines("human_stdlib_docstrings.jsonl")]
    machine = [json.loads(line) for line in sample_lines("machine_docstrings.jsonl")]
    rows = []
    for i, record in enumerate(human + machine):
        row = {"id": record["id"], "text": record["text"], "origin": "stdlib" if i < 300 else "bot"}
        if i < OLD:
            row["date"] = OLD_VALUES[i % len(OLD_VALUES)]
        elif i < OLD + len(ODD):
            if i != OLD + 1:  # OLD + 1: no date field at all
                row["date"] = ODD[i - OLD]
        else:
            row["date"] = NEW_VALUES[i % len(NEW_VALUES)]
        rows.append(row)
    return rows


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["id", "text", "origin", "date"])
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "date": "" if row.get("date") is None else row["date"]})
    return path


def write_parquet(directory, rows):
    """Four files of native types: date32, timestamps with an offset, strings (the odd values), naive timestamps."""
    def table(part, values, kind):
        return pa.table({"id": [r["id"] for r in part], "text": [r["text"] for r in part], "date": pa.array(values, kind)})

    old_a, old_b, odd, new = rows[:60], rows[60:OLD], rows[OLD:OLD + len(ODD)], rows[OLD + len(ODD):]
    plus2 = timezone(timedelta(hours=2))
    files = [
        (old_a, [date(2019, 1, 1) + timedelta(days=i) for i in range(len(old_a))], pa.date32()),
        # 2022-11-30 01:00 at +02:00 is before the cutoff in UTC
        (old_b, [datetime(2022, 11, 30, 1, 0, tzinfo=plus2) - timedelta(days=i) for i in range(len(old_b))], pa.timestamp("us", tz="+02:00")),
        (odd, ["not a date", None, None, ""], pa.string()),
        (new, [datetime(2022, 11, 30) + timedelta(hours=i) for i in range(len(new))], pa.timestamp("ms")),
    ]
    paths = []
    for i, (part, values, kind) in enumerate(files):
        path = directory / f"part{i}.parquet"
        pq.write_table(table(part, values, kind), path)
        paths.append(str(path))
    return paths


def scan(tmp_path, name, inputs, model, *args):
    out = tmp_path / name
    result = CliRunner().invoke(cli, ["scan", *map(str, inputs), "--out", str(out), "--model", str(model), *args])
    summary = json.loads((out / "summary.json").read_text()) if result.exit_code == 0 else None
    return result, summary


def interval(block):
    return block["estimate"], block["low"], block["high"]


DATED = ("--human-before", CUTOFF, "--date-field", "date")
EXPECTED_HUMAN = {"source": "corpus documents with date before 2022-11-30 (field 'date')", "documents": OLD, "field": "date",
                  "before": CUTOFF, "missing": 3, "unreadable": 1}


def test_human_before_jsonl_is_the_old_documents(tmp_path, tiny_model_dir):
    rows = records()
    corpus = write_jsonl(tmp_path / "corpus.jsonl", rows)
    result, summary = scan(tmp_path, "dated", [corpus], tiny_model_dir, *DATED)
    assert result.exit_code == 0, result.output
    fraction = summary["synthetic_fraction"]
    assert fraction["reference"]["human"] == EXPECTED_HUMAN
    assert summary["documents"] == 380 and fraction["documents"] == 380  # the old documents stay in the corpus
    assert fraction["domain_mismatch_allowance"] == 0.0  # an in-domain human reference
    assert (f"  method em; human reference: corpus documents with date before 2022-11-30 (field 'date') "
            f"({OLD} documents, 3 without a date, 1 with an unreadable date); machine reference: ") in result.stderr
    # The same documents given as a file are the same reference: the same estimate, bit for bit.
    old = write_jsonl(tmp_path / "old.jsonl", rows[:OLD])
    _, by_file = scan(tmp_path, "file", [corpus], tiny_model_dir, "--reference-human", str(old))
    assert interval(by_file["synthetic_fraction"]) == interval(fraction)
    assert by_file["synthetic_fraction"]["reference"]["machine"] == fraction["reference"]["machine"]
    # ... and not the model's own reference.
    _, plain = scan(tmp_path, "plain", [corpus], tiny_model_dir)
    assert plain["synthetic_fraction"]["estimate"] != fraction["estimate"]


def test_human_before_csv_and_parquet(tmp_path, tiny_model_dir):
    rows = records()
    _, jsonl = scan(tmp_path, "jsonl", [write_jsonl(tmp_path / "c.jsonl", rows)], tiny_model_dir, *DATED)
    result, by_csv = scan(tmp_path, "csv", [write_csv(tmp_path / "c.csv", rows)], tiny_model_dir, *DATED)
    assert result.exit_code == 0, result.output
    assert by_csv["synthetic_fraction"]["reference"]["human"] == EXPECTED_HUMAN  # CSV: every value a string, blank = missing
    assert interval(by_csv["synthetic_fraction"]) == interval(jsonl["synthetic_fraction"])
    parquet_dir = tmp_path / "pq"
    parquet_dir.mkdir()
    result, by_parquet = scan(tmp_path, "parquet", write_parquet(parquet_dir, rows), tiny_model_dir, *DATED)
    assert result.exit_code == 0, result.output
    assert by_parquet["synthetic_fraction"]["reference"]["human"] == EXPECTED_HUMAN  # native date / timestamp columns
    assert interval(by_parquet["synthetic_fraction"]) == interval(jsonl["synthetic_fraction"])


def test_shards_give_the_same_reference(tmp_path, tiny_model_dir):
    corpus = write_jsonl(tmp_path / "c.jsonl", records())
    _, whole = scan(tmp_path, "whole", [corpus], tiny_model_dir, *DATED, "--quiet")
    _, sharded = scan(tmp_path, "sharded", [corpus], tiny_model_dir, *DATED, "--shard-size", "20000", "--quiet")
    assert sharded["synthetic_fraction"] == whole["synthetic_fraction"]


def test_score_state_keeps_the_selection_through_a_checkpoint(tiny_model_dir):
    from auditor.detector.scorer import load_detector

    scorer = Scorer(load_detector(tiny_model_dir), 0.5, None, 0.8, Selection("date", before=date(2022, 11, 30)))
    state = ScoreState(reference=[np.array([True, False]), np.array([True])], reference_counts=[2, 1])
    loaded = scorer.load(scorer.dump(state))
    assert np.concatenate(loaded.reference).tolist() == [True, False, True] and loaded.reference_counts == [2, 1]


def test_dates_read(tmp_path):
    utc = timezone.utc
    assert parse_when("2022-11-29T23:00:00-02:00") == datetime(2022, 11, 30, 1, 0, tzinfo=utc)
    assert parse_when("2022-11-30") == parse_when(" 2022-11-30 ") == datetime(2022, 11, 30, tzinfo=utc)
    assert parse_when(1669766400) == parse_when("1669766400") == parse_when(1669766400.0) == datetime(2022, 11, 30, tzinfo=utc)
    assert parse_when(date(2022, 11, 30)) == datetime(2022, 11, 30, tzinfo=utc)
    for bad in ("yesterday", "2022", 2022, "2022-11", True, float("nan"), 1e20, 1669766400000, [2022, 11, 30], {"y": 2022}):
        assert parse_when(bad) is None


def test_reference_where(tmp_path, tiny_model_dir):
    rows = records()
    for i, row in enumerate(rows):
        row["origin"] = "archive" if i < 100 else row["origin"]
    rows[5]["origin"] = None
    corpus = write_jsonl(tmp_path / "c.jsonl", rows)
    result, summary = scan(tmp_path, "where", [corpus], tiny_model_dir, "--reference-where", "origin=archive")
    assert result.exit_code == 0, result.output
    fraction = summary["synthetic_fraction"]
    assert fraction["reference"]["human"] == {"source": "corpus documents with 'origin' equal to 'archive'", "documents": 99,
                                              "field": "origin", "equals": "archive", "missing": 1, "unreadable": 0}
    reference = write_jsonl(tmp_path / "archive.jsonl", [row for row in rows[:100] if row["origin"] == "archive"])
    _, by_file = scan(tmp_path, "file", [corpus], tiny_model_dir, "--reference-human", str(reference))
    assert interval(by_file["synthetic_fraction"]) == interval(fraction)


def test_reference_where_filters_reference_files(tmp_path, tiny_model_dir):
    rows = records()
    corpus = write_jsonl(tmp_path / "c.jsonl", rows[:50] + rows[300:])
    mixed = write_jsonl(tmp_path / "refs.jsonl", rows[50:300] + [{"text": ""}])  # 250 stdlib, and a record skipped
    result, summary = scan(tmp_path, "refs", [corpus], tiny_model_dir, "--reference-human", str(mixed), "--reference-where", "origin=stdlib")
    assert result.exit_code == 0, result.output
    human = summary["synthetic_fraction"]["reference"]["human"]
    assert human == {"source": f"documents of {mixed} with 'origin' equal to 'stdlib'", "documents": 250, "field": "origin",
                     "equals": "stdlib", "missing": 0, "unreadable": 0,
                     "skipped": {"total": 1, "by_reason": {"empty_text": 1}}}
    assert summary["documents"] == 130


@pytest.mark.parametrize(("args", "message"), [
    (["--human-before", CUTOFF], "Error: --human-before needs --date-field FIELD (the field holding each document's date)"),
    (["--date-field", "date"], "Error: --date-field needs --human-before DATE (documents dated before it are the human reference)"),
    ([*DATED, "--reference-where", "origin=stdlib"],
     "Error: --reference-where and --human-before both choose the human reference: give one of them"),
    (["--human-before", "30/11/2022", "--date-field", "date"],
     "Error: Invalid value for --human-before: '30/11/2022' is not a date: give it as YYYY-MM-DD, e.g. 2022-11-30"),
    (["--human-before", "2022-02-30", "--date-field", "date"],
     "Error: Invalid value for --human-before: '2022-02-30' is not a date: give it as YYYY-MM-DD, e.g. 2022-11-30"),
    (["--reference-where", "origin"], "Error: Invalid value for --reference-where: 'origin': give FIELD=VALUE, e.g. source=wikipedia"),
])
def test_usage_errors(tmp_path, tiny_model_dir, args, message):
    corpus = write_jsonl(tmp_path / "c.jsonl", records()[:30])
    result, _ = scan(tmp_path, "out", [corpus], tiny_model_dir, *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == message


def test_too_few_reference_documents(tmp_path, tiny_model_dir):
    rows = records()
    rows[0]["date"] = "1999-12-31"
    corpus = write_jsonl(tmp_path / "c.jsonl", rows)
    result, _ = scan(tmp_path, "few", [corpus], tiny_model_dir, "--human-before", "2000-01-01", "--date-field", "date")
    assert result.exit_code == 2
    assert result.stderr == ("error: --human-before 2000-01-01 --date-field date: corpus documents with date before 2000-01-01 "
                             "(field 'date'): 1 found (3 without a date, 1 unreadable); a human reference needs at least 2 "
                             "(a hundred or more is better)\n")
    result, _ = scan(tmp_path, "none", [corpus], tiny_model_dir, "--reference-where", "origin=wiki")
    assert result.exit_code == 2
    assert result.stderr == ("error: --reference-where origin=wiki: corpus documents with 'origin' equal to 'wiki': 0 found "
                             "(0 without a value, 0 unreadable); a human reference needs at least 2 (a hundred or more is better)\n")
    result, _ = scan(tmp_path, "nofield", [corpus], tiny_model_dir, "--human-before", CUTOFF, "--date-field", "published")
    assert result.exit_code == 2 and "0 found (380 without a date, 0 unreadable)" in result.stderr


# ----------------------------------------------------------------------------- the headline


@pytest.fixture(scope="module")
def wide_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with a large measured cross-domain error: without an in-domain reference, wide intervals."""
    out = tmp_path_factory.mktemp("wide") / "model"
    shutil.copytree(tiny_model_dir, out)
    metadata = json.loads((out / "model.json").read_text())
    metadata["validation"]["estimation_error"]["p90_abs"] = 0.4
    (out / "model.json").write_text(json.dumps(metadata))
    return out


def report_headline(out):
    md = (out / "report.md").read_text(encoding="utf-8").splitlines()[2]
    html = (out / "report.html").read_text(encoding="utf-8")
    return md, html


def test_narrow_interval_keeps_the_point_estimate(tmp_path, tiny_model_dir):
    result, summary = scan(tmp_path, "narrow", [write_jsonl(tmp_path / "c.jsonl", records())], tiny_model_dir)
    fraction = summary["synthetic_fraction"]
    assert fraction["informative"] is True and fraction["next_step"] is None and fraction["high"] - fraction["low"] <= 0.3
    line = f"{fraction['estimate']:.2f} (95% CI {fraction['low']:.2f}-{fraction['high']:.2f})"
    assert result.stderr.splitlines()[1] == f"synthetic fraction {line}"
    md, html = report_headline(tmp_path / "narrow")
    assert md == f"**Synthetic fraction {line}**, method em, over 380 documents."
    # (another method's row may still read "uninformative": acc's interval can be wider than em's)
    assert f'<div class="big">Synthetic fraction {line}</div>' in html and "Synthetic fraction: uninformative" not in html


def test_wide_interval_is_uninformative(tmp_path, wide_model_dir):
    rows = [{"text": row["text"]} for row in records()[:60]]
    result, summary = scan(tmp_path, "wide", [write_jsonl(tmp_path / "c.jsonl", rows)], wide_model_dir)
    fraction = summary["synthetic_fraction"]
    assert fraction["high"] - fraction["low"] > 0.3 and fraction["informative"] is False
    assert 0.0 <= fraction["estimate"] <= 1.0  # the point estimate stays in summary.json
    assert fraction["next_step"] == GENERAL_STEP
    ci = f"95% CI {fraction['low']:.2f}-{fraction['high']:.2f}"
    assert result.stderr.splitlines()[1] == (
        f"synthetic fraction: uninformative for this corpus ({ci}); give a human reference: --reference-human FILE "
        "(a hundred or more documents of this corpus's kind known to be human), or --human-before DATE --date-field FIELD")
    md, html = report_headline(tmp_path / "wide")
    assert md == (f"**Synthetic fraction: uninformative for this corpus** ({ci}), method em, over 60 documents; give a human "
                  "reference: --reference-human FILE (a hundred or more documents of this corpus's kind known to be human), "
                  "or --human-before DATE --date-field FIELD.")
    assert f"**Synthetic fraction {fraction['estimate']:.2f}" not in (tmp_path / "wide" / "report.md").read_text()
    assert '<div class="big">Synthetic fraction: uninformative for this corpus</div>' in html
    assert (f"<div>{ci}; give a human reference: --reference-human FILE (a hundred or more documents of this corpus&#39;s "
            "kind known to be human), or --human-before DATE --date-field FIELD</div>") in html
    assert f"<title>auditor report: synthetic fraction uninformative ({ci})</title>" in html


def test_wide_interval_names_the_corpus_date_field_and_the_fix_works(tmp_path, wide_model_dir):
    rows = [{"text": row["text"], "created_at": f"2020-01-{1 + i % 28:02d}T00:00:00Z"} for i, row in enumerate(records()[:60])]
    corpus = write_jsonl(tmp_path / "c.jsonl", rows)
    result, summary = scan(tmp_path, "wide", [corpus], wide_model_dir)
    fraction = summary["synthetic_fraction"]
    assert fraction["informative"] is False
    ci = f"95% CI {fraction['low']:.2f}-{fraction['high']:.2f}"
    assert result.stderr.splitlines()[1] == (
        f"synthetic fraction: uninformative for this corpus ({ci}); give a human reference from the corpus itself: "
        "--human-before DATE --date-field created_at (its documents carry dates in 'created_at')")
    md, _ = report_headline(tmp_path / "wide")
    assert md.endswith("; give a human reference from the corpus itself: --human-before DATE --date-field created\\_at "
                       "(its documents carry dates in 'created\\_at').")
    # Following the advice: the in-domain reference drops the cross-domain allowance.
    result, fixed = scan(tmp_path, "fixed", [corpus], wide_model_dir, "--human-before", CUTOFF, "--date-field", "created_at")
    assert fixed["synthetic_fraction"]["informative"] is True
    assert result.stderr.splitlines()[1].startswith("synthetic fraction 0.")


def test_headline_steps():
    wide = {"estimate": 0.1, "low": 0.0, "high": 0.5, "confidence": 0.95}
    assert headline(wide) == f"synthetic fraction: uninformative for this corpus (95% CI 0.00-0.50); {GENERAL_STEP}"
    assert headline({**wide, "high": 0.3}) == "synthetic fraction 0.10 (95% CI 0.00-0.30)"  # 0.3 wide: still informative
    assert headline({**wide, "informative": False, "next_step": "scan more documents: the interval of fewer than 20 is [0, 1]"}) == (
        "synthetic fraction: uninformative for this corpus (95% CI 0.00-0.50); scan more documents: the interval of fewer than 20 is [0, 1]")
    from auditor.report.headline import next_step

    assert next_step(10, None, False) == "scan more documents: the interval of fewer than 20 is [0, 1]"
    assert next_step(500, 40, False) == "give a larger human reference (40 documents now; a hundred or more of this corpus's kind)"
    assert next_step(500, 400, False).startswith("give a machine reference: --reference-machine FILE")


def test_a_number_too_large_for_a_float_is_an_unreadable_date_not_a_crash(tmp_path, tiny_model_dir):
    huge = int("9" * 400)
    assert parse_when(huge) is None
    lines = [json.loads(line) for line in sample_lines("human_stdlib_docstrings.jsonl")[:30]]
    corpus = tmp_path / "dated.jsonl"
    corpus.write_text("".join(json.dumps({**r, "date": huge}) + "\n" for r in lines), encoding="utf-8")
    # A plain scan looks for a date-like field to suggest; --human-before counts the value as unreadable.
    plain = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(tmp_path / "a"), "--model", str(tiny_model_dir), "--quiet"])
    assert plain.exit_code == 0, plain.output
    dated = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(tmp_path / "b"), "--model", str(tiny_model_dir), "--quiet",
                                     "--human-before", "2022-11-30", "--date-field", "date"])
    assert dated.exit_code == 2 and "30 unreadable" in dated.output
