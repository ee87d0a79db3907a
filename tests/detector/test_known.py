"""Known machine-generated text index: exact look-ups against brute force, refusal of anything but the format."""

import hashlib
import io
import json
import pickle
import random
import shutil
import zipfile

import numpy as np
import pytest
from datasketch import MinHashLSH

from auditor.detector import known
from auditor.features import dedup, minhash
from auditor.corpus.batches import FingerprintOptions, fingerprint_batches
from auditor.detector.known import ARRAYS_NAME, JSON_NAME, IndexFormatError, KnownIndex, build_index, lsh_banding
from auditor.detector.store import npz_bytes
from auditor.io.documents import Document
from conftest import DOCSTRINGS

VOCAB = [f"{a}{b}" for a in "bcdfghklmnprstvz" for b in ["a", "e", "i", "o", "u", "ar", "en", "is"]]


def texts_of(name):
    return [json.loads(line)["text"] for line in (DOCSTRINGS / name).read_text(encoding="utf-8").splitlines()]


def signatures(texts, options=FingerprintOptions()):
    """Signatures as a scan computes them (the same fingerprint_batches)."""
    docs = [Document(id=str(i), text=t, source="query", row=i, record=i + 1) for i, t in enumerate(texts)]
    return np.concatenate([batch.signatures for batch in fingerprint_batches(docs, options)])


def replace_words(text, k, rng):
    words = text.split(" ")
    for i in rng.sample(range(len(words)), k):
        words[i] = f"edit{i}"
    return " ".join(words)


MACHINE = texts_of("machine_docstrings.jsonl")
RNG = random.Random(7)
SYNTHETIC = [" ".join(RNG.choice(VOCAB) for _ in range(300)) for _ in range(200)]
NEAR_SYNTHETIC_0 = replace_words(SYNTHETIC[0], 3, random.Random(1))  # indexed too: queries near 0 have 2 candidates


@pytest.fixture(scope="module")
def known_file(tmp_path_factory):
    """80 machine docstrings, 200 random-vocabulary texts, one near copy, one exact copy, one wordless record, one bad line."""
    records = [{"id": f"m{i}", "text": t} for i, t in enumerate(MACHINE)]
    records += [{"id": f"s{i}", "text": t} for i, t in enumerate(SYNTHETIC)]
    records += [{"id": "near", "text": NEAR_SYNTHETIC_0}, {"id": "copy", "text": MACHINE[5]}, {"id": "words", "text": "!!! --- ???"}]
    path = tmp_path_factory.mktemp("known") / "known.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "{not json\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, known_file):
    out = tmp_path_factory.mktemp("index") / "known"
    build_index([str(known_file)], out)
    return out


@pytest.fixture(scope="module")
def index(index_dir):
    return KnownIndex.load(index_dir)


def queries():
    """(name, texts) of every kind of query."""
    rng = random.Random(3)
    human = texts_of("human_stdlib_docstrings.jsonl")
    return {
        "exact": MACHINE,
        "reformatted": [t.replace(" ", "\n", 5).replace("\n", "\t\n", 3) for t in MACHINE[:10]],
        "edited": [replace_words(t, max(1, len(t.split()) // 100), rng) for t in MACHINE],  # 1-2 words changed
        "graded": [replace_words(SYNTHETIC[i], i % 16, rng) for i in range(96)],  # Jaccard ~0.6 to 1
        "unrelated": human,
        "empty": ["", "   ", "!!! ---", "\u200b"],
    }


@pytest.fixture(scope="module")
def query_sigs():
    return {name: signatures(texts) for name, texts in queries().items()}


def brute_force(index_sigs, query_sigs, threshold):
    """All pairs: estimated Jaccard, whether LSH buckets them (any band equal), best over candidates."""
    b, r = lsh_banding(threshold, index_sigs.shape[1])
    equal = query_sigs[:, None, :] == index_sigs[None, :, :]
    jaccard = equal.sum(axis=2) / index_sigs.shape[1]
    candidate = equal[:, :, : b * r].reshape(len(query_sigs), len(index_sigs), b, r).all(axis=3).any(axis=2)
    candidate &= ~(query_sigs == minhash.EMPTY_HASH).all(axis=1)[:, None]
    return jaccard, candidate, np.where(candidate, jaccard, 0.0).max(axis=1, initial=0.0)


def test_summary_records_what_was_indexed(index_dir, index, known_file):
    meta = json.loads((index_dir / JSON_NAME).read_text())
    assert meta == index.summary
    assert meta["format"] == "auditor.known-index/1"
    assert meta["documents"] == 283
    assert meta["indexed"] == 281 == len(index)  # the wordless record and the exact copy are not stored
    assert meta["empty_documents"] == 1 and meta["duplicate_signatures"] == 1
    assert meta["skipped"] == {"total": 1, "by_reason": {"invalid_json": 1}}
    assert meta["sources"] == {str(known_file): 283}
    assert meta["inputs"] == [str(known_file)]
    assert meta["minhash"] == minhash.scheme_metadata(128, 1)
    assert set(meta["created_with"]) == {"auditor", "numpy", "datasketch"}
    assert meta["arrays"]["sha256"] == hashlib.sha256((index_dir / ARRAYS_NAME).read_bytes()).hexdigest()
    expected = signatures(MACHINE + SYNTHETIC + [NEAR_SYNTHETIC_0])  # first occurrence order
    assert np.array_equal(index.signatures, expected)
    assert index.signatures.dtype == np.uint32 and not index.signatures.flags.writeable
    assert (index.num_perm, index.seed) == (128, 1)


def test_exact_edited_unrelated_and_empty_queries(index, query_sigs):
    assert (index.best_jaccard(query_sigs["exact"]) == 1.0).all()
    assert (index.best_jaccard(query_sigs["reformatted"]) == 1.0).all()  # layout is normalized away
    own = (query_sigs["edited"] == signatures(MACHINE)).sum(axis=1) / 128  # Jaccard with its original
    assert own.min() == 0.8203125 and own.mean() == 0.91181640625
    # Banded for 0.5 (25 x 5), every edited copy is found, with its original as best match.
    assert np.array_equal(index.best_jaccard(query_sigs["edited"], 0.5), own)
    # Banded for 0.8 (9 x 13, MinHashLSH's choice), LSH misses 3 of 80 (p ~ 7% at 0.9, 26% at 0.85).
    edited = index.best_jaccard(query_sigs["edited"], 0.8)
    missed = edited != own
    assert own[missed].tolist() == [0.8515625, 0.859375, 0.90625] and (edited[missed] == 0.0).all()
    assert (index.best_jaccard(query_sigs["unrelated"]) == 0.0).all()
    assert (index.best_jaccard(query_sigs["unrelated"], 0.5) == 0.0).all()
    assert (query_sigs["empty"] == minhash.EMPTY_HASH).all()
    assert (index.best_jaccard(query_sigs["empty"], 0.5) == 0.0).all()
    mixed = np.concatenate([query_sigs["empty"][:1], query_sigs["exact"][:1], query_sigs["unrelated"][:1]])
    assert index.best_jaccard(mixed).tolist() == [0.0, 1.0, 0.0]
    assert index.best_jaccard(np.zeros((0, 128), dtype=np.uint32)).shape == (0,)


@pytest.mark.parametrize(("threshold", "bands", "missed_from_080", "missed_from_090"), [(0.5, (25, 5), 0, 0), (0.8, (9, 13), 10, 1), (0.9, (5, 25), 72, 27)])
def test_best_jaccard_equals_brute_force_over_lsh_candidates(index, query_sigs, threshold, bands, missed_from_080, missed_from_090):
    assert lsh_banding(threshold, 128) == bands
    every = np.concatenate(list(query_sigs.values()))
    jaccard, candidate, expected = brute_force(index.signatures, every, threshold)
    found = index.best_jaccard(every, threshold)
    assert np.array_equal(found, expected)
    # Certain: with fewer unequal slots than bands, one band is whole (0.9375 for 9 x 13).
    certain = jaccard >= (128 - bands[0] + 1) / 128
    assert candidate[certain].all() and (found >= np.where(certain, jaccard, 0.0).max(axis=1)).all()
    # Below that, LSH's false negatives (this data has 215 pairs >= 0.8, 166 >= 0.9; pinned, deterministic).
    assert ((jaccard >= 0.8).sum(), (jaccard >= 0.9).sum()) == (215, 166)
    assert ((jaccard >= 0.8) & ~candidate).sum() == missed_from_080
    assert ((jaccard >= 0.9) & ~candidate).sum() == missed_from_090


def test_candidates_below_the_threshold_are_reported(index, query_sigs):
    graded = index.best_jaccard(query_sigs["graded"], 0.8)
    assert (graded[::16] == 1.0).all()  # no word replaced
    assert sorted(graded[(graded > 0) & (graded < 0.8)].tolist()) == [0.7109375, 0.734375, 0.7734375, 0.78125, 0.796875]


def test_candidates_are_datasketch_minhashlsh_query_results(index, query_sigs):
    every = np.concatenate([query_sigs[k] for k in ("exact", "edited", "graded", "unrelated")])
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for row, sig in enumerate(index.signatures):
        lsh.insert(row, minhash.lean_minhash(sig))
    expected = []
    for sig in every:
        query = minhash.lean_minhash(sig)
        expected.append(max((query.jaccard(minhash.lean_minhash(index.signatures[k])) for k in lsh.query(query)), default=0.0))
    assert np.array_equal(index.best_jaccard(every, 0.8), np.array(expected))


def test_the_best_of_several_candidates_is_returned():
    # NEAR_SYNTHETIC_0 is SYNTHETIC[0] with 3 words replaced; the query (1 replaced) is closer to SYNTHETIC[0].
    query = signatures([replace_words(SYNTHETIC[0], 1, random.Random(11))])
    originals = signatures([SYNTHETIC[0], NEAR_SYNTHETIC_0])
    to_each = (query == originals).sum(axis=1) / 128
    assert to_each[0] > to_each[1] >= 0.8
    index = KnownIndex(originals[::-1].copy(), {"minhash": minhash.scheme_metadata(), "indexed": 2})
    _, candidate, _ = brute_force(index.signatures, query, 0.8)
    assert candidate.all()
    assert index.best_jaccard(query).tolist() == [to_each[0]]


def test_band_key_collisions_never_make_candidates(monkeypatch, index, query_sigs):
    """With deliberately weak keys (2 or 8 bits), runs mix buckets; results must not change."""
    every = np.concatenate(list(query_sigs.values()))
    _, _, expected = brute_force(index.signatures, every, 0.8)
    for bits in (np.uint64(3), np.uint64(255)):
        monkeypatch.setattr(known, "band_keys", lambda s, b, r, bits=bits: dedup.band_keys(s, b, r) & bits)
        weak = KnownIndex(index.signatures.copy(), index.summary)
        assert np.array_equal(weak.best_jaccard(every, 0.8), expected)
        assert weak._bands(9, 13)[2].all()  # every band has a run mixing buckets
    # Index runs are pure (two documents, distinct keys) but many queries share a key with them.
    monkeypatch.setattr(known, "band_keys", lambda s, b, r: dedup.band_keys(s, b, r) & np.uint64(255))
    pair = KnownIndex(index.signatures[:2].copy(), {**index.summary, "indexed": 2})
    assert not pair._bands(9, 13)[2].any()
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 2**32 - 1, size=(3000, 128), dtype=np.uint32)
    hits = (dedup.band_keys(noise, 9, 13) & np.uint64(255))[:, :, None] == (dedup.band_keys(pair.signatures, 9, 13) & np.uint64(255))[:, None, :]
    assert hits.sum() > 50  # colliding (query, band) look-ups
    probe = np.concatenate([noise, index.signatures[:2]])
    assert pair.best_jaccard(probe).tolist() == [0.0] * 3000 + [1.0, 1.0]


def test_index_files_are_byte_identical_when_built_twice(tmp_path, known_file, index_dir):
    again = tmp_path / "again"
    summary = build_index([str(known_file)], again)
    assert summary == json.loads((index_dir / JSON_NAME).read_text())
    for name in (JSON_NAME, ARRAYS_NAME):
        assert (again / name).read_bytes() == (index_dir / name).read_bytes()
    assert sorted(p.name for p in again.iterdir()) == [JSON_NAME, ARRAYS_NAME]  # no temporary left


def test_progress_and_an_index_of_wordless_documents(tmp_path):
    source = tmp_path / "wordless.jsonl"
    source.write_text('{"text": "!!!"}\n{"text": "..."}\n', encoding="utf-8")
    seen = []
    summary = build_index([str(source)], tmp_path / "idx", progress=seen.append)
    assert [p.documents for p in seen] == [2]
    assert (summary["documents"], summary["indexed"], summary["empty_documents"]) == (2, 0, 2)
    empty = KnownIndex.load(tmp_path / "idx" / JSON_NAME)  # the JSON path works too
    assert empty.best_jaccard(signatures(MACHINE[:3])).tolist() == [0.0, 0.0, 0.0]


def _copy(index_dir, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(index_dir, target)
    return target


def _replace_arrays(directory, blob):
    """Put ``blob`` in place of the arrays with a matching SHA-256 (what an attacker can do)."""
    (directory / ARRAYS_NAME).write_bytes(blob)
    meta = json.loads((directory / JSON_NAME).read_text())
    meta["arrays"]["sha256"] = hashlib.sha256(blob).hexdigest()
    (directory / JSON_NAME).write_text(json.dumps(meta))


def test_tampered_arrays_are_refused(tmp_path, index_dir):
    copy = _copy(index_dir, tmp_path)
    blob = bytearray((copy / ARRAYS_NAME).read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (copy / ARRAYS_NAME).write_bytes(bytes(blob))
    with pytest.raises(IndexFormatError, match=r"SHA-256 .* does not match index.json .* rebuild the index"):
        KnownIndex.load(copy)
    (copy / ARRAYS_NAME).unlink()
    with pytest.raises(IndexFormatError, match="cannot read the index arrays"):
        KnownIndex.load(copy)


def test_foreign_format_and_inconsistent_arrays_are_refused(tmp_path, index_dir):
    copy = _copy(index_dir, tmp_path)
    meta = json.loads((copy / JSON_NAME).read_text())
    (copy / JSON_NAME).write_text(json.dumps({**meta, "format": "auditor.model/1"}))
    with pytest.raises(IndexFormatError, match="'auditor.model/1' is not supported"):
        KnownIndex.load(copy)
    (copy / JSON_NAME).write_text("{oops")
    with pytest.raises(IndexFormatError, match="unreadable index metadata"):
        KnownIndex.load(copy)
    (copy / JSON_NAME).write_text(json.dumps(meta))
    for bad in (np.zeros((281, 64), np.uint32), np.zeros((281, 128), np.uint64), np.zeros((5, 128), np.uint32)):
        _replace_arrays(copy, npz_bytes({"signatures": bad}))
        with pytest.raises(IndexFormatError, match=r"signatures must be uint32 \(281, 128\)"):
            KnownIndex.load(copy)
    _replace_arrays(copy, npz_bytes({"other": np.zeros(3)}))
    with pytest.raises(IndexFormatError, match="missing arrays"):
        KnownIndex.load(copy)


class _Exploit:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickles_are_refused_and_never_run(tmp_path, index_dir):
    marker = tmp_path / "pwned"
    pickled = tmp_path / "index.pkl"
    pickled.write_bytes(pickle.dumps(_Exploit(marker)))
    with pytest.raises(IndexFormatError, match="not an auditor index directory"):
        KnownIndex.load(pickled)
    copy = _copy(index_dir, tmp_path)
    member = io.BytesIO()
    np.save(member, np.array([_Exploit(marker)], dtype=object), allow_pickle=True)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("signatures.npy", member.getvalue())
    for blob in (archive.getvalue(), pickle.dumps(_Exploit(marker)), member.getvalue()):  # npz, raw pickle, raw .npy
        _replace_arrays(copy, blob)
        with pytest.raises(IndexFormatError, match="not a valid array archive"):
            KnownIndex.load(copy)
    assert not marker.exists()


def test_minhash_settings_mismatch_is_refused_with_a_clear_message(tmp_path, known_file):
    out = tmp_path / "p64"
    build_index([str(known_file)], out, FingerprintOptions(num_perm=64, seed=1))
    index = KnownIndex.load(out)
    index.check_compatible(64, 1)
    with pytest.raises(IndexFormatError) as err:
        index.check_compatible(128, 1)
    assert str(err.value) == (
        f"{out}: index built with num_perm=64 seed=1 (datasketch 2.x), "
        "scan uses num_perm=128 seed=1 (datasketch 2.x): rebuild the index with the scan's settings"
    )
    with pytest.raises(IndexFormatError, match=r"built with num_perm=64 seed=1 .* scan uses num_perm=64 seed=7 "):
        index.check_compatible(64, 7)
    with pytest.raises(ValueError, match=r"expected uint32 signatures of shape \(n, 64\)"):
        index.best_jaccard(signatures(MACHINE[:2]))
    assert index.best_jaccard(signatures(MACHINE[:2], FingerprintOptions(num_perm=64))).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\]"):
        index.best_jaccard(signatures(MACHINE[:2], FingerprintOptions(num_perm=64)), 0.0)
    meta = json.loads((out / JSON_NAME).read_text())
    meta["minhash"]["datasketch_version"] = "1.6.5"
    (out / JSON_NAME).write_text(json.dumps(meta))
    with pytest.raises(IndexFormatError, match=r"\(datasketch 1.x\), scan uses num_perm=64 seed=1 \(datasketch 2.x\)"):
        KnownIndex.load(out).check_compatible(64, 1)
    meta["minhash"].update(datasketch_version="2.0.0", scheme="other-scheme")
    (out / JSON_NAME).write_text(json.dumps(meta))
    with pytest.raises(IndexFormatError, match=r"scheme other-scheme/word-5gram/affine32, scan uses .* scheme auditor-word5"):
        KnownIndex.load(out).check_compatible(64, 1)


def test_output_must_be_a_directory(tmp_path, known_file):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="is a file: an index is a directory"):
        build_index([str(known_file)], blocker)
