"""``auditor evaluate``: detection metrics of a model on labelled data, overall and per group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from auditor.detector import Detector, load_detector
from auditor.metrics import grouped_metrics
from auditor.readers import ReaderOptions
from auditor.training import TrainOptions, extract_features


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
    scores = detector.estimator.predict_proba(data.X)[:, 1]
    metrics = grouped_metrics(data.y, scores, data.groups, threshold)
    return {
        "model": {"name": detector.name, "sha256": detector.sha256, "threshold": detector.threshold},
        "inputs": list(paths),
        "group_field": options.group_field,
        **metrics,
        "skipped": data.report.to_dict()["skipped"],
    }
