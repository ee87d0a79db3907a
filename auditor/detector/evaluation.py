"""``auditor evaluate``: detection metrics on labelled data, overall and per group.

Two modes:

- a model's scores (:func:`evaluate`): the shipped model, or ``--model``, scores the data;
- held-out scores (:func:`leave_one_out`): the data is used to train *and* validate,
  leaving one value of a field out at a time exactly as ``auditor train`` does
  (:func:`auditor.detector.training.validate`), which reproduces a model card's tables.
- held out *on top of* the folds (``folds`` given, and always for ``style``): the
  documents with one value of the field are kept out of every fold's training while
  the folds leave one ``folds`` value out, so they are scored by models that saw
  neither that value nor their own fold, and compared with the held-out humans of
  their folds. This is the strict form of leave-one-source-out: a source that is all
  machine text (or all human) has no AUROC of its own, and pooling the scores of
  models that each missed a different source mixes their scales. For ``style`` (a
  field only machine texts carry) it is the card's "trained without humanized,
  tested on it".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TypedDict

import numpy as np

from auditor.detector.metrics import detection_metrics, grouped_metrics
from auditor.detector.scorer import Detector, load_detector
from auditor.detector.training import LabelledFeatures, TrainOptions, Validated, extract_features, validate
from auditor.errors import InputError
from auditor.io.documents import ReaderOptions
from auditor.summary import ReasonCounts

STYLE = "style"


@dataclass(frozen=True)
class EvaluateOptions:
    """Settings of ``auditor evaluate``.

    Attributes:
        reader: how the labelled inputs are read.
        label_field / group_field: label (``human`` / ``machine`` or 0 / 1) and grouping fields.
        model: model directory (None: the shipped default).
        threshold: threshold for the at-threshold rates (None: the model's).
    """

    reader: ReaderOptions = field(default_factory=ReaderOptions)
    label_field: str = "label"
    group_field: str = "source"
    model: str | None = None
    threshold: float | None = None


class EvaluatedModel(TypedDict):
    name: str
    sha256: str
    threshold: float


class Evaluation(TypedDict):
    """What :func:`evaluate` returns (``auditor evaluate --json``)."""

    model: EvaluatedModel
    inputs: list[str]
    group_field: str
    overall: dict[str, object]
    by_group: dict[str, dict[str, object]]
    skipped: ReasonCounts


def evaluate(paths: Sequence[str], options: EvaluateOptions = EvaluateOptions(), detector: Detector | None = None) -> Evaluation:
    """Score labelled documents and return ``{"model", "group_field", "overall", "by_group", "skipped"}``."""
    detector = detector if detector is not None else load_detector(options.model)
    threshold = detector.threshold if options.threshold is None else options.threshold
    data = extract_features(
        paths, TrainOptions(reader=options.reader, label_field=options.label_field, group_field=options.group_field), detector.table
    )
    scores = detector.probability(data.X, data.words)
    metrics = grouped_metrics(data.y, scores, data.groups, threshold)
    return {
        "model": {"name": detector.name, "sha256": detector.sha256, "threshold": detector.threshold},
        "inputs": list(paths),
        "group_field": options.group_field,
        **metrics,
        "skipped": data.report.to_dict()["skipped"],
    }


def leave_one_out(paths: Sequence[str], field_name: str, options: TrainOptions, detector: Detector | None = None,
                  threshold: float | None = None, folds: str | None = None) -> dict[str, object]:
    """Held-out metrics leaving one ``field_name`` value out at a time (see the module docstring).

    ``options`` are the training settings (estimator, exclusions, weights, the threshold rule,
    ``report_fields``). Without ``folds`` its ``group_field`` is replaced by ``field_name``;
    with ``folds`` (and for ``style``, where ``folds`` defaults to ``group_field``), each
    ``field_name`` value is held out on top of folds over ``folds``. The word-frequency
    table is the model's (``detector``, default the shipped one), so no training extra is
    needed. ``threshold``: report rates at it instead of the one the held-out scores choose.
    """
    detector = detector if detector is not None else load_detector()
    if folds is None and field_name == STYLE:
        folds = options.group_field
    if folds is not None:
        options = replace(options, group_field=folds, report_fields=tuple(dict.fromkeys((*options.report_fields, field_name))))
    else:
        options = replace(options, group_field=field_name)
    data = extract_features(paths, options, detector.table)
    result: dict[str, object] = {"mode": "leave-one-out", "field": field_name, "inputs": list(paths),
                                 "estimator": options.estimator, "skipped": data.report.to_dict()["skipped"]}
    if folds is None:
        checked = validate(data, options)
        at = checked.threshold if threshold is None else threshold
        valid = checked.held_out.scored
        result.update(threshold=at, folds=checked.held_out.folds,
                      **grouped_metrics(data.y[valid], checked.p[valid], data.groups[valid], at),
                      **{f"by_{name}": grouped_metrics(data.y[valid], checked.p[valid], values[valid], at)["by_group"]
                         for name, values in data.fields.items() if name != options.group_field})
        return result
    by_value: dict[str, object] = {}
    for value, rows, checked, own_folds in held_out_on_top_of_folds(data, field_name, options):
        at = checked.threshold if threshold is None else threshold
        by_value[value] = {**detection_metrics(data.y[rows], checked.p[rows], at),
                           "held_out_with": f"the humans of its {options.group_field} ({', '.join(sorted(map(str, own_folds)))})"}
    result.update(group_field=options.group_field, by_group=by_value)
    return result


def held_out_on_top_of_folds(
    data: LabelledFeatures, field_name: str, options: TrainOptions
) -> Iterator[tuple[str, np.ndarray, Validated, set[str]]]:
    """For each value of ``field_name``: keep its documents out of every fold (folds over ``options.group_field``).

    Yields ``(value, rows, validated, own_folds)``: ``rows`` are the value's documents and the
    held-out humans of the folds it spans (``own_folds``), the set its figures are computed on.
    """
    values = data.fields[field_name]
    held_values = sorted({v for v in values.tolist() if v not in ("", "None")})
    if not held_values:
        raise InputError(f"no {'machine document' if field_name == STYLE else 'document'} has a {field_name!r} field: "
                         "nothing to hold out")
    for value in held_values:
        unseen = values == value
        checked = validate(data, options, unseen=unseen)
        own_folds = set(data.groups[unseen].tolist())
        rows = checked.held_out.scored & (unseen | ((data.y == 0) & np.isin(data.groups, sorted(own_folds))))
        yield value, rows, checked, own_folds
