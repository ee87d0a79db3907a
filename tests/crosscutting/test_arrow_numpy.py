"""numpy <-> Arrow from raw buffers (auditor.arrow_numpy): the arrays pa.array / to_numpy give, without importing pandas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from auditor.arrow_numpy import array_from_numpy, array_from_strings, numpy_from_array

NUMERIC = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.float16, np.float32, np.float64]


def _values(dtype, n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    if np.dtype(dtype).kind == "f":
        return rng.normal(0, 1e3, n).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)


def _same(ours: pa.Array, theirs: pa.Array) -> None:
    ours.validate(full=True)
    assert ours.type == theirs.type and ours.null_count == theirs.null_count and ours.equals(theirs)


@pytest.mark.parametrize("dtype", NUMERIC)
@pytest.mark.parametrize("n", [0, 1, 9, 1000])
def test_numbers_make_the_array_pa_array_makes(dtype, n):
    values = _values(dtype, n)
    _same(array_from_numpy(values), pa.array(values))
    _same(array_from_numpy(values[::3]), pa.array(values[::3]))  # a strided view is copied


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 17, 1000])
def test_bools_are_bit_packed_as_pa_array_packs_them(n):
    values = np.random.default_rng(n).random(n) < 0.5
    _same(array_from_numpy(values), pa.array(values))
    _same(array_from_numpy(values[1::2]), pa.array(values[1::2]))


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.uint32, np.bool_])
@pytest.mark.parametrize("pattern", ["some", "none", "all"])
def test_a_null_mask_gives_the_nulls_of_pa_array(dtype, pattern):
    values = _values(dtype, 21) if dtype is not np.bool_ else np.arange(21) % 3 == 0
    null = {"some": np.arange(21) % 4 == 1, "none": np.zeros(21, dtype=bool), "all": np.ones(21, dtype=bool)}[pattern]
    _same(array_from_numpy(values, null=null), pa.array(values, mask=null))


def test_cluster_labels_become_null_where_negative():
    labels = np.array([-1, 0, 0, -1, 2, 2, -1], dtype=np.int64)
    _same(array_from_numpy(labels, null=labels < 0), pa.array(labels, mask=labels < 0, type=pa.int64()))


STRINGS = ["", "plain", "é", "日本語の文", "emoji 🙂", "", "tab\tand\nnewline", "nul\x00inside"]


@pytest.mark.parametrize("arrow_type", [pa.string(), pa.large_string()])
@pytest.mark.parametrize("items", [STRINGS, [], [""], ["only"]])
def test_strings_make_the_array_pa_array_makes(arrow_type, items):
    _same(array_from_strings(items, arrow_type), pa.array(items, arrow_type))


@pytest.mark.parametrize("arrow_type", [pa.binary(), pa.large_binary()])
def test_bytes_make_the_array_pa_array_makes(arrow_type):
    items = [s.encode("utf-8") for s in STRINGS] + [b"\xff\xfe not utf-8"]
    _same(array_from_strings(items, arrow_type), pa.array(items, arrow_type))


def test_strings_default_to_the_string_type():
    _same(array_from_strings(["a", "b"]), pa.array(["a", "b"], pa.string()))


def test_a_lone_surrogate_fails_as_with_pa_array():
    with pytest.raises(UnicodeEncodeError):
        array_from_strings(["\ud800"])


@pytest.mark.parametrize("dtype", NUMERIC + [np.bool_])
@pytest.mark.parametrize("start, stop", [(0, None), (3, None), (5, 14), (9, 9)])
def test_arrow_numbers_read_back_as_to_numpy_gives_them(dtype, start, stop):
    values = _values(dtype, 30) if dtype is not np.bool_ else np.arange(30) % 3 == 0
    array = pa.array(values).slice(start, None if stop is None else stop - start)
    ours = numpy_from_array(array)
    assert ours.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(ours, array.to_numpy(zero_copy_only=False))


def test_a_dictionary_array_reads_back_as_its_indices():
    encoded = pc.dictionary_encode(pa.array(["a", "b", "a", "c", "b"])).slice(1)
    np.testing.assert_array_equal(numpy_from_array(encoded), encoded.indices.to_numpy())
    np.testing.assert_array_equal(numpy_from_array(encoded.indices), [1, 0, 2, 1])


def test_list_offsets_read_back_with_their_slice():
    lists = pc.split_pattern(pa.array(["a b", "c", "", "d e f"]), " ").slice(1)
    np.testing.assert_array_equal(numpy_from_array(lists.offsets), lists.offsets.to_numpy())


def test_round_trip():
    values = np.arange(-5, 5, dtype=np.int64)
    assert numpy_from_array(array_from_numpy(values)).tolist() == values.tolist()


@pytest.mark.parametrize("values, null", [
    (np.zeros((2, 2)), None),
    (np.zeros(3, dtype=object), None),
    (np.zeros(3, dtype=">i8"), None),
    (np.zeros(3, dtype="datetime64[s]"), None),
    (np.zeros(3, dtype=np.complex128), None),
    ([1, 2, 3], None),
    (np.zeros(3), np.zeros(2, dtype=bool)),
    (np.zeros(3), np.zeros(3, dtype=np.int8)),
])
def test_unsupported_numbers_are_refused(values, null):
    with pytest.raises(ValueError):
        array_from_numpy(values, null)


@pytest.mark.parametrize("items, arrow_type", [
    ([b"x"], pa.string()),
    (["x"], pa.large_binary()),
    (["x", None], pa.string()),
    (["x"], pa.int64()),
])
def test_unsupported_strings_are_refused(items, arrow_type):
    with pytest.raises(ValueError):
        array_from_strings(items, arrow_type)


@pytest.mark.parametrize("array", [
    pa.array([1, None, 3]),
    pa.array(["a"]),
    pa.chunked_array([pa.array([1, 2])]),
    np.arange(3),
])
def test_unsupported_arrow_arrays_are_refused(array):
    with pytest.raises(ValueError):
        numpy_from_array(array)


def test_no_conversion_imports_pandas():
    code = (
        "import sys, numpy as np, pyarrow as pa, pyarrow.compute as pc\n"
        "from auditor.arrow_numpy import array_from_numpy, array_from_strings, numpy_from_array\n"
        "labels = np.array([-1, 0, 3])\n"
        "arrays = [array_from_numpy(labels, null=labels < 0), array_from_numpy(np.zeros(3)), array_from_numpy(labels > 0),\n"
        "          array_from_strings(['a', 'é']), array_from_strings([b'a b'], pa.large_binary())]\n"
        "numpy_from_array(arrays[1].slice(1)); numpy_from_array(arrays[2])\n"
        "numpy_from_array(pc.dictionary_encode(pc.split_pattern(arrays[-1], ' ').flatten()))\n"
        "print(sorted(m for m in sys.modules if m == 'pandas' or m.startswith('pandas.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
