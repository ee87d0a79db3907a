from hypothesis import given
from hypothesis import strategies as st

from auditor.normalize import count_invisible, normalize


def test_folds_layout_quotes_and_invisible_characters():
    raw = "He said \u201chello\u201d \u2014 it\u2019s\n\n  fine\u200b.\tOK\r\n"
    assert normalize(raw) == "He said \"hello\" \u2014 it's fine. OK"


def test_nfkc_folds_compatibility_forms():
    assert normalize("\uff28\uff45\uff4c\uff4c\uff4f\u00a0wor\ufb01ne") == "Hello worfine"


def test_control_characters_removed_but_text_kept():
    assert normalize("a\x00b\x07c\x7fd\x9fe") == "abcde"


def test_count_invisible():
    assert count_invisible("a\u200bb\u200dc\ufeff\x00") == 3  # ZWJ (\u200d) is removed, not counted
    assert count_invisible("plain text") == 0


@given(st.text())
def test_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@given(st.text())
def test_no_leading_trailing_or_double_space(text):
    out = normalize(text)
    assert out == out.strip()
    assert "  " not in out


def test_invisible_character_inside_a_combining_sequence_is_invisible():
    # A zero-width space between "e" and a combining accent must not stop NFKC
    # from composing them: the text must normalize like the clean one.
    assert normalize("cafe\u200b\u0301") == normalize("caf\u00e9") == "caf\u00e9"


def test_tag_characters_and_other_fillers_are_removed_and_counted():
    text = "hello\U000e0041world\u034fx\u3164y\u061cz"
    assert normalize(text) == "helloworldxyz"
    assert count_invisible(text) == 4


def test_joiners_and_variation_selectors_removed_but_not_counted_as_evasion():
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ is part of the spelling
    assert count_invisible(persian) == 0
    assert count_invisible("\u2764\ufe0f") == 0
    assert "\u200c" not in normalize(persian)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_path_agrees_with_the_general_path(text):
    from auditor.normalize import _REMOVE_RE, _SUSPICIOUS_RE

    assert normalize(text) == " ".join(_REMOVE_RE.sub("", text).split())
    assert count_invisible(text) == len(_SUSPICIOUS_RE.findall(text))


def test_lone_surrogates_become_replacement_characters():
    assert normalize("a\ud800b \udfff") == "a\ufffdb \ufffd"


@given(st.text())
def test_blank_texts_normalize_to_nothing(text):
    from auditor.normalize import is_blank

    if is_blank(text):
        assert normalize(text) == ""
    if not normalize(text):  # the converse holds except where NFKC maps to a removable character
        assert is_blank(text) or not text.isascii()
