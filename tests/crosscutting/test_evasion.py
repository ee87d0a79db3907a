"""Evasion by invisible characters, look-alike letters and stray combining marks: scores unchanged, presence counted and reported."""

from __future__ import annotations

import json
import random
import unicodedata

import pyarrow.parquet as pq
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from auditor.cli import cli
from conftest import DOCSTRINGS

LOOKALIKES = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445", "A": "\u0410", "O": "\u041e"}
INVISIBLE = ("\u200b", "\u200d", "\u2060", "\ufeff")  # zero-width space and joiner, word joiner, BOM


def disguise(text: str, rng: random.Random) -> tuple[str, int]:
    """``text`` with a third of its a/e/o/p/c/x letters swapped for Cyrillic ones and invisible
    characters slipped between letters; and how many characters were changed or added."""
    out, changed = [], 0
    for i, char in enumerate(text):
        if char in LOOKALIKES and rng.random() < 0.33:
            out.append(LOOKALIKES[char])
            changed += 1
        else:
            out.append(char)
        if char.isascii() and char.isalpha() and i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalpha() \
                and rng.random() < 0.05:
            out.append(rng.choice(INVISIBLE))
            changed += 1
    return "".join(out), changed


def scan_both(tmp_path, plain_rows, disguised_rows):
    """Scan the plain and the disguised records; check that scores and clusters agree; return
    both documents tables and the disguised scan's CLI result."""
    for name, rows in (("plain", plain_rows), ("disguised", disguised_rows)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        result = CliRunner().invoke(cli, ["scan", str(tmp_path / f"{name}.jsonl"), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    plain = pq.read_table(tmp_path / "plain" / "documents.parquet").to_pandas()
    masked = pq.read_table(tmp_path / "disguised" / "documents.parquet").to_pandas()
    assert (masked["p_synthetic"] - plain["p_synthetic"]).abs().max() <= 1e-9
    assert masked["dup_cluster"].fillna(-1).tolist() == plain["dup_cluster"].fillna(-1).tolist()
    assert plain["evasion_chars"].sum() == 0
    return plain, masked, result


def test_disguised_documents_score_the_same_and_are_counted(tmp_path):
    records = []
    for name in ("machine_docstrings.jsonl", "human_stdlib_docstrings.jsonl"):
        records += [json.loads(line) for line in (DOCSTRINGS / name).read_text(encoding="utf-8").splitlines()[:40]]
    rng = random.Random(7)
    disguised, expected = [], []
    for record in records:
        text, changed = disguise(record["text"], rng)
        disguised.append({**record, "text": text})
        expected.append(changed)
    assert sum(expected) > 1000
    _, masked, result = scan_both(tmp_path, records, disguised)
    assert masked["evasion_chars"].tolist() == expected
    summary = json.loads((tmp_path / "disguised" / "summary.json").read_text(encoding="utf-8"))
    assert summary["evasion"]["documents"] == sum(1 for n in expected if n) and summary["evasion"]["characters"] == sum(expected)
    documents, characters = f"{summary['evasion']['documents']:,}", f"{summary['evasion']['characters']:,}"
    assert f"evasion characters: {documents} documents hold {characters} invisible or look-alike characters" in result.output
    assert f"- **Evasion characters:** {documents} documents hold {characters} invisible" in (tmp_path / "disguised" / "report.md").read_text()
    assert f"Evasion characters: {documents} documents hold {characters}" in (tmp_path / "disguised" / "report.html").read_text()
    plain_summary = json.loads((tmp_path / "plain" / "summary.json").read_text(encoding="utf-8"))
    assert plain_summary["evasion"]["documents"] == 0
    assert "Evasion characters" not in (tmp_path / "plain" / "report.md").read_text()


# Combining marks: U+0301 and U+0308 compose with some letters (a -> á) and not with others (t);
# U+0323 composes into Latin Extended Additional letters (ṭ); U+0336 (long stroke overlay) and
# U+093C (a Devanagari nukta) never compose with a Latin letter; two acutes stack.
MARKS = ("\u0301", "\u0308", "\u0323", "\u0336", "\u093c", "\u0301\u0301")


def accent_every_letter(text: str, marks: str) -> tuple[str, int]:
    """``text`` with ``marks`` after every ASCII letter; and how many marks were added."""
    letters = sum(c.isascii() and c.isalpha() for c in text)
    return "".join(c + marks if c.isascii() and c.isalpha() else c for c in text), letters * len(marks)


def test_a_combining_mark_on_every_letter_scores_the_same_and_is_counted(tmp_path):
    records = []
    for name in ("machine_docstrings.jsonl", "human_stdlib_docstrings.jsonl"):
        records += [r for r in map(json.loads, (DOCSTRINGS / name).read_text(encoding="utf-8").splitlines()[:40]) if r["text"].isascii()]
    marked, expected = [], []
    for i, record in enumerate(records):
        text, added = accent_every_letter(record["text"], MARKS[i % len(MARKS)])
        marked.append({**record, "text": text})
        expected.append(added)
    _, masked, result = scan_both(tmp_path, records, marked)
    assert masked["evasion_chars"].tolist() == expected
    summary = json.loads((tmp_path / "disguised" / "summary.json").read_text(encoding="utf-8"))
    assert (summary["evasion"]["documents"], summary["evasion"]["characters"]) == (len(records), sum(expected))
    assert f"evasion characters: {len(records)} documents hold {sum(expected):,} invisible or look-alike" in result.output


def test_stray_marks_are_removed_with_their_letters_accents_and_counted():
    from auditor.normalize import normalize_counted

    # No Latin spelling accents t or h, or puts two acutes on a letter; é composes and stays.
    assert normalize_counted("t\u0301h\u0301e\u0301 cafe\u0301 is open") == ("th\u00e9 caf\u00e9 is open", 2)
    assert normalize_counted("a\u0301\u0301nd then") == ("and then", 2)  # stacked: the letter's own acute goes too
    assert normalize_counted("du\u0336ck, go\u0336o\u0336se") == ("duck, goose", 3)  # an overlay never composes
    assert normalize_counted("wo\u093crd and w\U0001d167ord") == ("word and word", 2)  # other scripts' marks, beyond the BMP too
    # Every letter marked (composing accents included): the document was disguised, all marks go.
    assert normalize_counted("t\u0301h\u0301e\u0301 c\u0301a\u0301n\u0301 a\u0301 b\u0301e\u0301") == ("the can a be", 9)
    # A single marked letter is notation (x-bar, a transcribed [t̪]), not a disguise.
    assert normalize_counted("x\u0304 is the mean of [t\u032a]") == ("x\u0304 is the mean of [t\u032a]", 0)


def test_legitimate_accents_and_other_scripts_marks_are_untouched():
    from auditor.normalize import normalize_counted

    texts = [
        "L'\u00e9t\u00e9 o\u00f9 na\u00efve No\u00ebl a d\u00e9j\u00e0 fini, \u00e7a va.",  # French
        "Gr\u00fc\u00dfe aus K\u00f6ln, sch\u00f6ne \u00c4pfel.",  # German
        "Ti\u1ebfng Vi\u1ec7t l\u00e0 ng\u00f4n ng\u1eef c\u1ee7a ng\u01b0\u1eddi Vi\u1ec7t.",  # Vietnamese
        "Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144, \u010d\u00ed \u0159\u00ed\u0161.",  # Polish, Czech
        "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",  # Devanagari: virama, vowel signs
        "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a",  # Thai
        "\u0627\u0644\u0633\u0651\u064e\u0644\u0627\u0645\u064f \u0639\u064e\u0644\u064e\u064a\u0652\u0643\u064f\u0645\u0652",  # Arabic, harakat
        "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd \u05e2\u05d5\u05b9\u05dc\u05b8\u05dd",  # Hebrew, niqqud
        "[\u02c8f\u0259\u028an\u0259t\u026ak] /\u02c8b\u028c\u0294n\u0329/ [\u0250\u0303\u02d0]",  # IPA
    ]
    for text in texts:
        assert normalize_counted(text) == (unicodedata.normalize("NFKC", text), 0), text
    # The same words typed with combining accents (NFD) compose and count nothing either.
    for text in texts[:4]:
        assert normalize_counted(unicodedata.normalize("NFD", text)) == (unicodedata.normalize("NFC", text), 0), text


def test_orthographies_that_write_marks_composition_leaves_are_untouched():
    from auditor.normalize import normalize_counted

    # Marks no precomposed letter absorbs, as these languages write them: a tone on a letter carrying
    # another accent (dot below, ogonek, dot above), one diacritic on a letter without a precomposed form.
    texts = [
        "\u1ecc\u0300r\u1ecd\u0300 \u00e0ti \u00e8d\u00e8 Yor\u00f9b\u00e1 j\u1eb9\u0301 \u00e8d\u00e8 t\u00ed \u00e0w\u1ecdn "
        "\u00e8n\u00ecy\u00e0n \u0144 s\u1ecd n\u00ed or\u00edl\u1eb9\u0300-\u00e8d\u00e8.",  # Yoruba
        "\u1ecc\u0300 b\u1ee5\u0301 ezigbo ihe \u1ecb\u0301 m\u1ee5\u0300ta ya.",  # Igbo
        "\u0105\u0105\u0301 \u00e1k\u01eb\u01eb\u0301 h\u00f3zh\u01eb\u01eb\u0301go naash\u00e1a",  # Navajo
        "Lietu\u0300viu\u0328 kalba\u0300: j\u0105\u0303 m\u00f3kosi dau\u0303g \u017emoni\u0173\u0303, \u0117\u0301",  # Lithuanian
        "Ava\u00f1e'\u1ebd ha g\u0303uah\u1ebd mit\u00e3 \u00f1ane ret\u00e3",  # Guarani
        "kr\u0325\u1e63\u1e47a and the r\u0325gveda",  # ISO 15919
    ]
    for text in texts:
        composed = unicodedata.normalize("NFC", text)
        assert normalize_counted(composed) == (composed, 0), text
        assert normalize_counted(unicodedata.normalize("NFD", text)) == (composed, 0), text


def test_a_long_document_with_a_stray_mark_looks_only_at_its_non_ascii_words(monkeypatch):
    # One stray mark once made every word of a 1 MB document go through Python (~10x slower).
    # What keeps it fast is structural, so that is what is checked: only the distinct
    # non-ASCII words are looked at, once each.
    import importlib

    normalize = importlib.import_module("auditor.normalize")  # the module (the package exports a function of its name)

    plain = " ".join(json.loads(line)["text"] for line in (DOCSTRINGS / "machine_docstrings.jsonl").read_text(encoding="utf-8").splitlines())
    plain = (plain * (400_000 // len(plain) + 1))[:400_000]
    marked = plain + " wo\u093crd wo\u093crd caf\u00e9"  # one mark to fold (twice), and an accent that composes
    looked_at: list[str] = []
    word_marks = normalize._word_marks

    def counting(word: str):
        looked_at.append(word)
        return word_marks(word)

    monkeypatch.setattr(normalize, "_word_marks", counting)
    text, removed = normalize.normalize_counted(marked)
    assert removed == 2 and text.endswith(" word word caf\u00e9")
    non_ascii = {word for word in normalize._mark_patterns().word.findall(marked) if not word.isascii()}
    assert {"caf\u00e9", "wo\u093crd"} <= non_ascii and len(non_ascii) < 50  # of ~60,000 words
    assert sorted(looked_at) == sorted(non_ascii)  # each distinct non-ASCII word once, no ASCII word


def test_a_look_alike_with_an_accent_normalizes_once():
    from auditor.normalize import normalize_counted

    # Cyrillic a + U+0301 is folded to "a" + U+0301, which then composes: the output is composed at once.
    assert normalize_counted("p\u0430\u0301ypal and \u0430\u0301 test") == ("p\u00e1ypal and \u00e1 test", 2)


@given(st.text(alphabet=st.sampled_from(list("aetcx AET.,1") + list("\u0430\u0435\u0441\u0445\u0410\u0436\u03b1\u0391")
                                        + list("\u0301\u0300\u0323\u0336\u0308\u031b\u093c\u05b8\u064e\u20dd\U0001d167")
                                        + list("\u00e9\u1ec7\u0259\u0928\u05d0\u00f8\U0001f600\u200b"))))
def test_mark_folding_is_idempotent(text):
    from auditor.normalize import normalize_counted

    once, evasion = normalize_counted(text)
    assert normalize_counted(once) == (once, 0)
    assert evasion >= 0
