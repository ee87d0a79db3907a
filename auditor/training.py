"""``auditor train``: fit the detector, validate it across groups, choose its threshold, store it.

Validation is leave-one-group-out (by default one *source* at a time): for
each group, a detector trained on all the others scores it. Those held-out
scores give every validation figure in ``model.json``, the threshold, and the
score distributions the corpus-level estimator uses; the shipped detector is
then fitted on everything. No figure is computed on documents the scoring
model was trained on.

The threshold is the smallest one whose held-out false-positive rate is at
most ``max_fpr`` on *every* human group, so no single kind of human writing
is flagged much more than the target (a detector tuned on the average flags
the unusual human sources, which are exactly the ones a corpus needs).

Training is deterministic: no step draws random numbers (L-BFGS on fixed
data), and :mod:`auditor.model` writes byte-identical files for identical input.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from auditor.detector import DETECTOR_FINGERPRINT, EXCLUDED_FINGERPRINT, detector_feature_names, feature_matrix
from auditor.errors import InputError
from auditor.estimate import FractionEstimator, Reference
from auditor.features.style import FrequencyTable
from auditor.fingerprint import FingerprintOptions, fingerprint_batches
from auditor.linear import LinearDetector
from auditor.lock import output_lock
from auditor.metrics import detection_metrics, grouped_metrics
from auditor.model import StoredModel, library_versions, save_model
from auditor.readers import Document, ReaderOptions, ReadReport, read_documents

_LABELS = {"human": 0, "0": 0, "machine": 1, "1": 1}


@dataclass(frozen=True)
class TrainOptions:
    """Settings of ``auditor train``.

    Attributes:
        reader: how the labelled inputs are read (``text_field`` etc.).
        label_field: field holding ``human`` / ``machine`` (or 0 / 1).
        group_field: field whose values are held out one at a time for validation.
        report_fields: more fields to break the held-out figures down by (e.g. ``generator``).
        exclude: ``(field, value)`` pairs; matching records are left out of training.
        name: model name recorded in the metadata.
        C / clip: :class:`~auditor.linear.LinearDetector` parameters.
        max_fpr: held-out false-positive rate allowed on every human group.
        frequency_words: size of the word-frequency table (most frequent words).
    """

    reader: ReaderOptions = field(default_factory=ReaderOptions)
    label_field: str = "label"
    group_field: str = "source"
    report_fields: tuple[str, ...] = ()
    exclude: tuple[tuple[str, str], ...] = ()
    name: str = "auditor-model"
    C: float = 0.1
    clip: float = 8.0
    max_fpr: float = 0.05
    frequency_words: int = 200_000

    def __post_init__(self) -> None:
        if not 0.0 < self.max_fpr < 1.0:
            raise ValueError(f"max_fpr must be in (0, 1), got {self.max_fpr}")
        if self.C <= 0 or self.clip <= 0:
            raise ValueError("C and clip must be positive")
        for name, value in self.exclude:
            if not name:
                raise ValueError(f"exclusion {name}={value} needs a field name (FIELD=VALUE)")


@dataclass
class LabelledFeatures:
    """Detector inputs of a labelled corpus (one row per document kept)."""

    X: np.ndarray
    y: np.ndarray
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
    wanted = (options.label_field, options.group_field, *options.report_fields, *(name for name, _ in options.exclude))
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
    labels: list[int] = []
    meta: dict[str, list[str]] = {name: [] for name in (options.group_field, *options.report_fields)}
    for batch in fingerprint_batches(kept(), FingerprintOptions(reader=reader, near_duplicates=False)):
        blocks.append(feature_matrix(batch.texts, batch.tokens, batch.features, table))
        for doc in batch.documents:
            labels.append(_label(doc, options.label_field))
            for name, values in meta.items():
                values.append(str(doc.fields.get(name)))
    if not labels:
        raise InputError(f"no labelled documents left in {', '.join(paths)} (after {excluded} excluded)")
    fields = {name: np.array(values, dtype=object) for name, values in meta.items()}
    return LabelledFeatures(np.vstack(blocks), np.array(labels), fields[options.group_field], fields, report, excluded)


def balanced_weights(y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Sample weights giving every (group, label) cell the same total weight, mean weight 1."""
    cells = np.array([f"{g}\x00{label}" for g, label in zip(groups.tolist(), y.tolist())], dtype=object)
    _, inverse, counts = np.unique(cells, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inverse]
    return weights * len(weights) / weights.sum()


def held_out_scores(data: LabelledFeatures, options: TrainOptions) -> tuple[np.ndarray, list[dict[str, object]]]:
    """Leave-one-group-out ``p_synthetic`` per document (NaN where a fold could not be trained)."""
    scores = np.full(len(data.y), np.nan)
    folds: list[dict[str, object]] = []
    for group in sorted(set(data.groups.tolist())):
        test = data.groups == group
        train = ~test
        if len(set(data.y[train].tolist())) < 2:
            folds.append({"held_out": group, "trained": False, "reason": "the other groups lack one class"})
            continue
        model = LinearDetector(C=options.C, clip=options.clip)
        model.fit(data.X[train], data.y[train], balanced_weights(data.y[train], data.groups[train]))
        scores[test] = model.predict_proba(data.X[test])[:, 1]
        folds.append({"held_out": group, "trained": True, "documents": int(test.sum())})
    return scores, folds


def choose_threshold(scores: np.ndarray, y: np.ndarray, groups: np.ndarray, max_fpr: float) -> float:
    """Smallest threshold whose false-positive rate is <= ``max_fpr`` in every human group."""
    threshold = 0.0
    for group in sorted(set(groups[y == 0].tolist())):
        human = np.sort(scores[(groups == group) & (y == 0)])[::-1]
        allowed = int(np.floor(max_fpr * len(human)))  # this many may score at or above it
        if allowed < len(human):
            threshold = max(threshold, float(np.nextafter(human[allowed], np.inf)))
    return min(threshold, 1.0)


MISMATCH_FRACTIONS = (0.0, 0.1, 0.3, 0.5)


def reference_mismatch(scores: np.ndarray, y: np.ndarray, groups: np.ndarray, threshold: float, size: int = 400) -> dict[str, object] | None:
    """How far the ``em`` estimate lands when a group is estimated against the *other* groups' scores.

    That is what happens when a user scans a corpus from a new domain with the model's own
    references: held-out domains shift the scores of both classes. For each group with both
    labels, mixtures of its held-out scores at :data:`MISMATCH_FRACTIONS` (``size`` documents,
    fixed seed) are estimated against references made of every other group's held-out scores.
    ``auditor scan`` widens its interval by the 90th percentile of these errors when no
    in-domain reference is given. None when fewer than two groups have both labels.
    """
    rng = np.random.default_rng(0)
    errors: list[float] = []
    for group in sorted(set(groups.tolist())):
        own = groups == group
        human, machine = scores[own & (y == 0)], scores[own & (y == 1)]
        ref_human, ref_machine = scores[~own & (y == 0)], scores[~own & (y == 1)]
        if min(len(human), len(machine), len(ref_human), len(ref_machine)) < 2:
            continue
        try:
            estimator = FractionEstimator(Reference(ref_human, "other groups"), Reference(ref_machine, "other groups"), threshold)
        except ValueError:  # the other groups' references do not separate
            continue
        for fraction in MISMATCH_FRACTIONS:
            k = int(round(fraction * size))
            mixture = np.concatenate([rng.choice(human, size - k), rng.choice(machine, k)])
            errors.append(abs(estimator.estimate_point(mixture) - fraction))
    if not errors:
        return None
    return {
        "method": "em",
        "fractions": list(MISMATCH_FRACTIONS),
        "mixtures": len(errors),
        "mean_abs": float(np.mean(errors)),
        "p90_abs": float(np.quantile(errors, 0.9)),
    }


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
    scores, folds = held_out_scores(data, options)
    valid = ~np.isnan(scores)
    if not valid.any() or len(set(data.y[valid].tolist())) < 2:
        raise InputError(f"validation needs at least two {options.group_field} groups with both labels among the others")
    threshold = choose_threshold(scores[valid], data.y[valid], data.groups[valid], options.max_fpr)
    say("fitting the final model on everything")
    final = LinearDetector(C=options.C, clip=options.clip).fit(data.X, data.y, balanced_weights(data.y, data.groups))
    validation: dict[str, object] = {
        "protocol": f"leave one {options.group_field} out: each group scored by a model trained on the other groups",
        "folds": folds,
        **{f"by_{name}": grouped_metrics(data.y[valid], scores[valid], values[valid], threshold)["by_group"] for name, values in data.fields.items()},
        "overall": detection_metrics(data.y[valid], scores[valid], threshold),
        "estimation_error": reference_mismatch(scores[valid], data.y[valid], data.groups[valid], threshold),
    }
    metadata = {
        "name": options.name,
        "versions": library_versions(),
        "features": {
            "names": list(detector_feature_names()),
            "fingerprint": list(DETECTOR_FINGERPRINT),
            "excluded": list(EXCLUDED_FINGERPRINT),
            "frequency_table": table.source,
            "clip": options.clip,
            "normalization": "auditor.normalize: NFKC, invisible characters removed, quotes and whitespace folded",
        },
        "estimator": {"class": "LinearDetector", "C": options.C, "clip": options.clip, "solver": "lbfgs"},
        "threshold": threshold,
        "threshold_rule": f"smallest threshold with held-out FPR <= {options.max_fpr:g} on every human {options.group_field}",
        "training": {
            "inputs": list(paths),
            "label_field": options.label_field,
            "group_field": options.group_field,
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
    arrays = {
        **final.to_arrays(),
        **table.to_arrays(),
        "validation_human": np.sort(scores[valid & (data.y == 0)]),
        "validation_machine": np.sort(scores[valid & (data.y == 1)]),
    }
    Path(out).mkdir(parents=True, exist_ok=True)
    # Two trainings into one directory must not pair one's arrays with the other's model.json.
    with output_lock(out, "--out", directory=True):
        return save_model(out, metadata, arrays)
