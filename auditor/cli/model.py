"""``auditor train`` and ``auditor evaluate``."""

from __future__ import annotations

import click

from auditor.cli._common import FiniteFloat, echo, echo_json, echo_table, handle_errors, reader_from, reader_options
from auditor.evaluate import EvaluateOptions, evaluate
from auditor.metrics import metrics_table
from auditor.training import TrainOptions, train


def _field_value(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        name, sep, wanted = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r} is not FIELD=VALUE")
        pairs.append((name, wanted))
    return tuple(pairs)


@click.command("train")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Model directory to write.")
@reader_options
@click.option("--label-field", default="label", show_default=True, help="Field holding human / machine (or 0 / 1).")
@click.option("--group-field", default="source", show_default=True,
              help="Field whose values are held out one at a time for validation and threshold choice.")
@click.option("--report-field", "report_fields", multiple=True, help="Also break validation figures down by this field (repeatable).")
@click.option("--exclude", multiple=True, callback=_field_value, metavar="FIELD=VALUE",
              help="Leave records with this field value out of training (repeatable).")
@click.option("--name", default="auditor-model", show_default=True, help="Model name recorded in its metadata.")
@click.option("--max-fpr", default=0.05, show_default=True, type=FiniteFloat(0, 1, min_open=True, max_open=True),
              help="Held-out false-positive rate allowed on every human group; sets the threshold.")
@click.option("--quiet", is_flag=True, help="No progress messages on stderr.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def train_command(paths: tuple[str, ...], out: str, fmt: str, text_field: str, id_field: str | None, strict: bool, max_doc_chars: int,
                  label_field: str, group_field: str, report_fields: tuple[str, ...], exclude: tuple[tuple[str, str], ...],
                  name: str, max_fpr: float, quiet: bool, debug: bool) -> None:
    """Train a detector on labelled documents and write it to OUT (arrays + JSON, no pickles).

    Validation is leave-one-group-out over --group-field; the threshold is the
    smallest with held-out FPR <= --max-fpr on every human group. Needs the
    'train' extra (pip install 'auditor[train]') for the word-frequency table.

    \b
    Example:
      auditor train labelled.jsonl --out models/mine --group-field source
    """
    options = TrainOptions(
        reader=reader_from(fmt, text_field, id_field, strict, max_doc_chars), label_field=label_field, group_field=group_field,
        report_fields=report_fields, exclude=exclude, name=name, max_fpr=max_fpr,
    )
    say = None if quiet else (lambda message: echo(message, err=True))
    stored = train(list(paths), out, options, progress=say)
    if not quiet:
        meta = stored.metadata
        echo_table(metrics_table({"overall": meta["validation"]["overall"], "by_group": meta["validation"][f"by_{group_field}"]},
                                 group_title=group_field), err=True)
        echo(f"threshold {meta['threshold']:.4f} ({meta['threshold_rule']})", err=True)
        echo(f"wrote {out} (arrays sha256 {stored.sha256[:12]}...)", err=True)


@click.command("evaluate")
@click.argument("paths", nargs=-1, required=True)
@click.option("--model", "model_path", default=None, type=click.Path(), help="Model directory  [default: the shipped model].")
@reader_options
@click.option("--label-field", default="label", show_default=True, help="Field holding human / machine (or 0 / 1).")
@click.option("--group-field", default="source", show_default=True, help="Report metrics per value of this field.")
@click.option("--threshold", default=None, type=FiniteFloat(0, 1), help="Threshold for FPR/TPR  [default: the model's].")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON on stdout.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
@handle_errors
def evaluate_command(paths: tuple[str, ...], model_path: str | None, fmt: str, text_field: str, id_field: str | None,
                     strict: bool, max_doc_chars: int, label_field: str, group_field: str, threshold: float | None, as_json: bool, debug: bool) -> None:
    """AUROC, TPR at 1% and 5% FPR, FPR and TPR at the threshold: overall and per group.

    \b
    Example:
      auditor evaluate held_out.jsonl --group-field source
    """
    options = EvaluateOptions(reader=reader_from(fmt, text_field, id_field, strict, max_doc_chars), label_field=label_field,
                              group_field=group_field, model=model_path, threshold=threshold)
    result = evaluate(list(paths), options)
    if as_json:
        echo_json(result)
        return
    echo(f"model {result['model']['name']} (sha256 {result['model']['sha256'][:12]}...)")
    echo_table(metrics_table(result, group_title=group_field))
    skipped = result["skipped"]
    if skipped["total"]:
        echo(f"skipped {skipped['total']} records", err=True)
