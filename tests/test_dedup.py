"""Near-duplicate clustering: planted near-copies found, unrelated texts not."""

import random

import numpy as np
import pytest

from auditor.features import minhash
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
