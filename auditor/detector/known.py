"""An index of text known to be machine-generated, and near-duplicate look-ups against it.

Web corpora contain copies of public synthetic datasets. :func:`build_index` fingerprints texts
the user *knows* are synthetic and stores their MinHash signatures; :meth:`KnownIndex.best_jaccard`
gives each corpus document its best estimated Jaccard similarity (word 5-gram sets, as
``auditor fingerprint`` defines them) with an indexed text; a scan marks values >= a threshold.

An index is a directory (the conventions of :mod:`auditor.detector.store`)::

    index.json  format, MinHash scheme (``minhash.scheme_metadata``: num_perm, seed, datasketch
                version), document counts, inputs, documents per source, library versions,
                the arrays' SHA-256
    index.npz   ``signatures``: uint32 (n, num_perm), distinct non-empty signatures in order of
                first occurrence

Loading reads JSON and ``numpy.load(allow_pickle=False)`` after checking the SHA-256: nothing is
ever unpickled. Writing is atomic (``.npz`` first, ``.json`` last) and byte-reproducible.

Decisions:
- Only signatures are stored. Band keys (``dedup.band_keys``: the buckets of
  ``NearDuplicateIndex`` and datasketch ``MinHashLSH``) are computed and sorted per banding on
  first use (~4 us/document): the banding follows the query threshold (9x13 at 0.8, 5x25 at 0.9
  with 128 permutations), so stored keys would serve one threshold and add derived data.
- Identical signatures are stored once (exact copies are common in synthetic sets; each would be
  compared again for every query reaching its bucket). Results are unchanged.
- Documents with no word (empty-set signature) are not stored; such queries get 0.0.
- ``best_jaccard`` is the highest fraction of equal slots among LSH *candidates*, 0.0 without
  one. A value below the threshold is a candidate's, not the best over the index. Like
  MinHashLSH, banding for 0.8 misses some pairs above it (probability ``(1 - J**13)**9``: 7% at
  J = 0.9, none from 0.9375); banding for a lower threshold (0.5: 25x5, none missed from 0.8125)
  and marking ``>= 0.8`` trades more candidate comparisons for recall.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np

from auditor import __version__
from auditor.atomic import atomic_path
from auditor.corpus.batches import FingerprintOptions, Progress, fingerprint_batches
from auditor.detector.schema import OBJECT, ArraySpec, Count, Schema, SchemaError, expected_arrays, integer
from auditor.detector.store import StoredFormat, npz_bytes, read_stored
from auditor.errors import AuditorError
from auditor.features import minhash
from auditor.features.dedup import band_keys
from auditor.features.dedup import lsh_banding as dedup_banding
from auditor.io.problems import ReadReport
from auditor.io.reading import read_documents
from auditor.lock import output_lock

INDEX_FORMAT = "auditor.known-index/1"
DEFAULT_KNOWN_THRESHOLD = 0.8
JSON_NAME = "index.json"
ARRAYS_NAME = "index.npz"

_PAIR_BUDGET = 1 << 22  # candidate (query, document) pairs gathered per step: 32 MiB of codes
_PAIR_CHUNK = 8192  # pairs compared per numpy call (8192 x 2 x 512 B of signatures at 128)
_REMEDY = "rebuild the index from the known texts"


class IndexFormatError(AuditorError):
    """A known-text index is missing, tampered with, not in the format, or built with other MinHash settings."""


# What index.json must record, and the one array it implies (auditor.detector.schema's building blocks).
INDEX_SCHEMA = Schema(
    fields=(
        (("minhash",), OBJECT),
        (("minhash", "num_perm"), integer(1, 1 << 16)),
        (("minhash", "seed"), integer(0, 2**32 - 1)),
        (("indexed",), integer(0)),
    ),
    arrays={"signatures": ArraySpec("uint32", ("indexed", "num_perm"))},
    dimensions={"indexed": Count(("indexed",)), "num_perm": Count(("minhash", "num_perm"))},
)
_INDEX_FORMAT = StoredFormat(
    {INDEX_FORMAT: INDEX_SCHEMA}, JSON_NAME, ARRAYS_NAME, "index", IndexFormatError, _REMEDY,
    "pass a directory written by 'auditor index build'", max_json_bytes=256 << 20,
)


# Scans look candidates up with the banding for this Jaccard (25 bands x 5 rows at 128
# permutations): a pair at 0.8 is then missed with probability ~2e-5, against ~20% with 0.8's own.
QUERY_BANDING = 0.5


@lru_cache(maxsize=32)
def lsh_banding(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows per band)`` datasketch ``MinHashLSH`` picks for ``threshold`` and ``num_perm``."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"known-text threshold must be in (0, 1], got {threshold}")
    try:
        banding = dedup_banding(threshold, num_perm)
    except ValueError as err:
        raise ValueError(
            f"known-text threshold {threshold} cannot be indexed with {num_perm} MinHash permutations ({err}): "
            "use --num-perm 16 or more (and rebuild the index with it)"
        ) from None
    return banding


def build_index(
    paths: Sequence[str],
    out: str | os.PathLike[str],
    options: FingerprintOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, object]:
    """Fingerprint the known machine-generated texts under ``paths`` and write an index to ``out``.

    Inputs are read as ``auditor fingerprint`` reads them (``options.reader``; bad records are
    skipped and counted) and signed with ``options.num_perm`` / ``options.seed``, which scans
    must then use (None: the defaults). ``out`` is a directory (created if needed). Returns the
    summary stored in ``index.json``. Raises :class:`~auditor.errors.InputError` for unusable inputs.
    """
    options = options if options is not None else FingerprintOptions()
    if isinstance(paths, (str, os.PathLike)):
        paths = [os.fspath(paths)]
    paths = [os.fspath(p) for p in paths]
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise ValueError(f"{target} is a file: an index is a directory; choose another output path")
    lsh_banding(QUERY_BANDING, options.num_perm)  # refuse settings no scan could query, before any work
    report, start = ReadReport(), time.perf_counter()
    chunks: list[np.ndarray] = []
    sources: dict[str, int] = {}
    documents = text_bytes = 0
    for batch in fingerprint_batches(read_documents(paths, options.reader, report), options):
        empty = (batch.signatures == minhash.EMPTY_HASH).all(axis=1)
        chunks.append(batch.signatures[~empty])
        for doc in batch.documents:
            sources[doc.source] = sources.get(doc.source, 0) + 1
        documents += len(batch.documents)
        text_bytes += batch.text_bytes
        if progress is not None:
            progress(Progress(documents, text_bytes, time.perf_counter() - start))
    signatures = np.concatenate(chunks) if chunks else np.empty((0, options.num_perm), dtype=np.uint32)
    non_empty = len(signatures)
    if non_empty:
        _, first = np.unique(signatures, axis=0, return_index=True)
        signatures = signatures[np.sort(first)]
    read = report.to_dict()
    summary: dict[str, object] = {
        "format": INDEX_FORMAT,
        "created_with": {"auditor": __version__, "numpy": version("numpy"), "datasketch": version("datasketch")},
        "inputs": paths,
        "documents": documents,
        "indexed": len(signatures),
        "empty_documents": documents - non_empty,
        "duplicate_signatures": non_empty - len(signatures),
        "skipped": read["skipped"],
        "repaired": read["repaired"],
        "sources": dict(sorted(sources.items())),
        "minhash": minhash.scheme_metadata(options.num_perm, options.seed),
    }
    arrays = {"signatures": signatures}
    blob = npz_bytes(arrays)
    summary["arrays"] = {"file": ARRAYS_NAME, "sha256": hashlib.sha256(blob).hexdigest(), "names": sorted(arrays)}
    target.mkdir(parents=True, exist_ok=True)
    # Arrays first, JSON last: a crash in between leaves a hash mismatch, refused on load. Locked,
    # so that two builds into one directory never pair one's arrays with the other's JSON.
    with output_lock(target, "--out", directory=True):
        with atomic_path(target / ARRAYS_NAME) as tmp:
            tmp.write_bytes(blob)
        with atomic_path(target / JSON_NAME) as tmp:
            tmp.write_text(json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")
    return summary


def _major(scheme: dict[str, object]) -> str:
    return str(scheme.get("datasketch_version", "?")).split(".")[0]


def _describe(scheme: dict[str, object], with_scheme: bool) -> str:
    text = f"num_perm={scheme.get('num_perm')} seed={scheme.get('seed')} (datasketch {_major(scheme)}.x)"
    return f"{text} scheme {scheme.get('scheme')}/{scheme.get('shingle')}/{scheme.get('datasketch_scheme')}" if with_scheme else text


class KnownIndex:
    """A loaded known-text index: signatures plus what ``index.json`` says.

    Attributes:
        summary: the ``index.json`` content (documents, sources, minhash, created_with, ...).
        signatures: uint32 (indexed, num_perm), read-only.
        num_perm / seed: the MinHash settings the index was built with.
        path: the index directory, or None.
    """

    def __init__(self, signatures: np.ndarray, summary: dict[str, object], path: Path | None = None) -> None:
        try:
            expected = expected_arrays(summary, INDEX_SCHEMA, stored=False)["signatures"]
        except SchemaError as err:
            raise IndexFormatError(f"{path or 'index'}: {err}; {_REMEDY}") from None
        scheme = summary["minhash"]
        assert isinstance(scheme, dict)
        self.num_perm, self.seed = int(scheme["num_perm"]), int(scheme["seed"])
        if not isinstance(signatures, np.ndarray) or signatures.dtype != expected.dtype or signatures.shape != expected.shape:
            shape = getattr(signatures, "shape", type(signatures).__name__)
            raise IndexFormatError(
                f"{path or 'index'}: signatures must be uint32 {expected.shape}, got {getattr(signatures, 'dtype', '?')} {shape}; {_REMEDY}"
            )
        self.signatures, self.summary, self.path = signatures.view(), summary, path
        self.signatures.setflags(write=False)  # a view: the caller's array stays writeable
        self._tables: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.signatures)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KnownIndex:
        """Read and verify an index directory (or its ``index.json``). Raises :class:`IndexFormatError`."""
        directory, summary, arrays, _ = read_stored(path, _INDEX_FORMAT)
        return cls(arrays["signatures"], summary, directory)

    @classmethod
    def load_shared(cls, path: str | os.PathLike[str]) -> KnownIndex:
        """:meth:`load`, memoized per process while the files are unchanged.

        A scan's workers match every shard against the index: each loads (and
        verifies) it once, not once per shard. The instance is shared: treat it as
        read-only (its signatures are).
        """
        directory = Path(path)
        if directory.name == JSON_NAME:
            directory = directory.parent
        try:
            stamp = tuple((st.st_mtime_ns, st.st_size) for st in (os.stat(directory / JSON_NAME), os.stat(directory / ARRAYS_NAME)))
        except OSError:
            return cls.load(path)  # it raises the error naming the missing file
        return _load_memoized(str(directory.resolve()), stamp)

    def check_compatible(self, num_perm: int, seed: int) -> None:
        """Refuse (:class:`IndexFormatError`) a scan whose signatures cannot be compared with the index's.

        They must agree on num_perm, seed, shingling / hashing scheme and datasketch major version.
        """
        mine, scan = self.summary["minhash"], minhash.scheme_metadata(num_perm, seed)
        assert isinstance(mine, dict)
        keys = ("scheme", "shingle", "datasketch_scheme")
        other_scheme = any(mine.get(k) != scan[k] for k in keys)
        if other_scheme or mine.get("num_perm") != num_perm or mine.get("seed") != seed or _major(mine) != _major(scan):
            raise IndexFormatError(
                f"{self.path or 'index'}: index built with {_describe(mine, other_scheme)}, scan uses "
                f"{_describe(scan, other_scheme)}: rebuild the index with the scan's settings"
            )

    def _bands(self, b: int, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per band: the index's keys sorted, the signature row of each (two (b, n) arrays), and
        whether equal keys in the band hide unequal values (a 64-bit collision; never observed)."""
        if (b, r) not in self._tables:
            rows = np.flatnonzero(~(self.signatures == minhash.EMPTY_HASH).all(axis=1))
            keys = band_keys(self.signatures[rows], b, r)
            order = np.argsort(keys, axis=1, kind="stable")
            keys, rows = np.take_along_axis(keys, order, axis=1), rows[order]
            mixed = np.zeros(b, dtype=bool)
            for band in range(b):
                tie = np.flatnonzero(keys[band, 1:] == keys[band, :-1])
                values = self.signatures[:, band * r : (band + 1) * r]
                mixed[band] = (values[rows[band, tie]] != values[rows[band, tie + 1]]).any()
            self._tables[(b, r)] = (keys, rows, mixed)
        return self._tables[(b, r)]

    def best_jaccard(self, signatures: np.ndarray, threshold: float = DEFAULT_KNOWN_THRESHOLD) -> np.ndarray:
        """Per query row, the highest estimated Jaccard with an LSH candidate in the index, else 0.0.

        Candidates share a bucket with the query in MinHashLSH's banding for ``threshold`` and
        ``num_perm`` (the documents ``MinHashLSH.query`` returns); the estimate is the fraction
        of equal signature slots, as ``MinHash.jaccard``. Empty signatures get 0.0. Queries must
        come from the index's MinHash settings (see :meth:`check_compatible`). Returns float64 (n,).
        """
        queries = np.asarray(signatures)
        if queries.ndim != 2 or queries.shape[1] != self.num_perm or queries.dtype != np.uint32:
            raise ValueError(f"expected uint32 signatures of shape (n, {self.num_perm}), got {queries.dtype} {queries.shape}")
        b, r = lsh_banding(threshold, self.num_perm)
        keys, rows, mixed = self._bands(b, r)
        best = np.zeros(len(queries), dtype=np.float64)
        live = np.flatnonzero(~(queries == minhash.EMPTY_HASH).all(axis=1))
        if not len(live) or not keys.shape[1]:
            return best
        query_keys = band_keys(queries[live], b, r)
        lo = np.stack([np.searchsorted(keys[i], query_keys[i], side="left") for i in range(b)])
        hi = np.stack([np.searchsorted(keys[i], query_keys[i], side="right") for i in range(b)])
        for band in np.flatnonzero(~mixed):  # a run is one bucket: its first row decides for all
            hit = np.flatnonzero(hi[band] > lo[band])
            cols = slice(band * r, (band + 1) * r)
            other = (self.signatures[rows[band, lo[band, hit]], cols] != queries[live[hit], cols]).any(axis=1)
            hi[band, hit[other]] = lo[band, hit[other]]
        reach = np.cumsum((hi - lo).sum(axis=0))  # candidate pairs (with repeats) up to each query
        s = 0
        while s < len(live):  # query chunks of at most _PAIR_BUDGET pairs (at least one query)
            e = max(s + 1, int(np.searchsorted(reach, (reach[s - 1] if s else 0) + _PAIR_BUDGET, side="right")))
            agree = self._best_agreement(queries, live[s:e], lo[:, s:e], hi[:, s:e], rows, r, mixed)
            best[live[s:e]] = np.where(agree >= 0, agree / self.num_perm, 0.0)
            s = e
        return best

    def _best_agreement(self, queries: np.ndarray, live: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                        rows: np.ndarray, r: int, mixed: np.ndarray) -> np.ndarray:
        """Most equal slots with any candidate, per query of ``live``; -1 without a candidate."""
        n = len(self.signatures)
        parts = []
        for band in range(len(rows)):  # (query, row) pairs of every bucket hit, coded as query * n + row
            counts = hi[band] - lo[band]
            total = int(counts.sum())
            if total:
                query = np.repeat(np.arange(len(live)), counts)
                row = rows[band, np.arange(total) - np.repeat(np.cumsum(counts) - counts - lo[band], counts)]
                if mixed[band]:  # the run mixes buckets: keep the rows whose band values are the query's
                    cols = slice(band * r, (band + 1) * r)
                    same = (self.signatures[row, cols] == queries[live[query], cols]).all(axis=1)
                    query, row = query[same], row[same]
                parts.append(query * n + row)
        codes = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
        codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes  # pairs once
        query, row = np.divmod(codes, n)
        agree = np.empty(len(codes), dtype=np.int64)
        for c in range(0, len(codes), _PAIR_CHUNK):
            equal = self.signatures[row[c : c + _PAIR_CHUNK]] == queries[live[query[c : c + _PAIR_CHUNK]]]
            agree[c : c + _PAIR_CHUNK] = equal.view(np.uint8).sum(axis=1, dtype=np.int64)
        best = np.full(len(live), -1, dtype=np.int64)
        if len(codes):
            starts = np.flatnonzero(np.concatenate(([True], query[1:] != query[:-1])))
            best[query[starts]] = np.maximum.reduceat(agree, starts)
        return best


@lru_cache(maxsize=4)
def _load_memoized(directory: str, stamp: tuple[tuple[int, int], ...]) -> KnownIndex:
    return KnownIndex.load(directory)
