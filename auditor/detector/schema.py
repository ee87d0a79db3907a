"""What a stored model must be: the fields of ``model.json`` and the arrays of ``model.npz``, in one place.

A model is checked against :data:`MODEL_SCHEMA` once, when it is loaded, before any array data is
read; nothing after that re-checks a field's type. The schema is declarative, so a new model
format changes the tables below, not the code:

- ``fields``: every field of ``model.json`` the auditor reads, with what it must be (a
  :class:`Rule`). A parent is listed before its children; an optional parent that is absent (or
  null) skips its children.
- ``arrays``: every array ``model.npz`` holds, and no other, with its dtype and shape. A shape is
  made of fixed sizes and named dimensions.
- ``dimensions``: where each named dimension comes from: a count in ``model.json``
  (:class:`Count`), the length of a list there (:class:`LengthOf`), or, for a size
  ``model.json`` does not record, a bound that every array using it must share (:class:`Bounded`).

:func:`expected_arrays` checks the metadata and returns each array's dtype and shape, which
:mod:`auditor.detector.npz` compares with the archive members' headers before reading them. Known-text
indexes (:mod:`auditor.detector.known`) use the same building blocks with their own tables.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeGuard, cast

import numpy as np

_MISSING = object()  # a field that is absent
_SKIPPED = object()  # a field whose optional parent is absent
_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_COUNT = 2**53  # beyond, many JSON writers cannot store an integer exactly


class SchemaError(ValueError):
    """A field of a stored JSON is not what the schema says; ``str()`` is the message without the file."""

    def __init__(self, name: str, expected: str, value: object = _MISSING) -> None:
        shown = "nothing (the field is missing)" if value is _MISSING else _show(value)
        super().__init__(f"field '{name}' must be {expected}, got {shown}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Rule:
    """What a JSON value must be: ``test`` accepts it, ``description`` says it in messages."""

    description: str
    test: Callable[[object], bool]
    optional: bool = False  # absent or null is allowed


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(low: float, high: float = math.inf, *, low_open: bool = False) -> Rule:
    """A finite JSON number (not a string, not a boolean) in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    bounds = f"{'(' if low_open else '['}{low:g}, {high:g}]"
    return Rule(f"a number in {bounds}" if high < math.inf else f"a number {'>' if low_open else '>='} {low:g}",
                lambda v: _is_number(v) and (v > low if low_open else v >= low) and v <= high)


def integer(low: int, high: int = MAX_COUNT) -> Rule:
    """A JSON integer in ``[low, high]``."""
    return Rule(f"an integer in [{low}, {high}]", lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high)


def optional(rule: Rule) -> Rule:
    """``rule``, or absent, or null."""
    return Rule(f"{rule.description} or null", rule.test, optional=True)


OBJECT = Rule("an object", lambda v: isinstance(v, dict))
STRING = Rule("a non-empty string", lambda v: isinstance(v, str) and v != "")
STRINGS = Rule("a non-empty list of strings", lambda v: isinstance(v, list) and bool(v) and all(isinstance(s, str) for s in v))
SHA256 = Rule("a SHA-256 (64 lowercase hexadecimal digits)", lambda v: isinstance(v, str) and _SHA256.fullmatch(v) is not None)


@dataclass(frozen=True)
class Count:
    """A dimension recorded as an integer field of the JSON (checked by that field's rule)."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class LengthOf:
    """A dimension that is the length of a list field of the JSON."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class Bounded:
    """A dimension the JSON does not record: at most ``maximum``, and the same in every array using it."""

    maximum: int


@dataclass(frozen=True)
class ArraySpec:
    """One array of the archive: its dtype, its shape (sizes and dimension names) and, optionally, what its values must be."""

    dtype: str
    shape: tuple[int | str, ...]
    values: tuple[str, Callable[[np.ndarray], bool]] | None = None


@dataclass(frozen=True)
class Expected:
    """An array's dtype and shape once the dimensions are resolved: a size, or a :class:`Bounded` ``(name, bound)``."""

    dtype: np.dtype
    shape: tuple[int | tuple[str, int], ...]
    values: tuple[str, Callable[[np.ndarray], bool]] | None = None


@dataclass(frozen=True)
class Schema:
    """The fields a stored JSON must have and the arrays its archive must hold (see the module docstring)."""

    fields: tuple[tuple[tuple[str, ...], Rule], ...]
    arrays: Mapping[str, ArraySpec]
    dimensions: Mapping[str, Count | LengthOf | Bounded] = field(default_factory=dict)

    def stored_fields(self) -> tuple[tuple[tuple[str, ...], Rule], ...]:
        """The schema's fields after the ``arrays`` record of the JSON beside an archive (its hash, its names)."""
        names = Rule(f"the list {sorted(self.arrays)}", lambda v: v == sorted(self.arrays))
        return ((("arrays",), OBJECT), (("arrays", "sha256"), SHA256), (("arrays", "names"), names), *self.fields)


def _lookup(document: Mapping[str, object], path: tuple[str, ...]) -> object:
    """The value at ``path``: ``_MISSING`` when its last key is absent, ``_SKIPPED`` when a parent is absent or null.

    Parents are checked before their children, so a parent absent here is an optional one.
    """
    value: object = document
    for key in path[:-1]:
        value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return _SKIPPED
    return value.get(path[-1], _MISSING) if isinstance(value, dict) else _SKIPPED


def expected_arrays(metadata: Mapping[str, object], schema: Schema, stored: bool = True) -> dict[str, Expected]:
    """Check ``metadata`` against ``schema`` and return each array's expected dtype and shape.

    ``stored``: the metadata is a stored JSON, whose ``arrays`` record is checked too.
    Raises :class:`SchemaError` naming the first field that is not what it must be.
    """
    for path, rule in schema.stored_fields() if stored else schema.fields:
        value = _lookup(metadata, path)
        if value is _SKIPPED or (rule.optional and (value is None or value is _MISSING)):
            continue
        if value is _MISSING or not rule.test(value):
            raise SchemaError(".".join(path), rule.description, value)
    sizes: dict[str, int | tuple[str, int]] = {}
    for name, source in schema.dimensions.items():
        if isinstance(source, Bounded):
            sizes[name] = (name, source.maximum)
        else:
            value = _lookup(metadata, source.path)
            # Checked above by the rules of their fields: a list (STRINGS) or an integer (a Count's rule).
            sizes[name] = len(cast(list[object], value)) if isinstance(source, LengthOf) else cast(int, value)
    return {
        name: Expected(np.dtype(spec.dtype), tuple(sizes[d] if isinstance(d, str) else d for d in spec.shape), spec.values)
        for name, spec in schema.arrays.items()
    }


def _probabilities(array: np.ndarray) -> bool:
    return bool(np.isfinite(array).all() and (array >= 0).all() and (array <= 1).all())


PROBABILITIES = ("finite numbers in [0, 1]", _probabilities)
# model.json does not record the word-frequency table's length: 4 Mi words (64 MiB) at most.
MAX_FREQUENCY_WORDS = 1 << 22

_COMMON_FIELDS = (
    (("name",), STRING),
    (("threshold",), number(0.0, 1.0)),
    (("features",), OBJECT),
    (("features", "names"), STRINGS),
    (("features", "frequency_table"), STRING),
    (("validation",), OBJECT),
    (("validation", "overall"), OBJECT),
    (("validation", "overall", "human"), integer(2)),
    (("validation", "overall", "machine"), integer(2)),
    (("validation", "estimation_error"), optional(OBJECT)),
    (("validation", "estimation_error", "p90_abs"), number(0.0, 1.0)),
    (("versions",), OBJECT),
    (("versions", "numpy"), optional(STRING)),
    (("versions", "scikit-learn"), optional(STRING)),
)
_COMMON_ARRAYS = {
    "freq_hashes": ArraySpec("uint64", ("words",)),
    "freq_zipf": ArraySpec("float32", ("words",)),
    "freq_ranks": ArraySpec("int32", ("words",)),
    "validation_human": ArraySpec("float64", ("human",), PROBABILITIES),
    "validation_machine": ArraySpec("float64", ("machine",), PROBABILITIES),
}
_COMMON_DIMENSIONS: dict[str, Count | LengthOf | Bounded] = {
    "words": Bounded(MAX_FREQUENCY_WORDS),
    "human": Count(("validation", "overall", "human")),
    "machine": Count(("validation", "overall", "machine")),
}
# Bounds on a tree model's size: far beyond what training writes (~6,000 nodes), far below harm.
MAX_TREES = 100_000
MAX_NODES = 1 << 24
MAX_KNOTS = 1 << 20
MAX_BANDS = 16  # length bands of the calibration (auditor.detector.calibration.LengthCalibration)
WORD_EDGES = Rule(
    f"a list of at most {MAX_BANDS - 1} increasing positive integers (word counts)",
    lambda v: isinstance(v, list) and len(v) < MAX_BANDS
    and all(isinstance(e, int) and not isinstance(e, bool) and 0 < e <= MAX_COUNT for e in v)
    and all(b > a for a, b in zip(v, v[1:])),
)

#: ``auditor.model/1``: a standardized linear model (logistic regression), uncalibrated.
LINEAR_MODEL_SCHEMA = Schema(
    fields=(*_COMMON_FIELDS, (("features", "clip"), number(0.0, low_open=True))),
    arrays={
        "detector_coef": ArraySpec("float64", ("features",)),
        "detector_mean": ArraySpec("float64", ("features",)),
        "detector_scale": ArraySpec("float64", ("features",)),
        "detector_intercept": ArraySpec("float64", (1,)),
        **_COMMON_ARRAYS,
    },
    dimensions={"features": LengthOf(("features", "names")), **_COMMON_DIMENSIONS},
)

#: ``auditor.model/3``: boosted regression trees (:class:`auditor.detector.trees.TreeEnsemble`), a
#: calibration of their raw score (:class:`auditor.detector.calibration.LengthCalibration`) and the
#: held-out scores' validation group (family), for the corpus estimate's plausible references.
MODEL_SCHEMA = Schema(
    fields=(
        *_COMMON_FIELDS,
        (("estimator",), OBJECT),
        (("estimator", "trees"), integer(1, MAX_TREES)),
        (("estimator", "nodes"), integer(1, MAX_NODES)),
        (("calibration",), OBJECT),
        (("calibration", "knots"), integer(1, MAX_KNOTS)),
        (("calibration", "prior"), number(0.0, 1.0, low_open=True)),
        (("calibration", "bands"), integer(1, MAX_BANDS)),
        (("calibration", "word_edges"), WORD_EDGES),
        (("validation", "groups"), STRINGS),
    ),
    arrays={
        "trees_feature": ArraySpec("int32", ("nodes",)),
        "trees_threshold": ArraySpec("float64", ("nodes",)),
        "trees_missing_left": ArraySpec("bool", ("nodes",)),
        "trees_left": ArraySpec("int32", ("nodes",)),
        "trees_right": ArraySpec("int32", ("nodes",)),
        "trees_value": ArraySpec("float64", ("nodes",)),
        "trees_roots": ArraySpec("int32", ("trees",)),
        "trees_baseline": ArraySpec("float64", (1,)),
        "trees_depth": ArraySpec("int32", (1,)),
        "calibration_raw": ArraySpec("float64", ("knots",)),
        "calibration_probability": ArraySpec("float64", ("knots",), PROBABILITIES),
        "calibration_band_knots": ArraySpec("int64", ("bands",)),
        **_COMMON_ARRAYS,
        # After the scores they label (checked in this order): the held-out scores' validation group.
        "validation_human_group": ArraySpec("int32", ("human",), ("indices into validation.groups", lambda a: bool((a >= 0).all()))),
        "validation_machine_group": ArraySpec("int32", ("machine",), ("indices into validation.groups", lambda a: bool((a >= 0).all()))),
    },
    dimensions={
        "nodes": Count(("estimator", "nodes")),
        "trees": Count(("estimator", "trees")),
        "knots": Count(("calibration", "knots")),
        "bands": Count(("calibration", "bands")),
        **_COMMON_DIMENSIONS,
    },
)

#: ``auditor.model/2``: the same without the validation groups (models trained before them still load;
#: their corpus estimate uses the pooled validation scores as one pair of references).
TREES_MODEL_SCHEMA = Schema(
    fields=tuple(entry for entry in MODEL_SCHEMA.fields if entry[0] != ("validation", "groups")),
    arrays={name: spec for name, spec in MODEL_SCHEMA.arrays.items() if not name.endswith("_group")},
    dimensions=MODEL_SCHEMA.dimensions,
)

#: Every model format the loader reads, by the ``format`` value of ``model.json``.
MODEL_SCHEMAS = {"auditor.model/1": LINEAR_MODEL_SCHEMA, "auditor.model/2": TREES_MODEL_SCHEMA, "auditor.model/3": MODEL_SCHEMA}
