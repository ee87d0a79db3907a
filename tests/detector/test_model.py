"""Model files: reproducible training, verification, and refusal of anything that is not the format."""

import hashlib
import io
import json
import pickle
import shutil
import zipfile

import numpy as np
import pytest

from auditor.detector.validation import ROUND_THRESHOLDS
from click.testing import CliRunner

from auditor.cli import cli
from auditor.detector.scorer import load_detector
from auditor.detector.store import ARRAYS_NAME, JSON_NAME, ModelError, load_stored, save_model
from auditor.detector.training import TrainOptions, train


def test_training_twice_gives_byte_identical_files(tmp_path, labelled_path, tiny_table, tiny_model_dir):
    again = tmp_path / "again"
    train([str(labelled_path)], again, TrainOptions(group_field="group", name="tiny", trees=60), table=tiny_table)
    for name in (JSON_NAME, ARRAYS_NAME):
        assert (again / name).read_bytes() == (tiny_model_dir / name).read_bytes()


def test_model_json_records_what_a_user_needs(tiny_model_dir):
    meta = json.loads((tiny_model_dir / JSON_NAME).read_text())
    assert meta["format"] == "auditor.model/3"
    assert meta["threshold"] in ROUND_THRESHOLDS and meta["threshold_rule"].startswith("smallest round threshold")
    assert meta["calibration"]["prior"] == 0.5 and meta["calibration"]["knots"] >= 2
    assert meta["estimator"]["class"] == "BoostedDetector" and meta["estimator"]["trees"] == 60
    assert meta["arrays"]["sha256"] == hashlib.sha256((tiny_model_dir / ARRAYS_NAME).read_bytes()).hexdigest()
    assert set(meta["versions"]) == {"auditor", "numpy", "scikit-learn", "python"}
    assert meta["training"]["by_group"] == {
        "g0": {"human": 100, "machine": 27}, "g1": {"human": 100, "machine": 27}, "g2": {"human": 100, "machine": 26},
    }
    assert [f["held_out"] for f in meta["validation"]["folds"]] == ["g0", "g1", "g2"]
    assert 0.0 <= meta["threshold"] <= 1.0
    detector = load_detector(tiny_model_dir)
    assert len(detector.human_scores) == 300 and len(detector.machine_scores) == 80


def _copy(src, tmp_path):
    dst = tmp_path / "model"
    shutil.copytree(src, dst)
    return dst


def test_tampered_arrays_are_refused(tmp_path, tiny_model_dir):
    model = _copy(tiny_model_dir, tmp_path)
    blob = bytearray((model / ARRAYS_NAME).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (model / ARRAYS_NAME).write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="SHA-256 .* does not match"):
        load_detector(model)


def test_missing_file_and_foreign_format_are_refused(tmp_path, tiny_model_dir):
    model = _copy(tiny_model_dir, tmp_path)
    (model / ARRAYS_NAME).unlink()
    with pytest.raises(ModelError, match="cannot read the model arrays"):
        load_stored(model)
    model2 = _copy(tiny_model_dir, tmp_path / "b")
    meta = json.loads((model2 / JSON_NAME).read_text())
    meta["format"] = "auditor.model/99"
    (model2 / JSON_NAME).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="not supported"):
        load_stored(model2)


class _Exploit:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_given_as_model_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "model.pkl"
    bad.write_bytes(pickle.dumps(_Exploit(marker)))
    result = CliRunner().invoke(cli, ["scan", "sample_data/mixed.jsonl", "--out", str(tmp_path / "out"), "--model", str(bad)])
    assert result.exit_code == 2
    assert "not an auditor model directory" in result.output
    assert not marker.exists()


def test_pickled_array_inside_a_correctly_hashed_archive_is_refused(tmp_path, tiny_model_dir):
    marker = tmp_path / "pwned"
    model = _copy(tiny_model_dir, tmp_path)
    member = io.BytesIO()
    np.save(member, np.array([_Exploit(marker)], dtype=object), allow_pickle=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(model / ARRAYS_NAME) as original, zipfile.ZipFile(archive, "w") as z:
        for name in original.namelist():  # every array of the format, one of them a pickle
            z.writestr(name, member.getvalue() if name == "validation_human.npy" else original.read(name))
    blob = archive.getvalue()
    (model / ARRAYS_NAME).write_bytes(blob)
    meta = json.loads((model / JSON_NAME).read_text())
    meta["arrays"]["sha256"] = hashlib.sha256(blob).hexdigest()
    (model / JSON_NAME).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="not a valid array archive"):
        load_stored(model)
    assert not marker.exists()


def test_saving_object_arrays_is_refused(tmp_path):
    with pytest.raises(ValueError, match="numeric arrays only"):
        save_model(tmp_path / "m", {}, {"a": np.array([object()], dtype=object)})


def test_the_model_identity_changes_when_model_json_is_edited(tmp_path, tiny_model_dir):
    model = _copy(tiny_model_dir, tmp_path)
    before = load_detector(model).sha256
    meta = json.loads((model / JSON_NAME).read_text())
    meta["threshold"] = 0.5
    (model / JSON_NAME).write_text(json.dumps(meta, indent=4))
    after = load_detector(model)
    assert after.sha256 != before and after.arrays_sha256 == load_detector(tiny_model_dir).arrays_sha256


def test_a_trees_model_of_the_earlier_format_loads_and_estimates_with_one_pair(tmp_path, tiny_model_dir):
    """``auditor.model/2`` models (before per-family validation scores) keep loading and scanning."""
    from auditor.estimate.references import build_estimator

    stored = load_stored(tiny_model_dir)
    metadata = {key: value for key, value in stored.metadata.items() if key not in ("format", "arrays")}
    metadata["validation"] = {key: value for key, value in metadata["validation"].items() if key != "groups"}
    arrays = {name: array for name, array in stored.arrays.items() if not name.endswith("_group")}
    save_model(tmp_path / "old", metadata, arrays, format="auditor.model/2")
    old, new = load_detector(tmp_path / "old"), load_detector(tiny_model_dir)
    assert old.validation_by_group == {} and set(new.validation_by_group) == {"g0", "g1", "g2"}
    assert build_estimator(old, old.threshold, "em").alternatives == ()
    assert len(build_estimator(new, new.threshold, "em").alternatives) >= 1
    features = np.random.default_rng(0).random((5, len(old.columns)))
    assert old.probability(features, np.full(5, 100.0)).tobytes() == new.probability(features, np.full(5, 100.0)).tobytes()
