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


def test_latin_lookalikes_are_folded_and_counted():
    from auditor.normalize import count_evasion, normalize_counted

    assert normalize_counted("p\u0430yp\u0430l login") == ("paypal login", 2)  # Cyrillic a in a Latin word
    assert normalize_counted("\u0422h\u0435 quick br\u043ewn f\u043e\u0445") == ("The quick brown fox", 5)
    # A whole word of look-alikes in a mostly Latin text ("a" and "OK" in Cyrillic)
    assert normalize_counted("this is \u0430 test, \u041e\u041a") == ("this is a test, OK", 3)
    assert count_evasion("plain text") == 0


def test_russian_and_greek_keep_their_spelling():
    from auditor.normalize import normalize_counted

    russian = "\u042d\u0442\u043e \u043e\u0431\u044b\u0447\u043d\u044b\u0439 \u0442\u0435\u043a\u0441\u0442 \u043e \u043f\u043e\u0433\u043e\u0434\u0435 \u0438 \u0441\u0430\u0434\u0435."
    assert normalize_counted(russian) == (russian, 0)
    greek = "\u039a\u0391\u0399 \u03c4\u03bf \u03c3\u03c0\u03af\u03c4\u03b9 \u03bc\u03b1\u03c2"
    assert normalize_counted(greek) == (greek, 0)
    # A Latin word inside Russian text is still unmasked when it mixes scripts.
    assert normalize_counted(russian + " p\u0430ypal") == (russian + " paypal", 1)


def test_joiners_between_latin_letters_are_counted_but_not_in_emoji_or_persian():
    from auditor.normalize import count_evasion

    assert count_evasion("a\u200bb\u200dc\ufeff\x00") == 4  # ZWSP, BOM, NUL and the ZWJ between b and c
    assert count_evasion("w\u200d\u200co\u200crd") == 3
    assert count_evasion("\U0001f468\u200d\U0001f469\u200d\U0001f467 family") == 0
    assert count_evasion("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == 0


@given(st.text(alphabet=st.sampled_from(list("aeopcx AEOP.,") + list("\u0430\u0435\u043e\u0440\u0441\u0445\u0410\u0415\u041e\u0420\u0431\u0434\u0436\u0416\u03bf\u0391\u03b1\u200d\u200b"))))
def test_folding_is_idempotent_and_counts_what_it_changes(text):
    from auditor.normalize import normalize_counted

    once, evasion = normalize_counted(text)
    assert normalize_counted(once) == (once, 0)  # nothing left to fold or remove
    assert evasion >= 0
