"""MinHash: bit-identical to datasketch's own MinHash, deterministic, formatting-invariant."""

import numpy as np
import pytest
from datasketch import MinHash

from auditor.features import minhash
from auditor.features.tokens import split_words, tokenize_batch
from auditor.normalize import normalize

TEXTS = [
    "",
    "one",
    "two words",
    "exactly four words here",
    "five words make one shingle",
    "The quick brown fox jumps over the lazy dog. " * 5,
    "Un texte \u00e9crit en fran\u00e7ais, avec des accents et d'autres mots \u00e0 la suite.",
]


def batch_signatures(texts, num_perm=128, seed=1):
    normalized = [normalize(t) for t in texts]
    tokens = tokenize_batch(normalized)
    shingles, offsets = minhash.shingle_hashes(tokens.word_hashes, tokens.offsets)
    return minhash.signatures(shingles, offsets, num_perm, seed)


def datasketch_signature(text, num_perm=128, seed=1):
    words, _ = split_words(normalize(text))
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=minhash.shingle_hash32)
    k = minhash.SHINGLE_SIZE
    shingles = [tuple(words[i : i + k]) for i in range(len(words) - k + 1)] if len(words) >= k else ([tuple(words)] if words else [])
    if shingles:
        m.update_batch(shingles)
    return m.hashvalues


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7), (256, 42)])
def test_signatures_identical_to_datasketch(num_perm, seed):
    sigs = batch_signatures(TEXTS, num_perm, seed)
    assert sigs.shape == (len(TEXTS), num_perm)
    assert sigs.dtype == np.uint32
    for text, sig in zip(TEXTS, sigs):
        assert np.array_equal(sig, datasketch_signature(text, num_perm, seed)), text


def test_empty_document_has_empty_set_signature():
    assert (batch_signatures([""])[0] == minhash.EMPTY_HASH).all()


def test_deterministic_and_batch_independent():
    a = batch_signatures(TEXTS)
    b = np.vstack([batch_signatures([t]) for t in TEXTS])
    assert np.array_equal(a, b)
    assert np.array_equal(a, batch_signatures(TEXTS))


def test_formatting_does_not_change_signature():
    text = "It\u2019s a \u201cquoted\u201d sentence that spans\n\nseveral   lines and keeps going for a while."
    flat = "It's a \"quoted\" sentence that spans several lines and keeps going for a while."
    assert np.array_equal(batch_signatures([text]), batch_signatures([flat]))


def test_jaccard_estimate_tracks_true_similarity():
    base = [f"w{i}" for i in range(400)]
    edited = base[:360] + [f"x{i}" for i in range(40)]
    sa, sb = batch_signatures([" ".join(base), " ".join(edited)], num_perm=256)
    k = minhash.SHINGLE_SIZE
    A = {tuple(base[i : i + k]) for i in range(len(base) - k + 1)}
    B = {tuple(edited[i : i + k]) for i in range(len(edited) - k + 1)}
    true = len(A & B) / len(A | B)
    assert abs(minhash.jaccard(sa, sb) - true) < 0.08


def test_scheme_metadata_records_versions():
    meta = minhash.scheme_metadata(64, 3)
    assert meta["num_perm"] == 64 and meta["seed"] == 3
    assert meta["datasketch_scheme"] == "affine32"
    assert meta["datasketch_version"].split(".")[0] == "2"
    assert meta["scheme"] == minhash.SCHEME


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (16, 0), (256, 2**32 - 1), (1, 7), (1024, 12345)])
def test_the_permutations_are_datasketch_s_without_importing_it(num_perm, seed):
    # Drawn here as datasketch draws them, so that no scan, worker or hook pays for importing it (~1 s).
    from datasketch import MinHash

    from auditor.features.minhash import permutations

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    mine_a, mine_b = permutations(num_perm, seed)
    np.testing.assert_array_equal(mine_a, a.astype(np.uint32))
    np.testing.assert_array_equal(mine_b, b.astype(np.uint32))
