"""The detector model on disk: arrays in ``model.npz``, everything else in ``model.json``.

A model file is data, never code. Loading reads JSON with :mod:`json`, checks it
against :data:`auditor.detector.schema.MODEL_SCHEMAS` (one schema per format), and reads the arrays after
checking their SHA-256 against the one recorded in ``model.json``, each bounded by
what the schema says before its data is read (:mod:`auditor.detector.npz`,
``allow_pickle=False``); nothing is ever unpickled, so a model committed to a data
repository (or handed to ``--model``) cannot run code nor exhaust memory. Only
regular files are read (:mod:`auditor.regular_files`). Anything that is not this format
is refused with :class:`ModelError` naming the file and the field.

Layout of a model directory::

    model.json   format, name, feature configuration, threshold, training and
                 validation summaries, library versions, arrays' SHA-256
    model.npz    detector coefficients and standardization, the word-frequency
                 table, validation score distributions (one .npy per array)

Writing is byte-reproducible: the zip members carry a fixed timestamp and the
JSON is written with sorted keys, so training twice on the same data with the
same seed gives identical files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from auditor import __version__
from auditor.atomic import atomic_path
from auditor.detector.npz import ArchiveError, read_arrays
from auditor.detector.schema import MODEL_SCHEMAS, Schema, SchemaError, expected_arrays
from auditor.errors import AuditorError
from auditor.regular_files import read_regular

LINEAR_FORMAT = "auditor.model/1"  # a linear detector, uncalibrated (models trained before boosted trees)
# "auditor.model/2" (boosted trees without per-family validation scores) still loads (model_schema).
FORMAT = "auditor.model/3"  # boosted trees with a calibration and the held-out scores of each validation family
JSON_NAME = "model.json"
ARRAYS_NAME = "model.npz"
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


class ModelError(AuditorError):
    """A model directory is missing, tampered with, or not in the documented format."""


@dataclass(frozen=True)
class StoredModel:
    """A model as stored: JSON metadata and named arrays (verified)."""

    metadata: dict[str, Any]  # model.json, whose fields load_stored checked against the schema (auditor.detector.schema)
    arrays: dict[str, np.ndarray]
    sha256: str
    path: Path | None = None

    @property
    def identity(self) -> str:
        """SHA-256 of the canonical metadata, which holds the arrays' SHA-256: changes with any edit
        to either file (a threshold edited in model.json included), not with JSON formatting."""
        canonical = json.dumps(self.metadata, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def library_versions() -> dict[str, str]:
    """Versions recorded in a model and checked (by major) when it is loaded."""
    return {
        "auditor": __version__,
        "numpy": version("numpy"),
        "scikit-learn": version("scikit-learn"),
        "python": platform.python_version(),
    }


def npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An ``.npz`` archive with fixed member timestamps (numpy's own writer stamps the time)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            array = np.ascontiguousarray(arrays[name])
            if array.dtype.hasobject:
                raise ValueError(f"array {name!r} has dtype object; stored arrays must be numeric arrays only")
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def save_model(directory: str | os.PathLike[str], metadata: Mapping[str, object], arrays: Mapping[str, np.ndarray],
               format: str = FORMAT) -> StoredModel:
    """Write ``model.npz`` then ``model.json`` (each atomically) into ``directory``, as ``format``.

    The JSON is written last: a directory whose JSON names arrays with another
    hash (a crash between the two writes) is refused on load, never half-used.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    blob = npz_bytes(arrays)
    sha256 = hashlib.sha256(blob).hexdigest()
    if format not in MODEL_SCHEMAS:
        raise ValueError(f"unknown model format {format!r}")
    full = {**metadata, "format": format, "arrays": {"file": ARRAYS_NAME, "sha256": sha256, "names": sorted(arrays)}}
    with atomic_path(target / ARRAYS_NAME) as tmp:
        tmp.write_bytes(blob)
    with atomic_path(target / JSON_NAME) as tmp:
        tmp.write_text(json.dumps(full, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    return StoredModel(full, {k: np.asarray(v) for k, v in arrays.items()}, sha256, target)


@dataclass(frozen=True)
class StoredFormat:
    """What a directory of JSON + ``.npz`` must look like (models, known-text indexes)."""

    schemas: Mapping[str, Schema]  # each accepted "format" value and what the JSON and arrays must then be
    json_name: str
    arrays_name: str
    what: str  # "model", "index": used in messages
    error: type[AuditorError]
    remedy: str
    hint: str  # how to get a valid directory
    max_json_bytes: int  # read whole and parsed: bounded before parsing
    max_arrays_bytes: int | None = None  # None: as large as the file on disk


MODEL_FORMAT = StoredFormat(
    MODEL_SCHEMAS, JSON_NAME, ARRAYS_NAME, "model", ModelError, "restore the file or retrain",
    "pass --model a directory written by 'auditor train'", max_json_bytes=16 << 20, max_arrays_bytes=1 << 30,
)


def read_stored(path: str | os.PathLike[str], spec: StoredFormat) -> tuple[Path, dict[str, object], dict[str, np.ndarray], str]:
    """Directory, JSON metadata, verified arrays and their SHA-256 of a stored directory (or its JSON file).

    The JSON is checked against the schema of its ``format`` (``spec.schemas``) before the arrays are read, and the arrays
    against what it says (:mod:`auditor.detector.npz`). Only regular files are read. Raises ``spec.error``
    naming the file (and the field) and ``spec.remedy``.
    """
    location = Path(path)
    directory = location.parent if location.name == spec.json_name else location
    json_path = directory / spec.json_name
    if not directory.is_dir() or not os.path.lexists(json_path):
        raise spec.error(
            f"{location}: not an auditor {spec.what} directory (expected {spec.json_name} and {spec.arrays_name} in it); "
            f"{spec.hint} ({spec.what} files are never unpickled)"
        )
    try:
        metadata = json.loads(read_regular(json_path, spec.max_json_bytes, f"{spec.what} metadata").decode("utf-8"))
    except RecursionError:
        raise spec.error(f"{json_path}: unreadable {spec.what} metadata (nested too deeply); {spec.remedy}") from None
    except OSError as err:
        raise spec.error(f"{json_path}: unreadable {spec.what} metadata ({err.strerror or err}); {spec.remedy}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise spec.error(f"{json_path}: unreadable {spec.what} metadata ({err}); {spec.remedy}") from None
    found = metadata.get("format") if isinstance(metadata, dict) else type(metadata).__name__
    if not isinstance(found, str) or found not in spec.schemas:
        accepted = " or ".join(repr(name) for name in spec.schemas)
        raise spec.error(f"{json_path}: {spec.what} format {found!r} is not supported (expected {accepted}); {spec.remedy}")
    try:
        expected = expected_arrays(metadata, spec.schemas[found])
    except SchemaError as err:
        raise spec.error(f"{json_path}: {err}; {spec.remedy}") from None
    arrays_path = directory / spec.arrays_name
    try:
        blob = read_regular(arrays_path, spec.max_arrays_bytes, f"{spec.what} arrays")
    except OSError as err:
        raise spec.error(f"{arrays_path}: cannot read the {spec.what} arrays ({err.strerror or err}); {spec.remedy}") from None
    sha256 = hashlib.sha256(blob).hexdigest()
    recorded = str(metadata["arrays"]["sha256"])
    if recorded != sha256:
        raise spec.error(
            f"{arrays_path}: SHA-256 {sha256[:12]}... does not match {spec.json_name} ({recorded[:12]}...): "
            f"the arrays were modified or belong to another {spec.what}; {spec.remedy}"
        )
    try:
        arrays = read_arrays(blob, expected)
    except ArchiveError as err:
        raise spec.error(f"{arrays_path}: not a valid array archive ({err}); {spec.remedy}") from None
    return directory, metadata, arrays, sha256


def load_stored(path: str | os.PathLike[str]) -> StoredModel:
    """Read and verify a model directory (or its ``model.json``). Raises :class:`ModelError`."""
    directory, metadata, arrays, sha256 = read_stored(path, MODEL_FORMAT)
    _check_versions(directory / JSON_NAME, metadata)
    return StoredModel(metadata, arrays, sha256, directory)


def _check_versions(json_path: Path, metadata: Mapping[str, object]) -> None:
    """Refuse models whose numeric conventions may differ: another numpy / scikit-learn major."""
    recorded = metadata["versions"]
    assert isinstance(recorded, dict)  # the schema checked it
    current = library_versions()
    for library in ("numpy", "scikit-learn"):
        then = recorded.get(library) or ""
        if then and then.split(".")[0] != current[library].split(".")[0]:
            raise ModelError(
                f"{json_path}: trained with {library} {then}, this environment has {current[library]} "
                "(another major version); retrain the model or install a matching version"
            )
