"""``auditor train``: fit the detector, validate it across groups, calibrate it, choose its threshold, store it.

Validation is leave-one-group-out (``group_field``; the shipped model holds out one
*family* of writing at a time): for each group, a detector trained on all the others
scores it (:mod:`auditor.detector.validation`). Those held-out scores give every validation
figure in ``model.json``, the calibration of ``p_synthetic``, the threshold, and the
score distributions the corpus-level estimator uses; the shipped detector is then
fitted on everything. No figure is computed on documents the scoring model was
trained on.

Two estimators: ``trees`` (default; boosted trees, :mod:`auditor.detector.boosting`, stored as
``auditor.model/3`` with a calibration) and ``linear`` (the earlier logistic
regression, :mod:`auditor.detector.linear`, stored as ``auditor.model/1``, uncalibrated; kept to
compare against). Every (``weight_field`` value, label) cell weighs the same in
training, so no family's majority class dominates.

Training is deterministic: the trees' binning has a fixed seed and no early
stopping draws a split, L-BFGS runs on fixed data, and :mod:`auditor.detector.store` writes
byte-identical files for identical input.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from auditor.corpus.batches import FingerprintOptions, fingerprint_batches
from auditor.detector.boosting import BoostedDetector
from auditor.detector.calibration import PRIOR, LengthCalibration
from auditor.detector.linear import LinearDetector
from auditor.detector.metrics import detection_metrics, grouped_metrics
from auditor.detector.scorer import DETECTOR_FINGERPRINT, EXCLUDED_FINGERPRINT, detector_feature_names, feature_matrix
from auditor.detector.store import FORMAT, LINEAR_FORMAT, StoredModel, library_versions, save_model
from auditor.detector.validation import (
    Estimator,
    HeldOut,
    balanced_weights,
    choose_round_threshold,
    choose_threshold,
    held_out_raw,
    reference_mismatch,
)
from auditor.errors import InputError
from auditor.features.style import FrequencyTable
from auditor.io.documents import Document, ReaderOptions
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents
from auditor.lock import output_lock

__all__ = ["TrainOptions", "LabelledFeatures", "Validated", "balanced_weights", "choose_threshold", "extract_features", "train", "validate"]
ESTIMATORS = ("trees", "linear")

_LABELS = {"human": 0, "0": 0, "machine": 1, "1": 1}


@dataclass(frozen=True)
class TrainOptions:
    """Settings of ``auditor train``.

    Attributes:
        reader: how the labelled inputs are read (``text_field`` etc.).
        label_field: field holding ``human`` / ``machine`` (or 0 / 1).
        group_field: field whose values are held out one at a time for validation.
        weight_field: field whose (value, label) cells weigh the same in training (None: ``group_field``).
        threshold_field: the threshold keeps held-out FPR <= ``max_fpr`` in every human group of
            this field (None: ``group_field``).
        report_fields: more fields to break the held-out figures down by (e.g. ``generator``).
        exclude: ``(field, value)`` pairs; matching records are left out of training.
        name: model name recorded in the metadata.
        estimator: ``trees`` (:class:`~auditor.detector.boosting.BoostedDetector`, calibrated) or ``linear``.
        trees / learning_rate / max_leaf_nodes / min_samples_leaf: the trees' parameters.
        C / clip: :class:`~auditor.detector.linear.LinearDetector` parameters.
        max_fpr: held-out false-positive rate allowed on every human group.
        length_bands: word counts where the calibration's length bands end (trees only; an edge is
            dropped when a band would hold fewer than 20 held-out documents of a class).
        frequency_words: size of the word-frequency table (most frequent words).
    """

    reader: ReaderOptions = field(default_factory=ReaderOptions)
    label_field: str = "label"
    group_field: str = "source"
    weight_field: str | None = None
    threshold_field: str | None = None
    report_fields: tuple[str, ...] = ()
    exclude: tuple[tuple[str, str], ...] = ()
    name: str = "auditor-model"
    estimator: str = "trees"
    trees: int = 200
    learning_rate: float = 0.08
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 40
    C: float = 0.1
    clip: float = 8.0
    max_fpr: float = 0.05
    length_bands: tuple[int, ...] = (80,)
    frequency_words: int = 200_000

    def __post_init__(self) -> None:
        if not 0.0 < self.max_fpr < 1.0:
            raise ValueError(f"max_fpr must be in (0, 1), got {self.max_fpr}")
        if self.C <= 0 or self.clip <= 0:
            raise ValueError("C and clip must be positive")
        if not self.name:
            raise ValueError("the model needs a name (--name): model.json requires a non-empty one")
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, got {self.estimator!r}")
        if any(edge < 1 for edge in self.length_bands) or list(self.length_bands) != sorted(set(self.length_bands)):
            raise ValueError(f"length bands must be increasing positive word counts, got {list(self.length_bands)}")
        if self.trees < 1 or not 0 < self.learning_rate <= 1 or self.max_leaf_nodes < 2 or self.min_samples_leaf < 1:
            raise ValueError("trees >= 1, 0 < learning_rate <= 1, max_leaf_nodes >= 2 and min_samples_leaf >= 1 are required")

    @property
    def cells_field(self) -> str:
        return self.weight_field or self.group_field

    @property
    def fpr_field(self) -> str:
        return self.threshold_field or self.group_field

    def make_estimator(self) -> Estimator:
        """A fresh, unfitted estimator with these settings."""
        if self.estimator == "linear":
            return LinearDetector(C=self.C, clip=self.clip)
        return BoostedDetector(max_iter=self.trees, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
                               min_samples_leaf=self.min_samples_leaf)
        for name, value in self.exclude:
            if not name:
                raise ValueError(f"exclusion {name}={value} needs a field name (FIELD=VALUE)")


@dataclass
class LabelledFeatures:
    """Detector inputs of a labelled corpus (one row per document kept)."""

    X: np.ndarray
    y: np.ndarray
    words: np.ndarray
    groups: np.ndarray
    fields: dict[str, np.ndarray]
    report: ReadReport
    excluded: int


def _label(doc: Document, label_field: str) -> int:
    value = doc.fields.get(label_field)
    if isinstance(value, float) and value in (0.0, 1.0):  # Parquet / pandas often store 0 / 1 as floats
        value = int(value)
    label = _LABELS.get(str(value).strip().lower()) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if label is None:
        raise InputError(
            f"{doc.source}:{doc.record}: {label_field!r} is {value!r}, expected 'human' or 'machine' (or 0 / 1); "
            "fix the record or pass --label-field with the right field"
        )
    return label


def extract_features(paths: Sequence[str], options: TrainOptions, table: FrequencyTable) -> LabelledFeatures:
    """Read labelled documents and compute their detector features."""
    wanted = (options.label_field, options.group_field, options.cells_field, options.fpr_field, *options.report_fields,
              *(name for name, _ in options.exclude))
    reader = replace(options.reader, extra_fields=tuple(dict.fromkeys(wanted)))
    report = ReadReport()
    excluded = 0

    def kept() -> Iterator[Document]:
        nonlocal excluded
        for doc in read_documents(paths, reader, report):
            if any(str(doc.fields.get(name)) == value for name, value in options.exclude):
                excluded += 1
                continue
            yield doc

    blocks: list[np.ndarray] = []
    words: list[np.ndarray] = []
    labels: list[int] = []
    meta: dict[str, list[str]] = {name: [] for name in dict.fromkeys((options.group_field, options.cells_field, options.fpr_field,
                                                                       *options.report_fields))}
    for batch in fingerprint_batches(kept(), FingerprintOptions(reader=reader, near_duplicates=False)):
        blocks.append(feature_matrix(batch.texts, batch.tokens, batch.features, table))
        words.append(np.asarray(batch.features["words"], dtype=np.float64))
        for doc in batch.documents:
            labels.append(_label(doc, options.label_field))
            for name, values in meta.items():
                values.append(str(doc.fields.get(name)))
    if not labels:
        raise InputError(f"no labelled documents left in {', '.join(paths)} (after {excluded} excluded)")
    fields = {name: np.array(values, dtype=object) for name, values in meta.items()}
    return LabelledFeatures(np.vstack(blocks), np.array(labels), np.concatenate(words), fields[options.group_field], fields, report,
                            excluded)


@dataclass
class Validated:
    """What held-out validation gives: ``p_synthetic`` of every document from a model that never saw its group.

    ``p`` is NaN where no fold could score a document. ``calibration`` (trees only) maps raw
    scores to ``p``; the threshold follows :func:`~auditor.detector.validation.choose_round_threshold`
    (trees) or :func:`~auditor.detector.validation.choose_threshold` (linear, its exact value).
    """

    held_out: HeldOut
    p: np.ndarray
    calibration: LengthCalibration | None
    threshold: float


def validate(data: LabelledFeatures, options: TrainOptions, unseen: np.ndarray | None = None) -> Validated:
    """Leave one ``group_field`` group out, calibrate on the held-out scores, choose the threshold.

    ``unseen`` marks documents no fold trains on (a machine style held out on top of the groups).
    """
    cells, fpr_groups = data.fields[options.cells_field], data.fields[options.fpr_field]
    held = held_out_raw(data.X, data.y, data.groups, cells, options.make_estimator, unseen)
    valid = held.scored
    if not valid.any() or len(set(data.y[valid].tolist())) < 2:
        raise InputError(f"validation needs at least two {options.group_field} groups with both labels among the others")
    if options.estimator == "linear":
        p = 1.0 / (1.0 + np.exp(-held.raw))
        return Validated(held, p, None, choose_threshold(p[valid], data.y[valid], fpr_groups[valid], options.max_fpr))
    calibration = LengthCalibration.fit(held.raw[valid], data.y[valid], data.words[valid], balanced_weights(data.y[valid], cells[valid]),
                                        options.length_bands)
    p = np.where(valid, calibration(np.nan_to_num(held.raw), data.words), np.nan)
    return Validated(held, p, calibration, choose_round_threshold(p[valid], data.y[valid], fpr_groups[valid], options.max_fpr))


def train(
    paths: Sequence[str],
    out: str | os.PathLike[str],
    options: TrainOptions = TrainOptions(),
    table: FrequencyTable | None = None,
    progress: Callable[[str], None] | None = None,
) -> StoredModel:
    """Train, validate, and write a model directory. Returns the stored model."""
    say = progress or (lambda message: None)
    table = table if table is not None else FrequencyTable.from_wordfreq(options.frequency_words)
    say("reading and computing features")
    data = extract_features(paths, options, table)
    if len(set(data.y.tolist())) < 2:
        raise InputError("training needs both human and machine documents; only one label was found")
    say(f"validating: leave one {options.group_field} out")
    checked = validate(data, options)
    valid, p, threshold = checked.held_out.scored, checked.p, checked.threshold
    say("fitting the final model on everything")
    final = options.make_estimator().fit(data.X, data.y, balanced_weights(data.y, data.fields[options.cells_field]))
    validation: dict[str, object] = {
        "protocol": f"leave one {options.group_field} out: each group scored by a model trained on the other groups",
        "folds": checked.held_out.folds,
        **{f"by_{name}": grouped_metrics(data.y[valid], p[valid], values[valid], threshold)["by_group"] for name, values in data.fields.items()},
        "overall": detection_metrics(data.y[valid], p[valid], threshold),
        "estimation_error": reference_mismatch(p[valid], data.y[valid], data.groups[valid], threshold),
    }
    rule = f"held-out FPR <= {options.max_fpr:g} on every human {options.fpr_field}"
    metadata: dict[str, Any] = {  # model.json (StoredModel.metadata)
        "name": options.name,
        "versions": library_versions(),
        "features": {
            "names": list(detector_feature_names()),
            "fingerprint": list(DETECTOR_FINGERPRINT),
            "excluded": list(EXCLUDED_FINGERPRINT),
            "frequency_table": table.source,
            "normalization": "auditor.normalize: NFKC, invisible characters removed, quotes and whitespace folded, "
                             "look-alike letters and stray combining marks folded",
        },
        "threshold": threshold,
        "training": {
            "inputs": list(paths),
            "label_field": options.label_field,
            "group_field": options.group_field,
            "weight_field": options.cells_field,
            "threshold_field": options.fpr_field,
            "exclude": [f"{name}={value}" for name, value in options.exclude],
            "documents": int(len(data.y)),
            "excluded": data.excluded,
            "skipped": data.report.to_dict()["skipped"],
            "by_group": {
                str(g): {"human": int(((data.groups == g) & (data.y == 0)).sum()), "machine": int(((data.groups == g) & (data.y == 1)).sum())}
                for g in sorted(set(data.groups.tolist()))
            },
        },
        "validation": validation,
    }
    # Held-out scores by group: the corpus estimator treats each group's pair of score
    # distributions as one plausible picture of an unseen domain (auditor.estimate.plausible).
    # (Format auditor.model/3 only: /1, the linear format, predates them.)
    groups = sorted(set(data.groups[valid].tolist()))
    arrays = {**table.to_arrays()}
    for label, name in ((0, "human"), (1, "machine")):
        rows = valid & (data.y == label)
        order = np.argsort(p[rows], kind="stable")
        arrays[f"validation_{name}"] = p[rows][order]
        if options.estimator != "linear":
            arrays[f"validation_{name}_group"] = np.searchsorted(groups, data.groups[rows][order]).astype(np.int32)
    if options.estimator != "linear":
        validation["groups"] = [str(g) for g in groups]
    if isinstance(final, LinearDetector):
        metadata["features"]["clip"] = options.clip
        metadata["estimator"] = {"class": "LinearDetector", "C": options.C, "clip": options.clip, "solver": "lbfgs"}
        metadata["threshold_rule"] = f"smallest threshold with {rule}"
        arrays.update(final.to_arrays())
        model_format = LINEAR_FORMAT
    else:
        assert isinstance(final, BoostedDetector) and checked.calibration is not None
        trees = final.trees_
        metadata["estimator"] = {"class": "BoostedDetector", "kind": "gradient-boosted regression trees (log-loss)",
                                 **final.get_params(), "trees": int(len(trees.roots)), "nodes": int(len(trees.feature)),
                                 "depth": trees.depth}
        metadata["calibration"] = {"method": "isotonic regression, the centres of its steps joined linearly, one per length band",
                                   "fitted_on": f"held-out raw scores (leave one {options.group_field} out)",
                                   "prior": PRIOR, "knots": checked.calibration.knots,
                                   "bands": len(checked.calibration.bands), "word_edges": list(checked.calibration.word_edges)}
        metadata["threshold_rule"] = f"smallest round threshold with {rule}"
        arrays.update(trees.to_arrays())
        arrays.update(checked.calibration.to_arrays())
        model_format = FORMAT
    Path(out).mkdir(parents=True, exist_ok=True)
    # Two trainings into one directory must not pair one's arrays with the other's model.json.
    with output_lock(out, "--out", directory=True):
        return save_model(out, metadata, arrays, format=model_format)
