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
    assert count_invisible("a\u200bb\u200dc\ufeff\x00") == 4
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
