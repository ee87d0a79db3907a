"""Stored models and indexes are checked against their schema at load time (issue 17, items 5 and 6).

Every case hands the loader a model (or index) an attacker could commit: its arrays' SHA-256 is
updated in the JSON, so only the schema check (``auditor/detector/schema.py``) and the bounded
archive reader (``auditor/detector/npz.py``) can refuse it. Headers claiming huge shapes carry a few
bytes of data: nothing here allocates more than a few tens of megabytes, even when a check is
missing.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.detector.scorer import load_detector
from auditor.detector.known import IndexFormatError, KnownIndex, build_index
from auditor.detector.store import ARRAYS_NAME, JSON_NAME, ModelError
from auditor.detector.schema import MAX_FREQUENCY_WORDS
from conftest import ROOT

NAN = float("nan")


def npy(array: np.ndarray) -> bytes:
    member = io.BytesIO()
    np.lib.format.write_array(member, array, allow_pickle=False)
    return member.getvalue()


def npy_claiming(shape: tuple[int, ...], dtype: str = "float64") -> bytes:
    """A .npy member whose header claims ``shape`` but which holds 64 bytes of data."""
    member = io.BytesIO()
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(member, header)
    return member.getvalue() + bytes(64)


def set_field(document: dict, dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        document = document[key]
    document[last] = value


def tamper(directory: Path, members: dict[str, bytes | None] | None = None, fields: dict[str, object] | None = None,
           json_name: str = JSON_NAME, arrays_name: str = ARRAYS_NAME) -> Path:
    """Replace, add (bytes) or remove (None) archive members and set JSON fields, then record the new hash."""
    with zipfile.ZipFile(directory / arrays_name) as original:
        content = {name: original.read(name) for name in original.namelist()}
    for name, data in (members or {}).items():
        if data is None:
            content.pop(name)
        else:
            content[name] = data
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in content.items():
            z.writestr(name, data)
    (directory / arrays_name).write_bytes(archive.getvalue())
    meta = json.loads((directory / json_name).read_text())
    meta["arrays"]["sha256"] = hashlib.sha256(archive.getvalue()).hexdigest()
    for dotted, value in (fields or {}).items():
        set_field(meta, dotted, value)
    (directory / json_name).write_text(json.dumps(meta))
    return directory


@pytest.fixture()
def model(tmp_path, tiny_model_dir) -> Path:
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


def refused(model: Path, *fragments: str) -> str:
    with pytest.raises(ModelError) as err:
        load_detector(model)
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# --------------------------------------------------------------------------- item 6: model.json


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("threshold", "0.5", "field 'threshold' must be a number in [0, 1], got '0.5'"),
        ("threshold", True, "field 'threshold' must be a number in [0, 1], got True"),
        ("threshold", NAN, "field 'threshold' must be a number in [0, 1], got nan"),
        ("validation.estimation_error.p90_abs", "abc", "field 'validation.estimation_error.p90_abs' must be a number in [0, 1], got 'abc'"),
        ("validation.estimation_error.p90_abs", NAN, "field 'validation.estimation_error.p90_abs' must be a number in [0, 1], got nan"),
        ("validation.estimation_error.p90_abs", -5, "field 'validation.estimation_error.p90_abs' must be a number in [0, 1], got -5"),
        ("validation.estimation_error.p90_abs", [1], "field 'validation.estimation_error.p90_abs' must be a number in [0, 1], got [1]"),
        ("validation.estimation_error", 0.3, "field 'validation.estimation_error' must be an object or null, got 0.3"),
        ("validation", [1, 2], "field 'validation' must be an object, got [1, 2]"),
        ("validation.overall.human", "300", "field 'validation.overall.human' must be an integer in [2, "),
        ("estimator.trees", "60", "field 'estimator.trees' must be an integer in [1, 100000], got '60'"),
        ("estimator.nodes", 0, "field 'estimator.nodes' must be an integer in [1, 16777216], got 0"),
        ("calibration.prior", 0, "field 'calibration.prior' must be a number in (0, 1], got 0"),
        ("calibration.knots", 1.5, "field 'calibration.knots' must be an integer in [1, 1048576], got 1.5"),
        ("calibration.bands", 0, "field 'calibration.bands' must be an integer in [1, 16], got 0"),
        ("calibration.word_edges", [80, 40], "field 'calibration.word_edges' must be a list of at most 15 increasing positive integers"),
        ("calibration.word_edges", [0], "field 'calibration.word_edges' must be a list of at most 15 increasing positive integers"),
        ("features.names", "mean_word_length", "field 'features.names' must be a non-empty list of strings"),
        ("name", 7, "field 'name' must be a non-empty string, got 7"),
        ("versions", None, "field 'versions' must be an object, got None"),
        ("arrays.names", ["trees_feature"], "field 'arrays.names' must be the list ['calibration_band_knots', 'calibration_probability', 'calibration_raw'"),
    ],
)
def test_model_json_fields_are_checked_naming_the_file_and_the_field(model, field, value, expected):
    tamper(model, fields={field: value})
    message = refused(model, expected)
    assert message.startswith(f"{model / JSON_NAME}: field '{field}'") and message.endswith("; restore the file or retrain")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("features.clip", 0, "field 'features.clip' must be a number > 0, got 0"),
        ("arrays.names", ["detector_coef"], "field 'arrays.names' must be the list ['detector_coef', 'detector_intercept'"),
        ("threshold", "0.5", "field 'threshold' must be a number in [0, 1], got '0.5'"),
    ],
)
def test_linear_model_fields_are_checked_too(tmp_path, linear_model_dir, field, value, expected):
    model = Path(shutil.copytree(linear_model_dir, tmp_path / "linear"))
    assert load_detector(model).estimator.coef.shape == (len(load_detector(model).columns),)  # format 1 still loads
    tamper(model, fields={field: value})
    message = refused(model, expected)
    assert message.startswith(f"{model / JSON_NAME}: field '{field}'")


def test_missing_fields_and_a_null_estimation_error(model):
    meta = json.loads((model / JSON_NAME).read_text())
    del meta["threshold"]
    (model / JSON_NAME).write_text(json.dumps(meta))
    refused(model, "field 'threshold' must be a number in [0, 1], got nothing (the field is missing)")
    tamper(model, fields={"threshold": 0.5, "validation.estimation_error": None})  # training writes null with one group
    assert load_detector(model).threshold == 0.5


def test_deeply_nested_and_oversized_model_json_are_refused(model):
    (model / JSON_NAME).write_text('{"format": "auditor.model/1", "x": ' + "[" * 200_000 + "]" * 200_000 + "}")
    refused(model, f"{model / JSON_NAME}: unreadable model metadata (nested too deeply)")
    (model / JSON_NAME).write_bytes(b'{"format": "auditor.model/1"}' + b" " * (16 << 20))
    refused(model, f"{model / JSON_NAME}: unreadable model metadata (larger than the 16,777,216 bytes model metadata may take)")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("threshold", "0.5", "field 'threshold' must be a number in [0, 1], got '0.5'"),
        ("validation", [1, 2], "field 'validation' must be an object, got [1, 2]"),
    ],
)
def test_the_cli_exits_2_naming_the_model_and_the_field(tmp_path, model, field, value, expected):
    tamper(model, fields={field: value})
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "A short document of a few words."}\n')
    result = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(tmp_path / "out"), "--model", str(model), "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {model / JSON_NAME}: {expected}"), result.output
    assert "internal error" not in result.output and "--reference-human" not in result.output


def test_validation_scores_that_do_not_separate_blame_the_model_not_a_reference_never_given(tmp_path, model):
    tamper(model, {"validation_human.npy": npy(np.full(300, 0.5)), "validation_machine.npy": npy(np.full(80, 0.5))})
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "A short document of a few words."}\n')
    result = CliRunner().invoke(cli, ["scan", str(corpus), "--out", str(tmp_path / "out"), "--model", str(model), "--quiet"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {model}: the model's validation scores cannot anchor an estimate (the human and machine "
                                    "references do not separate"), result.output
    assert result.output.rstrip().endswith("retrain the model, or give in-domain --reference-human / --reference-machine files")


# --------------------------------------------------------------------------- item 5 (and 6): model.npz


@pytest.mark.parametrize(
    ("member", "data", "expected"),
    [
        ("trees_threshold.npy", lambda n: npy(np.array(["0.5"] * n)), "trees_threshold must be float64 ({n},), got <U3 ({n},)"),
        ("trees_value.npy", lambda n: npy(np.ones(n, dtype=np.complex128)), "trees_value must be float64 ({n},), got complex128"),
        ("validation_human.npy", lambda n: npy(np.zeros(0)), "validation_human must be float64 (300,), got float64 (0,)"),
        ("validation_human.npy", lambda n: npy(np.zeros((300, 1))), "validation_human must be float64 (300,), got float64 (300, 1)"),
        ("validation_human.npy", lambda n: npy(np.full(300, NAN)), "validation_human must hold finite numbers in [0, 1]"),
        ("validation_machine.npy", lambda n: npy(np.full(80, 2.0)), "validation_machine must hold finite numbers in [0, 1]"),
        ("freq_zipf.npy", lambda n: npy(np.zeros(3, dtype=np.float32)), "freq_zipf must be float32 (words <= 4,194,304,), got float32 (3,)"),
    ],
    ids=["string-coefficients", "complex-coefficients", "empty-validation", "2d-validation", "nan-validation", "scores-above-1",
         "frequency-lengths-differ"],
)
def test_arrays_must_have_the_dtype_and_shape_model_json_implies(model, member, data, expected):
    n = json.loads((model / JSON_NAME).read_text())["estimator"]["nodes"]
    tamper(model, {member: data(n)})
    message = refused(model, f"{model / ARRAYS_NAME}: not a valid array archive (", expected.format(n=n))
    assert message.endswith("; restore the file or retrain")


def test_a_header_claiming_a_huge_shape_is_refused_before_reading(model):
    tamper(model, {"validation_human.npy": npy_claiming((10**11,))})  # was: internal error: MemoryError
    refused(model, "validation_human must be float64 (300,), got float64 (100000000000,)")
    tamper(model, fields={"validation.overall.human": 10**11})  # model.json agrees: the zip's declared size does not
    refused(model, "validation_human declares 192 bytes uncompressed, its header 800,000,000,128")


def test_a_member_expanding_far_beyond_its_compressed_size_is_refused(model):
    # 24 MB of zeros deflate to 23 kB: a zip bomb in small; model.json is edited to agree with it.
    tamper(model, {"validation_human.npy": npy(np.zeros(3_000_000))}, {"validation.overall.human": 3_000_000})
    refused(model, "validation_human declares 24,000,128 bytes from", "more than 64x (or 16,777,216 bytes)")


def test_unknown_and_missing_members_are_refused(model):
    tamper(model, {"extra.npy": npy(np.zeros(1000))})  # was: accepted and loaded
    refused(model, "unknown members ['extra.npy']: only the arrays ['calibration_band_knots', ")
    tamper(model, {"extra.npy": None, "freq_ranks.npy": None})
    refused(model, "missing arrays ['freq_ranks']")


@pytest.mark.parametrize(
    ("member", "change", "expected"),
    [
        ("trees_left", lambda a: np.zeros_like(a), "trees are not stored root first with leaves pointing to themselves"),
        ("trees_right", lambda a: a + 10**6, "a child or root index is not a node"),
        ("trees_feature", lambda a: np.where(a >= 0, 10**6, a).astype(np.int32), "a split uses a feature outside"),
        ("trees_depth", lambda a: np.array([1], dtype=np.int32), "some leaf is deeper than the recorded depth 1"),
        ("trees_threshold", lambda a: np.full_like(a, np.inf), "non-finite thresholds, values or baseline"),
        ("calibration_raw", lambda a: a[::-1].copy(), "calibration must be increasing in the raw score"),
        ("calibration_band_knots", lambda a: a + 1, "calibration_band_knots must give each length band at least one knot"),
    ],
)
def test_tree_arrays_that_could_loop_or_index_out_of_bounds_are_refused(model, member, change, expected):
    with zipfile.ZipFile(model / ARRAYS_NAME) as archive:
        array = np.load(io.BytesIO(archive.read(f"{member}.npy")), allow_pickle=False)
    tamper(model, {f"{member}.npy": npy(change(array))})
    refused(model, f"{model}: invalid model content (", expected)


def test_the_frequency_table_length_is_bounded():
    assert MAX_FREQUENCY_WORDS * 16 <= 64 << 20  # hashes (8 B) + zipf (4 B) + ranks (4 B) per word


def test_the_shipped_model_loads_unchanged():
    detector = load_detector(ROOT / "models" / "default")
    assert detector.arrays_sha256 == "d7fca679db387c4833dc18554c41595aac204cce055d4a0f60b941a0a6bd2632"
    assert detector.sha256 == "842eac70c19c73aaf7483eebc651af056bb6ca4e444a482546c6531d43e7a361"


# --------------------------------------------------------------------------- the known-synthetic index


@pytest.fixture()
def index(tmp_path) -> Path:
    known = tmp_path / "known.jsonl"
    known.write_text("".join(json.dumps({"text": f"document number {i} says something about topic {i * 7}"}) + "\n" for i in range(5)))
    build_index([str(known)], tmp_path / "index")
    return tmp_path / "index"


def test_index_arrays_are_checked_against_index_json(index):
    names = {"json_name": "index.json", "arrays_name": "index.npz"}
    tamper(index, {"signatures.npy": npy_claiming((10**9, 128), "uint32")}, **names)  # was: internal error: MemoryError
    with pytest.raises(IndexFormatError, match=r"signatures must be uint32 \(5, 128\), got uint32 \(1000000000, 128\)"):
        KnownIndex.load(index)
    tamper(index, fields={"indexed": 10**9}, **names)
    with pytest.raises(IndexFormatError, match="signatures declares 192 bytes uncompressed, its header 512,000,000,128"):
        KnownIndex.load(index)
    tamper(index, {"signatures.npy": npy(np.zeros((5, 128), np.uint32)), "extra.npy": npy(np.zeros(3))}, {"indexed": 5}, **names)
    with pytest.raises(IndexFormatError, match=r"unknown members \['extra.npy'\]"):
        KnownIndex.load(index)
    tamper(index, {"extra.npy": None}, {"minhash.num_perm": "128"}, **names)
    with pytest.raises(IndexFormatError, match=r"index.json: field 'minhash.num_perm' must be an integer in \[1, 65536\], got '128'"):
        KnownIndex.load(index)
