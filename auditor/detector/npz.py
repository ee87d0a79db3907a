"""Reading the arrays of a stored ``.npz`` archive, bounded by what its JSON says they are.

``numpy.load`` reads whatever an archive holds, at whatever size a member's header claims: a
header claiming shape ``(10**11,)`` is a ``MemoryError``, an extra member of 2 GiB of zeros
(4.6 MB on disk) is loaded. Here the zip directory and every member's ``.npy`` header are
checked against the expected arrays (:func:`auditor.detector.schema.expected_arrays`) before a byte
of array data is read:

- the members are exactly the expected arrays, each once, as ``<name>.npy``;
- a header's dtype and shape are the expected ones (a :class:`~auditor.detector.schema.Bounded`
  dimension: at most its bound, and the same in every array using it);
- a member's declared uncompressed size is its header plus exactly that many bytes, and at most
  :data:`MAX_EXPANSION` times its compressed size (or :data:`EXPANSION_FLOOR`), so whatever the
  JSON claims, memory stays bounded by the archive's size on disk (zip bombs included).

The data is then read with ``numpy.lib.format.read_array(allow_pickle=False)``: nothing is unpickled.
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np

from auditor.detector.schema import Expected

# Arrays of floats and hashes deflate by less than 3x; all-equal values (zeros) by ~1000x.
MAX_EXPANSION = 64
EXPANSION_FLOOR = 16 << 20  # a member may always expand to 16 MiB: small arrays of equal values are legitimate
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class ArchiveError(ValueError):
    """The archive is not the expected arrays; ``str()`` says what differs (without the file)."""


def read_arrays(blob: bytes, expected: Mapping[str, Expected]) -> dict[str, np.ndarray]:
    """The expected arrays of the ``.npz`` archive ``blob``, each checked before it is read. Raises :class:`ArchiveError`."""
    if not blob.startswith(b"PK\x03\x04"):  # np.load would take a bare .npy array, or try pickle
        raise ArchiveError("not a zip file")
    bound: dict[str, int] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            members = _members(archive.infolist(), expected)
            return {name: _read_member(archive, members[name], name, spec, bound) for name, spec in expected.items()}
    except ArchiveError:
        raise
    except (ValueError, OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error) as err:
        raise ArchiveError(str(err)) from None


def _members(infos: list[zipfile.ZipInfo], expected: Mapping[str, Expected]) -> dict[str, zipfile.ZipInfo]:
    found: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.filename in found:
            raise ArchiveError(f"member {info.filename!r} appears twice")
        found[info.filename] = info
    missing = sorted(name for name in expected if f"{name}.npy" not in found)
    if missing:
        raise ArchiveError(f"missing arrays {missing}")
    unknown = sorted(set(found) - {f"{name}.npy" for name in expected})
    if unknown:
        raise ArchiveError(f"unknown members {unknown}: only the arrays {sorted(expected)} are accepted")
    return {name: found[f"{name}.npy"] for name in expected}


def _describe(dtype: np.dtype, shape: tuple[int | tuple[str, int], ...]) -> str:
    sizes = [size if isinstance(size, int) else f"{size[0]} <= {size[1]:,}" for size in shape]
    return f"{dtype} ({', '.join(map(str, sizes))}{',' if len(sizes) == 1 else ''})"


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, spec: Expected, bound: dict[str, int]) -> np.ndarray:
    limit = max(EXPANSION_FLOOR, MAX_EXPANSION * info.compress_size)
    if info.file_size > limit:
        raise ArchiveError(f"{name} declares {info.file_size:,} bytes from {info.compress_size:,} compressed, more than "
                           f"{MAX_EXPANSION}x (or {EXPANSION_FLOOR:,} bytes) that a stored array may expand to")
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version not in _HEADER_READERS:
            raise ArchiveError(f"{name} has .npy format version {version}, expected 1.0 or 2.0")
        shape, _, dtype = _HEADER_READERS[version](member)
        if dtype != spec.dtype or not _shape_fits(shape, spec.shape, bound):
            raise ArchiveError(f"{name} must be {_describe(spec.dtype, spec.shape)}, got {_describe(dtype, shape)}")
        size = member.tell() + math.prod(shape) * dtype.itemsize
        if info.file_size != size:
            raise ArchiveError(f"{name} declares {info.file_size:,} bytes uncompressed, its header {size:,}")
        member.seek(0)
        array = np.lib.format.read_array(member, allow_pickle=False)
    if spec.values is not None and not spec.values[1](array):
        raise ArchiveError(f"{name} must hold {spec.values[0]}")
    return array


def _shape_fits(shape: tuple[int, ...], expected: tuple[int | tuple[str, int], ...], bound: dict[str, int]) -> bool:
    """``shape`` is ``expected``; a bounded dimension's first size within its bound is bound for the next arrays."""
    if len(shape) != len(expected):
        return False
    for size, want in zip(shape, expected):
        if isinstance(want, int):
            if size != want:
                return False
        elif size != bound.setdefault(want[0], size) or size > want[1]:
            return False
    return True
