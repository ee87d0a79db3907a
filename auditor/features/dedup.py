"""Near-duplicate clusters inside a corpus: MinHash LSH candidates, verified, joined by union-find.

Decision: the banding ``(b, r)`` is datasketch :class:`~datasketch.MinHashLSH`'s
(its optimiser picks it for the threshold: 9 bands of 13 rows at 0.8 and 128
permutations), the buckets are built with numpy sort-joins, because
per-document ``MinHashLSH.insert`` cost 30-42 ms/MB of text (~70 us/document)
and ~3.4 KB/document of dict-of-sets storage on top of the signatures (~4.0 KB
in all). Now ``add`` hashes each band of a batch to a 64-bit key (~0.5 ms/MB,
3-4 us/document) and the index holds, per document, the signature
(``num_perm * 4`` bytes: 512 at 128) plus ``b * 8`` bytes of band keys and a
1-byte empty flag: 585 bytes at the defaults (up to 2x while buffers grow by
doubling), i.e. ~0.6 GB per million documents; :meth:`~NearDuplicateIndex.clusters`
briefly needs ~40 bytes/document more (one band's sort at a time).

A bucket is, as in MinHashLSH (bands ``[i*r, (i+1)*r)``, only the first
``b*r`` permutations), the set of documents whose signatures agree on all ``r``
values of a band. :meth:`NearDuplicateIndex.clusters` sorts each band's keys
and reads runs of equal keys; neighbours with equal keys but different band
values (a 64-bit collision, never observed) are re-sorted by value, so buckets
are exactly MinHashLSH's. Every pair of documents sharing a bucket is a
candidate; it counts only when the estimated Jaccard similarity of the two
signatures reaches the threshold (LSH alone also pairs documents below it).
Verified pairs are joined with union-find, so clusters are transitive: A~B and
B~C put A, B and C in one cluster even when A and C are less similar. Labels
depend only on the set of verified pairs, not on the order buckets are visited.

Documents with no word (an empty shingle set) are never clustered: there is
nothing to compare.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np

from auditor.summary import NearDuplicateBlock
from auditor.features.minhash import DEFAULT_NUM_PERM, DEFAULT_SEED, EMPTY_HASH

DEFAULT_THRESHOLD = 0.8

_STEP = np.uint64(0x9E3779B97F4A7C15)  # odd: each mixing step is a bijection of the state
_FMIX1, _FMIX2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)
_PAIR_CHUNK = 8192  # candidate pairs compared per numpy call (8192 x 2 x 512 B of signatures)


# Gauss-Legendre nodes for the banding's integrals, on 16 equal pieces of each interval: the
# S-curve 1 - (1 - s^r)^b is steep for large r and b, and one set of nodes would miss it.
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)


def _integral(f: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, pieces: int = 16) -> np.ndarray:
    edges = np.linspace(lo, hi, pieces + 1)
    half, mid = (edges[1:] - edges[:-1]) / 2, (edges[1:] + edges[:-1]) / 2
    points = (mid[:, None] + half[:, None] * _NODES[None, :]).ravel()
    weights = (half[:, None] * _WEIGHTS[None, :]).ravel()
    return f(points) @ weights


@lru_cache(maxsize=64)
def lsh_banding(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows per band)`` for MinHash LSH at ``threshold``: datasketch ``MinHashLSH``'s choice, computed here.

    The banding minimizes the false positive plus false negative probability (equal weights),
    integrated over the similarity, among every ``b * r <= num_perm`` in datasketch's order;
    datasketch integrates with ``scipy.integrate.quad``, which costs ~0.6 s to import in every
    process, so the same integrals are taken with Gauss-Legendre quadrature (the same choice on
    every threshold and permutation count ``tests/features/test_dedup.py`` compares). Raises
    ``ValueError`` where datasketch does: fewer than 2 permutations, or fewer than 2 bands.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("threshold must be in [0.0, 1.0]")
    if num_perm < 2:
        raise ValueError("Too few permutation functions")
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)], dtype=np.float64)
    bands, rows = pairs[:, :1], pairs[:, 1:]
    false_positive = _integral(lambda s: 1 - (1 - s[None, :] ** rows) ** bands, 0.0, threshold)
    false_negative = _integral(lambda s: (1 - s[None, :] ** rows) ** bands, threshold, 1.0)
    best = int(np.argmin(0.5 * false_positive + 0.5 * false_negative))  # the first minimum, as datasketch's loop keeps it
    b, r = int(pairs[best, 0]), int(pairs[best, 1])
    if b < 2:
        raise ValueError("The number of bands are too small (b < 2)")
    return b, r


def band_keys(signatures: np.ndarray, b: int, r: int) -> np.ndarray:
    """64-bit key per band and document, shape ``(b, n)`` uint64.

    Band ``i`` covers signature columns ``[i*r, (i+1)*r)``. Each of the ``r``
    values is folded in by xor, odd multiply and xorshift (all bijective, so
    no state is lost), then MurmurHash3's fmix64 spreads the bits. Equal band
    values give equal keys; different ones collide with probability ~2**-64,
    and a collision is resolved by value in :meth:`NearDuplicateIndex.buckets`.
    """
    n = len(signatures)
    values = signatures[:, : b * r].reshape(n, b, r)
    h = np.zeros((n, b), dtype=np.uint64)
    for j in range(r):
        h ^= values[:, :, j]
        h *= _STEP
        h ^= h >> np.uint64(32)
    h ^= h >> np.uint64(33)
    h *= _FMIX1
    h ^= h >> np.uint64(33)
    h *= _FMIX2
    h ^= h >> np.uint64(33)
    return np.ascontiguousarray(h.T)


class NearDuplicateIndex:
    """Incremental near-duplicate clustering over MinHash signatures.

    Args:
        threshold: minimum estimated Jaccard similarity of word 5-gram sets
            for two documents to be near-duplicates, in (0, 1].
        num_perm: signature length (must match the signatures added).
        seed: MinHash seed (recorded; signatures must come from it).
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.num_perm = num_perm
        self.seed = seed
        # Only the banding is datasketch's (lsh_banding): the same false positive / negative
        # trade-off as MinHashLSH, without its per-document storage.
        self._b, self._r = lsh_banding(threshold, num_perm)
        self._signatures = np.empty((1024, num_perm), dtype=np.uint32)
        self._keys = np.empty((self._b, 1024), dtype=np.uint64)  # one contiguous row per band, for sorting
        self._empty = np.empty(1024, dtype=bool)  # no shingle: never bucketed
        self._size = 0
        self._parent: dict[int, int] = {}  # union-find, only rows with a verified pair
        self._verified = True

    @property
    def bands(self) -> tuple[int, int]:
        """LSH banding ``(bands, rows per band)`` chosen by datasketch for the threshold."""
        return self._b, self._r

    def __len__(self) -> int:
        return self._size

    def add(self, signatures: np.ndarray) -> None:
        """Add the next documents' signatures (rows ``len(self)`` onward), in order."""
        if signatures.ndim != 2 or signatures.shape[1] != self.num_perm:
            raise ValueError(f"expected signatures of shape (n, {self.num_perm}), got {signatures.shape}")
        first, end = self._size, self._size + len(signatures)
        self._reserve(end)
        self._signatures[first:end] = signatures
        self._keys[:, first:end] = band_keys(self._signatures[first:end], self._b, self._r)
        self._empty[first:end] = (self._signatures[first:end] == EMPTY_HASH).all(axis=1)
        self._size = end
        self._verified = False

    def _band_runs(self, band: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of one band's buckets of two or more, grouped: ``(rows, bounds)``.

        Bucket ``k`` is ``rows[bounds[k]:bounds[k + 1]]``, rows ascending.
        """
        n = self._size
        rows = np.flatnonzero(~self._empty[:n])
        keys = self._keys[band, rows]
        order = np.argsort(keys, kind="stable")  # stable: rows stay ascending within a key
        rows, keys = rows[order], keys[order]
        equal = keys[1:] == keys[:-1]
        shared = np.zeros(len(rows), dtype=bool)  # row has an equal-key neighbour
        shared[1:] |= equal
        shared[:-1] |= equal
        rows, keys = rows[shared], keys[shared]
        if not len(rows):
            return rows, np.zeros(1, dtype=np.int64)
        lo, hi = band * self._r, (band + 1) * self._r
        values = self._signatures[rows, lo:hi]
        same_key = keys[1:] == keys[:-1]
        same = same_key & (values[1:] == values[:-1]).all(axis=1)
        if (same != same_key).any():  # a key collision: order by band values as well
            order = np.lexsort((*values.T, keys))
            rows, keys, values = rows[order], keys[order], values[order]
            same = (keys[1:] == keys[:-1]) & (values[1:] == values[:-1]).all(axis=1)
        bounds = np.flatnonzero(np.concatenate(([True], ~same, [True])))
        multi = np.diff(bounds) > 1  # after a collision split, some runs are singletons
        keep = np.repeat(multi, np.diff(bounds))
        return rows[keep], np.concatenate(([0], np.cumsum(np.diff(bounds)[multi])))

    def buckets(self) -> Iterator[tuple[int, np.ndarray]]:
        """``(band, rows)`` for every bucket holding two or more documents (diagnostics, tests)."""
        for band in range(self._b):
            rows, bounds = self._band_runs(band)
            for s, e in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
                yield band, rows[s:e]

    def _verify_buckets(self) -> None:
        """Union every verified pair of documents that share an LSH bucket."""
        need = int(np.ceil(self.threshold * self.num_perm - 1e-9))
        pairs, seen = [], set()
        for band in range(self._b):
            rows, bounds = self._band_runs(band)
            sizes = np.diff(bounds)
            # Buckets of two (nearly all) are verified together below: for a
            # pair, _verify_group unions exactly when the signatures agree in
            # >= need slots (identical ones agree in all), so this is the same.
            starts = bounds[:-1][sizes == 2]
            pairs.append(np.stack([rows[starts], rows[starts + 1]], axis=1))
            for s, e in zip(bounds[:-1][sizes > 2].tolist(), bounds[1:][sizes > 2].tolist()):
                if (group := rows[s:e].tobytes()) not in seen:  # same documents, other band
                    seen.add(group)
                    self._verify_group(rows[s:e].copy())
        # The same pair usually shares several bands: compare it once.
        unique = np.unique(np.concatenate(pairs), axis=0)
        for c in range(0, len(unique), _PAIR_CHUNK):
            a, b = unique[c : c + _PAIR_CHUNK].T
            agree = (self._signatures[a] == self._signatures[b]).sum(axis=1)
            for x, y in zip(a[agree >= need].tolist(), b[agree >= need].tolist()):
                self._union(x, y)
        self._verified = True

    def _verify_group(self, rows: np.ndarray) -> None:
        rows.sort()
        if len({self._find(int(r)) for r in rows}) == 1 and int(rows[0]) in self._parent:
            return  # already one cluster (the same bucket seen in another band)
        need = int(np.ceil(self.threshold * self.num_perm - 1e-9))
        sigs = self._signatures[rows]
        # Identical signatures (exact copies, often many) are joined without
        # pairwise work; only distinct signatures are compared with each other.
        distinct, first_index, inverse = np.unique(sigs, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        for member, group in zip(rows.tolist(), inverse.tolist()):
            representative = int(rows[first_index[group]])
            if member != representative:
                self._union(representative, member)
        # Pairwise comparison of distinct signatures in blocks of 256 x 256, so
        # memory stays bounded; each block's matches are merged into component
        # labels by scipy (in C), so Python does one union per signature, not
        # one per matching pair. Time stays quadratic in distinct signatures
        # per bucket (a bucket of thousands of templated near-copies).
        n = len(distinct)
        labels = np.arange(n)
        block = 256
        for i0 in range(0, n, block):
            for j0 in range(i0, n, block):
                agree = (distinct[i0 : i0 + block, None, :] == distinct[None, j0 : j0 + block, :]).sum(axis=2)
                ii, jj = np.nonzero(agree >= need)
                ii, jj = ii + i0, jj + j0
                keep = ii < jj
                if keep.any():
                    from scipy.sparse import coo_matrix  # scipy is slow to import; most corpora never get here
                    from scipy.sparse.csgraph import connected_components

                    src = np.concatenate([ii[keep], np.arange(n)])
                    dst = np.concatenate([jj[keep], labels])
                    graph = coo_matrix((np.ones(len(src), dtype=bool), (src, dst)), shape=(n, n))
                    _, labels = connected_components(graph, directed=False)
        first_of_label: dict[int, int] = {}
        for k, label in enumerate(labels.tolist()):
            representative = first_of_label.setdefault(label, k)
            if representative != k:
                self._union(int(rows[first_index[representative]]), int(rows[first_index[k]]))

    def _reserve(self, size: int) -> None:
        if size > len(self._signatures):
            capacity = max(size, 2 * len(self._signatures))
            signatures = np.empty((capacity, self.num_perm), dtype=np.uint32)
            signatures[: self._size] = self._signatures[: self._size]
            keys = np.empty((self._b, capacity), dtype=np.uint64)
            keys[:, : self._size] = self._keys[:, : self._size]
            empty = np.empty(capacity, dtype=bool)
            empty[: self._size] = self._empty[: self._size]
            self._signatures, self._keys, self._empty = signatures, keys, empty

    def _find(self, row: int) -> int:
        parent = self._parent
        root = row
        while parent.get(root, root) != root:
            root = parent[root]
        while row != root:  # path compression
            parent[row], row = root, parent[row]
        return root

    def _union(self, a: int, b: int) -> None:
        self._parent.setdefault(a, a)
        self._parent.setdefault(b, b)
        root_a, root_b = self._find(a), self._find(b)
        if root_a != root_b:
            # The smaller row becomes the root, so roots are cluster minima.
            low, high = sorted((root_a, root_b))
            self._parent[high] = low

    def clusters(self) -> np.ndarray:
        """Cluster id per row (int64), ``-1`` for documents with no near-duplicate.

        Ids are 0, 1, 2, ... in order of each cluster's first document, so they
        depend only on the documents and their order.
        """
        if not self._verified:
            self._verify_buckets()
        labels = np.full(self._size, -1, dtype=np.int64)
        roots = {row: self._find(row) for row in self._parent}
        cluster_of_root = {root: i for i, root in enumerate(sorted(set(roots.values())))}
        for row, root in roots.items():
            labels[row] = cluster_of_root[root]
        return labels


def cluster_summary(labels: np.ndarray, threshold: float, bands: tuple[int, int]) -> NearDuplicateBlock:
    """Corpus-level near-duplicate figures for ``summary.json`` / stderr."""
    in_clusters = labels >= 0
    sizes = np.bincount(labels[in_clusters]) if in_clusters.any() else np.zeros(0, dtype=np.int64)
    n = len(labels)
    return {
        "threshold": threshold,
        "lsh_bands": bands[0],
        "lsh_rows_per_band": bands[1],
        "clusters": int(len(sizes)),
        "documents_in_clusters": int(in_clusters.sum()),
        "fraction_in_clusters": float(in_clusters.sum() / n) if n else 0.0,
        # Documents a keep-one-per-cluster deduplication would drop.
        "redundant_documents": int(in_clusters.sum() - len(sizes)),
        "largest_cluster": int(sizes.max()) if len(sizes) else 0,
    }
