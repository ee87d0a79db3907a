"""Near-duplicate clustering: planted near-copies found, unrelated texts not."""

import random

import numpy as np
import pytest
from datasketch import MinHashLSH

from auditor.features import dedup, minhash
from auditor.features.dedup import NearDuplicateIndex, cluster_summary
from auditor.features.tokens import tokenize_batch
from auditor.normalize import normalize


def signatures(texts):
    normalized = [normalize(t) for t in texts]
    tokens = tokenize_batch(normalized)
    shingles, offsets = minhash.shingle_hashes(tokens.word_hashes, tokens.offsets)
    return minhash.signatures(shingles, offsets)


def random_text(rng, n=300):
    vocab = [f"{a}{b}" for a in "bcdfghklmnprstvz" for b in ["a", "e", "i", "o", "u", "ar", "en", "is"]]
    return " ".join(rng.choice(vocab) for _ in range(n))


def cluster(texts, threshold=0.8):
    index = NearDuplicateIndex(threshold=threshold)
    sigs = signatures(texts)
    index.add(sigs[:3])  # added in two steps: order matters, batching must not
    index.add(sigs[3:])
    return index.clusters()


def test_planted_near_duplicates_found_and_unrelated_not():
    rng = random.Random(5)
    originals = [random_text(rng) for _ in range(20)]
    words = originals[4].split()
    one_word_changed = " ".join(words[:150] + ["CHANGED"] + words[151:])
    sentence_appended = originals[11] + " And one more sentence at the end."
    reformatted = originals[17].replace(" ", "\n", 40)
    texts = originals + [one_word_changed, sentence_appended, reformatted]
    labels = cluster(texts)
    assert labels[4] == labels[20] != -1
    assert labels[11] == labels[21] != -1
    assert labels[17] == labels[22] != -1
    assert len({labels[4], labels[11], labels[17]}) == 3
    others = [i for i in range(20) if i not in (4, 11, 17)]
    assert (labels[others] == -1).all()
    # Ids are assigned in order of each cluster's first document.
    assert [labels[4], labels[11], labels[17]] == [0, 1, 2]


def test_clusters_are_transitive():
    rng = random.Random(9)
    words = random_text(rng, 400).split()
    a = words
    b = words[:380] + ["x"] * 20  # ~ a, edited at the end
    c = ["y"] * 20 + b[20:]  # ~ b, edited at the start; further from a
    labels = cluster([" ".join(a), " ".join(b), random_text(rng), " ".join(c)], threshold=0.7)
    assert labels[0] == labels[1] == labels[3] == 0
    assert labels[2] == -1


def test_empty_documents_are_not_clustered():
    labels = cluster(["", "", "!!!", random_text(random.Random(1))])
    assert (labels == -1).all()


def test_summary_counts():
    labels = np.array([-1, 0, 0, 1, -1, 1, 1])
    s = cluster_summary(labels, 0.8, (9, 13))
    assert s["clusters"] == 2
    assert s["documents_in_clusters"] == 5
    assert s["redundant_documents"] == 3
    assert s["largest_cluster"] == 3
    assert s["fraction_in_clusters"] == pytest.approx(5 / 7)


def test_invalid_threshold():
    with pytest.raises(ValueError, match="threshold"):
        NearDuplicateIndex(threshold=0)


def test_many_exact_copies_form_one_cluster():
    rng = random.Random(2)
    base = random_text(rng)
    near = base.replace(base.split()[100], "edited", 1)
    texts = [base] * 300 + [near, random_text(rng), random_text(rng)]
    labels = cluster(texts)
    assert (labels[:301] == 0).all()
    assert (labels[301:] == -1).all()


def test_bucket_of_many_distinct_near_copies_is_one_cluster():
    # 600 signatures, each one slot away from a base: more than two 256-row
    # comparison blocks, all near-duplicates of each other.
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**32, size=128, dtype=np.uint32)
    sigs = np.tile(base, (600, 1))
    sigs[np.arange(600), rng.integers(0, 128, size=600)] = rng.integers(0, 2**32, size=600, dtype=np.uint32)
    unrelated = rng.integers(0, 2**32, size=(3, 128), dtype=np.uint32)
    index = NearDuplicateIndex()
    index.add(np.vstack([sigs, unrelated]))
    labels = index.clusters()
    assert (labels[:600] == 0).all()
    assert (labels[600:] == -1).all()


# --- The numpy banded index against datasketch's MinHashLSH -------------------


def planted_corpus(seed=11):
    """~300 texts: originals, copies edited at various rates (similarities on both
    sides of the thresholds), exact copies, empty and very short texts."""
    rng = random.Random(seed)
    originals = [random_text(rng, 200) for _ in range(120)]
    texts = list(originals)
    for i, rate in enumerate([0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2] * 18):
        words = originals[i % 60].split()
        texts.append(" ".join(w if rng.random() > rate else "EDIT" for w in words))
    texts += [originals[3]] * 5 + [originals[70]] * 2 + ["", "!!!", "", "one two", "one two"]
    return texts


def datasketch_lsh(sigs, threshold, num_perm):
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    nonempty = [i for i, s in enumerate(sigs) if not (s == minhash.EMPTY_HASH).all()]
    for i in nonempty:
        lsh.insert(i, minhash.lean_minhash(sigs[i]))
    return lsh, nonempty


def reference_labels(sigs, threshold, num_perm):
    """The clustering rule, from MinHashLSH queries: every candidate pair with >= need
    equal slots is an edge; labels are components with an edge, numbered by first row."""
    lsh, nonempty = datasketch_lsh(sigs, threshold, num_perm)
    need = int(np.ceil(threshold * num_perm - 1e-9))
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for i in nonempty:
        for j in lsh.query(minhash.lean_minhash(sigs[i])):
            if i < j and (sigs[i] == sigs[j]).sum() >= need:
                a, b = find(i), find(j)
                parent[max(a, b)] = min(a, b)
    labels = np.full(len(sigs), -1, dtype=np.int64)
    roots = sorted({find(x) for x in parent})
    for x in parent:
        labels[x] = roots.index(find(x))
    return labels


@pytest.mark.parametrize("threshold,num_perm", [(0.8, 128), (0.5, 128), (0.7, 64)])
def test_buckets_pairs_and_labels_match_datasketch_minhashlsh(threshold, num_perm):
    texts = planted_corpus()
    normalized = [normalize(t) for t in texts]
    tokens = tokenize_batch(normalized)
    sigs = minhash.signatures(*minhash.shingle_hashes(tokens.word_hashes, tokens.offsets), num_perm)
    index = NearDuplicateIndex(threshold=threshold, num_perm=num_perm)
    for b in range(0, len(sigs), 64):
        index.add(sigs[b : b + 64])
    lsh, nonempty = datasketch_lsh(sigs, threshold, num_perm)
    assert index.bands == (lsh.b, lsh.r)

    # Buckets, band by band: the same sets of documents.
    ours = {(band, frozenset(rows.tolist())) for band, rows in index.buckets()}
    theirs = {
        (band, frozenset(table.get(key)))
        for band, table in enumerate(lsh.hashtables)
        for key in table.keys()
        if len(table.get(key)) > 1
    }
    assert ours == theirs
    # Candidate pairs: the same as querying MinHashLSH with every document.
    our_pairs = {(a, b) for _, rows in index.buckets() for a in rows.tolist() for b in rows.tolist() if a < b}
    their_pairs = {(i, j) for i in nonempty for j in lsh.query(minhash.lean_minhash(sigs[i])) if i < j}
    assert our_pairs == their_pairs
    # The corpus exercises both verdicts and buckets of more than two documents.
    need = int(np.ceil(threshold * num_perm - 1e-9))
    agree = [(sigs[a] == sigs[b]).sum() for a, b in our_pairs]
    assert min(agree) < need <= max(agree)
    assert any(len(rows) > 2 for _, rows in index.buckets())

    labels = index.clusters()
    assert labels.tobytes() == reference_labels(sigs, threshold, num_perm).tobytes()
    assert (labels[[len(texts) - 5, len(texts) - 4, len(texts) - 3]] == -1).all()  # "", "!!!", ""
    assert labels[3] == labels[len(texts) - 12] != -1  # an exact copy


def test_band_key_collisions_do_not_change_buckets_or_labels(monkeypatch):
    sigs = signatures(planted_corpus())
    honest = NearDuplicateIndex()
    honest.add(sigs)
    expected_buckets = sorted((band, rows.tolist()) for band, rows in honest.buckets())
    expected_labels = honest.clusters()
    # Every band of every document gets one of 3 keys: buckets must still be
    # told apart by their band values.
    monkeypatch.setattr(dedup, "band_keys", lambda s, b, r: np.asarray(s[:, : b * r : r].T % 3, dtype=np.uint64))
    colliding = NearDuplicateIndex()
    colliding.add(sigs[:100])
    colliding.add(sigs[100:])
    assert sorted((band, rows.tolist()) for band, rows in colliding.buckets()) == expected_buckets
    assert colliding.clusters().tobytes() == expected_labels.tobytes()


def test_band_keys_equal_exactly_for_equal_bands():
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**32, size=(4, 12), dtype=np.uint32)
    sigs[1, :4] = sigs[0, :4]  # band 0 shared by rows 0 and 1
    sigs[2] = sigs[0]
    sigs[2, 11] ^= 1  # row 2: last band differs from row 0 by one bit
    keys = dedup.band_keys(sigs, 3, 4)
    assert keys.shape == (3, 4) and keys.dtype == np.uint64
    assert keys[0, 0] == keys[0, 1] and keys[1, 0] != keys[1, 1]
    assert (keys[:2, 0] == keys[:2, 2]).all() and keys[2, 0] != keys[2, 2]
    assert len(np.unique(keys[:, 3])) == 3


def test_no_documents_and_only_empty_documents():
    index = NearDuplicateIndex()
    assert len(index.clusters()) == 0
    index.add(np.full((3, 128), minhash.EMPTY_HASH, dtype=np.uint32))
    assert list(index.buckets()) == []
    assert (index.clusters() == -1).all()


@pytest.mark.parametrize("num_perm", [2, 8, 16, 64, 128, 256])
def test_the_banding_is_the_one_datasketch_picks(num_perm):
    # lsh_banding computes MinHashLSH's (b, r) without importing datasketch (scipy.integrate, ~0.6 s).
    from datasketch import MinHashLSH

    from auditor.features.dedup import lsh_banding

    for threshold in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.99, 1.0):
        try:
            lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        except ValueError as err:
            with pytest.raises(ValueError, match=str(err).split("(")[0].strip()):
                lsh_banding(threshold, num_perm)
            continue
        assert lsh_banding(threshold, num_perm) == (lsh.b, lsh.r), threshold
