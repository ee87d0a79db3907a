"""Near-duplicate clusters inside a corpus: MinHash LSH candidates, verified, joined by union-find.

Documents are inserted in reading order into a datasketch
:class:`~datasketch.MinHashLSH`. At the end, every pair of documents sharing an
LSH bucket (a band) is a candidate; it counts only when the estimated Jaccard
similarity of the two signatures reaches the threshold (LSH alone also pairs
documents below it). Verified pairs are joined with union-find, so clusters
are transitive: A~B and B~C put A, B and C in one cluster even when A and C
are less similar. Scanning buckets once at the end finds the same pairs as
querying per document, at half the per-document cost.

Documents with no word (an empty shingle set) are never clustered: there is
nothing to compare.
"""

from __future__ import annotations

import numpy as np
from datasketch import MinHashLSH
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from auditor.features.minhash import DEFAULT_NUM_PERM, DEFAULT_SEED, EMPTY_HASH, lean_minhash

DEFAULT_THRESHOLD = 0.8


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
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._signatures = np.empty((1024, num_perm), dtype=np.uint32)
        self._size = 0
        self._parent: dict[int, int] = {}  # union-find, only rows with a verified pair
        self._verified = True

    @property
    def bands(self) -> tuple[int, int]:
        """LSH banding ``(bands, rows per band)`` chosen by datasketch for the threshold."""
        return self._lsh.b, self._lsh.r

    def __len__(self) -> int:
        return self._size

    def add(self, signatures: np.ndarray) -> None:
        """Add the next documents' signatures (rows ``len(self)`` onward), in order."""
        if signatures.ndim != 2 or signatures.shape[1] != self.num_perm:
            raise ValueError(f"expected signatures of shape (n, {self.num_perm}), got {signatures.shape}")
        first = self._size
        self._reserve(first + len(signatures))
        self._signatures[first : first + len(signatures)] = signatures
        self._size += len(signatures)
        for offset, signature in enumerate(signatures):
            if not (signature == EMPTY_HASH).all():
                self._lsh.insert(first + offset, lean_minhash(signature, seed=self.seed), check_duplication=False)
        self._verified = False

    def _verify_buckets(self) -> None:
        """Union every verified pair of documents that share an LSH bucket."""
        for table in self._lsh.hashtables:
            for key in table.keys():
                bucket = table.get(key)
                if len(bucket) > 1:
                    self._verify_group(np.fromiter(bucket, dtype=np.int64, count=len(bucket)))
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
            grown = np.empty((max(size, 2 * len(self._signatures)), self.num_perm), dtype=np.uint32)
            grown[: self._size] = self._signatures[: self._size]
            self._signatures = grown

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


def cluster_summary(labels: np.ndarray, threshold: float, bands: tuple[int, int]) -> dict[str, object]:
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
