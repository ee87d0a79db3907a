"""``auditor train`` and ``auditor evaluate``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from auditor.cli.options import FiniteFloat, reader_from, reader_options
from auditor.cli.output import echo, echo_json, echo_table, handle_errors
from auditor.detector.evaluation import EvaluateOptions, Evaluation, evaluate, leave_one_out
from auditor.detector.metrics import metrics_table
from auditor.detector.training import ESTIMATORS, TrainOptions, train


def _field_value(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        name, sep, wanted = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r} is not FIELD=VALUE")
        pairs.append((name, wanted))
    return tuple(pairs)


def training_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say how a detector is trained and validated (``train``; ``evaluate --leave-one-out``)."""
    for decorator in reversed([
        click.option("--label-field", default="label", show_default=True, help="Field holding human / machine (or 0 / 1)."),
        click.option("--report-field", "report_fields", multiple=True, help="Also break validation figures down by this field (repeatable)."),
        click.option("--exclude", multiple=True, callback=_field_value, metavar="FIELD=VALUE",
                     help="Leave records with this field value out of training (repeatable)."),
        click.option("--estimator", type=click.Choice(ESTIMATORS), default="trees", show_default=True,
                     help="Boosted trees with a calibrated p_synthetic, or the earlier linear model (to compare)."),
        click.option("--weight-field", default=None, help="Every (value, label) cell of this field weighs the same  [default: --group-field]."),
        click.option("--threshold-field", default=None,
                     help="The threshold keeps held-out FPR <= --max-fpr in every human group of this field  [default: --group-field]."),
        click.option("--max-fpr", default=0.05, show_default=True, type=FiniteFloat(0, 1, min_open=True, max_open=True),
                     help="Held-out false-positive rate allowed on every human group; sets the threshold."),
        click.option("--trees", default=200, show_default=True, type=click.IntRange(min=1), help="Boosting rounds (--estimator trees)."),
        click.option("--length-band", "length_bands", multiple=True, type=click.IntRange(min=0), default=(80,), show_default=True,
                     metavar="WORDS", help="Calibrate documents shorter than WORDS words apart from longer ones (repeatable; "
                                           "--length-band 0 for one calibration)."),
    ]):
        command = decorator(command)
    return command


def _train_options(label_field: str, report_fields: tuple[str, ...], exclude: tuple[tuple[str, str], ...], estimator: str,
                   weight_field: str | None, threshold_field: str | None, max_fpr: float, trees: int, length_bands: tuple[int, ...],
                   **more: Any) -> TrainOptions:
    bands = tuple(sorted(set(edge for edge in length_bands if edge > 0)))  # 0 alone: a single band
    return TrainOptions(label_field=label_field, report_fields=report_fields, exclude=exclude, estimator=estimator,
                        weight_field=weight_field, threshold_field=threshold_field, max_fpr=max_fpr, trees=trees,
                        length_bands=bands, **more)


@click.command("train")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Model directory to write.")
@reader_options
@click.option("--group-field", default="source", show_default=True,
              help="Field whose values are held out one at a time for validation, calibration and threshold choice.")
@training_options
@click.option("--name", default="auditor-model", show_default=True, help="Model name recorded in its metadata.")
@click.option("--json", "as_json", is_flag=True, help="Print the model written and its held-out figures as JSON on stdout.")
@click.option("--quiet", is_flag=True, help="No progress messages or figures on stderr.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def train_command(paths: tuple[str, ...], out: str, fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int, csv_delimiter: str | None, encoding: str,
                  group_field: str, name: str, as_json: bool, quiet: bool, debug: bool, **training: Any) -> None:
    """Train a detector on labelled documents and write it to OUT (arrays + JSON, no pickles).

    Validation is leave-one-group-out over --group-field: each group is scored by a
    model trained on the others. p_synthetic is calibrated on those held-out scores
    (trees), and the threshold is the smallest round number with held-out FPR <=
    --max-fpr on every human group of --threshold-field. Needs the 'train' extra
    (pip install 'auditor[train]') for the word-frequency table.

    \b
    Example:
      auditor train labelled.jsonl --out models/mine --group-field source
    """
    options = _train_options(**training, reader=reader_from(fmt, text_field, id_field, strict, max_doc_chars, csv_delimiter, encoding),
                             group_field=group_field, name=name)
    say = None if quiet else (lambda message: echo(message, err=True))
    stored = train(list(paths), out, options, progress=say)
    meta = stored.metadata
    # The held-out figures as 'auditor evaluate' shows a model's: overall and by --group-field.
    figures = {"overall": meta["validation"]["overall"], "by_group": meta["validation"][f"by_{group_field}"]}
    if not quiet:
        echo_table(metrics_table(figures, group_title=group_field), err=True)
        echo(f"threshold {meta['threshold']:.4f} ({meta['threshold_rule']})", err=True)
        echo(f"wrote {out} (arrays sha256 {stored.sha256[:12]}...)", err=True)
    if as_json:
        echo_json({"model": {"name": meta["name"], "path": out, "sha256": stored.identity, "arrays_sha256": stored.sha256,
                             "threshold": meta["threshold"]},
                   "threshold_rule": meta["threshold_rule"], "inputs": list(paths), "group_field": group_field,
                   "documents": meta["training"]["documents"], "skipped": meta["training"]["skipped"], **figures})


@click.command("evaluate")
@click.argument("paths", nargs=-1, required=True)
@click.option("--model", "model_path", default=None, type=click.Path(), help="Model directory  [default: the shipped model].")
@reader_options
@click.option("--group-field", default="source", show_default=True,
              help="Report metrics per value of this field (with --leave-one-out style: the field whose values are the folds).")
@click.option("--threshold", default=None, type=FiniteFloat(0, 1),
              help="Threshold for FPR/TPR  [default: the model's; with --leave-one-out, the one the held-out scores choose].")
@click.option("--leave-one-out", "leave_out", default=None, metavar="FIELD",
              help="Train and validate on the data instead, leaving one FIELD value out at a time (family, source, ...); "
                   "'style' keeps each machine style out of training while the folds leave one --group-field value out.")
@click.option("--folds", default=None, metavar="FIELD",
              help="With --leave-one-out: hold each value out on top of folds that leave one FIELD value out, and compare it "
                   "with the held-out humans of its folds (style: --group-field is the default).")
@training_options
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON on stdout instead of the table.")
@click.option("--quiet", is_flag=True, help="Print nothing but what --json asks for (errors still go to stderr).")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def evaluate_command(paths: tuple[str, ...], model_path: str | None, fmt: str, text_field: str, id_field: str | None,
                     strict: bool, max_doc_chars: int, csv_delimiter: str | None, encoding: str, group_field: str, threshold: float | None, leave_out: str | None,
                     folds: str | None, as_json: bool, quiet: bool, debug: bool, **training: Any) -> None:
    """AUROC, TPR at 1% and 5% FPR, FPR and TPR at the threshold: overall and per group.

    Without --leave-one-out the model scores the data; the training options are then
    not used. With it, the data trains and validates detectors as 'auditor train'
    does, and the figures are held-out (the model card's tables).

    \b
    Example:
      auditor evaluate held_out.jsonl --group-field source
      auditor evaluate pool.jsonl.gz --leave-one-out family --report-field domain
      auditor evaluate pool.jsonl.gz --leave-one-out source --folds family
    """
    reader = reader_from(fmt, text_field, id_field, strict, max_doc_chars, csv_delimiter, encoding)
    options: TrainOptions | EvaluateOptions  # by mode, as is the result
    result: dict[str, object] | Evaluation
    if leave_out is not None:
        from auditor.detector.scorer import load_detector

        options = _train_options(**training, reader=reader, group_field=group_field)
        result = leave_one_out(list(paths), leave_out, options, load_detector(model_path), threshold, folds)
        if as_json:
            echo_json(result)
        if as_json or quiet:
            return
        title = leave_out if leave_out != "style" else "style"
        echo(f"held out: one {leave_out} at a time ({result['estimator']}); threshold {result.get('threshold', threshold)}")
        echo_table(metrics_table(result, group_title=title))
        for name in (key for key in result if key.startswith("by_") and key != "by_group"):
            echo_table(metrics_table({"by_group": result[name]}, group_title=name[3:]))
        return
    options = EvaluateOptions(reader=reader, label_field=training["label_field"], group_field=group_field, model=model_path,
                              threshold=threshold)
    result = evaluate(list(paths), options)
    if as_json:
        echo_json(result)
    elif not quiet:
        echo(f"model {result['model']['name']} (sha256 {result['model']['sha256'][:12]}...)")
        echo_table(metrics_table(result, group_title=group_field))
    skipped = result["skipped"]
    if skipped["total"] and not quiet:  # on stderr, as every command's summary lines, with --json too
        echo(f"skipped {skipped['total']} records", err=True)
