"""Reading the fields of a JSON object from the start of its line."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.io.formats.jsonprefix import PrefixError, read_prefix

values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                      lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
                      max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(before=st.dictionaries(st.text(max_size=6).filter(lambda k: k != "text"), values, max_size=3),
       text=st.text(), after=st.dictionaries(st.text(max_size=6).filter(lambda k: k != "text"), values, max_size=3),
       ascii_only=st.booleans(), data=st.data())
def test_any_prefix_gives_a_prefix_of_the_text_and_complete_fields(before, text, after, ascii_only, data):
    line = json.dumps({**before, "text": text, **{k: v for k, v in after.items() if k not in before}}, ensure_ascii=ascii_only)
    cut = data.draw(st.integers(0, len(line)))
    record = read_prefix(line[:cut] if cut else "{", "text")
    whole = json.loads(line)
    if record.text is not None:
        assert whole["text"].startswith(record.text)
        if record.text_complete:
            assert record.text == whole["text"]
    for key, value in record.fields.items():
        assert whole[key] == value
    if cut == len(line):
        assert record.text == text and record.text_complete
        assert record.fields == {k: v for k, v in whole.items() if k != "text"}


def test_a_cut_escape_is_dropped_not_misread():
    line = json.dumps({"id": 7, "text": "caf\u00e9 \\ \"q\" \U0001f600 end"})  # \u00e9, \\, \", \ud83d\ude00 escapes
    for cut in range(len(line) + 1):
        record = read_prefix(line[:cut] or "{", "text")
        if record.text is not None:
            assert "caf\u00e9 \\ \"q\" \U0001f600 end".startswith(record.text) or record.text.endswith("\ud83d")
    record = read_prefix(line[: line.index("end")], "text")
    assert record.text == "caf\u00e9 \\ \"q\" \U0001f600 " and not record.text_complete and record.fields == {"id": 7}


def test_fields_after_the_cut_text_are_out_of_reach():
    record = read_prefix('{"id": "a", "text": "long long long', "text")
    assert (record.text, record.text_complete, record.fields) == ("long long long", False, {"id": "a"})
    record = read_prefix('{"text": 5, "id": "b"', "text")
    assert (record.text, record.text_complete, record.fields) == (5, True, {"id": "b"})
    assert read_prefix('{"meta": [1, 2, 3', "text").text is None  # the prefix ends inside a field before the text


@pytest.mark.parametrize(("prefix", "message"), [("[1, 2", "line is not a JSON object"), ('{"a" 1', "Expecting ':' delimiter"),
                                                 ("{1: 2", "Expecting property name"), ('{"a": 1 "b"', "Expecting ',' delimiter")])
def test_not_an_object_start(prefix, message):
    with pytest.raises(PrefixError, match=message):
        read_prefix(prefix, "text")
