"""``auditor evaluate``: detection metrics on labelled data, overall and per group.

Two modes:

- a model's scores (:func:`evaluate`): the shipped model, or ``--model``, scores the data;
- held-out scores (:func:`leave_one_out`): the data is used to train *and* validate,
  leaving one value of a field out at a time exactly as ``auditor train`` does
  (:func:`auditor.training.validate`), which reproduces a model card's tables. The
  field ``style`` is special: machine texts of one style are kept out of every
  fold's training while the folds leave one ``group_field`` value out, so a style is
  scored by models that saw neither it nor the documents' own group (the card's
  "trained without humanized, tested on it").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from auditor.detector import Detector, load_detector
from auditor.errors import InputError
from auditor.metrics import detection_metrics, grouped_metrics
from auditor.readers import ReaderOptions
from auditor.training import TrainOptions, extract_features, validate

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


def evaluate(paths: Sequence[str], options: EvaluateOptions = EvaluateOptions(), detector: Detector | None = None) -> dict[str, object]:
    """Score labelled documents and return ``{"model", "group_field", "overall", "by_group", "skipped"}``."""
    detector = detector if detector is not None else load_detector(options.model)
    threshold = detector.threshold if options.threshold is None else options.threshold
    data = extract_features(
        paths, TrainOptions(reader=options.reader, label_field=options.label_field, group_field=options.group_field), detector.table
    )
    scores = detector.probability(data.X)
    metrics = grouped_metrics(data.y, scores, data.groups, threshold)
    return {
        "model": {"name": detector.name, "sha256": detector.sha256, "threshold": detector.threshold},
        "inputs": list(paths),
        "group_field": options.group_field,
        **metrics,
        "skipped": data.report.to_dict()["skipped"],
    }


def leave_one_out(paths: Sequence[str], field_name: str, options: TrainOptions, detector: Detector | None = None,
                  threshold: float | None = None) -> dict[str, object]:
    """Held-out metrics leaving one ``field_name`` value out at a time (see the module docstring).

    ``options`` are the training settings (estimator, exclusions, weights, the threshold rule,
    ``report_fields``); its ``group_field`` is replaced by ``field_name``, except for ``style``,
    where it gives the folds. The word-frequency table is the model's (``detector``, default
    the shipped one), so no training extra is needed. ``threshold``: report rates at it
    instead of the one the held-out scores choose.
    """
    detector = detector if detector is not None else load_detector()
    if field_name == STYLE:
        options = replace(options, report_fields=tuple(dict.fromkeys((*options.report_fields, STYLE))))
    else:
        options = replace(options, group_field=field_name)
    data = extract_features(paths, options, detector.table)
    result: dict[str, object] = {"mode": "leave-one-out", "field": field_name, "inputs": list(paths),
                                 "estimator": options.estimator, "skipped": data.report.to_dict()["skipped"]}
    if field_name != STYLE:
        checked = validate(data, options)
        at = checked.threshold if threshold is None else threshold
        valid = checked.held_out.scored
        result.update(threshold=at, folds=checked.held_out.folds,
                      **grouped_metrics(data.y[valid], checked.p[valid], data.groups[valid], at),
                      **{f"by_{name}": grouped_metrics(data.y[valid], checked.p[valid], values[valid], at)["by_group"]
                         for name, values in data.fields.items() if name != options.group_field})
        return result
    styles = data.fields[STYLE]
    held_styles = sorted({s for s in styles[data.y == 1].tolist() if s not in ("", "None")})
    if not held_styles:
        raise InputError(f"no machine document has a {STYLE!r} field: nothing to hold out")
    by_style: dict[str, object] = {}
    for style in held_styles:
        unseen = (styles == style) & (data.y == 1)
        checked = validate(data, options, unseen=unseen)
        at = checked.threshold if threshold is None else threshold
        families = set(data.groups[unseen].tolist())
        rows = checked.held_out.scored & (unseen | ((data.y == 0) & np.isin(data.groups, sorted(families))))
        by_style[style] = {**detection_metrics(data.y[rows], checked.p[rows], at),
                           "held_out_with": f"the humans of its {options.group_field} ({', '.join(sorted(map(str, families)))})"}
    result.update(group_field=options.group_field, by_group=by_style)
    return result
