"""numpy <-> Arrow conversion from raw buffers, so that a scan worker never imports pandas.

pyarrow imports pandas (0.3-0.5 s) the first time a process calls ``pa.array`` (on a list
or a numpy array), ``Array.to_numpy`` (even zero-copy) or ``pa.scalar``: every ``--jobs``
worker would pay it for nothing. These functions build the same arrays from buffers
instead (``pa.py_buffer``, ``pa.Array.from_buffers``, ``np.frombuffer``), paths that leave
pandas alone:

- :func:`array_from_numpy`: a 1-D integer, float or bool numpy array (and an optional
  null mask, ``True`` = null, as ``pa.array(values, mask=...)``) as an Arrow array of the
  matching type. Fixed-width values are shared, not copied, as ``pa.array`` does (a
  strided view is copied first); bools are bit-packed, least significant bit first.
- :func:`array_from_strings`: Python ``str`` (as UTF-8) or ``bytes`` items as a ``string``,
  ``large_string``, ``binary`` or ``large_binary`` array (offsets + data buffers).
- :func:`numpy_from_array`: an Arrow integer, float or bool array without nulls as numpy,
  honouring the array's ``offset`` (a slice); a dictionary array gives its indices.
  Fixed-width values are a read-only view of the Arrow buffer; bools are unpacked (a copy).
  :func:`numpy_from_column` does the same for a table's column (its chunks, concatenated).

Each result equals (``.equals``) what ``pa.array`` / ``to_numpy`` give
(``tests/crosscutting/test_arrow_numpy.py``). Unsupported input raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_ARROW_TYPES: dict[np.dtype, pa.DataType] = {
    np.dtype(np.bool_): pa.bool_(),
    np.dtype(np.int8): pa.int8(), np.dtype(np.int16): pa.int16(), np.dtype(np.int32): pa.int32(), np.dtype(np.int64): pa.int64(),
    np.dtype(np.uint8): pa.uint8(), np.dtype(np.uint16): pa.uint16(), np.dtype(np.uint32): pa.uint32(), np.dtype(np.uint64): pa.uint64(),
    np.dtype(np.float16): pa.float16(), np.dtype(np.float32): pa.float32(), np.dtype(np.float64): pa.float64(),
}
_NUMPY_DTYPES: dict[pa.DataType, np.dtype] = {arrow: dtype for dtype, arrow in _ARROW_TYPES.items()}
# Arrow type -> (items must be str, offsets dtype).
_BINARY_TYPES: dict[pa.DataType, tuple[bool, type[np.signedinteger]]] = {
    pa.string(): (True, np.int32), pa.large_string(): (True, np.int64),
    pa.binary(): (False, np.int32), pa.large_binary(): (False, np.int64),
}


def _bits(flags: np.ndarray) -> pa.Buffer:
    """Arrow's bitmap of a bool array: bit ``i % 8`` of byte ``i // 8``, padding bits 0."""
    return pa.py_buffer(np.packbits(flags, bitorder="little"))


def array_from_numpy(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """``pa.array(values, mask=null)`` without pyarrow's pandas-aware path (see the module)."""
    if not isinstance(values, np.ndarray) or values.ndim != 1:
        raise ValueError(f"expected a 1-D numpy array, got {type(values).__name__} of shape {getattr(values, 'shape', None)}")
    arrow_type = _ARROW_TYPES.get(values.dtype)
    if arrow_type is None or not values.dtype.isnative:
        raise ValueError(f"no Arrow conversion for numpy dtype {values.dtype.str}: native bool, int, uint or float only")
    validity, null_count = None, 0
    if null is not None:
        if not isinstance(null, np.ndarray) or null.dtype != np.bool_ or null.shape != values.shape:
            raise ValueError(f"null mask must be a bool numpy array of shape {values.shape}")
        null_count = int(np.count_nonzero(null))
        validity = _bits(~null) if null_count else None
    data = _bits(values) if arrow_type == pa.bool_() else pa.py_buffer(np.ascontiguousarray(values))
    return pa.Array.from_buffers(arrow_type, len(values), [validity, data], null_count)


def array_from_strings(items: Sequence[str] | Sequence[bytes], arrow_type: pa.DataType = pa.string()) -> pa.Array:
    """``pa.array(items, arrow_type)`` for a string or binary type, without nulls (see the module).

    String types take ``str`` items (encoded as UTF-8; a lone surrogate raises
    ``UnicodeEncodeError``, as with ``pa.array``), binary types ``bytes``.
    """
    kind = _BINARY_TYPES.get(arrow_type)
    if kind is None:
        raise ValueError(f"expected a string or binary Arrow type, got {arrow_type}")
    text, offset_dtype = kind
    wanted = str if text else bytes
    if not all(isinstance(item, wanted) for item in items):
        raise ValueError(f"{arrow_type} arrays are built from {wanted.__name__} items only")
    encoded = [item.encode("utf-8") if isinstance(item, str) else item for item in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    if offsets[-1] > np.iinfo(offset_dtype).max:
        raise ValueError(f"{offsets[-1]} bytes do not fit a {arrow_type} array (32-bit offsets): use the large type")
    buffers = [None, pa.py_buffer(offsets.astype(offset_dtype)), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(arrow_type, len(encoded), buffers)


def numpy_from_array(array: pa.Array) -> np.ndarray:
    """``array.to_numpy()`` without pyarrow's pandas-aware path (see the module)."""
    if not isinstance(array, pa.Array):
        raise ValueError(f"expected a pyarrow Array, got {type(array).__name__}")
    if isinstance(array, pa.DictionaryArray):
        array = array.indices
    dtype = _NUMPY_DTYPES.get(array.type)
    if dtype is None:
        raise ValueError(f"no numpy conversion for Arrow type {array.type}: bool, int, uint or float only")
    if array.null_count:
        raise ValueError(f"the {array.type} array holds {array.null_count} nulls: numpy has no place for them")
    data = array.buffers()[1]
    if len(array) == 0 or data is None:
        return np.zeros(0, dtype=dtype)
    if dtype == np.bool_:
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), count=array.offset + len(array), bitorder="little")
        return bits[array.offset:].astype(np.bool_)
    return np.frombuffer(data, dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize)


def numpy_from_column(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """:func:`numpy_from_array` of a column's chunks, concatenated (a table column is a ``ChunkedArray``)."""
    if isinstance(column, pa.Array):
        return numpy_from_array(column)
    if not isinstance(column, pa.ChunkedArray):
        raise ValueError(f"expected a pyarrow Array or ChunkedArray, got {type(column).__name__}")
    dtype = _NUMPY_DTYPES.get(column.type.index_type if isinstance(column.type, pa.DictionaryType) else column.type)
    if dtype is None:
        raise ValueError(f"no numpy conversion for Arrow type {column.type}: bool, int, uint or float only")
    parts = [numpy_from_array(chunk) for chunk in column.chunks]
    return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
